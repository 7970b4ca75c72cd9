// The public statistics' disclosure control (services/complaint/disclosure.h,
// docs/statistics.md): the perturbation table, and the attacker of issue 15
// (tests/support/stats_attacker.h) against the domain tally, answering every
// query the API accepts over small cells in two provinces, several kab/kota,
// elections and days, as Complaints::Stats answers it (checked query, the
// store's filter, the tally, the handler's mapping).
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "services/complaint/complaint_proto.h"
#include "services/complaint/disclosure.h"
#include "services/complaint/queries.h"
#include "tests/support/stats_attacker.h"
#include "tests/support/test_support.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;
using netra::testing::StatAtom;
using netra::testing::StatsAnswer;

constexpr int64_t kDay = 86400LL * 1000000;
constexpr int64_t kFirstDay = 19800 * kDay;  // 2024-03-19 UTC
constexpr int kDays = 4;

TEST(PerturbationTableTest, EveryRowIsUnbiasedFromThreeAndBoundedByTwo) {
  for (int64_t count : {3, 4, 5, 17, 1000}) {
    int64_t sum = 0;
    std::map<int, int> seen;
    for (uint32_t key = 0; key < kCellKeyModulus; ++key) {
      const int offset = PerturbationOffset(count, key);
      sum += offset;
      ++seen[offset];
    }
    EXPECT_EQ(sum, 0) << count;
    EXPECT_EQ(seen, (std::map<int, int>{{-2, 100}, {-1, 200}, {0, 400}, {1, 200}, {2, 100}})) << count;
  }
  for (int64_t count : {1, 2}) {
    for (uint32_t key = 0; key < kCellKeyModulus; ++key) EXPECT_GE(count + PerturbationOffset(count, key), 1);
  }
}

TEST(DiscloseTest, ZeroStaysZeroSmallIsSuppressedAndNothingPublishedIsUnderTheMinimum) {
  EXPECT_EQ(Disclose(Cell{}, {5, 5}).count, 0);
  EXPECT_FALSE(Disclose(Cell{}, {5, 5}).suppressed);
  for (int64_t n = 1; n < 5; ++n) {
    const Disclosed d = Disclose(Cell{n, 123}, {5, 5});
    EXPECT_TRUE(d.suppressed);
    EXPECT_EQ(d.count, 0);
  }
  for (int64_t n = 5; n < 40; ++n) {
    for (uint32_t key = 0; key < kCellKeyModulus; key += 7) {
      const Disclosed d = Disclose(Cell{n, key}, {5, 5});
      EXPECT_FALSE(d.suppressed);
      EXPECT_GE(d.count, 5);
      EXPECT_LE(std::abs(d.count - n), 2);
    }
  }
  // No minimum: a count of 1 is never published as 0 (that would read as "none").
  for (uint32_t key = 0; key < kCellKeyModulus; ++key) EXPECT_GE(Disclose(Cell{1, key}, {0, 0}).count, 1);
}

// A caller may raise the minimum; what that reveals must be what is published
// anyway. Were the true count compared, asking with n and n + 1 would tell it.
TEST(DiscloseTest, ARaisedMinimumIsComparedWithThePublishedCountNotTheTrueOne) {
  for (int64_t n = 5; n < 30; ++n) {
    for (uint32_t key = 0; key < kCellKeyModulus; key += 3) {
      const int64_t published = Disclose(Cell{n, key}, {5, 5}).count;
      for (int raised = 5; raised < 40; ++raised) {
        const Disclosed d = Disclose(Cell{n, key}, {5, raised});
        ASSERT_EQ(d.suppressed, published < raised) << n << " " << key << " " << raised;
        if (!d.suppressed) {
          ASSERT_EQ(d.count, published);
        }
      }
    }
  }
}

TEST(RecordKeysTest, KeysAreUniformAndDependOnTheSecret) {
  RecordKeys keys(std::string(32, 's')), other(std::string(32, 't'));
  std::vector<int> buckets(10);
  int differ = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = "c-" + std::to_string(i);
    const uint32_t key = keys.Of(id);
    ASSERT_LT(key, kCellKeyModulus);
    EXPECT_EQ(key, keys.Of(id));
    ++buckets[key * 10 / kCellKeyModulus];
    differ += key != other.Of(id);
  }
  for (int n : buckets) EXPECT_NEAR(n, 1000, 150);
  EXPECT_GT(differ, 9900);
}

// Small cells: complaints and stage departures in 33 (three kab/kota) and 34
// (two), two elections, four days, three statuses, four violation sets.
class StatsAttackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 random(15);
    const std::vector<std::string> regencies = {"33.06", "33.74", "33.01", "34.71", "34.02"};
    const std::vector<std::string> elections = {"pemilu-2024", "pilkada-2024"};
    const std::vector<Status> statuses = {Status::kReceived, Status::kRegistered, Status::kForwarded};
    const std::vector<std::set<std::string>> violations = {{"A2"}, {"B2"}, {"B6"}, {"A2", "B6"}};
    int next_id = 0;
    for (const auto& regency : regencies) {
      for (const auto& election : elections) {
        for (int day = 0; day < kDays; ++day) {
          const int64_t from = kFirstDay + day * kDay;
          for (Status status : statuses) {
            for (const auto& set : violations) {
              const int n = std::uniform_int_distribution<int>(0, 9)(random) < 6 ? 0 : 1 + random() % 3;
              if (n == 0) continue;
              atoms_.push_back({false, regency, election, from, from + kDay, std::string(Name(status)), set, n});
              std::string codes = ",";
              for (const auto& code : set) codes += code + ",";
              for (int i = 0; i < n; ++i) {
                rows_.push_back({"c-" + std::to_string(next_id++), regency + ".01", status, codes});
              }
            }
          }
          for (Status stage : {Status::kReceived, Status::kRegistered}) {
            const int n = random() % 4;
            if (n == 0) continue;
            atoms_.push_back({true, regency, election, from, from + kDay, std::string(Name(stage)), {}, n});
            for (int i = 0; i < n; ++i) {
              // Departures of complaints counted above (their record keys are the complaints').
              stages_.push_back({"c-" + std::to_string(random() % next_id), regency + ".01", stage,
                                 static_cast<int64_t>(3600 * (1 + random() % 48))});
              stage_left_.push_back(from + static_cast<int64_t>(random() % kDay));
              stage_election_.push_back(election);
            }
          }
          for (int i = next_id - static_cast<int>(received_.size()); i > 0; --i) {
            received_.push_back(from + static_cast<int64_t>(random() % kDay));
            election_.push_back(election);
          }
        }
      }
    }
  }

  // Every query the API accepts, over these records: each scope, each group
  // level, each election, several day windows and the minimum counts given.
  std::vector<v1::GetComplaintStatsRequest> Queries(const std::vector<int>& min_counts) const {
    std::vector<v1::GetComplaintStatsRequest> out;
    const std::vector<std::pair<int, int>> windows = {{-1, -1}, {0, 1}, {0, 2}, {1, 3}, {2, -1}, {-1, 3}, {3, 4}};
    for (const std::string scope : {"", "33", "34", "33.06", "33.74", "33.01", "34.71", "34.02"}) {
      for (auto group : {v1::REGION_LEVEL_UNSPECIFIED, v1::REGION_LEVEL_PROVINCE, v1::REGION_LEVEL_REGENCY}) {
        for (const std::string election : {"", "pemilu-2024", "pilkada-2024"}) {
          for (auto [after, before] : windows) {
            for (int min_count : min_counts) {
              v1::GetComplaintStatsRequest q;
              q.set_region_code(scope);
              q.set_group_by(group);
              q.set_election_id(election);
              if (after >= 0) *q.mutable_received_after() = TimeUtil::MicrosecondsToTimestamp(kFirstDay + after * kDay);
              if (before >= 0) {
                *q.mutable_received_before() = TimeUtil::MicrosecondsToTimestamp(kFirstDay + before * kDay);
              }
              q.set_min_count(min_count);
              out.push_back(q);
            }
          }
        }
      }
    }
    return out;
  }

  // As Complaints::Stats answers: the checked query, the store's filter
  // (ComplaintStore::StatRows, StageRows), the tally and the handler's mapping.
  StatsAnswer Answer(const v1::GetComplaintStatsRequest& request, const RecordKeys& keys) const {
    const StatsQuery query = ToQuery(request);
    auto checked = CheckStatsQuery(query, netra::testing::ShippedRegions(), 5);
    EXPECT_TRUE(checked.ok()) << request.ShortDebugString();
    auto in_scope = [&](const std::string& region, const std::string& election, int64_t at) {
      return (query.region_code.empty() || region.rfind(query.region_code + ".", 0) == 0) &&
             (query.election_id.empty() || election == query.election_id) &&
             (!query.received_after || at >= absl::ToUnixMicros(*query.received_after)) &&
             (!query.received_before || at < absl::ToUnixMicros(*query.received_before));
    };
    std::vector<StatRow> rows;
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (in_scope(rows_[i].region_code, election_[i], received_[i])) rows.push_back(rows_[i]);
    }
    std::vector<StageRow> stages;
    for (size_t i = 0; i < stages_.size(); ++i) {
      if (in_scope(stages_[i].region_code, stage_election_[i], stage_left_[i])) stages.push_back(stages_[i]);
    }
    StatsAnswer out{request, {}};
    ToProto(TallyStats(rows, stages, checked.value(), keys, netra::testing::ShippedRegions(),
                       absl::FromUnixSeconds(1800000000)),
            &out.response);
    return out;
  }

  std::vector<StatsAnswer> AnswerAll(const RecordKeys& keys, const std::vector<int>& min_counts = {0, 7}) const {
    std::vector<StatsAnswer> out;
    for (const auto& q : Queries(min_counts)) out.push_back(Answer(q, keys));
    return out;
  }

  std::vector<StatAtom> atoms_;
  std::vector<StatRow> rows_;
  std::vector<int64_t> received_;
  std::vector<std::string> election_;
  std::vector<StageRow> stages_;
  std::vector<int64_t> stage_left_;
  std::vector<std::string> stage_election_;
  RecordKeys keys_{std::string(32, 's')};
};

TEST_F(StatsAttackTest, NoSuppressedFigureIsRecoveredFromEveryAnswerTheApiGives) {
  // Every minimum from the service's (0) up past most cells' counts: were a
  // raised minimum compared with the true count, the flags would pin them.
  std::vector<int> min_counts = {0};
  for (int m = 6; m <= 30; ++m) min_counts.push_back(m);
  const std::vector<StatsAnswer> answers = AnswerAll(keys_, min_counts);
  const auto report = netra::testing::Attack(atoms_, answers);
  EXPECT_TRUE(report.unreadable.empty()) << "teach the attacker to read: " << report.unreadable.front();
  EXPECT_EQ(report.recovered, 0) << "recovered, e.g. " << report.recovered_figures.front();
  EXPECT_EQ(report.flags_informative, 0) << "raising min_count tells more than the published figures";
  // Suppression alone would not hold here: with the same figures published
  // exactly, the attacker solves for suppressed ones (the attack works).
  const auto exact = netra::testing::Attack(atoms_, answers, /*exact=*/true);
  EXPECT_GT(exact.recovered, 20);
  EXPECT_GT(report.determined, 20);
  std::cout << "attack: " << report.equations << " equations, " << report.suppressed << " suppressed figures, "
            << report.determined << " determined by the span, " << report.contradicted
            << " only with contradicting figures, " << report.recovered << " recovered; with exact figures "
            << exact.recovered << " recovered\n";
}

TEST_F(StatsAttackTest, EveryFamilyOfFiguresIsPerturbedWithinTwo) {
  for (const auto& [family, noise] : netra::testing::NoiseByFamily(atoms_, AnswerAll(keys_))) {
    SCOPED_TRACE(family);
    ASSERT_GE(noise.published, 20);
    EXPECT_LT(noise.equal, noise.published * 6 / 10);  // the table leaves 40% unchanged
    EXPECT_LE(noise.largest_offset, 2);
  }
}

TEST_F(StatsAttackTest, TheSameQuestionGetsTheSameAnswerAndTheKeyDecidesIt) {
  const std::vector<StatsAnswer> first = AnswerAll(keys_);
  const std::vector<StatsAnswer> again = AnswerAll(RecordKeys(std::string(32, 's')));
  const std::vector<StatsAnswer> other = AnswerAll(RecordKeys(std::string(32, 'x')));
  int different = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(first[i].response.SerializeAsString(), again[i].response.SerializeAsString())
        << first[i].request.ShortDebugString();
    different += first[i].response.SerializeAsString() != other[i].response.SerializeAsString();
  }
  EXPECT_GT(different, static_cast<int>(first.size()) / 2);
}

// Percentiles only where the stage's count is published: over at least the service's minimum.
TEST_F(StatsAttackTest, PercentilesOnlyWhereTheirCountIsPublished) {
  for (const StatsAnswer& answer : AnswerAll(keys_)) {
    for (const auto* region : [&] {
           std::vector<const v1::RegionComplaintStats*> all{&answer.response.total()};
           for (const auto& r : answer.response.regions()) all.push_back(&r);
           return all;
         }()) {
      for (const auto& stage : region->stage_times()) {
        if (stage.suppressed()) {
          EXPECT_FALSE(stage.has_p50());
          EXPECT_EQ(stage.sample_count(), 0);
        } else {
          EXPECT_TRUE(stage.has_p50());
          EXPECT_GE(stage.sample_count(), answer.response.min_count());
        }
      }
    }
  }
}

}  // namespace
}  // namespace netra::complaint

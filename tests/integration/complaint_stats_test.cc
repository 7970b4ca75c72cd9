// GetComplaintStats against real processes (issue 15): complaints with small
// cells in two provinces and four kab/kota, two elections and three periods,
// moved through the workflow so that stages are left; then the attacker
// (tests/support/stats_attacker.h) collects the answer to every scope, group
// level, election, window between the periods and minimum count, and tries
// to solve for each suppressed figure. The same questions get the same
// answers, across a restart too.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "tests/integration/complaint_stack_fixture.h"
#include "tests/integration/netra_stack.h"
#include "tests/support/stats_attacker.h"

namespace netra::testing {
namespace {

class ComplaintStatsTest : public ComplaintStackTest {
 protected:
  // As Bawaslu RI: every region.
  std::unique_ptr<v1::ComplaintService::Stub> National() {
    return v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, "bawaslu/ri"));
  }

  v1::Complaint Move(v1::Complaint c, v1::ComplaintAction action) {
    v1::TransitionComplaintRequest request;
    request.set_request_id(c.complaint_id() + "-" + std::to_string(action));
    request.set_complaint_id(c.complaint_id());
    request.set_action(action);
    request.set_expected_version(c.version());
    v1::TransitionComplaintResponse response;
    auto status = National()->TransitionComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  v1::GetComplaintStatsResponse Stats(const v1::GetComplaintStatsRequest& request) {
    v1::GetComplaintStatsResponse response;
    auto status = National()->GetComplaintStats(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << request.ShortDebugString() << ": " << status.error_message();
    response.clear_compute_time();
    return response;
  }
};

TEST_F(ComplaintStatsTest, NoSuppressedFigureIsRecoveredFromTheRunningService) {
  ASSERT_TRUE(stack_.UpsertDemoElection("pilkada-2024.json").ok());
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint, {"--stats-min-count=3"}));
  const std::string evidence = Evidence();
  const std::vector<std::string> regencies = {"33.74", "33.06", "34.71", "34.02"};
  const std::vector<std::string> elections = {"pemilu-2024", "pilkada-2024"};
  const std::vector<std::vector<std::string>> violations = {{"B2"}, {"A2"}, {"A2", "B2"}};
  std::mt19937 random(15);
  std::vector<StatAtom> atoms;
  auto count = [&atoms](const StatAtom& key) {  // one atom per combination
    for (StatAtom& a : atoms) {
      if (a.stage_row == key.stage_row && a.regency == key.regency && a.election_id == key.election_id &&
          a.from_us == key.from_us && a.status == key.status && a.violations == key.violations) {
        ++a.count;
        return;
      }
    }
    atoms.push_back(key);
    atoms.back().count = 1;
  };
  std::vector<absl::Time> bounds = {absl::Now()};
  int submitted = 0;
  for (int period = 0; period < 3; ++period) {
    const int64_t from = absl::ToUnixMicros(bounds.back());
    std::vector<StatAtom> pending;  // counted once the period's end is known
    for (const auto& regency : regencies) {
      for (const auto& election : elections) {
        for (int n = random() % 4; n > 0; --n) {
          auto request = Request("stats-" + std::to_string(submitted++), evidence);
          request.mutable_subject()->clear_employee_number();  // a name each: no clustering
          request.mutable_subject()->set_name("Pegawai Nomor " + std::to_string(submitted));
          request.mutable_act()->set_region_code(regency);
          request.mutable_act()->set_election_id(election);
          request.mutable_act()->clear_violation_codes();
          const auto& codes = violations[random() % violations.size()];
          for (const auto& code : codes) request.mutable_act()->add_violation_codes(code);
          v1::SubmitComplaintResponse response;
          auto status = National()->SubmitComplaint(Context().get(), request, &response);
          ASSERT_TRUE(status.ok()) << status.error_message();
          v1::Complaint c = response.complaint();
          ASSERT_EQ(c.status(), v1::COMPLAINT_STATUS_RECEIVED);
          StatAtom stage{true, regency, election, from, 0, "", {}, 0};
          const int moves = random() % 3;  // 0: received, 1: registered, 2: under review
          if (moves >= 1) {
            c = Move(c, v1::COMPLAINT_ACTION_REGISTER);
            stage.status = v1::ComplaintStatus_Name(v1::COMPLAINT_STATUS_RECEIVED);
            pending.push_back(stage);
          }
          if (moves >= 2) {
            c = Move(c, v1::COMPLAINT_ACTION_START_REVIEW);
            stage.status = v1::ComplaintStatus_Name(v1::COMPLAINT_STATUS_REGISTERED);
            pending.push_back(stage);
          }
          StatAtom complaint{false, regency, election, from, 0, v1::ComplaintStatus_Name(c.status()),
                             std::set<std::string>(codes.begin(), codes.end()), 0};
          pending.push_back(complaint);
        }
      }
    }
    bounds.push_back(absl::Now());
    for (StatAtom& atom : pending) {
      atom.to_us = absl::ToUnixMicros(bounds.back());
      count(atom);
    }
  }
  ASSERT_GT(submitted, 20);

  // Every question: scope, grouping, election, windows between the periods, minimum counts.
  auto stamp = [](absl::Time t) { return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); };
  std::vector<StatsAnswer> answers;
  const std::vector<std::pair<int, int>> windows = {{-1, -1}, {1, -1}, {-1, 2}, {1, 2}, {-1, 1}, {2, -1}};
  for (const std::string scope : {"", "33", "34", "33.74", "33.06", "34.71", "34.02"}) {
    for (auto group : {v1::REGION_LEVEL_UNSPECIFIED, v1::REGION_LEVEL_PROVINCE, v1::REGION_LEVEL_REGENCY}) {
      for (const std::string election : {"", "pemilu-2024", "pilkada-2024"}) {
        for (auto [after, before] : windows) {
          for (int min_count : {0, 4, 5, 6}) {
            v1::GetComplaintStatsRequest q;
            q.set_region_code(scope);
            q.set_group_by(group);
            q.set_election_id(election);
            if (after >= 0) *q.mutable_received_after() = stamp(bounds[after]);
            if (before >= 0) *q.mutable_received_before() = stamp(bounds[before]);
            q.set_min_count(min_count);
            answers.push_back({q, Stats(q)});
          }
        }
      }
    }
  }
  const AttackReport report = Attack(atoms, answers);
  EXPECT_TRUE(report.unreadable.empty()) << "teach the attacker to read: " << report.unreadable.front();
  EXPECT_EQ(report.recovered, 0) << "recovered, e.g. " << report.recovered_figures.front();
  EXPECT_EQ(report.flags_informative, 0) << "raising min_count tells more than the published figures";
  const AttackReport exact = Attack(atoms, answers, /*exact=*/true);
  EXPECT_GT(exact.recovered, 0) << "with exact figures the attack must work, or it proves nothing";
  std::cout << "attack: " << report.equations << " equations, " << report.suppressed << " suppressed, "
            << report.determined << " determined, " << report.contradicted << " contradicted, " << report.recovered
            << " recovered; with exact figures " << exact.recovered << " recovered\n";

  // The same question, the same answer: again, and after a restart (the key is the deployment's).
  for (size_t i = 0; i < answers.size(); i += 17) {
    EXPECT_EQ(Stats(answers[i].request).SerializeAsString(), answers[i].response.SerializeAsString());
  }
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint, {"--stats-min-count=3"}));
  for (size_t i = 0; i < answers.size(); i += 17) {
    EXPECT_EQ(Stats(answers[i].request).SerializeAsString(), answers[i].response.SerializeAsString())
        << answers[i].request.ShortDebugString();
  }
}

// The key is what keeps the noise from being undone: no key, or a short one, no service.
TEST_F(ComplaintStatsTest, TheServiceRefusesToStartWithoutAStatisticsKey) {
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  auto command = stack_.CommandLine(Service::kComplaint, stack_.address(Service::kComplaint),
                                    stack_.metrics_port(Service::kComplaint));
  std::erase_if(command, [](const std::string& arg) { return arg.starts_with("--stats-key-file="); });
  Subprocess without(command, stack_.dir().File("complaint-without-key.log"));
  ASSERT_TRUE(without.started());
  EXPECT_NE(without.Wait(15s).value_or(0), 0);
  EXPECT_NE(ReadFile(without.log_path()).find("--stats-key-file: required"), std::string::npos)
      << ReadFile(without.log_path());

  std::ofstream(stack_.stats_key_file(), std::ios::binary | std::ios::trunc) << std::string(16, 's');
  command.push_back("--stats-key-file=" + stack_.stats_key_file());
  Subprocess short_key(command, stack_.dir().File("complaint-short-key.log"));
  ASSERT_TRUE(short_key.started());
  EXPECT_NE(short_key.Wait(15s).value_or(0), 0);
  const std::string log = ReadFile(short_key.log_path());
  EXPECT_NE(log.find("the statistics key needs at least 32"), std::string::npos) << log;
  EXPECT_EQ(log.find(std::string(16, 's')), std::string::npos) << "the key is never logged";
}

}  // namespace
}  // namespace netra::testing

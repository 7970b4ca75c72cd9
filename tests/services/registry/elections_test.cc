// Tests for services/registry/elections.h over a real store (SQLite and PostgreSQL): validation
// with field paths, expected_version, request_id idempotency, listing.
#include "services/registry/elections.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "services/registry/election_store.h"
#include "services/registry/registry_store.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

Date D(int y, int m, int d) { return Date{y, m, d}; }

Election Pemilu2024() {
  Election e;
  e.election_id = "pemilu-2024";
  e.name = "Pemilihan Umum 2024";
  e.type = ElectionType::kPemilu;
  e.voting_date = D(2024, 2, 14);
  e.candidates_fixed_date = D(2023, 11, 13);
  e.campaign_start_date = D(2023, 11, 28);
  e.campaign_end_date = D(2024, 2, 10);
  e.quiet_period_start_date = D(2024, 2, 11);
  e.quiet_period_end_date = D(2024, 2, 13);
  e.rules.report_window = {7, DayCounting::kCalendarDays};
  e.rules.quiet_period_report_window_hours = 24;
  e.rules.handling = {7, DayCounting::kCalendarDays};
  e.rules.handling_extended = {14, DayCounting::kWorkingDays};
  e.rules.ppk_decision = {14, DayCounting::kWorkingDays};
  e.recommending_authority = {"KASN", "Komisi Aparatur Sipil Negara"};
  e.holidays = {{D(2024, 2, 14), "Hari Pemungutan Suara Pemilu 2024", HolidayKind::kVotingDay, ""},
                {D(2024, 8, 17), "Hari Kemerdekaan RI", HolidayKind::kNational, ""}};
  return e;
}

Election Pilkada(std::string id, std::string scope, Date voting) {
  Election e;
  e.election_id = std::move(id);
  e.name = "Pilkada " + e.election_id;
  e.type = ElectionType::kPilkada;
  e.scope_region_code = std::move(scope);
  e.voting_date = voting;
  e.rules.report_window = {7, DayCounting::kCalendarDays};
  e.recommending_authority = {"BKN", "Badan Kepegawaian Negara"};
  return e;
}

// field path -> reason of every violation of an INVALID_ARGUMENT error.
std::map<std::string, ViolationReason> Violated(const Error& error) {
  EXPECT_EQ(error.kind, Error::Kind::kInvalidArgument) << error.message;
  std::map<std::string, ViolationReason> out;
  for (const auto& v : error.violations.list()) out.emplace(v.field, v.reason);
  return out;
}

class ElectionsTest : public netra::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    url_ = NewStore();
    Open();
  }

  void Open() {
    elections_.reset();
    store_.reset();
    db_.reset();
    std::string error;
    db_ = Database::Open(url_, kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    store_ = std::make_unique<ElectionStore>(*db_);
    elections_ = std::make_unique<Elections>(*store_, netra::testing::ShippedRegions());
  }

  Result<ElectionUpsert> Upsert(const Election& e, int64_t expected, std::string request_id) {
    return elections_->Upsert(UpsertElectionCommand{std::move(request_id), e, expected}, kNow);
  }

  StoreUrl url_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ElectionStore> store_;
  std::unique_ptr<Elections> elections_;
};

TEST_P(ElectionsTest, CreatesAnElectionAndReadsItBackAsStored) {
  auto created = Upsert(Pemilu2024(), 0, "req-1");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created.value().result, ElectionChange::kCreated);
  EXPECT_EQ(created.value().election.version, 1);
  EXPECT_EQ(created.value().election.create_time, kNow);

  auto read = elections_->Get("pemilu-2024");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read.value().SameContent(Pemilu2024()));
  EXPECT_EQ(read.value().version, 1);
  EXPECT_EQ(read.value().update_time, kNow);
  EXPECT_EQ(read.value().rules.ppk_decision, (DeadlineRule{14, DayCounting::kWorkingDays}));
}

TEST_P(ElectionsTest, EveryProblemIsReportedWithItsFieldPathAndNothingIsStored) {
  Election e = Pemilu2024();
  e.election_id = "Pemilu 2024";
  e.name = "";
  e.type = static_cast<ElectionType>(9);
  e.scope_region_code = "33.99";
  e.voting_date = D(2023, 2, 29);
  e.campaign_start_date = D(2024, 2, 1);
  e.campaign_end_date = D(2024, 1, 1);
  e.quiet_period_end_date.reset();
  e.rules.report_window.days = 400;
  e.rules.ppk_decision.counting = DayCounting::kUnspecified;
  e.rules.quiet_period_report_window_hours = -1;
  e.recommending_authority.code = "kasn";
  e.holidays.push_back({D(2024, 8, 17), "Hari Kemerdekaan RI (lagi)", HolidayKind::kNational, ""});
  e.holidays.push_back({D(2024, 6, 1), "Hari jadi", HolidayKind::kRegional, ""});
  e.holidays.push_back({D(2024, 6, 2), "", static_cast<HolidayKind>(7), "99"});

  auto result = elections_->Upsert(UpsertElectionCommand{"", e, -1}, kNow);
  ASSERT_FALSE(result.ok());
  auto violated = Violated(result.error());
  const std::map<std::string, ViolationReason> expected = {
      {"request_id", ViolationReason::kRequired},
      {"election.election_id", ViolationReason::kInvalidFormat},
      {"election.name", ViolationReason::kRequired},
      {"election.type", ViolationReason::kOutOfRange},
      {"election.scope_region_code", ViolationReason::kNotFound},
      {"election.voting_date.day", ViolationReason::kOutOfRange},
      {"election.campaign_end_date", ViolationReason::kInconsistent},
      {"election.quiet_period_end_date", ViolationReason::kRequired},
      {"election.rules.report_window.days", ViolationReason::kOutOfRange},
      {"election.rules.ppk_decision.counting", ViolationReason::kRequired},
      {"election.rules.quiet_period_report_window_hours", ViolationReason::kOutOfRange},
      {"election.recommending_authority.code", ViolationReason::kInvalidFormat},
      {"election.holidays[2].date", ViolationReason::kInconsistent},
      {"election.holidays[3].region_code", ViolationReason::kRequired},
      {"election.holidays[4].name", ViolationReason::kRequired},
      {"election.holidays[4].kind", ViolationReason::kOutOfRange},
      {"election.holidays[4].region_code", ViolationReason::kNotFound},
      {"expected_version", ViolationReason::kOutOfRange},
  };
  for (const auto& [field, reason] : expected) {
    ASSERT_TRUE(violated.count(field)) << "no violation on " << field;
    EXPECT_EQ(violated[field], reason) << field;
  }
  EXPECT_EQ(result.error().violations.size(), expected.size());
  EXPECT_EQ(elections_->Get("pemilu-2024").error().kind, Error::Kind::kNotFound);
}

TEST_P(ElectionsTest, KeyDatesMustFollowTheElectionsOrder) {
  Election e = Pemilu2024();
  e.candidates_fixed_date = D(2023, 12, 1);      // after the campaign started
  e.quiet_period_start_date = D(2024, 2, 10);    // on the last campaign day
  e.quiet_period_end_date = D(2024, 2, 14);      // on voting day
  auto violated = Violated(Upsert(e, 0, "r").error());
  EXPECT_EQ(violated["election.campaign_start_date"], ViolationReason::kInconsistent);
  EXPECT_EQ(violated["election.quiet_period_start_date"], ViolationReason::kInconsistent);
  EXPECT_EQ(violated["election.quiet_period_end_date"], ViolationReason::kInconsistent);

  e = Pemilu2024();
  e.candidates_fixed_date.reset();
  e.campaign_start_date = D(2021, 11, 28);  // a typo'd year, far before voting
  violated = Violated(Upsert(e, 0, "r").error());
  EXPECT_EQ(violated["election.campaign_start_date"], ViolationReason::kOutOfRange);

  e = Pemilu2024();
  e.voting_date.reset();
  e.scope_region_code = "33.74.01";  // a kecamatan cannot hold an election
  violated = Violated(Upsert(e, 0, "r").error());
  EXPECT_EQ(violated["election.voting_date"], ViolationReason::kRequired);
  EXPECT_EQ(violated["election.scope_region_code"], ViolationReason::kUnsupported);
}

TEST_P(ElectionsTest, TextMustBeValidUtf8AndWithinTwoHundredCharacters) {
  Election e = Pemilu2024();
  std::string two_hundred;
  for (int i = 0; i < 200; ++i) two_hundred += "\xC3\xA9";  // é: 2 bytes, 1 character
  e.name = two_hundred;
  EXPECT_TRUE(Upsert(e, 0, "ok").ok());
  e.election_id = "pemilu-2029";
  e.name = two_hundred + "e";
  e.recommending_authority.name = "Badan \xC0\x80";  // overlong NUL
  e.holidays[0].name = "\xED\xA0\x80";                // a UTF-16 surrogate
  auto violated = Violated(Upsert(e, 0, "bad").error());
  EXPECT_EQ(violated["election.name"], ViolationReason::kTooLong);
  EXPECT_EQ(violated["election.recommending_authority.name"], ViolationReason::kInvalidFormat);
  EXPECT_EQ(violated["election.holidays[0].name"], ViolationReason::kInvalidFormat);

  e = Pemilu2024();
  e.election_id = "pemilu-2034";
  e.holidays.assign(kMaxHolidays + 1, e.holidays[0]);
  violated = Violated(Upsert(e, 0, "many").error());
  EXPECT_EQ(violated["election.holidays"], ViolationReason::kTooLong);
}

TEST_P(ElectionsTest, ExpectedVersionGuardsCreatesAndUpdates) {
  ASSERT_TRUE(Upsert(Pemilu2024(), 0, "create").ok());

  auto again = Upsert(Pemilu2024(), 0, "create-again");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::kAlreadyExists);

  Election changed = Pemilu2024();
  changed.recommending_authority = {"BKN", "Badan Kepegawaian Negara"};
  auto updated = Upsert(changed, 1, "update");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated.value().result, ElectionChange::kUpdated);
  EXPECT_EQ(updated.value().election.version, 2);

  auto stale = Upsert(Pemilu2024(), 1, "stale");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, Error::Kind::kAborted);
  EXPECT_EQ(stale.error().expected_version, 1);
  EXPECT_EQ(stale.error().current_version, 2);
  EXPECT_EQ(elections_->Get("pemilu-2024").value().recommending_authority.code, "BKN");

  auto same = Upsert(changed, 2, "same");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same.value().result, ElectionChange::kUnchanged);
  EXPECT_EQ(same.value().election.version, 2);

  auto missing = Upsert(Pilkada("pilkada-2024", "", D(2024, 11, 27)), 3, "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kAborted);
  EXPECT_EQ(missing.error().current_version, 0);
  EXPECT_EQ(elections_->Get("pilkada-2024").error().kind, Error::Kind::kNotFound);
}

TEST_P(ElectionsTest, ARetriedRequestIdReturnsTheFirstOutcomeAlsoAfterARestart) {
  auto first = Upsert(Pemilu2024(), 0, "req-42");
  ASSERT_TRUE(first.ok());
  Election changed = Pemilu2024();
  changed.name = "Pemilu 2024 (diubah)";
  ASSERT_TRUE(Upsert(changed, 1, "req-43").ok());

  Open();  // a new process on the same file
  auto retry = Upsert(Pemilu2024(), 0, "req-42");
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(retry.value().result, ElectionChange::kCreated);
  EXPECT_EQ(retry.value().election.version, 1);
  EXPECT_EQ(retry.value().election.name, "Pemilihan Umum 2024");
  EXPECT_EQ(elections_->Get("pemilu-2024").value().version, 2);  // the retry changed nothing

  auto reused = Upsert(changed, 0, "req-42");
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(Violated(reused.error())["request_id"], ViolationReason::kInconsistent);
  // The same election under another expected_version is another request too.
  EXPECT_FALSE(Upsert(Pemilu2024(), 2, "req-42").ok());
}

TEST_P(ElectionsTest, ListsNewestVotingDayFirstFilteredByTypeAndRegion) {
  ASSERT_TRUE(Upsert(Pemilu2024(), 0, "a").ok());
  ASSERT_TRUE(Upsert(Pilkada("pilkada-2024", "", D(2024, 11, 27)), 0, "b").ok());
  ASSERT_TRUE(Upsert(Pilkada("pilkada-jateng-2018", "33", D(2018, 6, 27)), 0, "c").ok());
  ASSERT_TRUE(Upsert(Pilkada("pilkada-semarang-2020", "33.74", D(2020, 12, 9)), 0, "d").ok());
  ASSERT_TRUE(Upsert(Pilkada("pilkada-diy-2020", "34.71", D(2020, 12, 9)), 0, "e").ok());

  auto ids = [&](ElectionQuery query) {
    std::vector<std::string> out;
    auto page = elections_->List(query);
    EXPECT_TRUE(page.ok());
    if (page.ok()) for (const auto& e : page.value().elections) out.push_back(e.election_id);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{"pilkada-2024", "pemilu-2024", "pilkada-diy-2020", "pilkada-semarang-2020",
                        "pilkada-jateng-2018"}));
  EXPECT_EQ(ids({ElectionType::kPemilu, "", 0, ""}), (V{"pemilu-2024"}));
  // A kecamatan of Kota Semarang is covered by national, Jawa Tengah and Kota Semarang elections.
  EXPECT_EQ(ids({ElectionType::kPilkada, "33.74.01", 0, ""}),
            (V{"pilkada-2024", "pilkada-semarang-2020", "pilkada-jateng-2018"}));
  EXPECT_EQ(ids({ElectionType::kUnspecified, "33", 0, ""}), (V{"pilkada-2024", "pemilu-2024", "pilkada-jateng-2018"}));

  // Paging one at a time visits every election once, in order.
  V paged;
  std::string token;
  do {
    auto page = elections_->List({ElectionType::kUnspecified, "", 1, token});
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page.value().elections.size(), 1u);
    paged.push_back(page.value().elections[0].election_id);
    token = page.value().next_page_token;
  } while (!token.empty());
  EXPECT_EQ(paged, ids({}));

  auto first = elections_->List({ElectionType::kUnspecified, "", 1, ""});
  auto other_filter = elections_->List({ElectionType::kPilkada, "", 1, first.value().next_page_token});
  EXPECT_EQ(Violated(other_filter.error())["page_token"], ViolationReason::kInconsistent);
  auto bad = elections_->List({static_cast<ElectionType>(5), "33.98", -1, "garbage!"});
  auto violated = Violated(bad.error());
  EXPECT_EQ(violated["type"], ViolationReason::kOutOfRange);
  EXPECT_EQ(violated["region_code"], ViolationReason::kNotFound);
  EXPECT_EQ(violated["page_size"], ViolationReason::kOutOfRange);
  EXPECT_EQ(violated["page_token"], ViolationReason::kInvalidFormat);
}

TEST_P(ElectionsTest, GetRejectsMalformedIdsAndReportsMissingOnes) {
  EXPECT_EQ(Violated(elections_->Get("").error())["election_id"], ViolationReason::kRequired);
  EXPECT_EQ(Violated(elections_->Get("../etc").error())["election_id"], ViolationReason::kInvalidFormat);
  auto missing = elections_->Get("pemilu-2029");
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
  EXPECT_EQ(missing.error().resource_type, "election");
}

TEST(ElectionCalendarTest, RegionalHolidaysApplyOnlyInTheirRegionAndBelow) {
  Election e = Pemilu2024();
  e.holidays.push_back({D(2024, 8, 19), "Hari jadi Provinsi Jawa Tengah", HolidayKind::kRegional, "33"});
  e.holidays.push_back({D(2024, 2, 15), "Hari jadi Kota Semarang", HolidayKind::kRegional, "33.74"});
  HolidayCalendar semarang = e.CalendarFor("33.74.01");
  EXPECT_TRUE(semarang.IsHoliday(absl::CivilDay(2024, 2, 14)));  // nationwide
  EXPECT_TRUE(semarang.IsHoliday(absl::CivilDay(2024, 8, 19)));  // province
  EXPECT_TRUE(semarang.IsHoliday(absl::CivilDay(2024, 2, 15)));  // city
  HolidayCalendar cilacap = e.CalendarFor("33.01");
  EXPECT_TRUE(cilacap.IsHoliday(absl::CivilDay(2024, 8, 19)));
  EXPECT_FALSE(cilacap.IsHoliday(absl::CivilDay(2024, 2, 15)));
  EXPECT_FALSE(e.CalendarFor("34").IsHoliday(absl::CivilDay(2024, 8, 19)));
  // Working days for a report in Semarang on Tue 13 Feb 2024: 14 and 15 Feb are off.
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 2, 13), {2, DayCounting::kWorkingDays}, semarang),
            absl::CivilDay(2024, 2, 19));
}

NETRA_STORE_BACKENDS(ElectionsTest);

}  // namespace
}  // namespace netra::registry

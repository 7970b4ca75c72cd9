// Tests for services/registry/party_screening.h over a real store (SQLite and PostgreSQL) with
// real employees: matching by NIK hash in both directions, per-record errors
// of an import, listing with filters and pages, and the resolution lifecycle.
#include "services/registry/party_screening.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "common/nik.h"
#include "services/registry/employee_store.h"
#include "services/registry/party_screening_store.h"
#include "services/registry/registry_store.h"
#include "tests/services/registry/registry_fixture.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

using testing::Staff;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

// NIKs of men born 1985-03-12 in Semarang Tengah (33.74.01): they agree with Staff().
std::string Nik(int serial) {
  char nik[17];
  std::snprintf(nik, sizeof nik, "337401120385%04d", serial);
  return nik;
}

class PartyScreeningTest : public testing::RegistryStoreTest {
 protected:
  void SetUp() override {
    RegistryStoreTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PartyScreeningStore>(*db_);
    screening_ = std::make_unique<PartyScreening>(*store_, *employees_, netra::testing::ShippedRegions());
  }


  PartyMember Member(int64_t row, const std::string& nik, std::string party, std::string region = "33.74") {
    std::string name = "Partai " + party;
    return PartyMember{row, hasher_.Hash(nik), std::move(party), std::move(name), std::move(region),
                       PartyRole::kMember};
  }

  PartyImportSummary Import(std::vector<PartyMember> members, std::string source = "SIPOL 2024-01-05") {
    auto import = screening_->StartImport(source, 0, kNow);
    EXPECT_TRUE(import.ok());
    for (auto& m : members) EXPECT_FALSE(import.value()->Add(std::move(m)).has_value());
    auto summary = import.value()->Finish();
    EXPECT_TRUE(summary.ok()) << summary.error().message;
    return summary.value();
  }

  std::vector<PartyMatch> List(MatchQuery query = {}) {
    auto page = screening_->List(query);
    EXPECT_TRUE(page.ok()) << page.error().message;
    return page.ok() ? page.value().matches : std::vector<PartyMatch>{};
  }

  static MatchQuery Q(MatchStatus status, std::string region = "", std::string agency = "", std::string party = "") {
    MatchQuery q;
    q.status = status;
    q.region_code = std::move(region);
    q.agency_code = std::move(agency);
    q.party_code = std::move(party);
    return q;
  }
  static ResolveMatchCommand Misuse(std::string request_id, std::string match_id) {
    ResolveMatchCommand c;
    c.request_id = std::move(request_id);
    c.match_id = std::move(match_id);
    c.resolution = MatchStatus::kIdentityMisuse;
    c.statement_reference = "SP/12/2024";
    c.statement_date = Date{2024, 1, 9};
    return c;
  }
  static ResolveMatchCommand Confirm(std::string request_id, std::string match_id, int64_t expected_version = 0) {
    ResolveMatchCommand c;
    c.request_id = std::move(request_id);
    c.match_id = std::move(match_id);
    c.resolution = MatchStatus::kConfirmedMember;
    c.expected_version = expected_version;
    return c;
  }
  Result<MatchResolution> Resolve(const ResolveMatchCommand& c) { return screening_->Resolve(c, "bkd-33/officer-2", kNow); }

  static std::set<std::string> Fields(const Violations& v) {
    std::set<std::string> out;
    for (const auto& f : v.list()) out.insert(f.field + ":" + std::string(ReasonName(f.reason)));
    return out;
  }

  std::unique_ptr<PartyScreeningStore> store_;
  std::unique_ptr<PartyScreening> screening_;
};

TEST_P(PartyScreeningTest, ImportMatchesStoredEmployeesAndRejectsBadRecordsOneByOne) {
  AddEmployee(Staff("S1", "PEMKOT-SMG", "BKPSDM", "33.74"), Nik(1));
  AddEmployee(Staff("S2", "PEMKOT-SMG", "DISDIK", "33.74"), Nik(2));
  AddEmployee(Staff("S3", "PEMKOT-SMG", "DISDIK", "33.74"), "");

  PartyMember short_hash = Member(3, Nik(5), "GOLKAR");
  short_hash.nik_hmac.pop_back();
  PartyMember no_party = Member(5, Nik(6), "");
  PartyMember bad_role = Member(6, Nik(7), "PKB");
  bad_role.role = static_cast<PartyRole>(9);
  auto s = Import({Member(1, Nik(1), "PDIP"), Member(2, Nik(9), "GOLKAR"), short_hash, Member(4, Nik(8), "PKS", "33.98"),
                   no_party, bad_role, Member(7, Nik(1), "PDIP"), Member(8, Nik(1), "GERINDRA")});

  EXPECT_EQ(s.received, 8);
  EXPECT_EQ(s.accepted, 3);  // S1 with two parties, and one stranger
  EXPECT_EQ(s.rejected, 5);
  EXPECT_EQ(s.matched, 2);
  EXPECT_EQ(s.new_matches, 2);
  EXPECT_EQ(s.new_by_province.at("33"), 2);
  ASSERT_EQ(s.row_errors.size(), 5u);
  EXPECT_EQ(s.row_errors[0].row_number, 3);
  EXPECT_EQ(Fields(s.row_errors[0].violations), std::set<std::string>{"nik_hmac:INVALID_FORMAT"});
  EXPECT_EQ(Fields(s.row_errors[1].violations), std::set<std::string>{"region_code:NOT_FOUND"});
  EXPECT_EQ(Fields(s.row_errors[2].violations), std::set<std::string>{"party_code:REQUIRED"});
  EXPECT_EQ(Fields(s.row_errors[3].violations), std::set<std::string>{"role:OUT_OF_RANGE"});
  EXPECT_EQ(s.row_errors[4].row_number, 7);  // the same person and party twice in one list
  EXPECT_EQ(Fields(s.row_errors[4].violations), std::set<std::string>{"nik_hmac:INCONSISTENT"});

  auto matches = List();
  ASSERT_EQ(matches.size(), 2u);
  for (const auto& m : matches) {
    EXPECT_EQ(m.employee_id, "PEMKOT-SMG:S1");
    EXPECT_EQ(m.status, MatchStatus::kOpen);
    EXPECT_EQ(m.version, 1);
    EXPECT_EQ(m.source_name, "SIPOL 2024-01-05");
    ASSERT_TRUE(m.employee.has_value());
    EXPECT_EQ(m.employee->work_region_code, "33.74");
  }
  EXPECT_EQ((std::set<std::string>{matches[0].party_code, matches[1].party_code}),
            (std::set<std::string>{"PDIP", "GERINDRA"}));
  EXPECT_EQ(matches[0].role, PartyRole::kMember);

  // The same list again refreshes the records and finds nothing new.
  auto again = Import({Member(1, Nik(1), "PDIP"), Member(2, Nik(9), "GOLKAR")});
  EXPECT_EQ(again.accepted, 2);
  EXPECT_EQ(again.matched, 1);
  EXPECT_EQ(again.new_matches, 0);
  EXPECT_EQ(List().size(), 2u);
}

TEST_P(PartyScreeningTest, EmployeesStoredAfterTheMemberListAreMatchedToo) {
  auto s = Import({Member(1, Nik(3), "PAN"), Member(2, Nik(4), "NASDEM")});
  EXPECT_EQ(s.matched, 0);
  EXPECT_TRUE(List().empty());

  // A new employee with a listed NIK is matched when matches are next listed.
  AddEmployee(Staff("N1", "PEMKOT-SMG", "BKPSDM", "33.74"), Nik(3));
  AddEmployee(Staff("N2", "PEMKAB-CLP", "BKPSDM", "33.01"), "");
  auto matches = List();
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].employee_id, "PEMKOT-SMG:N1");
  EXPECT_EQ(matches[0].party_code, "PAN");
  EXPECT_EQ(matches[0].party_name, "Partai PAN");
  EXPECT_EQ(matches[0].source_name, "SIPOL 2024-01-05");
  EXPECT_EQ(List().size(), 1u);  // once

  // An employee on file given a listed NIK later is found when the list is imported again.
  AddEmployee(Staff("N2", "PEMKAB-CLP", "BKPSDM", "33.01"), Nik(4), 1);
  AddEmployee(Staff("N1", "PEMKOT-SMG", "DISDIK", "33.74"), "", 1);
  EXPECT_EQ(List().size(), 1u);
  auto again = Import({Member(1, Nik(3), "PAN"), Member(2, Nik(4), "NASDEM")}, "SIPOL 2024-02-01");
  EXPECT_EQ(again.matched, 2);
  EXPECT_EQ(again.new_matches, 1);
  std::set<std::string> found;
  for (const auto& m : List()) found.insert(m.employee_id + "/" + m.party_code + "/" + m.source_name);
  EXPECT_EQ(found, (std::set<std::string>{"PEMKOT-SMG:N1/PAN/SIPOL 2024-01-05",
                                          "PEMKAB-CLP:N2/NASDEM/SIPOL 2024-02-01"}));
}

TEST_P(PartyScreeningTest, ListsByStatusRegionAgencyAndPartyInStablePages) {
  AddEmployee(Staff("A", "PEMKOT-SMG", "BKPSDM", "33.74"), Nik(1));
  AddEmployee(Staff("B", "PEMKAB-CLP", "BKPSDM", "33.01"), Nik(2));
  AddEmployee(Staff("C", "PEMPROV-DKI", "BKD", "31.71"), Nik(3));
  Import({Member(1, Nik(1), "PDIP"), Member(2, Nik(2), "PDIP"), Member(3, Nik(3), "GOLKAR"),
          Member(4, Nik(1), "GOLKAR")});

  auto ids = [](const std::vector<PartyMatch>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.employee_id + "/" + m.party_code);
    return out;
  };
  EXPECT_EQ(ids(List(Q(MatchStatus::kUnspecified, "33"))),
            (std::vector<std::string>{"PEMKOT-SMG:A/PDIP", "PEMKAB-CLP:B/PDIP", "PEMKOT-SMG:A/GOLKAR"}));
  EXPECT_EQ(ids(List(Q(MatchStatus::kUnspecified, "31.71"))), std::vector<std::string>{"PEMPROV-DKI:C/GOLKAR"});
  EXPECT_EQ(ids(List(Q(MatchStatus::kUnspecified, "", "PEMKAB-CLP"))), std::vector<std::string>{"PEMKAB-CLP:B/PDIP"});
  EXPECT_EQ(ids(List(Q(MatchStatus::kUnspecified, "", "", "GOLKAR"))),
            (std::vector<std::string>{"PEMPROV-DKI:C/GOLKAR", "PEMKOT-SMG:A/GOLKAR"}));

  // Pages of one: every match once, in order, also with a match created between pages.
  MatchQuery q;
  q.page_size = 1;
  std::vector<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    auto page = screening_->List(q);
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const auto& m : page.value().matches) seen.push_back(m.employee_id + "/" + m.party_code);
    if (i == 0) Import({Member(1, Nik(3), "PKB")}, "SIPOL 2024-02-01");
    if (page.value().next_page_token.empty()) break;
    q.page_token = page.value().next_page_token;
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen.back(), "PEMPROV-DKI:C/PKB");

  // Resolved ones leave the open list.
  auto first = List().front();
  ASSERT_TRUE(Resolve(Confirm("r-1", first.match_id())).ok());
  EXPECT_EQ(List(Q(MatchStatus::kOpen)).size(), 4u);
  EXPECT_EQ(ids(List(Q(MatchStatus::kConfirmedMember))), std::vector<std::string>{"PEMKOT-SMG:A/PDIP"});

  // A token is bound to its filters; filters are checked.
  MatchQuery other{MatchStatus::kOpen, "", "", "", 1, ""};
  auto page = screening_->List(other);
  ASSERT_TRUE(page.ok());
  other.party_code = "PDIP";
  other.page_token = page.value().next_page_token;
  auto refused = screening_->List(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(Fields(refused.error().violations), std::set<std::string>{"page_token:INCONSISTENT"});
  MatchQuery malformed = Q(static_cast<MatchStatus>(7), "33.98", "bad agency");
  malformed.page_size = -1;
  auto bad = screening_->List(malformed);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(Fields(bad.error().violations),
            (std::set<std::string>{"status:OUT_OF_RANGE", "region_code:NOT_FOUND", "agency_code:INVALID_FORMAT",
                                   "page_size:OUT_OF_RANGE"}));
}

TEST_P(PartyScreeningTest, ResolvesOnceEitherWayAndSaysWhatIsAllowedAfterwards) {
  AddEmployee(Staff("A", "PEMKOT-SMG", "BKPSDM", "33.74"), Nik(1));
  Import({Member(1, Nik(1), "PDIP"), Member(2, Nik(1), "GOLKAR")});
  auto matches = List();
  ASSERT_EQ(matches.size(), 2u);
  const std::string member = matches[0].match_id(), misused = matches[1].match_id();

  auto confirmed = Resolve(Confirm("r-member", member, 1));
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().message;
  EXPECT_FALSE(confirmed.value().replayed);
  EXPECT_EQ(confirmed.value().match.status, MatchStatus::kConfirmedMember);
  EXPECT_EQ(confirmed.value().match.version, 2);
  EXPECT_EQ(confirmed.value().match.resolved_by, "bkd-33/officer-2");
  EXPECT_EQ(confirmed.value().match.resolve_time, kNow);
  ASSERT_TRUE(confirmed.value().match.employee.has_value());

  // A retry is answered with the first outcome; other content under its id is refused.
  auto retry = Resolve(Confirm("r-member", member, 1));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry.value().replayed);
  EXPECT_EQ(retry.value().match.version, 2);
  auto reused = Resolve(Confirm("r-member", misused, 1));
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(Fields(reused.error().violations), std::set<std::string>{"request_id:INCONSISTENT"});

  // Once resolved, nothing more is allowed.
  auto again = Resolve(Misuse("r-again", member));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::kFailedPrecondition);
  EXPECT_EQ(again.error().state, "PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER");
  EXPECT_EQ(again.error().action, "PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE");
  EXPECT_TRUE(again.error().allowed.empty());

  // Identity misuse needs the statement; a stale version is ABORTED.
  ResolveMatchCommand missing = Misuse("r-misuse", misused);
  missing.statement_reference.clear();
  missing.statement_date.reset();
  auto refused = Resolve(missing);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(Fields(refused.error().violations),
            (std::set<std::string>{"statement_reference:REQUIRED", "statement_date:REQUIRED"}));
  ResolveMatchCommand stale = Misuse("r-stale", misused);
  stale.expected_version = 3;
  auto aborted = Resolve(stale);
  ASSERT_FALSE(aborted.ok());
  EXPECT_EQ(aborted.error().kind, Error::Kind::kAborted);
  EXPECT_EQ(aborted.error().current_version, 1);

  auto misuse = Resolve(Misuse("r-misuse", misused));
  ASSERT_TRUE(misuse.ok()) << misuse.error().message;
  EXPECT_EQ(misuse.value().match.status, MatchStatus::kIdentityMisuse);
  EXPECT_EQ(misuse.value().match.statement_reference, "SP/12/2024");
  ASSERT_TRUE(misuse.value().match.statement_date.has_value());
  EXPECT_EQ(misuse.value().match.statement_date->Iso(), "2024-01-09");
  auto stored = List(Q(MatchStatus::kIdentityMisuse));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].statement_date->Iso(), "2024-01-09");
  auto confirm_after = Resolve(Confirm("r-late", misused));
  ASSERT_FALSE(confirm_after.ok());
  EXPECT_EQ(confirm_after.error().state, "PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE");
}

TEST_P(PartyScreeningTest, RefusesMalformedResolutionsWithEveryFieldAndUnknownMatches) {
  ResolveMatchCommand c;
  c.request_id = "bad id!";
  c.match_id = "match-1";
  c.resolution = MatchStatus::kOpen;
  c.note = std::string(2001, 'x');
  c.expected_version = -1;
  auto r = Resolve(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Fields(r.error().violations),
            (std::set<std::string>{"request_id:INVALID_FORMAT", "match_id:INVALID_FORMAT", "resolution:OUT_OF_RANGE",
                                   "note:TOO_LONG", "expected_version:OUT_OF_RANGE"}));

  ResolveMatchCommand confirm = Confirm("r-1", "pm-1");
  confirm.statement_reference = "SP/1";
  EXPECT_EQ(Fields(Resolve(confirm).error().violations), std::set<std::string>{"statement_reference:INCONSISTENT"});
  ResolveMatchCommand future = Misuse("r-2", "pm-1");
  future.statement_date = Date{2999, 1, 1};
  EXPECT_EQ(Fields(Resolve(future).error().violations), std::set<std::string>{"statement_date:OUT_OF_RANGE"});

  auto missing = Resolve(Confirm("r-3", "pm-42"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
  EXPECT_EQ(missing.error().resource_name, "pm-42");
}

TEST_P(PartyScreeningTest, ImportSettingsAreValidated) {
  auto r = screening_->StartImport(std::string(201, 'a'), 10001, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(Fields(r.error().violations),
            (std::set<std::string>{"source_name:TOO_LONG", "max_row_errors:OUT_OF_RANGE"}));
}

NETRA_STORE_BACKENDS(PartyScreeningTest);
}  // namespace
}  // namespace netra::registry

// Tests for services/registry/prevention.h over a real store (SQLite and PostgreSQL) holding
// real employees and elections: pledge validation with field paths,
// idempotency and uniqueness, and coverage arithmetic on a small data set.
#include "services/registry/prevention.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "common/nik.h"
#include "services/registry/election_store.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/prevention_store.h"
#include "services/registry/registry_store.h"
#include "tests/services/registry/registry_fixture.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
constexpr char kNip[] = "198503122010011001";
constexpr char kNiPppk[] = "198805152023012005";

using testing::Staff;

Election MakeElection(std::string id, ElectionType type, std::string scope) {
  Election e;
  e.election_id = std::move(id);
  e.name = "Pemilihan " + e.election_id;
  e.type = type;
  e.scope_region_code = std::move(scope);
  e.voting_date = Date{2024, 2, 14};
  e.rules.report_window = {7, DayCounting::kCalendarDays};
  e.recommending_authority = {"KASN", "Komisi Aparatur Sipil Negara"};
  return e;
}

CoverageQuery For(std::string election_id, std::string agency_code = "") {
  CoverageQuery q;
  q.election_id = std::move(election_id);
  q.agency_code = std::move(agency_code);
  return q;
}

std::set<std::string> Problems(const Error& error) {
  EXPECT_EQ(error.kind, Error::Kind::kInvalidArgument) << error.message;
  std::set<std::string> out;
  for (const auto& v : error.violations.list()) out.insert(v.field + ":" + std::string(ReasonName(v.reason)));
  return out;
}

class PreventionTest : public testing::RegistryStoreTest {
 protected:
  void SetUp() override {
    RegistryStoreTest::SetUp();
    if (HasFatalFailure()) return;
    election_store_ = std::make_unique<ElectionStore>(*db_);
    elections_ = std::make_unique<Elections>(*election_store_, netra::testing::ShippedRegions());
    store_ = std::make_unique<PreventionStore>(*db_);
    prevention_ = std::make_unique<Prevention>(*store_, *elections_, netra::testing::ShippedRegions());

    AddElection(MakeElection("pemilu-2024", ElectionType::kPemilu, ""));
    AddElection(MakeElection("pilkada-jateng-2024", ElectionType::kPilkada, "33"));
    // Active: three in Jawa Tengah, one in Jakarta; one retired in Semarang.
    AddEmployee(Staff("S1", "PEMKOT-SMG", "BKPSDM", "33.74"));
    AddEmployee(Staff("S2", "PEMKOT-SMG", "DISDIK", "33.74"));
    AddEmployee(Staff("C1", "PEMKAB-CLP", "BKPSDM", "33.01"));
    AddEmployee(Staff("J1", "PEMPROV-DKI", "BKD", "31.71"));
    AddEmployee(Staff("R1", "PEMKOT-SMG", "BKPSDM", "33.74", EmploymentStatus::kRetired));
  }

  void AddElection(const Election& e) {
    auto r = elections_->Upsert(UpsertElectionCommand{"el-" + e.election_id, e, 0}, kNow);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  static RecordPledgeCommand Command(std::string request_id, std::string employee_id, PledgeKind kind,
                                     std::string election_id = "pemilu-2024") {
    RecordPledgeCommand c;
    c.request_id = std::move(request_id);
    c.pledge.employee_id = std::move(employee_id);
    c.pledge.election_id = std::move(election_id);
    c.pledge.kind = kind;
    c.pledge.signed_date = Date{2024, 1, 10};
    c.has_signed_date = true;
    c.pledge.document_sha256 = std::string(32, '\x5a');
    c.pledge.document_reference = "800/123/2024";
    return c;
  }
  Result<Pledge> Record(const RecordPledgeCommand& c) { return prevention_->RecordPledge(c, "officer-1", kNow); }

  int64_t PledgeRows() {
    return db_->Read([](Connection& c) {
      auto s = c.Prepare("SELECT COUNT(*) FROM pledges");
      s.Step();
      return s.ColumnInt64(0);
    });
  }

  std::unique_ptr<ElectionStore> election_store_;
  std::unique_ptr<Elections> elections_;
  std::unique_ptr<PreventionStore> store_;
  std::unique_ptr<Prevention> prevention_;
};

TEST_P(PreventionTest, RecordsAPledgeOnceAndARetryReturnsTheFirstOutcome) {
  auto first = Record(Command("p-1", "PEMKOT-SMG:S1", PledgeKind::kIkrar));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first.value().pledge_id.empty());
  EXPECT_EQ(first.value().recorded_by, "officer-1");
  EXPECT_EQ(first.value().record_time, kNow);

  auto retry = prevention_->RecordPledge(Command("p-1", "PEMKOT-SMG:S1", PledgeKind::kIkrar), "other",
                                         kNow + absl::Hours(1));
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ(retry.value().pledge_id, first.value().pledge_id);
  EXPECT_EQ(retry.value().record_time, kNow);
  EXPECT_EQ(retry.value().document_sha256, std::string(32, '\x5a'));

  // The same request id with other content is refused.
  auto reused = Record(Command("p-1", "PEMKOT-SMG:S2", PledgeKind::kIkrar));
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(Problems(reused.error()), (std::set<std::string>{"request_id:INCONSISTENT"}));

  // A second pledge of the same kind is ALREADY_EXISTS; another kind is fine.
  auto again = Record(Command("p-2", "PEMKOT-SMG:S1", PledgeKind::kIkrar));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::kAlreadyExists);
  EXPECT_EQ(again.error().resource_name, first.value().pledge_id);
  EXPECT_TRUE(Record(Command("p-3", "PEMKOT-SMG:S1", PledgeKind::kIntegrityPact)).ok());
  EXPECT_EQ(PledgeRows(), 2);
}

TEST_P(PreventionTest, EveryProblemIsReportedWithItsFieldPathAndNothingIsStored) {
  RecordPledgeCommand c = Command("", "PEMKOT SMG", static_cast<PledgeKind>(7));
  c.pledge.signed_date = Date{2023, 2, 29};
  c.pledge.document_sha256 = std::string(31, 'x');
  c.pledge.document_reference = std::string(201, 'r');
  auto result = Record(c);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(Problems(result.error()),
            (std::set<std::string>{"request_id:REQUIRED", "employee_id:INVALID_FORMAT", "kind:OUT_OF_RANGE",
                                   "signed_date.day:OUT_OF_RANGE", "document_sha256:INVALID_FORMAT",
                                   "document_reference:TOO_LONG"}));

  RecordPledgeCommand late = Command("p-late", "PEMKOT-SMG:S1", PledgeKind::kUnspecified);
  late.pledge.signed_date = Date{2024, 2, 15};  // after the voting day
  late.pledge.document_sha256.clear();
  late.pledge.document_reference = "\xff\xfe";
  EXPECT_EQ(Problems(Record(late).error()),
            (std::set<std::string>{"kind:REQUIRED", "signed_date:OUT_OF_RANGE", "document_sha256:REQUIRED",
                                   "document_reference:INVALID_FORMAT"}));

  RecordPledgeCommand undated = Command("p-undated", "PEMKOT-SMG:S1", PledgeKind::kIkrar);
  undated.has_signed_date = false;
  EXPECT_EQ(Problems(Record(undated).error()), (std::set<std::string>{"signed_date:REQUIRED"}));
  EXPECT_EQ(PledgeRows(), 0);
}

TEST_P(PreventionTest, AnIdTheRegistryCannotHoldIsInvalidNotUnknown) {
  // The registry derives every id as an 18-digit NIP / NI PPPK or
  // <agency_code>:<agency_staff_id> (employee_validation.h); anything else is
  // the client's mistake, as for GetEmployee.
  for (const char* id : {"12345", "PEMKOT-SMG:", ":S1", "PEMKOT-SMG:S1:x", "1234567890123456789"}) {
    EXPECT_EQ(Problems(Record(Command("p-1", id, PledgeKind::kIkrar)).error()),
              (std::set<std::string>{"employee_id:INVALID_FORMAT"}))
        << id;
  }
  EXPECT_EQ(PledgeRows(), 0);
}

TEST_P(PreventionTest, UnknownEmployeeOrElectionIsNotFound) {
  auto no_employee = Record(Command("p-1", "PEMKOT-SMG:NOBODY", PledgeKind::kIkrar));
  ASSERT_FALSE(no_employee.ok());
  EXPECT_EQ(no_employee.error().kind, Error::Kind::kNotFound);
  EXPECT_EQ(no_employee.error().resource_type, "employee");

  auto no_election = Record(Command("p-2", "PEMKOT-SMG:S1", PledgeKind::kIkrar, "pemilu-2029"));
  ASSERT_FALSE(no_election.ok());
  EXPECT_EQ(no_election.error().kind, Error::Kind::kNotFound);
  EXPECT_EQ(no_election.error().resource_type, "election");
  EXPECT_EQ(PledgeRows(), 0);
}

class CoverageTest : public PreventionTest {
 protected:
  void SetUp() override {
    PreventionTest::SetUp();
    ASSERT_TRUE(Record(Command("p-1", "PEMKOT-SMG:S1", PledgeKind::kIkrar)).ok());
    ASSERT_TRUE(Record(Command("p-2", "PEMKOT-SMG:S1", PledgeKind::kIntegrityPact)).ok());  // counted once
    ASSERT_TRUE(Record(Command("p-3", "PEMKAB-CLP:C1", PledgeKind::kIntegrityPact)).ok());
    ASSERT_TRUE(Record(Command("p-4", "PEMKOT-SMG:R1", PledgeKind::kIkrar)).ok());  // retired: not counted
    ASSERT_TRUE(Record(Command("p-5", "PEMPROV-DKI:J1", PledgeKind::kIkrar, "pilkada-jateng-2024")).ok());
  }

  CoverageReport Coverage(CoverageQuery q) {
    auto r = prevention_->GetCoverage(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : CoverageReport{};
  }
  // "key=employees/pledged" of each group.
  static std::vector<std::string> Groups(const CoverageReport& r) {
    std::vector<std::string> out;
    for (const auto& g : r.groups) out.push_back(g.group_key + "=" + std::to_string(g.employees) + "/" +
                                                 std::to_string(g.pledged));
    return out;
  }
};

TEST_P(CoverageTest, CountsActiveEmployeesAndThoseWithAPledgeOfTheKind) {
  CoverageReport any = Coverage(For("pemilu-2024"));
  EXPECT_EQ(any.total.employees, 4);
  EXPECT_EQ(any.total.pledged, 2);
  EXPECT_DOUBLE_EQ(any.total.ratio, 0.5);
  EXPECT_TRUE(any.groups.empty());

  CoverageQuery ikrar = For("pemilu-2024");
  ikrar.kind = PledgeKind::kIkrar;
  EXPECT_EQ(Coverage(ikrar).total.pledged, 1);

  CoverageQuery by_region = For("pemilu-2024");
  by_region.group_by = CoverageGrouping::kRegion;
  CoverageReport provinces = Coverage(by_region);
  EXPECT_EQ(Groups(provinces), (std::vector<std::string>{"31=1/0", "33=3/2"}));
  EXPECT_EQ(provinces.groups[1].group_name, "Jawa Tengah");
  EXPECT_DOUBLE_EQ(provinces.groups[1].ratio, 2.0 / 3);
  EXPECT_DOUBLE_EQ(provinces.groups[0].ratio, 0);

  by_region.region_code = "33";
  EXPECT_EQ(Groups(Coverage(by_region)), (std::vector<std::string>{"33.01=1/1", "33.74=2/1"}));

  CoverageQuery by_agency = For("pemilu-2024");
  by_agency.group_by = CoverageGrouping::kAgency;
  CoverageReport agencies = Coverage(by_agency);
  EXPECT_EQ(Groups(agencies), (std::vector<std::string>{"PEMKAB-CLP=1/1", "PEMKOT-SMG=2/1", "PEMPROV-DKI=1/0"}));
  EXPECT_EQ(agencies.groups[1].group_name, "Nama PEMKOT-SMG");

  CoverageQuery by_unit = For("pemilu-2024", "PEMKOT-SMG");
  by_unit.group_by = CoverageGrouping::kUnit;
  EXPECT_EQ(Groups(Coverage(by_unit)), (std::vector<std::string>{"BKPSDM=1/1", "DISDIK=1/0"}));
}

TEST_P(CoverageTest, GroupsArePagedByKeyAndTokensAreBoundToTheFilters) {
  CoverageQuery q = For("pemilu-2024");
  q.group_by = CoverageGrouping::kAgency;
  q.page_size = 2;
  CoverageReport first = Coverage(q);
  EXPECT_EQ(Groups(first), (std::vector<std::string>{"PEMKAB-CLP=1/1", "PEMKOT-SMG=2/1"}));
  ASSERT_FALSE(first.next_page_token.empty());
  q.page_token = first.next_page_token;
  CoverageReport second = Coverage(q);
  EXPECT_EQ(Groups(second), (std::vector<std::string>{"PEMPROV-DKI=1/0"}));
  EXPECT_TRUE(second.next_page_token.empty());
  EXPECT_EQ(second.total.employees, 4);

  q.kind = PledgeKind::kIkrar;  // other filters: the token does not apply
  EXPECT_EQ(Problems(prevention_->GetCoverage(q).error()), (std::set<std::string>{"page_token:INCONSISTENT"}));
}

TEST_P(CoverageTest, TheElectionsScopeBoundsTheEmployeesCounted) {
  CoverageQuery q = For("pilkada-jateng-2024");
  q.group_by = CoverageGrouping::kRegion;
  CoverageReport report = Coverage(q);
  EXPECT_EQ(report.total.employees, 3);  // Jakarta is outside the scope
  EXPECT_EQ(report.total.pledged, 0);    // the pledges were for Pemilu
  EXPECT_EQ(Groups(report), (std::vector<std::string>{"33.01=1/0", "33.74=2/0"}));

  q.region_code = "31";
  EXPECT_EQ(Problems(prevention_->GetCoverage(q).error()), (std::set<std::string>{"region_code:INCONSISTENT"}));
}

TEST_P(CoverageTest, BadFiltersAreInvalidAndAnUnknownElectionIsNotFound) {
  CoverageQuery bad = For("Pemilu 2024");
  bad.region_code = "99";
  bad.unit_code = "BKPSDM";
  bad.group_by = static_cast<CoverageGrouping>(9);
  bad.kind = static_cast<PledgeKind>(5);
  bad.page_size = -1;
  EXPECT_EQ(Problems(prevention_->GetCoverage(bad).error()),
            (std::set<std::string>{"election_id:INVALID_FORMAT", "region_code:NOT_FOUND", "unit_code:INCONSISTENT",
                                   "group_by:OUT_OF_RANGE", "kind:OUT_OF_RANGE", "page_size:OUT_OF_RANGE"}));
  CoverageQuery units = For("pemilu-2024");
  units.group_by = CoverageGrouping::kUnit;
  EXPECT_EQ(Problems(prevention_->GetCoverage(units).error()), (std::set<std::string>{"agency_code:REQUIRED"}));
  auto missing = prevention_->GetCoverage(For("pemilu-2029"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
}

NETRA_STORE_BACKENDS(PreventionTest);
NETRA_STORE_BACKENDS(CoverageTest);
}  // namespace
}  // namespace netra::registry

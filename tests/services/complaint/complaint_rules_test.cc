// Tests for the complaint domain's plain rules: the workflow table and its
// document, submission validation, the formal and material check, deadlines,
// subject resolution and media type detection.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/time/civil_time.h"
#include "common/regions.h"
#include "services/complaint/intake.h"
#include "services/complaint/evidence.h"
#include "services/complaint/clustering.h"
#include "services/complaint/reporter.h"
#include "services/complaint/workflow.h"
#include "tests/services/complaint/complaint_test_support.h"
#include "tests/support/test_support.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;
using netra::testing::ReadFile;
using netra::testing::ShippedRegions;
using namespace netra::complaint::testing;

// ---------------------------------------------------------------------------
// Workflow table

TEST(ComplaintWorkflowTest, DocumentMatchesTheTable) {
  const std::string path = std::string(NETRA_SOURCE_DIR) + "/docs/complaint-workflow.md";
  const std::string expected = WorkflowMarkdown();
  if (ReadFile(path) != expected) {
    std::ofstream(path + ".expected") << expected;
    FAIL() << path << " differs from kWorkflowRows; the rendered table is in " << path << ".expected";
  }
}

TEST(ComplaintWorkflowTest, TheIssuesPathIsAllowed) {
  using S = Status;
  const std::vector<std::tuple<S, Action, S>> path = {
      {S::kReceived, Action::kRequestCompletion, S::kIncomplete},
      {S::kIncomplete, Action::kComplete, S::kCompleted},
      {S::kCompleted, Action::kRegister, S::kRegistered},
      {S::kRegistered, Action::kStartReview, S::kUnderReview},
      {S::kUnderReview, Action::kExtendHandling, S::kUnderReview},
      {S::kUnderReview, Action::kForward, S::kForwarded},
      {S::kForwarded, Action::kRecordOutcome, S::kClosed},
  };
  for (const auto& [from, action, to] : path) {
    SCOPED_TRACE(ActionName(action));
    ASSERT_EQ(NextStatus(from, action), to);
  }
}

TEST(ComplaintWorkflowTest, WithdrawOnlyBeforeRegistration) {
  for (int s = static_cast<int>(Status::kReceived); s <= static_cast<int>(Status::kDismissed); ++s) {
    auto status = static_cast<Status>(s);
    const bool before_registration =
        status == Status::kReceived || status == Status::kIncomplete || status == Status::kCompleted;
    EXPECT_EQ(NextStatus(status, Action::kWithdraw).has_value(), before_registration) << Name(status);
  }
}

TEST(ComplaintWorkflowTest, TerminalStatesAllowNothingButALaterOutcome) {
  for (Status s : {Status::kRejected, Status::kWithdrawn, Status::kDismissed}) {
    EXPECT_TRUE(IsTerminal(s));
    EXPECT_TRUE(kWorkflow.IsTerminal(s));
    EXPECT_TRUE(AllowedActions(s).empty()) << Name(s);
  }
  EXPECT_TRUE(IsTerminal(Status::kClosed));
  EXPECT_EQ(AllowedActions(Status::kClosed), std::vector<std::string>{"RecordOutcome"});
}

TEST(ComplaintWorkflowTest, EachStateActionPairAppearsOnceAndActionsNameTheApi) {
  std::set<std::pair<int, int>> seen;
  for (const WorkflowTransition& t : kWorkflow.rows()) {
    EXPECT_TRUE(seen.insert({static_cast<int>(t.from), static_cast<int>(t.action)}).second) << Name(t.from);
    if (t.action != Action::kRecordOutcome) {
      EXPECT_TRUE(v1::ComplaintAction_IsValid(static_cast<int>(t.action)));
      EXPECT_EQ(ActionName(t.action), v1::ComplaintAction_Name(static_cast<v1::ComplaintAction>(t.action)));
    }
    EXPECT_EQ(Name(t.from), v1::ComplaintStatus_Name(static_cast<v1::ComplaintStatus>(t.from)));
  }
  // Every API action is used somewhere.
  for (int a = 1; a <= v1::COMPLAINT_ACTION_RESOLVE_SUBJECT; ++a) {
    bool used = false;
    for (const WorkflowTransition& t : kWorkflow.rows()) used = used || static_cast<int>(t.action) == a;
    EXPECT_TRUE(used) << v1::ComplaintAction_Name(static_cast<v1::ComplaintAction>(a));
  }
  EXPECT_EQ(StatusLabel(Status::kUnderReview), "under_review");
}

// ---------------------------------------------------------------------------
// Validation and the formal / material check

EmployeeRef EmployeeWithId(const std::string& id) {
  EmployeeRef e;
  e.employee_id = id;
  return e;
}

std::vector<std::string> Fields(const Violations& v) {
  std::vector<std::string> out;
  for (const auto& x : v.list()) out.push_back(x.field);
  return out;
}

TEST(ComplaintValidationTest, AValidRequestHasNoViolations) {
  EXPECT_TRUE(ValidateSubmission(ValidCommand(), ShippedRegions(), Codes(), kNow).empty());
}

// Pure domain: the commands are mutated directly (the proto mapping has its
// own cases in complaint_handler_test).
TEST(ComplaintValidationTest, EachBadFieldIsReportedWithItsPath) {
  struct Case {
    std::string name;
    std::function<void(SubmitCommand&)> mutate;
    std::string field;
    ViolationReason reason;
  };
  const std::vector<Case> cases = {
      {"no request id", [](auto& r) { r.request_id.clear(); }, "request_id", ViolationReason::kRequired},
      {"no reporter kind", [](auto& r) { r.reporter.kind = ReporterKind::kUnspecified; }, "reporter.kind",
       ViolationReason::kRequired},
      {"bad NIK", [](auto& r) { r.reporter.nik = "12345"; }, "reporter.nik", ViolationReason::kInvalidFormat},
      {"long name", [](auto& r) { r.reporter.name = std::string(201, 'x'); }, "reporter.name",
       ViolationReason::kTooLong},
      {"bad utf-8", [](auto& r) { r.reporter.address = "\xC3\x28"; }, "reporter.address",
       ViolationReason::kInvalidFormat},
      {"bad NIP", [](auto& r) { r.subject.employee_number = "198513142010011001"; }, "subject.employee_number",
       ViolationReason::kInvalidFormat},
      {"unknown subject region", [](auto& r) { r.subject.region_code = "33.98"; }, "subject.region_code",
       ViolationReason::kNotFound},
      {"no election", [](auto& r) { r.act.election_id.clear(); }, "act.election_id", ViolationReason::kRequired},
      {"no codes", [](auto& r) { r.act.violation_codes.clear(); }, "act.violation_codes", ViolationReason::kRequired},
      {"unknown code", [](auto& r) { r.act.violation_codes.push_back("Z9"); }, "act.violation_codes[1]",
       ViolationReason::kNotFound},
      {"repeated code", [](auto& r) { r.act.violation_codes.push_back("B2"); }, "act.violation_codes[1]",
       ViolationReason::kInconsistent},
      {"future occurrence", [](auto& r) { r.act.occurred_time = kNow + absl::Hours(2); }, "act.occurred_time",
       ViolationReason::kOutOfRange},
      {"known before occurred", [](auto& r) { r.act.known_time = kNow - absl::Hours(40); }, "act.known_time",
       ViolationReason::kInconsistent},
      {"unknown region", [](auto& r) { r.act.region_code = "33.98"; }, "act.region_code", ViolationReason::kNotFound},
      {"province as act region", [](auto& r) { r.act.region_code = "33"; }, "act.region_code",
       ViolationReason::kOutOfRange},
      {"long description", [](auto& r) { r.act.description = std::string(10001, 'd'); }, "act.description",
       ViolationReason::kTooLong},
      {"too many urls",
       [](auto& r) {
         for (int i = 0; i < 21; ++i) r.act.source_urls.push_back("https://x.example/" + std::to_string(i));
       },
       "act.source_urls", ViolationReason::kTooLong},
      {"not a url", [](auto& r) { r.act.source_urls.push_back("javascript:alert(1)"); }, "act.source_urls[0]",
       ViolationReason::kInvalidFormat},
      {"bad evidence id", [](auto& r) { r.evidence_ids.at(0) = "not-hex"; }, "evidence_ids[0]",
       ViolationReason::kInvalidFormat},
      {"too much evidence",
       [](auto& r) {
         for (int i = 0; i < 50; ++i) r.evidence_ids.push_back(std::string(64, 'b'));
       },
       "evidence_ids", ViolationReason::kTooLong},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SubmitCommand command = ValidCommand();
    c.mutate(command);
    Violations v = ValidateSubmission(command, ShippedRegions(), Codes(), kNow);
    ASSERT_EQ(v.size(), 1u) << ::testing::PrintToString(Fields(v));
    EXPECT_EQ(v.list()[0].field, c.field);
    EXPECT_EQ(v.list()[0].reason, c.reason);
    EXPECT_EQ(v.list()[0].description.find("12345"), std::string::npos);  // never echoes a NIK
  }
}

TEST(ComplaintValidationTest, EveryProblemIsReportedAtOnce) {
  SubmitCommand command = ValidCommand();
  command.request_id.clear();
  command.act.region_code = "99.99";
  command.act.violation_codes.push_back("Z9");
  Violations v = ValidateSubmission(command, ShippedRegions(), Codes(), kNow);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"request_id", "act.violation_codes[1]", "act.region_code"}));
}

TEST(ComplaintRequirementsTest, ACompleteReportLacksNothing) {
  Complaint c;
  const SubmitCommand r = ValidCommand();
  c.reporter = r.reporter;
  c.subject = r.subject;
  c.act = r.act;
  Evidence evidence;
  evidence.evidence_id = std::string(64, 'a');
  c.evidence.push_back(evidence);
  EXPECT_TRUE(MissingRequirements(c).empty());

  Complaint empty;
  EXPECT_EQ(MissingRequirements(empty),
            (std::vector<Requirement>{Requirement::kReporterName, Requirement::kReporterAddress, Requirement::kSubject,
                                      Requirement::kOccurredTime, Requirement::kPlace, Requirement::kDescription,
                                      Requirement::kEvidence}));
  // A Bawaslu finding comes from its office: no address needed.
  empty.reporter.kind = ReporterKind::kBawasluFinding;
  EXPECT_EQ(MissingRequirements(empty).size(), 6u);
  // A subject by name only is enough.
  c.subject.employee_number.clear();
  c.subject.name = "Siti Aminah";
  EXPECT_TRUE(MissingRequirements(c).empty());
}

// ---------------------------------------------------------------------------
// Deadlines

TEST(ComplaintDeadlineTest, ReportWindowCountsWorkingDaysInTheRegionsTimeZoneWithHolidays) {
  Complaint c;
  c.reporter.kind = ReporterKind::kVoter;
  // Known on Thursday 1 Feb 2024 at 10:00 WIT (Maluku Tengah, UTC+9).
  const absl::Time known = absl::FromCivil(absl::CivilSecond(2024, 2, 1, 1, 0, 0), absl::UTCTimeZone());
  c.act.known_time = known;
  const Region* maluku = ShippedRegions().Find("81.01");
  ASSERT_NE(maluku, nullptr);
  auto d = ReportDeadline(c, Pemilu(), maluku);
  ASSERT_TRUE(d.has_value());
  // Working days after 1 Feb: 2, 5, 6, 7, (8 holiday), 9, 12, 13 -> due 13 Feb.
  EXPECT_EQ(d->due_date.day(), 13);
  EXPECT_EQ(d->time_zone, maluku->time_zone);
  EXPECT_EQ(d->rule.counting, DayCounting::kWorkingDays);
  // Due at local midnight ending 13 Feb in UTC+9: 13 Feb 15:00 UTC.
  EXPECT_EQ(d->due_time, absl::FromCivil(absl::CivilSecond(2024, 2, 13, 15, 0, 0), absl::UTCTimeZone()));
}

TEST(ComplaintDeadlineTest, QuietPeriodGivesTwentyFourHoursAndFindingsTheirOwnWindow) {
  Complaint c;
  c.reporter.kind = ReporterKind::kVoter;
  const absl::Time known = absl::FromCivil(absl::CivilSecond(2024, 2, 12, 3, 0, 0), absl::UTCTimeZone());
  c.act.known_time = known;
  auto d = ReportDeadline(c, Pemilu(), ShippedRegions().Find("33.74"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->due_time, known + absl::Hours(24));
  EXPECT_FALSE(ToProto(*d).has_rule());  // an hour window, not a day rule

  c.reporter.kind = ReporterKind::kBawasluFinding;
  d = ReportDeadline(c, Pemilu(), ShippedRegions().Find("33.74"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->due_date.day(), 19);  // 7 calendar days after 12 Feb
}

TEST(ComplaintDeadlineTest, AnUnusedRuleGivesNoDeadline) {
  EXPECT_FALSE(RuleDeadline(kNow, DeadlineRule{0, DayCounting::kUnspecified}, Pemilu(), nullptr).has_value());
}

// ---------------------------------------------------------------------------
// Subject resolution

TEST(SubjectResolutionTest, ByNumberByUniqueNameAmbiguousUnknownAndRegistryDown) {
  FakeRegistry registry;
  registry.Add("198503142010011001", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");
  registry.Add("198602152011012002", "Siti Aminah Putri", "Dinas Kesehatan Kota Semarang", "33.74");

  Subject by_number;
  by_number.employee_number = "198503142010011001";
  auto r = ResolveSubject(by_number, registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kResolvedByNumber);
  ASSERT_TRUE(r.employee);
  EXPECT_EQ(r.employee->employee_id, "198503142010011001");
  EXPECT_FALSE(r.needs_review);

  Subject by_name;
  by_name.name = "siti  aminah";
  by_name.agency_name = "Dinas Pendidikan";
  by_name.region_code = "33.74";
  r = ResolveSubject(by_name, registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kResolvedByName);
  ASSERT_TRUE(r.employee);
  EXPECT_EQ(r.employee->employee_id, "198503142010011001");
  EXPECT_EQ(r.candidates.size(), 2u);  // the candidates considered are recorded

  registry.Add("198701012012011003", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");  // a namesake
  r = ResolveSubject(by_name, registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kAmbiguous);
  EXPECT_TRUE(r.needs_review);
  EXPECT_FALSE(r.employee);

  by_name.name = "Joko Widodo";
  r = ResolveSubject(by_name, registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kNotFound);
  EXPECT_TRUE(r.needs_review);

  by_number.employee_number = "199001012015011001";
  EXPECT_EQ(ResolveSubject(by_number, registry, kNow).status, ResolutionStatus::kNotFound);
  registry.down = true;
  r = ResolveSubject(by_number, registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kPending);
  EXPECT_TRUE(r.needs_review);
}

TEST(SubjectResolutionTest, ClusterKeysNameWhoTheReportIsAbout) {
  Subject s;
  SubjectResolution none;
  EXPECT_EQ(SubjectKey(s, none), "");
  s.name = "  Siti   AMINAH ";
  s.region_code = "33.74";
  EXPECT_EQ(SubjectKey(s, none), "n:siti aminah|33.74");
  s.name = "SÍTI Aminah, S.Pd.";  // the tree's fold (common/names.h): diacritics, titles and degrees
  EXPECT_EQ(SubjectKey(s, none), "n:siti aminah|33.74");
  s.name = "Si\xCC\x81ti Aminah";  // decomposed: the same person
  EXPECT_EQ(SubjectKey(s, none), "n:siti aminah|33.74");
  none.employee = EmployeeWithId("198503142010011001");
  EXPECT_EQ(SubjectKey(s, none), "e:198503142010011001");
}

// The rules of "never the wrong person" (docs/complaint-workflow.md).
class SubjectMatchingTest : public ::testing::Test {
 protected:
  Subject Named(const std::string& name, const std::string& agency = "Dinas Pendidikan",
                const std::string& region = "33.74") {
    Subject s;
    s.name = name;
    s.agency_name = agency;
    s.region_code = region;
    return s;
  }
  FakeRegistry registry;
};

TEST_F(SubjectMatchingTest, APartialNameIsACandidateNeverAResolution) {
  registry.Add("198503142010011001", "Muhammad Rizky Fauzan Xaverius", "Dinas Pendidikan Kota Semarang", "33.74");
  auto r = ResolveSubject(Named("Muhammad Xaverius"), registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kAmbiguous);
  EXPECT_TRUE(r.needs_review);
  EXPECT_FALSE(r.employee);
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(r.candidates[0].employee.employee_id, "198503142010011001");
  EXPECT_DOUBLE_EQ(r.candidates[0].score, 0.7);  // partial 0.3 + agency 0.3 + region 0.1
  EXPECT_EQ(r.candidates[0].matched,
            (std::vector<SubjectMatch>{SubjectMatch::kPartialName, SubjectMatch::kAgency, SubjectMatch::kRegion}));
}

TEST_F(SubjectMatchingTest, OneFullMatchWithinTheAgencyResolvesInAnotherAgencyIsACandidate) {
  registry.Add("198503142010011001", "Siti Aminah", "Dinas Kesehatan Kota Semarang", "33.74");
  auto r = ResolveSubject(Named("Siti Aminah"), registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kAmbiguous) << "a full match in another agency";
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(r.candidates[0].matched, (std::vector<SubjectMatch>{SubjectMatch::kFullName, SubjectMatch::kRegion}));

  registry.Add("198602152011012002", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");
  r = ResolveSubject(Named("Hj. Siti  Aminah, S.Pd."), registry, kNow);  // titles do not count
  EXPECT_EQ(r.status, ResolutionStatus::kResolvedByName);
  ASSERT_TRUE(r.employee);
  EXPECT_EQ(r.employee->employee_id, "198602152011012002");
  EXPECT_FALSE(r.needs_review);
  EXPECT_EQ(r.candidates.size(), 2u);

  registry.Add("198701012012011003", "SITI AMINAH", "Dinas Pendidikan Kota Semarang", "33.74");  // a namesake
  r = ResolveSubject(Named("Siti Aminah"), registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kAmbiguous);
  EXPECT_FALSE(r.employee);
  EXPECT_TRUE(r.needs_review);
}

TEST_F(SubjectMatchingTest, AFullMatchOutsideTheRegionOrWithoutAnyScopeIsACandidate) {
  registry.Add("198503142010011001", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");
  EXPECT_EQ(ResolveSubject(Named("Siti Aminah", "Dinas Pendidikan", "33.01"), registry, kNow).status,
            ResolutionStatus::kAmbiguous);
  EXPECT_EQ(ResolveSubject(Named("Siti Aminah", "", ""), registry, kNow).status, ResolutionStatus::kAmbiguous);
  SubjectMatching lenient;
  lenient.name_alone_resolves = true;
  EXPECT_EQ(ResolveSubject(Named("Siti Aminah", "", ""), registry, kNow, lenient).status,
            ResolutionStatus::kResolvedByName);
  // A kecamatan in the report: the registry knows the kab/kota people work in.
  EXPECT_EQ(ResolveSubject(Named("Siti Aminah", "Dinas Pendidikan", "33.74.01"), registry, kNow).status,
            ResolutionStatus::kResolvedByName);
}

TEST_F(SubjectMatchingTest, UnicodeFormsResolveOldSpellingsAndSpacingAreCandidates) {
  registry.Add("198503142010011001", "D\xC3\xA9" "d\xC3\xA9 Ma'ruf", "Dinas Pendidikan Kota Semarang", "33.74");
  auto r = ResolveSubject(Named("De\xCC\x81" "de\xCC\x81 Ma\xE2\x80\x99ruf"), registry, kNow);  // NFD, ’
  EXPECT_EQ(r.status, ResolutionStatus::kResolvedByName);

  registry.Add("198602152011012002", "Sukarno Joyo", "Dinas Pendidikan Kota Semarang", "33.74");
  r = ResolveSubject(Named("Soekarno Djojo"), registry, kNow);
  EXPECT_EQ(r.status, ResolutionStatus::kAmbiguous);
  ASSERT_FALSE(r.candidates.empty());
  EXPECT_EQ(r.candidates[0].employee.employee_id, "198602152011012002");
  EXPECT_EQ(r.candidates[0].matched.front(), SubjectMatch::kNameSpelling);

  registry.Add("198701012012011003", "Siti Nuraini", "Dinas Pendidikan Kota Semarang", "33.74");
  for (const char* written : {"Siti Nur-Aini", "Siti Nur Aini"}) {
    r = ResolveSubject(Named(written), registry, kNow);
    EXPECT_EQ(r.status, ResolutionStatus::kAmbiguous) << written;
    ASSERT_FALSE(r.candidates.empty()) << written;
    EXPECT_EQ(r.candidates[0].employee.employee_id, "198701012012011003");
    EXPECT_EQ(r.candidates[0].matched.front(), SubjectMatch::kNameSpacing);
  }
}

TEST(SubjectMatchingRulesTest, TheShippedFileIsTheDefaultsAndBadRulesAreRefused) {
  std::ifstream file(std::string(NETRA_SOURCE_DIR) + "/data/subject_matching.json");
  std::stringstream text;
  text << file.rdbuf();
  auto shipped = SubjectMatching::FromJson(text.str());
  ASSERT_TRUE(shipped.ok()) << shipped.error().message;
  const SubjectMatching defaults;
  EXPECT_EQ(shipped.value().full_name, defaults.full_name);
  EXPECT_EQ(shipped.value().partial_name, defaults.partial_name);
  EXPECT_EQ(shipped.value().agency, defaults.agency);
  EXPECT_EQ(shipped.value().name_alone_resolves, defaults.name_alone_resolves);
  EXPECT_EQ(shipped.value().max_candidates, defaults.max_candidates);

  auto bad = SubjectMatching::FromJson(R"({"scores": {"agency": 2}, "name_alone_resolves": "yes"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().violations.size(), 2u);
  EXPECT_FALSE(SubjectMatching::FromJson("[").ok());
}

TEST(SubjectResolutionTest, KeysOfTheAsciiOnlyFoldAreRefoldedExactly) {
  // What the previous fold stored (ASCII lowered, dots and commas as spaces) ...
  EXPECT_EQ(RefoldedSubjectKey("n:sÍti aminah s pd|33.74"), "n:siti aminah s pd|33.74");
  EXPECT_EQ(RefoldedSubjectKey("n:joko widodo|"), "n:joko widodo|");
  // ... and what needs no refold.
  EXPECT_EQ(RefoldedSubjectKey("e:198503142010011001"), "e:198503142010011001");
  EXPECT_EQ(RefoldedSubjectKey(""), "");
  Subject s;
  s.name = "Sîti  Aminah";
  s.region_code = "33";
  EXPECT_EQ(RefoldedSubjectKey(SubjectKey(s, SubjectResolution{})), SubjectKey(s, SubjectResolution{}));
}

// ---------------------------------------------------------------------------
// Clustering

TEST(ClusteringTest, TheOpenClusterWithTheLatestReportInTheWindowIsJoined) {
  const std::vector<ClusterCandidate> candidates = {
      {"old", "old", 2, Status::kReceived, 100},
      {"latest", "latest", 1, Status::kRegistered, 300},
      {"closed", "closed", 3, Status::kClosed, 400},  // handled: a new report starts over
      {"stale", "stale", 1, Status::kReceived, 50},
  };
  auto chosen = ChooseCluster(candidates, 80);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->cluster_id, "latest");
  EXPECT_FALSE(ChooseCluster(candidates, 350));
  EXPECT_FALSE(ChooseCluster({}, 0));
  EXPECT_FALSE(Clusterable("", {"B2"}));
  EXPECT_FALSE(Clusterable("e:1", {}));
}

// ---------------------------------------------------------------------------
// Transitions as data

TEST(ComplaintApplyTest, ForwardingIsAnEffectNamingTheClustersOtherMembers) {
  Complaint c;
  c.complaint_id = "c-1";
  c.status = Status::kUnderReview;
  c.version = 4;
  c.act.election_id = "pemilu-2024";
  c.act.violation_codes = {"B2"};
  c.subject_resolution.employee = EmployeeWithId("198503142010011001");
  TransitionCommand command;
  command.action = Action::kForward;
  command.forward.review_summary = "Kajian: terbukti.";
  TransitionInputs inputs;
  inputs.cluster_members = {"c-2", "c-1", "c-3"};
  auto effects = ApplyTransition(c, command, inputs, kNow);
  ASSERT_TRUE(effects.ok()) << effects.error().message;
  const Effects& fx = effects.value();
  EXPECT_EQ(fx.updated.status, Status::kForwarded);
  EXPECT_EQ(fx.updated.version, 5);
  EXPECT_EQ(fx.updated.forwarding.status, ForwardingStatus::kPending);
  EXPECT_TRUE(fx.status_changed && fx.cascade_to_cluster);
  EXPECT_EQ(fx.event_type, "complaint.transitioned");
  EXPECT_EQ(fx.payload["action"], "COMPLAINT_ACTION_FORWARD");
  ASSERT_TRUE(fx.forwarding);
  EXPECT_EQ(fx.forwarding->employee_id, "198503142010011001");
  EXPECT_EQ(fx.forwarding->related_complaint_ids, (std::vector<std::string>{"c-2", "c-3"}));
  EXPECT_EQ(fx.forwarding->violation_codes, std::vector<std::string>{"B2"});

  c.subject_resolution.employee.reset();
  auto refused = ApplyTransition(c, command, inputs, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Error::Kind::kFailedPrecondition);
}

TEST(ComplaintApplyTest, AMemberMayOnlyLeaveOrHaveItsSubjectResolved) {
  Complaint c;
  c.complaint_id = "c-2";
  c.status = Status::kReceived;
  c.cluster = {"c-1", "c-1", 2, false};
  TransitionCommand command;
  command.action = Action::kRegister;
  auto refused = ApplyTransition(c, command, TransitionInputs{}, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().allowed,
            (std::vector<std::string>{"COMPLAINT_ACTION_WITHDRAW", "COMPLAINT_ACTION_RESOLVE_SUBJECT"}));
  command.action = Action::kWithdraw;
  const SealedBox box({std::string(32, 'r')});
  std::string receipt;
  c.receipt = IssueReceipt(box, c.complaint_id, &receipt);
  command.receipt = std::string(kReceiptLength, 'A');  // not this complaint's: nothing changes
  auto refused_receipt = ApplyTransition(c, command, TransitionInputs{}, kNow);
  ASSERT_FALSE(refused_receipt.ok());
  EXPECT_EQ(refused_receipt.error().violations.list()[0].field, "receipt");
  EXPECT_EQ(ReceiptSecret(box, c.receipt, c.complaint_id), receipt);
  command.receipt = receipt;
  auto left = ApplyTransition(c, command, TransitionInputs{}, kNow);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left.value().leave_cluster);
  EXPECT_FALSE(left.value().cascade_to_cluster);
}

TEST(ComplaintApplyTest, AnOlderCaseVersionChangesNothingAndAnotherCaseIsRefused) {
  Complaint c;
  c.complaint_id = "c-1";
  c.status = Status::kClosed;
  c.forwarding.case_id = "case-1";
  c.outcome = Outcome{};
  c.outcome->case_id = "case-1";
  c.outcome->case_version = 3;
  OutcomeCommand command;
  command.case_id = "case-1";
  command.outcome = kSanctionedOutcome;
  command.decree_date = Date{2024, 3, 1};
  command.case_version = 2;
  auto older = ApplyOutcome(c, command, kNow);
  ASSERT_TRUE(older.ok());
  EXPECT_FALSE(older.value());
  command.case_version = 4;
  auto newer = ApplyOutcome(c, command, kNow);
  ASSERT_TRUE(newer.ok() && newer.value());
  EXPECT_EQ(newer.value()->updated.outcome->case_version, 4);
  EXPECT_FALSE(newer.value()->status_changed);
  command.case_id = "case-2";
  auto other = ApplyOutcome(c, command, kNow);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().violations.list()[0].field, "case_id");
}

// ---------------------------------------------------------------------------
// Media types

TEST(EvidenceMediaTypeTest, MagicBytes) {
  using namespace std::string_literals;
  EXPECT_EQ(DetectMediaType("\xFF\xD8\xFF\xE0rest"s), "image/jpeg");
  EXPECT_EQ(DetectMediaType("\x89PNG\r\n\x1A\n...."s), "image/png");
  EXPECT_EQ(DetectMediaType("%PDF-1.7\n"), "application/pdf");
  EXPECT_EQ(DetectMediaType("\0\0\0\x18" "ftypmp42...."s), "video/mp4");
  EXPECT_EQ(DetectMediaType("RIFF\x10\0\0\0WEBPVP8 "s), "image/webp");
  EXPECT_EQ(DetectMediaType("GIF89a..."), "image/gif");
  EXPECT_EQ(DetectMediaType("Tangkapan layar: kepala dinas memakai atribut partai.\n"), "text/plain");
  EXPECT_EQ(DetectMediaType("\x01\x02\x03\x04"s), "application/octet-stream");
  EXPECT_EQ(DetectMediaType(""), "application/octet-stream");
}

}  // namespace
}  // namespace netra::complaint

// Tests for the complaint domain's plain rules: the workflow table and its
// document, submission validation, the formal and material check, deadlines,
// subject resolution and media type detection.
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "absl/time/civil_time.h"
#include "common/regions.h"
#include "services/complaint/complaints.h"
#include "services/complaint/evidence.h"
#include "services/complaint/workflow.h"
#include "tests/services/complaint_test_support.h"
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
    FAIL() << path << " differs from WorkflowTable(); the rendered table is in " << path << ".expected";
  }
}

TEST(ComplaintWorkflowTest, TheIssuesPathIsAllowed) {
  using S = Status;
  const std::vector<std::tuple<S, Action, S>> path = {
      {v1::COMPLAINT_STATUS_RECEIVED, Action::kRequestCompletion, v1::COMPLAINT_STATUS_INCOMPLETE},
      {v1::COMPLAINT_STATUS_INCOMPLETE, Action::kComplete, v1::COMPLAINT_STATUS_COMPLETED},
      {v1::COMPLAINT_STATUS_COMPLETED, Action::kRegister, v1::COMPLAINT_STATUS_REGISTERED},
      {v1::COMPLAINT_STATUS_REGISTERED, Action::kStartReview, v1::COMPLAINT_STATUS_UNDER_REVIEW},
      {v1::COMPLAINT_STATUS_UNDER_REVIEW, Action::kExtendHandling, v1::COMPLAINT_STATUS_UNDER_REVIEW},
      {v1::COMPLAINT_STATUS_UNDER_REVIEW, Action::kForward, v1::COMPLAINT_STATUS_FORWARDED},
      {v1::COMPLAINT_STATUS_FORWARDED, Action::kRecordOutcome, v1::COMPLAINT_STATUS_CLOSED},
  };
  for (const auto& [from, action, to] : path) {
    SCOPED_TRACE(ActionName(action));
    ASSERT_EQ(NextStatus(from, action), to);
  }
}

TEST(ComplaintWorkflowTest, WithdrawOnlyBeforeRegistration) {
  for (int s = v1::COMPLAINT_STATUS_RECEIVED; s <= v1::COMPLAINT_STATUS_DISMISSED; ++s) {
    auto status = static_cast<Status>(s);
    const bool before_registration = status == v1::COMPLAINT_STATUS_RECEIVED ||
                                     status == v1::COMPLAINT_STATUS_INCOMPLETE ||
                                     status == v1::COMPLAINT_STATUS_COMPLETED;
    EXPECT_EQ(NextStatus(status, Action::kWithdraw).has_value(), before_registration) << StatusName(status);
  }
}

TEST(ComplaintWorkflowTest, TerminalStatesAllowNothingButALaterOutcome) {
  for (Status s : {v1::COMPLAINT_STATUS_REJECTED, v1::COMPLAINT_STATUS_WITHDRAWN, v1::COMPLAINT_STATUS_DISMISSED}) {
    EXPECT_TRUE(IsTerminal(s));
    EXPECT_TRUE(AllowedActions(s).empty()) << StatusName(s);
  }
  EXPECT_EQ(AllowedActions(v1::COMPLAINT_STATUS_CLOSED), std::vector<std::string>{"RecordOutcome"});
}

TEST(ComplaintWorkflowTest, EachStateActionPairAppearsOnceAndActionsNameTheApi) {
  std::set<std::pair<int, int>> seen;
  for (const Transition& t : WorkflowTable()) {
    EXPECT_TRUE(seen.insert({t.from, static_cast<int>(t.action)}).second) << StatusName(t.from);
    if (t.action != Action::kRecordOutcome) {
      EXPECT_TRUE(v1::ComplaintAction_IsValid(static_cast<int>(t.action)));
      EXPECT_EQ(ActionName(t.action).rfind("COMPLAINT_ACTION_", 0), 0u);
    }
  }
  // Every API action is used somewhere.
  for (int a = 1; a <= v1::COMPLAINT_ACTION_RESOLVE_SUBJECT; ++a) {
    bool used = false;
    for (const Transition& t : WorkflowTable()) used = used || static_cast<int>(t.action) == a;
    EXPECT_TRUE(used) << v1::ComplaintAction_Name(static_cast<v1::ComplaintAction>(a));
  }
  EXPECT_EQ(StatusLabel(v1::COMPLAINT_STATUS_UNDER_REVIEW), "under_review");
}

// ---------------------------------------------------------------------------
// Validation and the formal / material check

std::vector<std::string> Fields(const Violations& v) {
  std::vector<std::string> out;
  for (const auto& x : v.list()) out.push_back(x.field);
  return out;
}

TEST(ComplaintValidationTest, AValidRequestHasNoViolations) {
  EXPECT_TRUE(ValidateSubmission(ValidRequest(), ShippedRegions(), Codes(), kNow).empty());
}

TEST(ComplaintValidationTest, EachBadFieldIsReportedWithItsPath) {
  struct Case {
    std::string name;
    std::function<void(v1::SubmitComplaintRequest&)> mutate;
    std::string field;
    ViolationReason reason;
  };
  const std::vector<Case> cases = {
      {"no request id", [](auto& r) { r.clear_request_id(); }, "request_id", ViolationReason::kRequired},
      {"no reporter kind", [](auto& r) { r.mutable_reporter()->clear_kind(); }, "reporter.kind", ViolationReason::kRequired},
      {"bad NIK", [](auto& r) { r.mutable_reporter()->set_nik("12345"); }, "reporter.nik", ViolationReason::kInvalidFormat},
      {"long name", [](auto& r) { r.mutable_reporter()->set_name(std::string(201, 'x')); }, "reporter.name",
       ViolationReason::kTooLong},
      {"bad utf-8", [](auto& r) { r.mutable_reporter()->set_address("\xC3\x28"); }, "reporter.address",
       ViolationReason::kInvalidFormat},
      {"bad NIP", [](auto& r) { r.mutable_subject()->set_employee_number("198513142010011001"); },
       "subject.employee_number", ViolationReason::kInvalidFormat},
      {"unknown subject region", [](auto& r) { r.mutable_subject()->set_region_code("33.98"); }, "subject.region_code",
       ViolationReason::kNotFound},
      {"no election", [](auto& r) { r.mutable_act()->clear_election_id(); }, "act.election_id", ViolationReason::kRequired},
      {"no codes", [](auto& r) { r.mutable_act()->clear_violation_codes(); }, "act.violation_codes",
       ViolationReason::kRequired},
      {"unknown code", [](auto& r) { r.mutable_act()->add_violation_codes("Z9"); }, "act.violation_codes[1]",
       ViolationReason::kNotFound},
      {"repeated code", [](auto& r) { r.mutable_act()->add_violation_codes("B2"); }, "act.violation_codes[1]",
       ViolationReason::kInconsistent},
      {"future occurrence", [](auto& r) { *r.mutable_act()->mutable_occurred_time() = At(kNow + absl::Hours(2)); },
       "act.occurred_time", ViolationReason::kOutOfRange},
      {"known before occurred", [](auto& r) { *r.mutable_act()->mutable_known_time() = At(kNow - absl::Hours(40)); },
       "act.known_time", ViolationReason::kInconsistent},
      {"unknown region", [](auto& r) { r.mutable_act()->set_region_code("33.98"); }, "act.region_code",
       ViolationReason::kNotFound},
      {"province as act region", [](auto& r) { r.mutable_act()->set_region_code("33"); }, "act.region_code",
       ViolationReason::kOutOfRange},
      {"long description", [](auto& r) { r.mutable_act()->set_description(std::string(10001, 'd')); },
       "act.description", ViolationReason::kTooLong},
      {"too many urls",
       [](auto& r) {
         for (int i = 0; i < 21; ++i) r.mutable_act()->add_source_urls("https://x.example/" + std::to_string(i));
       },
       "act.source_urls", ViolationReason::kTooLong},
      {"not a url", [](auto& r) { r.mutable_act()->add_source_urls("javascript:alert(1)"); }, "act.source_urls[0]",
       ViolationReason::kInvalidFormat},
      {"bad evidence id", [](auto& r) { r.set_evidence_ids(0, "not-hex"); }, "evidence_ids[0]",
       ViolationReason::kInvalidFormat},
      {"too much evidence",
       [](auto& r) {
         for (int i = 0; i < 50; ++i) r.add_evidence_ids(std::string(64, 'b'));
       },
       "evidence_ids", ViolationReason::kTooLong},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto request = ValidRequest();
    c.mutate(request);
    Violations v = ValidateSubmission(request, ShippedRegions(), Codes(), kNow);
    ASSERT_EQ(v.size(), 1u) << ::testing::PrintToString(Fields(v));
    EXPECT_EQ(v.list()[0].field, c.field);
    EXPECT_EQ(v.list()[0].reason, c.reason);
    EXPECT_EQ(v.list()[0].description.find("12345"), std::string::npos);  // never echoes a NIK
  }
}

TEST(ComplaintValidationTest, EveryProblemIsReportedAtOnce) {
  auto request = ValidRequest();
  request.clear_request_id();
  request.mutable_act()->set_region_code("99.99");
  request.mutable_act()->add_violation_codes("Z9");
  Violations v = ValidateSubmission(request, ShippedRegions(), Codes(), kNow);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"request_id", "act.violation_codes[1]", "act.region_code"}));
}

TEST(ComplaintRequirementsTest, ACompleteReportLacksNothing) {
  v1::Complaint c;
  auto r = ValidRequest();
  *c.mutable_reporter() = r.reporter();
  *c.mutable_subject() = r.subject();
  *c.mutable_act() = r.act();
  c.add_evidence()->set_evidence_id(std::string(64, 'a'));
  EXPECT_TRUE(MissingRequirements(c).empty());

  v1::Complaint empty;
  EXPECT_EQ(MissingRequirements(empty),
            (std::vector<v1::ComplaintRequirement>{
                v1::COMPLAINT_REQUIREMENT_REPORTER_NAME, v1::COMPLAINT_REQUIREMENT_REPORTER_ADDRESS,
                v1::COMPLAINT_REQUIREMENT_SUBJECT, v1::COMPLAINT_REQUIREMENT_OCCURRED_TIME,
                v1::COMPLAINT_REQUIREMENT_PLACE, v1::COMPLAINT_REQUIREMENT_DESCRIPTION,
                v1::COMPLAINT_REQUIREMENT_EVIDENCE}));
  // A Bawaslu finding comes from its office: no address needed.
  empty.mutable_reporter()->set_kind(v1::REPORTER_KIND_BAWASLU_FINDING);
  EXPECT_EQ(MissingRequirements(empty).size(), 6u);
  // A subject by name only is enough.
  c.mutable_subject()->clear_employee_number();
  c.mutable_subject()->set_name("Siti Aminah");
  EXPECT_TRUE(MissingRequirements(c).empty());
}

// ---------------------------------------------------------------------------
// Deadlines

TEST(ComplaintDeadlineTest, ReportWindowCountsWorkingDaysInTheRegionsTimeZoneWithHolidays) {
  v1::Complaint c;
  c.mutable_reporter()->set_kind(v1::REPORTER_KIND_VOTER);
  // Known on Thursday 1 Feb 2024 at 10:00 WIT (Maluku Tengah, UTC+9).
  const absl::Time known = absl::FromCivil(absl::CivilSecond(2024, 2, 1, 1, 0, 0), absl::UTCTimeZone());
  *c.mutable_act()->mutable_known_time() = At(known);
  const Region* maluku = ShippedRegions().Find("81.01");
  ASSERT_NE(maluku, nullptr);
  auto d = ReportDeadline(c, Pemilu(), maluku);
  ASSERT_TRUE(d.has_value());
  // Working days after 1 Feb: 2, 5, 6, 7, (8 holiday), 9, 12, 13 -> due 13 Feb.
  EXPECT_EQ(d->due_date().day(), 13);
  EXPECT_EQ(d->time_zone(), maluku->time_zone);
  EXPECT_EQ(d->rule().counting(), v1::DAY_COUNTING_WORKING_DAYS);
  // Due at local midnight ending 13 Feb in UTC+9: 13 Feb 15:00 UTC.
  EXPECT_EQ(TimeUtil::TimestampToSeconds(d->due_time()),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2024, 2, 13, 15, 0, 0), absl::UTCTimeZone())));
}

TEST(ComplaintDeadlineTest, QuietPeriodGivesTwentyFourHoursAndFindingsTheirOwnWindow) {
  v1::Complaint c;
  c.mutable_reporter()->set_kind(v1::REPORTER_KIND_VOTER);
  const absl::Time known = absl::FromCivil(absl::CivilSecond(2024, 2, 12, 3, 0, 0), absl::UTCTimeZone());
  *c.mutable_act()->mutable_known_time() = At(known);
  auto d = ReportDeadline(c, Pemilu(), ShippedRegions().Find("33.74"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(TimeUtil::TimestampToSeconds(d->due_time()), absl::ToUnixSeconds(known + absl::Hours(24)));

  c.mutable_reporter()->set_kind(v1::REPORTER_KIND_BAWASLU_FINDING);
  d = ReportDeadline(c, Pemilu(), ShippedRegions().Find("33.74"));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->due_date().day(), 19);  // 7 calendar days after 12 Feb
}

TEST(ComplaintDeadlineTest, AnUnusedRuleGivesNoDeadline) {
  v1::DeadlineRule none;
  EXPECT_FALSE(RuleDeadline(kNow, none, Pemilu(), nullptr).has_value());
}

// ---------------------------------------------------------------------------
// Subject resolution

TEST(SubjectResolutionTest, ByNumberByUniqueNameAmbiguousUnknownAndRegistryDown) {
  FakeRegistry registry;
  registry.Add("198503142010011001", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");
  registry.Add("198602152011012002", "Siti Aminah Putri", "Dinas Kesehatan Kota Semarang", "33.74");

  v1::Subject by_number;
  by_number.set_employee_number("198503142010011001");
  auto r = ResolveSubject(by_number, registry, kNow);
  EXPECT_EQ(r.status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER);
  EXPECT_EQ(r.employee().employee_id(), "198503142010011001");
  EXPECT_FALSE(r.needs_review());

  v1::Subject by_name;
  by_name.set_name("siti  aminah");
  by_name.set_agency_name("Dinas Pendidikan");
  by_name.set_region_code("33.74");
  r = ResolveSubject(by_name, registry, kNow);
  EXPECT_EQ(r.status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NAME);
  EXPECT_EQ(r.employee().employee_id(), "198503142010011001");
  EXPECT_EQ(r.candidates_size(), 2);  // the candidates considered are recorded

  registry.Add("198701012012011003", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");  // a namesake
  r = ResolveSubject(by_name, registry, kNow);
  EXPECT_EQ(r.status(), v1::SUBJECT_RESOLUTION_STATUS_AMBIGUOUS);
  EXPECT_TRUE(r.needs_review());
  EXPECT_FALSE(r.has_employee());

  by_name.set_name("Joko Widodo");
  r = ResolveSubject(by_name, registry, kNow);
  EXPECT_EQ(r.status(), v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND);
  EXPECT_TRUE(r.needs_review());

  by_number.set_employee_number("199001012015011001");
  EXPECT_EQ(ResolveSubject(by_number, registry, kNow).status(), v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND);
  registry.down = true;
  r = ResolveSubject(by_number, registry, kNow);
  EXPECT_EQ(r.status(), v1::SUBJECT_RESOLUTION_STATUS_PENDING);
  EXPECT_TRUE(r.needs_review());
}

TEST(SubjectResolutionTest, ClusterKeysNameWhoTheReportIsAbout) {
  v1::Subject s;
  v1::SubjectResolution none;
  EXPECT_EQ(SubjectKey(s, none), "");
  s.set_name("  Siti   AMINAH ");
  s.set_region_code("33.74");
  EXPECT_EQ(SubjectKey(s, none), "n:siti aminah|33.74");
  none.mutable_employee()->set_employee_id("198503142010011001");
  EXPECT_EQ(SubjectKey(s, none), "e:198503142010011001");
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

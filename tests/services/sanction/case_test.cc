// Tests for services/sanction/cases.h: the case state table (and
// docs/case-workflow.md, which must say the same), the sanction proposed per
// employee type, the PPK's due date and escalation schedule, and the checks
// of recommendations, decisions and appeals, in memory. The same rules on a
// real store are in sanctions_store_test.cc.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "services/sanction/cases.h"
#include "services/sanction/sanctions.h"
#include "tests/services/sanction/sanction_test_support.h"
#include "tests/support/test_support.h"

namespace netra::sanction {
namespace {

const ViolationCatalog& Shipped() {
  static const ViolationCatalog catalog = ParseCatalog(ShippedCatalogText()).value();
  return catalog;
}

std::vector<std::string> Fields(const Error& error) {
  std::vector<std::string> out;
  for (const auto& v : error.violations.list()) out.push_back(v.field);
  return out;
}

// ------------------------------------------------------------ state table

TEST(CaseWorkflowTest, DocumentedTableIsTheCodeTable) {
  std::string doc = netra::testing::ReadFile(std::string(NETRA_SOURCE_DIR) + "/docs/case-workflow.md");
  std::regex row(R"(\| (CASE_STATUS_\w+) \| ([^|]+?) \| (CASE_STATUS_\w+) \|)");
  std::set<std::tuple<std::string, std::string, std::string>> documented, coded;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator(); ++it) {
    documented.insert({(*it)[1], (*it)[2], (*it)[3]});
  }
  for (const auto& t : kCaseTransitions) {
    coded.insert({std::string(Name(t.from)), std::string(Name(t.action)), std::string(Name(t.to))});
  }
  EXPECT_EQ(documented, coded);
  EXPECT_EQ(documented.size(), std::size(kCaseTransitions));
}

TEST(CaseWorkflowTest, IllegalActionNamesTheAllowedOnes) {
  auto next = NextStatus(CaseStatus::kDecided, CaseAction::kDecide);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().kind, Error::Kind::kFailedPrecondition);
  EXPECT_EQ(next.error().state, "CASE_STATUS_DECIDED");
  EXPECT_EQ(next.error().action, "RecordDecision");
  EXPECT_EQ(next.error().allowed, std::vector<std::string>{"RecordAppeal(filing)"});
  EXPECT_TRUE(AllowedActions(CaseStatus::kNoViolation).empty());
  EXPECT_EQ(NextStatus(CaseStatus::kOpen, CaseAction::kRecommendNoViolation).value(), CaseStatus::kNoViolation);
}

// -------------------------------------------------------------- proposals

TEST(ProposeSanctionTest, HeaviestCodeForPns) {
  auto p = ProposeSanction(Shipped(), {"A2", "B3", "B2"}, EmployeeType::kPns);
  EXPECT_EQ(p.level, SanctionLevel::kSevere);
  EXPECT_EQ(p.basis_code, "B2");
  EXPECT_FALSE(p.needs_decision);
  EXPECT_EQ(p.forms, (std::vector<SanctionForm>{SanctionForm::kDemotion12Months, SanctionForm::kNonManagerial12Months,
                                                SanctionForm::kHonourableDismissal}));
}

TEST(ProposeSanctionTest, PartyMembershipIsDishonourableDismissal) {
  auto pns = ProposeSanction(Shipped(), {"B2", "B5"}, EmployeeType::kPns);
  EXPECT_EQ(pns.level, SanctionLevel::kDismissal);
  EXPECT_EQ(pns.forms, std::vector<SanctionForm>{SanctionForm::kDishonourableDismissal});
  auto pppk = ProposeSanction(Shipped(), {"B5"}, EmployeeType::kPppk);
  EXPECT_EQ(pppk.level, SanctionLevel::kDismissal);
  EXPECT_EQ(pppk.forms, std::vector<SanctionForm>{SanctionForm::kContractDishonourableTermination});
}

TEST(ProposeSanctionTest, PppkHasNoDemotion) {
  auto p = ProposeSanction(Shipped(), {"B1"}, EmployeeType::kPppk);
  EXPECT_EQ(p.level, SanctionLevel::kSevere);
  EXPECT_EQ(p.forms, std::vector<SanctionForm>{SanctionForm::kContractTermination});
}

TEST(ProposeSanctionTest, PpnpnGetsTheContractLadderAndADecision) {
  auto p = ProposeSanction(Shipped(), {"B1", "B5"}, EmployeeType::kPpnpn);
  EXPECT_EQ(p.level, SanctionLevel::kCaseByCase);
  EXPECT_TRUE(p.needs_decision);
  EXPECT_EQ(p.basis_code, "B5");  // heavier for a PNS: the act weighs more
  EXPECT_EQ(p.forms.back(), SanctionForm::kContractTermination);
  EXPECT_NE(p.rationale.find("contract ladder"), std::string::npos);
}

TEST(ProposeSanctionTest, DisputedOrCaseByCaseNeedsAPerson) {
  EXPECT_TRUE(ProposeSanction(Shipped(), {"B3"}, EmployeeType::kPns).needs_decision);
  auto fixed_wins = ProposeSanction(Shipped(), {"B13", "A1"}, EmployeeType::kPns);
  EXPECT_EQ(fixed_wins.level, SanctionLevel::kMoral);
  EXPECT_EQ(ProposeSanction(Shipped(), {"B13"}, EmployeeType::kPns).level, SanctionLevel::kCaseByCase);
}

// ------------------------------------------------------ cases, in memory

constexpr int64_t kDay = int64_t{86400} * 1000000;

// Pemilu 2024 with days off: nationwide, in Jawa Tengah (33) and elsewhere (34).
int64_t Us(absl::CivilDay day, int hour = 10) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), hour),
                                            ZoneNamed("Asia/Jakarta")));
}

Case Opened(const std::vector<std::string>& codes = {"B2"}, EmployeeSnapshot e = CilacapTeacher()) {
  OpenCaseCommand open{"r1", "complaint-1", {}, e.employee_id, "pemilu-2024", codes, "", ""};
  CaseEffects effects;
  return NewCase(open, e, Pemilu(), Shipped(), "Asia/Jakarta", "case-1", Us(absl::CivilDay(2024, 3, 1)), effects);
}

TEST(CaseRulesTest, DueDateCountsWorkingDaysWithTheRegionsHolidays) {
  Case c = Opened();
  CaseEffects effects;
  ASSERT_FALSE(ApplyRecommendation(c, Recommend(), {}, CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects));
  // From Tue 5 March: 14 working days, skipping weekends, 11 March (national) and
  // 12 March (province 33), not 13 March (province 34): Tue 26 March.
  ASSERT_TRUE(c.ppk_deadline);
  EXPECT_EQ(c.ppk_deadline->due_date, absl::CivilDay(2024, 3, 26));
  EXPECT_EQ(c.ppk_deadline->due_us, Us(absl::CivilDay(2024, 3, 27), 0));
  EXPECT_EQ(c.status, CaseStatus::kRecommended);
  EXPECT_EQ(c.NextEscalationUs(), c.escalation_due_us[0]);
  // Defaults: warning 5, reprimand 5, data block 10 working days, each after the previous step's day.
  EXPECT_EQ(c.escalation_due_us[0], Us(absl::CivilDay(2024, 4, 3), 0));
  EXPECT_EQ(c.escalation_due_us[1], Us(absl::CivilDay(2024, 4, 10), 0));
  EXPECT_EQ(c.escalation_due_us[2], Us(absl::CivilDay(2024, 4, 24), 0));
}

TEST(CaseRulesTest, RecommendationOfAnotherAuthorityIsRefused) {
  Case c = Opened();
  auto cmd = Recommend();
  cmd.authority_code = "KASN";
  CaseEffects effects;
  auto error = ApplyRecommendation(c, cmd, {}, CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects);
  ASSERT_TRUE(error);
  EXPECT_EQ(Fields(*error), std::vector<std::string>{"authority_code"});
}

TEST(CaseRulesTest, StaleVersionIsAbortedBeforeAnythingElse) {
  Case c = Opened();
  auto cmd = Recommend();
  cmd.expected_version = 7;
  cmd.authority_code = "KASN";
  CaseEffects effects;
  auto error = ApplyRecommendation(c, cmd, {}, CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, Error::Kind::kAborted);
  EXPECT_EQ(error->current_version, 1);
}

class DecisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CaseEffects effects;
    ASSERT_FALSE(ApplyRecommendation(c_, Recommend(), {}, CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects));
    c_.version = 2;
  }
  std::optional<Error> Apply(const DecisionCommand& cmd) {
    effects_ = {};
    return ApplyDecision(c_, cmd, {}, Us(absl::CivilDay(2024, 4, 1)), effects_);
  }
  Case c_ = Opened();
  CaseEffects effects_;
};

TEST_F(DecisionTest, MatchingDecisionOnTimeTellsComplaintAndRegistry) {
  ASSERT_FALSE(Apply(Decide()));
  EXPECT_EQ(c_.status, CaseStatus::kDecided);
  EXPECT_TRUE(c_.decision->matches_recommendation);
  EXPECT_TRUE(c_.decision->on_time);
  EXPECT_EQ(c_.decision->days_to_decision, 16);
  EXPECT_EQ(c_.decision->working_days_to_decision, 10);
  ASSERT_EQ(effects_.notices.size(), 2u);
  EXPECT_EQ(effects_.notices[0].target, NotifyTarget::kComplaintOutcome);
  EXPECT_EQ(effects_.notices[1].state, DisciplinaryState::kUnderSanction);
  EXPECT_EQ(effects_.left_status, CaseStatus::kRecommended);
}

TEST_F(DecisionTest, DifferentFormsDoNotMatch) {
  auto cmd = Decide();
  cmd.forms = {10};
  ASSERT_FALSE(Apply(cmd));
  EXPECT_FALSE(c_.decision->matches_recommendation);
}

TEST_F(DecisionTest, DecreeBeforeTheLetterIsInconsistent) {
  auto cmd = Decide();
  cmd.decree_date = Date{2024, 3, 1};
  auto error = Apply(cmd);
  ASSERT_TRUE(error);
  EXPECT_EQ(Fields(*error), std::vector<std::string>{"decree_date"});
  EXPECT_EQ(error->violations.list()[0].reason, ViolationReason::kInconsistent);
}

TEST_F(DecisionTest, FormThatTheEmployeeTypeDoesNotHaveIsUnsupported) {
  Case pppk = Opened({"B2"}, [] {
    auto e = CilacapTeacher();
    e.employee_type = EmployeeType::kPppk;
    return e;
  }());
  CaseEffects effects;
  auto rec = Recommend();
  rec.forms = {13};
  ASSERT_FALSE(ApplyRecommendation(pppk, rec, {}, CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects));
  auto cmd = Decide();
  cmd.expected_version = 0;
  cmd.forms = {13, 9};  // contract termination exists for PPPK; demotion does not
  auto error = ApplyDecision(pppk, cmd, {}, Us(absl::CivilDay(2024, 4, 1)), effects);
  ASSERT_TRUE(error);
  EXPECT_EQ(Fields(*error), std::vector<std::string>{"forms[1]"});
  EXPECT_EQ(error->violations.list()[0].reason, ViolationReason::kUnsupported);
}

TEST_F(DecisionTest, SecondDecisionIsAnIllegalTransition) {
  ASSERT_FALSE(Apply(Decide()));
  auto cmd = Decide();
  cmd.expected_version = 0;
  auto error = Apply(cmd);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, Error::Kind::kFailedPrecondition);
}

TEST_F(DecisionTest, AmendedAppealChangesTheSanctionInForce) {
  ASSERT_FALSE(Apply(Decide()));
  AppealCommand file{"r4", "case-1", 0, AppealCommand::Filing{1, Date{2024, 3, 25}, "PPK atasan", "", ""}, {}, ""};
  std::string id;
  CaseEffects effects;
  ASSERT_FALSE(ApplyAppeal(c_, file, Us(absl::CivilDay(2024, 4, 1)), effects, &id));
  EXPECT_EQ(c_.status, CaseStatus::kAppealed);
  AppealCommand result{"r5", "case-1", 0, {}, AppealCommand::Result{2, Date{2024, 3, 28}, "K-1", 4, {10}, ""}, id};
  effects = {};
  ASSERT_FALSE(ApplyAppeal(c_, result, Us(absl::CivilDay(2024, 4, 1)), effects, &id));
  EXPECT_EQ(c_.status, CaseStatus::kDecided);
  EXPECT_EQ(c_.effective_sanction->forms, std::vector<SanctionForm>{SanctionForm::kNonManagerial12Months});
  EXPECT_EQ(effects.notices.size(), 2u);
}

TEST(EscalationTest, StepsOncePerDueStepUpToTheDataBlock) {
  Case c = Opened();
  CaseEffects effects;
  ASSERT_FALSE(ApplyRecommendation(c, Recommend(), {}, CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects));
  int64_t late = Us(absl::CivilDay(2024, 6, 3));
  std::vector<EscalationLevel> steps;
  for (int i = 0; i < 5; ++i) {
    CaseEffects e;
    if (ApplyEscalation(c, late, e)) break;
    steps.push_back(*e.escalated);
    if (*e.escalated == EscalationLevel::kDataBlock) {
      ASSERT_EQ(e.notices.size(), 1u);
      EXPECT_EQ(e.notices[0].state, DisciplinaryState::kDataBlocked);
    }
  }
  EXPECT_EQ(steps, (std::vector<EscalationLevel>{EscalationLevel::kWarning, EscalationLevel::kReprimand,
                                                 EscalationLevel::kDataBlock}));
  EXPECT_EQ(c.NextEscalationUs(), 0);
  CaseEffects early;
  Case fresh = Opened();
  EXPECT_TRUE(ApplyEscalation(fresh, late, early));  // not recommended: nothing is due
}

TEST(CaseRulesTest, OpenCaseRequestIsValidatedFieldByField) {
  OpenCaseCommand cmd{"bad id!", "", {"c-2", ""}, "", "pemilu-2024", {"B2", "Z9", "B2"}, "", ""};
  auto fields = Fields(Error::Invalid(ValidateOpenCase(cmd, Shipped())));
  EXPECT_EQ(fields, (std::vector<std::string>{"request_id", "complaint_id", "related_complaint_ids[1]", "employee_id",
                                              "violation_codes[1]", "violation_codes[2]"}));
}

TEST(CaseRulesTest, ImpossibleDatesAreReportedPerPart) {
  Violations v;
  EXPECT_FALSE(CheckDate(Date{2023, 2, 29}, "decree_date", v));
  EXPECT_FALSE(CheckDate(Date{1800, 13, 1}, "letter_date", v));
  std::vector<std::string> fields;
  for (const auto& f : v.list()) fields.push_back(f.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"decree_date.day", "letter_date.year", "letter_date.month"}));
  EXPECT_EQ(CheckDate(Date{2024, 2, 29}, "d", v), absl::CivilDay(2024, 2, 29));
}

}  // namespace
}  // namespace netra::sanction

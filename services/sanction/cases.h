// Cases (DOMAIN.md §4 steps 4-7): one forwarded complaint against one
// employee, from the recommending authority's recommendation to the PPK's
// decision, escalation of late decisions and appeals. Plain C++: the rules,
// the one state table of the case lifecycle, and what each action changes.
// Storage is CaseStore; the registry is reached through `Directory`.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/dates.h"
#include "common/deadlines.h"
#include "common/history_chain.h"
#include "common/identifiers.h"
#include "common/result.h"
#include "common/state_table.h"
#include "services/sanction/catalog.h"

namespace netra::sanction {

// Enumerations are numbered as their netra.v1 counterparts.
enum class CaseStatus { kOpen = 1, kRecommended, kDecided, kAppealed, kNoViolation };
enum class EscalationLevel { kNone = 1, kWarning, kReprimand, kDataBlock };
enum class Verdict { kViolation = 1, kNoViolation };
enum class CaseOutcome { kSanctioned = 1, kNotSanctioned, kNoViolation };
enum class AppealKind { kObjection = 1, kAdministrativeAppeal };
enum class AppealDecision { kUpheld = 1, kAmended, kRevoked };
enum class NotifyTarget { kComplaintOutcome = 1, kRegistryStatus = 2 };
// What the registry is told: DisciplinaryState (common/identifiers.h).

std::string_view Name(CaseStatus status);       // "CASE_STATUS_OPEN"
std::string_view Name(EscalationLevel level);   // "ESCALATION_LEVEL_WARNING"
std::string_view StepName(EscalationLevel level);  // metric label: "warning", "reprimand", "data_block"

// ------------------------------------------------------------ the state table

// What can happen to a case. Names are the API's (RPC, and the entry kind
// where one RPC does two things) and appear in FAILED_PRECONDITION details.
enum class CaseAction {
  kRecommendViolation,    // IssueRecommendation, verdict VIOLATION
  kRecommendNoViolation,  // IssueRecommendation, verdict NO_VIOLATION
  kDecide,                // RecordDecision
  kFileAppeal,            // RecordAppeal with a filing
  kDecideAppeal,          // RecordAppeal with a result
  kEscalate,              // the sweeper, on an overdue case
};
std::string_view Name(CaseAction action);

using CaseTransition = StateTransition<CaseStatus, CaseAction>;

// The case lifecycle, the only place it is written down in code; the same
// table is in docs/case-workflow.md (a unit test keeps the two equal).
inline constexpr CaseTransition kCaseTransitions[] = {
    {CaseStatus::kOpen, CaseAction::kRecommendViolation, CaseStatus::kRecommended},
    {CaseStatus::kOpen, CaseAction::kRecommendNoViolation, CaseStatus::kNoViolation},
    {CaseStatus::kRecommended, CaseAction::kDecide, CaseStatus::kDecided},
    {CaseStatus::kRecommended, CaseAction::kEscalate, CaseStatus::kRecommended},
    {CaseStatus::kDecided, CaseAction::kFileAppeal, CaseStatus::kAppealed},
    {CaseStatus::kAppealed, CaseAction::kDecideAppeal, CaseStatus::kDecided},
};
inline constexpr StateTable<CaseStatus, CaseAction> kCaseLifecycle{kCaseTransitions};

// The actions allowed in `status`, by name, in table order.
std::vector<std::string> AllowedActions(CaseStatus status);
// The status `action` leads to, or FAILED_PRECONDITION naming the allowed actions.
Result<CaseStatus> NextStatus(CaseStatus status, CaseAction action);

// ------------------------------------------------------------------ the data

struct StaffingAuthority {
  std::string code, name;
  std::string region_code;  // whose time zone governs deadlines; empty = Asia/Jakarta
};

struct RecommendingAuthority {
  std::string code, name;
};

// The registry's employee as a case keeps it (netra.v1.EmployeeRef).
struct EmployeeSnapshot {
  std::string employee_id;
  EmployeeType employee_type = EmployeeType::kPns;
  std::string name, agency_code, agency_name, unit_name, position, work_region_code;
  StaffingAuthority ppk;  // empty code: the agency acts as PPK
  int64_t registry_version = 0;
};

// What a case takes from its election at opening: the authority and the
// deadline rules, and the days off of the PPK's region (so later steps need
// no call to the registry, and a changed election does not move a running
// deadline).
struct ElectionTerms {
  std::string election_id;
  RecommendingAuthority authority;
  DeadlineRule ppk_decision;
  // Days after the PPK deadline to a warning, after the warning to a
  // reprimand, after the reprimand to a data block; days 0 = the service's default.
  std::array<DeadlineRule, 3> escalation{};
  struct Holiday {
    absl::CivilDay day;
    std::string region_code;  // empty = nationwide
  };
  std::vector<Holiday> holidays;

  // Nationwide days off and those of `region_code` or an ancestor.
  std::vector<absl::CivilDay> DaysOffIn(std::string_view region_code) const;
};

// What the sanction service reads from the registry.
class Directory {
 public:
  virtual ~Directory() = default;
  // NOT_FOUND when there is no such employee; UNAVAILABLE when the registry cannot be asked.
  virtual Result<EmployeeSnapshot> FindEmployee(const std::string& employee_id) = 0;
  virtual Result<ElectionTerms> FindElection(const std::string& election_id) = 0;
};

struct ProposedSanction {
  SanctionLevel level = SanctionLevel::kCaseByCase;
  std::vector<SanctionForm> forms;
  std::string basis_code;
  Certainty certainty = Certainty::kConfirmed;
  bool needs_decision = true;
  std::string rationale;
};

// The proposal for `codes` (all in `catalog`) and an employee type: the
// heaviest level over the codes' rules for that type (DISMISSAL for party
// membership comes from the catalog), with that rule's forms (PPNPN: the
// contract ladder). Levels decided case by case only win when no code has a
// fixed level; ties go to the code that is heavier for a PNS, then the more
// certain, then the first in catalog order.
ProposedSanction ProposeSanction(const ViolationCatalog& catalog, const std::vector<std::string>& codes,
                                 EmployeeType employee_type);

struct Recommendation {
  std::string authority_code, letter_number;
  absl::CivilDay letter_date;
  Verdict verdict = Verdict::kViolation;
  SanctionLevel level = SanctionLevel::kCaseByCase;
  std::vector<SanctionForm> forms;
  std::string summary;
  Actor recorded_by;
  int64_t record_us = 0;
};

struct PpkDeadline {
  absl::CivilDay due_date;
  int64_t due_us = 0;  // the instant it passes
  std::string time_zone;
  DeadlineRule rule;
};

struct Decision {
  std::string decree_number;
  absl::CivilDay decree_date;
  CaseOutcome outcome = CaseOutcome::kSanctioned;
  SanctionLevel level = SanctionLevel::kCaseByCase;
  std::vector<SanctionForm> forms;
  bool matches_recommendation = false;
  bool on_time = false;
  std::string decided_by;
  std::optional<absl::CivilDay> effective_date, end_date;
  std::string note;
  Actor recorded_by;
  int64_t record_us = 0;
  int days_to_decision = 0, working_days_to_decision = 0;  // from the letter date
};

struct AppealFiling {
  AppealKind kind = AppealKind::kObjection;
  absl::CivilDay filed_date;
  std::string filed_with, reference_number, grounds;
};

struct AppealResult {
  AppealDecision decision = AppealDecision::kUpheld;
  absl::CivilDay decision_date;
  std::string document_number;
  SanctionLevel level = SanctionLevel::kCaseByCase;
  std::vector<SanctionForm> forms;
  std::string note;
};

struct Appeal {
  std::string appeal_id;
  AppealFiling filing;
  std::optional<AppealResult> result;
  int64_t file_us = 0, result_us = 0;
};

struct EffectiveSanction {
  CaseOutcome outcome = CaseOutcome::kSanctioned;
  SanctionLevel level = SanctionLevel::kCaseByCase;
  std::vector<SanctionForm> forms;
};

struct Escalation {
  EscalationLevel level = EscalationLevel::kWarning;
  int64_t escalate_us = 0;
  int working_days_overdue = 0;
  std::string notice_reference;
};

// A message to another service, queued with the change that caused it.
struct Notification {
  NotifyTarget target = NotifyTarget::kComplaintOutcome;
  int64_t case_version = 0;
  int64_t source_sequence = 0;  // history entry it reports (the registry orders by it)
  std::string dedupe_key;       // also the peer's request_id
};

struct Case {
  std::string case_id, complaint_id;
  std::vector<std::string> related_complaint_ids;
  std::string election_id;
  EmployeeSnapshot employee;
  StaffingAuthority ppk;
  std::string region_code;
  std::vector<std::string> violation_codes;
  std::string catalog_version;
  ProposedSanction proposed;
  RecommendingAuthority authority;
  CaseStatus status = CaseStatus::kOpen;
  std::string review_summary, review_document_number;
  std::optional<Recommendation> recommendation;
  std::optional<PpkDeadline> ppk_deadline;
  std::optional<Decision> decision;
  std::vector<Appeal> appeals;
  std::optional<EffectiveSanction> effective_sanction;
  EscalationLevel escalation_level = EscalationLevel::kNone;
  std::vector<Escalation> escalations;
  // When each step is due (unix µs, computed with the recommendation); the
  // next one due is escalation_due_us[level - 1] while RECOMMENDED.
  std::array<int64_t, 3> escalation_due_us{};
  std::vector<Notification> notifications;
  ElectionTerms terms;  // the election as at opening
  std::string ppk_time_zone;  // IANA zone of the PPK's region (Asia/Jakarta for a central agency)
  std::vector<SanctionForm> allowed_forms;  // forms the opening catalog has for the employee's type
  int64_t version = 0;
  int64_t open_us = 0, update_us = 0;
  int64_t stage_since_us = 0;  // when the case entered its current status
  HistoryHead history_head;

  bool Overdue(int64_t now_us) const {
    return status == CaseStatus::kRecommended && ppk_deadline && now_us >= ppk_deadline->due_us;
  }
  // The instant of the next escalation step, 0 when none is due.
  int64_t NextEscalationUs() const;
  // Province code of the case's region (metric label).
  std::string province() const { return region_code.size() >= 2 ? region_code.substr(0, 2) : "unknown"; }
};

// What one change does besides changing the case: history events and messages
// to other services (the store appends and queues them in the same transaction).
struct CaseEvent {
  std::string type;  // "case.opened", ...
  nlohmann::json payload;
};
struct PendingNotice {
  NotifyTarget target;
  DisciplinaryState state = DisciplinaryState::kNone;  // registry only
  // The document the notice reports (decree, appeal decision, authority's letter).
  std::string reference_number;
  std::optional<absl::CivilDay> reference_date;
};
struct CaseEffects {
  std::vector<CaseEvent> events;
  std::vector<PendingNotice> notices;
  std::optional<CaseStatus> left_status;  // the stage the case left (metrics)
  double stage_seconds = 0;               // how long it had been in that stage
  std::optional<EscalationLevel> escalated;
};

// The payload of a notification: everything the peer's request needs.
nlohmann::json NotificationPayload(const Case& c, const Notification& n, const PendingNotice& notice);

// ---------------------------------------------------------- commands and rules

// Dates from clients are the common Date (common/dates.h), checked by CheckDate.

struct OpenCaseCommand {
  std::string request_id, complaint_id;
  std::vector<std::string> related_complaint_ids;
  std::string employee_id, election_id;
  std::vector<std::string> violation_codes;
  std::string review_summary, review_document_number;
};

struct RecommendCommand {
  std::string request_id, case_id;
  int64_t expected_version = 0;  // 0 = no check
  std::string authority_code, letter_number;
  std::optional<Date> letter_date;
  int verdict = 0, level = 0;  // raw enum numbers; validated
  std::vector<int> forms;
  std::string summary;
};

struct DecisionCommand {
  std::string request_id, case_id;
  int64_t expected_version = 0;
  std::string decree_number;
  std::optional<Date> decree_date;
  int outcome = 0, level = 0;
  std::vector<int> forms;
  std::string decided_by;
  std::optional<Date> effective_date, end_date;
  std::string note;
};

struct AppealCommand {
  std::string request_id, case_id;
  int64_t expected_version = 0;
  struct Filing {
    int kind = 0;
    std::optional<Date> filed_date;
    std::string filed_with, reference_number, grounds;
  };
  struct Result {
    int decision = 0;
    std::optional<Date> decision_date;
    std::string document_number;
    int level = 0;
    std::vector<int> forms;
    std::string note;
  };
  std::optional<Filing> filing;
  std::optional<Result> result;
  std::string appeal_id;
};

// Service settings the rules use.
struct CaseRules {
  DeadlineRule default_ppk_decision{14, DayCounting::kWorkingDays};
  // Used where the election's escalation rule has days = 0.
  std::array<DeadlineRule, 3> default_escalation{DeadlineRule{5, DayCounting::kWorkingDays},
                                                DeadlineRule{5, DayCounting::kWorkingDays},
                                                DeadlineRule{10, DayCounting::kWorkingDays}};
};

// Limits (sanction.proto).
inline constexpr int kMaxIdLength = 128;
inline constexpr int kMaxRelatedComplaints = 10000;
inline constexpr int kMaxViolationCodes = 20;
inline constexpr int kMaxSummary = 10000;
inline constexpr int kMaxNumber = 200;
inline constexpr int kMaxNote = 2000;

// Checks of the request alone (the case's own checks come in the Apply* below).
Violations ValidateOpenCase(const OpenCaseCommand& command, const ViolationCatalog& catalog);

// A new case from a validated command and the registry's answers.
Case NewCase(const OpenCaseCommand& command, const EmployeeSnapshot& employee, const ElectionTerms& terms,
             const ViolationCatalog& catalog, std::string ppk_time_zone, std::string case_id, int64_t now_us,
             CaseEffects& effects);

// Each applies one action to `c` (as loaded in the write transaction) and
// fills `effects`; on an error `c` may be half-changed and must be dropped.
// Order of checks: version (ABORTED), state (FAILED_PRECONDITION), then the
// request against the case (INVALID_ARGUMENT).
std::optional<Error> ApplyRecommendation(Case& c, const RecommendCommand& command, const Actor& actor,
                                         const CaseRules& rules, int64_t now_us, CaseEffects& effects);
std::optional<Error> ApplyDecision(Case& c, const DecisionCommand& command, const Actor& actor, int64_t now_us,
                                   CaseEffects& effects);
std::optional<Error> ApplyAppeal(Case& c, const AppealCommand& command, int64_t now_us,
                                 CaseEffects& effects, std::string* appeal_id);
// The next escalation step of an overdue case (the sweeper).
std::optional<Error> ApplyEscalation(Case& c, int64_t now_us, CaseEffects& effects);

// Local day of an instant in a zone name (unknown zones count as Asia/Jakarta).
absl::CivilDay LocalDayIn(int64_t us, const std::string& time_zone);
absl::TimeZone ZoneNamed(const std::string& time_zone);

}  // namespace netra::sanction

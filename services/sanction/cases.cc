#include "services/sanction/cases.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/time/clock.h"

namespace netra::sanction {
namespace {

using nlohmann::json;

constexpr std::string_view kStatusNames[] = {"CASE_STATUS_OPEN", "CASE_STATUS_RECOMMENDED", "CASE_STATUS_DECIDED",
                                             "CASE_STATUS_APPEALED", "CASE_STATUS_NO_VIOLATION"};
constexpr std::string_view kEscalationNames[] = {"ESCALATION_LEVEL_NONE", "ESCALATION_LEVEL_WARNING",
                                                 "ESCALATION_LEVEL_REPRIMAND", "ESCALATION_LEVEL_DATA_BLOCK"};
constexpr std::string_view kStepNames[] = {"none", "warning", "reprimand", "data_block"};
constexpr std::string_view kActionNames[] = {
    "IssueRecommendation(VIOLATION)", "IssueRecommendation(NO_VIOLATION)", "RecordDecision",
    "RecordAppeal(filing)",           "RecordAppeal(result)",              "Escalate"};

// Severity of a fixed level; CASE_BY_CASE ranks below every fixed level.
int Rank(SanctionLevel level) { return level == SanctionLevel::kCaseByCase ? 0 : static_cast<int>(level); }

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

std::string Iso(absl::CivilDay day) { return absl::FormatCivilTime(day); }

json FormsJson(const std::vector<SanctionForm>& forms) {
  json out = json::array();
  for (auto f : forms) out.push_back(std::string(Name(f)));
  return out;
}

// Enum number from the client: in [1, max] or a violation under `field`.
template <class Enum>
std::optional<Enum> CheckEnum(int value, int max, const std::string& field, bool required, Violations& out) {
  if (value == 0) {
    if (required) out.Add(field, ViolationReason::kRequired, "is required");
    return std::nullopt;
  }
  if (value < 0 || value > max) {
    out.Add(field, ViolationReason::kOutOfRange, "unknown value " + std::to_string(value));
    return std::nullopt;
  }
  return static_cast<Enum>(value);
}

// Sanction level and forms of a recommendation, decision or amended appeal:
// a fixed level, and 1-14 distinct forms that exist for the employee's type.
void CheckSanction(const Case& c, int level, const std::vector<int>& forms, const std::string& level_field,
                   const std::string& forms_field, SanctionLevel* level_out, std::vector<SanctionForm>* forms_out,
                   Violations& out) {
  auto parsed = CheckEnum<SanctionLevel>(level, 6, level_field, true, out);
  if (parsed == SanctionLevel::kCaseByCase) {
    out.Add(level_field, ViolationReason::kUnsupported, "must be a fixed level, not CASE_BY_CASE");
  } else if (parsed) {
    *level_out = *parsed;
  }
  if (forms.empty()) out.Add(forms_field, ViolationReason::kRequired, "must list at least one sanction form");
  if (forms.size() > static_cast<size_t>(kSanctionFormCount)) {
    out.Add(forms_field, ViolationReason::kTooLong, "at most 14 forms");
    return;
  }
  std::set<SanctionForm> seen;
  for (size_t i = 0; i < forms.size(); ++i) {
    std::string field = forms_field + "[" + std::to_string(i) + "]";
    auto form = CheckEnum<SanctionForm>(forms[i], kSanctionFormCount, field, true, out);
    if (!form) continue;
    if (!seen.insert(*form).second) {
      out.Add(field, ViolationReason::kInconsistent, "form listed twice");
    } else if (std::find(c.allowed_forms.begin(), c.allowed_forms.end(), *form) == c.allowed_forms.end()) {
      out.Add(field, ViolationReason::kUnsupported,
              std::string(Name(*form)) + " does not exist for employee type " +
                  std::string(Name(c.employee.employee_type)));
    } else {
      forms_out->push_back(*form);
    }
  }
}

std::optional<Error> CheckVersion(const Case& c, int64_t expected) {
  if (expected != 0 && expected != c.version) return Error::Aborted("case", c.case_id, expected, c.version);
  return std::nullopt;
}

// The state table's verdict on `action`, applied to `c` (status and stage clock).
std::optional<Error> Transition(Case& c, CaseAction action, int64_t now_us, CaseEffects& effects) {
  auto next = NextStatus(c.status, action);
  if (!next.ok()) {
    Error e = next.error();
    e.resource_type = "case";
    e.resource_name = c.case_id;
    return e;
  }
  if (next.value() != c.status) {
    effects.left_status = c.status;
    effects.stage_seconds = static_cast<double>(now_us - c.stage_since_us) / 1e6;
    c.status = next.value();
    c.stage_since_us = now_us;
  }
  return std::nullopt;
}

void CheckTextField(const std::string& text, const std::string& field, bool required, int max, Violations& out) {
  CheckText(text, field, required, max, out);
}

// Today in the PPK's zone: dates of letters and decrees must not be after it.
absl::CivilDay Today(const Case& c, int64_t now_us) { return LocalDayIn(now_us, c.ppk_time_zone); }

void CheckNotFuture(const std::optional<absl::CivilDay>& day, absl::CivilDay today, const std::string& field,
                    Violations& out) {
  if (day && *day > today) out.Add(field, ViolationReason::kOutOfRange, "is in the future");
}

std::optional<absl::CivilDay> RequiredDay(const std::optional<Date>& input, const std::string& field,
                                          Violations& out) {
  if (!input) {
    out.Add(field, ViolationReason::kRequired, "is required");
    return std::nullopt;
  }
  return CheckDate(*input, field, out);
}

std::optional<absl::CivilDay> OptionalDay(const std::optional<Date>& input, const std::string& field,
                                          Violations& out) {
  return input ? CheckDate(*input, field, out) : std::nullopt;
}

bool SameForms(std::vector<SanctionForm> a, std::vector<SanctionForm> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// A holiday's scope covers a region: nationwide (empty), the region itself or
// an ancestor ("33" covers "33" and "33.01", not "330").
bool Covers(std::string_view scope, std::string_view region) {
  return scope.empty() || region == scope ||
         (region.size() > scope.size() && region.substr(0, scope.size()) == scope && region[scope.size()] == '.');
}

HolidayCalendar CalendarOf(const Case& c) { return HolidayCalendar(c.terms.DaysOffIn(c.ppk.region_code)); }

}  // namespace

std::string_view Name(CaseStatus s) { return kStatusNames[static_cast<int>(s) - 1]; }
std::string_view Name(EscalationLevel l) { return kEscalationNames[static_cast<int>(l) - 1]; }
std::string_view StepName(EscalationLevel l) { return kStepNames[static_cast<int>(l) - 1]; }
std::string_view Name(CaseAction a) { return kActionNames[static_cast<int>(a)]; }

std::vector<std::string> AllowedActions(CaseStatus status) {
  std::vector<std::string> out;
  for (CaseAction action : kCaseLifecycle.Allowed(status)) out.emplace_back(Name(action));
  return out;
}

Result<CaseStatus> NextStatus(CaseStatus status, CaseAction action) {
  if (auto next = kCaseLifecycle.Next(status, action)) return *next;
  return Error::Precondition(std::string(Name(status)), std::string(Name(action)), AllowedActions(status));
}

absl::TimeZone ZoneNamed(const std::string& time_zone) {
  absl::TimeZone zone;
  if (time_zone.empty() || !absl::LoadTimeZone(time_zone, &zone)) absl::LoadTimeZone("Asia/Jakarta", &zone);
  return zone;
}

absl::CivilDay LocalDayIn(int64_t us, const std::string& time_zone) {
  return LocalDay(absl::FromUnixMicros(us), ZoneNamed(time_zone));
}

std::vector<absl::CivilDay> ElectionTerms::DaysOffIn(std::string_view region_code) const {
  std::vector<absl::CivilDay> days;
  for (const auto& h : holidays) {
    if (Covers(h.region_code, region_code)) days.push_back(h.day);
  }
  return days;
}

int64_t Case::NextEscalationUs() const {
  if (status != CaseStatus::kRecommended || escalation_level == EscalationLevel::kDataBlock) return 0;
  return escalation_due_us[static_cast<int>(escalation_level) - 1];
}

ProposedSanction ProposeSanction(const ViolationCatalog& catalog, const std::vector<std::string>& codes,
                                 EmployeeType employee_type) {
  const ViolationType* basis = nullptr;
  const SanctionRule* basis_rule = nullptr;
  auto key = [&](const ViolationType* type, const SanctionRule* rule) {
    const SanctionRule* pns = type->RuleFor(EmployeeType::kPns);
    // Heavier first, then heavier for a PNS, then more certain (CONFIRMED = 1).
    return std::tuple(Rank(rule->level), pns ? Rank(pns->level) : 0, -static_cast<int>(type->certainty));
  };
  for (const auto& code : codes) {
    const ViolationType* type = catalog.Find(code);
    if (!type) continue;
    const SanctionRule* rule = type->RuleFor(employee_type);
    if (!rule) continue;
    if (!basis || key(type, rule) > key(basis, basis_rule)) {
      basis = type;
      basis_rule = rule;
    }
  }
  ProposedSanction p;
  if (!basis) {
    p.rationale = "no catalog rule applies; a person must decide";
    return p;
  }
  p.level = basis_rule->level;
  p.forms = basis_rule->forms;
  p.basis_code = basis->code;
  p.certainty = basis->certainty;
  p.needs_decision = p.level == SanctionLevel::kCaseByCase || p.certainty != Certainty::kConfirmed;
  p.rationale = "heaviest of " + std::to_string(codes.size()) + " code(s) for " + std::string(Name(employee_type)) +
                ": " + basis->code + " (" + std::string(Name(p.level)) + ", " + std::string(Name(p.certainty)) +
                ") in catalog " + catalog.version;
  if (employee_type == EmployeeType::kPpnpn) {
    p.rationale += "; PPNPN: the step on the contract ladder is set per work agreement (SE MenPANRB 1/2023)";
  }
  return p;
}

json NotificationPayload(const Case& c, const Notification& n, const PendingNotice& notice) {
  json p{{"case_id", c.case_id},
         {"complaint_id", c.complaint_id},
         {"employee_id", c.employee.employee_id},
         {"case_version", n.case_version},
         {"source_sequence", n.source_sequence},
         {"request_id", n.dedupe_key},
         {"reference_number", notice.reference_number},
         {"reference_date", notice.reference_date ? Iso(*notice.reference_date) : ""},
         {"state", static_cast<int>(notice.state)}};
  if (c.status == CaseStatus::kNoViolation) {
    p["outcome"] = static_cast<int>(CaseOutcome::kNoViolation);
  } else if (c.effective_sanction) {
    p["outcome"] = static_cast<int>(c.effective_sanction->outcome);
    if (c.effective_sanction->outcome == CaseOutcome::kSanctioned) {
      p["level"] = static_cast<int>(c.effective_sanction->level);
      json forms = json::array();
      for (auto f : c.effective_sanction->forms) forms.push_back(static_cast<int>(f));
      p["forms"] = forms;
    }
  }
  if (c.decision) {
    p["decided_by"] = c.decision->decided_by;
    if (c.decision->end_date) p["end_date"] = Iso(*c.decision->end_date);
  }
  return p;
}

Violations ValidateOpenCase(const OpenCaseCommand& cmd, const ViolationCatalog& catalog) {
  Violations v;
  // sanction.proto's own example for the forwarding is "<complaint_id>/open", so '/' is allowed here.
  std::string request_id = cmd.request_id;
  std::replace(request_id.begin(), request_id.end(), '/', ':');
  CheckRequestId(request_id, "request_id", v);
  CheckTextField(cmd.complaint_id, "complaint_id", true, kMaxIdLength, v);
  if (cmd.related_complaint_ids.size() > static_cast<size_t>(kMaxRelatedComplaints)) {
    v.Add("related_complaint_ids", ViolationReason::kTooLong, "at most 10000 complaint ids");
  } else {
    for (size_t i = 0; i < cmd.related_complaint_ids.size(); ++i) {
      std::string field = "related_complaint_ids[" + std::to_string(i) + "]";
      CheckTextField(cmd.related_complaint_ids[i], field, true, kMaxIdLength, v);
      if (!cmd.complaint_id.empty() && cmd.related_complaint_ids[i] == cmd.complaint_id) {
        v.Add(field, ViolationReason::kInconsistent, "is the case's own complaint");
      }
    }
  }
  CheckTextField(cmd.employee_id, "employee_id", true, kMaxIdLength, v);
  CheckTextField(cmd.election_id, "election_id", true, 64, v);
  if (cmd.violation_codes.empty()) {
    v.Add("violation_codes", ViolationReason::kRequired, "must list 1-20 violation codes");
  } else if (cmd.violation_codes.size() > static_cast<size_t>(kMaxViolationCodes)) {
    v.Add("violation_codes", ViolationReason::kTooLong, "at most 20 violation codes");
  } else {
    std::set<std::string> seen;
    for (size_t i = 0; i < cmd.violation_codes.size(); ++i) {
      std::string field = "violation_codes[" + std::to_string(i) + "]";
      const std::string& code = cmd.violation_codes[i];
      if (!catalog.Find(code)) {
        v.Add(field, ViolationReason::kNotFound, "not in violation catalog " + catalog.version);
      } else if (!seen.insert(code).second) {
        v.Add(field, ViolationReason::kInconsistent, "code listed twice");
      }
    }
  }
  CheckTextField(cmd.review_summary, "review_summary", false, kMaxSummary, v);
  CheckTextField(cmd.review_document_number, "review_document_number", false, kMaxNumber, v);
  return v;
}

Case NewCase(const OpenCaseCommand& cmd, const EmployeeSnapshot& employee, const ElectionTerms& terms,
             const ViolationCatalog& catalog, std::string ppk_time_zone, std::string case_id, int64_t now_us,
             CaseEffects& effects) {
  Case c;
  c.case_id = std::move(case_id);
  c.complaint_id = cmd.complaint_id;
  c.related_complaint_ids = cmd.related_complaint_ids;
  c.election_id = cmd.election_id;
  c.employee = employee;
  // An employee without a PPK of record is disciplined by the agency's head.
  c.ppk = employee.ppk.code.empty() ? StaffingAuthority{employee.agency_code, employee.agency_name, ""} : employee.ppk;
  c.region_code = employee.work_region_code;
  c.violation_codes = cmd.violation_codes;
  c.catalog_version = catalog.version;
  c.proposed = ProposeSanction(catalog, cmd.violation_codes, employee.employee_type);
  c.authority = terms.authority;
  c.review_summary = cmd.review_summary;
  c.review_document_number = cmd.review_document_number;
  c.terms = terms;
  // Only the PPK region's days off matter to this case; the rest would only weigh on every read.
  std::erase_if(c.terms.holidays,
                [&](const ElectionTerms::Holiday& h) { return !Covers(h.region_code, c.ppk.region_code); });
  c.ppk_time_zone = std::move(ppk_time_zone);
  std::set<SanctionForm> forms;
  for (const auto& type : catalog.violation_types) {
    if (const auto* rule = type.RuleFor(employee.employee_type)) forms.insert(rule->forms.begin(), rule->forms.end());
  }
  c.allowed_forms.assign(forms.begin(), forms.end());
  c.version = 1;
  c.open_us = c.update_us = c.stage_since_us = now_us;
  effects.events.push_back({"case.opened",
                            {{"complaint_id", c.complaint_id},
                             {"election_id", c.election_id},
                             {"employee_id", c.employee.employee_id},
                             {"ppk_code", c.ppk.code},
                             {"authority_code", c.authority.code},
                             {"violation_codes", c.violation_codes},
                             {"catalog_version", c.catalog_version},
                             {"proposed_level", std::string(Name(c.proposed.level))},
                             {"proposed_forms", FormsJson(c.proposed.forms)}}});
  return c;
}

std::optional<Error> ApplyRecommendation(Case& c, const RecommendCommand& cmd, const Actor& actor,
                                         const CaseRules& rules, int64_t now_us, CaseEffects& effects) {
  if (auto e = CheckVersion(c, cmd.expected_version)) return e;
  Violations v;
  auto verdict = CheckEnum<Verdict>(cmd.verdict, 2, "verdict", true, v);
  CaseAction action =
      verdict == Verdict::kNoViolation ? CaseAction::kRecommendNoViolation : CaseAction::kRecommendViolation;
  if (auto e = Transition(c, action, now_us, effects)) return e;

  CheckTextField(cmd.authority_code, "authority_code", true, 32, v);
  if (!cmd.authority_code.empty() && cmd.authority_code != c.authority.code) {
    v.Add("authority_code", ViolationReason::kInconsistent,
          "the case is for authority " + c.authority.code + ", not " + cmd.authority_code);
  }
  CheckTextField(cmd.letter_number, "letter_number", true, kMaxNumber, v);
  auto letter = RequiredDay(cmd.letter_date, "letter_date", v);
  CheckNotFuture(letter, Today(c, now_us), "letter_date", v);
  if (letter && *letter < LocalDayIn(c.open_us, c.ppk_time_zone)) {
    v.Add("letter_date", ViolationReason::kInconsistent, "is before the case was opened");
  }
  Recommendation r;
  if (verdict == Verdict::kViolation) {
    CheckSanction(c, cmd.level, cmd.forms, "level", "forms", &r.level, &r.forms, v);
  } else if (cmd.level != 0 || !cmd.forms.empty()) {
    v.Add(cmd.level != 0 ? "level" : "forms", ViolationReason::kInconsistent, "only with verdict VIOLATION");
  }
  CheckTextField(cmd.summary, "summary", false, kMaxSummary, v);
  if (!v.empty()) return Error::Invalid(std::move(v));

  r.authority_code = cmd.authority_code;
  r.letter_number = cmd.letter_number;
  r.letter_date = *letter;
  r.verdict = *verdict;
  r.summary = cmd.summary;
  r.recorded_by = actor;
  r.record_us = now_us;
  c.recommendation = r;
  json payload{{"verdict", *verdict == Verdict::kViolation ? "VIOLATION" : "NO_VIOLATION"},
               {"letter_number", r.letter_number},
               {"letter_date", Iso(r.letter_date)}};
  if (*verdict == Verdict::kNoViolation) {
    effects.notices.push_back({NotifyTarget::kComplaintOutcome, DisciplinaryState::kNone, r.letter_number, r.letter_date});
  } else {
    // The PPK's due date: letter date + the election's PPK days, in the PPK region's zone and days off.
    absl::TimeZone zone = ZoneNamed(c.ppk_time_zone);
    HolidayCalendar calendar = CalendarOf(c);
    DeadlineRule rule = c.terms.ppk_decision.days > 0 ? c.terms.ppk_decision : rules.default_ppk_decision;
    Deadline d = ComputeDeadline(absl::FromCivil(r.letter_date, zone), rule, zone, calendar);
    c.ppk_deadline = PpkDeadline{d.due_date, Micros(d.due_time), d.time_zone, rule};
    // Each escalation step counts from the day the previous one was due, so a
    // late sweep neither shifts nor skips steps.
    absl::CivilDay anchor = d.due_date;
    for (size_t i = 0; i < 3; ++i) {
      DeadlineRule step = c.terms.escalation[i].days > 0 ? c.terms.escalation[i] : rules.default_escalation[i];
      anchor = DueDate(anchor, step, calendar);
      c.escalation_due_us[i] = Micros(absl::FromCivil(anchor + 1, zone));
    }
    payload["level"] = std::string(Name(r.level));
    payload["forms"] = FormsJson(r.forms);
    payload["due_date"] = Iso(d.due_date);
  }
  effects.events.push_back({"case.recommendation_issued", std::move(payload)});
  return std::nullopt;
}

std::optional<Error> ApplyDecision(Case& c, const DecisionCommand& cmd, const Actor& actor, int64_t now_us,
                                   CaseEffects& effects) {
  if (auto e = CheckVersion(c, cmd.expected_version)) return e;
  if (auto e = Transition(c, CaseAction::kDecide, now_us, effects)) return e;
  Violations v;
  Decision d;
  CheckTextField(cmd.decree_number, "decree_number", true, kMaxNumber, v);
  auto decree = RequiredDay(cmd.decree_date, "decree_date", v);
  CheckNotFuture(decree, Today(c, now_us), "decree_date", v);
  if (decree && *decree < c.recommendation->letter_date) {
    v.Add("decree_date", ViolationReason::kInconsistent,
          "is before the recommendation's letter date " + Iso(c.recommendation->letter_date));
  }
  auto outcome = CheckEnum<CaseOutcome>(cmd.outcome, 3, "outcome", true, v);
  if (outcome == CaseOutcome::kNoViolation) {
    v.Add("outcome", ViolationReason::kUnsupported, "a PPK decides SANCTIONED or NOT_SANCTIONED");
  } else if (outcome == CaseOutcome::kSanctioned) {
    CheckSanction(c, cmd.level, cmd.forms, "level", "forms", &d.level, &d.forms, v);
  } else if (outcome && (cmd.level != 0 || !cmd.forms.empty())) {
    v.Add(cmd.level != 0 ? "level" : "forms", ViolationReason::kInconsistent, "only with outcome SANCTIONED");
  }
  CheckTextField(cmd.decided_by, "decided_by", false, kMaxNumber, v);
  auto effective = OptionalDay(cmd.effective_date, "effective_date", v);
  auto end = OptionalDay(cmd.end_date, "end_date", v);
  if (effective && decree && *effective < *decree) {
    v.Add("effective_date", ViolationReason::kInconsistent, "is before the decree date");
  }
  if (end && (effective ? *end < *effective : (decree && *end < *decree))) {
    v.Add("end_date", ViolationReason::kInconsistent, "is before the sanction starts");
  }
  CheckTextField(cmd.note, "note", false, kMaxNote, v);
  if (!v.empty()) return Error::Invalid(std::move(v));

  const Recommendation& r = *c.recommendation;
  d.decree_number = cmd.decree_number;
  d.decree_date = *decree;
  d.outcome = *outcome;
  d.matches_recommendation = d.outcome == CaseOutcome::kSanctioned && d.level == r.level && SameForms(d.forms, r.forms);
  d.on_time = d.decree_date <= c.ppk_deadline->due_date;
  d.decided_by = cmd.decided_by;
  d.effective_date = effective;
  d.end_date = end;
  d.note = cmd.note;
  d.recorded_by = actor;
  d.record_us = now_us;
  d.days_to_decision = static_cast<int>(d.decree_date - r.letter_date);
  d.working_days_to_decision = WorkingDaysBetween(r.letter_date, d.decree_date, CalendarOf(c));
  c.decision = d;
  c.effective_sanction = EffectiveSanction{d.outcome, d.level, d.forms};
  effects.events.push_back({"case.decision_recorded",
                            {{"decree_number", d.decree_number},
                             {"decree_date", Iso(d.decree_date)},
                             {"outcome", d.outcome == CaseOutcome::kSanctioned ? "SANCTIONED" : "NOT_SANCTIONED"},
                             {"level", d.outcome == CaseOutcome::kSanctioned ? std::string(Name(d.level)) : ""},
                             {"forms", FormsJson(d.forms)},
                             {"matches_recommendation", d.matches_recommendation},
                             {"on_time", d.on_time}}});
  effects.notices.push_back({NotifyTarget::kComplaintOutcome, DisciplinaryState::kNone, d.decree_number, d.decree_date});
  effects.notices.push_back({NotifyTarget::kRegistryStatus,
                             d.outcome == CaseOutcome::kSanctioned ? DisciplinaryState::kUnderSanction
                                                                   : DisciplinaryState::kNone,
                             d.decree_number, d.decree_date});
  return std::nullopt;
}

std::optional<Error> ApplyAppeal(Case& c, const AppealCommand& cmd, int64_t now_us,
                                 CaseEffects& effects, std::string* appeal_id) {
  if (auto e = CheckVersion(c, cmd.expected_version)) return e;
  Violations v;
  if (cmd.filing.has_value() == cmd.result.has_value()) {
    v.Add("entry", ViolationReason::kRequired, "exactly one of filing and result");
    return Error::Invalid(std::move(v));
  }
  if (cmd.filing) {
    if (auto e = Transition(c, CaseAction::kFileAppeal, now_us, effects)) return e;
    const auto& f = *cmd.filing;
    Appeal a;
    auto kind = CheckEnum<AppealKind>(f.kind, 2, "filing.kind", true, v);
    auto filed = RequiredDay(f.filed_date, "filing.filed_date", v);
    CheckNotFuture(filed, Today(c, now_us), "filing.filed_date", v);
    if (filed && *filed < c.decision->decree_date) {
      v.Add("filing.filed_date", ViolationReason::kInconsistent, "is before the decree date");
    }
    if (c.effective_sanction && c.effective_sanction->outcome != CaseOutcome::kSanctioned) {
      v.Add("filing", ViolationReason::kInconsistent, "there is no sanction in force to appeal against");
    }
    CheckTextField(f.filed_with, "filing.filed_with", false, kMaxNumber, v);
    CheckTextField(f.reference_number, "filing.reference_number", false, kMaxNumber, v);
    CheckTextField(f.grounds, "filing.grounds", false, kMaxSummary, v);
    if (!v.empty()) return Error::Invalid(std::move(v));
    a.appeal_id = c.case_id + "-appeal-" + std::to_string(c.appeals.size() + 1);
    a.filing = AppealFiling{*kind, *filed, f.filed_with, f.reference_number, f.grounds};
    a.file_us = now_us;
    c.appeals.push_back(a);
    *appeal_id = a.appeal_id;
    effects.events.push_back({"case.appeal_filed",
                              {{"appeal_id", a.appeal_id},
                               {"kind", *kind == AppealKind::kObjection ? "OBJECTION" : "ADMINISTRATIVE_APPEAL"},
                               {"filed_date", Iso(*filed)}}});
    return std::nullopt;
  }
  if (auto e = Transition(c, CaseAction::kDecideAppeal, now_us, effects)) return e;
  Appeal& pending = c.appeals.back();  // APPEALED means the last appeal is pending
  if (cmd.appeal_id != pending.appeal_id) {
    v.Add("appeal_id", cmd.appeal_id.empty() ? ViolationReason::kRequired : ViolationReason::kNotFound,
          "must name the pending appeal " + pending.appeal_id);
  }
  const auto& r = *cmd.result;
  AppealResult result;
  auto decision = CheckEnum<AppealDecision>(r.decision, 3, "result.decision", true, v);
  auto day = RequiredDay(r.decision_date, "result.decision_date", v);
  CheckNotFuture(day, Today(c, now_us), "result.decision_date", v);
  if (day && *day < pending.filing.filed_date) {
    v.Add("result.decision_date", ViolationReason::kInconsistent, "is before the filing date");
  }
  CheckTextField(r.document_number, "result.document_number", true, kMaxNumber, v);
  if (decision == AppealDecision::kAmended) {
    CheckSanction(c, r.level, r.forms, "result.level", "result.forms", &result.level, &result.forms, v);
  } else if (decision && (r.level != 0 || !r.forms.empty())) {
    v.Add(r.level != 0 ? "result.level" : "result.forms", ViolationReason::kInconsistent, "only with AMENDED");
  }
  CheckTextField(r.note, "result.note", false, kMaxNote, v);
  if (!v.empty()) return Error::Invalid(std::move(v));
  result.decision = *decision;
  result.decision_date = *day;
  result.document_number = r.document_number;
  result.note = r.note;
  pending.result = result;
  pending.result_us = now_us;
  *appeal_id = pending.appeal_id;
  static constexpr const char* kDecisions[] = {"", "UPHELD", "AMENDED", "REVOKED"};
  effects.events.push_back({"case.appeal_decided",
                            {{"appeal_id", pending.appeal_id},
                             {"decision", kDecisions[static_cast<int>(*decision)]},
                             {"document_number", r.document_number},
                             {"decision_date", Iso(*day)}}});
  if (*decision == AppealDecision::kUpheld) return std::nullopt;
  // A changed sanction reaches the complaint and the registry like a decision.
  c.effective_sanction = *decision == AppealDecision::kAmended
                             ? EffectiveSanction{CaseOutcome::kSanctioned, result.level, result.forms}
                             : EffectiveSanction{CaseOutcome::kNotSanctioned, SanctionLevel::kCaseByCase, {}};
  effects.notices.push_back({NotifyTarget::kComplaintOutcome, DisciplinaryState::kNone, r.document_number, *day});
  effects.notices.push_back({NotifyTarget::kRegistryStatus,
                             *decision == AppealDecision::kAmended ? DisciplinaryState::kUnderSanction
                                                                   : DisciplinaryState::kNone,
                             r.document_number, *day});
  return std::nullopt;
}

std::optional<Error> ApplyEscalation(Case& c, int64_t now_us, CaseEffects& effects) {
  int64_t due = c.NextEscalationUs();
  if (due == 0 || now_us < due) {
    return Error::Precondition(std::string(Name(c.status)), std::string(Name(CaseAction::kEscalate)),
                               AllowedActions(c.status));
  }
  if (auto e = Transition(c, CaseAction::kEscalate, now_us, effects)) return e;
  auto level = static_cast<EscalationLevel>(static_cast<int>(c.escalation_level) + 1);
  Escalation step;
  step.level = level;
  step.escalate_us = now_us;
  step.working_days_overdue = WorkingDaysBetween(c.ppk_deadline->due_date, Today(c, now_us), CalendarOf(c));
  step.notice_reference = c.case_id + "/" + std::string(StepName(level));
  c.escalation_level = level;
  c.escalations.push_back(step);
  effects.escalated = level;
  effects.events.push_back({"case.escalated",
                            {{"level", std::string(Name(level))},
                             {"working_days_overdue", step.working_days_overdue},
                             {"notice_reference", step.notice_reference}}});
  if (level == EscalationLevel::kDataBlock) {
    effects.notices.push_back({NotifyTarget::kRegistryStatus, DisciplinaryState::kDataBlocked, step.notice_reference,
                               Today(c, now_us)});
  }
  return std::nullopt;
}

}  // namespace netra::sanction

// How the case store keeps a case: the JSON of its body and the row helpers
// shared by the case rows (case_store.cc) and the sweeper's steps, history and
// queued notices (case_escalation.cc). Internal to the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/time/civil_time.h"
#include "services/sanction/case_store.h"

// JSON of the case body: optional values and calendar days.
namespace nlohmann {
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    if (value) {
      j = *value;
    } else {
      j = nullptr;
    }
  }
  static void from_json(const json& j, std::optional<T>& value) {
    if (j.is_null()) {
      value.reset();
    } else {
      value = j.get<T>();
    }
  }
};
template <>
struct adl_serializer<absl::CivilDay> {
  static void to_json(json& j, const absl::CivilDay& day) { j = absl::FormatCivilTime(day); }
  static void from_json(const json& j, absl::CivilDay& day) { absl::ParseCivilTime(j.get<std::string>(), &day); }
};
}  // namespace nlohmann

namespace netra {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DeadlineRule, days, counting)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Actor, id, kind, display_name, organization)
}  // namespace netra

namespace netra::sanction {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StaffingAuthority, code, name, region_code)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RecommendingAuthority, code, name)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EmployeeSnapshot, employee_id, employee_type, name, agency_code,
                                                agency_name, unit_name, position, work_region_code, ppk,
                                                registry_version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ElectionTerms::Holiday, day, region_code)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ElectionTerms, election_id, authority, ppk_decision, escalation,
                                                holidays)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProposedSanction, level, forms, basis_code, certainty,
                                                needs_decision, rationale)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Recommendation, authority_code, letter_number, letter_date, verdict,
                                                level, forms, summary, recorded_by, record_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PpkDeadline, due_date, due_us, time_zone, rule)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Decision, decree_number, decree_date, outcome, level, forms,
                                                matches_recommendation, on_time, decided_by, effective_date,
                                                end_date, note, recorded_by, record_us, days_to_decision,
                                                working_days_to_decision)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AppealFiling, kind, filed_date, filed_with, reference_number, grounds)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AppealResult, decision, decision_date, document_number, level, forms,
                                                note)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Appeal, appeal_id, filing, result, file_us, result_us)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EffectiveSanction, outcome, level, forms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Escalation, level, escalate_us, working_days_overdue,
                                                notice_reference)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Notification, target, case_version, source_sequence, dedupe_key)
// The history head lives in its own columns (raw hash bytes are not JSON text).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Case, case_id, complaint_id, related_complaint_ids, election_id,
                                                employee, ppk, region_code, violation_codes, catalog_version,
                                                proposed, authority, status, review_summary, review_document_number,
                                                recommendation, ppk_deadline, decision, appeals, effective_sanction,
                                                escalation_level, escalations, escalation_due_us, notifications,
                                                terms, ppk_time_zone, allowed_forms, version, open_us, update_us,
                                                stage_since_us)
}  // namespace netra::sanction

namespace netra::sanction::case_rows {

using nlohmann::json;

std::string Dump(const json& j);

// Reads the escalations column into `c`, with the steps' notifications (one
// the body already lists is not repeated); returns each step's notification.
std::vector<std::optional<Notification>> LoadSteps(const std::string& text, Case& c);

// The case whose `column` is `value`, or nullopt.
// `for_update`: the case is about to change. On PostgreSQL its row is then
// locked (FOR UPDATE), so that two replicas changing one case at once queue on
// the row, and the later one goes on with the changed case (read again, in a
// WriteLockingRows transaction; re-run on a serialization failure, in a Write)
// instead of colliding on the next history entry's key.
std::optional<Case> FindWhere(Connection& conn, std::string_view column, const std::string& value,
                              bool for_update = false);

void BindOptional(Statement& s, int index, const std::optional<int64_t>& value);
void BindOptional(Statement& s, int index, const std::optional<std::string>& value);

// Writes the row of `c`: an insert for a new case, else an update (which
// leaves the indexes of unchanged columns alone). Only the sweeper changes
// the escalations column (EscalateDue); the body leaves the steps out.
void WriteRow(Connection& conn, const Case& c, bool insert);

// Appends the change's events to the chain and queues its notices, on `c`.
void Record(Connection& conn, Case& c, const Actor& actor, int64_t now_us, const CaseEffects& effects);

}  // namespace netra::sanction::case_rows

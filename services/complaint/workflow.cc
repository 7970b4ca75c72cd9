#include "services/complaint/workflow.h"

#include <algorithm>
#include <cctype>

#include "services/complaint/intake.h"
#include "services/complaint/reporter.h"

namespace netra::complaint {
namespace {

std::vector<std::string> Without(std::vector<std::string> allowed, Action action) {
  std::erase(allowed, ActionName(action));
  return allowed;
}

}  // namespace

std::vector<std::string> AllowedActions(Status from) {
  std::vector<std::string> out;
  for (Action action : kWorkflow.Allowed(from)) out.push_back(ActionName(action));
  return out;
}

bool IsTerminal(Status status) {
  return status == Status::kClosed || status == Status::kRejected || status == Status::kWithdrawn ||
         status == Status::kDismissed;
}

std::string WorkflowMarkdown() {
  std::string out =
      "# Complaint workflow\n"
      "\n"
      "Generated from `services/complaint/workflow.h` (`kWorkflowRows`); a unit test\n"
      "(`ComplaintWorkflowTest.DocumentMatchesTheTable`) fails when this file and the table differ.\n"
      "Every action not listed for a state is refused with FAILED_PRECONDITION naming the allowed ones.\n"
      "Actions are taken on a cluster's primary complaint and apply to the whole cluster; on another\n"
      "member only `COMPLAINT_ACTION_WITHDRAW` (the report leaves the cluster) and\n"
      "`COMPLAINT_ACTION_RESOLVE_SUBJECT` are allowed. `RecordOutcome` is called by the sanction service.\n"
      "\n"
      "| state | action | next state |\n"
      "|---|---|---|\n";
  for (const WorkflowTransition& t : kWorkflow.rows()) {
    out += "| " + StatusLabel(t.from) + " | `" + ActionName(t.action) + "` | " + StatusLabel(t.to) + " |\n";
  }
  out +=
      "\n"
      "Terminal states: closed, rejected, withdrawn, dismissed.\n"
      "\n"
      "Deadlines (the election's rules, the act region's time zone, the shared calculator in\n"
      "`common/deadlines.h`): the report window runs from `known_time` (a Bawaslu finding: the finding\n"
      "window; during the quiet period and on voting day the election's hour-based window); the\n"
      "completion deadline from the moment a report is found or made incomplete; the initial-review\n"
      "and handling deadlines from registration; `COMPLAINT_ACTION_EXTEND_HANDLING` replaces the\n"
      "handling deadline once by the `handling_extended` rule, counted from registration.\n"
      "\n"
      "History events: `complaint.submitted` (on the new report; names the cluster it opened or\n"
      "joined, so a join adds nothing to the primary's chain: the cluster's members are listed from\n"
      "the store), `complaint.transitioned` (every action above, with actor, reason, old and new\n"
      "state), `complaint.forwarded` (the sanction service opened the case),\n"
      "`complaint.outcome_recorded`, `complaint.subject_resolved` (a subject the registry could not\n"
      "answer for, or did not know, looked up again in the background and now resolved, ambiguous\n"
      "or not found; actor `system:subject-resolver`), `complaint.reporter_revealed` (RevealReporter:\n"
      "the actor who saw the reporter's identity and the reason; the complaint's state and version do\n"
      "not change). No history payload holds the reporter's identity.\n"
      "\n"
      "`COMPLAINT_ACTION_COMPLETE` and `COMPLAINT_ACTION_WITHDRAW` are the reporter's own actions: they\n"
      "need the receipt secret SubmitComplaint returned (`receipt`); a missing, malformed or wrong one\n"
      "is INVALID_ARGUMENT on `receipt` and changes nothing.\n";
  out += SubjectMatchingMarkdown(SubjectMatching{});
  return out;
}

Effects NextVersion(const Complaint& current, std::string event_type, absl::Time now) {
  Effects change;
  change.updated = current;
  change.updated.version = current.version + 1;
  change.updated.update_time = now;
  change.event_type = std::move(event_type);
  return change;
}

Error Refused(const Complaint& current, Action action, std::vector<std::string> allowed, std::string message) {
  Error e = Error::Precondition(std::string(Name(current.status)), ActionName(action), std::move(allowed));
  if (!message.empty()) e.message = std::move(message);
  return e;
}

Result<Effects> ApplyTransition(const Complaint& current, const TransitionCommand& command,
                                const TransitionInputs& inputs, absl::Time now) {
  const Action action = command.action;
  const Status from = current.status;
  const bool member = !current.cluster.is_primary;
  if (member && action != Action::kWithdraw && action != Action::kResolveSubject) {
    // The cluster is handled on its primary; a member may only leave it or have its subject resolved.
    std::vector<std::string> allowed;
    for (const auto& name : AllowedActions(from)) {
      if (name == ActionName(Action::kWithdraw) || name == ActionName(Action::kResolveSubject)) allowed.push_back(name);
    }
    return Refused(current, action, std::move(allowed),
                   "complaint " + current.complaint_id + " is a member of cluster " + current.cluster.cluster_id +
                       "; act on its primary " + current.cluster.primary_complaint_id);
  }
  auto next = NextStatus(from, action);
  if (!next) return Refused(current, action, AllowedActions(from));
  if ((action == Action::kComplete || action == Action::kWithdraw) && !ReceiptMatches(current.receipt, command.receipt)) {
    // The reporter's own actions: the complaint id alone proves nothing.
    Violations v;
    v.Add("receipt", ViolationReason::kInconsistent,
          current.receipt.hash.empty() ? "no receipt was issued for this complaint (submitted before receipts)"
                                       : "is not this complaint's receipt");
    return Error::Invalid(std::move(v));
  }

  Effects change = NextVersion(current, "complaint.transitioned", now);
  change.status_changed = *next != from;
  change.cascade_to_cluster = !member;
  change.updated.status = *next;
  change.updated.status_reason = command.reason;
  change.payload = {{"action", ActionName(action)},
                    {"from", StatusLabel(from)},
                    {"to", StatusLabel(*next)},
                    {"reason", command.reason}};
  switch (action) {
    case Action::kRequestCompletion:
      return ApplyRequestCompletion(std::move(change), *inputs.election, inputs.region, now);
    case Action::kComplete:
      return ApplyComplete(std::move(change), command.amendment, inputs, now);
    case Action::kRegister:
      return ApplyRegister(std::move(change), *inputs.election, inputs.region, now);
    case Action::kExtendHandling:
      return ApplyExtendHandling(std::move(change), from, *inputs.election, inputs.region, inputs.registered_us);
    case Action::kWithdraw:
      return ApplyWithdraw(std::move(change));
    case Action::kForward:
      return ApplyForward(std::move(change), current, command.forward, inputs.cluster_members, now);
    case Action::kResolveSubject:
      return ApplyResolveSubject(std::move(change), *inputs.subject_employee, now);
    default:  // reject, start review, dismiss: the status and reason only
      return change;
  }
}

Result<Effects> ApplyRequestCompletion(Effects change, const ElectionTerms& election, const Region* region,
                                       absl::Time now) {
  Complaint& u = change.updated;
  u.missing_requirements = MissingRequirements(u);
  u.deadlines.completion = RuleDeadline(now, election.completion, election, region);
  return change;
}

Result<Effects> ApplyComplete(Effects change, const Amendment& a, const TransitionInputs& inputs, absl::Time now) {
  Complaint& u = change.updated;
  // Non-empty fields replace; nothing is cleared.
  auto set = [](std::string& target, const std::string& value) {
    if (!value.empty()) target = value;
  };
  set(u.reporter.name, a.reporter.name);
  set(u.reporter.address, a.reporter.address);
  set(u.reporter.contact, a.reporter.contact);
  set(u.reporter.organization, a.reporter.organization);
  set(u.subject.employee_number, a.subject.employee_number);
  set(u.subject.name, a.subject.name);
  set(u.subject.agency_name, a.subject.agency_name);
  set(u.subject.region_code, a.subject.region_code);
  set(u.subject.position, a.subject.position);
  if (!a.act.violation_codes.empty()) u.act.violation_codes = a.act.violation_codes;
  if (a.act.occurred_time) u.act.occurred_time = a.act.occurred_time;
  if (a.act.known_time) u.act.known_time = a.act.known_time;
  set(u.act.region_code, a.act.region_code);
  set(u.act.place, a.act.place);
  set(u.act.description, a.act.description);
  if (!a.act.source_urls.empty()) u.act.source_urls = a.act.source_urls;

  Violations unknown;
  for (size_t i = 0; i < a.add_evidence_ids.size(); ++i) {
    auto e = inputs.find_evidence(a.add_evidence_ids[i]);
    if (!e) {
      unknown.Add("amendment.add_evidence_ids[" + std::to_string(i) + "]", ViolationReason::kNotFound,
                  "evidence " + a.add_evidence_ids[i] + " was not uploaded");
    } else if (std::none_of(u.evidence.begin(), u.evidence.end(),
                            [&](const Evidence& x) { return x.evidence_id == e->evidence_id; })) {
      u.evidence.push_back(*e);
    }
  }
  if (u.evidence.size() > static_cast<size_t>(kMaxEvidence)) {
    unknown.Add("amendment.add_evidence_ids", ViolationReason::kTooLong, "a complaint holds at most 50 pieces of evidence");
  }
  if (u.act.occurred_time && u.act.known_time && *u.act.known_time < *u.act.occurred_time) {
    unknown.Add("amendment.act.known_time", ViolationReason::kInconsistent, "is before occurred_time");
  }
  if (!unknown.empty()) return Error::Invalid(std::move(unknown));
  auto missing = MissingRequirements(u);
  if (!missing.empty()) {
    // Still incomplete: nothing is stored, the reporter learns what is missing.
    Violations still;
    for (auto m : missing) still.Add("amendment", ViolationReason::kRequired, "still missing: " + std::string(Name(m)));
    return Error::Invalid(std::move(still));
  }
  u.missing_requirements.clear();
  u.deadlines.completion.reset();
  if (!a.subject.employee_number.empty() || !a.subject.name.empty()) {
    u.subject_resolution = inputs.resolve_subject(u.subject);
  }
  (void)now;
  change.payload["amended"] = true;
  return change;
}

Result<Effects> ApplyRegister(Effects change, const ElectionTerms& election, const Region* region, absl::Time now) {
  change.registered_us = absl::ToUnixMicros(now);
  ComplaintDeadlines& d = change.updated.deadlines;
  d.completion.reset();
  if (auto due = RuleDeadline(now, election.initial_review, election, region)) d.initial_review = *due;
  if (auto due = RuleDeadline(now, election.handling, election, region)) d.handling = *due;
  return change;
}

Result<Effects> ApplyExtendHandling(Effects change, Status from, const ElectionTerms& election, const Region* region,
                                    int64_t registered_us) {
  ComplaintDeadlines& d = change.updated.deadlines;
  if (d.handling_extended || election.handling_extended.days <= 0) {
    return Refused(change.updated, Action::kExtendHandling, Without(AllowedActions(from), Action::kExtendHandling),
                   d.handling_extended ? "the handling deadline was already extended"
                                       : "the election allows no extension");
  }
  d.handling = RuleDeadline(absl::FromUnixMicros(registered_us), election.handling_extended, election, region);
  d.handling_extended = true;
  return change;
}

Effects ApplyWithdraw(Effects change) {
  change.leave_cluster = true;
  change.cascade_to_cluster = false;  // the report leaves; the cluster carries on
  return change;
}

Result<Effects> ApplyForward(Effects change, const Complaint& current, const ForwardDetails& details,
                             const std::vector<std::string>& cluster_members, absl::Time now) {
  if (!current.subject_resolution.employee) {
    return Refused(current, Action::kForward, Without(AllowedActions(current.status), Action::kForward),
                   "the subject is not resolved to a registry employee; resolve it first");
  }
  Forwarding& f = change.updated.forwarding;
  f.status = ForwardingStatus::kPending;
  f.violation_codes = details.violation_codes.empty() ? current.act.violation_codes : details.violation_codes;
  f.review_summary = details.review_summary;
  f.review_document_number = details.review_document_number;
  f.request_time = now;
  // The case is opened by the outbox, committed with this change: never
  // lost, and OpenCase is idempotent on the complaint, so never doubled.
  ForwardingRequest open;
  open.complaint_id = current.complaint_id;
  for (const auto& id : cluster_members) {
    if (id != current.complaint_id) open.related_complaint_ids.push_back(id);
  }
  open.employee_id = current.subject_resolution.employee->employee_id;
  open.election_id = current.act.election_id;
  open.violation_codes = f.violation_codes;
  open.review_summary = f.review_summary;
  open.review_document_number = f.review_document_number;
  change.forwarding = std::move(open);
  change.payload["violation_codes"] = f.violation_codes;
  return change;
}

Effects ApplyResolveSubject(Effects change, const EmployeeRef& employee, absl::Time now) {
  SubjectResolution& r = change.updated.subject_resolution;
  // The history says what the person confirmed or overruled (its actor says who).
  change.payload["from"] = std::string(Name(r.status));
  change.payload["was_candidate"] = std::any_of(r.candidates.begin(), r.candidates.end(), [&](const SubjectCandidate& c) {
    return c.employee.employee_id == employee.employee_id;
  });
  r.status = ResolutionStatus::kResolvedByPerson;
  r.employee = employee;
  r.needs_review = false;
  r.resolve_time = now;
  change.payload["employee_id"] = employee.employee_id;
  change.subject_retry_us = 0;
  return change;
}

std::optional<Effects> ApplyForwarded(const Complaint& current, const std::string& case_id, absl::Time now) {
  if (current.forwarding.status == ForwardingStatus::kDone) return std::nullopt;  // delivered twice: one effect
  Effects change = NextVersion(current, "complaint.forwarded", now);
  change.payload = {{"case_id", case_id}};
  Forwarding& f = change.updated.forwarding;
  f.status = ForwardingStatus::kDone;
  f.case_id = case_id;
  f.done_time = now;
  return change;
}

Result<std::optional<Effects>> ApplyOutcome(const Complaint& current, const OutcomeCommand& r, absl::Time now) {
  const Status from = current.status;
  auto next = NextStatus(from, Action::kRecordOutcome);
  if (!next) return Refused(current, Action::kRecordOutcome, AllowedActions(from));
  const std::string& forwarded_case = current.forwarding.case_id;
  if (!forwarded_case.empty() && forwarded_case != r.case_id) {
    Violations other;
    other.Add("case_id", ViolationReason::kInconsistent,
              "complaint " + current.complaint_id + " was forwarded as case " + forwarded_case);
    return Error::Invalid(std::move(other));
  }
  // An outcome from an older case version than the recorded one changes nothing.
  if (current.outcome && r.case_version <= current.outcome->case_version) return std::optional<Effects>();

  Effects change = NextVersion(current, "complaint.outcome_recorded", now);
  change.status_changed = *next != from;
  change.cascade_to_cluster = true;
  Complaint& u = change.updated;
  u.status = *next;
  if (forwarded_case.empty()) {
    // OpenCase succeeded but its answer was not recorded yet: the case exists, the sanction service says so.
    u.forwarding.status = ForwardingStatus::kDone;
    u.forwarding.case_id = r.case_id;
    u.forwarding.done_time = now;
  }
  Outcome o;
  o.case_id = r.case_id;
  o.outcome = r.outcome;
  o.level = r.level;
  o.forms = r.forms;
  o.decree_number = r.decree_number;
  o.decree_date = *r.decree_date;
  o.decided_by = r.decided_by;
  o.case_version = r.case_version;
  o.record_time = now;
  u.outcome = std::move(o);
  change.payload = {{"case_id", r.case_id},
                    {"outcome", std::string(CaseOutcomeName(r.outcome))},
                    {"decree_number", r.decree_number},
                    {"case_version", r.case_version},
                    {"from", StatusLabel(from)},
                    {"to", StatusLabel(*next)}};
  return std::optional<Effects>(std::move(change));
}

Effects ApplySubjectResolved(const Complaint& current, SubjectResolution resolution, int64_t next_retry_us,
                             absl::Time now) {
  Effects change = NextVersion(current, "complaint.subject_resolved", now);
  change.payload = {{"from", std::string(Name(current.subject_resolution.status))},
                    {"to", std::string(Name(resolution.status))},
                    {"retry", true}};
  if (resolution.employee) change.payload["employee_id"] = resolution.employee->employee_id;
  change.subject_retry_us = next_retry_us;
  change.updated.subject_resolution = std::move(resolution);
  return change;
}

}  // namespace netra::complaint

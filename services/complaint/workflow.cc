#include "services/complaint/workflow.h"

#include <algorithm>
#include <cctype>

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;

constexpr Status kReceived = v1::COMPLAINT_STATUS_RECEIVED;
constexpr Status kIncomplete = v1::COMPLAINT_STATUS_INCOMPLETE;
constexpr Status kCompleted = v1::COMPLAINT_STATUS_COMPLETED;
constexpr Status kRegistered = v1::COMPLAINT_STATUS_REGISTERED;
constexpr Status kUnderReview = v1::COMPLAINT_STATUS_UNDER_REVIEW;
constexpr Status kForwarded = v1::COMPLAINT_STATUS_FORWARDED;
constexpr Status kClosed = v1::COMPLAINT_STATUS_CLOSED;
constexpr Status kRejected = v1::COMPLAINT_STATUS_REJECTED;
constexpr Status kWithdrawn = v1::COMPLAINT_STATUS_WITHDRAWN;
constexpr Status kDismissed = v1::COMPLAINT_STATUS_DISMISSED;

}  // namespace

const std::vector<Transition>& WorkflowTable() {
  // DOMAIN.md section 4: an incomplete report goes back for completion and is
  // not registered; it may be withdrawn only before registration; after
  // registration handling continues regardless of the reporter.
  static const std::vector<Transition> table = {
      {kReceived, Action::kRequestCompletion, kIncomplete},
      {kReceived, Action::kRegister, kRegistered},
      {kReceived, Action::kReject, kRejected},
      {kReceived, Action::kWithdraw, kWithdrawn},
      {kReceived, Action::kResolveSubject, kReceived},
      {kIncomplete, Action::kComplete, kCompleted},
      {kIncomplete, Action::kReject, kRejected},
      {kIncomplete, Action::kWithdraw, kWithdrawn},
      {kIncomplete, Action::kResolveSubject, kIncomplete},
      {kCompleted, Action::kRequestCompletion, kIncomplete},
      {kCompleted, Action::kRegister, kRegistered},
      {kCompleted, Action::kReject, kRejected},
      {kCompleted, Action::kWithdraw, kWithdrawn},
      {kCompleted, Action::kResolveSubject, kCompleted},
      {kRegistered, Action::kStartReview, kUnderReview},
      {kRegistered, Action::kDismiss, kDismissed},
      {kRegistered, Action::kResolveSubject, kRegistered},
      {kUnderReview, Action::kExtendHandling, kUnderReview},
      {kUnderReview, Action::kDismiss, kDismissed},
      {kUnderReview, Action::kForward, kForwarded},
      {kUnderReview, Action::kResolveSubject, kUnderReview},
      {kForwarded, Action::kRecordOutcome, kClosed},
      // A later outcome of the same case (after an appeal) replaces the earlier one.
      {kClosed, Action::kRecordOutcome, kClosed},
  };
  return table;
}

std::optional<Status> NextStatus(Status from, Action action) {
  for (const Transition& t : WorkflowTable()) {
    if (t.from == from && t.action == action) return t.to;
  }
  return std::nullopt;
}

std::vector<std::string> AllowedActions(Status from) {
  std::vector<std::string> out;
  for (const Transition& t : WorkflowTable()) {
    if (t.from == from) out.push_back(ActionName(t.action));
  }
  return out;
}

bool IsTerminal(Status status) {
  return status == kClosed || status == kRejected || status == kWithdrawn || status == kDismissed;
}

std::string ActionName(Action action) {
  if (action == Action::kRecordOutcome) return "RecordOutcome";
  return v1::ComplaintAction_Name(static_cast<v1::ComplaintAction>(action));
}

std::string StatusName(Status status) { return v1::ComplaintStatus_Name(status); }

std::string StatusLabel(Status status) {
  std::string name = StatusName(status);
  constexpr std::string_view kPrefix = "COMPLAINT_STATUS_";
  if (name.rfind(kPrefix, 0) == 0) name = name.substr(kPrefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

std::string WorkflowMarkdown() {
  std::string out =
      "# Complaint workflow\n"
      "\n"
      "Generated from `services/complaint/workflow.cc` (`WorkflowTable`); a unit test\n"
      "(`ComplaintWorkflowTest.DocumentMatchesTheTable`) fails when this file and the table differ.\n"
      "Every action not listed for a state is refused with FAILED_PRECONDITION naming the allowed ones.\n"
      "Actions are taken on a cluster's primary complaint and apply to the whole cluster; on another\n"
      "member only `COMPLAINT_ACTION_WITHDRAW` (the report leaves the cluster) and\n"
      "`COMPLAINT_ACTION_RESOLVE_SUBJECT` are allowed. `RecordOutcome` is called by the sanction service.\n"
      "\n"
      "| state | action | next state |\n"
      "|---|---|---|\n";
  for (const Transition& t : WorkflowTable()) {
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
      "or not found; actor `system:subject-resolver`).\n";
  return out;
}

}  // namespace netra::complaint

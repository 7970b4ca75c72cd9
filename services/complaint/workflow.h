// The complaint workflow: one table of (state, action) -> next state, the only
// place that says which action is allowed when. docs/complaint-workflow.md is
// rendered from it (WorkflowMarkdown) and a unit test keeps the two equal.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netra/v1/complaint.pb.h"

namespace netra::complaint {

using Status = netra::v1::ComplaintStatus;

// The actions of TransitionComplaint (netra.v1.ComplaintAction) plus the one
// the sanction service takes through RecordOutcome.
enum class Action {
  kRequestCompletion = netra::v1::COMPLAINT_ACTION_REQUEST_COMPLETION,
  kComplete = netra::v1::COMPLAINT_ACTION_COMPLETE,
  kRegister = netra::v1::COMPLAINT_ACTION_REGISTER,
  kReject = netra::v1::COMPLAINT_ACTION_REJECT,
  kWithdraw = netra::v1::COMPLAINT_ACTION_WITHDRAW,
  kStartReview = netra::v1::COMPLAINT_ACTION_START_REVIEW,
  kExtendHandling = netra::v1::COMPLAINT_ACTION_EXTEND_HANDLING,
  kDismiss = netra::v1::COMPLAINT_ACTION_DISMISS,
  kForward = netra::v1::COMPLAINT_ACTION_FORWARD,
  kResolveSubject = netra::v1::COMPLAINT_ACTION_RESOLVE_SUBJECT,
  kRecordOutcome = 100,  // RecordOutcome from the sanction service; not a TransitionComplaint action
};

struct Transition {
  Status from;
  Action action;
  Status to;
};

// The whole state machine.
const std::vector<Transition>& WorkflowTable();

// The state `action` leads to from `from`, or nullopt when it is not allowed.
std::optional<Status> NextStatus(Status from, Action action);
// Actions allowed in `from`, in table order (API names, e.g. "COMPLAINT_ACTION_REGISTER").
std::vector<std::string> AllowedActions(Status from);
bool IsTerminal(Status status);

// "COMPLAINT_ACTION_REGISTER", "RecordOutcome".
std::string ActionName(Action action);
// "COMPLAINT_STATUS_RECEIVED".
std::string StatusName(Status status);
// "received", "under_review" (metric labels, history payloads).
std::string StatusLabel(Status status);

// The text of docs/complaint-workflow.md.
std::string WorkflowMarkdown();

}  // namespace netra::complaint

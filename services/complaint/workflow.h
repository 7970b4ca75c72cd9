// The complaint workflow: one table of (state, action) -> next state, the only
// place that says which action is allowed when, and what each action changes
// (Apply*), returned as data for the store to commit. docs/complaint-workflow.md
// is rendered from the table (WorkflowMarkdown) and a unit test keeps the two equal.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/regions.h"
#include "common/state_table.h"
#include "services/complaint/complaint.h"

namespace netra::complaint {

using WorkflowTransition = StateTransition<Status, Action>;

// DOMAIN.md section 4: an incomplete report goes back for completion and is
// not registered; it may be withdrawn only before registration; after
// registration handling continues regardless of the reporter.
inline constexpr WorkflowTransition kWorkflowRows[] = {
    {Status::kReceived, Action::kRequestCompletion, Status::kIncomplete},
    {Status::kReceived, Action::kRegister, Status::kRegistered},
    {Status::kReceived, Action::kReject, Status::kRejected},
    {Status::kReceived, Action::kWithdraw, Status::kWithdrawn},
    {Status::kReceived, Action::kResolveSubject, Status::kReceived},
    {Status::kIncomplete, Action::kComplete, Status::kCompleted},
    {Status::kIncomplete, Action::kReject, Status::kRejected},
    {Status::kIncomplete, Action::kWithdraw, Status::kWithdrawn},
    {Status::kIncomplete, Action::kResolveSubject, Status::kIncomplete},
    {Status::kCompleted, Action::kRequestCompletion, Status::kIncomplete},
    {Status::kCompleted, Action::kRegister, Status::kRegistered},
    {Status::kCompleted, Action::kReject, Status::kRejected},
    {Status::kCompleted, Action::kWithdraw, Status::kWithdrawn},
    {Status::kCompleted, Action::kResolveSubject, Status::kCompleted},
    {Status::kRegistered, Action::kStartReview, Status::kUnderReview},
    {Status::kRegistered, Action::kDismiss, Status::kDismissed},
    {Status::kRegistered, Action::kResolveSubject, Status::kRegistered},
    {Status::kUnderReview, Action::kExtendHandling, Status::kUnderReview},
    {Status::kUnderReview, Action::kDismiss, Status::kDismissed},
    {Status::kUnderReview, Action::kForward, Status::kForwarded},
    {Status::kUnderReview, Action::kResolveSubject, Status::kUnderReview},
    {Status::kForwarded, Action::kRecordOutcome, Status::kClosed},
    // A later outcome of the same case (after an appeal) replaces the earlier one.
    {Status::kClosed, Action::kRecordOutcome, Status::kClosed},
};
inline constexpr StateTable<Status, Action> kWorkflow{kWorkflowRows};

// The state `action` leads to from `from`, or nullopt when it is not allowed.
inline std::optional<Status> NextStatus(Status from, Action action) { return kWorkflow.Next(from, action); }
// Actions allowed in `from`, in table order, by API name.
std::vector<std::string> AllowedActions(Status from);
// Handling has ended: closed (a later outcome may still replace the first),
// rejected, withdrawn, dismissed.
bool IsTerminal(Status status);
// The text of docs/complaint-workflow.md.
std::string WorkflowMarkdown();

// The sanction service's OpenCase for a forwarded complaint, as data; peers.cc
// turns it into the outbox message.
struct ForwardingRequest {
  std::string complaint_id;
  std::vector<std::string> related_complaint_ids;  // the cluster's other members
  std::string employee_id, election_id;
  std::vector<std::string> violation_codes;
  std::string review_summary, review_document_number;
};

// What one action changes, for the store to commit atomically with the
// history entry, the cluster cascade, the outbox message and the
// idempotency record.
struct Effects {
  Complaint updated;       // version + 1, stamped now
  std::string event_type;  // the history entry's kind
  nlohmann::json payload;  // and payload
  bool status_changed = false;
  bool cascade_to_cluster = false;  // the new status applies to the cluster's other members
  bool leave_cluster = false;       // a report withdrawn from its cluster
  int64_t registered_us = -1;       // >= 0: the registration time to keep
  int64_t subject_retry_us = -1;    // >= 0: when to look the subject up again (0: never)
  std::optional<ForwardingRequest> forwarding;
};

// The start of every change of `current`: its next version stamped `now`.
Effects NextVersion(const Complaint& current, std::string event_type, absl::Time now);

// What the transition rules need beyond the complaint and the command; the
// caller (Complaints) fetches what the action needs.
struct TransitionInputs {
  std::optional<ElectionTerms> election;  // kRequestCompletion, kRegister, kExtendHandling
  const Region* region = nullptr;           // the act's region (deadlines)
  int64_t registered_us = 0;                // kExtendHandling
  // kComplete: the evidence of the amendment (nullopt: not uploaded) and the
  // re-resolution of an amended subject.
  std::function<std::optional<Evidence>(const std::string& evidence_id)> find_evidence;
  std::function<SubjectResolution(const Subject& subject)> resolve_subject;
  std::vector<std::string> cluster_members;      // kForward: every member's id
  std::optional<EmployeeRef> subject_employee;   // kResolveSubject
};

// The refusal of `action` in the complaint's state (FAILED_PRECONDITION naming the allowed actions).
Error Refused(const Complaint& current, Action action, std::vector<std::string> allowed, std::string message = "");

// Checks the command's state rules (cluster membership, the table) and applies
// it. The command was validated (ValidateTransition).
Result<Effects> ApplyTransition(const Complaint& current, const TransitionCommand& command,
                                const TransitionInputs& inputs, absl::Time now);

// One function per action, each given a complaint whose state allows it.
Result<Effects> ApplyRequestCompletion(Effects change, const ElectionTerms& election, const Region* region,
                                       absl::Time now);
Result<Effects> ApplyComplete(Effects change, const Amendment& amendment, const TransitionInputs& inputs,
                              absl::Time now);
Result<Effects> ApplyRegister(Effects change, const ElectionTerms& election, const Region* region, absl::Time now);
Result<Effects> ApplyExtendHandling(Effects change, Status from, const ElectionTerms& election, const Region* region,
                                    int64_t registered_us);
Effects ApplyWithdraw(Effects change);
Result<Effects> ApplyForward(Effects change, const Complaint& current, const ForwardDetails& details,
                             const std::vector<std::string>& cluster_members, absl::Time now);
Effects ApplyResolveSubject(Effects change, const EmployeeRef& employee, absl::Time now);

// The sanction service opened `case_id` (the outbox delivery); nullopt: already recorded.
std::optional<Effects> ApplyForwarded(const Complaint& current, const std::string& case_id, absl::Time now);
// An outcome of the forwarded case. nullopt: an older case version than the
// recorded one, which changes nothing. The command was validated (ValidateOutcome).
Result<std::optional<Effects>> ApplyOutcome(const Complaint& current, const OutcomeCommand& command, absl::Time now);
// A subject looked up again in the background.
Effects ApplySubjectResolved(const Complaint& current, SubjectResolution resolution, int64_t next_retry_us,
                             absl::Time now);

}  // namespace netra::complaint

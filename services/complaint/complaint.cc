#include "services/complaint/complaint.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace netra::complaint {
namespace {

// The API's names, indexed by the enumerations' numbers; "" when out of range.
template <size_t N>
std::string_view NameAt(const std::array<std::string_view, N>& names, int number) {
  return number >= 0 && static_cast<size_t>(number) < N ? names[number] : std::string_view();
}

constexpr std::array<std::string_view, 11> kStatusNames = {
    "COMPLAINT_STATUS_UNSPECIFIED", "COMPLAINT_STATUS_RECEIVED",     "COMPLAINT_STATUS_INCOMPLETE",
    "COMPLAINT_STATUS_COMPLETED",   "COMPLAINT_STATUS_REGISTERED",   "COMPLAINT_STATUS_UNDER_REVIEW",
    "COMPLAINT_STATUS_FORWARDED",   "COMPLAINT_STATUS_CLOSED",       "COMPLAINT_STATUS_REJECTED",
    "COMPLAINT_STATUS_WITHDRAWN",   "COMPLAINT_STATUS_DISMISSED"};
constexpr std::array<std::string_view, 11> kActionNames = {
    "COMPLAINT_ACTION_UNSPECIFIED",    "COMPLAINT_ACTION_REQUEST_COMPLETION", "COMPLAINT_ACTION_COMPLETE",
    "COMPLAINT_ACTION_REGISTER",       "COMPLAINT_ACTION_REJECT",             "COMPLAINT_ACTION_WITHDRAW",
    "COMPLAINT_ACTION_START_REVIEW",   "COMPLAINT_ACTION_EXTEND_HANDLING",    "COMPLAINT_ACTION_DISMISS",
    "COMPLAINT_ACTION_FORWARD",        "COMPLAINT_ACTION_RESOLVE_SUBJECT"};
constexpr std::array<std::string_view, 7> kResolutionNames = {
    "SUBJECT_RESOLUTION_STATUS_UNSPECIFIED",        "SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER",
    "SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NAME",   "SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_PERSON",
    "SUBJECT_RESOLUTION_STATUS_AMBIGUOUS",          "SUBJECT_RESOLUTION_STATUS_NOT_FOUND",
    "SUBJECT_RESOLUTION_STATUS_PENDING"};
constexpr std::array<std::string_view, 8> kRequirementNames = {
    "COMPLAINT_REQUIREMENT_UNSPECIFIED", "COMPLAINT_REQUIREMENT_REPORTER_NAME",
    "COMPLAINT_REQUIREMENT_REPORTER_ADDRESS", "COMPLAINT_REQUIREMENT_SUBJECT",
    "COMPLAINT_REQUIREMENT_OCCURRED_TIME", "COMPLAINT_REQUIREMENT_PLACE",
    "COMPLAINT_REQUIREMENT_DESCRIPTION", "COMPLAINT_REQUIREMENT_EVIDENCE"};
constexpr std::array<std::string_view, 4> kCaseOutcomeNames = {
    "CASE_OUTCOME_UNSPECIFIED", "CASE_OUTCOME_SANCTIONED", "CASE_OUTCOME_NOT_SANCTIONED", "CASE_OUTCOME_NO_VIOLATION"};

}  // namespace

std::string_view Name(Status status) { return NameAt(kStatusNames, static_cast<int>(status)); }
std::string_view Name(ResolutionStatus status) { return NameAt(kResolutionNames, static_cast<int>(status)); }
std::string_view Name(Requirement requirement) { return NameAt(kRequirementNames, static_cast<int>(requirement)); }
std::string_view CaseOutcomeName(int outcome) { return NameAt(kCaseOutcomeNames, outcome); }

std::string ActionName(Action action) {
  if (action == Action::kRecordOutcome) return "RecordOutcome";
  return std::string(NameAt(kActionNames, static_cast<int>(action)));
}

std::string StatusLabel(Status status) {
  std::string name(Name(status));
  constexpr std::string_view kPrefix = "COMPLAINT_STATUS_";
  if (name.rfind(kPrefix, 0) == 0) name = name.substr(kPrefix.size());
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

}  // namespace netra::complaint

#include "services/sanction/forwarded_complaint.h"

#include <algorithm>

namespace netra::sanction {
namespace {

Error Refused(const OpenCaseCommand& command, const std::string& why) {
  return Error::Precondition("complaint " + command.complaint_id + " " + why, "OpenCase", {});
}

std::vector<std::string> Sorted(std::vector<std::string> codes) {
  std::sort(codes.begin(), codes.end());
  return codes;
}

}  // namespace

std::optional<Error> CheckForwarded(const OpenCaseCommand& command, const ForwardedComplaint& complaint) {
  if (!complaint.forwarded) return Refused(command, "is " + complaint.status + ", not forwarded");
  // Which fields differ, never their values: the request may be a probe.
  std::vector<std::string> differing;
  if (command.employee_id != complaint.employee_id) differing.push_back("employee_id");
  if (command.election_id != complaint.election_id) differing.push_back("election_id");
  if (Sorted(command.violation_codes) != Sorted(complaint.violation_codes)) differing.push_back("violation_codes");
  if (differing.empty()) return std::nullopt;
  std::string fields;
  for (const auto& field : differing) fields += (fields.empty() ? "" : ", ") + field;
  return Refused(command, "was forwarded with another " + fields);
}

Error ComplaintLookupError(const OpenCaseCommand& command, const Error& error) {
  if (error.kind == Error::Kind::kNotFound) return Refused(command, "is not held by the complaint service");
  return error;
}

}  // namespace netra::sanction

// A case is opened only for a complaint that the complaint service holds and
// forwarded, and only as that complaint says (issue 13, "Service-only
// calls"): the policy lets only svc/complaint call OpenCase, and this rule
// keeps a forged or stale OpenCase from that identity from opening a case
// the complaint service never asked for. Plain C++: the complaint service is
// reached through ComplaintRecords (peers.h asks its GetComplaint).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "services/sanction/cases.h"

namespace netra::sanction {

// What the complaint service holds about one complaint, as far as opening a
// case depends on it.
struct ForwardedComplaint {
  std::string complaint_id;
  // The status as the complaint service names it ("COMPLAINT_STATUS_FORWARDED").
  std::string status;
  // FORWARDED, or CLOSED (reached only from FORWARDED, when an outcome is recorded).
  bool forwarded = false;
  std::string employee_id;  // the resolved subject
  std::string election_id;
  std::vector<std::string> violation_codes;  // as forwarded
};

class ComplaintRecords {
 public:
  virtual ~ComplaintRecords() = default;
  // NOT_FOUND when the complaint service holds no such complaint; UNAVAILABLE
  // when it cannot be asked (the forwarding is then retried).
  virtual Result<ForwardedComplaint> FindComplaint(const std::string& complaint_id) = 0;
};

// FAILED_PRECONDITION when `command` may not open a case for `complaint`:
// not forwarded, or naming another subject, election or violation codes than
// the complaint forwarded; nullopt when it may.
std::optional<Error> CheckForwarded(const OpenCaseCommand& command, const ForwardedComplaint& complaint);

// FAILED_PRECONDITION for a complaint the complaint service does not hold, or
// `error` itself (UNAVAILABLE, ...) when it could not say.
Error ComplaintLookupError(const OpenCaseCommand& command, const Error& error);

}  // namespace netra::sanction

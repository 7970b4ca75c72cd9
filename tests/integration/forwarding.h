// Complaints taken through the complaint service for tests of cases: the
// sanction service opens a case only for a complaint the complaint service
// holds and forwarded (issue 13), so a test that needs a case forwards one.
#pragma once

#include <string>
#include <vector>

#include "netra/v1/complaint.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {

class ComplaintForwarder {
 public:
  // The complaint service of `stack` must be running (and the registry, to
  // resolve the subject; `election_id` seeded there).
  explicit ComplaintForwarder(NetraStack& stack) : stack_(stack) {}

  // A report `name` about the employee with NIP `nip` in Kota Semarang for
  // `codes`, submitted at Bawaslu Kota Semarang's office and handled by it up
  // to `until` (REGISTERED or FORWARDED). A forwarded one is returned once the
  // complaint service has opened its case (forwarding DONE, case_id set).
  netra::v1::Complaint Report(const std::string& name, const std::string& nip, const std::string& election_id,
                              const std::vector<std::string>& codes, netra::v1::ComplaintStatus until);

 private:
  netra::v1::Complaint Act(const netra::v1::Complaint& c, netra::v1::ComplaintAction action);
  std::string Evidence();

  NetraStack& stack_;
  std::string evidence_id_;
};

}  // namespace netra::testing

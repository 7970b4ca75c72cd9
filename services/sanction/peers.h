// The sanction service's peers: the registry as the domain's Directory
// (employee snapshots from Redis first, elections), and the outbox handlers
// that deliver decisions to ComplaintService.RecordOutcome and
// RegistryService.SetDisciplinaryStatus. Proto <-> domain lives here, next to
// the handler; the domain never sees gRPC.
#pragma once

#include <memory>

#include "common/outbox.h"
#include "common/registry_client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "services/sanction/case_store.h"
#include "services/sanction/cases.h"

namespace netra::sanction {

class RegistryDirectory final : public Directory {
 public:
  explicit RegistryDirectory(RegistryClient& registry) : registry_(registry) {}
  Result<EmployeeSnapshot> FindEmployee(const std::string& employee_id) override;
  Result<ElectionTerms> FindElection(const std::string& election_id) override;

 private:
  RegistryClient& registry_;
};

// Registers the delivery of both notification kinds on `dispatcher`.
// `complaint` may be null (no complaint service configured: outcomes wait).
void HandleNotifications(OutboxDispatcher& dispatcher, RegistryClient& registry,
                         std::shared_ptr<netra::v1::ComplaintService::Stub> complaint);

EmployeeSnapshot FromProto(const netra::v1::Employee& employee);
ElectionTerms FromProto(const netra::v1::Election& election);

}  // namespace netra::sanction

// The sanction service's peers: the registry as the domain's Directory
// (employee snapshots from Redis first, elections), and the outbox handlers
// that deliver decisions to ComplaintService.RecordOutcome and
// RegistryService.SetDisciplinaryStatus. Proto <-> domain lives here, next to
// the handler; the domain never sees gRPC.
#pragma once

#include <memory>

#include "common/outbox.h"
#include "common/registry_client.h"
#include "common/server.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "services/sanction/case_store.h"
#include "services/sanction/cases.h"
#include "services/sanction/forwarded_complaint.h"

namespace netra::sanction {

class RegistryDirectory final : public Directory {
 public:
  explicit RegistryDirectory(RegistryClient& registry) : registry_(registry) {}
  Result<EmployeeSnapshot> FindEmployee(const std::string& employee_id) override;
  Result<ElectionTerms> FindElection(const std::string& election_id) override;

 private:
  RegistryClient& registry_;
};

// The complaint service as the domain sees it: GetComplaint, as svc/sanction
// (deploy/access-policy.json), read for what opening a case depends on.
class ComplaintServiceRecords final : public ComplaintRecords {
 public:
  explicit ComplaintServiceRecords(std::shared_ptr<netra::v1::ComplaintService::Stub> complaint)
      : complaint_(std::move(complaint)) {}
  Result<ForwardedComplaint> FindComplaint(const std::string& complaint_id) override;

 private:
  std::shared_ptr<netra::v1::ComplaintService::Stub> complaint_;
};

// The peers, connected at start and kept alive by the service's parts.
struct Peers {
  RegistryClient* registry = nullptr;    // employees (Redis first) and elections
  Directory* directory = nullptr;        // the registry as the domain sees it
  std::shared_ptr<netra::v1::ComplaintService::Stub> complaint;  // null without --complaint
  ComplaintRecords* complaints = nullptr;  // the complaint service as the domain sees it
};
// False with *error set when a required peer is not configured.
bool ConnectPeers(const ServiceEnvironment& env, ServiceParts& parts, Peers* peers, std::string* error);
// The outbox dispatcher that delivers the domain's notifications to the peers
// (kept by `parts`, not started).
OutboxDispatcher* NotificationOutbox(const ServiceEnvironment& env, ServiceParts& parts, const Peers& peers);

// Registers the delivery of both notification kinds on `dispatcher`.
// `complaint` may be null (no complaint service configured: outcomes wait).
void HandleNotifications(OutboxDispatcher& dispatcher, RegistryClient& registry,
                         std::shared_ptr<netra::v1::ComplaintService::Stub> complaint);

EmployeeSnapshot FromProto(const netra::v1::Employee& employee);
ElectionTerms FromProto(const netra::v1::Election& election);

}  // namespace netra::sanction

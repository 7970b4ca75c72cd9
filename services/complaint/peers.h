// The complaint service's peers over gRPC: the registry as the domain's
// Directory, the violation catalog the sanction service publishes, and the
// forwarding of a complaint as the sanction service's OpenCase (an outbox message).
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "common/outbox.h"
#include "common/redis.h"
#include "common/registry_client.h"
#include "common/server.h"
#include "services/complaint/complaint.h"
#include "services/complaint/complaints.h"
#include "services/complaint/intake.h"
#include "services/complaint/workflow.h"

namespace netra::complaint {

// The registry as the domain sees it.
class RegistryDirectory final : public Directory {
 public:
  explicit RegistryDirectory(RegistryClient& client) : client_(client) {}
  Result<EmployeeRef> FindEmployee(std::string_view employee_id) override;
  Result<std::vector<EmployeeRef>> SearchEmployees(std::string_view name, std::string_view region_code,
                                                   int limit) override;
  Result<ElectionTerms> FindElection(std::string_view election_id) override;

 private:
  RegistryClient& client_;
};

// The violation catalog the sanction service publishes: its copy in Redis,
// else SanctionService.ListViolationTypes; nullopt when neither answers.
ViolationCatalogSource::Fetch SanctionCatalogFetch(RedisClient& redis, std::shared_ptr<grpc::Channel> sanction);

// A forwarding effect as the outbox message: a serialized netra.v1.OpenCaseRequest.
std::string OpenCaseMessage(const ForwardingRequest& forwarding);

// Delivers a queued forwarding: SanctionService.OpenCase, then records the case id.
OutboxDispatcher::Handler ForwardingDelivery(Complaints& complaints, std::shared_ptr<grpc::Channel> sanction);

// The peers, connected at start and kept alive by the service's parts.
struct Peers {
  RegistryClient* registry = nullptr;       // employees (Redis first) and elections
  Directory* directory = nullptr;           // the registry as the domain sees it
  std::shared_ptr<grpc::Channel> sanction;  // the catalog and forwarding
};
// Never fails today (the peers are reached lazily); the signature matches the
// other services' ConnectPeers.
bool ConnectPeers(const ServiceEnvironment& env, ServiceParts& parts, Peers* peers, std::string* error);
// The outbox dispatcher that forwards complaints to the sanction service
// (kept by `parts`, not started); retried while it is out of reach, parked
// when it refuses (operators: OutboxAdminService).
OutboxDispatcher* ForwardingOutbox(const ServiceEnvironment& env, ServiceParts& parts, const Peers& peers,
                                   Complaints& complaints);

}  // namespace netra::complaint

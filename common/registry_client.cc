#include "common/registry_client.h"

#include "common/client.h"
#include "common/peer_status.h"
#include "common/redis.h"

namespace netra {
namespace {

// The registry's status, as the caller's outcome (peer_status.h): NOT_FOUND
// and other answers about the request keep their meaning; only an unreachable
// or overloaded registry is Unavailable.
Error FromStatus(const grpc::Status& status, std::string_view type, std::string_view id) {
  return FromPeerStatus(status, {"registry", type, id, type == "employee" ? "employee_id" : "election_id"});
}

}  // namespace

RegistryClient::RegistryClient(Cache& employee_cache, std::shared_ptr<grpc::Channel> channel,
                               std::chrono::milliseconds deadline, std::chrono::seconds election_ttl)
    : employee_cache_(employee_cache),
      stub_(v1::RegistryService::NewStub(std::move(channel))),
      deadline_(deadline),
      election_ttl_(election_ttl) {}

Result<v1::Employee> RegistryClient::FindEmployee(std::string_view employee_id) {
  std::optional<Error> failure;
  std::optional<v1::Employee> fetched;
  // The loader never returns bytes: only the registry writes snapshots, so a
  // reader cannot put back one that an update has just replaced.
  auto cached = employee_cache_.GetOrLoad(std::string(kEmployeeSnapshotKeyPrefix) + std::string(employee_id),
                                          std::chrono::hours(24), [&]() -> std::optional<std::string> {
                                            auto found = FindEmployeeInRegistry(employee_id);
                                            if (found.ok()) fetched = std::move(found.value());
                                            else failure = found.error();
                                            return std::nullopt;
                                          });
  if (fetched) return std::move(*fetched);
  if (failure) return std::move(*failure);
  if (cached) {
    v1::Employee employee;
    if (employee.ParseFromString(*cached) && employee.employee_id() == employee_id) return employee;
  }
  // A corrupt snapshot: ask the registry itself.
  return FindEmployeeInRegistry(employee_id);
}

Result<v1::Employee> RegistryClient::FindEmployeeInRegistry(std::string_view employee_id) {
  v1::GetEmployeeRequest request;
  request.set_employee_id(std::string(employee_id));
  v1::GetEmployeeResponse response;
  auto context = MakeClientContext(deadline_);
  grpc::Status status = stub_->GetEmployee(context.get(), request, &response);
  if (!status.ok()) return FromStatus(status, "employee", employee_id);
  return std::move(*response.mutable_employee());
}

Result<v1::Election> RegistryClient::FindElection(std::string_view election_id) {
  const std::string id(election_id);
  {
    std::lock_guard lock(mu_);
    auto it = elections_.find(id);
    if (it != elections_.end() && std::chrono::steady_clock::now() - it->second.fetched < election_ttl_) {
      return it->second.election;
    }
  }
  v1::GetElectionRequest request;
  request.set_election_id(id);
  v1::GetElectionResponse response;
  auto context = MakeClientContext(deadline_);
  grpc::Status status = stub_->GetElection(context.get(), request, &response);
  if (!status.ok()) {
    // A registry outage should not stop intake while we still know the rules.
    std::lock_guard lock(mu_);
    auto it = elections_.find(id);
    if (it != elections_.end() && IsTransient(status.error_code())) {
      return it->second.election;
    }
    return FromStatus(status, "election", election_id);
  }
  std::lock_guard lock(mu_);
  elections_[id] = {response.election(), std::chrono::steady_clock::now()};
  return response.election();
}

}  // namespace netra

// What the complaint and sanction services read from the registry: employee
// snapshots (Redis first, as the registry writes them through; then
// RegistryService.GetEmployee) and elections (kept in process for a short
// while: they change rarely and every submission needs one).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"
#include "netra/v1/registry.grpc.pb.h"

namespace netra {

class Cache;

// Where the registry writes employee snapshots (after the deployment prefix):
// serialized netra.v1.Employee, see docs/redis.md.
inline constexpr std::string_view kEmployeeSnapshotKeyPrefix = "registry:employee:";

class RegistryClient {
 public:
  // `employee_cache` reads the registry's snapshot keys (registry:employee:<id>,
  // docs/redis.md); `channel` reaches RegistryService.
  RegistryClient(Cache& employee_cache, std::shared_ptr<grpc::Channel> channel,
                 std::chrono::milliseconds deadline = std::chrono::milliseconds(2000),
                 std::chrono::seconds election_ttl = std::chrono::seconds(30));

  // NotFound when the registry has no such employee; Invalid (on
  // "employee_id") when it rejects the id; Unavailable only when neither Redis
  // nor the registry answers (peer_status.h: the registry's answer keeps its meaning).
  Result<v1::Employee> FindEmployee(std::string_view employee_id);
  // The registry's own answer, never the Redis snapshot: for a read that decides
  // who may act later (the PPK a case is opened with). Redis is a cache, and a
  // value read from it never grants a permission (docs/security.md).
  Result<v1::Employee> FindEmployeeInRegistry(std::string_view employee_id);
  // As above (Invalid on "election_id"). While the registry is unreachable,
  // an election read in the last election_ttl is still returned.
  Result<v1::Election> FindElection(std::string_view election_id);

  // The stub, for calls this class does not wrap (SearchEmployees,
  // SetDisciplinaryStatus). Use MakeClientContext for deadlines.
  v1::RegistryService::Stub& stub() { return *stub_; }

 private:
  Cache& employee_cache_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
  std::chrono::milliseconds deadline_;
  std::chrono::seconds election_ttl_;

  std::mutex mu_;
  struct CachedElection {
    v1::Election election;
    std::chrono::steady_clock::time_point fetched;
  };
  std::unordered_map<std::string, CachedElection> elections_;  // guarded by mu_
};

}  // namespace netra

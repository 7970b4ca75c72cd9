// Employees on the wire and in Redis: conversions between the domain's
// Employee and netra.v1.Employee, and the Redis side of EmployeeSnapshots
// (docs/redis.md): the serialized netra.v1.Employee under
// registry:employee:<employee_id>, and the changed ids published on
// registry:employee-changed (one message: ids separated by '\n').
#pragma once

#include <array>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/redis.h"
#include "netra/v1/registry.pb.h"
#include "services/registry/employees.h"

namespace netra::registry {

void ToProto(const Employee& employee, netra::v1::Employee* out);
// Input fields only (output-only fields are ignored, as registry.proto says).
Employee FromProto(const netra::v1::Employee& in);
// The same into *out: sets every input field, leaves the output-only ones.
// Assigning into strings that have memory reuses it (an import's reused rows).
void FromProto(const netra::v1::Employee& in, Employee* out);

class EmployeeCache final : public EmployeeSnapshots {
 public:
  static constexpr std::string_view kKeyPrefix = "registry:employee:";
  static constexpr std::string_view kChangedChannel = "registry:employee-changed";
  // Snapshots expire so that one missed while Redis was unreachable cannot
  // stay stale for ever; other services fall back to GetEmployee on a miss.
  static constexpr std::chrono::milliseconds kTtl = std::chrono::hours(24);

  // In front of Redis, each replica keeps copies of the snapshots it served
  // last (GetEmployee without a Redis round trip), counted as
  // netra_cache_requests_total{cache="employee_local"}. They are used only
  // while the subscription to kChangedChannel is live; a message drops the
  // copies it names, and all are dropped whenever messages may have been
  // missed. A copy lives at most kLocalTtl all the same: a bound on staleness
  // should a message be lost on a connection that still looks healthy.
  static constexpr size_t kLocalEntries = 20000;
  static constexpr std::chrono::seconds kLocalTtl{5};

  EmployeeCache(RedisClient& redis, prometheus::Registry& metrics, size_t local_entries = kLocalEntries);

  std::optional<Employee> GetOrLoad(const std::string& employee_id,
                                    const std::function<std::optional<Employee>()>& load) override;
  void Changed(const Employee& employee) override;
  void Invalidate(std::span<const std::string> employee_ids) override;

  // Whether local copies are in use (the subscription is live); for tests.
  bool local_enabled() const { return subscription_.live(); }

 private:
  struct Copy {
    Employee employee;
    std::chrono::steady_clock::time_point expires;
  };
  // A load keeps its result only if no change touched the shard meanwhile
  // (epoch unchanged), so a copy never outlives the message that outdated it.
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Copy> copies;
    uint64_t epoch = 0;
  };
  static constexpr size_t kShards = 16;

  std::optional<Employee> Load(const std::string& employee_id, const std::function<std::optional<Employee>()>& load);
  Shard& ShardOf(const std::string& employee_id) { return shards_[std::hash<std::string>{}(employee_id) % kShards]; }
  void Keep(const Employee& employee, uint64_t epoch);
  void Forget(std::string_view employee_id);
  void ForgetAll();

  RedisClient& redis_;
  Cache cache_;
  const size_t shard_entries_;
  std::array<Shard, kShards> shards_;
  prometheus::Counter* local_hits_;
  prometheus::Counter* local_misses_;
  RedisSubscription subscription_;  // last: its thread uses the shards
};

}  // namespace netra::registry

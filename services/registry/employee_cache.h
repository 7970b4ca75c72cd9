// Employees on the wire and in Redis: conversions between the domain's
// Employee and netra.v1.Employee, and the Redis side of EmployeeSnapshots
// (docs/redis.md): the serialized netra.v1.Employee under
// registry:employee:<employee_id>, and the changed ids published on
// registry:employee-changed (one message: ids separated by '\n').
#pragma once

#include <chrono>
#include <string>

#include "common/redis.h"
#include "netra/v1/registry.pb.h"
#include "services/registry/employees.h"

namespace netra::registry {

void ToProto(const Employee& employee, netra::v1::Employee* out);
// Input fields only (output-only fields are ignored, as registry.proto says).
Employee FromProto(const netra::v1::Employee& in);

class EmployeeCache final : public EmployeeSnapshots {
 public:
  static constexpr std::string_view kKeyPrefix = "registry:employee:";
  static constexpr std::string_view kChangedChannel = "registry:employee-changed";
  // Snapshots expire so that one missed while Redis was unreachable cannot
  // stay stale for ever; other services fall back to GetEmployee on a miss.
  static constexpr std::chrono::milliseconds kTtl = std::chrono::hours(24);

  EmployeeCache(RedisClient& redis, prometheus::Registry& metrics)
      : redis_(redis), cache_(redis, "employee", metrics) {}

  std::optional<Employee> GetOrLoad(const std::string& employee_id,
                                    const std::function<std::optional<Employee>()>& load) override;
  void Changed(const Employee& employee) override;
  void Invalidate(std::span<const std::string> employee_ids) override;

 private:
  RedisClient& redis_;
  Cache cache_;
};

}  // namespace netra::registry

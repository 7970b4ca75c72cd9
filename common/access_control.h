// The per-method access policy (common/access_policy.h) as the services hold
// it: read from a file at start and again whenever the file changes, asked by
// every handler through CallScope (common/rpc.h) before it reads the request.
// Each refusal is counted (netra_authz_denied_total{service,method,reason})
// and logged with the caller.
//
// Why not gRPC's own machinery: its authorization policy engine matches
// principals by prefix and answers without a reason, and an
// AuthMetadataProcessor, which sees every call before the handler, cost
// GetEmployee 8-27% of its throughput in a same-run measurement with gRPC 1.51
// (docs/performance.md). A missing check cannot go unnoticed: the
// access-control integration test calls every RPC of the descriptors as every
// kind of caller.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "common/access_policy.h"
#include "common/periodic.h"

namespace netra {

class AccessControl {
 public:
  // Reads `policy_file` now (nullptr with *error when it cannot) and again
  // whenever it changes on disk: a bad new version is logged and the one in
  // force stays. `service` labels the metric.
  static std::unique_ptr<AccessControl> Load(const std::string& policy_file, const std::string& service,
                                             prometheus::Registry& metrics, std::string* error);
  ~AccessControl();

  // Whether `caller` (null: no certificate) may call `method`
  // ("netra.v1.RegistryService/GetEmployee"); a refusal is counted and logged.
  AccessDecision Check(std::string_view method, const Identity* caller);
  // Counts and logs a refusal decided elsewhere (per object: common/authorize.h).
  // `detail` says more for the log line (never personal data).
  void Refused(std::string_view method, std::string_view reason, const Identity* caller, std::string_view detail = {});

 private:
  AccessControl(std::string policy_file, std::string service, prometheus::Registry& metrics);
  bool Reload(std::string* error);

  const std::string policy_file_, service_;
  prometheus::Family<prometheus::Counter>& denied_;
  mutable std::mutex mutex_;
  std::shared_ptr<const AccessPolicy> policy_;
  std::filesystem::file_time_type loaded_mtime_{};
  std::unique_ptr<PeriodicWorker> watcher_;
};

// The policy every CallScope asks (set once at start; none in plaintext
// development, where nothing is enforced).
void SetAccessControl(AccessControl* control);
AccessControl* CurrentAccessControl();

}  // namespace netra

// Enforces the per-method access policy (common/access_policy.h) on every call
// of a TLS listener, before the handler runs and before the request is read:
// deny by default, so that no handler can forget it. A gRPC
// AuthMetadataProcessor, because it sees the verified peer and the method
// (":path") of each call and its refusal is the call's status. gRPC's own
// authorization policy engine was considered: it matches principals by prefix
// only, cannot name a kind of identity in any region, and its refusals carry no
// reason; ours go to a metric and a log line (docs/security.md).
#pragma once

#include <grpcpp/security/auth_metadata_processor.h>
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

class AccessControl final : public grpc::AuthMetadataProcessor {
 public:
  // Reads `policy_file` now (false with *error when it cannot) and again
  // whenever it changes on disk: a bad new version is logged and the one in
  // force stays. `service` labels the metric.
  static std::shared_ptr<AccessControl> Load(const std::string& policy_file, const std::string& trust_domain,
                                             const std::string& service, prometheus::Registry& metrics,
                                             std::string* error);
  ~AccessControl() override;

  // Runs inline on gRPC's thread: the check is a map lookup.
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata* consumed,
                       OutputMetadata* response) override;

  // The decision for `path` ("/netra.v1.X/Y") and the peer of `context`; the
  // same as Process without its metric and log line.
  AccessDecision Decide(std::string_view path, const grpc::AuthContext& context) const;

 private:
  AccessControl(std::string policy_file, std::string trust_domain, std::string service, prometheus::Registry& metrics);
  bool Reload(std::string* error);
  std::shared_ptr<const AccessPolicy> policy() const;

  const std::string policy_file_, trust_domain_, service_;
  prometheus::Family<prometheus::Counter>& denied_;
  mutable std::mutex mutex_;
  std::shared_ptr<const AccessPolicy> policy_;
  std::filesystem::file_time_type loaded_mtime_{};
  std::unique_ptr<PeriodicWorker> watcher_;
};

}  // namespace netra

#include "common/access_control.h"

#include <grpc/grpc_security_constants.h>

#include <fstream>
#include <sstream>

#include "common/log.h"

namespace netra {
namespace {

// Methods every authenticated caller may use: they say nothing about data.
bool IsInfrastructure(std::string_view path) {
  return path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.v1alpha.ServerReflection/");
}

std::string_view PeerSpiffeId(const grpc::AuthContext& context) {
  if (!context.IsPeerAuthenticated()) return {};
  const auto ids = context.FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
  if (ids.size() != 1) return {};
  return std::string_view(ids[0].data(), ids[0].size());
}

}  // namespace

std::shared_ptr<AccessControl> AccessControl::Load(const std::string& policy_file, const std::string& trust_domain,
                                                   const std::string& service, prometheus::Registry& metrics,
                                                   std::string* error) {
  std::shared_ptr<AccessControl> control(new AccessControl(policy_file, trust_domain, service, metrics));
  if (!control->Reload(error)) return nullptr;
  control->watcher_ = std::make_unique<PeriodicWorker>("access policy reload", std::chrono::seconds(2), [raw = control.get()] {
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(raw->policy_file_, ec);
    {
      std::lock_guard lock(raw->mutex_);
      if (ec || mtime == raw->loaded_mtime_) return;
    }
    std::string why;
    if (!raw->Reload(&why)) log::Error("access policy not reloaded; the one in force stays", {{"error", why}});
  });
  control->watcher_->Start(PeriodicWorker::First::kAfterPeriod);
  return control;
}

AccessControl::AccessControl(std::string policy_file, std::string trust_domain, std::string service,
                             prometheus::Registry& metrics)
    : policy_file_(std::move(policy_file)),
      trust_domain_(std::move(trust_domain)),
      service_(std::move(service)),
      denied_(prometheus::BuildCounter()
                  .Name("netra_authz_denied_total")
                  .Help("Calls refused by the access policy, by method and reason")
                  .Register(metrics)) {}

AccessControl::~AccessControl() {
  if (watcher_) watcher_->Stop();
}

bool AccessControl::Reload(std::string* error) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(policy_file_, ec);
  std::ifstream in(policy_file_);
  if (ec || !in) {
    *error = "cannot read the access policy " + policy_file_;
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = AccessPolicy::Parse(text.str());
  if (!parsed.ok()) {
    *error = "access policy " + policy_file_ + ": " + parsed.error().message;
    for (const auto& v : parsed.error().violations.list()) *error += "; " + v.field + ": " + v.description;
    return false;
  }
  auto policy = std::make_shared<const AccessPolicy>(std::move(parsed.value()));
  std::lock_guard lock(mutex_);
  const bool first = policy_ == nullptr;
  policy_ = std::move(policy);
  loaded_mtime_ = mtime;
  if (!first) log::Info("access policy reloaded", {{"file", policy_file_}});
  return true;
}

std::shared_ptr<const AccessPolicy> AccessControl::policy() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

AccessDecision AccessControl::Decide(std::string_view path, const grpc::AuthContext& context) const {
  std::optional<Identity> identity;
  if (std::string_view id = PeerSpiffeId(context); !id.empty()) {
    std::string why;
    identity = ParseIdentity(id, trust_domain_, &why);
  }
  if (IsInfrastructure(path)) {
    return identity ? AccessDecision{true, ""} : AccessDecision{false, std::string(kDenyUnauthenticated)};
  }
  return policy()->Check(path, identity ? &*identity : nullptr);
}

grpc::Status AccessControl::Process(const InputMetadata& metadata, grpc::AuthContext* context, OutputMetadata*,
                                    OutputMetadata*) {
  auto path_entry = metadata.find(":path");
  std::string_view path = path_entry == metadata.end()
                              ? std::string_view()
                              : std::string_view(path_entry->second.data(), path_entry->second.size());
  const AccessDecision decision = Decide(path, *context);
  if (decision.allowed) return grpc::Status::OK;
  // A method the policy does not know is labelled as such: the label set stays bounded whatever is sent.
  const std::string method =
      decision.reason == kDenyNoRule ? "unknown" : std::string(path.substr(path.rfind('/') + 1));
  denied_.Add({{"service", service_}, {"method", method}, {"reason", decision.reason}}).Increment();
  const std::string caller = std::string(PeerSpiffeId(*context));
  log::Warn("call refused by the access policy",
            {{"method", std::string(path.substr(0, 200))}, {"caller", caller.empty() ? "none" : caller},
             {"reason", decision.reason}});
  if (decision.reason == kDenyUnauthenticated) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "UNAUTHENTICATED: this method needs a client certificate of the deployment");
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      decision.reason + ": " + (caller.empty() ? std::string("this caller") : caller) +
                          " may not call " + std::string(path.substr(0, 200)));
}

}  // namespace netra

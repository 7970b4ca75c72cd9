#include "common/access_control.h"

#include <atomic>
#include <fstream>
#include <sstream>

#include "common/log.h"

namespace netra {
namespace {

std::atomic<AccessControl*> current{nullptr};

}  // namespace

void SetAccessControl(AccessControl* control) { current.store(control, std::memory_order_release); }
AccessControl* CurrentAccessControl() { return current.load(std::memory_order_acquire); }

std::unique_ptr<AccessControl> AccessControl::Load(const std::string& policy_file, const std::string& service,
                                                   prometheus::Registry& metrics, std::string* error) {
  std::unique_ptr<AccessControl> control(new AccessControl(policy_file, service, metrics));
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

AccessControl::AccessControl(std::string policy_file, std::string service, prometheus::Registry& metrics)
    : policy_file_(std::move(policy_file)),
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

AccessDecision AccessControl::Check(std::string_view method, const Identity* caller) {
  std::shared_ptr<const AccessPolicy> policy;
  {
    std::lock_guard lock(mutex_);
    policy = policy_;
  }
  AccessDecision decision = policy->Check(method, caller);
  if (!decision.allowed) Refused(method, decision.reason, caller);
  return decision;
}

void AccessControl::Refused(std::string_view method, std::string_view reason, const Identity* caller,
                            std::string_view detail) {
  denied_.Add({{"service", service_}, {"method", std::string(method.substr(method.rfind('/') + 1))},
               {"reason", std::string(reason)}})
      .Increment();
  log::Warn("call refused", {{"method", std::string(method)},
                             {"caller", caller ? caller->spiffe_id : "none"},
                             {"reason", std::string(reason)},
                             {"detail", std::string(detail)}});
}

}  // namespace netra

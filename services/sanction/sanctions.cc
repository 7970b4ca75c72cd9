#include "services/sanction/sanctions.h"

namespace netra::sanction {

Result<std::string> Sanctions::LoadCatalog(const std::string& shipped_json) {
  auto shipped = ParseCatalog(shipped_json);
  if (!shipped.ok()) return shipped.error();
  store_.AddCatalog(shipped.value().version, shipped_json);
  auto current_json = store_.CurrentCatalog();
  if (!current_json) return Error::Internal("catalog store is empty after adding the shipped catalog");
  auto current = ParseCatalog(*current_json);
  if (!current.ok()) return Error::Internal("stored catalog no longer parses");
  std::string version = current.value().version;
  {
    std::lock_guard lock(mu_);
    catalog_ = std::make_shared<const ViolationCatalog>(std::move(current.value()));
  }
  // Write-through: the other services read the catalog from Redis (cache first).
  cache_.Put(kCatalogCacheKey, *current_json, std::chrono::milliseconds(0));
  return version;
}

std::shared_ptr<const ViolationCatalog> Sanctions::catalog() const {
  std::lock_guard lock(mu_);
  return catalog_;
}

}  // namespace netra::sanction

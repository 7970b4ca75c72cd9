// The sanction service's domain: the violation catalog in force, and (later)
// cases from forwarding to the PPK's decision. Plain C++; the store and the
// cache are reached through small interfaces, never gRPC.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/redis.h"
#include "services/sanction/catalog.h"
#include "services/sanction/sanction_store.h"

namespace netra::sanction {

class Sanctions {
 public:
  Sanctions(SanctionStore& store, Cache& cache) : store_(store), cache_(cache) {}

  // Makes the shipped catalog known to the store (a new version becomes
  // current; a version already stored changes nothing, so a catalog put later
  // through the API survives restarts) and loads the current one.
  Result<std::string> LoadCatalog(const std::string& shipped_json);

  // The catalog in force; callers keep the pointer for one request so that a
  // catalog replaced meanwhile cannot mix two versions in one answer.
  std::shared_ptr<const ViolationCatalog> catalog() const;

  // Redis key under which the current catalog JSON is shared with the other services.
  static constexpr std::string_view kCatalogCacheKey = "sanction:catalog:current";

 private:
  SanctionStore& store_;
  Cache& cache_;
  mutable std::mutex mu_;
  std::shared_ptr<const ViolationCatalog> catalog_;
};

}  // namespace netra::sanction

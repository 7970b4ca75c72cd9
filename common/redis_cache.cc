// Cache: a named read-through cache on the Redis client, with hit/miss counts.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "common/redis.h"

namespace netra {

// ---------------------------------------------------------------------------------------------
// Cache

Cache::Cache(RedisClient& redis, std::string name, prometheus::Registry& metrics)
    : redis_(redis), name_(std::move(name)) {
  auto& family = prometheus::BuildCounter()
                     .Name("netra_cache_requests_total")
                     .Help("Cache-aside lookups by cache and result (hit, miss, error = Redis unusable)")
                     .Register(metrics);
  hits_ = &family.Add({{"cache", name_}, {"result", "hit"}});
  misses_ = &family.Add({{"cache", name_}, {"result", "miss"}});
  errors_ = &family.Add({{"cache", name_}, {"result", "error"}});
}

std::optional<std::string> Cache::GetOrLoad(std::string_view key, std::chrono::milliseconds ttl,
                                            const Loader& loader) {
  CacheLookup lookup = CacheLookup::kError;
  std::optional<std::string> cached = redis_.Get(key, &lookup);
  switch (lookup) {
    case CacheLookup::kHit:
      if (*cached == kInvalidated) {  // changed moments ago: the store answers, nothing goes back
        misses_->Increment();
        return loader();
      }
      hits_->Increment();
      return cached;
    case CacheLookup::kMiss: {
      misses_->Increment();
      std::optional<std::string> loaded = loader();
      if (loaded.has_value()) redis_.SetNx(key, *loaded, ttl);  // best-effort, into an absent key only
      return loaded;
    }
    case CacheLookup::kError:
      break;
  }
  errors_->Increment();
  return loader();
}

bool Cache::Put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  return redis_.Set(key, value, ttl);
}

bool Cache::Invalidate(std::string_view key) { return redis_.Set(key, kInvalidated, kInvalidatedFor); }

}  // namespace netra

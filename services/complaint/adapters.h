// The complaint domain's ports on Redis and Prometheus: rate-limit counters,
// the status and request caches, and the service's metrics.
#pragma once

#include <set>
#include <string>
#include <utility>

#include "common/redis.h"
#include "services/complaint/complaint.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace netra::complaint {

// Fixed windows: INCR with the window as TTL; the key's PTTL says when it resets.
class RedisRateLimiter final : public RateLimiter {
 public:
  explicit RedisRateLimiter(RedisClient& redis) : redis_(redis) {}
  std::optional<int64_t> Increment(const std::string& key, std::chrono::seconds window) override;
  std::chrono::milliseconds ResetsIn(const std::string& key) override;

 private:
  RedisClient& redis_;
};

// Reads through `cache` (its hit/miss metrics); plain gets and sets go to Redis.
class RedisTextCache final : public TextCache {
 public:
  RedisTextCache(RedisClient& redis, Cache& cache) : redis_(redis), cache_(cache) {}
  std::optional<std::string> GetOrLoad(const std::string& key, std::chrono::seconds ttl,
                                       const std::function<std::optional<std::string>()>& load) override;
  std::optional<std::string> Get(const std::string& key) override { return redis_.Get(key); }
  void Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) override {
    redis_.Set(key, value, ttl);
  }
  void Invalidate(const std::string& key) override { cache_.Invalidate(key); }

 private:
  RedisClient& redis_;
  Cache& cache_;
};

// netra_complaints_received_total, netra_complaints_open,
// netra_complaint_clusters_total, netra_intake_rate_limited_total and the
// complaint lifecycle's netra_stage_seconds.
class PrometheusComplaintMetrics final : public ComplaintMetrics {
 public:
  explicit PrometheusComplaintMetrics(prometheus::Registry& registry);
  void Received(const std::string& province, const std::string& category, bool opened_cluster) override;
  void RateLimited(const std::string& limit) override;
  void StageLeft(Status stage, double seconds) override;
  void OpenCounts(const std::map<std::pair<std::string, std::string>, int64_t>& counts) override;

 private:
  prometheus::Family<prometheus::Counter>* received_;
  prometheus::Family<prometheus::Gauge>* open_;
  prometheus::Family<prometheus::Counter>* clusters_;
  prometheus::Family<prometheus::Counter>* rate_limited_;
  prometheus::Family<prometheus::Histogram>* stage_seconds_;
  std::set<std::pair<std::string, std::string>> open_seen_;  // only the refresh thread touches it
};

}  // namespace netra::complaint

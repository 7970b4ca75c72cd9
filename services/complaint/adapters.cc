#include "services/complaint/adapters.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace netra::complaint {

std::optional<int64_t> RedisRateLimiter::Increment(const std::string& key, std::chrono::seconds window) {
  auto count = redis_.Incr(key, 1, window);
  if (!count) return std::nullopt;
  return *count;
}

std::chrono::milliseconds RedisRateLimiter::ResetsIn(const std::string& key) {
  auto ttl = redis_.Command({"PTTL", redis_.Key(key)});
  return std::chrono::milliseconds(ttl.is_integer() && ttl.integer > 0 ? ttl.integer : 1000);
}

std::optional<std::string> RedisTextCache::GetOrLoad(const std::string& key, std::chrono::seconds ttl,
                                                     const std::function<std::optional<std::string>()>& load) {
  return cache_.GetOrLoad(key, ttl, load);
}

PrometheusComplaintMetrics::PrometheusComplaintMetrics(prometheus::Registry& registry)
    : received_(&prometheus::BuildCounter()
                     .Name("netra_complaints_received_total")
                     .Help("Complaints received, by province of the act and violation category")
                     .Register(registry)),
      open_(&prometheus::BuildGauge()
                 .Name("netra_complaints_open")
                 .Help("Complaints not yet in a terminal state, by province and status (from the store)")
                 .Register(registry)),
      clusters_(&prometheus::BuildCounter()
                     .Name("netra_complaint_clusters_total")
                     .Help("Near-duplicate clusters opened, by province")
                     .Register(registry)),
      rate_limited_(&prometheus::BuildCounter()
                         .Name("netra_intake_rate_limited_total")
                         .Help("Public calls refused by a rate limit, by limit (contact, peer: submissions; "
                               "status_peer: status lookups)")
                         .Register(registry)),
      stage_seconds_(&prometheus::BuildHistogram()
                          .Name("netra_stage_seconds")
                          .Help("Time spent in a workflow stage, observed when it is left")
                          .Register(registry)) {
  // Every series exists from the start, so a dashboard shows 0 rather than "No data".
  for (const char* limit : {"contact", "peer", "status_peer"}) rate_limited_->Add({{"limit", limit}});
}

void PrometheusComplaintMetrics::Received(const std::string& province, const std::string& category,
                                          bool opened_cluster) {
  received_->Add({{"province", province}, {"category", category}}).Increment();
  if (opened_cluster) clusters_->Add({{"province", province}}).Increment();
}

void PrometheusComplaintMetrics::RateLimited(const std::string& limit) {
  rate_limited_->Add({{"limit", limit}}).Increment();
}

void PrometheusComplaintMetrics::StageLeft(Status stage, double seconds) {
  // 1 minute to 90 days.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      60, 600, 3600, 6 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400};
  stage_seconds_->Add({{"lifecycle", "complaint"}, {"stage", StatusLabel(stage)}}, kBuckets).Observe(seconds);
}

void PrometheusComplaintMetrics::OpenCounts(const std::map<std::pair<std::string, std::string>, int64_t>& counts) {
  // A series seen before and now empty is set to 0, not left at its last count.
  std::map<std::pair<std::string, std::string>, int64_t> all;
  for (const auto& key : open_seen_) all[key] = 0;
  for (const auto& [key, n] : counts) all[key] = n;
  for (const auto& [key, n] : all) {
    open_->Add({{"province", key.first}, {"status", key.second}}).Set(static_cast<double>(n));
    open_seen_.insert(key);
  }
}

}  // namespace netra::complaint

#include "services/sanction/sweeper.h"

#include <algorithm>

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/log.h"

namespace netra::sanction {
namespace {

// Extends the lease only if it is still ours.
constexpr std::string_view kRenewScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// Gives the lease up only if it is still ours.
constexpr std::string_view kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
// Raises the token counter to at least ARGV[1] (after Redis lost it, tokens
// must not restart below the store's fence).
constexpr std::string_view kRaiseScript =
    "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 1";

}  // namespace

Sweeper::Sweeper(RedisClient& redis, Sanctions& sanctions, SweeperOptions options, prometheus::Registry* metrics)
    : redis_(redis),
      sanctions_(sanctions),
      options_(options),
      // Renewals come often enough that two may fail (a Redis hiccup) before
      // the lease runs out, and passes come every interval; the lease never
      // depends on the interval.
      worker_("escalation sweeper",
              std::max(std::chrono::milliseconds(1), std::min(options_.interval, options_.lease / 3)),
              [this] { Round(); }) {
  if (metrics) {
    leader_gauge_ = &prometheus::BuildGauge()
                         .Name("netra_sweeper_leader")
                         .Help("1 on the replica holding the escalation sweeper's lease")
                         .Register(*metrics)
                         .Add({});
    pass_seconds_ = &prometheus::BuildHistogram()
                         .Name("netra_sweeper_pass_seconds")
                         .Help("Duration of one escalation sweeper pass")
                         .Register(*metrics)
                         .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30});
  }
}

Sweeper::~Sweeper() { Stop(); }

void Sweeper::Start() {
  next_pass_ = std::chrono::steady_clock::now();
  worker_.Start();
}

void Sweeper::Stop() {
  worker_.Stop();
  if (leader_) Release();
}

void Sweeper::Round() {
  if (std::chrono::steady_clock::now() < next_pass_) {
    KeepLease();
    return;
  }
  Tick();
  next_pass_ = std::chrono::steady_clock::now() + options_.interval;
}

Sweeper::Renewal Sweeper::Renew() {
  auto renewed = redis_.Command({"EVAL", std::string(kRenewScript), "1", redis_.Key(kLeaseKey), std::to_string(token_),
                                 std::to_string(options_.lease.count())});
  if (renewed.is_integer()) return renewed.integer == 1 ? Renewal::kHeld : Renewal::kLost;
  return Renewal::kUnconfirmed;  // no answer (or an error reply): Redis did not say the lease is gone
}

bool Sweeper::KeepLease() {
  if (!leader_) return false;
  bool held = HoldLease();
  if (leader_gauge_) leader_gauge_->Set(held ? 1 : 0);
  return held;
}

bool Sweeper::HoldLease() {
  if (leader_) {
    switch (Renew()) {
      case Renewal::kHeld:
        if (renewal_failure_logged_) log::Info("sweeper lease renewed again", {{"token", std::to_string(token_)}});
        renewal_failure_logged_ = false;
        return true;
      case Renewal::kUnconfirmed:
        // Not lost as far as anyone knows, but not confirmed either: no
        // writes until a renewal answers (the fencing token guards them anyway).
        if (!renewal_failure_logged_) {
          log::Warn("sweeper lease renewal failed; not sweeping until redis confirms it",
                    {{"token", std::to_string(token_)}});
        }
        renewal_failure_logged_ = true;
        return false;
      case Renewal::kLost:
        leader_ = false;
        renewal_failure_logged_ = false;
        log::Warn("sweeper lease lost", {{"token", std::to_string(token_)}});
        break;
    }
  }
  auto token = redis_.Incr(kTokenKey);
  if (!token) return false;
  if (redis_.SetNx(kLeaseKey, std::to_string(*token), options_.lease) != SetNxOutcome::kSet) return false;
  token_ = *token;
  leader_ = true;
  log::Info("sweeper lease taken", {{"token", std::to_string(token_)}});
  return true;
}

void Sweeper::Release() {
  redis_.Command({"EVAL", std::string(kReleaseScript), "1", redis_.Key(kLeaseKey), std::to_string(token_)});
  leader_ = false;
  if (leader_gauge_) leader_gauge_->Set(0);
}

int Sweeper::Tick() {
  sanctions_.RefreshCatalog();
  sanctions_.RefreshGauges();
  bool held = HoldLease();
  if (leader_gauge_) leader_gauge_->Set(held ? 1 : 0);
  if (!redis_.up()) {
    if (!redis_down_logged_) log::Warn("sweeper paused: redis is unavailable, so no replica holds the lease");
    redis_down_logged_ = true;
    return -1;
  }
  redis_down_logged_ = false;
  if (!held) return -1;
  auto started = std::chrono::steady_clock::now();
  int total = 0;
  for (;;) {
    bool fenced = false;
    auto done = sanctions_.EscalateDue(token_, options_.batch, &fenced);
    if (fenced) {
      // A newer leader has written: step down, and make sure our counter is
      // not behind the store (Redis may have lost it).
      auto stored = sanctions_.FenceToken();
      if (stored.ok()) {
        redis_.Command({"EVAL", std::string(kRaiseScript), "1", redis_.Key(kTokenKey), std::to_string(stored.value())});
      }
      log::Warn("sweeper fenced out by a newer token", {{"token", std::to_string(token_)}});
      Release();
      if (leader_gauge_) leader_gauge_->Set(0);
      return -1;
    }
    if (!done.ok()) {
      log::Error("sweeper pass failed", {{"error", done.error().message}});
      break;
    }
    total += done.value();
    if (done.value() < options_.batch || !HoldLease()) break;
  }
  if (pass_seconds_) {
    pass_seconds_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (total > 0) log::Info("sweeper pass", {{"escalations", std::to_string(total)}});
  return total;
}

}  // namespace netra::sanction

#include "services/sanction/sweeper.h"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <string>

#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/log.h"

namespace netra::sanction {
namespace {

// host:pid:random, so that a log line or the lease row tells which replica holds it.
std::string HolderName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(random() % 1000000);
}

}  // namespace

Sweeper::Sweeper(Sanctions& sanctions, SweeperOptions options, prometheus::Registry* metrics)
    : sanctions_(sanctions),
      options_(options),
      holder_(HolderName()),
      // Renewals come often enough that two may fail (a store hiccup) before
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
  auto renewed = sanctions_.RenewSweeperLease(holder_, token_, options_.lease);
  if (renewed.ok()) return renewed.value() ? Renewal::kHeld : Renewal::kLost;
  return Renewal::kUnconfirmed;  // no answer: the store did not say the lease is gone
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
          log::Warn("sweeper lease renewal failed; not sweeping until the store confirms it",
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
  auto token = sanctions_.TakeSweeperLease(holder_, options_.lease);
  if (!token.ok()) {
    if (!take_failure_logged_) log::Warn("sweeper paused: the store does not answer", {{"error", token.error().message}});
    take_failure_logged_ = true;
    return false;
  }
  take_failure_logged_ = false;
  if (!token.value()) return false;  // another replica holds it
  token_ = *token.value();
  leader_ = true;
  log::Info("sweeper lease taken", {{"token", std::to_string(token_)}, {"holder", holder_}});
  return true;
}

void Sweeper::Release() {
  (void)sanctions_.ReleaseSweeperLease(holder_, token_);  // unanswered: it expires
  leader_ = false;
  if (leader_gauge_) leader_gauge_->Set(0);
}

int Sweeper::Tick() {
  sanctions_.RefreshCatalog();
  sanctions_.RefreshGauges();
  bool held = HoldLease();
  if (leader_gauge_) leader_gauge_->Set(held ? 1 : 0);
  if (!held) return -1;
  auto started = std::chrono::steady_clock::now();
  int total = 0;
  for (;;) {
    bool fenced = false;
    auto done = sanctions_.EscalateDue(token_, options_.batch, &fenced);
    if (fenced) {
      // Another replica has taken the lease since: step down.
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

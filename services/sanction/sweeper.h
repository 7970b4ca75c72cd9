// The escalation sweeper: overdue cases step through warning -> reprimand ->
// data block. Only one replica sweeps at a time: it holds a lease in Redis
// (SET NX PX) carrying a fencing token from INCR, renewed after every batch
// of a pass and every lease/3 between passes, so a healthy leader keeps it
// whatever the interval between passes. A renewal Redis does not answer
// leaves the lease unconfirmed (no sweeping, no "lease lost"); only Redis
// showing another holder, or none, is a lost lease. Every write of a pass
// checks the token
// and every write of a pass checks that token in the store, so a leader that
// paused past its lease and woke up cannot write after a newer one has. With
// Redis down nobody sweeps (a log line, netra_sweeper_leader 0 and
// netra_redis_up 0 say so); everything else keeps working.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/periodic.h"
#include "common/redis.h"
#include "services/sanction/sanctions.h"

namespace prometheus {
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace netra::sanction {

struct SweeperOptions {
  std::chrono::milliseconds interval{60000};  // between passes (and gauge refreshes)
  std::chrono::milliseconds lease{30000};     // lease expiry; renewed every batch and every lease/3
  int batch = 20000;                          // cases per transaction (a step is ~30-50 µs)
};

class Sweeper {
 public:
  // Redis keys (relative to the deployment prefix).
  static constexpr std::string_view kLeaseKey = "sanction:sweeper:lease";
  static constexpr std::string_view kTokenKey = "sanction:sweeper:token";

  Sweeper(RedisClient& redis, Sanctions& sanctions, SweeperOptions options, prometheus::Registry* metrics);
  ~Sweeper();  // stops the thread, gives up the lease
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  void Start();
  void Stop();

  // One round on the calling thread: refresh the gauges and the catalog, hold
  // or take the lease, and if leader, sweep. Returns the escalations done, or
  // -1 when this replica is not the leader.
  int Tick();
  bool leader() const { return leader_; }
  // Between passes: renews the lease if this replica holds it. True while held.
  bool KeepLease();

 private:
  enum class Renewal { kHeld, kLost, kUnconfirmed };
  Renewal Renew();
  bool HoldLease();  // renews our lease or takes a free one
  void Release();
  void Round();  // a pass when one is due, else a lease renewal

  RedisClient& redis_;
  Sanctions& sanctions_;
  SweeperOptions options_;
  prometheus::Gauge* leader_gauge_ = nullptr;
  prometheus::Histogram* pass_seconds_ = nullptr;

  bool leader_ = false;
  int64_t token_ = 0;
  bool redis_down_logged_ = false;
  bool renewal_failure_logged_ = false;
  std::chrono::steady_clock::time_point next_pass_{};  // the worker's thread only

  PeriodicWorker worker_;  // last: its thread uses the members above
};

}  // namespace netra::sanction

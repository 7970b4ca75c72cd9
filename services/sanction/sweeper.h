// The escalation sweeper: overdue cases step through warning -> reprimand ->
// data block. Only one replica sweeps at a time: it holds a lease in the
// store (CaseStore's sweeper_lease row, timed by the store's clock) carrying
// a fencing token that each take raises, renewed after every batch of a pass
// and every lease/3 between passes, so a healthy leader keeps it whatever the
// interval between passes. Every write of a pass checks in the same
// transaction that its token is still the lease's (and not older than any
// that wrote), so a leader that paused past its lease and woke up cannot
// write after another has taken it. A renewal the store does not answer
// leaves the lease unconfirmed (no sweeping, no "lease lost"); only the store
// showing another holder is a lost lease. Redis plays no part: with Redis
// down the sweeper goes on; with the store down nothing is written anyway.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/periodic.h"
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
  Sweeper(Sanctions& sanctions, SweeperOptions options, prometheus::Registry* metrics);
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
  // This replica's name in the lease row: host, process and a random part.
  const std::string& holder() const { return holder_; }

 private:
  enum class Renewal { kHeld, kLost, kUnconfirmed };
  Renewal Renew();
  bool HoldLease();  // renews our lease or takes a free one
  void Release();
  void Round();  // a pass when one is due, else a lease renewal

  Sanctions& sanctions_;
  SweeperOptions options_;
  std::string holder_;
  prometheus::Gauge* leader_gauge_ = nullptr;
  prometheus::Histogram* pass_seconds_ = nullptr;

  bool leader_ = false;
  int64_t token_ = 0;
  bool take_failure_logged_ = false;
  bool renewal_failure_logged_ = false;
  std::chrono::steady_clock::time_point next_pass_{};  // the worker's thread only

  PeriodicWorker worker_;  // last: its thread uses the members above
};

}  // namespace netra::sanction

// A background worker that runs a round every period, written once for every
// loop a service keeps (outbox delivery, Redis health, subscriptions, the
// escalation sweeper): one thread, a prompt stop, a wake-up, and one place
// that logs a failing round.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace netra {

class PeriodicWorker {
 public:
  // After a round: wait a period (or a Wake), or go again at once because
  // more work is known to be due (a full batch).
  enum class Next { kWait, kAgain };
  // When the first round runs after Start.
  enum class First { kNow, kAfterPeriod };

  // `name` labels the log lines of failing rounds. `round` (returning Next,
  // or void for kWait) runs on the worker's thread; it may throw (logged, the
  // next round comes as usual).
  template <class Round>
  PeriodicWorker(std::string name, std::chrono::milliseconds period, Round round)
      : name_(std::move(name)), period_(period), round_(AsRound(std::move(round))) {}
  ~PeriodicWorker();  // stops
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  // Starts the thread (no-op while it runs). A stopped worker can start again.
  void Start(First first = First::kNow);
  // Runs a round now, or right after the running one.
  void Wake();
  // Returns once the thread has ended: at once when it waits, else after the
  // running round (a long round polls stopping() to end early). Idempotent.
  void Stop();
  // True from Stop until the next Start; for rounds that loop or block.
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  const std::string& name() const { return name_; }

 private:
  template <class Round>
  static std::function<Next()> AsRound(Round round) {
    if constexpr (std::is_void_v<std::invoke_result_t<Round&>>) {
      return [round = std::move(round)]() mutable {
        round();
        return Next::kWait;
      };
    } else {
      return round;
    }
  }
  void Loop(First first);
  Next RunRound() noexcept;

  const std::string name_;
  const std::chrono::milliseconds period_;
  const std::function<Next()> round_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;               // guarded by mu_
  std::atomic<bool> stopping_{false};  // written under mu_ so that the wait sees it
  std::thread thread_;
};

}  // namespace netra

#include "common/periodic.h"

#include <exception>
#include <utility>

#include "common/log.h"

namespace netra {

PeriodicWorker::~PeriodicWorker() { Stop(); }

void PeriodicWorker::Start(First first) {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_.store(false, std::memory_order_release);
  woken_ = false;
  thread_ = std::thread([this, first] { Loop(first); });
}

void PeriodicWorker::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PeriodicWorker::Stop() {
  std::thread ending;
  {
    std::lock_guard lock(mu_);
    stopping_.store(true, std::memory_order_release);
    ending = std::move(thread_);
  }
  cv_.notify_all();
  if (ending.joinable()) ending.join();
}

PeriodicWorker::Next PeriodicWorker::RunRound() noexcept {
  try {
    return round_();
  } catch (const std::exception& e) {
    log::Warn("background round failed", {{"worker", name_}, {"error", e.what()}});
  } catch (...) {
    log::Warn("background round failed", {{"worker", name_}, {"error", "unknown exception"}});
  }
  return Next::kWait;
}

void PeriodicWorker::Loop(First first) {
  std::unique_lock lock(mu_);
  bool wait = first == First::kAfterPeriod;
  while (true) {
    if (wait) cv_.wait_for(lock, period_, [this] { return stopping() || woken_; });
    if (stopping()) return;
    woken_ = false;
    lock.unlock();
    wait = RunRound() == Next::kWait;
    lock.lock();
  }
}

}  // namespace netra

#include "common/periodic.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace netra {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Rounds counted, and a bounded wait for a count (no sleeps).
class Rounds {
 public:
  void Count() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  bool WaitFor(int at_least, std::chrono::milliseconds bound = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return count_ >= at_least; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(PeriodicWorkerTest, TheFirstRoundRunsAtOnceAndThenEveryPeriod) {
  Rounds rounds;
  PeriodicWorker worker("test", 1ms, [&] { rounds.Count(); });
  worker.Start();
  EXPECT_TRUE(rounds.WaitFor(3));  // a 1 ms period: the first rounds come one after another
}

TEST(PeriodicWorkerTest, WakeRunsARoundNowInsteadOfAfterThePeriod) {
  Rounds rounds;
  PeriodicWorker worker("test", 1h, [&] { rounds.Count(); });
  worker.Start(PeriodicWorker::First::kAfterPeriod);
  EXPECT_EQ(rounds.count(), 0);
  worker.Wake();
  EXPECT_TRUE(rounds.WaitFor(1));
  worker.Wake();
  EXPECT_TRUE(rounds.WaitFor(2));
}

TEST(PeriodicWorkerTest, StopIsPromptWhileWaitingALongPeriod) {
  Rounds rounds;
  PeriodicWorker worker("test", 1h, [&] { rounds.Count(); });
  worker.Start();
  ASSERT_TRUE(rounds.WaitFor(1));
  const auto start = Clock::now();
  worker.Stop();
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_TRUE(worker.stopping());
  worker.Stop();  // idempotent
}

TEST(PeriodicWorkerTest, StopEndsALongRoundThatPollsStopping) {
  Rounds entered;
  PeriodicWorker* self = nullptr;
  PeriodicWorker worker("test", 1h, [&] {
    entered.Count();
    while (!self->stopping()) std::this_thread::yield();
  });
  self = &worker;
  worker.Start();
  ASSERT_TRUE(entered.WaitFor(1));
  const auto start = Clock::now();
  worker.Stop();
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_EQ(entered.count(), 1);
}

TEST(PeriodicWorkerTest, ARoundThatFindsMoreWorkRunsAgainAtOnce) {
  Rounds rounds;
  PeriodicWorker worker("test", 1h, [&] {
    rounds.Count();
    return rounds.count() < 4 ? PeriodicWorker::Next::kAgain : PeriodicWorker::Next::kWait;
  });
  worker.Start();
  EXPECT_TRUE(rounds.WaitFor(4));  // with a 1 h period, only kAgain gets there
}

TEST(PeriodicWorkerTest, AFailingRoundIsLoggedWithTheWorkersNameAndTheNextRoundStillComes) {
  Rounds rounds;
  ::testing::internal::CaptureStderr();
  {
    PeriodicWorker worker("outbox-test", 1h, [&] {
      rounds.Count();
      if (rounds.count() == 1) throw std::runtime_error("store busy");
    });
    worker.Start();
    ASSERT_TRUE(rounds.WaitFor(1));
    worker.Wake();
    EXPECT_TRUE(rounds.WaitFor(2));
  }
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("background round failed"), std::string::npos) << logged;
  EXPECT_NE(logged.find("outbox-test"), std::string::npos) << logged;
  EXPECT_NE(logged.find("store busy"), std::string::npos) << logged;
}

TEST(PeriodicWorkerTest, AStoppedWorkerStartsAgain) {
  Rounds rounds;
  PeriodicWorker worker("test", 1h, [&] { rounds.Count(); });
  worker.Start();
  ASSERT_TRUE(rounds.WaitFor(1));
  worker.Stop();
  worker.Start();
  EXPECT_TRUE(rounds.WaitFor(2));
  EXPECT_FALSE(worker.stopping());
}

}  // namespace
}  // namespace netra

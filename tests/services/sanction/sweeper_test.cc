// The escalation sweeper's lease in the store, on SQLite and on PostgreSQL: a
// healthy leader keeps it across passes further apart than the lease, a
// second sweeper does not sweep while it is held, and once another replica
// has taken it (ours expired while we were paused) ours is lost, said so, and
// a pass under our token writes nothing.
#include "services/sanction/sweeper.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <functional>

#include "common/redis.h"
#include "common/store.h"
#include "services/sanction/case_store.h"
#include "services/sanction/sanction_store.h"
#include "tests/common/store_backends.h"
#include "tests/services/sanction/sanction_test_support.h"
#include "tests/support/test_support.h"

namespace netra::sanction {
namespace {

using namespace std::chrono_literals;

class NoDirectory : public Directory {
 public:
  Result<EmployeeSnapshot> FindEmployee(const std::string& id) override { return Error::NotFound("employee", id); }
  Result<ElectionTerms> FindElection(const std::string& id) override { return Error::NotFound("election", id); }
};

// Runs `body` with fd 2 pointing at a temp file and returns what was written.
std::string CaptureStderr(const std::function<void()>& body) {
  testing::TempDir dir;
  const std::string path = dir.File("stderr.log");
  std::fflush(stderr);
  int saved = dup(2);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(fd, 2);
  close(fd);
  body();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  return testing::ReadFile(path);
}

class SweeperLeaseTest : public SanctionsOnStoreTest {
 protected:
  void SetUp() override { StartSanctions(directory_, [] { return absl::Now(); }); }
  // "holder:token" of the lease row, nullopt while free.
  std::optional<std::string> LeaseHolder() {
    return db_->Read([](Connection& c) -> std::optional<std::string> {
      auto s = c.Prepare("SELECT holder, token FROM sweeper_lease WHERE id = 1");
      if (!s.Step() || s.ColumnText(0).empty()) return std::nullopt;
      return s.ColumnText(0) + ":" + std::to_string(s.ColumnInt64(1));
    });
  }
  // As if the holder had paused past its lease.
  void ExpireLease() {
    db_->Write([](Connection& c) { c.Exec("UPDATE sweeper_lease SET expires_us = 0"); });
  }
  double Passes() {
    const std::string text = prometheus::TextSerializer().Serialize(metrics_.Collect());
    auto at = text.find("netra_sweeper_pass_seconds_count ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + 33));
  }

  NoDirectory directory_;
};

NETRA_STORE_BACKENDS(SweeperLeaseTest);

TEST_P(SweeperLeaseTest, HealthyLeaderKeepsItsLeaseAcrossPassesFurtherApartThanTheLease) {
  // Without renewal between passes the 200 ms lease would lapse for 400 ms of
  // every 600 ms interval, and any other replica could take it.
  Sweeper sweeper(*sanctions_, SweeperOptions{600ms, 200ms, 100}, &metrics_);
  std::optional<std::string> first_holder;
  bool lapsed = false;
  std::string log = CaptureStderr([&] {
    sweeper.Start();
    ASSERT_TRUE(testing::WaitUntil([&] { return LeaseHolder().has_value(); }, 5s, 5ms));
    first_holder = LeaseHolder();
    // Watch the lease through three more passes (about 1.8 s): always ours.
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          if (LeaseHolder() != first_holder) lapsed = true;
          return lapsed || Passes() >= 4;
        },
        15s, 20ms));
    sweeper.Stop();
  });
  EXPECT_FALSE(lapsed) << "the lease lapsed or changed hands between passes";
  EXPECT_GE(Passes(), 4);
  EXPECT_EQ(log.find("lease lost"), std::string::npos) << log;
  EXPECT_EQ(first_holder->rfind(sweeper.holder(), 0), 0u) << *first_holder;
  EXPECT_FALSE(LeaseHolder().has_value());  // Stop gives it up
}

TEST_P(SweeperLeaseTest, OneLeaderAtATimeAndALostLeaseIsSaidAndWritesNothing) {
  Sweeper first(*sanctions_, SweeperOptions{1h, 60s, 100}, &metrics_);
  Sweeper second(*sanctions_, SweeperOptions{1h, 60s, 100}, nullptr);
  ASSERT_EQ(first.Tick(), 0);
  ASSERT_TRUE(first.leader());
  EXPECT_EQ(second.Tick(), -1);  // held: the second does not sweep
  EXPECT_FALSE(second.leader());
  const int64_t first_token = sanctions_->FenceToken().value();
  EXPECT_GT(first_token, 0);  // the first pass recorded its token

  // The first pauses past its lease; the second takes it.
  ExpireLease();
  ASSERT_EQ(second.Tick(), 0);
  ASSERT_TRUE(second.leader());
  EXPECT_EQ(LeaseHolder(), second.holder() + ":" + std::to_string(first_token + 1));
  // The first wakes up: its renewal finds another holder, and it says so.
  std::string log = CaptureStderr([&] { EXPECT_EQ(first.Tick(), -1); });
  EXPECT_NE(log.find("sweeper lease lost"), std::string::npos) << log;
  EXPECT_FALSE(first.leader());
  EXPECT_TRUE(second.leader());
  // A pass under the first's old token is refused in the store.
  bool fenced = false;
  (void)sanctions_->EscalateDue(first_token, 100, &fenced);
  EXPECT_TRUE(fenced);
}

}  // namespace
}  // namespace netra::sanction

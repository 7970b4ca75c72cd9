// The escalation sweeper's lease against a real Redis: a healthy leader keeps
// it across passes further apart than the lease, a renewal Redis does not
// answer is not a lost lease, and a lease taken by someone else is.
#include "services/sanction/sweeper.h"

#include <fcntl.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "common/store.h"
#include "services/sanction/case_store.h"
#include "services/sanction/sanction_store.h"
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

class SweeperLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start()) << redis_server_.log();
    std::string error;
    db_ = Database::Open(dir_.File("sanction.db"), kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    RedisOptions options = redis_server_.options("netra-sanction");
    redis_ = std::make_unique<RedisClient>(options, metrics_);
    cache_ = std::make_unique<Cache>(*redis_, "catalog", metrics_);
    store_ = std::make_unique<SanctionStore>(*db_);
    cases_ = std::make_unique<CaseStore>(*db_);
    sanctions_ = std::make_unique<Sanctions>(*store_, *cache_, *cases_, directory_, complaints_,
                                             testing::ShippedRegions(), CaseRules{}, &metrics_,
                                             [] { return absl::Now(); });
    std::ifstream in(std::string(NETRA_SOURCE_DIR) + "/data/violation_catalog.json");
    std::stringstream json;
    json << in.rdbuf();
    ASSERT_TRUE(sanctions_->LoadCatalog(json.str()).ok());
  }
  std::optional<std::string> LeaseHolder() { return redis_->Get(Sweeper::kLeaseKey); }
  double Passes() {
    const std::string text = prometheus::TextSerializer().Serialize(metrics_.Collect());
    auto at = text.find("netra_sweeper_pass_seconds_count ");
    return at == std::string::npos ? 0 : std::stod(text.substr(at + 33));
  }

  testing::RedisServer redis_server_;
  testing::TempDir dir_;
  prometheus::Registry metrics_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<SanctionStore> store_;
  std::unique_ptr<CaseStore> cases_;
  NoDirectory directory_;
  FakeComplaints complaints_;
  std::unique_ptr<Sanctions> sanctions_;
};

TEST_F(SweeperLeaseTest, HealthyLeaderKeepsItsLeaseAcrossPassesFurtherApartThanTheLease) {
  // Without renewal between passes the 200 ms lease would lapse for 400 ms of
  // every 600 ms interval, and any other replica could take it.
  Sweeper sweeper(*redis_, *sanctions_, SweeperOptions{600ms, 200ms, 100}, &metrics_);
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
  EXPECT_FALSE(LeaseHolder().has_value());  // Stop gives it up
}

TEST_F(SweeperLeaseTest, AnUnansweredRenewalIsNotALostLeaseButAnotherHolderIs) {
  Sweeper sweeper(*redis_, *sanctions_, SweeperOptions{1h, 60s, 100}, &metrics_);
  ASSERT_EQ(sweeper.Tick(), 0);
  ASSERT_TRUE(sweeper.leader());
  const auto token = LeaseHolder();

  // Redis hangs: the renewal gets no answer. Not confirmed, so no sweeping,
  // but nothing says it is lost, and it is ours again once Redis answers.
  ASSERT_EQ(kill(redis_server_.pid(), SIGSTOP), 0);
  std::string log = CaptureStderr([&] { EXPECT_EQ(sweeper.Tick(), -1); });
  ASSERT_EQ(kill(redis_server_.pid(), SIGCONT), 0);
  EXPECT_EQ(log.find("lease lost"), std::string::npos) << log;
  EXPECT_NE(log.find("sweeper lease renewal failed"), std::string::npos) << log;
  ASSERT_TRUE(testing::WaitUntil([&] { return redis_->up(); }, 10s, 10ms));
  EXPECT_TRUE(sweeper.KeepLease());
  EXPECT_EQ(LeaseHolder(), token);

  // Another replica holds it now (ours expired while we were paused): lost,
  // and said so, and this one does not sweep.
  ASSERT_TRUE(redis_->Set(Sweeper::kLeaseKey, "999999", 60s));
  log = CaptureStderr([&] { EXPECT_EQ(sweeper.Tick(), -1); });
  EXPECT_NE(log.find("sweeper lease lost"), std::string::npos) << log;
  EXPECT_FALSE(sweeper.leader());
  EXPECT_EQ(LeaseHolder(), "999999");
}

}  // namespace
}  // namespace netra::sanction

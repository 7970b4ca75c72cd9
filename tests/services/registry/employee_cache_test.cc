// Tests for EmployeeCache (services/registry/employee_cache.h) against a real
// redis-server: the in-process copies in front of Redis are used only while
// the invalidation subscription is live, and every change, on this replica or
// another, reaches them.
#include "services/registry/employee_cache.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

using netra::testing::RedisServer;
using netra::testing::WaitUntil;
using namespace std::chrono_literals;

Employee Version(int64_t version, std::string name = "Budi Santoso") {
  Employee e;
  e.employee_id = "198503122010011001";
  e.employee_type = 1;
  e.nip = e.employee_id;
  e.name = std::move(name);
  e.work_region_code = "33.74";
  e.version = version;
  return e;
}

class EmployeeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    RedisOptions options = server_.options("netra-registry");
    options.health_interval = 100ms;
    options.breaker_cooldown = 100ms;
    for (int i = 0; i < 2; ++i) {
      redis_[i] = std::make_unique<RedisClient>(options, metrics_);
      replica_[i] = std::make_unique<EmployeeCache>(*redis_[i], metrics_);
    }
    ASSERT_TRUE(WaitUntil([&] { return replica_[0]->local_enabled() && replica_[1]->local_enabled(); }, 5s));
  }

  // Reads through replica `i`, the store answering with `stored` on a miss.
  int64_t Read(int i, int64_t stored) {
    auto e = replica_[i]->GetOrLoad(Version(0).employee_id, [&] { ++loads_; return Version(stored); });
    return e ? e->version : -1;
  }

  RedisServer server_;
  prometheus::Registry metrics_;
  std::unique_ptr<RedisClient> redis_[2];
  std::unique_ptr<EmployeeCache> replica_[2];
  int loads_ = 0;
};

TEST_F(EmployeeCacheTest, ReplicasServeTheirCopyUntilAChangeAnywhereReachesThem) {
  EXPECT_EQ(Read(0, 1), 1);
  EXPECT_EQ(loads_, 1);
  // Redis now holds version 1; replica 0 answers from its own copy, even when
  // Redis is changed behind its back without a message.
  ASSERT_TRUE(redis_[1]->Del(std::string(EmployeeCache::kKeyPrefix) + Version(0).employee_id));
  EXPECT_EQ(Read(0, 99), 1);
  EXPECT_EQ(loads_, 1);

  // A change on replica 1 is written through and published; replica 0 drops
  // its copy and reads the new snapshot from Redis.
  replica_[1]->Changed(Version(2));
  EXPECT_TRUE(WaitUntil([&] { return Read(0, 99) == 2; }, 5s));
  EXPECT_EQ(loads_, 1);

  // This replica's own change is visible here at once.
  replica_[0]->Changed(Version(3));
  EXPECT_EQ(Read(0, 99), 3);

  // An import batch: snapshots dropped, ids published; the next read loads.
  const std::string ids[] = {Version(0).employee_id, "199001012015022003"};
  replica_[1]->Invalidate(ids);
  EXPECT_TRUE(WaitUntil([&] { return Read(0, 4) == 4; }, 5s));
}

TEST_F(EmployeeCacheTest, WithoutTheSubscriptionEveryReadGoesToTheStore) {
  EXPECT_EQ(Read(0, 1), 1);
  ASSERT_TRUE(server_.Stop());
  ASSERT_TRUE(WaitUntil([&] { return !replica_[0]->local_enabled(); }, 5s));
  // Messages can be missed now, so the copy of version 1 is no longer used:
  // the store answers (Redis being down too).
  EXPECT_EQ(Read(0, 5), 5);
  EXPECT_EQ(Read(0, 6), 6);
  const int loads_while_down = loads_;

  // Back up: the copies start empty (anything may have changed meanwhile).
  ASSERT_TRUE(server_.Start()) << server_.log();
  ASSERT_TRUE(WaitUntil([&] { return replica_[0]->local_enabled() && redis_[0]->up(); }, 10s));
  EXPECT_EQ(Read(0, 7), 7);
  EXPECT_EQ(loads_, loads_while_down + 1);
  EXPECT_EQ(Read(0, 8), 7);  // then served without the store
}

// An import converts every row into a reused Employee: nothing of the row
// before may remain in it (a rank, a PPK, a birth date the new row lacks).
TEST(EmployeeFromProtoTest, ConvertingIntoAUsedEmployeeKeepsNothingOfTheLastOne) {
  netra::v1::Employee full;
  full.set_employee_type(netra::v1::EMPLOYEE_TYPE_PNS);
  full.set_nip("198503122010011001");
  full.set_name("Budi Santoso");
  full.set_gender(netra::v1::GENDER_MALE);
  full.mutable_birth_date()->set_year(1985);
  full.mutable_birth_date()->set_month(3);
  full.mutable_birth_date()->set_day(12);
  full.set_agency_code("PEMKOT-SMG");
  full.set_agency_name("Pemerintah Kota Semarang");
  full.set_unit_code("BKPSDM");
  full.set_unit_name("Badan Kepegawaian");
  full.set_position("Analis Kepegawaian");
  full.set_rank("III/a");
  full.set_work_region_code("33.74");
  full.set_employment_status(netra::v1::EMPLOYMENT_STATUS_RETIRED);
  full.mutable_ppk()->set_code("WALIKOTA-SMG");
  full.mutable_ppk()->set_name("Wali Kota Semarang");
  full.mutable_ppk()->set_region_code("33.74");
  netra::v1::Employee minimal;
  minimal.set_employee_type(netra::v1::EMPLOYEE_TYPE_PPPK);
  minimal.set_ni_pppk("198805152023012005");
  minimal.set_name("Sri");

  Employee reused;
  FromProto(full, &reused);
  FromProto(minimal, &reused);
  netra::v1::Employee got, want;
  ToProto(reused, &got);
  ToProto(FromProto(minimal), &want);
  EXPECT_EQ(got.DebugString(), want.DebugString());
  EXPECT_TRUE(reused.rank.empty() && reused.ppk.code.empty() && reused.birth_date.empty() && reused.nip.empty());
}

}  // namespace
}  // namespace netra::registry

// The Redis client as a deployment runs it: an ACL user per service with its
// password from a file (common/redis.h), against the test server's ACL, which
// deploy/redis/make-acl.sh makes from deploy/redis/users.acl.in.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>

#include "common/redis.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;
using netra::testing::RedisServer;
using netra::testing::TempDir;
using netra::testing::WaitUntil;

TEST(ParseRedisUrlTest, TakesAnAclUserButNeverAPassword) {
  std::string error;
  auto parsed = ParseRedisUrl("redis://netra-registry@redis.netra.svc:6379/2", &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->user, "netra-registry");
  EXPECT_EQ(parsed->host, "redis.netra.svc");
  EXPECT_EQ(parsed->db, 2);
  EXPECT_TRUE(parsed->password.empty());

  EXPECT_FALSE(ParseRedisUrl("redis://netra-registry:hunter2@redis:6379", &error));
  EXPECT_NE(error.find("--redis-password-file"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  EXPECT_FALSE(ParseRedisUrl("redis://@redis:6379", &error));
  EXPECT_FALSE(ParseRedisUrl("redis://us er@redis:6379", &error));
}

TEST(ReadRedisPasswordTest, DropsTheTrailingNewlineAndRefusesEmptyOrMissingFiles) {
  TempDir dir;
  std::string error;
  std::ofstream(dir.File("echoed")) << "s3cret \r\n";
  EXPECT_EQ(ReadRedisPassword(dir.File("echoed"), &error), "s3cret");
  std::ofstream(dir.File("empty")) << "\n";
  EXPECT_FALSE(ReadRedisPassword(dir.File("empty"), &error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_FALSE(ReadRedisPassword(dir.File("missing"), &error));
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
  std::ofstream(dir.File("huge")) << std::string(5000, 'x');
  EXPECT_FALSE(ReadRedisPassword(dir.File("huge"), &error));
  EXPECT_EQ(error.find("xxxx"), std::string::npos) << "the error repeats the file's content";
}

class RedisAclTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }

  RedisServer server_;
  prometheus::Registry registry_;
};

// The service users of deploy/redis/users.acl.in: their deployment's keys and
// their own commands only; the default user is off.
TEST_F(RedisAclTest, AServiceUserReachesOnlyItsDeploymentsKeysWithItsCommands) {
  for (const char* user : {"netra-registry", "netra-complaint", "netra-sanction"}) {
    SCOPED_TRACE(user);
    EXPECT_EQ(server_.RunAs(user, {"SET", "netra:test:probe", "1"}), "OK");
    EXPECT_EQ(server_.RunAs(user, {"GET", "netra:test:probe"}), "1");
    // Outside the deployment's prefix: another deployment's keys, or none.
    EXPECT_EQ(server_.RunAs(user, {"GET", "netra:other:probe"}).rfind("(error) NOPERM", 0), 0u);
    EXPECT_EQ(server_.RunAs(user, {"SET", "probe", "1"}).rfind("(error) NOPERM", 0), 0u);
    // Nothing that reads every key, changes the server or wipes it.
    for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
             {"FLUSHALL"}, {"FLUSHDB"}, {"CONFIG", "GET", "*"}, {"KEYS", "*"}, {"SCAN", "0"},
             {"ACL", "LIST"}, {"SHUTDOWN"}, {"MONITOR"}, {"HSET", "netra:test:h", "f", "v"}}) {
      EXPECT_EQ(server_.RunAs(user, argv).rfind("(error) NOPERM", 0), 0u) << argv[0];
    }
    // A script runs as its caller: the same limits apply to what it calls.
    EXPECT_EQ(server_.RunAs(user, {"EVAL", "return redis.call('GET', KEYS[1])", "1", "netra:other:probe"})
                  .rfind("(error) ", 0),
              0u);
    EXPECT_EQ(server_.RunAs(user, {"EVAL", "return redis.call('FLUSHALL')", "0"}).rfind("(error) ", 0), 0u);
    EXPECT_EQ(server_.RunAs(user, "wrong password", {"PING"}).rfind("(error) WRONGPASS", 0), 0u);
  }
  // Only the registry uses pub/sub, on its own channel.
  EXPECT_EQ(server_.RunAs("netra-registry", {"PUBLISH", "netra:test:registry:employee-changed", "x"}), "0");
  EXPECT_EQ(server_.RunAs("netra-registry", {"PUBLISH", "netra:other:registry:employee-changed", "x"})
                .rfind("(error) NOPERM", 0),
            0u);
  EXPECT_EQ(server_.RunAs("netra-complaint", {"PUBLISH", "netra:test:registry:employee-changed", "x"})
                .rfind("(error) NOPERM", 0),
            0u);
  EXPECT_EQ(server_.RunAs("netra-sanction", {"INCRBY", "netra:test:sanction:sweeper:token", "1"}), "1");
  // No user, no password: nothing.
  EXPECT_EQ(server_.RunAs("", {"GET", "netra:test:probe"}).rfind("(error) NOAUTH", 0), 0u);
  EXPECT_EQ(server_.RunAs("default", "", {"PING"}).rfind("(error) WRONGPASS", 0), 0u);
}

TEST_F(RedisAclTest, TheClientAuthenticatesEveryConnectionAsItsUser) {
  RedisOptions options = server_.options("netra-registry");
  options.health_interval = 50ms;
  RedisClient client(options, registry_);
  ASSERT_TRUE(client.up());
  EXPECT_TRUE(client.Set("registry:employee:E1", "snapshot", 1min));
  EXPECT_EQ(client.Get("registry:employee:E1"), "snapshot");
  // The subscription's connection too: a message published is heard.
  std::atomic<int> heard{0};
  RedisSubscription subscription(client, "registry:employee-changed", [&](std::string_view) { ++heard; }, [] {});
  ASSERT_TRUE(WaitUntil([&] { return subscription.live(); }, 5s));
  ASSERT_TRUE(client.Publish("registry:employee-changed", "E1"));
  EXPECT_TRUE(WaitUntil([&] { return heard.load() == 1; }, 5s));
  // A command outside the user's rights is an error reply, not an outage.
  EXPECT_TRUE(client.Command({"FLUSHALL"}).is_error());
  EXPECT_TRUE(client.up());
}

TEST_F(RedisAclTest, AWrongPasswordIsRedisDownNeverACrash) {
  RedisOptions options = server_.options("netra-complaint");
  options.password = "not-the-password";
  ::testing::internal::CaptureStderr();  // the log's lines
  {
    RedisClient client(options, registry_);
    EXPECT_FALSE(client.up());
    CacheLookup lookup = CacheLookup::kHit;
    EXPECT_FALSE(client.Get("complaint:status:X", &lookup));
    EXPECT_EQ(lookup, CacheLookup::kError);
    auto result = client.Command({"PING"});
    EXPECT_TRUE(result.unavailable);
  }
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("redis down"), std::string::npos) << logged;
  EXPECT_NE(logged.find("WRONGPASS"), std::string::npos) << logged;
  EXPECT_NE(logged.find("netra-complaint"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("not-the-password"), std::string::npos) << "the password was logged";
}

}  // namespace
}  // namespace netra

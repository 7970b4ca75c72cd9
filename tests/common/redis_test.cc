// Tests for common/redis.{h,cc} against a real redis-server (tests/support: test_support_test.cc).
#include "common/redis.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;
using netra::testing::FreeLoopbackPort;
using netra::testing::RedisServer;
using netra::testing::Timed;
using netra::testing::WaitUntil;

// ---------------------------------------------------------------------------------------------
// Metric helpers

const prometheus::MetricFamily* FindFamily(const std::vector<prometheus::MetricFamily>& families,
                                           const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

double GaugeValue(const prometheus::Registry& registry, const std::string& name) {
  const auto families = registry.Collect();
  const auto* family = FindFamily(families, name);
  if (family == nullptr || family->metric.empty()) return -1;
  return family->metric[0].gauge.value;
}

double CounterValue(const prometheus::Registry& registry, const std::string& name,
                    const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  const auto families = registry.Collect();
  const auto* family = FindFamily(families, name);
  if (family == nullptr) return -1;
  for (const auto& metric : family->metric) {
    bool all = true;
    for (const auto& [key, value] : labels) {
      bool found = false;
      for (const auto& pair : metric.label) found = found || (pair.name == key && pair.value == value);
      all = all && found;
    }
    if (all) return metric.counter.value;
  }
  return -1;
}

std::uint64_t HistogramCount(const prometheus::Registry& registry, const std::string& name) {
  const auto families = registry.Collect();
  const auto* family = FindFamily(families, name);
  if (family == nullptr || family->metric.empty()) return 0;
  return family->metric[0].histogram.sample_count;
}

// ---------------------------------------------------------------------------------------------
// A raw hiredis connection, to check what the client wrote without going through it.

class RawRedis {
 public:
  // As `user` (by default the tests' own, allowed everything), or unauthenticated when empty.
  explicit RawRedis(const RedisServer& server, const std::string& user = RedisServer::kTestUser) {
    ctx_ = redisConnectWithTimeout("127.0.0.1", server.port(), timeval{2, 0});
    if (ctx_ != nullptr && ctx_->err == 0) redisSetTimeout(ctx_, timeval{2, 0});
    if (ok() && !user.empty()) Run({"AUTH", user, server.password(user)});
  }
  ~RawRedis() {
    if (ctx_ != nullptr) redisFree(ctx_);
  }
  bool ok() const { return ctx_ != nullptr && ctx_->err == 0; }

  // Returns "<nil>" for nil, the string for strings/status, the decimal for integers.
  std::string Run(const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
    return Consume(reply);
  }
  std::string ReadReply() {
    void* reply = nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK) return "<io error>";
    return Consume(static_cast<redisReply*>(reply));
  }

 private:
  static std::string Consume(redisReply* reply) {
    if (reply == nullptr) return "<io error>";
    std::string out;
    switch (reply->type) {
      case REDIS_REPLY_NIL:
        out = "<nil>";
        break;
      case REDIS_REPLY_INTEGER:
        out = std::to_string(reply->integer);
        break;
      case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < reply->elements; ++i) {
          if (i > 0) out += "|";
          const redisReply* e = reply->element[i];
          out += e->type == REDIS_REPLY_INTEGER ? std::to_string(e->integer) : std::string(e->str, e->len);
        }
        break;
      default:
        out.assign(reply->str, reply->len);
    }
    freeReplyObject(reply);
    return out;
  }
  redisContext* ctx_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// ParseRedisUrl

TEST(ParseRedisUrlTest, AcceptsGoodForms) {
  std::string error;
  auto a = ParseRedisUrl("redis://127.0.0.1:6379", &error);
  ASSERT_TRUE(a.has_value()) << error;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0);

  auto b = ParseRedisUrl("redis://redis.netra-dev.svc.cluster.local:6380/3", &error);
  ASSERT_TRUE(b.has_value()) << error;
  EXPECT_EQ(b->host, "redis.netra-dev.svc.cluster.local");
  EXPECT_EQ(b->port, 6380);
  EXPECT_EQ(b->db, 3);

  auto c = ParseRedisUrl("redis://redis_1:65535/15", nullptr);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->db, 15);
  EXPECT_EQ(c->port, 65535);
  // Fields not in the URL keep their defaults.
  EXPECT_EQ(c->pool_size, RedisOptions{}.pool_size);
  EXPECT_EQ(c->command_timeout, RedisOptions{}.command_timeout);
}

TEST(ParseRedisUrlTest, RejectsBadFormsWithAMessage) {
  const char* bad[] = {
      "",
      "127.0.0.1:6379",
      "http://127.0.0.1:6379",
      "rediss://127.0.0.1:6379",
      "redis://",
      "redis://localhost",
      "redis://localhost:",
      "redis://:6379",
      "redis://localhost:0",
      "redis://localhost:65536",
      "redis://localhost:63x9",
      "redis://localhost:-1",
      "redis://localhost:6379/",
      "redis://localhost:6379/16",
      "redis://localhost:6379/-1",
      "redis://localhost:6379/a",
      "redis://localhost:6379/1/2",
      "redis://user:secretpw@localhost:6379",
      "redis://localhost:6379?db=1",
      "redis://[::1]:6379",
      "redis://local host:6379",
  };
  for (const char* url : bad) {
    std::string error;
    EXPECT_FALSE(ParseRedisUrl(url, &error).has_value()) << url;
    EXPECT_FALSE(error.empty()) << url;
    EXPECT_EQ(error.find("secretpw"), std::string::npos) << "error echoes a password: " << error;
  }
  EXPECT_FALSE(ParseRedisUrl("nope", nullptr).has_value());  // null error pointer is fine
}

// ---------------------------------------------------------------------------------------------
// RedisClient against a real server

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.log(); }

  RedisOptions Options() const {
    return server_.options();
  }

  RedisServer server_;
  prometheus::Registry registry_;
};

TEST_F(RedisClientTest, SetGetDelRoundTripAppliesPrefix) {
  RedisClient client(Options(), registry_);
  EXPECT_TRUE(client.up());
  EXPECT_EQ(GaugeValue(registry_, "netra_redis_up"), 1);
  EXPECT_EQ(client.Key("employee:1"), "netra:test:employee:1");

  ASSERT_TRUE(client.Set("employee:1", "snapshot-v1", 0ms));
  RawRedis raw(server_);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Run({"GET", "netra:test:employee:1"}), "snapshot-v1");
  EXPECT_EQ(raw.Run({"GET", "employee:1"}), "<nil>");
  EXPECT_EQ(raw.Run({"PTTL", "netra:test:employee:1"}), "-1");  // ttl 0 = no expiry

  CacheLookup lookup = CacheLookup::kError;
  EXPECT_EQ(client.Get("employee:1", &lookup), "snapshot-v1");
  EXPECT_EQ(lookup, CacheLookup::kHit);

  ASSERT_TRUE(client.Set("employee:2", "x", 60s));
  const long long pttl = std::atoll(raw.Run({"PTTL", "netra:test:employee:2"}).c_str());
  EXPECT_GT(pttl, 50'000);
  EXPECT_LE(pttl, 60'000);

  EXPECT_TRUE(client.Del("employee:1"));
  EXPECT_EQ(raw.Run({"EXISTS", "netra:test:employee:1"}), "0");
  EXPECT_FALSE(client.Get("employee:1", &lookup).has_value());
  EXPECT_EQ(lookup, CacheLookup::kMiss);
  EXPECT_TRUE(client.Del("never-existed"));

  EXPECT_GT(HistogramCount(registry_, "netra_redis_command_seconds"), 0u);
  EXPECT_EQ(CounterValue(registry_, "netra_redis_errors_total"), 0);
}

TEST_F(RedisClientTest, ValuesAndKeysAreBinarySafe) {
  RedisClient client(Options(), registry_);
  std::string value("a\0b\r\n\xff\x00z", 8);
  std::string key("bin\0key", 7);
  ASSERT_TRUE(client.Set(key, value, 0ms));
  CacheLookup lookup;
  auto got = client.Get(key, &lookup);
  ASSERT_EQ(lookup, CacheLookup::kHit);
  EXPECT_EQ(*got, value);
  RawRedis raw(server_);
  EXPECT_EQ(raw.Run({"GET", "netra:test:" + key}), value);

  std::string big(1 << 20, '\0');
  std::mt19937 rng(42);
  for (char& c : big) c = static_cast<char>(rng());
  ASSERT_TRUE(client.Set("big", big, 0ms));
  EXPECT_EQ(client.Get("big"), big);

  ASSERT_TRUE(client.Set("empty", "", 0ms));
  got = client.Get("empty", &lookup);
  EXPECT_EQ(lookup, CacheLookup::kHit);  // empty value is a hit, not a miss
  EXPECT_EQ(got, "");
}

TEST_F(RedisClientTest, MissHitAndServerErrorAreDistinct) {
  RedisClient client(Options(), registry_);
  CacheLookup lookup = CacheLookup::kHit;
  EXPECT_FALSE(client.Get("absent", &lookup).has_value());
  EXPECT_EQ(lookup, CacheLookup::kMiss);

  // A server error reply (WRONGTYPE) is an error but says nothing about Redis being down.
  ASSERT_TRUE(client.Command({"RPUSH", client.Key("list"), "a", "b"}).is_integer());
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(client.Get("list", &lookup).has_value());
    EXPECT_EQ(lookup, CacheLookup::kError);
  }
  RedisResult wrong = client.Command({"GET", client.Key("list")});
  EXPECT_TRUE(wrong.is_error());
  EXPECT_FALSE(wrong.unavailable);
  EXPECT_NE(wrong.str.find("WRONGTYPE"), std::string::npos) << wrong.str;
  EXPECT_TRUE(client.up());
  EXPECT_EQ(CounterValue(registry_, "netra_redis_errors_total"), 6);

  RedisResult range = client.Command({"LRANGE", client.Key("list"), "0", "-1"});
  ASSERT_TRUE(range.is_array());
  ASSERT_EQ(range.elements.size(), 2u);
  EXPECT_EQ(range.elements[0].str, "a");
  EXPECT_EQ(range.elements[1].str, "b");
  EXPECT_TRUE(client.Command({"PING"}).is_status("PONG"));
  EXPECT_TRUE(client.Command({}).is_error());
}

TEST_F(RedisClientTest, SetNxIncrPublish) {
  RedisClient client(Options(), registry_);
  RawRedis raw(server_);

  EXPECT_EQ(client.SetNx("lease:sweeper", "replica-a", 30s), SetNxOutcome::kSet);
  EXPECT_EQ(client.SetNx("lease:sweeper", "replica-b", 30s), SetNxOutcome::kExists);
  EXPECT_EQ(raw.Run({"GET", "netra:test:lease:sweeper"}), "replica-a");
  EXPECT_GT(std::atoll(raw.Run({"PTTL", "netra:test:lease:sweeper"}).c_str()), 20'000);

  EXPECT_EQ(client.Incr("count"), 1);
  EXPECT_EQ(client.Incr("count", 5), 6);
  EXPECT_EQ(raw.Run({"PTTL", "netra:test:count"}), "-1");
  EXPECT_EQ(client.Incr("rate:1.2.3.4", 1, 60s), 1);
  EXPECT_EQ(client.Incr("rate:1.2.3.4", 1, 60s), 2);
  EXPECT_GT(std::atoll(raw.Run({"PTTL", "netra:test:rate:1.2.3.4"}).c_str()), 50'000);
  ASSERT_TRUE(client.Set("text", "abc", 0ms));
  EXPECT_FALSE(client.Incr("text").has_value());

  RawRedis subscriber(server_);
  ASSERT_EQ(subscriber.Run({"SUBSCRIBE", "netra:test:invalidate"}), "subscribe|netra:test:invalidate|1");
  EXPECT_TRUE(client.Publish("invalidate", "employee:7"));
  EXPECT_EQ(subscriber.ReadReply(), "message|netra:test:invalidate|employee:7");
}

TEST_F(RedisClientTest, ConcurrentCallersShareTheSmallPool) {
  RedisOptions options = Options();
  options.pool_size = 2;
  options.command_timeout = 2000ms;  // waiting for a pooled connection must not fail here
  RedisClient client(options, registry_);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!client.Incr("shared").has_value()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  RawRedis raw(server_);
  EXPECT_EQ(raw.Run({"GET", "netra:test:shared"}), "800");
  EXPECT_TRUE(client.up());
}

TEST_F(RedisClientTest, SelectsTheDatabaseFromTheUrl) {
  auto options = ParseRedisUrl(server_.url() + "/5", nullptr);
  ASSERT_TRUE(options.has_value());
  options->password = server_.password(RedisServer::kTestUser);
  RedisClient client(*options, registry_);
  ASSERT_TRUE(client.Set("in-db5", "yes", 0ms));
  RawRedis raw(server_);
  EXPECT_EQ(raw.Run({"GET", "in-db5"}), "<nil>");
  EXPECT_EQ(raw.Run({"SELECT", "5"}), "OK");
  EXPECT_EQ(raw.Run({"GET", "in-db5"}), "yes");
}

TEST_F(RedisClientTest, CacheGetOrLoadCallsTheLoaderOnceThenHits) {
  RedisClient client(Options(), registry_);
  Cache cache(client, "employee", registry_);
  int loads = 0;
  auto loader = [&loads]() -> std::optional<std::string> {
    ++loads;
    return std::string("from-store");
  };
  EXPECT_EQ(cache.GetOrLoad("employee:42", 60s, loader), "from-store");
  EXPECT_EQ(cache.GetOrLoad("employee:42", 60s, loader), "from-store");
  EXPECT_EQ(cache.GetOrLoad("employee:42", 60s, loader), "from-store");
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(CounterValue(registry_, "netra_cache_requests_total", {{"cache", "employee"}, {"result", "miss"}}), 1);
  EXPECT_EQ(CounterValue(registry_, "netra_cache_requests_total", {{"cache", "employee"}, {"result", "hit"}}), 2);
  EXPECT_EQ(CounterValue(registry_, "netra_cache_requests_total", {{"cache", "employee"}, {"result", "error"}}), 0);
  RawRedis raw(server_);
  EXPECT_EQ(raw.Run({"GET", "netra:test:employee:42"}), "from-store");

  // Not found in the store: returned as is, nothing cached.
  int not_found_loads = 0;
  auto not_found = [&not_found_loads]() -> std::optional<std::string> {
    ++not_found_loads;
    return std::nullopt;
  };
  EXPECT_FALSE(cache.GetOrLoad("employee:404", 60s, not_found).has_value());
  EXPECT_FALSE(cache.GetOrLoad("employee:404", 60s, not_found).has_value());
  EXPECT_EQ(not_found_loads, 2);

  EXPECT_TRUE(cache.Invalidate("employee:42"));
  EXPECT_EQ(cache.GetOrLoad("employee:42", 60s, loader), "from-store");
  EXPECT_EQ(loads, 2);

  // A second cache with another name shares the metric family.
  Cache other(client, "catalog", registry_);
  EXPECT_EQ(other.GetOrLoad("catalog:current", 60s, loader), "from-store");
  EXPECT_EQ(CounterValue(registry_, "netra_cache_requests_total", {{"cache", "catalog"}, {"result", "miss"}}), 1);
}

// A read that loaded from the store just before a change must not put the old value back over
// the change's: neither over the value its writer put, nor into the key it invalidated.
TEST_F(RedisClientTest, AWriteBackNeverReplacesWhatAChangeWroteMeanwhile) {
  RedisClient client(Options(), registry_);
  Cache cache(client, "employee", registry_);
  RawRedis raw(server_);
  // The change lands while the read is loading (the loader stands in for the slow store read).
  auto loads_v1_while = [](std::function<void()> change) {
    return [change]() -> std::optional<std::string> {
      change();
      return std::string("v1");
    };
  };
  EXPECT_EQ(cache.GetOrLoad("employee:7", 60s, loads_v1_while([&] { cache.Put("employee:7", "v2", 60s); })), "v1");
  EXPECT_EQ(raw.Run({"GET", "netra:test:employee:7"}), "v2");

  EXPECT_EQ(cache.GetOrLoad("employee:8", 60s, loads_v1_while([&] { cache.Invalidate("employee:8"); })), "v1");
  // The mark stays for a while: the next read asks the store again and writes nothing back.
  int loads = 0;
  auto store_has_v2 = [&loads]() -> std::optional<std::string> {
    ++loads;
    return std::string("v2");
  };
  EXPECT_EQ(cache.GetOrLoad("employee:8", 60s, store_has_v2), "v2");
  EXPECT_EQ(cache.GetOrLoad("employee:8", 60s, store_has_v2), "v2");
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(raw.Run({"GET", "netra:test:employee:8"}), std::string(Cache::kInvalidated));
  const std::string ttl = raw.Run({"PTTL", "netra:test:employee:8"});
  EXPECT_GT(std::stoll(ttl), 0);
  EXPECT_LE(std::stoll(ttl), Cache::kInvalidatedFor.count());
}

TEST_F(RedisClientTest, OutageFailsFastAndRecoversWithoutTraffic) {
  RedisClient client(Options(), registry_);
  Cache cache(client, "employee", registry_);
  ASSERT_TRUE(client.Set("warm", "1", 0ms));
  const int port = server_.port();
  ::testing::internal::CaptureStderr();

  ASSERT_TRUE(server_.Stop());
  // Traffic trips the breaker (the health thread would too, see the next test).
  CacheLookup lookup = CacheLookup::kHit;
  ASSERT_TRUE(WaitUntil(
      [&] {
        client.Get("warm", &lookup);
        return !client.up();
      },
      5s));
  EXPECT_EQ(lookup, CacheLookup::kError);
  EXPECT_EQ(GaugeValue(registry_, "netra_redis_up"), 0);
  const double errors_before = CounterValue(registry_, "netra_redis_errors_total");

  int loads = 0;
  auto loader = [&loads]() -> std::optional<std::string> {
    ++loads;
    return std::string("from-store");
  };
  for (int i = 0; i < 20; ++i) {
    std::optional<std::string> value;
    EXPECT_LT(Timed([&] { value = client.Get("warm", &lookup); }), 50ms);
    EXPECT_FALSE(value.has_value());
    EXPECT_EQ(lookup, CacheLookup::kError);
    EXPECT_LT(Timed([&] { EXPECT_FALSE(client.Set("k", "v", 1s)); }), 50ms);
    EXPECT_LT(Timed([&] { EXPECT_EQ(client.SetNx("k", "v", 1s), SetNxOutcome::kError); }), 50ms);
    EXPECT_LT(Timed([&] { EXPECT_FALSE(client.Incr("n").has_value()); }), 50ms);
    EXPECT_LT(Timed([&] { EXPECT_FALSE(client.Publish("c", "m")); }), 50ms);
    EXPECT_LT(Timed([&] { EXPECT_EQ(cache.GetOrLoad("employee:1", 60s, loader), "from-store"); }), 50ms);
    RedisResult raw = client.Command({"PING"});
    EXPECT_TRUE(raw.is_error());
    EXPECT_TRUE(raw.unavailable);
  }
  EXPECT_EQ(loads, 20);
  EXPECT_EQ(CounterValue(registry_, "netra_cache_requests_total", {{"cache", "employee"}, {"result", "error"}}), 20);
  EXPECT_GE(CounterValue(registry_, "netra_redis_errors_total"), errors_before + 120);
  EXPECT_FALSE(client.up());
  EXPECT_EQ(GaugeValue(registry_, "netra_redis_up"), 0);

  // Restart on the same port; no traffic at all until the health check has closed the breaker.
  ASSERT_TRUE(server_.Start()) << server_.log();
  ASSERT_EQ(server_.port(), port);
  ASSERT_TRUE(WaitUntil([&] { return client.up(); }, 5s));
  EXPECT_EQ(GaugeValue(registry_, "netra_redis_up"), 1);
  // The very first commands succeed: connections from before the outage are not reused.
  EXPECT_TRUE(client.Set("after", "restart", 0ms));
  EXPECT_EQ(client.Get("after", &lookup), "restart");
  EXPECT_EQ(lookup, CacheLookup::kHit);
  EXPECT_EQ(cache.GetOrLoad("employee:1", 60s, loader), "from-store");  // miss: data was not persisted
  EXPECT_EQ(cache.GetOrLoad("employee:1", 60s, loader), "from-store");  // hit
  EXPECT_EQ(loads, 21);
  EXPECT_TRUE(client.up());

  const std::string logged = ::testing::internal::GetCapturedStderr();
  auto count = [&logged](const std::string& needle) {
    size_t n = 0;
    for (size_t at = logged.find(needle); at != std::string::npos; at = logged.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("redis down"), 1u) << logged;
  EXPECT_EQ(count("redis up again"), 1u) << logged;
}

TEST_F(RedisClientTest, HealthCheckNoticesAnOutageWithoutTraffic) {
  RedisOptions options = Options();
  options.health_interval = 100ms;
  RedisClient client(options, registry_);
  ASSERT_TRUE(client.up());
  ASSERT_TRUE(server_.Stop());
  EXPECT_TRUE(WaitUntil([&] { return !client.up(); }, 5s));
  EXPECT_EQ(GaugeValue(registry_, "netra_redis_up"), 0);
  ASSERT_TRUE(server_.Start()) << server_.log();
  EXPECT_TRUE(WaitUntil([&] { return client.up(); }, 5s));
  EXPECT_TRUE(client.Set("k", "v", 0ms));
}

TEST_F(RedisClientTest, HungServerCostsAtMostTheTimeoutThenFailsFast) {
  RedisOptions options = Options();
  options.command_timeout = 100ms;
  options.connect_timeout = 100ms;
  options.breaker_cooldown = 200ms;
  RedisClient client(options, registry_);
  ASSERT_TRUE(client.Set("k", "v", 0ms));

  ASSERT_EQ(kill(server_.pid(), SIGSTOP), 0);
  // Each call is bounded by the timeouts even before the breaker opens.
  ASSERT_TRUE(WaitUntil(
      [&] {
        EXPECT_LT(Timed([&] { client.Get("k"); }), 1000ms);
        return !client.up();
      },
      5s));
  for (int i = 0; i < 10; ++i) EXPECT_LT(Timed([&] { EXPECT_FALSE(client.Get("k").has_value()); }), 50ms);

  ASSERT_EQ(kill(server_.pid(), SIGCONT), 0);
  ASSERT_TRUE(WaitUntil([&] { return client.up(); }, 5s));
  EXPECT_EQ(client.Get("k"), "v");
}

TEST(RedisClientNoServerTest, UnreachableAtStartIsDownAndFast) {
  prometheus::Registry registry;
  RedisOptions options;
  options.port = FreeLoopbackPort();
  std::unique_ptr<RedisClient> client;
  EXPECT_LT(Timed([&] { client = std::make_unique<RedisClient>(options, registry); }), 1000ms);
  EXPECT_FALSE(client->up());
  EXPECT_EQ(GaugeValue(registry, "netra_redis_up"), 0);
  CacheLookup lookup = CacheLookup::kHit;
  EXPECT_LT(Timed([&] { client->Get("x", &lookup); }), 50ms);
  EXPECT_EQ(lookup, CacheLookup::kError);
  // Destruction stops the health thread promptly (it waits on a condvar, not a sleep).
  EXPECT_LT(Timed([&] { client.reset(); }), 300ms);
}

}  // namespace
}  // namespace netra

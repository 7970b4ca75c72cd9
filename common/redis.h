// Redis client for services that use Redis as a cache (never the only copy of data).
//
// A dead or hung Redis must cost a fast miss, never a stall or a crash:
//  - a small pool of connections with connect and command timeouts; a connection that saw an
//    I/O error or timeout is dropped and reconnected on next use;
//  - a circuit breaker: after `breaker_failure_threshold` consecutive failures (I/O error,
//    timeout, refused connection, no free connection within `command_timeout`) it opens, and
//    every command then fails at once without touching the network. A background thread PINGs
//    every `health_interval` and closes the breaker at the first successful PING once it has
//    been open for `breaker_cooldown`, so recovery needs no traffic. It also counts failed PINGs, so an outage is noticed without traffic.
//    Each transition writes one log line ("redis down" with the error, "redis up again").
//  - error replies from the server (WRONGTYPE, ...) are returned but do not trip the breaker.
// No exception escapes for a Redis problem. Every member function is thread-safe.
//
// Keys given to the convenience calls (and to Cache) are relative: the client prepends
// `key_prefix`. Pub/sub channels are prefixed the same way (channels are not per-database).
// Command() sends argv as given; use Key() to build prefixed keys for it.
//
// Metrics (in the registry given to the constructor):
//   netra_redis_up                 gauge, 1 while the breaker is closed, 0 while open
//   netra_redis_command_seconds    histogram of commands that reached the network (100 µs..1 s)
//   netra_redis_errors_total       counter of failed commands (including ones refused by the
//                                  open breaker); error replies from the server count too
//   netra_cache_requests_total{cache,result="hit|miss|error"}   see Cache
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/periodic.h"

struct redisContext;

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace netra {

// The violation catalog in force, written through by netra-sanction and read by
// netra-complaint's intake (docs/redis.md), so a PutViolationCatalog reaches both.
inline constexpr std::string_view kViolationCatalogKey = "sanction:catalog:current";

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  // ACL user and password (docs/operations.md, "Redis users"): every connection, the
  // subscriptions' too, sends AUTH before anything else when the password is set. The
  // password is never logged; a refused AUTH counts as Redis being down.
  std::string user;
  std::string password;
  std::string key_prefix;  // e.g. "netra:dev:"
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{200};
  int pool_size = 4;
  int breaker_failure_threshold = 3;
  // The breaker stays open at least this long (damps flapping); after that the first
  // successful health PING closes it.
  std::chrono::milliseconds breaker_cooldown{1000};
  std::chrono::milliseconds health_interval{500};
};

// Parses "redis://[USER@]HOST:PORT[/DB]" (DB 0-15). HOST is a host name or an IPv4 address;
// USER an ACL user name. Anything else (other schemes, a password in the URL, query, missing
// port) is rejected with a message in *error (when error is not null) that never repeats the
// URL. The password comes from a file (--redis-password-file). Other fields keep their defaults.
std::optional<RedisOptions> ParseRedisUrl(std::string_view url, std::string* error);

// The password in `path` (trailing newline and spaces dropped: files written by `echo` and
// Kubernetes Secrets alike). nullopt with *error (naming the file, never its content) when the
// file cannot be read, is empty, or is over 4096 bytes.
std::optional<std::string> ReadRedisPassword(const std::string& path, std::string* error);

// One reply (or failure) from Redis. Strings are binary-safe.
struct RedisResult {
  enum class Kind { kError, kNil, kStatus, kString, kInteger, kArray };

  Kind kind = Kind::kError;
  // kError only: true when Redis could not be used (breaker open, connect/I/O error, timeout,
  // no free connection); false for an error reply from the server (e.g. WRONGTYPE).
  bool unavailable = false;
  std::string str;                   // kString / kStatus: the value; kError: the message
  long long integer = 0;             // kInteger
  std::vector<RedisResult> elements;  // kArray (nested arrays allowed)

  bool ok() const { return kind != Kind::kError; }
  bool is_error() const { return kind == Kind::kError; }
  bool is_nil() const { return kind == Kind::kNil; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_integer() const { return kind == Kind::kInteger; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_status(std::string_view expected) const { return kind == Kind::kStatus && str == expected; }

  static RedisResult Error(std::string message, bool unavailable);
};

enum class CacheLookup { kHit, kMiss, kError };
enum class SetNxOutcome { kSet, kExists, kError };

class RedisSubscription;

class RedisClient {
 public:
  // Does one bounded PING (at most connect_timeout + command_timeout) so that up() is right
  // from the start, then starts the health thread. Never throws for an unreachable Redis.
  RedisClient(RedisOptions options, prometheus::Registry& metrics);
  ~RedisClient();  // stops the health thread promptly and closes every connection
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command exactly as given (no key prefixing).
  RedisResult Command(std::vector<std::string> argv);

  // GET. Returns the value on a hit; *lookup (if not null) tells hit, miss and error apart.
  std::optional<std::string> Get(std::string_view key, CacheLookup* lookup = nullptr);
  // SET, with PX ttl when ttl > 0 (otherwise no expiry). True when Redis stored it.
  bool Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
  // DEL. True when the command succeeded (whether or not the key existed).
  bool Del(std::string_view key);
  // SET NX with PX ttl when ttl > 0: for idempotency records and leases.
  SetNxOutcome SetNx(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
  // PUBLISH on the prefixed channel. True when the command succeeded.
  bool Publish(std::string_view channel, std::string_view message);
  // INCRBY delta; when ttl > 0 and the key has no expiry (this call created it) it gets
  // that ttl, atomically (fixed-window counters). The new value, or nullopt on error.
  std::optional<long long> Incr(std::string_view key, long long delta = 1,
                                std::chrono::milliseconds ttl = std::chrono::milliseconds{0});

  // key_prefix + key.
  std::string Key(std::string_view key) const;
  // False while the circuit breaker is open.
  bool up() const { return !open_.load(std::memory_order_acquire); }
  const RedisOptions& options() const { return options_; }

 private:
  friend class RedisSubscription;  // connects like the pool does
  struct Slot {
    redisContext* ctx = nullptr;
    std::uint64_t generation = 0;
  };

  RedisResult Execute(const std::vector<std::string>& argv);
  bool Borrow(Slot* slot);
  void Return(Slot slot);
  redisContext* Connect(std::string* error) const;
  // Sends one set-up command (AUTH, SELECT) on a new connection; on failure frees ctx and
  // says why in *error.
  bool Handshake(redisContext* ctx, const std::vector<std::string>& argv, const std::string& what,
                 std::string* error) const;
  bool Ping(std::string* error);
  void RecordSuccess();
  void RecordFailure(const std::string& error, bool force_open);
  void CheckHealth();
  std::string Address() const;

  const RedisOptions options_;
  prometheus::Gauge* up_gauge_;
  prometheus::Histogram* command_seconds_;
  prometheus::Counter* errors_total_;

  // Pool: idle_ holds the slots not lent out (a slot's ctx may be null: connect on use).
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<Slot> idle_;
  // Bumped when the breaker closes so idle connections from before the outage are replaced.
  std::atomic<std::uint64_t> generation_{1};

  // Breaker.
  mutable std::mutex state_mu_;
  std::atomic<bool> open_{false};
  std::chrono::steady_clock::time_point opened_at_{};
  int consecutive_failures_ = 0;
  std::string last_error_;

  // Health checks (the worker's thread owns health_ctx_).
  redisContext* health_ctx_ = nullptr;
  PeriodicWorker health_;  // last: its thread uses the members above
};

// Cache-aside over a RedisClient. The loader reads the store; nullopt from the loader means
// "not in the store" and is returned as is (nothing is cached). On a hit the loader is not
// called; on a miss its value is written back best-effort with the ttl; on a Redis error the
// loader answers and nothing is written. Counts netra_cache_requests_total{cache=name,result}.
// Thread-safe. Keys are relative to the client's key_prefix, exactly as for RedisClient::Get.
//
// A write-back never replaces a value: a load may have read the store before a change whose
// writer has since put the new value (Put) or invalidated the key, and its old value must not
// land over that. So the write-back only fills an absent key (SET NX), and Invalidate leaves
// kInvalidated for kInvalidatedFor instead of nothing; a read finding it asks the store and
// writes nothing back (counted as a miss).
class Cache {
 public:
  using Loader = std::function<std::optional<std::string>()>;
  // No serialized protobuf message or JSON text starts with a NUL byte.
  static constexpr std::string_view kInvalidated{"\0netra:invalidated", 18};
  static constexpr std::chrono::milliseconds kInvalidatedFor{10000};

  Cache(RedisClient& redis, std::string name, prometheus::Registry& metrics);

  std::optional<std::string> GetOrLoad(std::string_view key, std::chrono::milliseconds ttl,
                                       const Loader& loader);
  // Write-through and invalidation, best-effort (false when Redis did not take it).
  bool Put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
  bool Invalidate(std::string_view key);

  const std::string& name() const { return name_; }

 private:
  RedisClient& redis_;
  std::string name_;
  prometheus::Counter* hits_;
  prometheus::Counter* misses_;
  prometheus::Counter* errors_;
};

// A subscription to one pub/sub channel (prefixed like keys) on a connection of its own, kept
// by a background thread that reconnects after any failure (every health_interval). Each
// message goes to `on_message` on that thread. live() is true only while messages are known to
// arrive: an idle connection is PINGed every health_interval and one silent for three intervals
// counts as lost. `on_gap` runs whenever live() turns false, and again right before it turns
// true, so a consumer can drop whatever it holds that a missed message would have changed.
class RedisSubscription {
 public:
  RedisSubscription(const RedisClient& redis, std::string_view channel,
                    std::function<void(std::string_view message)> on_message, std::function<void()> on_gap);
  ~RedisSubscription();  // stops the thread promptly and closes the connection
  RedisSubscription(const RedisSubscription&) = delete;
  RedisSubscription& operator=(const RedisSubscription&) = delete;

  bool live() const { return live_.load(std::memory_order_acquire); }

 private:
  void Subscribe();                // one connection's life: connect, listen, mark the gap
  void Listen(redisContext* ctx);  // returns on stop or when the connection is lost
  void SetLive(bool live);

  const RedisClient& redis_;
  const std::string channel_;
  const std::function<void(std::string_view)> on_message_;
  const std::function<void()> on_gap_;
  std::atomic<bool> live_{false};
  PeriodicWorker worker_;  // last: reconnects every health_interval after a lost connection
};

}  // namespace netra

#include "common/redis.h"

#include <hiredis/hiredis.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <utility>

#include "common/log.h"
#include "common/redis_detail.h"

namespace netra {
namespace {

using Clock = std::chrono::steady_clock;

timeval ToTimeval(std::chrono::milliseconds ms) {
  // A zero timeval means "no timeout" to the kernel; never pass that.
  const long long total = std::max<long long>(ms.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(total / 1000);
  tv.tv_usec = static_cast<suseconds_t>((total % 1000) * 1000);
  return tv;
}

using redis_detail::SigpipeGuard;

RedisResult FromReply(const redisReply* reply) {
  RedisResult result;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      result.kind = RedisResult::Kind::kString;
      result.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      result.kind = RedisResult::Kind::kStatus;
      result.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      result = RedisResult::Error(std::string(reply->str, reply->len), /*unavailable=*/false);
      break;
    case REDIS_REPLY_INTEGER:
      result.kind = RedisResult::Kind::kInteger;
      result.integer = reply->integer;
      break;
    case REDIS_REPLY_NIL:
      result.kind = RedisResult::Kind::kNil;
      break;
    case REDIS_REPLY_ARRAY:
      result.kind = RedisResult::Kind::kArray;
      result.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) result.elements.push_back(FromReply(reply->element[i]));
      break;
    default:
      result = RedisResult::Error("unexpected redis reply type " + std::to_string(reply->type), false);
      break;
  }
  return result;
}

std::string ContextError(const redisContext* ctx) {
  if (ctx == nullptr) return "no connection";
  std::string text = ctx->errstr[0] != '\0' ? ctx->errstr : "connection error";
  if (ctx->err == REDIS_ERR_IO && (text.find("temporarily unavailable") != std::string::npos ||
                                   text.find("timed out") != std::string::npos)) {
    text = "timeout (" + text + ")";
  }
  return text;
}

// The reply to a command built from argv with binary-safe lengths; null on I/O error.
redisReply* SendArgv(redisContext* ctx, const std::vector<std::string>& argv) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  pointers.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  SigpipeGuard guard;
  return static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), pointers.data(), lengths.data()));
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ParseInt(std::string_view text, int* out) {
  if (!AllDigits(text) || text.size() > 9) return false;
  return std::from_chars(text.data(), text.data() + text.size(), *out).ec == std::errc();
}

constexpr const char* kIncrScript =
    "local v = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
    "if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then\n"
    "  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
    "end\n"
    "return v\n";

}  // namespace

RedisResult RedisResult::Error(std::string message, bool unavailable) {
  RedisResult result;
  result.kind = Kind::kError;
  result.unavailable = unavailable;
  result.str = std::move(message);
  return result;
}

std::optional<RedisOptions> ParseRedisUrl(std::string_view url, std::string* error) {
  // The URL itself is never echoed: it could carry a password.
  auto fail = [error](std::string message) -> std::optional<RedisOptions> {
    if (error != nullptr) *error = "invalid redis URL: " + message + " (expected redis://[USER@]HOST:PORT[/DB])";
    return std::nullopt;
  };
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  };
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) return fail("scheme must be redis://");
  std::string_view rest = url.substr(kScheme.size());
  std::string_view user;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    user = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (user.find(':') != std::string_view::npos) {
      return fail("a password in the URL is not supported; give it in a file (--redis-password-file)");
    }
    if (user.empty() || !std::all_of(user.begin(), user.end(), name_char)) {
      return fail("user must be a non-empty name of letters, digits, '.', '-' or '_'");
    }
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return fail("query or fragment is not supported");
  if (rest.find('[') != std::string_view::npos) return fail("IPv6 literal addresses are not supported");

  const size_t slash = rest.find('/');
  const std::string_view host_port = rest.substr(0, slash);
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return fail("missing :PORT");
  const std::string_view host = host_port.substr(0, colon);
  const std::string_view port_text = host_port.substr(colon + 1);
  if (host.empty()) return fail("missing host");
  if (!std::all_of(host.begin(), host.end(), name_char)) return fail("host contains an invalid character");
  int port = 0;
  if (!ParseInt(port_text, &port) || port < 1 || port > 65535) return fail("port must be a number 1-65535");

  RedisOptions options;
  options.user = std::string(user);
  options.host = std::string(host);
  options.port = port;
  if (slash != std::string_view::npos) {
    const std::string_view db_text = rest.substr(slash + 1);
    int db = 0;
    if (!ParseInt(db_text, &db) || db < 0 || db > 15) return fail("database must be a number 0-15");
    options.db = db;
  }
  return options;
}

std::optional<std::string> ReadRedisPassword(const std::string& path, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  std::string password;
  constexpr size_t kMaxBytes = 4096;
  password.resize(kMaxBytes + 1);
  file.read(password.data(), static_cast<std::streamsize>(password.size()));
  password.resize(static_cast<size_t>(file.gcount()));
  if (password.size() > kMaxBytes) {
    *error = path + " is over " + std::to_string(kMaxBytes) + " bytes; expected one password";
    return std::nullopt;
  }
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r' || password.back() == ' ')) {
    password.pop_back();
  }
  if (password.empty()) {
    *error = path + " is empty; expected the Redis user's password";
    return std::nullopt;
  }
  return password;
}

// ---------------------------------------------------------------------------------------------
// RedisClient

RedisClient::RedisClient(RedisOptions options, prometheus::Registry& metrics)
    : options_([&options] {
        RedisOptions o = std::move(options);
        o.pool_size = std::max(o.pool_size, 1);
        o.breaker_failure_threshold = std::max(o.breaker_failure_threshold, 1);
        o.connect_timeout = std::max(o.connect_timeout, std::chrono::milliseconds{1});
        o.command_timeout = std::max(o.command_timeout, std::chrono::milliseconds{1});
        o.health_interval = std::max(o.health_interval, std::chrono::milliseconds{10});
        o.breaker_cooldown = std::max(o.breaker_cooldown, std::chrono::milliseconds{0});
        return o;
      }()),
      health_("redis health", options_.health_interval, [this] { CheckHealth(); }) {
  up_gauge_ = &prometheus::BuildGauge()
                   .Name("netra_redis_up")
                   .Help("1 while Redis answers (circuit breaker closed), 0 while it is treated as down")
                   .Register(metrics)
                   .Add({});
  command_seconds_ = &prometheus::BuildHistogram()
                          .Name("netra_redis_command_seconds")
                          .Help("Time spent on Redis commands that reached the network, in seconds")
                          .Register(metrics)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                          0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                          0.5, 1.0});
  errors_total_ = &prometheus::BuildCounter()
                       .Name("netra_redis_errors_total")
                       .Help("Redis commands that failed (unreachable, timeout, circuit open, or error reply)")
                       .Register(metrics)
                       .Add({});
  up_gauge_->Set(1);
  idle_.resize(static_cast<size_t>(options_.pool_size));

  std::string error;
  if (!Ping(&error)) RecordFailure(error, /*force_open=*/true);

  health_.Start(PeriodicWorker::First::kAfterPeriod);  // the first check was the PING above
}

RedisClient::~RedisClient() {
  health_.Stop();
  if (health_ctx_ != nullptr) redisFree(health_ctx_);
  std::lock_guard<std::mutex> lock(pool_mu_);
  for (Slot& slot : idle_) {
    if (slot.ctx != nullptr) redisFree(slot.ctx);
    slot.ctx = nullptr;
  }
}

std::string RedisClient::Address() const { return options_.host + ":" + std::to_string(options_.port); }

std::string RedisClient::Key(std::string_view key) const {
  std::string full;
  full.reserve(options_.key_prefix.size() + key.size());
  full.append(options_.key_prefix);
  full.append(key);
  return full;
}

redisContext* RedisClient::Connect(std::string* error) const {
  SigpipeGuard guard;
  redisContext* ctx = redisConnectWithTimeout(options_.host.c_str(), options_.port, ToTimeval(options_.connect_timeout));
  if (ctx == nullptr) {
    *error = "connect " + Address() + ": out of memory";
    return nullptr;
  }
  if (ctx->err != 0) {
    *error = "connect " + Address() + ": " + ContextError(ctx);
    redisFree(ctx);
    return nullptr;
  }
  if (redisSetTimeout(ctx, ToTimeval(options_.command_timeout)) != REDIS_OK) {
    *error = "set timeout on " + Address() + ": " + ContextError(ctx);
    redisFree(ctx);
    return nullptr;
  }
  redisEnableKeepAlive(ctx);
  // AUTH first: with ACLs on, nothing else (not even SELECT) is allowed before it.
  if (!options_.password.empty()) {
    std::vector<std::string> auth{"AUTH", options_.password};
    if (!options_.user.empty()) auth.insert(auth.begin() + 1, options_.user);
    const std::string as = options_.user.empty() ? std::string("auth") : "auth as " + options_.user;
    if (!Handshake(ctx, auth, as, error)) return nullptr;
  }
  if (options_.db != 0 && !Handshake(ctx, {"SELECT", std::to_string(options_.db)},
                                     "select db " + std::to_string(options_.db), error)) {
    return nullptr;
  }
  return ctx;
}

bool RedisClient::Handshake(redisContext* ctx, const std::vector<std::string>& argv, const std::string& what,
                            std::string* error) const {
  redisReply* reply = SendArgv(ctx, argv);
  if (reply == nullptr) {
    *error = what + " on " + Address() + ": " + ContextError(ctx);
    redisFree(ctx);
    return false;
  }
  const bool ok = reply->type == REDIS_REPLY_STATUS;
  // The server's own words (e.g. WRONGPASS, NOPERM): they never contain the password.
  const std::string text = reply->str != nullptr ? std::string(reply->str, reply->len) : std::string();
  freeReplyObject(reply);
  if (!ok) {
    *error = what + " on " + Address() + ": " + text;
    redisFree(ctx);
  }
  return ok;
}

bool RedisClient::Borrow(Slot* slot) {
  std::unique_lock<std::mutex> lock(pool_mu_);
  if (!pool_cv_.wait_for(lock, options_.command_timeout, [this] { return !idle_.empty(); })) return false;
  *slot = idle_.back();
  idle_.pop_back();
  lock.unlock();
  if (slot->ctx != nullptr && slot->generation != generation_.load(std::memory_order_acquire)) {
    // Connected before the last outage: almost certainly dead, so replace it before use.
    redisFree(slot->ctx);
    slot->ctx = nullptr;
  }
  return true;
}

void RedisClient::Return(Slot slot) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    // Connected slots go to the back so they are lent out first.
    if (slot.ctx != nullptr) {
      idle_.push_back(slot);
    } else {
      idle_.insert(idle_.begin(), slot);
    }
  }
  pool_cv_.notify_one();
}

RedisResult RedisClient::Command(std::vector<std::string> argv) {
  if (argv.empty()) {
    errors_total_->Increment();
    return RedisResult::Error("empty redis command", /*unavailable=*/false);
  }
  if (open_.load(std::memory_order_acquire)) {
    errors_total_->Increment();
    std::string last;
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      last = last_error_;
    }
    return RedisResult::Error("redis unavailable (circuit open): " + last, /*unavailable=*/true);
  }
  RedisResult result = Execute(argv);
  if (result.is_error()) errors_total_->Increment();
  if (result.is_error() && result.unavailable) {
    RecordFailure(result.str, /*force_open=*/false);
  } else {
    RecordSuccess();
  }
  return result;
}

RedisResult RedisClient::Execute(const std::vector<std::string>& argv) {
  Slot slot;
  if (!Borrow(&slot)) {
    return RedisResult::Error("no free redis connection within " + std::to_string(options_.command_timeout.count()) +
                                  " ms",
                              /*unavailable=*/true);
  }
  const Clock::time_point start = Clock::now();
  RedisResult result;
  if (slot.ctx == nullptr) {
    std::string error;
    slot.generation = generation_.load(std::memory_order_acquire);
    slot.ctx = Connect(&error);
    if (slot.ctx == nullptr) result = RedisResult::Error(error, /*unavailable=*/true);
  }
  if (slot.ctx != nullptr) {
    redisReply* reply = SendArgv(slot.ctx, argv);
    if (reply == nullptr) {
      result = RedisResult::Error("redis " + Address() + ": " + ContextError(slot.ctx), /*unavailable=*/true);
      redisFree(slot.ctx);  // unknown protocol state after an I/O error or timeout
      slot.ctx = nullptr;
    } else {
      result = FromReply(reply);
      freeReplyObject(reply);
    }
  }
  command_seconds_->Observe(std::chrono::duration<double>(Clock::now() - start).count());
  Return(slot);
  return result;
}

bool RedisClient::Ping(std::string* error) {
  if (health_ctx_ == nullptr) {
    health_ctx_ = Connect(error);
    if (health_ctx_ == nullptr) return false;
  }
  redisReply* reply = SendArgv(health_ctx_, {"PING"});
  if (reply == nullptr) {
    *error = "ping " + Address() + ": " + ContextError(health_ctx_);
    redisFree(health_ctx_);
    health_ctx_ = nullptr;
    return false;
  }
  const bool ok = reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str, reply->len) == "PONG";
  if (!ok) {
    // E.g. -LOADING while a restarted server reads its data: not ready to serve yet.
    *error = "ping " + Address() + ": " +
             (reply->str != nullptr ? std::string(reply->str, reply->len) : std::string("unexpected reply"));
  }
  freeReplyObject(reply);
  return ok;
}

void RedisClient::RecordSuccess() {
  std::lock_guard<std::mutex> lock(state_mu_);
  consecutive_failures_ = 0;
}

void RedisClient::RecordFailure(const std::string& error, bool force_open) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last_error_ = error;
    if (open_.load(std::memory_order_relaxed)) return;
    ++consecutive_failures_;
    if (!force_open && consecutive_failures_ < options_.breaker_failure_threshold) return;
    opened_at_ = Clock::now();
    open_.store(true, std::memory_order_release);
    up_gauge_->Set(0);
  }
  log::Warn("redis down", {{"error", error}, {"address", Address()}});
}

void RedisClient::CheckHealth() {
  std::string error;
  if (!Ping(&error)) {
    RecordFailure("health check: " + error, /*force_open=*/false);
    return;
  }
  bool recovered = false;
  {
    std::lock_guard<std::mutex> state_lock(state_mu_);
    consecutive_failures_ = 0;
    if (open_.load(std::memory_order_relaxed) && Clock::now() - opened_at_ >= options_.breaker_cooldown) {
      generation_.fetch_add(1, std::memory_order_acq_rel);
      open_.store(false, std::memory_order_release);
      up_gauge_->Set(1);
      recovered = true;
    }
  }
  if (recovered) log::Info("redis up again", {{"address", Address()}});
}

std::optional<std::string> RedisClient::Get(std::string_view key, CacheLookup* lookup) {
  RedisResult result = Command({"GET", Key(key)});
  CacheLookup outcome = CacheLookup::kError;
  std::optional<std::string> value;
  if (result.is_string()) {
    outcome = CacheLookup::kHit;
    value = std::move(result.str);
  } else if (result.is_nil()) {
    outcome = CacheLookup::kMiss;
  }
  if (lookup != nullptr) *lookup = outcome;
  return value;
}

bool RedisClient::Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  std::vector<std::string> argv{"SET", Key(key), std::string(value)};
  if (ttl.count() > 0) {
    argv.push_back("PX");
    argv.push_back(std::to_string(ttl.count()));
  }
  return Command(std::move(argv)).is_status("OK");
}

bool RedisClient::Del(std::string_view key) { return Command({"DEL", Key(key)}).is_integer(); }

SetNxOutcome RedisClient::SetNx(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  std::vector<std::string> argv{"SET", Key(key), std::string(value), "NX"};
  if (ttl.count() > 0) {
    argv.push_back("PX");
    argv.push_back(std::to_string(ttl.count()));
  }
  RedisResult result = Command(std::move(argv));
  if (result.is_status("OK")) return SetNxOutcome::kSet;
  if (result.is_nil()) return SetNxOutcome::kExists;
  return SetNxOutcome::kError;
}

bool RedisClient::Publish(std::string_view channel, std::string_view message) {
  return Command({"PUBLISH", Key(channel), std::string(message)}).is_integer();
}

std::optional<long long> RedisClient::Incr(std::string_view key, long long delta, std::chrono::milliseconds ttl) {
  RedisResult result = ttl.count() > 0 ? Command({"EVAL", kIncrScript, "1", Key(key), std::to_string(delta),
                                                  std::to_string(ttl.count())})
                                       : Command({"INCRBY", Key(key), std::to_string(delta)});
  if (!result.is_integer()) return std::nullopt;
  return result.integer;
}

}  // namespace netra

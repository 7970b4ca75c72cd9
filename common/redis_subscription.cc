// RedisSubscription: one channel, listened to on its own connection and thread,
// resubscribing after a loss (and reporting the gap).
#include <hiredis/hiredis.h>
#include <poll.h>

#include <utility>

#include "common/redis.h"
#include "common/redis_detail.h"

namespace netra {
namespace {

using Clock = std::chrono::steady_clock;
using redis_detail::SigpipeGuard;

}  // namespace

RedisSubscription::RedisSubscription(const RedisClient& redis, std::string_view channel,
                                     std::function<void(std::string_view)> on_message, std::function<void()> on_gap)
    : redis_(redis),
      channel_(redis.Key(channel)),
      on_message_(std::move(on_message)),
      on_gap_(std::move(on_gap)),
      worker_("redis subscription " + channel_, redis.options().health_interval, [this] { Subscribe(); }) {
  worker_.Start();
}

RedisSubscription::~RedisSubscription() { worker_.Stop(); }

void RedisSubscription::SetLive(bool live) {
  if (live == live_.load()) return;
  if (!live) live_.store(false, std::memory_order_release);
  on_gap_();  // after turning false, before turning true: nothing missed is kept either way
  if (live) live_.store(true, std::memory_order_release);
}

void RedisSubscription::Subscribe() {
  std::string error;
  redisContext* ctx = redis_.Connect(&error);
  if (ctx != nullptr) {
    Listen(ctx);
    redisFree(ctx);
  }
  SetLive(false);
}

void RedisSubscription::Listen(redisContext* ctx) {
  const auto interval = redis_.options().health_interval;
  // Queues a command and writes it out (small: one write normally suffices).
  auto send = [ctx](std::initializer_list<std::string_view> argv) {
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (auto arg : argv) pointers.push_back(arg.data()), lengths.push_back(arg.size());
    if (redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), pointers.data(), lengths.data()) != REDIS_OK) {
      return false;
    }
    SigpipeGuard guard;
    int done = 0;
    while (!done) {
      if (redisBufferWrite(ctx, &done) != REDIS_OK) return false;
    }
    return true;
  };
  if (!send({"SUBSCRIBE", channel_})) return;
  auto heard = Clock::now(), pinged = heard;
  while (!worker_.stopping()) {
    pollfd fd{ctx->fd, POLLIN, 0};
    const int ready = poll(&fd, 1, 100);  // wakes to notice stop and to PING
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0) {
      if (redisBufferRead(ctx) != REDIS_OK) return;
      void* raw = nullptr;
      while (redisGetReplyFromReader(ctx, &raw) == REDIS_OK && raw != nullptr) {
        auto* reply = static_cast<redisReply*>(raw);
        heard = Clock::now();
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 && reply->element[0]->type == REDIS_REPLY_STRING) {
          const std::string_view kind(reply->element[0]->str, reply->element[0]->len);
          if (kind == "subscribe") {
            SetLive(true);
          } else if (kind == "message" && reply->elements == 3 && reply->element[2]->type == REDIS_REPLY_STRING) {
            on_message_(std::string_view(reply->element[2]->str, reply->element[2]->len));
          }
        }
        freeReplyObject(reply);
        raw = nullptr;
      }
      if (ctx->err != 0) return;
    }
    const auto now = Clock::now();
    if (now - heard > 3 * interval) return;  // silent: the connection is gone
    if (now - pinged >= interval) {
      if (!send({"PING"})) return;
      pinged = now;
    }
  }
}

}  // namespace netra

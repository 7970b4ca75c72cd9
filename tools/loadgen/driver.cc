#include "tools/loadgen/driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "common/client.h"
#include "common/metrics.h"

namespace netra::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

struct Slot;

struct Shared {
  const LoadOptions* options = nullptr;
  const StartCall* start = nullptr;
  Clock::time_point measure_start;
  Clock::time_point end;  // no call starts at or after this
  std::atomic<int64_t> tickets{0};  // measured calls started

  std::mutex mu;
  std::condition_variable cv;
  int active = 0;               // slots that may still start calls; guarded by mu
  std::deque<Slot*> restarts;   // slots to restart from the driver thread; guarded by mu
};

// Depth of Next() -> start -> (inline completion) -> OnDone -> Next() on this
// thread; beyond a few levels the restart goes through the driver thread so
// that calls failing inline cannot grow the stack without bound.
thread_local int tl_depth = 0;
constexpr int kMaxInlineDepth = 8;

// One closed-loop caller: exactly one call in flight at a time, so its members
// are only ever touched by one thread at a time.
struct Slot {
  Shared* shared = nullptr;
  size_t channel = 0;
  std::unique_ptr<grpc::ClientContext> context;
  Clock::time_point started;
  bool measured = false;
  Clock::time_point last_done{};
  std::vector<double> latencies_ms;
  std::map<int, int64_t> codes;

  void Next() {
    context.reset();
    const LoadOptions& options = *shared->options;
    auto now = Clock::now();
    measured = now >= shared->measure_start;
    bool over = now >= shared->end ||
                (measured && options.requests > 0 && shared->tickets.fetch_add(1) >= options.requests);
    if (over) {
      std::lock_guard lock(shared->mu);
      --shared->active;
      shared->cv.notify_all();
      return;  // nothing of this slot is touched after the lock is released
    }
    context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + options.deadline);
    started = Clock::now();
    (*shared->start)(channel, context.get(), [this](const grpc::Status& status) { OnDone(status); });
  }

  void OnDone(const grpc::Status& status) {
    auto now = Clock::now();
    if (measured) {
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - started).count());
      ++codes[status.error_code()];
      last_done = now;
    }
    if (tl_depth >= kMaxInlineDepth) {
      std::lock_guard lock(shared->mu);
      shared->restarts.push_back(this);
      shared->cv.notify_all();
      return;
    }
    ++tl_depth;
    Next();
    --tl_depth;
  }
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, size_t count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  if (count <= 1) {
    channels.push_back(MakeChannel(target, nullptr));
    return channels;
  }
  for (size_t i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}]})");
    args.SetMaxReceiveMessageSize(8 << 20);
    args.SetMaxSendMessageSize(8 << 20);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels.push_back(grpc::CreateCustomChannel(target, ChannelCredentials(), args));
  }
  return channels;
}

LoadResult RunLoad(const LoadOptions& options, const StartCall& start) {
  Shared shared;
  shared.options = &options;
  shared.start = &start;
  auto begin = Clock::now();
  auto seconds = [](double s) { return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); };
  shared.measure_start = begin + seconds(std::max(0.0, options.warmup_seconds));
  shared.end = options.duration_seconds > 0 ? shared.measure_start + seconds(options.duration_seconds)
                                            : Clock::time_point::max();

  int concurrency = std::max(1, options.concurrency);
  size_t channels = std::max<size_t>(1, options.channels);
  std::vector<Slot> slots(static_cast<size_t>(concurrency));
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].shared = &shared;
    slots[i].channel = i % channels;
  }
  shared.active = concurrency;
  for (auto& slot : slots) slot.Next();

  {
    std::unique_lock lock(shared.mu);
    for (;;) {
      shared.cv.wait(lock, [&] { return shared.active == 0 || !shared.restarts.empty(); });
      if (!shared.restarts.empty()) {
        Slot* slot = shared.restarts.front();
        shared.restarts.pop_front();
        lock.unlock();
        slot->Next();
        lock.lock();
        continue;
      }
      if (shared.active == 0) break;
    }
  }

  LoadResult result;
  std::vector<double> all;
  Clock::time_point last = shared.measure_start;
  std::map<int, int64_t> codes;
  for (auto& slot : slots) {
    all.insert(all.end(), slot.latencies_ms.begin(), slot.latencies_ms.end());
    for (auto [code, n] : slot.codes) codes[code] += n;
    last = std::max(last, slot.last_done);
  }
  std::sort(all.begin(), all.end());
  result.calls = static_cast<int64_t>(all.size());
  for (auto [code, n] : codes) {
    if (code == grpc::StatusCode::OK) {
      result.ok = n;
    } else {
      result.errors[GrpcCodeName(code)] += n;
    }
  }
  result.seconds = std::chrono::duration<double>(last - shared.measure_start).count();
  if (result.seconds > 0) {
    result.calls_per_second = static_cast<double>(result.calls) / result.seconds;
    result.ok_per_second = static_cast<double>(result.ok) / result.seconds;
  }
  result.p50_ms = Percentile(all, 0.50);
  result.p90_ms = Percentile(all, 0.90);
  result.p99_ms = Percentile(all, 0.99);
  result.max_ms = all.empty() ? 0 : all.back();
  double sum = 0;
  for (double v : all) sum += v;
  result.mean_ms = all.empty() ? 0 : sum / static_cast<double>(all.size());
  return result;
}

nlohmann::ordered_json ResultJson(const LoadResult& result) {
  auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
  nlohmann::ordered_json out;
  out["duration_s"] = round3(result.seconds);
  out["calls"] = result.calls;
  out["ok"] = result.ok;
  out["errors"] = nlohmann::ordered_json::object();
  for (const auto& [code, n] : result.errors) out["errors"][code] = n;
  out["throughput_per_s"] = std::round(result.calls_per_second * 10) / 10;
  out["ok_per_s"] = std::round(result.ok_per_second * 10) / 10;
  out["latency_ms"] = {{"p50", round3(result.p50_ms)}, {"p90", round3(result.p90_ms)}, {"p99", round3(result.p99_ms)},
                       {"max", round3(result.max_ms)}, {"mean", round3(result.mean_ms)}};
  return out;
}

}  // namespace netra::loadgen

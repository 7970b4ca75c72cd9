// Closed-loop load driver shared by netra-loadgen and netra-bench-server-modes.
//
// `concurrency` slots each keep exactly one call in flight: when a call
// finishes the slot starts the next one, so the offered load adapts to the
// server (closed loop). Calls use the gRPC callback client API, so one thread
// can keep hundreds of calls in flight. The run always ends by itself: after
// `warmup + duration` seconds or after `requests` measured calls, whichever
// comes first, and every call carries a deadline.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace netra::loadgen {

// Called exactly once when a call ends.
using Done = std::function<void(const grpc::Status&)>;

// Starts one asynchronous unary call over channel number `channel` with
// `context` (deadline already set; it outlives the call) and arranges for
// `done` to run when it ends. Must not block.
using StartCall = std::function<void(size_t channel, grpc::ClientContext* context, Done done)>;

struct LoadOptions {
  int concurrency = 1;           // calls in flight
  size_t channels = 1;           // slot i uses channel i % channels
  double warmup_seconds = 0;     // calls started before this are not counted
  double duration_seconds = 10;  // measured time; 0 = bounded by `requests` only
  int64_t requests = 0;          // measured calls; 0 = bounded by `duration_seconds` only
  std::chrono::milliseconds deadline{5000};
};

struct LoadResult {
  double seconds = 0;  // from the end of warm-up to the last measured completion
  int64_t calls = 0;   // measured calls that ended (any status)
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;  // by status code name
  double calls_per_second = 0;
  double ok_per_second = 0;
  // Latency of every measured call (any status), in milliseconds.
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};

// `count` channels to `target`, each with its own TCP connection. One channel
// is exactly netra::MakeChannel's (as the services' own clients use). gRPC
// shares one connection between channels with equal arguments (global
// subchannel pool), so several channels get MakeChannel's settings plus a
// private subchannel pool each; `target` must then be a single address.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, size_t count);

// Runs the load and blocks until every call has ended. Options must be
// bounded (duration_seconds > 0 or requests > 0).
LoadResult RunLoad(const LoadOptions& options, const StartCall& start);

// {"duration_s":…, "calls":…, "ok":…, "errors":{…}, "throughput_per_s":…, "latency_ms":{…}}
nlohmann::ordered_json ResultJson(const LoadResult& result);

}  // namespace netra::loadgen

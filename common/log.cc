#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace netra::log {
namespace {

struct CallContext {
  std::string method;
  std::string request_id;
};

thread_local CallContext tls_call;

std::shared_ptr<spdlog::logger>& Logger() {
  // spdlog gives us a thread-safe sink and level filtering; the JSON itself is
  // built here so that values are escaped correctly.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("netra", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return logger;
}

std::string& ServiceName() {
  static std::string name = "netra";
  return name;
}

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void Init(std::string_view service, Level min_level) {
  ServiceName() = std::string(service);
  Logger()->set_level(ToSpd(min_level));
}

bool ParseLevel(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::kDebug;
  else if (text == "info") *out = Level::kInfo;
  else if (text == "warn") *out = Level::kWarn;
  else if (text == "error") *out = Level::kError;
  else return false;
  return true;
}

void Write(Level level, std::string_view message, const Fields& fields) {
  auto& logger = Logger();
  if (!logger->should_log(ToSpd(level))) return;
  nlohmann::ordered_json line;
  line["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  line["level"] = LevelName(level);
  line["service"] = ServiceName();
  if (!tls_call.method.empty()) line["method"] = tls_call.method;
  if (!tls_call.request_id.empty()) line["request_id"] = tls_call.request_id;
  line["message"] = message;
  for (const auto& [key, value] : fields) line[key] = value;
  // Replace invalid UTF-8 rather than throwing: a log line must never take a request down.
  logger->log(ToSpd(level), "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

CallLogScope::CallLogScope(std::string method, std::string request_id)
    : previous_method_(std::move(tls_call.method)), previous_request_id_(std::move(tls_call.request_id)) {
  tls_call.method = std::move(method);
  tls_call.request_id = std::move(request_id);
}

CallLogScope::~CallLogScope() {
  tls_call.method = std::move(previous_method_);
  tls_call.request_id = std::move(previous_request_id_);
}

}  // namespace netra::log

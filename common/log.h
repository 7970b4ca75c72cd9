// Structured logging: one JSON object per line on stderr.
//
// Every line carries time, level, service and message; lines written while a
// call is being handled also carry its method and request id (see CallLogScope).
// Never pass a clear NIK (or anything derived from it other than a keyed hash)
// to these functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netra::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Extra key/value pairs for one line; values are written as JSON strings.
using Fields = std::vector<std::pair<std::string, std::string>>;

// Sets the service name stamped on every line and the minimum level. Call once in main.
void Init(std::string_view service, Level min_level = Level::kInfo);
bool ParseLevel(std::string_view text, Level* out);

void Write(Level level, std::string_view message, const Fields& fields = {});
inline void Debug(std::string_view m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const Fields& f = {}) { Write(Level::kError, m, f); }

// While alive, lines written on this thread carry the call's method and request id.
class CallLogScope {
 public:
  CallLogScope(std::string method, std::string request_id);
  ~CallLogScope();
  CallLogScope(const CallLogScope&) = delete;
  CallLogScope& operator=(const CallLogScope&) = delete;

 private:
  std::string previous_method_;
  std::string previous_request_id_;
};

}  // namespace netra::log

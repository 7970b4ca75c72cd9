#include "common/paging.h"

#include "absl/strings/escaping.h"

namespace netra {
namespace {
constexpr std::string_view kTokenPrefix = "k1:";  // versioned, so the format can change later
constexpr size_t kMaxTokenLength = 512;
}  // namespace

int PageSize(int requested, const PageLimits& limits, std::string_view field, Violations& out) {
  if (requested < 0) {
    out.Add(std::string(field), ViolationReason::kOutOfRange, "must not be negative");
    return limits.default_size;
  }
  if (requested == 0) return limits.default_size;
  return std::min(requested, limits.max_size);
}

std::string EncodePageToken(std::string_view last_key) {
  return absl::WebSafeBase64Escape(std::string(kTokenPrefix) + std::string(last_key));
}

std::optional<std::string> DecodePageToken(std::string_view token, std::string_view field, Violations& out) {
  if (token.empty()) return std::string();
  std::string decoded;
  if (token.size() > kMaxTokenLength || !absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &decoded) ||
      decoded.compare(0, kTokenPrefix.size(), kTokenPrefix) != 0) {
    out.Add(std::string(field), ViolationReason::kInvalidFormat, "not a page token issued by this service");
    return std::nullopt;
  }
  return decoded.substr(kTokenPrefix.size());
}

}  // namespace netra

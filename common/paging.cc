#include "common/paging.h"

#include <cstdint>

#include "absl/strings/escaping.h"

namespace netra {
namespace {
constexpr std::string_view kTokenPrefix = "k1:";  // versioned, so the format can change later
constexpr size_t kMaxTokenLength = 512;

// A short, stable fingerprint of the filters; FNV-1a is enough to catch a
// client that changed filters, and is the same on every replica.
std::string ScopeTag(std::string_view scope) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : scope) hash = (hash ^ c) * 16777619u;
  static const char kHex[] = "0123456789abcdef";
  std::string tag(8, '0');
  for (int i = 7; i >= 0; --i, hash >>= 4) tag[i] = kHex[hash & 15];
  return tag + ":";
}
}  // namespace

int PageSize(int requested, const PageLimits& limits, std::string_view field, Violations& out) {
  if (requested < 0) {
    out.Add(std::string(field), ViolationReason::kOutOfRange, "must not be negative");
    return limits.default_size;
  }
  if (requested == 0) return limits.default_size;
  return std::min(requested, limits.max_size);
}

std::string EncodePageToken(std::string_view last_key, std::string_view scope) {
  return absl::WebSafeBase64Escape(std::string(kTokenPrefix) + ScopeTag(scope) + std::string(last_key));
}

std::optional<std::string> DecodePageToken(std::string_view token, std::string_view field, Violations& out,
                                           std::string_view scope) {
  if (token.empty()) return std::string();
  std::string decoded;
  if (token.size() > kMaxTokenLength ||
      !absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &decoded) ||
      decoded.compare(0, kTokenPrefix.size(), kTokenPrefix) != 0) {
    out.Add(std::string(field), ViolationReason::kInvalidFormat, "not a page token issued by this service");
    return std::nullopt;
  }
  std::string tag = ScopeTag(scope);
  if (decoded.compare(kTokenPrefix.size(), tag.size(), tag) != 0) {
    out.Add(std::string(field), ViolationReason::kInconsistent, "page token was issued for other filters");
    return std::nullopt;
  }
  return decoded.substr(kTokenPrefix.size() + tag.size());
}

}  // namespace netra

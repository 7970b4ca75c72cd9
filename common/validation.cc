#include "common/validation.h"

#include <algorithm>
#include <cstdint>

namespace netra {

std::string_view ReasonName(ViolationReason reason) {
  switch (reason) {
    case ViolationReason::kRequired: return "REQUIRED";
    case ViolationReason::kInvalidFormat: return "INVALID_FORMAT";
    case ViolationReason::kOutOfRange: return "OUT_OF_RANGE";
    case ViolationReason::kTooLong: return "TOO_LONG";
    case ViolationReason::kNotFound: return "NOT_FOUND";
    case ViolationReason::kInconsistent: return "INCONSISTENT";
    case ViolationReason::kUnsupported: return "UNSUPPORTED";
  }
  return "UNSPECIFIED";
}

int Utf8Length(std::string_view text) {
  int count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || text.size() - i <= static_cast<size_t>(extra)) return -1;
    uint32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= extra; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      cp = (cp << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    i += extra + 1;
  }
  return count;
}

void CheckText(std::string_view text, const std::string& field, bool required, int max_chars, Violations& out) {
  if (text.empty()) {
    if (required) out.Add(field, ViolationReason::kRequired, "is required");
    return;
  }
  int length = Utf8Length(text);
  if (length < 0) {
    out.Add(field, ViolationReason::kInvalidFormat, "is not valid UTF-8");
  } else if (length > max_chars) {
    out.Add(field, ViolationReason::kTooLong, "is longer than " + std::to_string(max_chars) + " characters");
  }
}

bool CheckRequestId(std::string_view id, std::string_view field, Violations& out) {
  std::string path(field);
  if (id.empty()) {
    out.Add(path, ViolationReason::kRequired, "is required");
    return false;
  }
  if (id.size() > 128) {
    out.Add(path, ViolationReason::kTooLong, "is longer than 128 characters");
    return false;
  }
  bool allowed = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '-' || c == '/';
  });
  if (!allowed) out.Add(path, ViolationReason::kInvalidFormat, "may hold only A-Z, a-z, 0-9 and . _ : - /");
  return allowed;
}

}  // namespace netra

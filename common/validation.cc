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

void AppendUtf8(std::string& out, int32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int Utf8Length(std::string_view text, ControlCharacters controls) {
  const bool refuse_controls = controls == ControlCharacters::kRefused;
  int count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    const int32_t cp = DecodeUtf8(text, i);
    if (cp < 0 || (refuse_controls && IsControlCharacter(cp))) return -1;
  }
  return count;
}

void CheckText(std::string_view text, const std::string& field, bool required, int max_chars, Violations& out,
               ControlCharacters controls) {
  if (text.empty()) {
    if (required) out.Add(field, ViolationReason::kRequired, "is required");
    return;
  }
  const auto too_long = [&] {
    out.Add(field, ViolationReason::kTooLong, "is longer than " + std::to_string(max_chars) + " characters");
  };
  if (text.size() > 4 * static_cast<size_t>(max_chars)) return too_long();  // more code points, however decoded
  const int length = Utf8Length(text, controls);
  if (length < 0) {
    out.Add(field, ViolationReason::kInvalidFormat,
            controls == ControlCharacters::kRefused ? "is not valid UTF-8 text without control characters"
                                                    : "is not valid UTF-8");
  } else if (length > max_chars) {
    too_long();
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

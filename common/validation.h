// Field-level validation results shared by every service.
//
// Validators collect every problem with a request (not just the first) so a
// client can fix them all in one round trip; handlers turn the list into an
// INVALID_ARGUMENT status carrying netra.v1.BadRequest details.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netra {

// Why a field was rejected. Mirrors netra.v1.FieldViolation.Reason; keep in step.
enum class ViolationReason {
  kRequired,       // missing or empty
  kInvalidFormat,  // wrong length, wrong characters, unparsable
  kOutOfRange,     // a number or date outside what is allowed
  kTooLong,        // over a size limit
  kNotFound,       // refers to something that does not exist (region, code, id)
  kInconsistent,   // contradicts another field (e.g. NIP vs NIK birth date)
  kUnsupported,    // a value this deployment does not accept
};

std::string_view ReasonName(ViolationReason reason);

struct FieldViolation {
  std::string field;  // path in the request, e.g. "employee.nip" or "rows[3].nik"
  ViolationReason reason;
  std::string description;  // human-readable; never echoes a NIK
};

// An ordered list of violations. Nested validators add under a prefix.
//
// A hostile request can hold millions of faults: past kMaxKept the list only
// counts them (`dropped()`), so validating it stays bounded in memory. Answers
// show fewer still (rpc.h, --max-field-violations).
class Violations {
 public:
  static constexpr size_t kMaxKept = 1000;

  void Add(std::string field, ViolationReason reason, std::string description) {
    if (list_.size() >= kMaxKept) {
      ++dropped_;
      return;
    }
    list_.push_back({std::move(field), reason, std::move(description)});
  }
  void Append(const Violations& other) {
    for (const auto& v : other.list_) Add(v.field, v.reason, v.description);
    dropped_ += other.dropped_;
  }
  bool empty() const { return list_.empty(); }
  // Every violation found, kept or not.
  size_t size() const { return list_.size() + dropped_; }
  const std::vector<FieldViolation>& list() const { return list_; }
  size_t dropped() const { return dropped_; }

 private:
  std::vector<FieldViolation> list_;
  size_t dropped_ = 0;
};

// Joins a path: Path("employee", "nip") == "employee.nip"; Path("", "nip") == "nip".
inline std::string Path(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  std::string out(parent);
  out += '.';
  out += child;
  return out;
}

// UTF-8, decoded once for every check and fold in the tree.
//
// The code point at text[i], advancing i past it; -1 (i unchanged) when the
// bytes there are not valid UTF-8: a bad lead or continuation byte, a cut-off
// sequence, an overlong form, a surrogate or a value past U+10FFFF.
inline int32_t DecodeUtf8(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return text[i++];
  int length;
  int32_t cp;
  if (c >= 0xC2 && c <= 0xDF) length = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) length = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) length = 4, cp = c & 0x07;
  else return -1;
  if (text.size() - i < static_cast<size_t>(length)) return -1;
  for (int k = 1; k < length; ++k) {
    const unsigned char cc = byte(i + k);
    if ((cc & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return -1;
  }
  i += length;
  return cp;
}
// Appends code point `cp` (a valid one: 0..U+10FFFF, no surrogate) as UTF-8.
void AppendUtf8(std::string& out, int32_t cp);

// C0 controls (tab and newline too), DEL and C1 controls.
constexpr bool IsControlCharacter(int32_t cp) { return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0); }

// Whether a text field may hold control characters: free text (a
// description, a note) may span lines; names and codes may not.
enum class ControlCharacters { kAllowed, kRefused };

// Number of code points of valid UTF-8, or -1 when `text` is not valid UTF-8
// (or, when refused, holds a control character).
int Utf8Length(std::string_view text, ControlCharacters controls = ControlCharacters::kAllowed);

// Text from outside: non-empty when `required`, valid UTF-8 (without control
// characters when refused), at most `max_chars` code points. Adds at most one
// violation under `field`. Text over 4 * max_chars bytes is too long without
// being decoded, so a hostile field costs no more than a legitimate one.
void CheckText(std::string_view text, const std::string& field, bool required, int max_chars, Violations& out,
               ControlCharacters controls = ControlCharacters::kAllowed);

// A client's request_id (types.proto): 1-128 characters of [A-Za-z0-9._:-].
// Returns false (adding a violation) when it is not one.
bool CheckRequestId(std::string_view id, std::string_view field, Violations& out);

}  // namespace netra

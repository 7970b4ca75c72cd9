// Field-level validation results shared by every service.
//
// Validators collect every problem with a request (not just the first) so a
// client can fix them all in one round trip; handlers turn the list into an
// INVALID_ARGUMENT status carrying netra.v1.BadRequest details.
#pragma once

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

// Number of code points of valid UTF-8 (no overlong forms, surrogates or values
// past U+10FFFF), or -1 when `text` is not valid UTF-8.
int Utf8Length(std::string_view text);

// Text from outside: valid UTF-8, at most `max_chars` code points, and
// non-empty when `required`. Adds at most one violation under `field`.
void CheckText(std::string_view text, const std::string& field, bool required, int max_chars, Violations& out);

// A client's request_id (types.proto): 1-128 characters of [A-Za-z0-9._:-].
// Returns false (adding a violation) when it is not one.
bool CheckRequestId(std::string_view id, std::string_view field, Violations& out);

}  // namespace netra

// Outcome of a domain operation: a value, or an error the caller can act on.
// Domain code returns these; handlers turn errors into gRPC statuses (rpc.h),
// so domain logic never sees gRPC.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/validation.h"

namespace netra {

struct Error {
  enum class Kind {
    kInvalidArgument,     // bad input: see violations
    kNotFound,            // the thing asked for does not exist: see resource
    kAlreadyExists,       // a create that collides with an existing record: see resource
    kFailedPrecondition,  // an action not allowed in the current state: see state/allowed
    kAborted,             // a stale expected version: see resource and versions
    kUnavailable,         // a dependency the operation cannot do without is down
    kPermissionDenied,    // the caller may not act on this record (a rule the handler passed in)
    kInternal,            // a bug or a broken store; never for bad input
  };
  Kind kind = Kind::kInternal;
  std::string message;
  Violations violations;
  std::string resource_type, resource_name;  // "region", "33.98"; never a NIK
  std::string state, action;                 // kFailedPrecondition
  std::vector<std::string> allowed;          // kFailedPrecondition
  int64_t expected_version = 0, current_version = 0;  // kAborted

  static Error Invalid(Violations v) {
    Error e = Make(Kind::kInvalidArgument, "invalid request");
    e.violations = std::move(v);
    return e;
  }
  // `message` defaults to "<type> <name> not found".
  static Error NotFound(std::string type, std::string name, std::string message = {}) {
    return WithResource(Kind::kNotFound, std::move(type), std::move(name), std::move(message), "not found");
  }
  static Error AlreadyExists(std::string type, std::string name, std::string message = {}) {
    return WithResource(Kind::kAlreadyExists, std::move(type), std::move(name), std::move(message), "already exists");
  }
  static Error Aborted(std::string type, std::string name, int64_t expected, int64_t current) {
    Error e = WithResource(Kind::kAborted, std::move(type), std::move(name), {},
                           "has version " + std::to_string(current) + ", not the expected " + std::to_string(expected));
    e.expected_version = expected;
    e.current_version = current;
    return e;
  }
  static Error Unavailable(std::string m) { return Make(Kind::kUnavailable, std::move(m)); }
  static Error Denied(std::string m) { return Make(Kind::kPermissionDenied, std::move(m)); }
  static Error Internal(std::string m) { return Make(Kind::kInternal, std::move(m)); }
  static Error Precondition(std::string state, std::string action, std::vector<std::string> allowed) {
    Error e = Make(Kind::kFailedPrecondition, "action not allowed");
    e.state = std::move(state);
    e.action = std::move(action);
    e.allowed = std::move(allowed);
    return e;
  }

 private:
  static Error Make(Kind kind, std::string message) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
  }
  static Error WithResource(Kind kind, std::string type, std::string name, std::string message,
                            const std::string& what) {
    if (message.empty()) message = type + " " + name + " " + what;
    Error e = Make(kind, std::move(message));
    e.resource_type = std::move(type);
    e.resource_name = std::move(name);
    return e;
  }
};

// The caller's rule on a stored record (a handler's region check), which the
// domain asks where it reads the record anyway, before anything else about it
// and before a retry's first answer: an error (Error::Denied) refuses. Empty:
// no rule. rpc.h's RefusalKept makes one of a handler's check.
template <class Record>
using RuleOn = std::function<std::optional<Error>(const Record&)>;

template <class T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}
  Result(Error error) : data_(std::move(error)) {}

  bool ok() const { return data_.index() == 0; }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(data_);
  }

 private:
  std::variant<T, Error> data_;
};

}  // namespace netra

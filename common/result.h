// Outcome of a domain operation: a value, or an error the caller can act on.
// Domain code returns these; handlers turn errors into gRPC statuses (rpc.h),
// so domain logic never sees gRPC.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/validation.h"

namespace netra {

struct Error {
  enum class Kind {
    kInvalidArgument,     // bad input: see violations
    kNotFound,            // the thing asked for does not exist
    kAlreadyExists,       // a create that collides with an existing record
    kFailedPrecondition,  // an action not allowed in the current state: see state/allowed
    kAborted,             // a stale expected version
    kUnavailable,         // a dependency the operation cannot do without is down
    kInternal,            // a bug or a broken store; never for bad input
  };
  Kind kind;
  std::string message;
  Violations violations;
  std::string state, action;         // kFailedPrecondition
  std::vector<std::string> allowed;  // kFailedPrecondition

  static Error Invalid(Violations v) { return {Kind::kInvalidArgument, "invalid request", std::move(v), {}, {}, {}}; }
  static Error NotFound(std::string m) { return {Kind::kNotFound, std::move(m), {}, {}, {}, {}}; }
  static Error AlreadyExists(std::string m) { return {Kind::kAlreadyExists, std::move(m), {}, {}, {}, {}}; }
  static Error Aborted(std::string m) { return {Kind::kAborted, std::move(m), {}, {}, {}, {}}; }
  static Error Unavailable(std::string m) { return {Kind::kUnavailable, std::move(m), {}, {}, {}, {}}; }
  static Error Internal(std::string m) { return {Kind::kInternal, std::move(m), {}, {}, {}, {}}; }
  static Error Precondition(std::string state, std::string action, std::vector<std::string> allowed) {
    return {Kind::kFailedPrecondition, "action not allowed", {}, std::move(state), std::move(action),
            std::move(allowed)};
  }
};

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

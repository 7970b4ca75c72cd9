// A failed store call, in terms any store backend can report and any layer
// can act on: the domain catches it without knowing which database is below.
// SQLite's backend builds it from result codes (SqliteError, sqlite.h), the
// PostgreSQL one from SQLSTATEs (postgres::PostgresError, postgres.h).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/result.h"

namespace netra {

// Handlers map IsUniqueViolation() to ALREADY_EXISTS, IsUnavailable() to
// UNAVAILABLE and anything else to INTERNAL.
class StoreError : public std::runtime_error {
 public:
  enum class Kind {
    kUniqueViolation,  // UNIQUE or PRIMARY KEY constraint
    kConstraint,       // any other constraint (FOREIGN KEY, CHECK, NOT NULL)
    kBusy,             // lock not obtained in time; writes aborted by concurrent ones again and again
    kUnavailable,      // I/O error, disk full, cannot open or connect, connection lost, out of memory
    kOther,            // a bug, a bad statement, a corrupt file
  };

  // `code`: the backend's (SQLite's extended result code, or a packed SQLSTATE), for logs and tests.
  StoreError(Kind kind, int code, const std::string& message)
      : std::runtime_error(message), kind_(kind), code_(code) {}

  Kind kind() const noexcept { return kind_; }
  int code() const noexcept { return code_; }

  bool IsUniqueViolation() const noexcept { return kind_ == Kind::kUniqueViolation; }
  bool IsConstraint() const noexcept { return kind_ == Kind::kUniqueViolation || kind_ == Kind::kConstraint; }
  bool IsBusy() const noexcept { return kind_ == Kind::kBusy; }
  // The store cannot serve right now (busy included): worth retrying later,
  // not a bad request.
  bool IsUnavailable() const noexcept { return kind_ == Kind::kBusy || kind_ == Kind::kUnavailable; }

 private:
  Kind kind_;
  int code_;
};

// The domain error for a failed store operation: UNAVAILABLE when retrying
// can help, else INTERNAL. The cause goes to the log, never to the client.
Error StoreFailure(const StoreError& error, std::string_view operation);
// The error for a stored record that does not decode (a bug or a damaged
// file): INTERNAL, the cause logged.
Error CorruptRecord(std::string_view cause, std::string_view operation);

// Never thrown: the default of RunStoreOperation's DecodeError.
struct NothingToDecode final : std::exception {};
// Runs a store method's body (returning a Result): a StoreError becomes
// StoreFailure, a `DecodeError` (e.g. nlohmann::json::exception, for a store
// keeping JSON bodies) CorruptRecord.
template <class DecodeError = NothingToDecode, class Fn>
auto RunStoreOperation(std::string_view operation, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const StoreError& e) {
    return StoreFailure(e, operation);
  } catch (const DecodeError& e) {
    return CorruptRecord(e.what(), operation);
  }
}

}  // namespace netra

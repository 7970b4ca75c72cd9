// Helpers shared by the SQLite store's sources (sqlite.cc, sqlite_database.cc);
// not part of the store's interface.
#pragma once

#include <string>
#include <string_view>

namespace netra::sqlite_detail {

// Operation label of netra_store_seconds; indexes Database::histograms_.
enum Op : int { kSelect, kInsert, kUpdate, kDelete, kOther, kBegin, kCommit, kOpCount };
inline constexpr const char* kOpNames[kOpCount] = {"select", "insert", "update", "delete",
                                                   "other",  "begin",  "commit"};

// Label values of netra_store_errors_total{kind}, by StoreError::Kind: what an
// operator acts on differently (the store is down; writers collide and are
// re-run or time out; a constraint refused a write; anything else, a bug).
enum ErrorKind : int { kErrUnavailable, kErrConflict, kErrConstraint, kErrOther, kErrorKindCount };
inline constexpr const char* kErrorKindNames[kErrorKindCount] = {"unavailable", "conflict", "constraint", "other"};

std::string Lower(std::string_view s);

// SQLite's message for `rc` (or `message`), with the code's name and number.
std::string Describe(int rc, const char* message);

}  // namespace netra::sqlite_detail

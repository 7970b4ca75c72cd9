// The complaint service's storage: schema migrations and the queries the
// domain needs, behind a small interface so the domain never sees SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/sqlite.h"
#include "common/store_schema.h"

namespace netra::complaint {

// Numbered as netra.v1.ComplaintStatus.
enum class ComplaintStatus {
  kReceived = 1,
  kIncomplete,
  kCompleted,
  kRegistered,
  kUnderReview,
  kForwarded,
  kClosed,
  kRejected,
  kWithdrawn,
  kDismissed,
};

struct PublicStatus {
  std::string tracking_code;
  ComplaintStatus status;
  int64_t received_micros;  // unix microseconds
  int64_t updated_micros;
};

inline const Migration kMigrations[] = {
    {1, "request ids", kRequestIdsSql},
    {2, "complaints", R"sql(
CREATE TABLE complaints (
  id            TEXT PRIMARY KEY,
  tracking_code TEXT NOT NULL UNIQUE,
  status        INTEGER NOT NULL,  -- ComplaintStatus
  received_at   INTEGER NOT NULL,  -- unix microseconds
  updated_at    INTEGER NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1
);
)sql"},
};

class ComplaintStore {
 public:
  explicit ComplaintStore(Database& db) : db_(db) {}

  std::optional<PublicStatus> FindPublicStatus(const std::string& tracking_code);

 private:
  Database& db_;
};

}  // namespace netra::complaint

// Schema pieces every service's store has.
#pragma once

#include <string_view>

namespace netra {

// Idempotency records: a create/submit RPC stores its response under the
// client's request_id in the same transaction as the record it created, so a
// retry (to any replica, with or without Redis) returns the first result.
// kRequestIdsSql and kRequestIdsPostgresSql are one Migration's two dialects.
inline constexpr std::string_view kRequestIdsSql = R"sql(
CREATE TABLE request_ids (
  request_id   TEXT NOT NULL,
  method       TEXT NOT NULL,
  request_hash BLOB NOT NULL,   -- SHA-256 of the request, to refuse a reused id with other content
  response     BLOB NOT NULL,   -- serialized response message
  created_at   INTEGER NOT NULL, -- unix microseconds
  PRIMARY KEY (method, request_id)
) WITHOUT ROWID;
)sql";
inline constexpr std::string_view kRequestIdsPostgresSql = R"sql(
CREATE TABLE request_ids (
  request_id   TEXT NOT NULL,
  method       TEXT NOT NULL,
  request_hash BYTEA NOT NULL,
  response     BYTEA NOT NULL,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (method, request_id)
);
)sql";

}  // namespace netra

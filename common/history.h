// Append-only, hash-chained history of a resource (a complaint, a case).
//
// Every change to the resource is one entry; entry n stores
//   hash = SHA-256(prev_hash || canonical_event)
// where prev_hash is entry n-1's hash (32 zero bytes for the first) and
// canonical_event is canonical JSON of the entry's fields. The resource row
// records the head (last sequence and hash) in the same transaction, so that
// editing, deleting, inserting or reordering entries, or cutting off the tail,
// is detected by VerifyHistory. The contract is spelled out for clients in
// proto/netra/v1/types.proto (HistoryEntry).
//
// The pure part (ChainEntry, VerifyHistory) is domain code (history_chain.h);
// HistoryLog is the storage part every service's store uses, in its own
// write transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/history_chain.h"

namespace netra {
namespace v1 {
class Actor;
class HistoryEntry;
class HistoryVerification;
}  // namespace v1

class Connection;

// Proto conversions for the handlers of both services.
void ToProto(const Actor& actor, v1::Actor* out);
void ToProto(const HistoryEntry& entry, v1::HistoryEntry* out);
void ToProto(const HistoryVerification& verification, int64_t verify_time_us, v1::HistoryVerification* out);

// Storage of history entries in a service's store: table `history`, keyed by
// (resource_id, sequence). Put kHistorySql in the store's migrations, with
// kHistoryPostgresSql as its PostgreSQL variant.
inline constexpr std::string_view kHistorySql = R"sql(
CREATE TABLE history (
  resource_id     TEXT NOT NULL,
  sequence        INTEGER NOT NULL,
  event_type      TEXT NOT NULL,
  actor_json      TEXT NOT NULL,
  event_time_us   INTEGER NOT NULL,
  payload_json    TEXT NOT NULL,
  prev_hash       BLOB NOT NULL,
  hash            BLOB NOT NULL,
  canonical_event BLOB NOT NULL,
  PRIMARY KEY (resource_id, sequence)
) WITHOUT ROWID;
)sql";
inline constexpr std::string_view kHistoryPostgresSql = R"sql(
CREATE TABLE history (
  resource_id     TEXT NOT NULL,
  sequence        BIGINT NOT NULL,
  event_type      TEXT NOT NULL,
  actor_json      TEXT NOT NULL,
  event_time_us   BIGINT NOT NULL,
  payload_json    TEXT NOT NULL,
  prev_hash       BYTEA NOT NULL,
  hash            BYTEA NOT NULL,
  canonical_event BYTEA NOT NULL,
  PRIMARY KEY (resource_id, sequence)
);
)sql";

class HistoryLog {
 public:
  // Chains the event after `head` and inserts it; call inside the write
  // transaction that changes the resource, then store HeadOf(result) on the
  // resource row in that same transaction.
  static HistoryEntry Append(Connection& conn, std::string_view resource_id, const HistoryHead& head,
                             std::string event_type, Actor actor, int64_t event_time_us, const nlohmann::json& payload);

  // Entries with sequence > after_sequence, ascending, at most `limit` (0: all).
  static std::vector<HistoryEntry> Load(Connection& conn, std::string_view resource_id, int64_t after_sequence = 0,
                                        int limit = 0);
};

}  // namespace netra

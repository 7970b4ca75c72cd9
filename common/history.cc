#include "common/history.h"

#include <nlohmann/json.hpp>

#include "common/store.h"

namespace netra {
namespace {

Actor ActorFromJson(const std::string& text) {
  Actor actor;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return actor;
  actor.id = j.value("id", "");
  actor.kind = static_cast<Actor::Kind>(j.value("kind", 0));
  actor.display_name = j.value("display_name", "");
  actor.organization = j.value("organization", "");
  return actor;
}

}  // namespace

HistoryEntry HistoryLog::Append(Connection& conn, std::string_view resource_id, const HistoryHead& head,
                                std::string event_type, Actor actor, int64_t event_time_us,
                                const nlohmann::json& payload) {
  HistoryEntry entry = ChainEntry(head, std::move(event_type), std::move(actor), event_time_us, payload);
  conn.Prepare(
          "INSERT INTO history (resource_id, sequence, event_type, actor_json, event_time_us, payload_json, prev_hash, "
          "hash, canonical_event) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
      .Bind(1, resource_id)
      .Bind(2, entry.sequence)
      .Bind(3, entry.event_type)
      .Bind(4, ActorText(entry.canonical_event))
      .Bind(5, entry.event_time_us)
      .Bind(6, entry.payload_json)
      .BindBlob(7, entry.prev_hash)
      .BindBlob(8, entry.hash)
      .BindBlob(9, entry.canonical_event)
      .RunDeferred();
  return entry;
}

std::vector<HistoryEntry> HistoryLog::Load(Connection& conn, std::string_view resource_id, int64_t after_sequence,
                                           int limit) {
  auto stmt = conn.Prepare(
      "SELECT sequence, event_type, actor_json, event_time_us, payload_json, prev_hash, hash, canonical_event "
      "FROM history WHERE resource_id = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3");
  stmt.Bind(1, resource_id).Bind(2, after_sequence);
  // No limit: -1 on SQLite, NULL on PostgreSQL (each refuses the other's).
  if (limit > 0) {
    stmt.Bind(3, int64_t{limit});
  } else if (conn.dialect() == Dialect::kPostgres) {
    stmt.BindNull(3);
  } else {
    stmt.Bind(3, int64_t{-1});
  }
  std::vector<HistoryEntry> out;
  while (stmt.Step()) {
    HistoryEntry e;
    e.sequence = stmt.ColumnInt64(0);
    e.event_type = stmt.ColumnText(1);
    e.actor = ActorFromJson(stmt.ColumnText(2));
    e.event_time_us = stmt.ColumnInt64(3);
    e.payload_json = stmt.ColumnText(4);
    e.prev_hash = stmt.ColumnBlob(5);
    e.hash = stmt.ColumnBlob(6);
    e.canonical_event = stmt.ColumnBlob(7);
    out.push_back(std::move(e));
  }
  return out;
}
}  // namespace netra

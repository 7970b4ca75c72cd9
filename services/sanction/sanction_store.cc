#include "services/sanction/sanction_store.h"

#include "absl/time/clock.h"

namespace netra::sanction {

bool SanctionStore::AddCatalog(const std::string& version, const std::string& body) {
  return db_.Write([&](Connection& c) {
    auto insert = c.Prepare(
        "INSERT INTO violation_catalogs(version, body, added_at, seq) "
        "SELECT ?1, ?2, ?3, COALESCE(MAX(seq), 0) + 1 FROM violation_catalogs WHERE true "
        "ON CONFLICT(version) DO NOTHING");
    insert.Bind(1, version).Bind(2, body).Bind(3, absl::ToUnixMicros(absl::Now()));
    insert.Run();
    return c.Changes() == 1;
  });
}

std::optional<std::string> SanctionStore::CurrentCatalog() {
  return db_.Read([&](Connection& c) -> std::optional<std::string> {
    auto select = c.Prepare("SELECT body FROM violation_catalogs ORDER BY seq DESC LIMIT 1");
    if (!select.Step()) return std::nullopt;
    return select.ColumnText(0);
  });
}

}  // namespace netra::sanction

namespace netra::sanction {

std::string SanctionStore::CurrentVersion() {
  return db_.Read([&](Connection& c) -> std::string {
    auto select = c.Prepare("SELECT version FROM violation_catalogs ORDER BY seq DESC LIMIT 1");
    return select.Step() ? select.ColumnText(0) : std::string();
  });
}

SanctionStore::Put SanctionStore::PutCatalog(const std::string& version, const std::string& body,
                                             const std::string& expected) {
  return db_.Write([&](Connection& c) -> Put {
    Put put;
    auto current = c.Prepare("SELECT version, body, added_at FROM violation_catalogs ORDER BY seq DESC LIMIT 1");
    if (current.Step()) {
      put.current_version = current.ColumnText(0);
      if (put.current_version == version && current.ColumnText(1) == body) {
        put.outcome = Put::Outcome::kSame;
        put.added_us = current.ColumnInt64(2);
        return put;
      }
    }
    if (!expected.empty() && expected != put.current_version) {
      put.outcome = Put::Outcome::kStale;
      return put;
    }
    put.added_us = absl::ToUnixMicros(absl::Now());
    auto insert = c.Prepare(
        "INSERT INTO violation_catalogs(version, body, added_at, seq) "
        "SELECT ?1, ?2, ?3, COALESCE(MAX(seq), 0) + 1 FROM violation_catalogs WHERE true "
        "ON CONFLICT(version) DO NOTHING");
    insert.Bind(1, version).Bind(2, body).Bind(3, put.added_us);
    insert.Run();
    put.outcome = c.Changes() == 1 ? Put::Outcome::kAdded : Put::Outcome::kExists;
    if (put.outcome == Put::Outcome::kAdded) put.current_version = version;
    return put;
  });
}

}  // namespace netra::sanction

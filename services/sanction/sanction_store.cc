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

// The sanction service's storage: schema migrations and the queries the domain
// needs, behind a small interface so the domain never sees SQL.
#pragma once

#include <optional>
#include <string>

#include "common/sqlite.h"
#include "common/store_schema.h"

namespace netra::sanction {

inline const Migration kMigrations[] = {
    {1, "request ids", kRequestIdsSql},
    {2, "violation catalogs", R"sql(
CREATE TABLE violation_catalogs (
  version  TEXT PRIMARY KEY,
  body     TEXT NOT NULL,     -- the catalog JSON as loaded or put
  added_at INTEGER NOT NULL,  -- unix microseconds
  seq      INTEGER NOT NULL UNIQUE  -- order of adding; the highest is current
);
)sql"},
};

class SanctionStore {
 public:
  explicit SanctionStore(Database& db) : db_(db) {}

  // Adds a catalog version unless it is already stored; returns true if added.
  bool AddCatalog(const std::string& version, const std::string& body);
  // The most recently added catalog's JSON, if any.
  std::optional<std::string> CurrentCatalog();

 private:
  Database& db_;
};

}  // namespace netra::sanction

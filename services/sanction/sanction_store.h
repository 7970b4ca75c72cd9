// The sanction service's storage: schema migrations and the queries the domain
// needs, behind a small interface so the domain never sees SQL.
#pragma once

#include <optional>
#include <string>

#include "common/history.h"
#include "common/outbox.h"
#include "common/result.h"
#include "common/store.h"
#include "common/store_schema.h"
#include "services/sanction/case_store.h"

namespace netra::sanction {

inline const Migration kMigrations[] = {
    {1, "request ids", kRequestIdsSql, kRequestIdsPostgresSql},
    {2, "violation catalogs", R"sql(
CREATE TABLE violation_catalogs (
  version  TEXT PRIMARY KEY,
  body     TEXT NOT NULL,     -- the catalog JSON as loaded or put
  added_at INTEGER NOT NULL,  -- unix microseconds
  seq      INTEGER NOT NULL UNIQUE  -- order of adding; the highest is current
);
)sql",
     R"sql(
CREATE TABLE violation_catalogs (
  version  TEXT PRIMARY KEY,
  body     TEXT NOT NULL,
  added_at BIGINT NOT NULL,
  seq      BIGINT NOT NULL UNIQUE
);
)sql"},
    {3, "cases", kCasesSql, kCasesPostgresSql},
    {4, "case history", kHistorySql, kHistoryPostgresSql},
    {5, "notification outbox", kOutboxSql, kOutboxPostgresSql},
    {6, "case escalation state apart from the body", kCaseSweepSql, kAlreadyInPlaceSql},
    {7, "case history in write order", HistoryInWriteOrderSql(), kAlreadyInPlaceSql},
    {8, "outbox refusals parked", kOutboxRefusalSql, kOutboxRefusalPostgresSql},
    {9, "sweeper lease in the store", kSweeperLeaseSql},
};

class SanctionStore {
 public:
  explicit SanctionStore(Database& db) : db_(db) {}

  // Adds a catalog version unless it is already stored; returns true if added.
  bool AddCatalog(const std::string& version, const std::string& body);
  // The most recently added catalog's JSON, if any.
  std::optional<std::string> CurrentCatalog();
  // The current catalog's version ("" when none).
  std::string CurrentVersion();

  struct Put {
    enum class Outcome { kAdded, kSame, kExists, kStale } outcome = Outcome::kAdded;
    std::string current_version;
    int64_t added_us = 0;  // when the put version was added
  };
  // In one transaction: ABORTED-worthy kStale when `expected` is set and is
  // not the current version; kSame when `version` is current with this very
  // body (a retry); kExists when `version` was used before; else adds it.
  Put PutCatalog(const std::string& version, const std::string& body, const std::string& expected);

 private:
  Database& db_;
};

}  // namespace netra::sanction

// The registry's employee storage: the employees table with its name-token
// index, per-case disciplinary records, and the idempotency records of
// employee calls. SQL stays here; the domain (employees.h) sees plain structs.
#pragma once

#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/store.h"
#include "services/registry/employees.h"

namespace netra::registry {

// Migration 2 of the registry (see registry_store.h).
inline constexpr std::string_view kEmployeesSql = R"sql(
CREATE TABLE employees (
  employee_id        TEXT NOT NULL UNIQUE,  -- NIP, NI PPPK or "<agency_code>:<agency_staff_id>"
  employee_type      INTEGER NOT NULL,
  agency_staff_id    TEXT NOT NULL,         -- PPNPN only, else ''
  name               TEXT NOT NULL,
  name_key           TEXT NOT NULL,         -- folded name: search order
  gender             INTEGER NOT NULL,
  birth_date         INTEGER NOT NULL,      -- YYYYMMDD
  agency_code        TEXT NOT NULL,
  agency_name        TEXT NOT NULL,
  unit_code          TEXT NOT NULL,
  unit_name          TEXT NOT NULL,
  position           TEXT NOT NULL,
  rank               TEXT NOT NULL,
  work_region_code   TEXT NOT NULL,         -- kab/kota "NN.NN"
  employment_status  INTEGER NOT NULL,
  ppk_code           TEXT NOT NULL,
  ppk_name           TEXT NOT NULL,
  ppk_region_code    TEXT NOT NULL,
  nik_hmac           BLOB,                  -- HMAC-SHA256 of the NIK; never the NIK
  content_hash       BLOB NOT NULL,         -- SHA-256 of the client-supplied fields: "unchanged" test
  disciplinary_state INTEGER NOT NULL DEFAULT 1,
  version            INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,      -- unix microseconds
  updated_at         INTEGER NOT NULL
);
CREATE INDEX employees_by_name ON employees(name_key, employee_id);
CREATE INDEX employees_by_region ON employees(work_region_code, name_key, employee_id);
CREATE INDEX employees_by_agency ON employees(agency_code, name_key, employee_id);
CREATE INDEX employees_by_nik ON employees(nik_hmac) WHERE nik_hmac IS NOT NULL;
-- Token-prefix, case- and diacritic-insensitive name search; rowid = employees.rowid.
-- Contentless: the store keeps it in step with employees.name itself.
CREATE VIRTUAL TABLE employees_fts USING fts5(
  name, content='', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');
-- Disciplinary status per case. A record set back to NONE stays as a tombstone
-- (state 1) so that an older, late retry of the same case cannot revive it.
CREATE TABLE disciplinary_records (
  employee_id     TEXT NOT NULL,
  case_id         TEXT NOT NULL,
  state           INTEGER NOT NULL,
  level           INTEGER NOT NULL,
  forms           TEXT NOT NULL,     -- comma-separated netra.v1.SanctionForm numbers
  decree_number   TEXT NOT NULL,
  decree_date     INTEGER NOT NULL,  -- YYYYMMDD, 0 = none
  end_date        INTEGER NOT NULL,
  source_sequence INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (employee_id, case_id)
) WITHOUT ROWID;
)sql";

// Migration 2 on PostgreSQL: the same tables (fts5 is SQLite's: the name
// tokens of migration 7 replace it there at once). PostgreSQL has no rowid:
// employee_seq is the employee's number in insertion order (ForDialect).
// Text compared or ordered is COLLATE "C" (byte order, as SQLite and the
// search's page keys compare), whatever the database's collation, so that
// btree indexes serve prefix ranges.
// employee_seq and token_seq (migration 7) stand for SQLite's rowids
// (employee_reads.h, ForDialect); a store copied from SQLite fills them from
// the rowids (netractl store copy).
inline constexpr std::pair<std::string_view, std::string_view> kRowidColumns[] = {
    {"employees", "employee_seq"}, {"employee_name_tokens", "token_seq"}};
inline constexpr std::string_view kEmployeesPostgresSql = R"sql(
CREATE TABLE employees (
  employee_seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  employee_id        TEXT COLLATE "C" NOT NULL UNIQUE,
  employee_type      INTEGER NOT NULL,
  agency_staff_id    TEXT NOT NULL,
  name               TEXT NOT NULL,
  name_key           TEXT COLLATE "C" NOT NULL,
  gender             INTEGER NOT NULL,
  birth_date         INTEGER NOT NULL,
  agency_code        TEXT COLLATE "C" NOT NULL,
  agency_name        TEXT NOT NULL,
  unit_code          TEXT COLLATE "C" NOT NULL,
  unit_name          TEXT NOT NULL,
  position           TEXT NOT NULL,
  rank               TEXT NOT NULL,
  work_region_code   TEXT COLLATE "C" NOT NULL,
  employment_status  INTEGER NOT NULL,
  ppk_code           TEXT NOT NULL,
  ppk_name           TEXT NOT NULL,
  ppk_region_code    TEXT NOT NULL,
  nik_hmac           BYTEA,
  content_hash       BYTEA NOT NULL,
  disciplinary_state INTEGER NOT NULL DEFAULT 1,
  version            BIGINT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL
);
CREATE INDEX employees_by_nik ON employees(nik_hmac) WHERE nik_hmac IS NOT NULL;
CREATE TABLE disciplinary_records (
  employee_id     TEXT COLLATE "C" NOT NULL,
  case_id         TEXT COLLATE "C" NOT NULL,
  state           INTEGER NOT NULL,
  level           INTEGER NOT NULL,
  forms           TEXT NOT NULL,
  decree_number   TEXT NOT NULL,
  decree_date     INTEGER NOT NULL,
  end_date        INTEGER NOT NULL,
  source_sequence BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (employee_id, case_id)
);
)sql";

// Migration 6: bulk loads (EmployeeStore::UpsertBatch). While one is open the
// secondary indexes are dropped (their CREATE statements kept here to be run
// again) and the name tokens lag behind: rows above the mark have none yet.
// Open <=> the one row of employee_bulk_load exists; it survives a crash, and
// the next start finishes the load.
inline constexpr std::string_view kEmployeeBulkLoadSql = R"sql(
CREATE TABLE employee_bulk_load (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  fts_rowid INTEGER NOT NULL  -- employees with a larger rowid have no name tokens yet (see migration 7)
);
CREATE TABLE employee_deferred_indexes (
  name TEXT PRIMARY KEY,
  sql  TEXT NOT NULL           -- as sqlite_master held it
) WITHOUT ROWID;
)sql";

// Migration 6 on PostgreSQL. A bulk load here defers the indexes only: the
// mark stays at kTokensWrittenInline (employee_writes.h) unless an upgrade
// has tokens to write again.
inline constexpr std::string_view kEmployeeBulkLoadPostgresSql = R"sql(
CREATE TABLE employee_bulk_load (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  fts_rowid BIGINT NOT NULL
);
CREATE TABLE employee_deferred_indexes (
  name TEXT PRIMARY KEY,
  sql  TEXT NOT NULL
);
)sql";

// Migration 7: name search by token instead of FTS5. One row per distinct
// token of an employee's folded name (NameTokens), with the name's sort key
// and the other search filters, so that the index below lists the employees
// having a token in name order, and a search filters and pages them without
// reading the employees table. The name index of employees, likewise
// covering the filters, lists all employees in name order; it replaces the
// region and agency indexes. rowid = employees.rowid * kMaxNameTokens + the
// token's number: an employee's tokens are one rowid range (rewritten on a
// change without another index), appended in rowid order by a bulk load.
// A store that has employees gets their tokens at the next start: the load
// this opens (mark 0) is finished before the registry serves.
inline constexpr std::string_view kEmployeeNameTokensSql = R"sql(
DROP TABLE employees_fts;
DROP INDEX IF EXISTS employees_by_name;
DROP INDEX IF EXISTS employees_by_region;
DROP INDEX IF EXISTS employees_by_agency;
DELETE FROM employee_deferred_indexes
  WHERE name IN ('employees_by_name', 'employees_by_region', 'employees_by_agency');
CREATE INDEX employees_by_name
  ON employees(name_key, employee_id, work_region_code, agency_code, employee_type);
CREATE TABLE employee_name_tokens (
  token            TEXT NOT NULL,
  name_key         TEXT NOT NULL,
  employee_id      TEXT NOT NULL,
  work_region_code TEXT NOT NULL,
  agency_code      TEXT NOT NULL,
  employee_type    INTEGER NOT NULL
);
CREATE INDEX employee_name_tokens_by_token
  ON employee_name_tokens(token, name_key, employee_id, work_region_code, agency_code, employee_type);
ALTER TABLE employee_bulk_load RENAME COLUMN fts_rowid TO tokens_rowid;
INSERT INTO employee_bulk_load(id, tokens_rowid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM employees)
  ON CONFLICT(id) DO UPDATE SET tokens_rowid = 0;
)sql";

// Migration 7 on PostgreSQL: token_seq stands for the tokens' rowid
// (employee_seq * kMaxNameTokens + the token's number; ForDialect). A fresh
// store has no employees, so no load opens.
inline constexpr std::string_view kEmployeeNameTokensPostgresSql = R"sql(
CREATE INDEX employees_by_name
  ON employees(name_key, employee_id, work_region_code, agency_code, employee_type);
CREATE TABLE employee_name_tokens (
  token_seq        BIGINT PRIMARY KEY,
  token            TEXT COLLATE "C" NOT NULL,
  name_key         TEXT COLLATE "C" NOT NULL,
  employee_id      TEXT COLLATE "C" NOT NULL,
  work_region_code TEXT COLLATE "C" NOT NULL,
  agency_code      TEXT COLLATE "C" NOT NULL,
  employee_type    INTEGER NOT NULL
);
CREATE INDEX employee_name_tokens_by_token
  ON employee_name_tokens(token, name_key, employee_id, work_region_code, agency_code, employee_type);
ALTER TABLE employee_bulk_load RENAME COLUMN fts_rowid TO tokens_rowid;
)sql";

// Migration 9: names folded in one normal form (common/names.h: NFKC,
// apostrophes, titles, old spellings in the tokens). EmployeeStore rebuilds
// every name_key in C++ (RefoldNameKeys) and drops this marker; the token
// rows are written again by the bulk load that opens (mark 0), which the
// registry finishes before it serves (EmployeeDirectory::RecoverBulkLoad).
inline constexpr std::string_view kEmployeeNameKeysRefoldSql = R"sql(
CREATE TABLE employee_name_keys_to_refold (pending INTEGER);
)sql";

// Rebuilds, in one transaction, the name keys stored before migration 9 and
// opens a bulk load that writes their tokens again; then drops the marker.
// The number of keys changed; 0 (and nothing done) without the marker.
int RefoldNameKeys(Database& db);
// Migration 9 on PostgreSQL: its stores start with keys folded as written.
inline constexpr std::string_view kEmployeeNameKeysRefoldPostgresSql = "-- nothing to refold on PostgreSQL\n";

// Migration 10: indexes led by the work region, so that a search scoped to one
// region (every search of a kabupaten or kota agency: the server narrows it) reads
// that region's rows only: its employees in name order (the walk), and each
// name token's employees of the region in name order (the merge). The
// indexes led by the name and the token serve searches without a region or
// over a region's subtree. A store with a bulk load open gets them at once
// too, kept up row by row until the load finishes (its deferred indexes are
// only those it dropped).
inline constexpr std::string_view kEmployeeRegionIndexesSql = R"sql(
CREATE INDEX employees_by_region_name
  ON employees(work_region_code, name_key, employee_id, agency_code, employee_type);
CREATE INDEX employee_name_tokens_by_region
  ON employee_name_tokens(token, work_region_code, name_key, employee_id, agency_code, employee_type);
)sql";

// The outcome of writing one validated employee.
struct StoredWrite {
  UpsertResult result;
  Employee employee;  // as stored
};

// How Search picks its plan for a name query. It drives with the query
// token that starts the fewest distinct name tokens: when there are few, it
// reads each such token's employees in name order from the page position
// and keeps the first page of those matching the whole query ("merge"); when
// there are many (a short, common prefix), matches are dense, and walking
// all employees in name order from the page position finds a page sooner
// ("walk"), unless it reads walk_budget rows first: then the merge.
// Tests lower the thresholds to exercise every plan on small data.
struct SearchPlanning {
  int max_merge_tokens = 64;     // more distinct tokens under the driving prefix: walk
  int64_t walk_budget = 20000;   // rows a walk may read before the merge takes over
  int64_t bulk_scan_chunk = 4096;  // rows per statement while a bulk load is open
};

class EmployeeStore : public EmployeeRecords {
 public:
  // Applies RefoldNameKeys (a store upgraded past migration 9) first.
  explicit EmployeeStore(Database& db, SearchPlanning planning = {});

  std::optional<Employee> Find(const std::string& employee_id) override;
  // name_key of an employee (to resume a search after it).
  std::optional<std::string> NameKey(const std::string& employee_id) override;
  std::vector<Employee> Search(const EmployeeQuery& query) override;

  // One upsert under the expected_version rules of registry.proto, with its
  // idempotency record in the same transaction. Returns the stored response
  // instead when request_id was used before with the same hash; an
  // INVALID_ARGUMENT when it was used with another.
  Result<UpsertOutcome> Upsert(const EmployeeWrite& write, int64_t expected_version,
                               const Idempotency& idempotency) override;
  // Unconditional upserts of a batch in one transaction (imports); the result
  // of each write, in order. With `may_open_bulk_load`, a batch that writes
  // mostly new or changed rows opens a bulk load first (bulk_opened), unless
  // one is open already: the caller must then FinishBulkLoad.
  BatchResult UpsertBatch(std::span<const EmployeeWrite> writes, bool may_open_bulk_load = false) override;
  // PostgreSQL: two batches at once, each on its own connection and so its
  // own server process, which keeps a second core on the import (it is the
  // server's index upkeep that bounds it). SQLite's writers take turns.
  size_t ConcurrentBatches() const override { return db_.dialect() == Dialect::kPostgres ? 2 : 1; }
  std::vector<std::string> StoredWorkRegions(std::span<const EmployeeWrite> writes) override;
  static constexpr int kImportCacheKib = 48 * 1024;  // page cache of a batch's connection
  static constexpr int kIndexCacheKib = 8 * 1024;    // ... and while a bulk load's indexes are built
  static constexpr int kImportWalPages = 32768;      // 128 MB of WAL before a batch checkpoints

  // Bulk loads. Rows go into the table and its unique id index only; the
  // name, NIK and token indexes are dropped and (on SQLite) the new rows'
  // tokens are written later. Finishing appends those tokens in rowid
  // order and creates the indexes again (CREATE INDEX sorts once instead of
  // a random insert per row), in steps of their own transactions so that
  // other writers get in between. Searches stay exact meanwhile: with no
  // index to use, they scan the table (slow, but only while a load runs).
  // On PostgreSQL the tokens are written with their rows, without their
  // index an append; the load opens in a transaction of its own before
  // the batch.
  bool BulkLoadOpen() override;
  // Whether this process opened the load that is open (an import is running
  // it); a load open but unowned was left by a crash or a failed finish.
  bool BulkLoadOwned() const override { return bulk_owned_.load(); }
  // Completes an open bulk load (no-op when none is); throws StoreError.
  void FinishBulkLoad() override;
  // Rows in the table, approximately (the largest rowid; O(1)).
  int64_t ApproximateRows() override;

  // Applies a per-case record (source_sequence ordering) and recomputes the
  // employee's summary state; NOT_FOUND / ABORTED as registry.proto says.
  Result<DisciplinaryOutcome> SetDisciplinary(const DisciplinaryUpdate& update) override;

  std::optional<std::pair<std::string, std::string>> FindRequest(const std::string& method,
                                                                 const std::string& request_id) override;
  void RecordRequest(const std::string& method, const std::string& request_id, const std::string& request_hash,
                     const std::string& response) override;

 private:
  Database& db_;
  SearchPlanning planning_;
  std::atomic<bool> bulk_owned_{false};
};

}  // namespace netra::registry

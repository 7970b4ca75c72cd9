// The registry's employee storage: the employees table with its FTS5 name
// index, per-case disciplinary records, and the idempotency records of
// employee calls. SQL stays here; the domain (employees.h) sees plain structs.
#pragma once

#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/sqlite.h"
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

// Migration 6: bulk loads (EmployeeStore::UpsertBatch). While one is open the
// secondary indexes of employees are dropped (their CREATE statements kept
// here to be run again) and employees_fts lags behind: rows above fts_rowid
// are not in it yet. Open <=> the one row of employee_bulk_load exists; it
// survives a crash, and the next start finishes the load.
inline constexpr std::string_view kEmployeeBulkLoadSql = R"sql(
CREATE TABLE employee_bulk_load (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  fts_rowid INTEGER NOT NULL  -- employees with a larger rowid are not in employees_fts yet
);
CREATE TABLE employee_deferred_indexes (
  name TEXT PRIMARY KEY,
  sql  TEXT NOT NULL           -- as sqlite_master held it
) WITHOUT ROWID;
)sql";

// The outcome of writing one validated employee.
struct StoredWrite {
  UpsertResult result;
  Employee employee;  // as stored
};

// A search, in store terms (validated by the domain).
struct EmployeeQuery {
  std::string fts_query;    // FTS5 MATCH expression; empty = no name filter
  std::vector<std::string> fts_tokens;     // its tokens as given (no '"' in them)
  std::vector<std::string> name_prefixes;  // the same, folded as FoldName folds (for NameKeyMatches)
  std::string region_code;  // one kab/kota: work_region_code = this; empty = see the range
  std::string region_low, region_high;  // work_region_code range [low, high) (a province); empty = any
  std::string agency_code;  // empty = any
  int employee_type = 0;    // 0 = any
  std::optional<std::pair<std::string, std::string>> after;  // (name_key, employee_id) of the last row seen
  int limit = 50;
};

// How Search picks its plan for a name query. Few matches: FTS5 finds all of
// them and SQLite sorts them by name (cost grows with the matches). Many
// matches: walk an index in name order from the page position and test each
// folded name against the query (cost grows with page size / match density).
// Tests lower the thresholds to exercise both plans on small data.
struct SearchPlanning {
  int64_t dense_matches = 2000;  // at least this many FTS matches: walk
  int64_t walk_budget = 100000;  // index rows a walk may read before the sort plan takes over
};

class EmployeeStore {
 public:
  explicit EmployeeStore(Database& db, SearchPlanning planning = {}) : db_(db), planning_(planning) {}

  std::optional<Employee> Find(const std::string& employee_id);
  // name_key of an employee (to resume a search after it).
  std::optional<std::string> NameKey(const std::string& employee_id);
  std::vector<Employee> Search(const EmployeeQuery& query);

  // One upsert under the expected_version rules of registry.proto, with its
  // idempotency record in the same transaction. Returns the stored response
  // instead when request_id was used before with the same hash; an
  // INVALID_ARGUMENT when it was used with another.
  Result<UpsertOutcome> Upsert(const EmployeeWrite& write, int64_t expected_version, const Idempotency& idempotency);
  // Unconditional upserts of a batch in one transaction (imports); the result
  // of each write, in order. With `may_open_bulk_load`, a batch that writes
  // mostly new or changed rows opens a bulk load first (bulk_opened), unless
  // one is open already: the caller must then FinishBulkLoad.
  struct BatchResult {
    std::vector<UpsertResult> results;
    bool bulk_opened = false;
  };
  BatchResult UpsertBatch(std::span<const EmployeeWrite> writes, bool may_open_bulk_load = false);
  static constexpr int kImportCacheKib = 48 * 1024;  // page cache of a batch's connection
  static constexpr int kImportWalPages = 32768;      // 128 MB of WAL before a batch checkpoints

  // Bulk loads. Rows go into the table and its unique id index only; the
  // name, region, agency and NIK indexes are dropped and FTS5 is filled
  // later. Finishing fills FTS5 in rowid order and creates the indexes again
  // (CREATE INDEX sorts once instead of a random insert per row), in steps
  // of their own transactions so that other writers get in between.
  // Searches stay exact meanwhile: they read the state in their snapshot and
  // scan the rows FTS5 does not have yet instead of walking a missing index.
  bool BulkLoadOpen();
  // Whether this process opened the load that is open (an import is running
  // it); a load open but unowned was left by a crash or a failed finish.
  bool BulkLoadOwned() const { return bulk_owned_.load(); }
  // Completes an open bulk load (no-op when none is); throws StoreError.
  void FinishBulkLoad();
  // Rows in the table, approximately (the largest rowid; O(1)).
  int64_t ApproximateRows();

  // Applies a per-case record (source_sequence ordering) and recomputes the
  // employee's summary state; NOT_FOUND / ABORTED as registry.proto says.
  Result<DisciplinaryOutcome> SetDisciplinary(const DisciplinaryUpdate& update);

  std::optional<std::pair<std::string, std::string>> FindRequest(const std::string& method, const std::string& request_id);
  void RecordRequest(const std::string& method, const std::string& request_id, const std::string& request_hash,
                     const std::string& response);

 private:
  Database& db_;
  SearchPlanning planning_;
  std::atomic<bool> bulk_owned_{false};
};

}  // namespace netra::registry

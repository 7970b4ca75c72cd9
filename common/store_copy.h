// Moving a service's data from one store to another: a deployment that
// outgrows one machine copies its SQLite file into PostgreSQL
// (`netractl store copy`, docs/operations.md).
//
// Both stores are opened with the same service's migrations first, so their
// schemas are the same version; the copy then takes every table of the
// target's schema, row by row in batches, from one snapshot of the source.
// Values travel as text (blobs as bytes), so integers, text and blobs keep
// their meaning across the dialects. Afterwards it counts each table on both
// sides and verifies every hash-chained history in the target against the
// chain's last entry in the source.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netra {

class Database;
struct DatabaseOptions;
struct StoreUrl;

struct TableCopy {
  std::string table;
  int64_t source_rows = 0;
  int64_t target_rows = 0;  // counted after the copy
};

struct StoreCopyReport {
  std::vector<TableCopy> tables;
  // Source tables the target's schema has no place for (e.g. SQLite's
  // full-text shadow tables), with their row counts: not copied.
  std::vector<TableCopy> not_copied;
  int64_t histories = 0;        // resources with a history in the target
  int64_t histories_intact = 0;  // chains intact and ending where the source's do
  std::vector<std::string> broken_histories;  // resource ids (at most 20), with why
  bool ok() const;
};

// True when the store `url` names has no migration applied yet (or does not
// exist): the only kind of store CopyStore fills. False with *error when it
// has, or cannot be opened.
bool IsNewStore(const StoreUrl& url, const DatabaseOptions& options, std::string* error);

// Copies `from` into `to`, which the caller has just made from a new store
// (IsNewStore) with the service's migrations: rows those migrations seeded
// (a singleton state row) are replaced by the source's. False with *error when
// a table of the target is missing from the source or lacks a column. Throws
// StoreError when a store fails mid-copy; the target is then partly filled
// and must be dropped and made again. `progress`, when set, is told after
// each table.
// `rowid_columns` names, by table, a target column that stands for a SQLite
// source's rowid (the registry's employee_seq): it is filled from the rowid,
// so that values referring to it (token ranges, watermarks) stay true.
using RowidColumn = std::pair<std::string_view, std::string_view>;  // table, column
bool CopyStore(Database& from, Database& to, StoreCopyReport* report, std::string* error,
               const std::function<void(const TableCopy&)>& progress = nullptr,
               std::span<const RowidColumn> rowid_columns = {});

}  // namespace netra

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
#include <string>
#include <vector>

namespace netra {

class Database;

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

// Copies `from` into `to`. The target must hold no data yet (every table of
// its schema empty, as a freshly migrated store is): false with *error
// otherwise, or when a table of the target is missing from the source or
// lacks a column. Throws StoreError when a store fails mid-copy; the target
// is then partly filled and must be dropped and made again. `progress`, when
// set, is told after each table.
bool CopyStore(Database& from, Database& to, StoreCopyReport* report, std::string* error,
               const std::function<void(const TableCopy&)>& progress = nullptr);

}  // namespace netra

#include "common/store_copy.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/history.h"
#include "common/history_chain.h"
#include "common/store.h"

namespace netra {
namespace {

constexpr int kBatchRows = 1000;
constexpr size_t kMaxBrokenListed = 20;
constexpr std::string_view kMigrationsTable = "schema_migrations";  // each store's own, written by Open

struct Column {
  std::string name;
  bool blob = false;      // BLOB / bytea: copied as bytes, not text
  bool identity = false;  // PostgreSQL identity column: its sequence is moved past the copied ids
  std::string source = {};  // what the source calls it, when not `name` (SQLite's rowid)
};

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> Tables(Connection& conn) {
  auto stmt = conn.Prepare(conn.dialect() == Dialect::kPostgres
                               ? "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                 "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
                               : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                 "ORDER BY name");
  std::vector<std::string> tables;
  while (stmt.Step()) {
    if (stmt.ColumnTextView(0) != kMigrationsTable) tables.push_back(stmt.ColumnText(0));
  }
  return tables;
}

std::vector<Column> Columns(Connection& conn, const std::string& table) {
  std::vector<Column> columns;
  if (conn.dialect() == Dialect::kPostgres) {
    auto stmt = conn.Prepare(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ?1 ORDER BY ordinal_position");
    stmt.Bind(1, table);
    while (stmt.Step()) {
      columns.push_back({stmt.ColumnText(0), stmt.ColumnTextView(1) == "bytea", stmt.ColumnTextView(2) == "YES"});
    }
  } else {
    auto stmt = conn.Prepare("SELECT name, upper(type) FROM pragma_table_info(?1) ORDER BY cid");
    stmt.Bind(1, table);
    while (stmt.Step()) {
      columns.push_back({stmt.ColumnText(0), stmt.ColumnTextView(1).find("BLOB") != std::string_view::npos, false});
    }
  }
  return columns;
}

int64_t Count(Connection& conn, const std::string& table) {
  auto stmt = conn.Prepare("SELECT COUNT(*) FROM " + Quoted(table));
  stmt.Step();
  return stmt.ColumnInt64(0);
}

using Row = std::vector<std::optional<std::string>>;

void Insert(Database& to, const std::string& sql, const std::vector<Column>& columns, const std::vector<Row>& rows) {
  to.Write([&](Connection& conn) {
    auto insert = conn.Prepare(sql);
    for (const Row& row : rows) {
      for (size_t i = 0; i < columns.size(); ++i) {
        const int index = static_cast<int>(i) + 1;
        if (!row[i]) {
          insert.BindNull(index);
        } else if (columns[i].blob) {
          insert.BindBlob(index, *row[i]);
        } else {
          insert.Bind(index, std::string_view(*row[i]));
        }
      }
      insert.Run();
    }
  });
}

// Copies one table from the source's open snapshot; returns the rows read.
int64_t CopyTable(Connection& source, Database& to, const std::string& table, const std::vector<Column>& columns) {
  std::string names, selected, params;
  bool identity = false;
  for (size_t i = 0; i < columns.size(); ++i) {
    names += (i > 0 ? ", " : "") + Quoted(columns[i].name);
    selected += (i > 0 ? ", " : "") + (columns[i].source.empty() ? Quoted(columns[i].name) : columns[i].source);
    params += (i > 0 ? ", ?" : "?") + std::to_string(i + 1);
    identity = identity || columns[i].identity;
  }
  // GENERATED ALWAYS identity columns take the copied values only when told to.
  const std::string insert = "INSERT INTO " + Quoted(table) + " (" + names + ")" +
                             (identity ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES (" + params + ")";
  auto select = source.Prepare("SELECT " + selected + " FROM " + Quoted(table));
  std::vector<Row> batch;
  int64_t rows = 0;
  while (select.Step()) {
    Row row(columns.size());
    for (size_t i = 0; i < columns.size(); ++i) {
      const int col = static_cast<int>(i);
      if (!select.ColumnIsNull(col)) row[i] = columns[i].blob ? select.ColumnBlob(col) : select.ColumnText(col);
    }
    batch.push_back(std::move(row));
    ++rows;
    if (batch.size() == kBatchRows) {
      Insert(to, insert, columns, batch);
      batch.clear();
    }
  }
  if (!batch.empty()) Insert(to, insert, columns, batch);
  // Ids the target hands out next start after the copied ones.
  if (to.dialect() == Dialect::kPostgres) {
    for (const Column& column : columns) {
      if (!column.identity) continue;
      to.Write([&](Connection& conn) {
        conn.Exec("SELECT setval(pg_get_serial_sequence(" + Literal(Quoted(table)) + ", " + Literal(column.name) +
                  "), (SELECT COALESCE(MAX(" + Quoted(column.name) + "), 0) + 1 FROM " + Quoted(table) + "), false)");
      });
    }
  }
  return rows;
}

// Each resource's history in the target, verified against the head of its
// chain in the source.
void VerifyHistories(Connection& source, Database& to, StoreCopyReport& report) {
  std::map<std::string, HistoryHead> heads;
  auto last = source.Prepare(
      "SELECT resource_id, sequence, hash FROM history h WHERE sequence = "
      "(SELECT MAX(sequence) FROM history WHERE resource_id = h.resource_id)");
  while (last.Step()) heads[last.ColumnText(0)] = HistoryHead{last.ColumnInt64(1), last.ColumnBlob(2)};
  to.Read([&](Connection& conn) {
    for (const auto& [resource, head] : heads) {
      ++report.histories;
      const auto entries = HistoryLog::Load(conn, resource);
      const HistoryVerification verified = VerifyHistory(entries, head);
      if (verified.intact) {
        ++report.histories_intact;
      } else if (report.broken_histories.size() < kMaxBrokenListed) {
        report.broken_histories.push_back(resource + ": " + verified.description);
      }
    }
  });
}

}  // namespace

bool IsNewStore(const StoreUrl& url, const DatabaseOptions& options, std::string* error) {
  // Opened knowing no migration: a store that has any is refused as newer than that.
  if (Database::Open(url, {}, error, options) != nullptr) return true;
  *error = "not a new store (" + *error + "); copy into a new, empty one";
  return false;
}

bool StoreCopyReport::ok() const {
  return histories_intact == histories &&
         std::all_of(tables.begin(), tables.end(), [](const TableCopy& t) { return t.source_rows == t.target_rows; });
}

bool CopyStore(Database& from, Database& to, StoreCopyReport* report, std::string* error,
               const std::function<void(const TableCopy&)>& progress, std::span<const RowidColumn> rowid_columns) {
  auto fail = [&](std::string message) {
    *error = std::move(message);
    return false;
  };
  // The target's schema is what the copy fills.
  std::map<std::string, std::vector<Column>> target;
  to.Read([&](Connection& conn) {
    for (const std::string& table : Tables(conn)) target[table] = Columns(conn, table);
  });
  return from.Read([&](Connection& source) {
    if (source.dialect() == Dialect::kSqlite) {
      for (const auto& [table, column] : rowid_columns) {
        auto it = target.find(std::string(table));
        if (it == target.end()) continue;
        for (Column& c : it->second) {
          if (c.name == column) c.source = "rowid";
        }
      }
    }
    const std::vector<std::string> source_tables = Tables(source);
    const std::set<std::string> present(source_tables.begin(), source_tables.end());
    for (const auto& [table, columns] : target) {
      if (present.count(table) == 0) {
        return fail("the source store has no table " + table +
                    " (is it this service's store, opened by this build?)");
      }
      std::set<std::string> source_columns;
      for (const Column& c : Columns(source, table)) source_columns.insert(c.name);
      for (const Column& c : columns) {
        if (c.source.empty() && source_columns.count(c.name) == 0) return fail("the source's table " + table + " has no column " + c.name);
      }
    }
    for (const std::string& table : source_tables) {
      if (target.count(table) == 0) report->not_copied.push_back({table, Count(source, table), 0});
    }
    to.Write([&](Connection& conn) {
      for (const auto& [table, columns] : target) conn.Exec("DELETE FROM " + Quoted(table));  // seeded rows
    });
    for (const auto& [table, columns] : target) {
      TableCopy copied{table, CopyTable(source, to, table, columns), 0};
      copied.target_rows = to.Read([&](Connection& conn) { return Count(conn, table); });
      if (progress) progress(copied);
      report->tables.push_back(std::move(copied));
    }
    if (target.count("history") > 0) VerifyHistories(source, to, *report);
    return true;
  });
}

}  // namespace netra

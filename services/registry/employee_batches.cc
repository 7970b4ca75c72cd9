// The employee store's import batches and bulk load (EmployeeStore::UpsertBatch,
// FinishBulkLoad) and the import's region check.
#include "services/registry/employee_store.h"

#include <algorithm>
#include <array>
#include <bit>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "common/names.h"
#include "services/registry/employee_reads.h"
#include "services/registry/employee_writes.h"

namespace netra::registry {
namespace {

using namespace employee_rows;

// Statements over many rows at once, for PostgreSQL, where each statement is
// a round trip (SQLite's run in process, a row at a time costs nothing).
// Rows go in chunks of a power of two up to kRowsPerStatement, so that a
// connection prepares a few shapes of each statement, not one per size.
constexpr size_t kRowsPerStatement = 256;

// Calls fn(first, count) for consecutive chunks covering [0, n).
template <typename Fn>
void ForEachChunk(size_t n, Fn&& fn) {
  for (size_t first = 0; first < n;) {
    size_t count = kRowsPerStatement;
    while (count > n - first) count /= 2;
    fn(first, count);
    first += count;
  }
}

// The SQL of a statement over `rows` rows for each chunk size, built once.
class ChunkSql {
 public:
  explicit ChunkSql(std::string (*make)(size_t rows)) {
    for (size_t rows = 1; rows <= kRowsPerStatement; rows *= 2) sql_[std::countr_zero(rows)] = make(rows);
  }
  const std::string& operator()(size_t rows) const { return sql_[std::countr_zero(rows)]; }

 private:
  std::array<std::string, std::bit_width(kRowsPerStatement)> sql_;
};

// Writes the name tokens of the rows in (after, upto], in rowid order (so
// they append), and moves the open bulk load's mark to `upto`.
void FillTokens(Connection& c, int64_t after, int64_t upto) {
  auto rows = c.Prepare(ForDialect(
      c, "SELECT employee_seq, employee_id, name_key, work_region_code, agency_code, employee_type FROM employees "
         "WHERE employee_seq > ?1 AND employee_seq <= ?2 ORDER BY employee_seq"));
  rows.Bind(1, after).Bind(2, upto);
  WriteStatements statements(c);
  while (rows.Step()) {
    WriteTokens(statements, rows.ColumnInt64(0), rows.ColumnTextView(1), rows.ColumnTextView(2),
                rows.ColumnTextView(3), rows.ColumnTextView(4), rows.ColumnInt64(5), /*replace=*/false);
  }
  auto advance = c.Prepare("UPDATE employee_bulk_load SET tokens_rowid = ?1");
  advance.Bind(1, upto);
  advance.Run();
}

// A batch on PostgreSQL (see kRowsPerStatement): per chunk, the new employees
// inserted with one statement, their name tokens with a few more, and the
// stored rows of the ids found taken read with one; those (changed or
// unchanged, or taken by another replica since) a row at a time through Apply.
void ApplyInChunks(WriteStatements& statements, std::span<const EmployeeWrite> writes,
                   const std::vector<uint32_t>& order, int64_t now, const std::optional<int64_t>& bulk_tokens_rowid,
                   std::vector<UpsertResult>& results) {
  static const ChunkSql kFind(
      [](size_t rows) { return std::string(kExistingColumns) + "IN (" + Params(1, static_cast<int>(rows)) + ")"; });
  static const ChunkSql kInsert(InsertSql);
  static const ChunkSql kTokens([](size_t rows) {
    return "INSERT INTO employee_name_tokens" + std::string(kTokenColumns) + " VALUES " +
           RowsSql(rows, 7, [](int b) { return "(" + Params(b, 7) + ")"; });
  });
  struct TokenRow {
    int64_t token_seq;
    std::string token;
    const EmployeeWrite* write;
  };
  ForEachChunk(order.size(), [&](size_t first, size_t count) {
    const std::span<const uint32_t> chunk(order.data() + first, count);
    // Inserted first (an import's rows are mostly new); the ids found taken
    // are looked up after. Keys: the writes' ids, which outlive the maps.
    std::unordered_map<std::string_view, int64_t> inserted;  // id -> employee_seq
    auto& insert = statements(kInsert(count));
    for (size_t r = 0; r < count; ++r) {
      const EmployeeWrite& w = writes[chunk[r]];
      const int base = static_cast<int>(r) * kInsertParams;
      BindContent(insert, w, w.name_key, base);
      insert.Bind(base + 21, now);
    }
    std::unordered_map<std::string_view, uint32_t> by_id;
    for (uint32_t i : chunk) by_id.emplace(writes[i].employee.employee_id, i);
    while (insert.Step()) {
      if (auto it = by_id.find(insert.ColumnTextView(1)); it != by_id.end()) {
        inserted.emplace(it->first, insert.ColumnInt64(0));
      }
    }
    std::vector<uint32_t> taken;
    for (uint32_t i : chunk) {
      if (!inserted.contains(writes[i].employee.employee_id)) taken.push_back(i);
    }
    std::unordered_map<std::string_view, Existing> stored;
    ForEachChunk(taken.size(), [&](size_t at, size_t rows) {
      auto& find = statements(kFind(rows));
      for (size_t r = 0; r < rows; ++r) find.Bind(static_cast<int>(r) + 1, writes[taken[at + r]].employee.employee_id);
      while (find.Step()) {
        auto it = by_id.find(find.ColumnTextView(10));
        if (it != by_id.end()) stored.emplace(it->first, ReadExisting(find));
      }
    });
    std::vector<TokenRow> tokens;
    for (uint32_t i : chunk) {
      const EmployeeWrite& w = writes[i];
      if (auto it = inserted.find(w.employee.employee_id); it != inserted.end()) {
        const int64_t seq = it->second;
        inserted.erase(it);  // the same id again in the batch is an update (below)
        results[i] = UpsertResult::kCreated;
        if (!HasTokens(seq, bulk_tokens_rowid)) continue;
        int64_t n = 0;
        for (std::string& token : NameTokens(w.name_key)) {
          tokens.push_back({seq * static_cast<int64_t>(kMaxNameTokens) + n++, std::move(token), &w});
        }
      } else if (auto found = stored.find(w.employee.employee_id); found != stored.end()) {
        Existing existing = std::move(found->second);
        stored.erase(found);  // likewise
        results[i] = Apply(statements, w, std::move(existing), /*existing_known=*/true, now, /*want_employee=*/false,
                           bulk_tokens_rowid).result;
      } else {  // taken since the read above, or twice in the batch
        results[i] = Apply(statements, w, std::nullopt, /*existing_known=*/false, now, /*want_employee=*/false,
                           bulk_tokens_rowid).result;
      }
    }
    ForEachChunk(tokens.size(), [&](size_t at, size_t rows) {
      auto& add = statements(kTokens(rows));
      for (size_t r = 0; r < rows; ++r) {
        const TokenRow& t = tokens[at + r];
        const Employee& e = t.write->employee;
        const int b = static_cast<int>(r) * 7;
        add.Bind(b + 1, t.token_seq)
            .Bind(b + 2, t.token)
            .Bind(b + 3, t.write->name_key)
            .Bind(b + 4, e.employee_id)
            .Bind(b + 5, e.work_region_code)
            .Bind(b + 6, e.agency_code)
            .Bind(b + 7, static_cast<int64_t>(e.employee_type));
      }
      add.Run();
    });
  });
}

// Opens a bulk load on PostgreSQL, unless one is open or most of `writes`
// are stored unchanged; true if it did. Its own transaction, which first takes
// both tables whole (DROP INDEX would anyway): writers from other replicas
// wait until the indexes are gone, readers for the milliseconds it takes.
// Only the indexes that no constraint needs are dropped; the tokens go on
// being written with their rows (kTokensWrittenInline).
bool OpenBulkLoadOnPostgres(Connection& c, std::span<const EmployeeWrite> writes) {
  // Readers queue behind a waiting ACCESS EXCLUSIVE request, so it waits 1 s
  // at most (then 55P03: the import goes on without a bulk load).
  c.Exec("SET LOCAL lock_timeout = '1s'; LOCK TABLE employees, employee_name_tokens IN ACCESS EXCLUSIVE MODE");
  if (BulkTokensRowid(c)) return false;
  std::unordered_map<std::string_view, const EmployeeWrite*> by_id;
  std::vector<std::string_view> ids;
  for (const EmployeeWrite& w : writes) {
    by_id.emplace(w.employee.employee_id, &w);
    ids.push_back(w.employee.employee_id);
  }
  auto stored = c.Prepare("SELECT employee_id, content_hash FROM employees WHERE employee_id = ANY(CAST(?1 AS TEXT[]))");
  stored.Bind(1, PgArray(ids));
  size_t unchanged = 0;
  while (stored.Step()) {
    auto it = by_id.find(stored.ColumnTextView(0));
    unchanged += it != by_id.end() && it->second->content_hash == stored.ColumnBlob(1);
  }
  if (unchanged * 2 > writes.size()) return false;
  auto open = c.Prepare("INSERT INTO employee_bulk_load(id, tokens_rowid) VALUES(1, ?1)");
  open.Bind(1, kTokensWrittenInline);
  open.Run();
  std::vector<std::pair<std::string, std::string>> indexes;
  auto list = c.Prepare(
      "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "WHERE i.indrelid IN (CAST('employees' AS regclass), CAST('employee_name_tokens' AS regclass)) "
      "AND NOT i.indisunique");
  while (list.Step()) indexes.emplace_back(list.ColumnText(0), list.ColumnText(1));
  auto keep = c.Prepare("INSERT INTO employee_deferred_indexes(name, sql) VALUES(?1, ?2)");
  for (const auto& [name, sql] : indexes) {
    keep.Bind(1, name).Bind(2, sql);
    keep.Run();
    c.Exec("DROP INDEX \"" + name + "\"");
  }
  return true;
}

// One step of finishing an open bulk load, in the caller's transaction: the
// tokens of the next rows above the mark, else the next deferred index, else
// closing the load. False once none is open (closed now or before).
bool FinishBulkLoadStep(Connection& c, int64_t token_rows_per_step) {
  auto tokens_rowid = BulkTokensRowid(c);
  if (!tokens_rowid) return false;
  const int64_t max_rowid = MaxSeq(c);
  if (*tokens_rowid < max_rowid) {
    FillTokens(c, *tokens_rowid, std::min(max_rowid, *tokens_rowid + token_rows_per_step));
    return true;
  }
  auto next = c.Prepare("SELECT name, sql FROM employee_deferred_indexes LIMIT 1");
  if (!next.Step()) {
    next.Reset();
    c.Exec("DELETE FROM employee_bulk_load");
    return false;
  }
  const std::string name = next.ColumnText(0), sql = next.ColumnText(1);
  next.Reset();
  // PostgreSQL's statement timeout (30 s) bounds requests, not a build whose
  // time follows the table's size; off for this transaction. (Its
  // maintenance_work_mem stays the server's: at 1 M employees, 256 MB built
  // the token index in 8.6 s where the default 64 MB, spilling, took 5.4 s.)
  if (c.dialect() == Dialect::kPostgres) c.Exec("SET LOCAL statement_timeout = 0");
  c.Exec(sql);
  auto done = c.Prepare("DELETE FROM employee_deferred_indexes WHERE name = ?1");
  done.Bind(1, name);
  done.Run();
  return true;
}

}  // namespace

std::vector<std::string> EmployeeStore::StoredWorkRegions(std::span<const EmployeeWrite> writes) {
  return db_.Read([&](Connection& c) {
    std::vector<std::string> out(writes.size());
    if (c.dialect() == Dialect::kSqlite) {
      auto s = c.Prepare("SELECT work_region_code FROM employees WHERE employee_id = ?1");
      for (size_t i = 0; i < writes.size(); ++i) {
        s.Bind(1, writes[i].employee.employee_id);
        if (s.Step()) out[i] = s.ColumnText(0);
      }
      return out;
    }
    // PostgreSQL: a chunk of ids per round trip (see kRowsPerStatement).
    static const ChunkSql kRegions([](size_t rows) {
      return "SELECT employee_id, work_region_code FROM employees WHERE employee_id IN (" +
             Params(1, static_cast<int>(rows)) + ")";
    });
    ForEachChunk(writes.size(), [&](size_t first, size_t count) {
      auto s = c.Prepare(kRegions(count));
      for (size_t r = 0; r < count; ++r) s.Bind(static_cast<int>(r) + 1, writes[first + r].employee.employee_id);
      while (s.Step()) {
        for (size_t r = 0; r < count; ++r) {
          if (writes[first + r].employee.employee_id == s.ColumnTextView(0)) out[first + r] = s.ColumnText(1);
        }
      }
    });
    return out;
  });
}

EmployeeStore::BatchResult EmployeeStore::UpsertBatch(std::span<const EmployeeWrite> writes, bool may_open_bulk_load) {
  // In id order: neighbouring rows share pages of the unique id index.
  std::vector<uint32_t> order(writes.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return writes[a].employee.employee_id < writes[b].employee.employee_id; });
  if (db_.dialect() == Dialect::kPostgres) {
    // The batch is one SERIALIZABLE transaction, re-run when it collides with
    // another; a bulk load it may open, one before it.
    bool opened = false;
    if (may_open_bulk_load && !BulkLoadOpen()) {
      try {
        opened = db_.Write([&](Connection& c) { return OpenBulkLoadOnPostgres(c, writes); });
      } catch (const StoreError& e) {  // a speed-up only; should the store be down, the batch says so
        log::Warn("import goes on without a bulk load", {{"error", e.what()}});
      }
    }
    BatchResult out = db_.Write([&](Connection& c) {
      BatchResult batch;
      batch.results.resize(writes.size());
      ReadMatchWatermark(c);
      WriteStatements statements(c);
      ApplyInChunks(statements, writes, order, NowMicros(), BulkTokensRowid(c), batch.results);
      return batch;
    });
    // Owned only once its first batch is in: should that fail, the load is
    // left to the import's end like one a crash left.
    if (opened) out.bulk_opened = bulk_owned_ = true;
    return out;
  }
  // SQLite. A batch inserts into six indexes at random places:
  // with SQLite's default 2 MB page cache nearly every row reads pages back,
  // and a checkpoint after every batch writes each hot index page to the
  // database file again. So a batch's connection gets a larger cache, which
  // it keeps (freeing it after each batch only fragments the heap; the pool
  // hands out its most recently used connection, so batches mostly reuse
  // one), and checkpoints wait until the WAL holds kImportWalPages (a page
  // changed by many batches is copied once). That one is set back after the
  // batch, so the next ordinary commit checkpoints.
  // A batch commits without its own fsync (synchronous=NORMAL: the WAL stays
  // consistent; a power cut may undo the last batches, as if the import had
  // been cut off there). The import is answered only after a FULL commit
  // (its idempotency record), and that fsync of the WAL covers every batch.
  auto lease = db_.Acquire();
  lease->Exec("PRAGMA cache_size=-" + std::to_string(kImportCacheKib) + "; PRAGMA wal_autocheckpoint=" +
              std::to_string(kImportWalPages) + "; PRAGMA synchronous=NORMAL");
  struct Restore {
    Connection& c;
    ~Restore() {
      try {
        c.Exec("PRAGMA wal_autocheckpoint=1000; PRAGMA synchronous=FULL");  // 1000: SQLite's default
      } catch (const StoreError&) {  // pragmas without I/O; nothing to undo
      }
    }
  } restore{*lease};
  Transaction tx(*lease);
  BatchResult out;
  out.results.resize(writes.size());
  std::optional<int64_t> bulk = BulkTokensRowid(*lease);
  // In a bulk load the stored rows are looked up only for ids the insert
  // finds taken (Apply); otherwise first, to decide whether to open one.
  const bool existing_known = !bulk;
  std::vector<std::optional<Existing>> existing(writes.size());
  size_t to_write = 0;
  if (existing_known) {
    WriteStatements statements(*lease);  // reset before the indexes may be dropped below
    for (uint32_t i : order) {
      existing[i] = FindExisting(statements, writes[i].employee.employee_id);
      to_write += !existing[i] || existing[i]->content_hash != writes[i].content_hash;
    }
  }
  if (!bulk && may_open_bulk_load && to_write * 2 >= writes.size()) {
    // Opening: every row so far has its tokens; the secondary indexes (all
    // but the unique id's automatic one) go, their SQL kept.
    bulk = MaxSeq(*lease);
    auto open = lease->Prepare("INSERT INTO employee_bulk_load(id, tokens_rowid) VALUES(1, ?1)");
    open.Bind(1, *bulk);
    open.Run();
    std::vector<std::pair<std::string, std::string>> indexes;
    auto list = lease->Prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('employees', "
        "'employee_name_tokens') AND sql IS NOT NULL");
    while (list.Step()) indexes.emplace_back(list.ColumnText(0), list.ColumnText(1));
    list.Reset();
    auto keep = lease->Prepare("INSERT INTO employee_deferred_indexes(name, sql) VALUES(?1, ?2)");
    for (const auto& [name, sql] : indexes) {
      keep.Bind(1, name).Bind(2, sql);
      keep.Run();
      lease->Exec("DROP INDEX \"" + name + "\"");
    }
    out.bulk_opened = true;
  }
  const int64_t now = NowMicros();
  {
    WriteStatements statements(*lease);
    for (uint32_t i : order) {
      out.results[i] =
          Apply(statements, writes[i], std::move(existing[i]), existing_known, now, /*want_employee=*/false, bulk)
              .result;
    }
  }
  tx.Commit();
  if (out.bulk_opened) bulk_owned_ = true;
  return out;
}

bool EmployeeStore::BulkLoadOpen() {
  return db_.Read([](Connection& c) { return BulkTokensRowid(c).has_value(); });
}

int64_t EmployeeStore::ApproximateRows() {
  return db_.Read([](Connection& c) { return MaxSeq(c); });
}

void EmployeeStore::FinishBulkLoad() {
  // Steps of their own transactions, each re-reading the state: another
  // writer may come in between (it sees the load still open and keeps to its
  // rules), and a crash between steps leaves a consistent state to go on from.
  constexpr int64_t kTokenRowsPerStep = 200000;
  bulk_owned_ = false;  // should this fail, the load is left unowned: the next import's end retries
  if (db_.dialect() == Dialect::kPostgres) {
    // An index per transaction; CREATE INDEX blocks other writers (not
    // readers) while it sorts. Tokens to fill only after the refolding
    // upgrade (migration 9), a statement per token there: smaller steps.
    while (db_.Write([](Connection& c) { return FinishBulkLoadStep(c, kTokenRowsPerStep / 10); })) {
    }
    return;
  }
  auto lease = db_.Acquire();
  // The sorter of CREATE INDEX may use a second core. Its memory follows the
  // page cache, and a small one sorts faster (more, smaller runs merged) and
  // keeps the registry's peak memory down: in the sqlite3 shell, 8 MB built
  // the token index of a million employees in 3.1 s at a 37.5 MB peak; 48 MB
  // took 3.6 s at 203 MB (3.9 s at 154 MB with one sort thread).
  // Steps commit without their own fsync, as import batches do: the
  // import is answered after a FULL commit that covers them, and a power
  // cut before it leaves the load open, to be finished at the next start.
  lease->Exec("PRAGMA cache_size=-" + std::to_string(kIndexCacheKib) + "; PRAGMA threads=2; PRAGMA synchronous=NORMAL");
  struct Restore {
    Connection& c;
    ~Restore() {
      try {
        c.Exec("PRAGMA threads=0; PRAGMA synchronous=FULL");
      } catch (const StoreError&) {
      }
    }
  } restore{*lease};
  for (bool more = true; more;) {
    Transaction tx(*lease);
    more = FinishBulkLoadStep(*lease, kTokenRowsPerStep);
    tx.Commit();
  }
}

}  // namespace netra::registry

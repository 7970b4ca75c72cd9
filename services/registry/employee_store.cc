#include "services/registry/employee_store.h"

#include <algorithm>
#include <array>
#include <bit>
#include <deque>
#include <unordered_map>

#include "absl/time/clock.h"
#include "common/log.h"
#include "common/names.h"
#include "services/registry/employee_reads.h"

namespace netra::registry {
namespace {

using namespace employee_rows;

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// What a search filters on, as the token rows repeat it.
struct SearchColumns {
  std::string name_key, work_region_code, agency_code;
  int64_t employee_type;
  bool operator==(const SearchColumns&) const = default;
};

// The statements of a run of writes on one connection (store SQL, see
// ForDialect), each prepared once for the run: an import batch writes
// thousands of rows through the same few, and preparing per row (a cache lookup keyed by the SQL text, and the
// text copied) was about 6% of an import's CPU.
class WriteStatements {
 public:
  explicit WriteStatements(Connection& c) : c_(c) {}
  Connection& connection() { return c_; }
  Statement& operator()(std::string_view sql) {
    for (auto& [text, statement] : prepared_) {
      if (text.data() == sql.data() || text == sql) return statement;
    }
    return prepared_.emplace_back(sql, c_.Prepare(ForDialect(c_, sql))).second;
  }

 private:
  Connection& c_;
  std::deque<std::pair<std::string_view, Statement>> prepared_;  // deque: references stay valid
};

// What a write needs to know of the stored row.
struct Existing {
  int64_t seq, version, created_at;
  std::string content_hash, nik_hmac;
  DisciplinaryState state;
  SearchColumns search;
};

constexpr std::string_view kExistingColumns =
    "SELECT employee_seq, version, created_at, content_hash, nik_hmac, disciplinary_state, name_key, "
    "work_region_code, agency_code, employee_type, employee_id FROM employees WHERE employee_id ";

// A row selected with kExistingColumns.
Existing ReadExisting(const Statement& s) {
  return Existing{s.ColumnInt64(0),
                  s.ColumnInt64(1),
                  s.ColumnInt64(2),
                  s.ColumnBlob(3),
                  s.ColumnIsNull(4) ? std::string() : s.ColumnBlob(4),
                  static_cast<DisciplinaryState>(s.ColumnInt64(5)),
                  {s.ColumnText(6), s.ColumnText(7), s.ColumnText(8), s.ColumnInt64(9)}};
}

std::optional<Existing> FindExisting(WriteStatements& statements, const std::string& employee_id) {
  static const std::string kFindOne = std::string(kExistingColumns) + "= ?1";
  auto& s = statements(kFindOne);
  s.Bind(1, employee_id);
  if (!s.Step()) return std::nullopt;
  return ReadExisting(s);
}

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

// "(?b+1, ..., ?b+k)" for `rows` rows of `per_row` parameters, comma-separated;
// `row` writes one row given the number of its first parameter.
template <typename Row>
std::string RowsSql(size_t rows, int per_row, Row&& row) {
  std::string out;
  for (size_t r = 0; r < rows; ++r) {
    if (r) out += ", ";
    out += row(static_cast<int>(r) * per_row + 1);
  }
  return out;
}

// "?n, ?n+1, ..., ?n+k-1"
std::string Params(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i ? ", ?" : "?") + std::to_string(first + i);
  return out;
}

// An insert of `rows` new employees (each bound as BindContent from
// (r * kInsertParams) on, then the time): the ids it took and their seq.
constexpr int kInsertParams = 21;
std::string InsertSql(size_t rows) {
  return "INSERT INTO employees(employee_id, employee_type, agency_staff_id, name, name_key, gender, birth_date, "
         "agency_code, agency_name, unit_code, unit_name, position, rank, work_region_code, employment_status, "
         "ppk_code, ppk_name, ppk_region_code, content_hash, nik_hmac, disciplinary_state, version, created_at, "
         "updated_at) VALUES " +
         RowsSql(rows, kInsertParams,
                 [](int b) {
                   const std::string now = "?" + std::to_string(b + 20);
                   return "(" + Params(b, 20) + ", 1, 1, " + now + ", " + now + ")";
                 }) +
         " ON CONFLICT(employee_id) DO NOTHING RETURNING employee_seq, employee_id";
}

constexpr std::string_view kTokenColumns =
    "(token_seq, token, name_key, employee_id, work_region_code, agency_code, employee_type)";

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

// Binds the client-supplied columns as ?1..?18 (the order of the INSERT below).
void BindContent(Statement& s, const EmployeeWrite& w, const std::string& name_key, int base = 0) {
  const Employee& e = w.employee;
  s.Bind(base + 1, e.employee_id)
      .Bind(base + 2, static_cast<int64_t>(e.employee_type))
      .Bind(base + 3, e.agency_staff_id)
      .Bind(base + 4, e.name)
      .Bind(base + 5, name_key)
      .Bind(base + 6, static_cast<int64_t>(e.gender))
      .Bind(base + 7, DateNumber(e.birth_date))
      .Bind(base + 8, e.agency_code)
      .Bind(base + 9, e.agency_name)
      .Bind(base + 10, e.unit_code)
      .Bind(base + 11, e.unit_name)
      .Bind(base + 12, e.position)
      .Bind(base + 13, e.rank)
      .Bind(base + 14, e.work_region_code)
      .Bind(base + 15, static_cast<int64_t>(e.employment_status))
      .Bind(base + 16, e.ppk.code)
      .Bind(base + 17, e.ppk.name)
      .Bind(base + 18, e.ppk.region_code);
  s.BindBlob(base + 19, w.content_hash);
  if (w.nik_hmac.empty()) s.BindNull(base + 20);
  else s.BindBlob(base + 20, w.nik_hmac);
}

int64_t MaxSeq(Connection& c) {
  auto s = c.Prepare(ForDialect(c, "SELECT COALESCE(MAX(employee_seq), 0) FROM employees"));
  s.Step();
  return s.ColumnInt64(0);
}

// On PostgreSQL, a transaction that may add employees reads the party
// screening's watermark (PartyScreeningStore::MatchNewEmployees): should a
// match pass on another replica move it past this transaction's new rows
// before they commit, each of the two has read what the other wrote, and
// SERIALIZABLE re-runs one, so no new employee is skipped. (SQLite's writers
// take turns.)
void ReadMatchWatermark(Connection& c) {
  if (c.dialect() != Dialect::kPostgres) return;
  auto s = c.Prepare("SELECT employees_matched_to FROM party_screening_state");
  while (s.Step()) {
  }
}

// Whether a row has (or is to have) its name tokens now: not while a bulk
// load has yet to reach it (the load writes them when it finishes).
bool HasTokens(int64_t seq, const std::optional<int64_t>& bulk_tokens_rowid) {
  return !bulk_tokens_rowid || seq <= *bulk_tokens_rowid;
}

// Writes the name tokens of employee `seq`, replacing any it had.
void WriteTokens(WriteStatements& statements, int64_t seq, std::string_view employee_id, std::string_view name_key,
                 std::string_view work_region_code, std::string_view agency_code, int64_t employee_type, bool replace) {
  const int64_t first = seq * static_cast<int64_t>(kMaxNameTokens);
  if (replace) {
    auto& drop = statements("DELETE FROM employee_name_tokens WHERE token_seq >= ?1 AND token_seq < ?2");
    drop.Bind(1, first).Bind(2, first + static_cast<int64_t>(kMaxNameTokens));
    drop.Run();
  }
  static const std::string kAddToken =
      "INSERT INTO employee_name_tokens" + std::string(kTokenColumns) + " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  auto& add = statements(kAddToken);
  int64_t n = 0;
  for (std::string_view token : NameTokens(name_key)) {
    add.Bind(1, first + n++)
        .Bind(2, token)
        .Bind(3, name_key)
        .Bind(4, employee_id)
        .Bind(5, work_region_code)
        .Bind(6, agency_code)
        .Bind(7, employee_type);
    add.Run();
  }
}

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

// Writes one validated employee given what is stored (if anything; when
// `existing_known` is false, it is looked up only if the insert finds the
// id taken: a bulk load's rows are nearly all new, and that saves a lookup
// per row). The stored employee is built only when asked for (imports do
// not need it).
StoredWrite Apply(WriteStatements& statements, const EmployeeWrite& w, std::optional<Existing> existing,
                  bool existing_known, int64_t now, bool want_employee,
                  const std::optional<int64_t>& bulk_tokens_rowid) {
  StoredWrite out{UpsertResult::kUnchanged, {}};
  if (existing && existing->content_hash == w.content_hash &&
      (w.nik_hmac.empty() || w.nik_hmac == existing->nik_hmac)) {
    return out;
  }
  Employee e;
  if (want_employee) e = w.employee;
  e.nik_on_file = !w.nik_hmac.empty() || (existing && !existing->nik_hmac.empty());
  e.update_micros = now;
  const SearchColumns search{w.name_key, w.employee.work_region_code, w.employee.agency_code,
                             w.employee.employee_type};
  bool inserted = false;
  int64_t seq = 0;
  if (!existing) {
    static const std::string kInsertOne = InsertSql(1);
    auto& insert = statements(kInsertOne);
    BindContent(insert, w, search.name_key);
    insert.Bind(21, now);
    inserted = insert.Step();
    if (inserted) seq = insert.ColumnInt64(0);
    insert.Reset();
    if (!inserted) {
      // Known absent earlier in this transaction: then no one could have taken the id since.
      if (existing_known) {
        throw StoreError(StoreError::Kind::kConstraint, 0, "an employee id appeared within its own write");
      }
      return Apply(statements, w, FindExisting(statements, w.employee.employee_id), /*existing_known=*/true, now,
                   want_employee, bulk_tokens_rowid);
    }
  }
  if (inserted) {
    if (HasTokens(seq, bulk_tokens_rowid)) {
      WriteTokens(statements, seq, w.employee.employee_id, search.name_key, search.work_region_code,
                  search.agency_code, search.employee_type, /*replace=*/false);
    }
    out.result = UpsertResult::kCreated;
    e.version = 1;
    e.create_micros = now;
    e.disciplinary_state = DisciplinaryState::kNone;
  } else {
    auto& update = statements(
        "UPDATE employees SET employee_type = ?2, agency_staff_id = ?3, name = ?4, name_key = ?5, gender = ?6, "
        "birth_date = ?7, agency_code = ?8, agency_name = ?9, unit_code = ?10, unit_name = ?11, position = ?12, "
        "rank = ?13, work_region_code = ?14, employment_status = ?15, ppk_code = ?16, ppk_name = ?17, "
        "ppk_region_code = ?18, content_hash = ?19, nik_hmac = COALESCE(?20, nik_hmac), version = version + 1, "
        "updated_at = ?21 WHERE employee_id = ?1");
    BindContent(update, w, search.name_key);
    update.Bind(21, now);
    update.Run();
    if (existing->search != search && HasTokens(existing->seq, bulk_tokens_rowid)) {
      WriteTokens(statements, existing->seq, w.employee.employee_id, search.name_key, search.work_region_code,
                  search.agency_code, search.employee_type, /*replace=*/true);
    }
    out.result = UpsertResult::kUpdated;
    e.version = existing->version + 1;
    e.create_micros = existing->created_at;
    e.disciplinary_state = existing->state;
    if (want_employee) LoadRecords(statements.connection(), e);
  }
  out.employee = std::move(e);
  return out;
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

}  // namespace

int RefoldNameKeys(Database& db) {
  // A PostgreSQL store starts at migration 9's form (no marker): its keys were folded as written.
  if (db.dialect() == Dialect::kPostgres) return 0;
  return db.Write([](Connection& c) {
    {
      auto marker = c.Prepare(
          "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'employee_name_keys_to_refold'");
      marker.Step();
      if (marker.ColumnInt64(0) == 0) return 0;
    }
    std::vector<std::pair<std::string, std::string>> keys;  // employee_id, new name_key
    {
      auto select = c.Prepare("SELECT employee_id, name, name_key FROM employees");
      while (select.Step()) {
        std::string key = FoldName(select.ColumnTextView(1));
        if (key != select.ColumnTextView(2)) keys.emplace_back(select.ColumnText(0), std::move(key));
      }
    }
    auto update = c.Prepare("UPDATE employees SET name_key = ?2 WHERE employee_id = ?1");
    for (const auto& [id, key] : keys) update.Bind(1, id).Bind(2, key).Run();
    // Every employee's tokens change (spelling keys, joined words): all are
    // written again, in order, by a bulk load from mark 0, as migration 7's were.
    c.Exec("DELETE FROM employee_name_tokens");
    c.Exec(
        "INSERT INTO employee_bulk_load(id, tokens_rowid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM employees) "
        "ON CONFLICT(id) DO UPDATE SET tokens_rowid = 0");
    c.Exec("DROP TABLE employee_name_keys_to_refold");
    log::Info("registry store upgraded: employee name keys refolded", {{"employees", std::to_string(keys.size())}});
    return static_cast<int>(keys.size());
  });
}

EmployeeStore::EmployeeStore(Database& db, SearchPlanning planning) : db_(db), planning_(planning) {
  RefoldNameKeys(db_);
}

Result<UpsertOutcome> EmployeeStore::Upsert(const EmployeeWrite& w, int64_t expected_version,
                                            const Idempotency& idempotency) {
  return db_.Write([&](Connection& c) -> Result<UpsertOutcome> {
    auto replayed = ReplayRequest(c, idempotency);
    if (!replayed.ok()) return replayed.error();
    if (replayed.value()) {
      UpsertOutcome replay;
      replay.replayed = std::move(replayed.value());
      return replay;
    }
    const std::string& id = w.employee.employee_id;
    WriteStatements statements(c);
    auto existing = FindExisting(statements, id);
    if (expected_version == 0 && existing) return Error::AlreadyExists("employee", id);
    if (expected_version > 0 && !existing) return Error::NotFound("employee", id);
    if (expected_version > 0 && existing->version != expected_version) {
      return Error::Aborted("employee", id, expected_version, existing->version);
    }
    if (!existing) ReadMatchWatermark(c);
    StoredWrite stored =
        Apply(statements, w, existing, /*existing_known=*/true, NowMicros(), /*want_employee=*/true, BulkTokensRowid(c));
    UpsertOutcome outcome;
    outcome.result = stored.result;
    if (stored.result == UpsertResult::kUnchanged) outcome.employee = *FindIn(c, id);
    else outcome.employee = std::move(stored.employee);
    if (idempotency.encode) netra::RecordRequest(c, idempotency, idempotency.encode(outcome.employee, outcome.result));
    return outcome;
  });
}

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
    // No bulk load: other replicas go on writing and searching while an
    // import runs, and dropping the indexes would lock them out (DROP INDEX
    // locks the table) and then leave their searches scanning. The batch is
    // one SERIALIZABLE transaction, re-run when it collides with another.
    return db_.Write([&](Connection& c) {
      BatchResult out;
      out.results.resize(writes.size());
      ReadMatchWatermark(c);
      WriteStatements statements(c);
      ApplyInChunks(statements, writes, order, NowMicros(), BulkTokensRowid(c), out.results);
      return out;
    });
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
  if (db_.dialect() == Dialect::kPostgres) return;  // opens none (UpsertBatch)
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
  for (;;) {
    Transaction tx(*lease);
    auto tokens_rowid = BulkTokensRowid(*lease);
    if (!tokens_rowid) return;
    const int64_t max_rowid = MaxSeq(*lease);
    if (*tokens_rowid < max_rowid) {
      FillTokens(*lease, *tokens_rowid, std::min(max_rowid, *tokens_rowid + kTokenRowsPerStep));
    } else {
      auto next = lease->Prepare("SELECT name, sql FROM employee_deferred_indexes LIMIT 1");
      if (next.Step()) {
        const std::string name = next.ColumnText(0), sql = next.ColumnText(1);
        next.Reset();
        lease->Exec(sql);
        auto done = lease->Prepare("DELETE FROM employee_deferred_indexes WHERE name = ?1");
        done.Bind(1, name);
        done.Run();
      } else {
        next.Reset();
        lease->Exec("DELETE FROM employee_bulk_load");
        tx.Commit();
        return;
      }
    }
    tx.Commit();
  }
}

Result<DisciplinaryOutcome> EmployeeStore::SetDisciplinary(const DisciplinaryUpdate& u) {
  return db_.Write([&](Connection& c) -> Result<DisciplinaryOutcome> {
    WriteStatements statements(c);
    auto existing = FindExisting(statements, u.employee_id);
    if (!existing) return Error::NotFound("employee", u.employee_id);
    if (u.expected_version > 0 && existing->version != u.expected_version) {
      return Error::Aborted("employee", u.employee_id, u.expected_version, existing->version);
    }
    DisciplinaryOutcome outcome;
    auto stored_seq = c.Prepare(
        "SELECT source_sequence FROM disciplinary_records WHERE employee_id = ?1 AND case_id = ?2");
    stored_seq.Bind(1, u.employee_id).Bind(2, u.record.case_id);
    const bool newer = !stored_seq.Step() || stored_seq.ColumnInt64(0) < u.record.source_sequence;
    stored_seq.Reset();
    if (newer) {
      const int64_t now = NowMicros();
      std::string forms;
      for (int f : u.record.forms) forms += (forms.empty() ? "" : ",") + std::to_string(f);
      auto put = c.Prepare(
          "INSERT INTO disciplinary_records(employee_id, case_id, state, level, forms, decree_number, decree_date, "
          "end_date, source_sequence, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
          "ON CONFLICT(employee_id, case_id) DO UPDATE SET state = excluded.state, level = excluded.level, "
          "forms = excluded.forms, decree_number = excluded.decree_number, decree_date = excluded.decree_date, "
          "end_date = excluded.end_date, source_sequence = excluded.source_sequence, updated_at = excluded.updated_at");
      put.Bind(1, u.employee_id)
          .Bind(2, u.record.case_id)
          .Bind(3, static_cast<int64_t>(u.record.state))
          .Bind(4, static_cast<int64_t>(u.record.level))
          .Bind(5, forms)
          .Bind(6, u.record.decree_number)
          .Bind(7, u.record.decree_date.empty() ? 0 : DateNumber(u.record.decree_date))
          .Bind(8, u.record.end_date.empty() ? 0 : DateNumber(u.record.end_date))
          .Bind(9, u.record.source_sequence)
          .Bind(10, now);
      put.Run();
      // The summary is the most severe state over all cases (numbered so that max works).
      auto summary = c.Prepare(
          "UPDATE employees SET disciplinary_state = (SELECT COALESCE(MAX(state), 1) FROM disciplinary_records "
          "WHERE employee_id = ?1), version = version + 1, updated_at = ?2 WHERE employee_id = ?1");
      summary.Bind(1, u.employee_id).Bind(2, now);
      summary.Run();
      outcome.changed = true;
    }
    outcome.employee = *FindIn(c, u.employee_id);
    return outcome;
  });
}

std::optional<std::pair<std::string, std::string>> EmployeeStore::FindRequest(const std::string& method,
                                                                             const std::string& request_id) {
  return db_.Read([&](Connection& c) -> std::optional<std::pair<std::string, std::string>> {
    auto recorded = FindRequestRecord(c, method, request_id);
    if (!recorded) return std::nullopt;
    return std::pair{std::move(recorded->request_hash), std::move(recorded->response)};
  });
}

void EmployeeStore::RecordRequest(const std::string& method, const std::string& request_id,
                                  const std::string& request_hash, const std::string& response) {
  db_.Write([&](Connection& c) { netra::RecordRequest(c, {method, request_id, request_hash}, response); });
}

}  // namespace netra::registry

#include "services/registry/employee_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <deque>
#include <limits>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace netra::registry {
namespace {

constexpr std::string_view kColumns =
    "employee_id, employee_type, agency_staff_id, name, gender, birth_date, agency_code, agency_name, unit_code, "
    "unit_name, position, rank, work_region_code, employment_status, ppk_code, ppk_name, ppk_region_code, "
    "nik_hmac IS NOT NULL, disciplinary_state, version, created_at, updated_at";

int64_t DateNumber(const DateValue& d) { return d.year * 10000 + d.month * 100 + d.day; }
DateValue DateFromNumber(int64_t n) {
  return DateValue{static_cast<int>(n / 10000), static_cast<int>(n / 100 % 100), static_cast<int>(n % 100)};
}

int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

// Reads a row selected with kColumns (from column `base` on).
Employee ReadEmployee(const Statement& s) {
  Employee e;
  e.employee_id = s.ColumnText(0);
  e.employee_type = static_cast<int>(s.ColumnInt64(1));
  if (e.employee_type == static_cast<int>(EmployeeType::kPns)) e.nip = e.employee_id;
  else if (e.employee_type == static_cast<int>(EmployeeType::kPppk)) e.ni_pppk = e.employee_id;
  e.agency_staff_id = s.ColumnText(2);
  e.name = s.ColumnText(3);
  e.gender = static_cast<int>(s.ColumnInt64(4));
  e.birth_date = DateFromNumber(s.ColumnInt64(5));
  e.agency_code = s.ColumnText(6);
  e.agency_name = s.ColumnText(7);
  e.unit_code = s.ColumnText(8);
  e.unit_name = s.ColumnText(9);
  e.position = s.ColumnText(10);
  e.rank = s.ColumnText(11);
  e.work_region_code = s.ColumnText(12);
  e.employment_status = static_cast<EmploymentStatus>(s.ColumnInt64(13));
  e.ppk = {s.ColumnText(14), s.ColumnText(15), s.ColumnText(16)};
  e.nik_on_file = s.ColumnInt64(17) != 0;
  e.disciplinary_state = static_cast<DisciplinaryState>(s.ColumnInt64(18));
  e.version = s.ColumnInt64(19);
  e.create_micros = s.ColumnInt64(20);
  e.update_micros = s.ColumnInt64(21);
  return e;
}

// The records in force (tombstones of cleared cases left out), by case id.
std::vector<DisciplinaryRecord> ReadRecords(Connection& c, const std::string& employee_id) {
  auto s = c.Prepare(
      "SELECT case_id, state, level, forms, decree_number, decree_date, end_date, source_sequence, updated_at "
      "FROM disciplinary_records WHERE employee_id = ?1 AND state <> 1 ORDER BY case_id");
  s.Bind(1, employee_id);
  std::vector<DisciplinaryRecord> out;
  while (s.Step()) {
    DisciplinaryRecord r;
    r.case_id = s.ColumnText(0);
    r.state = static_cast<DisciplinaryState>(s.ColumnInt64(1));
    r.level = static_cast<int>(s.ColumnInt64(2));
    for (absl::string_view f : absl::StrSplit(s.ColumnText(3), ',', absl::SkipEmpty())) {
      r.forms.push_back(std::stoi(std::string(f)));
    }
    r.decree_number = s.ColumnText(4);
    if (int64_t d = s.ColumnInt64(5)) r.decree_date = DateFromNumber(d);
    if (int64_t d = s.ColumnInt64(6)) r.end_date = DateFromNumber(d);
    r.source_sequence = s.ColumnInt64(7);
    r.update_micros = s.ColumnInt64(8);
    out.push_back(std::move(r));
  }
  return out;
}

void LoadRecords(Connection& c, Employee& e) {
  if (e.disciplinary_state != DisciplinaryState::kNone) e.disciplinary_records = ReadRecords(c, e.employee_id);
}

std::optional<Employee> FindIn(Connection& c, const std::string& employee_id) {
  auto s = c.Prepare("SELECT " + std::string(kColumns) + " FROM employees WHERE employee_id = ?1");
  s.Bind(1, employee_id);
  if (!s.Step()) return std::nullopt;
  Employee e = ReadEmployee(s);
  s.Reset();
  LoadRecords(c, e);
  return e;
}

// What a search filters on, as the token rows repeat it.
struct SearchColumns {
  std::string name_key, work_region_code, agency_code;
  int64_t employee_type;
  bool operator==(const SearchColumns&) const = default;
};

// The statements of a run of writes on one connection, each prepared once
// for the run: an import batch writes thousands of rows through the same
// few, and preparing per row (a cache lookup keyed by the SQL text, and the
// text copied) was about 6% of an import's CPU.
class WriteStatements {
 public:
  explicit WriteStatements(Connection& c) : c_(c) {}
  Connection& connection() { return c_; }
  Statement& operator()(std::string_view sql) {
    for (auto& [text, statement] : prepared_) {
      if (text.data() == sql.data() || text == sql) return statement;
    }
    return prepared_.emplace_back(sql, c_.Prepare(sql)).second;
  }

 private:
  Connection& c_;
  std::deque<std::pair<std::string_view, Statement>> prepared_;  // deque: references stay valid
};

// What a write needs to know of the stored row.
struct Existing {
  int64_t rowid, version, created_at;
  std::string content_hash, nik_hmac;
  DisciplinaryState state;
  SearchColumns search;
};

std::optional<Existing> FindExisting(WriteStatements& statements, const std::string& employee_id) {
  auto& s = statements(
      "SELECT rowid, version, created_at, content_hash, nik_hmac, disciplinary_state, name_key, work_region_code, "
      "agency_code, employee_type FROM employees WHERE employee_id = ?1");
  s.Bind(1, employee_id);
  if (!s.Step()) return std::nullopt;
  return Existing{s.ColumnInt64(0),
                  s.ColumnInt64(1),
                  s.ColumnInt64(2),
                  s.ColumnBlob(3),
                  s.ColumnIsNull(4) ? std::string() : s.ColumnBlob(4),
                  static_cast<DisciplinaryState>(s.ColumnInt64(5)),
                  {s.ColumnText(6), s.ColumnText(7), s.ColumnText(8), s.ColumnInt64(9)}};
}

// Binds the client-supplied columns as ?1..?18 (the order of the INSERT below).
void BindContent(Statement& s, const EmployeeWrite& w, const std::string& name_key) {
  const Employee& e = w.employee;
  s.Bind(1, e.employee_id)
      .Bind(2, static_cast<int64_t>(e.employee_type))
      .Bind(3, e.agency_staff_id)
      .Bind(4, e.name)
      .Bind(5, name_key)
      .Bind(6, static_cast<int64_t>(e.gender))
      .Bind(7, DateNumber(e.birth_date))
      .Bind(8, e.agency_code)
      .Bind(9, e.agency_name)
      .Bind(10, e.unit_code)
      .Bind(11, e.unit_name)
      .Bind(12, e.position)
      .Bind(13, e.rank)
      .Bind(14, e.work_region_code)
      .Bind(15, static_cast<int64_t>(e.employment_status))
      .Bind(16, e.ppk.code)
      .Bind(17, e.ppk.name)
      .Bind(18, e.ppk.region_code);
  s.BindBlob(19, w.content_hash);
  if (w.nik_hmac.empty()) s.BindNull(20);
  else s.BindBlob(20, w.nik_hmac);
}

// The open bulk load's mark (rows above it have no name tokens yet), or
// nullopt when no bulk load is open.
std::optional<int64_t> BulkTokensRowid(Connection& c) {
  auto s = c.Prepare("SELECT tokens_rowid FROM employee_bulk_load");
  if (!s.Step()) return std::nullopt;
  return s.ColumnInt64(0);
}

int64_t MaxRowid(Connection& c) {
  auto s = c.Prepare("SELECT COALESCE(MAX(rowid), 0) FROM employees");
  s.Step();
  return s.ColumnInt64(0);
}

// Whether a row has (or is to have) its name tokens now: not while a bulk
// load has yet to reach it (the load writes them when it finishes).
bool HasTokens(int64_t rowid, const std::optional<int64_t>& bulk_tokens_rowid) {
  return !bulk_tokens_rowid || rowid <= *bulk_tokens_rowid;
}

// Writes the name tokens of employee `rowid`, replacing any it had.
void WriteTokens(WriteStatements& statements, int64_t rowid, std::string_view employee_id, std::string_view name_key,
                 std::string_view work_region_code, std::string_view agency_code, int64_t employee_type, bool replace) {
  const int64_t first = rowid * static_cast<int64_t>(kMaxNameTokens);
  if (replace) {
    auto& drop = statements("DELETE FROM employee_name_tokens WHERE rowid >= ?1 AND rowid < ?2");
    drop.Bind(1, first).Bind(2, first + static_cast<int64_t>(kMaxNameTokens));
    drop.Run();
  }
  auto& add = statements(
      "INSERT INTO employee_name_tokens(rowid, token, name_key, employee_id, work_region_code, agency_code, "
      "employee_type) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
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
  auto rows = c.Prepare(
      "SELECT rowid, employee_id, name_key, work_region_code, agency_code, employee_type FROM employees "
      "WHERE rowid > ?1 AND rowid <= ?2 ORDER BY rowid");
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
  if (!existing) {
    auto& insert = statements(
        "INSERT INTO employees(employee_id, employee_type, agency_staff_id, name, name_key, gender, birth_date, "
        "agency_code, agency_name, unit_code, unit_name, position, rank, work_region_code, employment_status, "
        "ppk_code, ppk_name, ppk_region_code, content_hash, nik_hmac, disciplinary_state, version, created_at, "
        "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20, 1, 1, ?21, ?21) ON CONFLICT(employee_id) DO NOTHING");
    BindContent(insert, w, search.name_key);
    insert.Bind(21, now);
    insert.Run();
    inserted = statements.connection().Changes() > 0;
    if (!inserted) {
      // Known absent earlier in this transaction: then no one could have taken the id since.
      if (existing_known) throw SqliteError(SQLITE_CONSTRAINT, "an employee id appeared within its own write");
      return Apply(statements, w, FindExisting(statements, w.employee.employee_id), /*existing_known=*/true, now,
                   want_employee, bulk_tokens_rowid);
    }
  }
  if (inserted) {
    const int64_t rowid = statements.connection().LastInsertRowId();
    if (HasTokens(rowid, bulk_tokens_rowid)) {
      WriteTokens(statements, rowid, w.employee.employee_id, search.name_key, search.work_region_code,
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
    if (existing->search != search && HasTokens(existing->rowid, bulk_tokens_rowid)) {
      WriteTokens(statements, existing->rowid, w.employee.employee_id, search.name_key, search.work_region_code,
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

}  // namespace

std::optional<Employee> EmployeeStore::Find(const std::string& employee_id) {
  return db_.Read([&](Connection& c) { return FindIn(c, employee_id); });
}

std::optional<std::string> EmployeeStore::NameKey(const std::string& employee_id) {
  return db_.Read([&](Connection& c) -> std::optional<std::string> {
    auto s = c.Prepare("SELECT name_key FROM employees WHERE employee_id = ?1");
    s.Bind(1, employee_id);
    if (!s.Step()) return std::nullopt;
    return s.ColumnText(0);
  });
}

namespace {

// A row's place in search order.
struct SearchKey {
  std::string name_key, employee_id;
  auto operator<=>(const SearchKey&) const = default;
};

// The page a search returns, collected from rows offered in any order, each
// possibly more than once: the first `limit` keys, sorted, each once.
class PageCollector {
 public:
  explicit PageCollector(int limit) : limit_(static_cast<size_t>(std::max(limit, 1))) {}
  bool full() const { return keys_.size() >= limit_; }
  // Whether a row at `key` could still make the page (so one after it in
  // name order could too only if this could).
  bool Wants(const SearchKey& key) const { return !full() || key < keys_.back(); }
  void Offer(SearchKey key) {
    if (!Wants(key)) return;
    auto at = std::lower_bound(keys_.begin(), keys_.end(), key);
    if (at != keys_.end() && *at == key) return;
    keys_.insert(at, std::move(key));
    if (keys_.size() > limit_) keys_.pop_back();
  }
  const std::vector<SearchKey>& keys() const { return keys_; }

 private:
  size_t limit_;
  std::vector<SearchKey> keys_;
};

// The smallest string above every string that starts with `prefix`; empty
// when there is none (no valid UTF-8 string gets there).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// The distinct name tokens that start with `prefix` (not empty), in order;
// at most `limit` of them. One index seek each.
std::vector<std::string> TokensStartingWith(Connection& c, const std::string& prefix, int64_t limit) {
  const std::string end = PrefixEnd(prefix);
  const std::string bound = end.empty() ? "" : " AND token < ?2";
  auto first = c.Prepare("SELECT token FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token "
                         "WHERE token >= ?1" + bound + " ORDER BY token LIMIT 1");
  auto next = c.Prepare("SELECT token FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token "
                        "WHERE token > ?1" + bound + " ORDER BY token LIMIT 1");
  std::vector<std::string> tokens;
  Statement* s = &first;
  s->Bind(1, prefix);
  while (static_cast<int64_t>(tokens.size()) < limit) {
    if (!end.empty()) s->Bind(2, end);
    if (!s->Step()) break;
    tokens.push_back(s->ColumnText(0));
    s->Reset();
    s = &next;
    s->Bind(1, tokens.back());
  }
  return tokens;
}

}  // namespace

std::vector<Employee> EmployeeStore::Search(const EmployeeQuery& q) {
  // The filters other than the name, on columns that the employees table
  // and the token rows both have; shared by every plan.
  std::string filters;
  if (!q.region_code.empty()) filters += " AND work_region_code = :region";
  if (!q.region_low.empty()) filters += " AND work_region_code >= :lo AND work_region_code < :hi";
  if (!q.agency_code.empty()) filters += " AND agency_code = :agency";
  if (q.employee_type != 0) filters += " AND employee_type = :type";
  if (q.after) filters += " AND (name_key, employee_id) > (:key, :id)";
  auto bind = [&](Statement& s) {
    if (!q.region_code.empty()) s.Bind(s.ParamIndex(":region"), q.region_code);
    if (!q.region_low.empty()) s.Bind(s.ParamIndex(":lo"), q.region_low).Bind(s.ParamIndex(":hi"), q.region_high);
    if (!q.agency_code.empty()) s.Bind(s.ParamIndex(":agency"), q.agency_code);
    if (q.employee_type != 0) s.Bind(s.ParamIndex(":type"), static_cast<int64_t>(q.employee_type));
    if (q.after) s.Bind(s.ParamIndex(":key"), q.after->first).Bind(s.ParamIndex(":id"), q.after->second);
  };
  PageCollector page(q.limit);
  auto matches = [&](const std::string& name_key) { return NameKeyMatches(name_key, q.name_prefixes); };
  // Offers the matching rows of `s` (name_key, employee_id; in name order
  // when `ordered`) until no later row could make the page; false if that
  // took more than `budget` rows.
  auto offer = [&](Statement& s, bool ordered, int64_t budget) {
    for (int64_t read = 0; s.Step();) {
      if (++read > budget) return false;
      SearchKey key{s.ColumnText(0), s.ColumnText(1)};
      if (ordered && !page.Wants(key)) break;
      if (matches(key.name_key)) page.Offer(std::move(key));
    }
    return true;
  };
  constexpr int64_t kNoBudget = std::numeric_limits<int64_t>::max();
  // Merge: for each token, its employees in name order from the page
  // position (the token index holds the filters too), until they pass the
  // page's last row.
  auto merge = [&](Connection& c, const std::vector<std::string>& tokens) {
    auto s = c.Prepare(
        "SELECT name_key, employee_id FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token "
        "WHERE token = :token" + filters + " ORDER BY name_key, employee_id");
    for (const auto& token : tokens) {
      bind(s);
      s.Bind(s.ParamIndex(":token"), token);
      offer(s, /*ordered=*/true, kNoBudget);
    }
  };
  // Walk: all employees in name order from the page position, through the
  // name index (which holds the filters too). Cost ~ page size / share of
  // employees that match.
  auto walk = [&](Connection& c, int64_t budget) {
    auto s = c.Prepare("SELECT name_key, employee_id FROM employees INDEXED BY employees_by_name WHERE 1" + filters +
                       " ORDER BY name_key, employee_id");
    bind(s);
    return offer(s, /*ordered=*/true, budget);
  };

  return db_.Read([&](Connection& c) {
    if (BulkTokensRowid(c)) {
      // A bulk load is open: no index to use. Every row, tested: exact, but
      // cost ~ table size, and only while the load runs.
      auto s = c.Prepare("SELECT name_key, employee_id FROM employees WHERE 1" + filters);
      bind(s);
      offer(s, /*ordered=*/false, kNoBudget);
    } else if (q.name_prefixes.empty()) {
      walk(c, kNoBudget);
    } else {
      // The driving prefix: the one that starts the fewest distinct tokens.
      const std::string* driver = nullptr;
      std::vector<std::string> tokens;
      for (const auto& prefix : q.name_prefixes) {
        if (prefix.empty()) continue;  // starts every token
        auto found = TokensStartingWith(c, prefix, planning_.max_merge_tokens + 1);
        if (!driver || found.size() < tokens.size()) driver = &prefix, tokens = std::move(found);
      }
      if (!driver) {
        walk(c, kNoBudget);
      } else if (static_cast<int64_t>(tokens.size()) <= planning_.max_merge_tokens) {
        merge(c, tokens);
      } else if (!walk(c, planning_.walk_budget)) {
        merge(c, TokensStartingWith(c, *driver, kNoBudget));
      }
    }
    std::vector<Employee> out;
    auto s = c.Prepare("SELECT " + std::string(kColumns) + " FROM employees WHERE employee_id = ?1");
    for (const auto& key : page.keys()) {
      s.Bind(1, key.employee_id);
      if (s.Step()) out.push_back(ReadEmployee(s));
    }
    s.Reset();
    for (auto& e : out) LoadRecords(c, e);
    return out;
  });
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

EmployeeStore::BatchResult EmployeeStore::UpsertBatch(std::span<const EmployeeWrite> writes, bool may_open_bulk_load) {
  // A batch inserts into six indexes at random places:
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
  // In id order: neighbouring rows share pages of the unique id index.
  std::vector<uint32_t> order(writes.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return writes[a].employee.employee_id < writes[b].employee.employee_id; });
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
    bulk = MaxRowid(*lease);
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
  return db_.Read([](Connection& c) { return MaxRowid(c); });
}

void EmployeeStore::FinishBulkLoad() {
  // Steps of their own transactions, each re-reading the state: another
  // writer may come in between (it sees the load still open and keeps to its
  // rules), and a crash between steps leaves a consistent state to go on from.
  constexpr int64_t kTokenRowsPerStep = 200000;
  bulk_owned_ = false;  // should this fail, the load is left unowned: the next import's end retries
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
    const int64_t max_rowid = MaxRowid(*lease);
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

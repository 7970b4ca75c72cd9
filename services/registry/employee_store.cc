#include "services/registry/employee_store.h"

#include <algorithm>
#include <tuple>

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

// What a write needs to know of the stored row.
struct Existing {
  int64_t rowid, version, created_at;
  std::string name, content_hash, nik_hmac;
  DisciplinaryState state;
};

std::optional<Existing> FindExisting(Connection& c, const std::string& employee_id) {
  auto s = c.Prepare(
      "SELECT rowid, version, created_at, name, content_hash, nik_hmac, disciplinary_state FROM employees "
      "WHERE employee_id = ?1");
  s.Bind(1, employee_id);
  if (!s.Step()) return std::nullopt;
  return Existing{s.ColumnInt64(0),   s.ColumnInt64(1),   s.ColumnInt64(2),
                  s.ColumnText(3),    s.ColumnBlob(4),    s.ColumnIsNull(5) ? std::string() : s.ColumnBlob(5),
                  static_cast<DisciplinaryState>(s.ColumnInt64(6))};
}

// Binds the client-supplied columns as ?1..?18 (the order of the INSERT below).
void BindContent(Statement& s, const EmployeeWrite& w) {
  const Employee& e = w.employee;
  s.Bind(1, e.employee_id)
      .Bind(2, static_cast<int64_t>(e.employee_type))
      .Bind(3, e.agency_staff_id)
      .Bind(4, e.name)
      .Bind(5, FoldName(e.name))
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

// Writes one validated employee given what is stored (if anything); the
// stored employee is built only when asked for (imports do not need it).
// The open bulk load's FTS5 high-water mark (rows above it are not in
// employees_fts), or nullopt when no bulk load is open.
std::optional<int64_t> BulkFtsRowid(Connection& c) {
  auto s = c.Prepare("SELECT fts_rowid FROM employee_bulk_load");
  if (!s.Step()) return std::nullopt;
  return s.ColumnInt64(0);
}

int64_t MaxRowid(Connection& c) {
  auto s = c.Prepare("SELECT COALESCE(MAX(rowid), 0) FROM employees");
  s.Step();
  return s.ColumnInt64(0);
}

// Indexes the rows in (after, upto] in employees_fts, in rowid order (FTS5
// appends a segment instead of merging into one), and moves the open bulk
// load's mark to `upto`.
void FillFts(Connection& c, int64_t after, int64_t upto) {
  auto fill = c.Prepare(
      "INSERT INTO employees_fts(rowid, name) SELECT rowid, name FROM employees WHERE rowid > ?1 AND rowid <= ?2 "
      "ORDER BY rowid");
  fill.Bind(1, after).Bind(2, upto);
  fill.Run();
  auto advance = c.Prepare("UPDATE employee_bulk_load SET fts_rowid = ?1");
  advance.Bind(1, upto);
  advance.Run();
}

// Whether a row is (to be) in employees_fts now: not while a bulk load has
// yet to reach it (it is indexed from the table when the load finishes).
bool InFts(int64_t rowid, const std::optional<int64_t>& bulk_fts_rowid) {
  return !bulk_fts_rowid || rowid <= *bulk_fts_rowid;
}

StoredWrite Apply(Connection& c, const EmployeeWrite& w, const std::optional<Existing>& existing, int64_t now,
                  bool want_employee, const std::optional<int64_t>& bulk_fts_rowid) {
  StoredWrite out{UpsertResult::kUnchanged, {}};
  if (existing && existing->content_hash == w.content_hash &&
      (w.nik_hmac.empty() || w.nik_hmac == existing->nik_hmac)) {
    return out;
  }
  Employee e;
  if (want_employee) e = w.employee;
  e.nik_on_file = !w.nik_hmac.empty() || (existing && !existing->nik_hmac.empty());
  e.update_micros = now;
  if (!existing) {
    auto insert = c.Prepare(
        "INSERT INTO employees(employee_id, employee_type, agency_staff_id, name, name_key, gender, birth_date, "
        "agency_code, agency_name, unit_code, unit_name, position, rank, work_region_code, employment_status, "
        "ppk_code, ppk_name, ppk_region_code, content_hash, nik_hmac, disciplinary_state, version, created_at, "
        "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20, 1, 1, ?21, ?21)");
    BindContent(insert, w);
    insert.Bind(21, now);
    insert.Run();
    if (InFts(c.LastInsertRowId(), bulk_fts_rowid)) {
      auto fts = c.Prepare("INSERT INTO employees_fts(rowid, name) VALUES(?1, ?2)");
      fts.Bind(1, c.LastInsertRowId()).Bind(2, w.employee.name);
      fts.Run();
    }
    out.result = UpsertResult::kCreated;
    e.version = 1;
    e.create_micros = now;
    e.disciplinary_state = DisciplinaryState::kNone;
  } else {
    auto update = c.Prepare(
        "UPDATE employees SET employee_type = ?2, agency_staff_id = ?3, name = ?4, name_key = ?5, gender = ?6, "
        "birth_date = ?7, agency_code = ?8, agency_name = ?9, unit_code = ?10, unit_name = ?11, position = ?12, "
        "rank = ?13, work_region_code = ?14, employment_status = ?15, ppk_code = ?16, ppk_name = ?17, "
        "ppk_region_code = ?18, content_hash = ?19, nik_hmac = COALESCE(?20, nik_hmac), version = version + 1, "
        "updated_at = ?21 WHERE employee_id = ?1");
    BindContent(update, w);
    update.Bind(21, now);
    update.Run();
    if (existing->name != w.employee.name && InFts(existing->rowid, bulk_fts_rowid)) {
      auto drop = c.Prepare("INSERT INTO employees_fts(employees_fts, rowid, name) VALUES('delete', ?1, ?2)");
      drop.Bind(1, existing->rowid).Bind(2, existing->name);
      drop.Run();
      auto add = c.Prepare("INSERT INTO employees_fts(rowid, name) VALUES(?1, ?2)");
      add.Bind(1, existing->rowid).Bind(2, w.employee.name);
      add.Run();
    }
    out.result = UpsertResult::kUpdated;
    e.version = existing->version + 1;
    e.create_micros = existing->created_at;
    e.disciplinary_state = existing->state;
    if (want_employee) LoadRecords(c, e);
  }
  out.employee = std::move(e);
  return out;
}

std::optional<std::pair<std::string, std::string>> FindRequestIn(Connection& c, const std::string& method,
                                                                 const std::string& request_id) {
  auto s = c.Prepare("SELECT request_hash, response FROM request_ids WHERE method = ?1 AND request_id = ?2");
  s.Bind(1, method).Bind(2, request_id);
  if (!s.Step()) return std::nullopt;
  return std::make_pair(s.ColumnBlob(0), s.ColumnBlob(1));
}

void RecordRequestIn(Connection& c, const std::string& method, const std::string& request_id,
                     const std::string& request_hash, const std::string& response) {
  auto s = c.Prepare(
      "INSERT INTO request_ids(request_id, method, request_hash, response, created_at) VALUES(?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(method, request_id) DO NOTHING");
  s.Bind(1, request_id).Bind(2, method).BindBlob(3, request_hash).BindBlob(4, response).Bind(5, NowMicros());
  s.Run();
}

Error ReusedRequestId() {
  Violations v;
  v.Add("request_id", ViolationReason::kInconsistent, "was used before with different request content");
  return Error::Invalid(std::move(v));
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

// A row's place in search order, and where to fetch it.
struct SearchKey {
  std::string name_key, employee_id;
  int64_t rowid;
  auto operator<=>(const SearchKey& o) const { return std::tie(name_key, employee_id) <=> std::tie(o.name_key, o.employee_id); }
  bool operator==(const SearchKey& o) const { return rowid == o.rowid; }
};

// The smallest string above every string that starts with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace

std::vector<Employee> EmployeeStore::Search(const EmployeeQuery& q) {
  // The filters other than the name, shared by every plan.
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
  auto read_keys = [&](Statement& s, std::vector<SearchKey>& keys) {
    while (s.Step()) keys.push_back(SearchKey{s.ColumnText(0), s.ColumnText(1), s.ColumnInt64(2)});
  };
  // Sort plan: every FTS5 match of `fts`, sorted by SQLite; exact, cost ~ matches.
  auto sorted = [&](Connection& c, const std::string& fts, std::vector<SearchKey>& keys) {
    auto s = c.Prepare(
        "SELECT name_key, employee_id, rowid FROM employees WHERE rowid IN (SELECT rowid FROM employees_fts WHERE "
        "employees_fts MATCH :q)" + filters + " ORDER BY name_key, employee_id LIMIT :limit");
    s.Bind(s.ParamIndex(":q"), fts);
    bind(s);
    s.Bind(s.ParamIndex(":limit"), static_cast<int64_t>(q.limit));
    read_keys(s, keys);
  };
  // The rowids of `fts` matches, at most dense_matches of them: when fewer,
  // all of them, and the sort plan takes them from here (one FTS5 pass).
  auto match_rowids = [&](Connection& c, const std::string& fts) {
    auto s = c.Prepare("SELECT rowid FROM employees_fts WHERE employees_fts MATCH ?1 LIMIT ?2");
    s.Bind(1, fts).Bind(2, planning_.dense_matches);
    std::vector<int64_t> rowids;
    while (s.Step()) rowids.push_back(s.ColumnInt64(0));
    return rowids;
  };
  auto sorted_rowids = [&](Connection& c, const std::vector<int64_t>& rowids, std::vector<SearchKey>& keys) {
    auto s = c.Prepare("SELECT name_key, employee_id, rowid FROM employees WHERE rowid = :rowid" + filters);
    std::vector<SearchKey> found;
    for (int64_t rowid : rowids) {
      bind(s);
      s.Bind(s.ParamIndex(":rowid"), rowid);
      read_keys(s, found);
    }
    std::sort(found.begin(), found.end());
    if (static_cast<int>(found.size()) > q.limit) found.resize(static_cast<size_t>(q.limit));
    keys.insert(keys.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  };
  auto few = [&](const std::vector<int64_t>& rowids) { return static_cast<int64_t>(rowids.size()) < planning_.dense_matches; };
  // Walk plan: rows in name order (name_key in [low, high); empty = open)
  // through the index matching the equality filter, tested by `keep`, until
  // a page is full. False when `budget` rows were read first.
  auto walk = [&](Connection& c, const std::string& low, const std::string& high, auto keep,
                  std::vector<SearchKey>& keys, int64_t budget) {
    const char* index = !q.region_code.empty()   ? "employees_by_region"
                        : !q.agency_code.empty() ? "employees_by_agency"
                                                 : "employees_by_name";
    auto s = c.Prepare("SELECT name_key, employee_id, rowid FROM employees INDEXED BY " + std::string(index) +
                       " WHERE 1" + filters + (low.empty() ? "" : " AND name_key >= :nlo") +
                       (high.empty() ? "" : " AND name_key < :nhi") + " ORDER BY name_key, employee_id");
    bind(s);
    if (!low.empty()) s.Bind(s.ParamIndex(":nlo"), low);
    if (!high.empty()) s.Bind(s.ParamIndex(":nhi"), high);
    int64_t read = 0, kept = 0;
    while (kept < q.limit && s.Step()) {
      if (++read > budget) return false;
      std::string name_key = s.ColumnText(0);
      if (!keep(name_key)) continue;
      keys.push_back(SearchKey{std::move(name_key), s.ColumnText(1), s.ColumnInt64(2)});
      ++kept;
    }
    return true;
  };
  auto matches = [&](const std::string& name_key) { return NameKeyMatches(name_key, q.name_prefixes); };

  // Many matches: the page is merged from (1) the names whose first token
  // starts with a query token, contiguous in name order, walked range by
  // range; (2) the others ("rest": FTS5 finds them with no query token at the
  // start, `^`). Only rest names before the last name (1) put on the page can
  // still make it: when the rest is small it is sorted (with the names
  // starting with neither a letter nor a digit walked: FTS5 skips such a
  // start); else the gaps between the ranges are walked up to that name, and
  // sorted after all should the walk find the rest too sparse there.
  auto dense = [&](Connection& c, std::vector<SearchKey>& keys) {
    std::vector<std::pair<std::string, std::string>> ranges;
    for (const auto& prefix : q.name_prefixes) {
      if (!prefix.empty()) ranges.emplace_back(prefix, PrefixEnd(prefix));
    }
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<std::string, std::string>> merged;
    for (auto& range : ranges) {
      if (!merged.empty() && range.first <= merged.back().second) merged.back().second = std::max(merged.back().second, range.second);
      else merged.push_back(std::move(range));
    }
    for (const auto& [low, high] : merged) {
      if (!walk(c, low, high, matches, keys, planning_.walk_budget)) return false;
    }
    std::string bound;  // exclusive upper name_key for the rest; empty = none
    if (static_cast<int>(keys.size()) >= q.limit) {
      std::nth_element(keys.begin(), keys.begin() + (q.limit - 1), keys.end());
      bound = keys[static_cast<size_t>(q.limit - 1)].name_key + '\x01';
    }
    auto below = [&](const std::string& high) { return bound.empty() || (!high.empty() && high < bound) ? high : bound; };
    std::string rest = "(" + q.fts_query + ") NOT (";
    for (size_t i = 0; i < q.fts_tokens.size(); ++i) rest += (i ? " OR ^\"" : "^\"") + q.fts_tokens[i] + "\"*";
    rest += ")";
    if (auto rest_rowids = match_rowids(c, rest); few(rest_rowids)) {
      sorted_rowids(c, rest_rowids, keys);
      for (const auto& [low, high] : {std::pair<std::string, std::string>{"", "0"}, {":", "a"}, {"{", ""}}) {
        if ((below(high).empty() || low < below(high)) && !walk(c, low, below(high), matches, keys, planning_.walk_budget)) {
          return false;
        }
      }
      return true;
    }
    std::string low;  // the gaps between the ranges
    for (size_t i = 0; i <= merged.size(); ++i) {
      const std::string high = below(i < merged.size() ? merged[i].first : "");
      if ((high.empty() || low < high) && !walk(c, low, high, matches, keys, planning_.walk_budget / 4)) {
        sorted(c, rest, keys);
        return true;
      }
      if (i < merged.size()) low = merged[i].second;
      if (!bound.empty() && low >= bound) break;
    }
    return true;
  };

  return db_.Read([&](Connection& c) {
    std::vector<SearchKey> keys;
    if (q.fts_query.empty()) {
      auto s = c.Prepare("SELECT name_key, employee_id, rowid FROM employees WHERE 1" + filters +
                         " ORDER BY name_key, employee_id LIMIT :limit");
      bind(s);
      s.Bind(s.ParamIndex(":limit"), static_cast<int64_t>(q.limit));
      read_keys(s, keys);
    } else if (auto bulk = BulkFtsRowid(c)) {
      // A bulk load is open: no name-ordered index to walk, and the rows
      // above its mark are not in FTS5 yet. Every FTS5 match and every such
      // row whose folded name matches, sorted: exact, but cost ~ matches.
      auto fts = c.Prepare("SELECT rowid FROM employees_fts WHERE employees_fts MATCH ?1");
      fts.Bind(1, q.fts_query);
      std::vector<int64_t> rowids;
      while (fts.Step()) rowids.push_back(fts.ColumnInt64(0));
      sorted_rowids(c, rowids, keys);
      auto tail = c.Prepare("SELECT name_key, employee_id, rowid FROM employees WHERE rowid > :mark" + filters);
      bind(tail);
      tail.Bind(tail.ParamIndex(":mark"), *bulk);
      while (tail.Step()) {
        std::string name_key = tail.ColumnText(0);
        if (!matches(name_key)) continue;
        keys.push_back(SearchKey{std::move(name_key), tail.ColumnText(1), tail.ColumnInt64(2)});
        if (keys.size() > static_cast<size_t>(q.limit) * 4 + 1000) {  // keep memory bounded
          std::sort(keys.begin(), keys.end());
          keys.resize(static_cast<size_t>(q.limit));
        }
      }
    } else if (auto rowids = match_rowids(c, q.fts_query); few(rowids)) {
      sorted_rowids(c, rowids, keys);
    } else if (!dense(c, keys)) {
      keys.clear();
      sorted(c, q.fts_query, keys);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // ranges may overlap
    if (static_cast<int>(keys.size()) > q.limit) keys.resize(static_cast<size_t>(q.limit));
    std::vector<Employee> out;
    {
      auto s = c.Prepare("SELECT " + std::string(kColumns) + " FROM employees WHERE rowid = ?1");
      for (const auto& key : keys) {
        s.Bind(1, key.rowid);
        if (s.Step()) out.push_back(ReadEmployee(s));
      }
    }
    for (auto& e : out) LoadRecords(c, e);
    return out;
  });
}

Result<UpsertOutcome> EmployeeStore::Upsert(const EmployeeWrite& w, int64_t expected_version,
                                            const Idempotency& idempotency) {
  static const std::string kMethod = "UpsertEmployee";
  return db_.Write([&](Connection& c) -> Result<UpsertOutcome> {
    if (auto earlier = FindRequestIn(c, kMethod, idempotency.request_id)) {
      if (earlier->first != idempotency.request_hash) return ReusedRequestId();
      UpsertOutcome replay;
      replay.replayed = std::move(earlier->second);
      return replay;
    }
    const std::string& id = w.employee.employee_id;
    auto existing = FindExisting(c, id);
    if (expected_version == 0 && existing) return Error::AlreadyExists("employee", id);
    if (expected_version > 0 && !existing) return Error::NotFound("employee", id);
    if (expected_version > 0 && existing->version != expected_version) {
      return Error::Aborted("employee", id, expected_version, existing->version);
    }
    StoredWrite stored = Apply(c, w, existing, NowMicros(), /*want_employee=*/true, BulkFtsRowid(c));
    UpsertOutcome outcome;
    outcome.result = stored.result;
    if (stored.result == UpsertResult::kUnchanged) outcome.employee = *FindIn(c, id);
    else outcome.employee = std::move(stored.employee);
    if (idempotency.encode_response) {
      RecordRequestIn(c, kMethod, idempotency.request_id, idempotency.request_hash,
                      idempotency.encode_response(outcome.employee, outcome.result));
    }
    return outcome;
  });
}

EmployeeStore::BatchResult EmployeeStore::UpsertBatch(std::span<const EmployeeWrite> writes, bool may_open_bulk_load) {
  // A batch inserts into five indexes and the FTS index at random places:
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
  std::vector<std::optional<Existing>> existing(writes.size());
  size_t to_write = 0;
  for (uint32_t i : order) {
    existing[i] = FindExisting(*lease, writes[i].employee.employee_id);
    to_write += !existing[i] || existing[i]->content_hash != writes[i].content_hash;
  }
  std::optional<int64_t> bulk = BulkFtsRowid(*lease);
  if (!bulk && may_open_bulk_load && to_write * 2 >= writes.size()) {
    // Opening: every row so far is in employees_fts; the secondary indexes
    // (all but the unique id's automatic one) go, their SQL kept.
    bulk = MaxRowid(*lease);
    auto open = lease->Prepare("INSERT INTO employee_bulk_load(id, fts_rowid) VALUES(1, ?1)");
    open.Bind(1, *bulk);
    open.Run();
    std::vector<std::pair<std::string, std::string>> indexes;
    auto list = lease->Prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'employees' AND sql IS NOT NULL");
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
  for (uint32_t i : order) {
    out.results[i] = Apply(*lease, writes[i], existing[i], now, /*want_employee=*/false, bulk).result;
  }
  tx.Commit();
  if (out.bulk_opened) bulk_owned_ = true;
  return out;
}

bool EmployeeStore::BulkLoadOpen() {
  return db_.Read([](Connection& c) { return BulkFtsRowid(c).has_value(); });
}

int64_t EmployeeStore::ApproximateRows() {
  return db_.Read([](Connection& c) { return MaxRowid(c); });
}

void EmployeeStore::FinishBulkLoad() {
  // Steps of their own transactions, each re-reading the state: another
  // writer may come in between (it sees the load still open and keeps to its
  // rules), and a crash between steps leaves a consistent state to go on from.
  constexpr int64_t kFtsRowsPerStep = 200000;
  bulk_owned_ = false;  // should this fail, the load is left unowned: the next import's end retries
  auto lease = db_.Acquire();
  // The sorter of CREATE INDEX may use a second core and a larger cache.
  lease->Exec("PRAGMA cache_size=-" + std::to_string(kImportCacheKib) + "; PRAGMA threads=2");
  struct Restore {
    Connection& c;
    ~Restore() {
      try {
        c.Exec("PRAGMA threads=0");
      } catch (const StoreError&) {
      }
    }
  } restore{*lease};
  for (;;) {
    Transaction tx(*lease);
    auto fts_rowid = BulkFtsRowid(*lease);
    if (!fts_rowid) return;
    const int64_t max_rowid = MaxRowid(*lease);
    if (*fts_rowid < max_rowid) {
      FillFts(*lease, *fts_rowid, std::min(max_rowid, *fts_rowid + kFtsRowsPerStep));
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
    auto existing = FindExisting(c, u.employee_id);
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
  return db_.Read([&](Connection& c) { return FindRequestIn(c, method, request_id); });
}

void EmployeeStore::RecordRequest(const std::string& method, const std::string& request_id,
                                  const std::string& request_hash, const std::string& response) {
  db_.Write([&](Connection& c) { RecordRequestIn(c, method, request_id, request_hash, response); });
}

}  // namespace netra::registry

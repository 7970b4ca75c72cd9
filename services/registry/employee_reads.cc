// The employee store's reads: one employee, and the search over name tokens.
// Writes and imports are in employee_store.cc.
#include "services/registry/employee_reads.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/names.h"
#include "services/registry/employee_store.h"

namespace netra::registry {
namespace employee_rows {

std::string ForDialect(const Connection& c, std::string_view sql) {
  std::string out(sql);
  if (c.dialect() == Dialect::kSqlite) {
    absl::StrReplaceAll({{"employee_seq", "rowid"}, {"token_seq", "rowid"}}, &out);
    return out;
  }
  constexpr std::string_view kHint = " INDEXED BY ";
  for (size_t at; (at = out.find(kHint)) != std::string::npos;) {
    size_t end = at + kHint.size();
    while (end < out.size() && out[end] != ' ') ++end;
    out.erase(at, end - at);
  }
  return out;
}

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

std::optional<int64_t> BulkTokensRowid(Connection& c) {
  auto s = c.Prepare("SELECT tokens_rowid FROM employee_bulk_load");
  if (!s.Step()) return std::nullopt;
  return s.ColumnInt64(0);
}

}  // namespace employee_rows

using namespace employee_rows;

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
// at most `limit` of them. One index seek each: on SQLite a statement per
// seek; on PostgreSQL, where each statement is a round trip, all of them in
// one recursive statement.
std::vector<std::string> TokensStartingWith(Connection& c, const std::string& prefix, int64_t limit) {
  const std::string end = PrefixEnd(prefix);
  const std::string bound = end.empty() ? "" : " AND token < ?2";
  std::vector<std::string> tokens;
  if (c.dialect() == Dialect::kPostgres) {
    const std::string below = end.empty() ? "" : " AND t.token < ?3";
    auto s = c.Prepare(
        "WITH RECURSIVE found(token) AS ("
        " (SELECT t.token FROM employee_name_tokens t WHERE t.token >= ?1" + below + " ORDER BY t.token LIMIT 1)"
        " UNION ALL SELECT (SELECT t.token FROM employee_name_tokens t WHERE t.token > found.token" + below +
        " ORDER BY t.token LIMIT 1) FROM found WHERE found.token IS NOT NULL)"
        " SELECT token FROM found WHERE token IS NOT NULL LIMIT ?2");
    s.Bind(1, prefix).Bind(2, limit);
    if (!end.empty()) s.Bind(3, end);
    while (s.Step()) tokens.push_back(s.ColumnText(0));
    return tokens;
  }
  auto first = c.Prepare(ForDialect(c, "SELECT token FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token "
                                        "WHERE token >= ?1" + bound + " ORDER BY token LIMIT 1"));
  auto next = c.Prepare(ForDialect(c, "SELECT token FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token "
                                       "WHERE token > ?1" + bound + " ORDER BY token LIMIT 1"));
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

// The employees of a page, in its order: on PostgreSQL in one statement.
std::vector<Employee> ReadPage(Connection& c, const std::vector<SearchKey>& keys) {
  std::vector<Employee> out;
  if (c.dialect() == Dialect::kPostgres && !keys.empty()) {
    std::vector<std::string_view> ids;
    for (const auto& key : keys) ids.push_back(key.employee_id);
    auto s = c.Prepare("SELECT " + std::string(kColumns) + " FROM employees WHERE employee_id = ANY(CAST(?1 AS TEXT[]))");
    s.Bind(1, PgArray(ids));
    std::unordered_map<std::string, Employee> found;
    while (s.Step()) {
      Employee e = ReadEmployee(s);
      std::string id = e.employee_id;
      found.emplace(std::move(id), std::move(e));
    }
    for (const auto& key : keys) {
      if (auto it = found.find(key.employee_id); it != found.end()) out.push_back(std::move(it->second));
    }
  } else {
    auto s = c.Prepare("SELECT " + std::string(kColumns) + " FROM employees WHERE employee_id = ?1");
    for (const auto& key : keys) {
      s.Bind(1, key.employee_id);
      if (s.Step()) out.push_back(ReadEmployee(s));
    }
  }
  for (auto& e : out) LoadRecords(c, e);
  return out;
}

}  // namespace

std::vector<Employee> EmployeeStore::Search(const EmployeeQuery& q) {
  // The filters other than the name and the page position, on columns that
  // the employees table and the token rows both have; shared by every plan.
  std::string filters;
  if (!q.region_code.empty()) filters += " AND work_region_code = :region";
  if (!q.region_low.empty()) filters += " AND work_region_code >= :lo AND work_region_code < :hi";
  if (!q.agency_code.empty()) filters += " AND agency_code = :agency";
  if (q.employee_type != 0) filters += " AND employee_type = :type";
  constexpr std::string_view kAfter = " AND (name_key, employee_id) > (:key, :id)";
  auto bind = [&](Statement& s) {
    if (!q.region_code.empty()) s.Bind(s.ParamIndex(":region"), q.region_code);
    if (!q.region_low.empty()) s.Bind(s.ParamIndex(":lo"), q.region_low).Bind(s.ParamIndex(":hi"), q.region_high);
    if (!q.agency_code.empty()) s.Bind(s.ParamIndex(":agency"), q.agency_code);
    if (q.employee_type != 0) s.Bind(s.ParamIndex(":type"), static_cast<int64_t>(q.employee_type));
  };
  PageCollector page(q.limit);
  const NameMatcher matches(q.name_prefixes);
  constexpr int64_t kNoBudget = std::numeric_limits<int64_t>::max();
  // Offers the matching rows of `from` (a FROM and WHERE clause; `token`
  // binds :token when given) in name order from the page position, until no
  // later row could make the page; false if that took more than `budget`
  // rows. The rows come in chunks, each resumed after the last row read:
  // PostgreSQL hands over a statement's whole result at once, so one
  // unbounded statement would read every row of a common token, or every
  // employee, before the first could be looked at.
  auto scan = [&](Connection& c, const std::string& from, const std::string* token, int64_t budget) {
    std::optional<SearchKey> position;
    if (q.after) position = SearchKey{q.after->first, q.after->second};
    int64_t read = 0, chunk = std::max<int64_t>(2 * q.limit, 64);
    constexpr int64_t kMaxChunk = 4096;
    for (;;) {
      auto s = c.Prepare(ForDialect(c, "SELECT name_key, employee_id " + from + filters +
                                           std::string(position ? kAfter : "") +
                                           " ORDER BY name_key, employee_id LIMIT :chunk"));
      bind(s);
      if (token != nullptr) s.Bind(s.ParamIndex(":token"), *token);
      if (position) s.Bind(s.ParamIndex(":key"), position->name_key).Bind(s.ParamIndex(":id"), position->employee_id);
      s.Bind(s.ParamIndex(":chunk"), chunk);
      int64_t rows = 0;
      while (s.Step()) {
        ++rows;
        if (++read > budget) return false;
        SearchKey key{s.ColumnText(0), s.ColumnText(1)};
        if (!page.Wants(key)) return true;
        if (matches(key.name_key)) page.Offer(key);
        position = std::move(key);
      }
      if (rows < chunk) return true;  // no more rows
      chunk = std::min(chunk * 2, kMaxChunk);
    }
  };
  // Merge: for each token, its employees in name order from the page
  // position (the token index holds the filters too), until they pass the
  // page's last row.
  auto merge = [&](Connection& c, const std::vector<std::string>& tokens) {
    const std::string from = "FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token WHERE token = :token";
    for (const auto& token : tokens) scan(c, from, &token, kNoBudget);
  };
  // Walk: all employees in name order from the page position, through the
  // name index (which holds the filters too). Cost ~ page size / share of
  // employees that match.
  auto walk = [&](Connection& c, int64_t budget) {
    return scan(c, "FROM employees INDEXED BY employees_by_name WHERE TRUE", nullptr, budget);
  };

  return db_.Read([&](Connection& c) {
    if (BulkTokensRowid(c)) {
      // A bulk load is open: no index to use. Every row, tested: exact, but
      // cost ~ table size, and only while the load runs. In chunks along the
      // primary key, so that PostgreSQL never hands over the whole table.
      const int64_t chunk = std::max<int64_t>(planning_.bulk_scan_chunk, 1);
      auto s = c.Prepare(ForDialect(c, "SELECT name_key, employee_id, employee_seq FROM employees WHERE employee_seq > "
                                       ":seq" + filters + std::string(q.after ? kAfter : "") +
                                       " ORDER BY employee_seq LIMIT :chunk"));
      for (int64_t seq = 0, rows = chunk; rows == chunk;) {
        bind(s);
        if (q.after) s.Bind(s.ParamIndex(":key"), q.after->first).Bind(s.ParamIndex(":id"), q.after->second);
        s.Bind(s.ParamIndex(":seq"), seq).Bind(s.ParamIndex(":chunk"), chunk);
        for (rows = 0; s.Step(); ++rows) {
          SearchKey key{s.ColumnText(0), s.ColumnText(1)};
          seq = s.ColumnInt64(2);
          if (matches(key.name_key)) page.Offer(std::move(key));
        }
        s.Reset();
      }
    } else if (q.name_prefixes.empty()) {
      walk(c, kNoBudget);
    } else {
      // The driving prefix: the one that starts the fewest distinct tokens.
      const std::string* driver = nullptr;
      std::vector<std::string> tokens;
      // A prefix matches in its own form or its spelling key (NameKeyMatches).
      auto starting_with = [&](const std::string& prefix, int64_t limit) {
        auto found = TokensStartingWith(c, prefix, limit);
        const std::string spelled = SpellingKey(prefix);
        if (spelled != prefix && !spelled.empty()) {
          for (auto& token : TokensStartingWith(c, spelled, limit)) found.push_back(std::move(token));
          std::sort(found.begin(), found.end());
          found.erase(std::unique(found.begin(), found.end()), found.end());
        }
        return found;
      };
      for (const auto& prefix : q.name_prefixes) {
        if (prefix.empty()) continue;  // starts every token
        auto found = starting_with(prefix, planning_.max_merge_tokens + 1);
        if (!driver || found.size() < tokens.size()) driver = &prefix, tokens = std::move(found);
      }
      if (!driver) {
        walk(c, kNoBudget);
      } else if (static_cast<int64_t>(tokens.size()) <= planning_.max_merge_tokens) {
        merge(c, tokens);
      } else if (!walk(c, planning_.walk_budget)) {
        merge(c, starting_with(*driver, kNoBudget));
      }
    }
    return ReadPage(c, page.keys());
  });
}

}  // namespace netra::registry

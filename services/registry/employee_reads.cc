// The employee store's reads: one employee, and the search over name tokens.
// Writes and imports are in employee_store.cc.
#include "services/registry/employee_reads.h"

#include <algorithm>
#include <functional>
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

// Where a scan goes on from: the rows after `key` (the last row read, or the
// page position), or from `key` on (a leap's target).
struct Position {
  SearchKey key;
  bool inclusive = false;
  bool Holds(const SearchKey& row) const { return inclusive ? row >= key : row > key; }
  // Whether every row this position holds, `from` holds too.
  bool Within(const Position& from) const {
    return from.key < key || (from.key == key && (from.inclusive || !inclusive));
  }
};

// One token of a conjunction's other prefix, as a leap last sought it: its
// first row held by `from` (none: no row). Still its first row from any later
// position that row is held by, so a token whose next row lies far ahead is
// not sought again leap after leap.
struct TokenCursor {
  std::string token;
  std::optional<Position> from;  // none: not sought yet
  std::optional<SearchKey> first;
  bool Knows(const Position& at) const { return from && at.Within(*from) && (!first || at.Holds(*first)); }
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
  // A subtree of regions (a province) is a filter on the rows an index walk
  // reads, never an index condition: blind to the bounds, PostgreSQL's
  // generic plan would take an index led by the region instead and sort the
  // whole province for every chunk. So there the bounds are compared to an
  // expression, which no index has. (SQLite's plans are pinned by INDEXED BY,
  // and the expression would cost it an allocation per row.)
  if (!q.region_low.empty()) {
    filters += db_.dialect() == Dialect::kPostgres
                   ? " AND work_region_code || '' >= :lo AND work_region_code || '' < :hi"
                   : " AND work_region_code >= :lo AND work_region_code < :hi";
  }
  if (!q.agency_code.empty()) filters += " AND agency_code = :agency";
  if (q.employee_type != 0) filters += " AND employee_type = :type";
  constexpr std::string_view kAfter = " AND (name_key, employee_id) > (:key, :id)";
  constexpr std::string_view kFrom = " AND (name_key, employee_id) >= (:key, :id)";
  auto bind = [&](Statement& s) {
    if (!q.region_code.empty()) s.Bind(s.ParamIndex(":region"), q.region_code);
    if (!q.region_low.empty()) s.Bind(s.ParamIndex(":lo"), q.region_low).Bind(s.ParamIndex(":hi"), q.region_high);
    if (!q.agency_code.empty()) s.Bind(s.ParamIndex(":agency"), q.agency_code);
    if (q.employee_type != 0) s.Bind(s.ParamIndex(":type"), static_cast<int64_t>(q.employee_type));
  };
  PageCollector page(q.limit);
  const NameMatcher matches(q.name_prefixes);
  constexpr int64_t kNoBudget = std::numeric_limits<int64_t>::max();
  // The rows of `from` (a FROM and WHERE clause) that pass the filters and
  // come at or after the position (bound as :key, :id), in name order, at
  // most :chunk of them.
  auto rows_of = [&](const std::string& from, const std::optional<Position>& at) {
    const std::string_view bound = !at ? "" : at->inclusive ? kFrom : kAfter;
    return "SELECT name_key, employee_id " + from + filters + std::string(bound) +
           " ORDER BY name_key, employee_id LIMIT :chunk";
  };
  using RowsSql = std::function<std::string(const std::optional<Position>&)>;
  using BindMore = std::function<void(Statement&)>;
  auto bind_position = [](Statement& s, const std::optional<Position>& at) {
    if (at) s.Bind(s.ParamIndex(":key"), at->key.name_key).Bind(s.ParamIndex(":id"), at->key.employee_id);
  };
  // One statement of a scan: the next `chunk` rows of `sql` from
  // `position`; offers those matching until no later row could make the
  // page, and moves `position` past the last row read. kMore: a full chunk,
  // every row still wanted.
  enum class Chunk { kMore, kDone, kOverBudget };
  int64_t read = 0;     // rows read by this search's scans
  int64_t barren = 0;   // of them, rows read since the last match
  auto next_chunk = [&](Connection& c, const RowsSql& sql, const BindMore& bind_more,
                        std::optional<Position>& position, int64_t chunk, int64_t budget) {
    auto s = c.Prepare(ForDialect(c, sql(position)));
    bind(s);
    bind_more(s);
    bind_position(s, position);
    s.Bind(s.ParamIndex(":chunk"), chunk);
    int64_t rows = 0;
    while (s.Step()) {
      ++rows;
      if (++read > budget) return Chunk::kOverBudget;
      SearchKey key{s.ColumnText(0), s.ColumnText(1)};
      if (!page.Wants(key)) return Chunk::kDone;
      if (matches(key.name_key)) page.Offer(key), barren = 0;
      else ++barren;
      position = Position{std::move(key)};
    }
    return rows < chunk ? Chunk::kDone : Chunk::kMore;
  };
  // The token index to read one token's rows through: scoped to one region,
  // that region's rows only (the index led by (token, region)).
  const bool one_region = !q.region_code.empty();
  const std::string token_rows = one_region
      ? "FROM employee_name_tokens INDEXED BY employee_name_tokens_by_region WHERE token = :token"
      : "FROM employee_name_tokens INDEXED BY employee_name_tokens_by_token WHERE token = :token";
  // Brings the cursors that do not know their first row held by `at` up to
  // it: on PostgreSQL in one statement (an index seek per token, in the
  // server), on SQLite a seek per token.
  auto seek = [&](Connection& c, std::vector<TokenCursor>& cursors, const Position& at) {
    std::vector<TokenCursor*> stale;
    for (auto& cursor : cursors) {
      if (!cursor.Knows(at)) stale.push_back(&cursor), cursor.from = at, cursor.first.reset();
    }
    if (stale.empty()) return;
    if (c.dialect() == Dialect::kPostgres) {
      std::vector<std::string_view> wanted;
      for (const TokenCursor* cursor : stale) wanted.push_back(cursor->token);
      auto s = c.Prepare(
          "SELECT t.i, r.name_key, r.employee_id FROM unnest(CAST(:tokens AS TEXT[])) WITH ORDINALITY AS t(wanted, i) "
          "CROSS JOIN LATERAL (" + rows_of("FROM employee_name_tokens WHERE token = t.wanted", at) + ") AS r");
      bind(s);
      bind_position(s, at);
      s.Bind(s.ParamIndex(":tokens"), PgArray(wanted)).Bind(s.ParamIndex(":chunk"), int64_t{1});
      while (s.Step()) {
        stale.at(static_cast<size_t>(s.ColumnInt64(0) - 1))->first = SearchKey{s.ColumnText(1), s.ColumnText(2)};
      }
      return;
    }
    auto s = c.Prepare(ForDialect(c, rows_of(token_rows, at)));
    for (TokenCursor* cursor : stale) {
      bind(s);
      bind_position(s, at);
      s.Bind(s.ParamIndex(":token"), cursor->token).Bind(s.ParamIndex(":chunk"), int64_t{1});
      if (s.Step()) cursor->first = SearchKey{s.ColumnText(0), s.ColumnText(1)};
    }
  };
  // A conjunction's other prefixes, each as the tokens it starts (when few):
  // a match holds a token of each. After a run of the driving token's rows
  // without a match, the scan leaps to the first row at or after which every
  // one of these prefixes has a row: nothing before it can match. `budi san`
  // in a province read 4,037 rows of `santoso` (`agus santoso`, ...) before
  // the first `budi santoso`. A seek costs several rows' reading, and where
  // the other prefix is common (`budiman` follows most first names) a leap
  // skips few, so a scan leaps only after kRowsPerSeek rows without a match
  // for each seek it would make (4: measured against 2, 8 and no leaps).
  constexpr int64_t kRowsPerSeek = 4;
  std::vector<std::vector<TokenCursor>> leap_prefixes;
  auto worth_a_leap = [&](const Position& at) {
    int64_t seeks = 0;
    for (const auto& cursors : leap_prefixes) {
      for (const auto& cursor : cursors) seeks += !cursor.Knows(at);
    }
    return !leap_prefixes.empty() && barren > 0 && barren >= kRowsPerSeek * seeks;
  };
  auto leap = [&](Connection& c, Position at) -> std::optional<Position> {
    for (auto& cursors : leap_prefixes) {
      seek(c, cursors, at);
      const SearchKey* first = nullptr;
      for (const auto& cursor : cursors) {
        if (cursor.first && (!first || *cursor.first < *first)) first = &*cursor.first;
      }
      if (!first) return std::nullopt;
      at = Position{*first, true};
    }
    return at;
  };
  const int64_t first_chunk = std::max<int64_t>(2 * q.limit, 64);
  // Offers the matching rows of `from` in name order from `position` (the
  // page position by default), until no later row could make the page; false
  // if the search's scans read more than `budget` rows. The rows come in
  // chunks, each resumed after the last row read: PostgreSQL hands over a
  // statement's whole result at once, so one unbounded statement would read
  // every row of a common token, or every employee, before the first could
  // be looked at.
  auto scan = [&](Connection& c, const std::string& from, const BindMore& bind_more, int64_t budget,
                  std::optional<Position> position) {
    constexpr int64_t kMaxChunk = 4096;
    const RowsSql sql = [&](const std::optional<Position>& at) { return rows_of(from, at); };
    barren = 0;
    for (int64_t chunk = first_chunk;; chunk = std::min(chunk * 2, kMaxChunk)) {
      switch (next_chunk(c, sql, bind_more, position, chunk, budget)) {
        case Chunk::kMore:
          if (worth_a_leap(*position)) {
            position = leap(c, *position), barren = 0;
            if (!position || !page.Wants(position->key)) return true;
          }
          continue;
        case Chunk::kDone: return true;
        case Chunk::kOverBudget: return false;
      }
    }
  };
  std::optional<Position> page_position;
  if (q.after) page_position = Position{SearchKey{q.after->first, q.after->second}};
  // Merge: for each token, its employees in name order from the page
  // position (the token index holds the filters too), until they pass the
  // page's last row. On PostgreSQL, where each statement is a round trip,
  // the first chunk of all the tokens is one statement (each token's first
  // rows, merged in the server): a page of common tokens is found there.
  // Only when it is not do the tokens go on one by one, from where that
  // chunk ended: a merged chunk reads a chunk of every token's rows to hand
  // over one chunk, too dear to repeat when matches are sparse.
  auto merge = [&](Connection& c, const std::vector<std::string>& tokens) {
    std::optional<Position> position = page_position;
    if (c.dialect() == Dialect::kPostgres && tokens.size() > 1) {
      std::vector<std::string_view> wanted(tokens.begin(), tokens.end());
      const RowsSql merged = [&](const std::optional<Position>& at) {
        return "SELECT name_key, employee_id FROM unnest(CAST(:tokens AS TEXT[])) AS t(wanted) CROSS JOIN LATERAL (" +
               rows_of("FROM employee_name_tokens WHERE token = t.wanted", at) +
               ") AS r ORDER BY name_key, employee_id LIMIT :chunk";
      };
      auto bind_tokens = [&](Statement& s) { s.Bind(s.ParamIndex(":tokens"), PgArray(wanted)); };
      if (next_chunk(c, merged, bind_tokens, position, first_chunk, kNoBudget) == Chunk::kDone) return;
    }
    for (const auto& token : tokens) {
      scan(c, token_rows, [&](Statement& s) { s.Bind(s.ParamIndex(":token"), token); }, kNoBudget, position);
    }
  };
  // Walk: all employees (of the one region, when scoped to one) in name
  // order from the page position, through an index that holds the filters
  // too. Cost ~ page size / share of those employees that match.
  auto walk = [&](Connection& c, int64_t budget) {
    return scan(c, one_region ? "FROM employees INDEXED BY employees_by_region_name WHERE TRUE"
                              : "FROM employees INDEXED BY employees_by_name WHERE TRUE",
                [](Statement&) {}, budget, page_position);
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
      std::vector<std::vector<std::string>> others;  // the other prefixes' tokens
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
        if (!driver || found.size() < tokens.size()) {
          if (driver) others.push_back(std::move(tokens));
          driver = &prefix, tokens = std::move(found);
        } else {
          others.push_back(std::move(found));
        }
      }
      for (auto& other : others) {
        if (std::ssize(other) > planning_.max_merge_tokens) continue;  // many seeks for little leap
        auto& cursors = leap_prefixes.emplace_back();
        for (auto& token : other) cursors.push_back(TokenCursor{std::move(token), std::nullopt, std::nullopt});
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

// The employee store's writes, shared by its single writes (employee_store.cc)
// and its import batches and bulk load (employee_batches.cc). Internal to the
// store.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/clock.h"
#include "common/store.h"
#include "services/registry/employee_reads.h"
#include "services/registry/employee_store.h"

namespace netra::registry::employee_rows {

inline int64_t NowMicros() { return absl::ToUnixMicros(absl::Now()); }

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
Existing ReadExisting(const Statement& s);
// The stored row of `employee_id`, if any; `for_update` locks it on PostgreSQL.
std::optional<Existing> FindExisting(WriteStatements& statements, const std::string& employee_id,
                                     bool for_update = false);

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
std::string Params(int first, int count);

// An insert of `rows` new employees (each bound as BindContent from
// (r * kInsertParams) on, then the time): the ids it took and their seq.
constexpr int kInsertParams = 21;
std::string InsertSql(size_t rows);

constexpr std::string_view kTokenColumns =
    "(token_seq, token, name_key, employee_id, work_region_code, agency_code, employee_type)";
// Binds the client-supplied columns as ?1..?18 (the order of the INSERT in InsertSql).
void BindContent(Statement& s, const EmployeeWrite& w, const std::string& name_key, int base = 0);

int64_t MaxSeq(Connection& c);

// On PostgreSQL, a transaction that may add employees reads the party
// screening's watermark (PartyScreeningStore::MatchNewEmployees): should a
// match pass on another replica move it past this transaction's new rows
// before they commit, each of the two has read what the other wrote, and
// SERIALIZABLE re-runs one, so no new employee is skipped. (SQLite's writers
// take turns.)
void ReadMatchWatermark(Connection& c);

// The mark of a bulk load on PostgreSQL: every row has its tokens, written
// with the row (without their index, an append); only indexes are deferred.
inline constexpr int64_t kTokensWrittenInline = std::numeric_limits<int64_t>::max();

// Whether a row has (or is to have) its name tokens now: not while a bulk
// load has yet to reach it (the load writes them when it finishes).
inline bool HasTokens(int64_t seq, const std::optional<int64_t>& bulk_tokens_rowid) {
  return !bulk_tokens_rowid || seq <= *bulk_tokens_rowid;
}

// Writes the name tokens of employee `seq`, replacing any it had.
void WriteTokens(WriteStatements& statements, int64_t seq, std::string_view employee_id, std::string_view name_key,
                 std::string_view work_region_code, std::string_view agency_code, int64_t employee_type, bool replace);

// Inserts one validated employee with its name tokens, or nothing (nullopt)
// when its id is taken.
std::optional<StoredWrite> InsertNew(WriteStatements& statements, const EmployeeWrite& w, int64_t now,
                                     bool want_employee, const std::optional<int64_t>& bulk_tokens_rowid);

// Writes one validated employee given what is stored (if anything; when
// `existing_known` is false, it is looked up only if the insert finds the
// id taken: a bulk load's rows are nearly all new, and that saves a lookup
// per row). The stored employee is built only when asked for (imports do
// not need it).
StoredWrite Apply(WriteStatements& statements, const EmployeeWrite& w, std::optional<Existing> existing,
                  bool existing_known, int64_t now, bool want_employee,
                  const std::optional<int64_t>& bulk_tokens_rowid);

}  // namespace netra::registry::employee_rows

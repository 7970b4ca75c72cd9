// Statements, connections and transactions of both backends: SQLite's here,
// PostgreSQL's handed to common/postgres.cc.
#include "common/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>

#include "common/postgres.h"
#include "common/sqlite_detail.h"

namespace netra {

namespace sqlite_detail {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Describe(int rc, const char* message) {
  return std::string(message ? message : sqlite3_errstr(rc)) + " (" + sqlite3_errstr(rc) +
         ", code " + std::to_string(rc) + ")";
}

}  // namespace sqlite_detail

namespace {

using namespace sqlite_detail;

// Beyond this many distinct SQL texts a connection stops caching (guards
// against callers that build SQL dynamically).
constexpr size_t kMaxCachedStatements = 256;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == ';';
  });
}

int ClassifyOp(std::string_view sql, bool read_only) {
  if (read_only) return kSelect;
  size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
  size_t j = i;
  while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j]))) ++j;
  std::string word = Lower(sql.substr(i, j - i));
  if (word == "select" || word == "with" || word == "values") return kSelect;
  if (word == "insert" || word == "replace") return kInsert;
  if (word == "update") return kUpdate;
  if (word == "delete") return kDelete;
  return kOther;
}

}  // namespace

// ---------------------------------------------------------------- StoreError

StoreError SqliteError(int code, const std::string& message) {
  using Kind = StoreError::Kind;
  Kind kind = Kind::kOther;
  switch (code & 0xff) {  // the primary code
    case SQLITE_CONSTRAINT:
      kind = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY ? Kind::kUniqueViolation
                                                                                     : Kind::kConstraint;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = Kind::kBusy;
      break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      kind = Kind::kUnavailable;
      break;
  }
  return StoreError(kind, code, message);
}

// ---------------------------------------------------------------- Statement

Statement::Statement(Connection* conn, std::string sql, sqlite3_stmt* stmt, int op)
    : conn_(conn), sql_(std::move(sql)), stmt_(stmt), op_(op) {}

Statement::Statement(Connection* conn, std::string sql, postgres::PgStatement* pg, int op)
    : conn_(conn), sql_(std::move(sql)), pg_(pg), op_(op) {}

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_),
      sql_(std::move(other.sql_)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      pg_(std::exchange(other.pg_, nullptr)),
      op_(other.op_),
      stepped_(std::exchange(other.stepped_, false)),
      elapsed_(std::exchange(other.elapsed_, {})) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    conn_ = other.conn_;
    sql_ = std::move(other.sql_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    pg_ = std::exchange(other.pg_, nullptr);
    op_ = other.op_;
    stepped_ = std::exchange(other.stepped_, false);
    elapsed_ = std::exchange(other.elapsed_, {});
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() noexcept {
  if (pg_ != nullptr) {
    if (stepped_) EndExecution();
    stepped_ = false;
    conn_->pg_->Return(std::unique_ptr<postgres::PgStatement>(std::exchange(pg_, nullptr)));
    return;
  }
  if (stmt_ == nullptr) return;
  if (stepped_) EndExecution();
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  conn_->ReturnStatement(std::move(sql_), std::exchange(stmt_, nullptr));
}

void Statement::EndExecution() noexcept {
  conn_->owner_->Observe(op_, elapsed_);
  elapsed_ = {};
}

void Statement::Check(int rc, const char* what) const {
  if (rc != SQLITE_OK) conn_->Throw(rc, std::string(what) + " [" + sql_ + "]");
}

Statement& Statement::Bind(int index, int64_t value) {
  if (stepped_) Reset();
  if (pg_ != nullptr) {
    pg_->BindInt64(index, value);
    return *this;
  }
  Check(sqlite3_bind_int64(stmt_, index, value), "bind int64");
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (stepped_) Reset();
  if (pg_ != nullptr) {
    pg_->BindText(index, text);
    return *this;
  }
  // A null data pointer would bind NULL; an empty string must stay a string.
  const char* data = text.data() != nullptr ? text.data() : "";
  Check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind text");
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  if (stepped_) Reset();
  if (pg_ != nullptr) {
    pg_->BindBlob(index, bytes);
    return *this;
  }
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  Check(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT), "bind blob");
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  if (stepped_) Reset();
  if (pg_ != nullptr) {
    pg_->BindDouble(index, value);
    return *this;
  }
  Check(sqlite3_bind_double(stmt_, index, value), "bind double");
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (stepped_) Reset();
  if (pg_ != nullptr) {
    pg_->BindNull(index);
    return *this;
  }
  Check(sqlite3_bind_null(stmt_, index), "bind null");
  return *this;
}

int Statement::ParamIndex(std::string_view name) const {
  int index = pg_ != nullptr ? pg_->ParamIndex(name) : sqlite3_bind_parameter_index(stmt_, std::string(name).c_str());
  if (index == 0) {
    throw StoreError(StoreError::Kind::kOther, pg_ != nullptr ? 0 : SQLITE_RANGE,
                     "no parameter " + std::string(name) + " in [" + sql_ + "]");
  }
  return index;
}

template <typename Execute>
bool Statement::OnPostgres(Execute execute) {
  auto start = std::chrono::steady_clock::now();
  bool row = false;
  try {
    row = execute();
  } catch (...) {
    conn_->owner_->CountFailure();
    elapsed_ += std::chrono::steady_clock::now() - start;
    stepped_ = true;
    Reset();
    throw;
  }
  elapsed_ += std::chrono::steady_clock::now() - start;
  stepped_ = true;
  if (!row) Reset();
  return row;
}

bool Statement::Step() {
  if (pg_ != nullptr) return OnPostgres([&] { return pg_->Step(); });
  auto start = std::chrono::steady_clock::now();
  int rc = sqlite3_step(stmt_);
  elapsed_ += std::chrono::steady_clock::now() - start;
  stepped_ = true;
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    Reset();  // ends the execution now: releases the read snapshot, allows re-binding
    return false;
  }
  StoreError error = SqliteError(rc, Describe(rc, sqlite3_errmsg(conn_->db_)) + " [" + sql_ + "]");
  conn_->owner_->CountError(error.kind());
  Reset();
  throw error;
}

void Statement::Run() {
  while (Step()) {
  }
}

void Statement::RunDeferred() {
  if (pg_ == nullptr) return Run();
  OnPostgres([&] {
    conn_->pg_->SendDeferred(*pg_);
    return false;  // no rows: the execution ends here
  });
}

void Statement::Reset() {
  if (stepped_) EndExecution();
  stepped_ = false;
  if (pg_ != nullptr) {
    pg_->Reset();
    return;
  }
  sqlite3_reset(stmt_);  // returns the last step's error, already reported by Step
}

int Statement::ColumnCount() const { return pg_ != nullptr ? pg_->ColumnCount() : sqlite3_column_count(stmt_); }

bool Statement::ColumnIsNull(int col) const {
  if (pg_ != nullptr) return pg_->ColumnIsNull(col);
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int col) const {
  return pg_ != nullptr ? pg_->ColumnInt64(col) : sqlite3_column_int64(stmt_, col);
}

double Statement::ColumnDouble(int col) const {
  return pg_ != nullptr ? pg_->ColumnDouble(col) : sqlite3_column_double(stmt_, col);
}

std::string Statement::ColumnText(int col) const { return std::string(ColumnTextView(col)); }

std::string_view Statement::ColumnTextView(int col) const {
  if (pg_ != nullptr) return pg_->ColumnText(col);
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::string Statement::ColumnBlob(int col) const {
  if (pg_ != nullptr) return pg_->ColumnBlob(col);
  const void* blob = sqlite3_column_blob(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  if (blob == nullptr) return {};
  return std::string(static_cast<const char*>(blob), static_cast<size_t>(size));
}

// ---------------------------------------------------------------- Connection

Connection::Connection(Database* owner, sqlite3* db) : owner_(owner), db_(db) {}

Connection::Connection(Database* owner, std::unique_ptr<postgres::PgConnection> pg)
    : owner_(owner), pg_(std::move(pg)) {}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

bool Connection::broken() const { return pg_ != nullptr && pg_->broken(); }

void Connection::Throw(int rc, std::string_view what) const {
  throw SqliteError(rc, std::string(what) + ": " + Describe(rc, sqlite3_errmsg(db_)));
}

// Failures of Prepare, Exec and Step are counted in netra_store_errors_total
// where they happen, so that one caught by the caller (a unique violation
// answered as ALREADY_EXISTS, a conflict re-run) is counted too.
Statement Connection::Prepare(std::string_view sql) try {
  if (pg_ != nullptr) {
    std::unique_ptr<postgres::PgStatement> statement = pg_->Borrow(sql);
    return Statement(this, std::string(sql), statement.release(), ClassifyOp(sql, false));
  }
  sqlite3_stmt* stmt = nullptr;
  if (auto it = cache_.find(sql); it != cache_.end()) {
    stmt = it->second;
    cache_.erase(it);
  } else {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) Throw(rc, "prepare [" + std::string(sql) + "]");
    if (stmt == nullptr) throw SqliteError(SQLITE_MISUSE, "prepare: empty SQL");
    size_t used = static_cast<size_t>(tail - sql.data());
    if (!IsBlank(sql.substr(used))) {
      sqlite3_finalize(stmt);
      throw SqliteError(SQLITE_MISUSE, "prepare takes one statement (use Exec for several): [" +
                                          std::string(sql) + "]");
    }
  }
  return Statement(this, std::string(sql), stmt, ClassifyOp(sql, sqlite3_stmt_readonly(stmt) != 0));
} catch (...) {
  owner_->CountFailure();
  throw;
}

void Connection::ReturnStatement(std::string sql, sqlite3_stmt* stmt) noexcept {
  if (cache_.size() >= kMaxCachedStatements || cache_.contains(sql)) {
    sqlite3_finalize(stmt);  // a second copy (nested use of the same SQL) or cache full
    return;
  }
  try {
    cache_.emplace(std::move(sql), stmt);
  } catch (...) {
    sqlite3_finalize(stmt);
  }
}

void Connection::Exec(std::string_view sql) try {
  if (pg_ != nullptr) {
    pg_->Exec(sql);
    return;
  }
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string described = Describe(rc, message ? message : sqlite3_errmsg(db_));
    sqlite3_free(message);
    throw SqliteError(rc, described);
  }
} catch (...) {
  owner_->CountFailure();
  throw;
}

int64_t Connection::LastInsertRowId() const {
  if (pg_ != nullptr) {
    throw StoreError(StoreError::Kind::kOther, 0, "LastInsertRowId on PostgreSQL: use INSERT ... RETURNING");
  }
  return sqlite3_last_insert_rowid(db_);
}

int64_t Connection::Changes() const { return pg_ != nullptr ? pg_->changes() : sqlite3_changes64(db_); }

void Connection::DeferCheckpoint() {
  if (checkpoint_deferred_ || pg_ != nullptr) return;
  Exec("PRAGMA wal_autocheckpoint=0");
  checkpoint_deferred_ = true;
}

bool Connection::InTransaction() const {
  return pg_ != nullptr ? pg_->InTransaction() : sqlite3_get_autocommit(db_) == 0;
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Connection& conn, Mode mode) : conn_(conn), mode_(mode) {
  auto start = std::chrono::steady_clock::now();
  if (conn_.pg_ != nullptr) {
    try {
      conn_.pg_->BeginTransaction(mode_ == Mode::kImmediate  ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                  : mode_ == Mode::kRowLocks ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                                             : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    } catch (...) {
      conn_.owner_->CountFailure();
      throw;
    }
    open_ = true;
    conn_.unrecorded_claims_.clear();  // a re-run's claims are new ones
    conn_.in_write_ = mode_ != Mode::kDeferred;
    if (mode_ != Mode::kDeferred) conn_.owner_->Observe(kBegin, std::chrono::steady_clock::now() - start);
    return;
  }
  if (mode_ != Mode::kDeferred) {
    conn_.owner_->AcquireWriteGate();
    holds_write_gate_ = true;
  }
  try {
    conn_.Exec(mode_ != Mode::kDeferred ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  } catch (...) {
    Finish();
    throw;
  }
  open_ = true;
  if (mode_ != Mode::kDeferred) {
    conn_.owner_->Observe(kBegin, std::chrono::steady_clock::now() - start);
  }
}

Transaction::~Transaction() { Finish(); }

void Transaction::Commit() {
  if (!open_) throw StoreError(StoreError::Kind::kOther, 0, "commit: transaction already finished");
  auto start = std::chrono::steady_clock::now();
  if (conn_.pg_ != nullptr) {
    try {
      DropUnrecordedClaims();
      conn_.pg_->Commit();
    } catch (...) {
      conn_.owner_->CountFailure();
      throw;
    }
  } else {
    conn_.Exec("COMMIT");  // on failure the destructor rolls back
  }
  if (mode_ != Mode::kDeferred) {
    conn_.owner_->Observe(kCommit, std::chrono::steady_clock::now() - start);
  }
  open_ = false;
  Finish();
}

void Transaction::Rollback() { Finish(); }

void Transaction::DropUnrecordedClaims() {
  for (const auto& claim : conn_.unrecorded_claims_) {
    conn_.Prepare("DELETE FROM request_ids WHERE ctid = CAST(?1 AS tid)").Bind(1, claim.row).RunDeferred();
  }
  conn_.unrecorded_claims_.clear();
}

void Transaction::Finish() noexcept {
  conn_.in_write_ = false;
  if (open_) {
    // SQLite may already have rolled back on its own (I/O error, disk full).
    if (conn_.pg_ != nullptr) {
      if (conn_.InTransaction()) conn_.pg_->ExecQuietly("ROLLBACK");
    } else if (conn_.InTransaction()) {
      sqlite3_exec(conn_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    open_ = false;
  }
  if (holds_write_gate_) {
    holds_write_gate_ = false;
    conn_.owner_->ReleaseWriteGate();
  }
}

// ---------------------------------------------------------------- request records

std::optional<RequestRecord> FindRequestRecord(Connection& c, std::string_view method, std::string_view request_id) {
  auto s = c.Prepare("SELECT request_hash, response FROM request_ids WHERE method = ?1 AND request_id = ?2");
  s.Bind(1, method).Bind(2, request_id);
  if (!s.Step()) return std::nullopt;
  return RequestRecord{s.ColumnBlob(0), s.ColumnBlob(1)};
}

namespace {
int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Result<std::optional<std::string>> ReplayRequest(Connection& c, const RequestKey& key) {
  if (c.dialect() == Dialect::kPostgres && c.in_write_) {
    for (const auto& claim : c.unrecorded_claims_) {  // asked again in the same transaction: still ours
      if (claim.method == key.method && claim.request_id == key.request_id) return std::optional<std::string>();
    }
    auto claim = c.Prepare(
        "INSERT INTO request_ids(request_id, method, request_hash, response, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (method, request_id) DO NOTHING RETURNING ctid");
    claim.Bind(1, key.request_id).Bind(2, key.method).BindBlob(3, key.request_hash).BindBlob(4, "");
    claim.Bind(5, NowMicros());
    if (claim.Step()) {
      c.unrecorded_claims_.push_back({key.method, key.request_id, claim.ColumnText(0)});
      claim.Reset();
      return std::optional<std::string>();
    }
  }
  auto recorded = FindRequestRecord(c, key.method, key.request_id);
  if (!recorded) return std::optional<std::string>();
  auto first = ReplayOf(std::move(*recorded), key.request_hash);
  if (!first.ok()) return first.error();
  return std::optional<std::string>(std::move(first.value()));
}

void RecordRequest(Connection& c, const RequestKey& key, std::string_view response) {
  auto& claims = c.unrecorded_claims_;
  auto claimed = std::find_if(claims.begin(), claims.end(), [&](const Connection::Claim& claim) {
    return claim.method == key.method && claim.request_id == key.request_id;
  });
  if (claimed != claims.end()) {
    // By the row's address (its ctid): a lookup through the index would take
    // the very read lock the claim avoids.
    c.Prepare("UPDATE request_ids SET request_hash = ?2, response = ?3 WHERE ctid = CAST(?1 AS tid)")
        .Bind(1, claimed->row)
        .BindBlob(2, key.request_hash)
        .BindBlob(3, response)
        .RunDeferred();
    claims.erase(claimed);
    return;
  }
  auto s = c.Prepare(
      "INSERT INTO request_ids(request_id, method, request_hash, response, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (method, request_id) DO NOTHING");
  s.Bind(1, key.request_id).Bind(2, key.method).BindBlob(3, key.request_hash).BindBlob(4, response).Bind(5, NowMicros());
  s.RunDeferred();
}

std::string PgArray(std::span<const std::string_view> values) {
  std::string out = "{";
  for (std::string_view value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : value) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// ---------------------------------------------------------------- ParseStoreUrl

std::optional<StoreUrl> ParseStoreUrl(std::string_view url, std::string* error) {
  // Error messages never repeat the URL: a PostgreSQL URL may carry a password.
  auto fail = [&](const std::string& message) -> std::optional<StoreUrl> {
    if (error != nullptr) *error = message;
    return std::nullopt;
  };
  constexpr const char* kWant =
      "; want sqlite:///absolute/path.db, sqlite://relative/path.db or postgresql://...";
  if (url.empty()) return fail(std::string("store URL is empty") + kWant);
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return fail(std::string("store URL has no scheme") + kWant);
  }
  std::string scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  if (scheme == "sqlite") {
    if (rest.empty()) return fail("sqlite store URL has no file path");
    if (rest == ":memory:") {
      return fail("sqlite store must be a file (an in-memory database is not shared by the pool)");
    }
    if (rest.find_first_of("?#") != std::string_view::npos) {
      return fail("sqlite store URL must not have query parameters or a fragment");
    }
    if (rest.back() == '/') return fail("sqlite store URL names a directory, not a file");
    return StoreUrl{"sqlite", std::string(rest)};
  }
  if (scheme == "postgresql" || scheme == "postgres") {
    return StoreUrl{"postgresql", std::string(url)};
  }
  return fail("unsupported store scheme \"" + scheme + "\"" + kWant);
}

}  // namespace netra

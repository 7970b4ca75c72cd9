#include "common/sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/log.h"

namespace netra {
namespace {

// At most this many writes share one group commit, so that one slow group
// cannot hold many callers far beyond their own work.
constexpr size_t kMaxGroupedWrites = 128;

// Operation label of netra_store_seconds; indexes Database::histograms_.
enum Op : int { kSelect, kInsert, kUpdate, kDelete, kOther, kBegin, kCommit, kOpCount };
constexpr const char* kOpNames[kOpCount] = {"select", "insert", "update", "delete",
                                            "other",  "begin",  "commit"};

// Beyond this many distinct SQL texts a connection stops caching (guards
// against callers that build SQL dynamically).
constexpr size_t kMaxCachedStatements = 256;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == ';';
  });
}

int ClassifyOp(std::string_view sql, sqlite3_stmt* stmt) {
  if (sqlite3_stmt_readonly(stmt)) return kSelect;
  size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
  size_t j = i;
  while (j < sql.size() && std::isalpha(static_cast<unsigned char>(sql[j]))) ++j;
  std::string word = Lower(sql.substr(i, j - i));
  if (word == "insert" || word == "replace") return kInsert;
  if (word == "update") return kUpdate;
  if (word == "delete") return kDelete;
  return kOther;
}

std::string Describe(int rc, const char* message) {
  return std::string(message ? message : sqlite3_errstr(rc)) + " (" + sqlite3_errstr(rc) +
         ", code " + std::to_string(rc) + ")";
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

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_),
      sql_(std::move(other.sql_)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      op_(other.op_),
      stepped_(std::exchange(other.stepped_, false)),
      elapsed_(std::exchange(other.elapsed_, {})) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    conn_ = other.conn_;
    sql_ = std::move(other.sql_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    op_ = other.op_;
    stepped_ = std::exchange(other.stepped_, false);
    elapsed_ = std::exchange(other.elapsed_, {});
  }
  return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() noexcept {
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
  Check(sqlite3_bind_int64(stmt_, index, value), "bind int64");
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (stepped_) Reset();
  // A null data pointer would bind NULL; an empty string must stay a string.
  const char* data = text.data() != nullptr ? text.data() : "";
  Check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind text");
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  if (stepped_) Reset();
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  Check(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT), "bind blob");
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  if (stepped_) Reset();
  Check(sqlite3_bind_double(stmt_, index, value), "bind double");
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (stepped_) Reset();
  Check(sqlite3_bind_null(stmt_, index), "bind null");
  return *this;
}

int Statement::ParamIndex(std::string_view name) const {
  int index = sqlite3_bind_parameter_index(stmt_, std::string(name).c_str());
  if (index == 0) {
    throw SqliteError(SQLITE_RANGE, "no parameter " + std::string(name) + " in [" + sql_ + "]");
  }
  return index;
}

bool Statement::Step() {
  auto start = std::chrono::steady_clock::now();
  int rc = sqlite3_step(stmt_);
  elapsed_ += std::chrono::steady_clock::now() - start;
  stepped_ = true;
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    Reset();  // ends the execution now: releases the read snapshot, allows re-binding
    return false;
  }
  std::string message = Describe(rc, sqlite3_errmsg(conn_->db_));
  Reset();
  throw SqliteError(rc, message + " [" + sql_ + "]");
}

void Statement::Run() {
  while (Step()) {
  }
}

void Statement::Reset() {
  if (stepped_) EndExecution();
  stepped_ = false;
  sqlite3_reset(stmt_);  // returns the last step's error, already reported by Step
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::ColumnText(int col) const { return std::string(ColumnTextView(col)); }

std::string_view Statement::ColumnTextView(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::string Statement::ColumnBlob(int col) const {
  const void* blob = sqlite3_column_blob(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  if (blob == nullptr) return {};
  return std::string(static_cast<const char*>(blob), static_cast<size_t>(size));
}

// ---------------------------------------------------------------- Connection

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void Connection::Throw(int rc, std::string_view what) const {
  throw SqliteError(rc, std::string(what) + ": " + Describe(rc, sqlite3_errmsg(db_)));
}

Statement Connection::Prepare(std::string_view sql) {
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
  return Statement(this, std::string(sql), stmt, ClassifyOp(sql, stmt));
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

void Connection::Exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string described = Describe(rc, message ? message : sqlite3_errmsg(db_));
    sqlite3_free(message);
    throw SqliteError(rc, described);
  }
}

int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

void Connection::DeferCheckpoint() {
  if (checkpoint_deferred_) return;
  Exec("PRAGMA wal_autocheckpoint=0");
  checkpoint_deferred_ = true;
}

bool Connection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Connection& conn, Mode mode) : conn_(conn), mode_(mode) {
  auto start = std::chrono::steady_clock::now();
  if (mode_ == Mode::kImmediate) {
    conn_.owner_->AcquireWriteGate();
    holds_write_gate_ = true;
  }
  try {
    conn_.Exec(mode_ == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  } catch (...) {
    Finish();
    throw;
  }
  open_ = true;
  if (mode_ == Mode::kImmediate) {
    conn_.owner_->Observe(kBegin, std::chrono::steady_clock::now() - start);
  }
}

Transaction::~Transaction() { Finish(); }

void Transaction::Commit() {
  if (!open_) throw SqliteError(SQLITE_MISUSE, "commit: transaction already finished");
  auto start = std::chrono::steady_clock::now();
  conn_.Exec("COMMIT");  // on failure the destructor rolls back
  if (mode_ == Mode::kImmediate) {
    conn_.owner_->Observe(kCommit, std::chrono::steady_clock::now() - start);
  }
  open_ = false;
  Finish();
}

void Transaction::Rollback() { Finish(); }

void Transaction::Finish() noexcept {
  if (open_) {
    // SQLite may already have rolled back on its own (I/O error, disk full).
    if (conn_.InTransaction()) sqlite3_exec(conn_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    open_ = false;
  }
  if (holds_write_gate_) {
    holds_write_gate_ = false;
    conn_.owner_->ReleaseWriteGate();
  }
}

// ---------------------------------------------------------------- Database

Database::Lease::~Lease() {
  if (db_ != nullptr && conn_ != nullptr) db_->Release(conn_);
}

Database::Database(std::string path, const DatabaseOptions& options)
    : path_(std::move(path)), options_(options) {}

Database::~Database() = default;

std::unique_ptr<Database> Database::Open(const std::string& path,
                                         std::span<const Migration> migrations,
                                         std::string* error, const DatabaseOptions& options) {
  auto fail = [&](const std::string& message) -> std::unique_ptr<Database> {
    if (error != nullptr) *error = message;
    return nullptr;
  };
  if (error != nullptr) error->clear();
  if (path.empty() || path == ":memory:") {
    return fail("store path must name a file (in-memory databases are not shared by the pool)");
  }
  if (options.max_connections < 1) return fail("store max_connections must be at least 1");
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version <= 0) {
      return fail("migration versions must be positive (got " +
                  std::to_string(migrations[i].version) + ")");
    }
    if (i > 0 && migrations[i].version <= migrations[i - 1].version) {
      return fail("migration versions must be strictly increasing (" +
                  std::to_string(migrations[i - 1].version) + " then " +
                  std::to_string(migrations[i].version) + ")");
    }
  }

  std::unique_ptr<Database> db(new Database(path, options));
  try {
    if (options.metrics != nullptr) {
      auto& family = prometheus::BuildHistogram()
                         .Name("netra_store_seconds")
                         .Help("Time spent in the store by operation; begin includes waiting "
                               "for the write lock, commit includes the fsync.")
                         .Register(*options.metrics);
      const prometheus::Histogram::BucketBoundaries buckets = {
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
      for (const char* name : kOpNames) db->histograms_.push_back(&family.Add({{"op", name}}, buckets));
      db->group_sizes_ = &prometheus::BuildHistogram()
                              .Name("netra_store_group_commit_writes")
                              .Help("Writes committed together by one group commit (one fsync)")
                              .Register(*options.metrics)
                              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128});
    }
    Lease lease = db->Acquire();
    db->Migrate(*lease, migrations);
  } catch (const std::exception& e) {
    return fail("store " + path + ": " + e.what());
  }
  return db;
}

std::unique_ptr<Connection> Database::OpenConnection() {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                               SQLITE_OPEN_EXRESCODE,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = Describe(rc, handle ? sqlite3_errmsg(handle) : nullptr);
    sqlite3_close_v2(handle);
    throw SqliteError(rc, "cannot open: " + message);
  }
  std::unique_ptr<Connection> conn(new Connection(this, handle));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, static_cast<int>(options_.busy_timeout.count()));

  // WAL: readers never block the writer and vice versa. The mode is stored in
  // the file; asking again on every connection is a cheap check.
  {
    Statement mode = conn->Prepare("PRAGMA journal_mode=WAL");
    std::string got = mode.Step() ? Lower(mode.ColumnText(0)) : "";
    if (got != "wal") {
      throw SqliteError(SQLITE_CANTOPEN, "cannot switch to WAL journal mode (got \"" + got + "\")");
    }
  }
  // Durable on success: with WAL, synchronous=NORMAL only fsyncs the WAL at
  // checkpoints, so a transaction that COMMIT reported as done can vanish on
  // power loss or an OS crash. FULL fsyncs the WAL on every commit, so by the
  // time a handler answers OK the record is on disk. (Both settings are per
  // connection, hence here and not in a migration.)
  conn->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  return conn;
}

void Database::Migrate(Connection& conn, std::span<const Migration> migrations) {
  conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY,"
      " name TEXT NOT NULL,"
      " applied_at TEXT NOT NULL)");

  std::vector<int64_t> applied;
  {
    Statement st = conn.Prepare("SELECT version FROM schema_migrations ORDER BY version");
    while (st.Step()) applied.push_back(st.ColumnInt64(0));
  }
  const int64_t known = migrations.empty() ? 0 : migrations.back().version;
  const int64_t current = applied.empty() ? 0 : applied.back();
  if (current > known) {
    throw SqliteError(SQLITE_ERROR, "database is at schema version " + std::to_string(current) +
                                       " but this binary knows only up to " +
                                       std::to_string(known) +
                                       "; refusing to run an older binary on a newer schema");
  }
  for (int64_t version : applied) {
    bool is_known = std::any_of(migrations.begin(), migrations.end(),
                                [&](const Migration& m) { return m.version == version; });
    if (!is_known) {
      throw SqliteError(SQLITE_ERROR, "database has migration " + std::to_string(version) +
                                         " which this binary does not know");
    }
  }
  for (const Migration& m : migrations) {
    if (m.version < current && !std::binary_search(applied.begin(), applied.end(), m.version)) {
      throw SqliteError(SQLITE_ERROR, "migration " + std::to_string(m.version) + " (" +
                                         std::string(m.name) + ") is not applied but " +
                                         std::to_string(current) +
                                         " is; new migrations go after the last one");
    }
  }

  schema_version_ = static_cast<int>(current);
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    auto start = std::chrono::steady_clock::now();
    Transaction tx(conn);
    {
      // Another process may have applied it since we looked.
      Statement done = conn.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?");
      done.Bind(1, int64_t{m.version});
      if (done.Step()) {
        schema_version_ = m.version;
        continue;
      }
    }
    try {
      conn.Exec(m.sql);
    } catch (const StoreError& e) {
      throw SqliteError(e.code(), "migration " + std::to_string(m.version) + " (" +
                                     std::string(m.name) + ") failed: " + e.what());
    }
    Statement record = conn.Prepare(
        "INSERT INTO schema_migrations (version, name, applied_at)"
        " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
    record.Bind(1, int64_t{m.version}).Bind(2, m.name).Run();
    tx.Commit();
    schema_version_ = m.version;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    log::Info("store migration applied", {{"store", path_},
                                          {"version", std::to_string(m.version)},
                                          {"name", std::string(m.name)},
                                          {"duration_ms", std::to_string(ms.count())}});
  }
}

Database::Lease Database::Acquire() {
  std::unique_lock lock(pool_mu_);
  pool_cv_.wait(lock, [&] {
    return !idle_.empty() ||
           static_cast<int>(connections_.size()) + opening_ < options_.max_connections;
  });
  if (!idle_.empty()) {
    Connection* conn = idle_.back();
    idle_.pop_back();
    return Lease(this, conn);
  }
  ++opening_;
  lock.unlock();
  std::unique_ptr<Connection> conn;
  try {
    conn = OpenConnection();
  } catch (...) {
    lock.lock();
    --opening_;
    pool_cv_.notify_one();
    throw;
  }
  Connection* raw = conn.get();
  lock.lock();
  --opening_;
  connections_.push_back(std::move(conn));
  return Lease(this, raw);
}

void Database::Release(Connection* conn) noexcept {
  if (conn->InTransaction()) sqlite3_exec(conn->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(conn);
  }
  pool_cv_.notify_one();
}

void Database::AcquireWriteGate() {
  std::unique_lock lock(write_mu_);
  const auto self = std::this_thread::get_id();
  if (write_held_ && write_owner_ == self) {
    throw SqliteError(SQLITE_BUSY, "a write transaction is already open on this thread");
  }
  if (!write_cv_.wait_for(lock, options_.busy_timeout, [&] { return !write_held_; })) {
    throw SqliteError(SQLITE_BUSY, "timed out after " +
                                      std::to_string(options_.busy_timeout.count()) +
                                      " ms waiting for the write lock");
  }
  write_held_ = true;
  write_owner_ = self;
}

void Database::ReleaseWriteGate() noexcept {
  {
    std::lock_guard lock(write_mu_);
    write_held_ = false;
    write_owner_ = {};
  }
  write_cv_.notify_one();
}

void Database::RunGrouped(const std::function<void(Connection&)>& fn) {
  GroupedWrite write;
  write.fn = &fn;
  std::unique_lock lock(group_mu_);
  if (group_leading_ && group_leader_ == std::this_thread::get_id()) {
    throw SqliteError(SQLITE_BUSY, "a write transaction is already open on this thread");
  }
  group_queue_.push_back(&write);
  while (!write.done) {
    if (group_leading_) {
      group_cv_.wait(lock);
      continue;
    }
    // Lead: take what has queued up (this write among it, unless the queue is
    // longer than one group) and commit it as one transaction.
    group_leading_ = true;
    group_leader_ = std::this_thread::get_id();
    const size_t n = std::min(group_queue_.size(), kMaxGroupedWrites);
    std::vector<GroupedWrite*> group(group_queue_.begin(), group_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    group_queue_.erase(group_queue_.begin(), group_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    CommitGroup(group);
    lock.lock();
    for (GroupedWrite* w : group) w->done = true;
    group_leading_ = false;
    group_leader_ = {};
    group_cv_.notify_all();
  }
  if (write.error) std::rethrow_exception(write.error);
}

void Database::CommitGroup(const std::vector<GroupedWrite*>& group) noexcept {
  if (group_sizes_ != nullptr) group_sizes_->Observe(static_cast<double>(group.size()));
  try {
    Lease lease = Acquire();
    // Runs after the transaction has committed or rolled back (declared first).
    struct RestoreCheckpoint {
      Connection& conn;
      ~RestoreCheckpoint() {
        if (!conn.checkpoint_deferred_) return;
        conn.checkpoint_deferred_ = false;
        try {
          conn.Exec("PRAGMA wal_autocheckpoint=1000");  // SQLite's default
        } catch (const StoreError& e) {
          log::Warn("could not restore the WAL checkpoint setting", {{"error", e.what()}});
        }
      }
    } restore{*lease};
    Transaction tx(*lease);
    for (GroupedWrite* w : group) {
      lease->Exec("SAVEPOINT grouped_write");
      try {
        (*w->fn)(*lease);
        lease->Exec("RELEASE grouped_write");
      } catch (...) {
        w->error = std::current_exception();
        // Some errors (I/O, disk full) make SQLite roll back the whole
        // transaction: then every write of the group is lost and fails.
        if (!lease->InTransaction()) throw;
        lease->Exec("ROLLBACK TO grouped_write");
        lease->Exec("RELEASE grouped_write");
      }
    }
    tx.Commit();
  } catch (...) {
    // Nothing of the group was committed: writes that had succeeded fail too.
    const std::exception_ptr failure = std::current_exception();
    for (GroupedWrite* w : group) {
      if (!w->error) w->error = failure;
    }
  }
}

void Database::Observe(int op, std::chrono::steady_clock::duration elapsed) noexcept {
  if (histograms_.empty()) return;
  histograms_[static_cast<size_t>(op)]->Observe(std::chrono::duration<double>(elapsed).count());
}

// ---------------------------------------------------------------- ParseStoreUrl

std::optional<RequestRecord> FindRequestRecord(Connection& c, std::string_view method, std::string_view request_id) {
  auto s = c.Prepare("SELECT request_hash, response FROM request_ids WHERE method = ?1 AND request_id = ?2");
  s.Bind(1, method).Bind(2, request_id);
  if (!s.Step()) return std::nullopt;
  return RequestRecord{s.ColumnBlob(0), s.ColumnBlob(1)};
}

Result<std::optional<std::string>> ReplayRequest(Connection& c, const RequestKey& key) {
  auto recorded = FindRequestRecord(c, key.method, key.request_id);
  if (!recorded) return std::optional<std::string>();
  auto first = ReplayOf(std::move(*recorded), key.request_hash);
  if (!first.ok()) return first.error();
  return std::optional<std::string>(std::move(first.value()));
}

void RecordRequest(Connection& c, const RequestKey& key, std::string_view response) {
  auto s = c.Prepare(
      "INSERT OR IGNORE INTO request_ids(request_id, method, request_hash, response, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  s.Bind(1, key.request_id)
      .Bind(2, key.method)
      .BindBlob(3, key.request_hash)
      .BindBlob(4, response)
      .Bind(5, std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count());
  s.Run();
}

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

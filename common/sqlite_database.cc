// Database: the connection pool, the write gate and group commit, and
// opening a store (SQLite's pragmas here, PostgreSQL's connections in
// postgres_database.cc, migrations of both in store_migrations.cc).
// Statements, connections and transactions are in sqlite.cc.
#include <sqlite3.h>

#include <algorithm>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/log.h"
#include "common/postgres.h"
#include "common/sqlite.h"
#include "common/sqlite_detail.h"

namespace netra {
namespace {

using namespace sqlite_detail;

// At most this many writes share one group commit, so that one slow group
// cannot hold many callers far beyond their own work.
constexpr size_t kMaxGroupedWrites = 128;

}  // namespace

// ---------------------------------------------------------------- Database

Database::Lease::~Lease() {
  if (db_ != nullptr && conn_ != nullptr) db_->Release(conn_);
}

Database::Database(std::string path, Dialect dialect, const DatabaseOptions& options)
    : path_(std::move(path)), name_(dialect == Dialect::kSqlite ? path_ : "postgresql"), dialect_(dialect),
      options_(options) {}

Database::~Database() = default;

std::unique_ptr<Database> Database::Open(const std::string& path, std::span<const Migration> migrations,
                                         std::string* error, const DatabaseOptions& options) {
  return OpenStore(path, Dialect::kSqlite, migrations, error, options);
}

std::unique_ptr<Database> Database::Open(const StoreUrl& url, std::span<const Migration> migrations,
                                         std::string* error, const DatabaseOptions& options) {
  if (url.scheme == "postgresql") return OpenStore(url.path, Dialect::kPostgres, migrations, error, options);
  if (url.scheme == "sqlite") return OpenStore(url.path, Dialect::kSqlite, migrations, error, options);
  if (error != nullptr) *error = "unsupported store scheme \"" + url.scheme + "\"";
  return nullptr;
}

std::unique_ptr<Database> Database::OpenStore(std::string path, Dialect dialect, std::span<const Migration> migrations,
                                              std::string* error, const DatabaseOptions& options) {
  auto fail = [&](const std::string& message) -> std::unique_ptr<Database> {
    if (error != nullptr) *error = message;
    return nullptr;
  };
  if (error != nullptr) error->clear();
  if (dialect == Dialect::kSqlite && (path.empty() || path == ":memory:")) {
    return fail("store path must name a file (in-memory databases are not shared by the pool)");
  }
  if (options.max_connections < 1) return fail("store max_connections must be at least 1");
  if (options.max_write_attempts < 1) return fail("store max_write_attempts must be at least 1");
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

  std::unique_ptr<Database> db(new Database(std::move(path), dialect, options));
  try {
    if (options.metrics != nullptr) {
      // The same names on both backends, told apart by `backend`, so that one
      // dashboard and one alert serve every deployment.
      const std::string backend = dialect == Dialect::kSqlite ? "sqlite" : "postgresql";
      auto& family = prometheus::BuildHistogram()
                         .Name("netra_store_seconds")
                         .Help("Time spent in the store by operation; begin includes waiting "
                               "for the write lock (SQLite), commit includes the fsync.")
                         .Register(*options.metrics);
      const prometheus::Histogram::BucketBoundaries buckets = {
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
      for (const char* name : kOpNames) {
        db->histograms_.push_back(&family.Add({{"backend", backend}, {"op", name}}, buckets));
      }
      auto& errors = prometheus::BuildCounter()
                         .Name("netra_store_errors_total")
                         .Help("Failed store calls by kind: unavailable (cannot connect, I/O, disk full), "
                               "conflict (busy, serialization failure or deadlock; PostgreSQL re-runs the "
                               "transaction), constraint (unique, foreign key, check), other (a bug)")
                         .Register(*options.metrics);
      for (const char* name : kErrorKindNames) db->errors_.push_back(&errors.Add({{"backend", backend}, {"kind", name}}));
      db->group_sizes_ = &prometheus::BuildHistogram()
                              .Name("netra_store_group_commit_writes")
                              .Help("Writes committed together by one group commit (one fsync)")
                              .Register(*options.metrics)
                              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128});
    }
    Lease lease = db->Acquire();
    if (lease->pg_ != nullptr) db->name_ = lease->pg_->Describe();
    db->Migrate(*lease, migrations);
  } catch (const std::exception& e) {
    // name_, never path_: a PostgreSQL URL may hold a password.
    return fail("store " + db->name_ + ": " + e.what());
  }
  return db;
}

std::unique_ptr<Connection> Database::OpenConnection() {
  return dialect_ == Dialect::kPostgres ? OpenPostgresConnection() : OpenSqliteConnection();
}

std::unique_ptr<Connection> Database::OpenSqliteConnection() {
  sqlite3* handle = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | (options_.migrate ? SQLITE_OPEN_CREATE : 0) |
                               SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
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
    CountFailure();
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
  if (conn->broken()) {
    // Lost with its server (a restart, a failover): closed, and the next
    // Acquire opens a new one.
    std::unique_ptr<Connection> closing;
    {
      std::lock_guard lock(pool_mu_);
      auto it = std::find_if(connections_.begin(), connections_.end(), [&](const auto& c) { return c.get() == conn; });
      if (it != connections_.end()) {
        closing = std::move(*it);
        connections_.erase(it);
      }
    }
    pool_cv_.notify_one();
    return;
  }
  if (conn->pg_ != nullptr) {
    if (conn->InTransaction()) conn->pg_->ExecQuietly("ROLLBACK");
  } else if (conn->InTransaction()) {
    sqlite3_exec(conn->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
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
    CountError(StoreError::Kind::kBusy);
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

void Database::CountFailure() noexcept {
  try {
    throw;
  } catch (const StoreError& e) {
    CountError(e.kind());
  } catch (...) {
  }
}

void Database::CountError(StoreError::Kind kind) noexcept {
  if (errors_.empty()) return;
  using Kind = StoreError::Kind;
  ErrorKind label = kErrOther;
  switch (kind) {
    case Kind::kUnavailable: label = kErrUnavailable; break;
    case Kind::kBusy: label = kErrConflict; break;
    case Kind::kUniqueViolation:
    case Kind::kConstraint: label = kErrConstraint; break;
    case Kind::kOther: label = kErrOther; break;
  }
  errors_[static_cast<size_t>(label)]->Increment();
}

}  // namespace netra

// The store layer every service's storage builds on, with two backends
// behind one API, so that the same store code runs on either:
//
//  - SQLite (sqlite:///path.db, the zero-setup default): one database file per
//    service, opened in WAL mode with synchronous=FULL (a successful write is
//    on disk before the client hears about it), foreign keys on and a busy
//    timeout. Writes of one process share commits (group commit, Write).
//  - PostgreSQL (postgresql://..., for replicas on several hosts; libpq,
//    common/postgres.cc): the URL goes to libpq unchanged (several hosts,
//    target_session_attrs, sslmode); synchronous_commit is on, so a COMMIT
//    that returned is durable. Reads run in a REPEATABLE READ READ ONLY
//    snapshot, writes SERIALIZABLE, re-run on a serialization failure (or
//    READ COMMITTED, for a write that locks the rows it relies on:
//    WriteLockingRows).
//
// Store code writes SQL both backends accept where it can, and asks
// Connection::dialect() where they must differ. Parameters are written
// SQLite's way (`?1`, `?`, `:name`); the PostgreSQL backend renumbers them.
// Migrations may carry a PostgreSQL variant of their SQL; each applied one is
// recorded with the SHA-256 of the SQL that ran, and a store whose recorded
// checksum differs from this build's is refused at open.
//
// Threading: a Database is shared by every handler thread. It owns a bounded
// pool of connections; a thread borrows one (Acquire, or Read/Write below),
// uses it alone, and gives it back when the lease ends. Statements and
// Transactions belong to the lease they were made on and must not outlive it.
// Do not hold two leases on one thread at once: with the pool exhausted that
// waits forever.
//
// Errors: every failure is thrown as StoreError (common/store_error.h, with
// the backend's code: SQLite's extended result code, or PostgreSQL's SQLSTATE
// packed by postgres::PackSqlState); only Open reports through its `error`
// argument instead.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/idempotency.h"
#include "common/result.h"
#include "common/store_error.h"

struct sqlite3;
struct sqlite3_stmt;
namespace prometheus {
class Registry;
class Histogram;
class Counter;
}  // namespace prometheus

namespace netra {

namespace postgres {
class PgConnection;
class PgStatement;
}  // namespace postgres

// Which SQL the connection speaks, for the statements that must differ.
enum class Dialect { kSqlite, kPostgres };

// Where a service keeps its data, from --store / NETRA_STORE.
//   sqlite:///var/lib/netra/registry.db  -> {"sqlite", "/var/lib/netra/registry.db"} (absolute)
//   sqlite://registry.db                 -> {"sqlite", "registry.db"} (relative to the working dir)
//   postgresql://user@host/db, postgres://… -> {"postgresql", <the whole URL>}
// No percent-decoding and no query parameters for sqlite; ":memory:" is refused
// (each pooled connection would see its own empty database).
struct StoreUrl {
  std::string scheme;  // "sqlite" or "postgresql"
  std::string path;    // file path for sqlite; the full connection URL for postgresql
};
std::optional<StoreUrl> ParseStoreUrl(std::string_view url, std::string* error);

// One schema step. Versions are positive and strictly increasing; `sql` may
// hold several statements but no BEGIN/COMMIT (it runs inside a transaction).
// `postgres_sql`, when set, is what runs on PostgreSQL instead of `sql` (the
// same SQL serves both when it is empty). The SHA-256 of the SQL that ran is
// recorded: never edit a released migration (the stores it made would be
// refused), add a new one.
struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;
  std::string_view postgres_sql = {};
};

class Connection;
class Database;

// A prepared statement borrowed from its connection's cache; returned (reset,
// bindings cleared) when this handle is destroyed. Parameters are numbered
// from 1 (`?1` or the position of `?`), columns from 0.
//
// On PostgreSQL a parameter's type is the one the server infers from the SQL
// (a column it is compared with or stored in); where it cannot (`SELECT ?1`
// alone gives text, `?1 IS NULL` alone fails), cast it: CAST(?1 AS BIGINT)
// reads the same on both backends. Values travel as text, blobs as binary.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binding after Step() first resets the statement, so one handle can be
  // executed again and again with fresh values.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindDouble(int index, double value);
  Statement& BindNull(int index);
  // Index of a named parameter such as ":nip"; throws StoreError if absent.
  int ParamIndex(std::string_view name) const;

  // Advances: true when a row is available, false when done. Throws StoreError.
  bool Step();
  // Steps until done, ignoring any rows (INSERT/UPDATE/DELETE).
  void Run();
  // Run, for a write's statement whose outcome nothing reads before the
  // transaction ends (neither its rows nor Changes()). SQLite runs it now.
  // PostgreSQL sends it without waiting; its result comes back with the next
  // statement's (or COMMIT's), which throws its failure (postgres.h,
  // PgConnection::SendDeferred). Either way a failure fails the transaction.
  void RunDeferred();
  // Back to the start; bindings are kept.
  void Reset();

  int ColumnCount() const;
  bool ColumnIsNull(int col) const;
  // PostgreSQL's numeric (SUM of integers) and boolean ("t"/"f" as 1/0) read as well.
  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  // The same without a copy: valid until the next Step, Reset or Bind.
  std::string_view ColumnTextView(int col) const;
  std::string ColumnBlob(int col) const;

  const std::string& sql() const { return sql_; }

 private:
  friend class Connection;
  Statement(Connection* conn, std::string sql, sqlite3_stmt* stmt, int op);
  Statement(Connection* conn, std::string sql, postgres::PgStatement* pg, int op);
  void Release() noexcept;
  void EndExecution() noexcept;  // records latency of the execution that just ended
  void Check(int rc, const char* what) const;
  // An execution step on PostgreSQL (`execute` returns whether a row came):
  // timed, a failure counted; the execution ends unless a row came.
  template <typename Execute>
  bool OnPostgres(Execute execute);

  Connection* conn_ = nullptr;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
  postgres::PgStatement* pg_ = nullptr;  // instead of stmt_ on PostgreSQL
  int op_ = 0;
  bool stepped_ = false;  // stepped since the last reset
  std::chrono::steady_clock::duration elapsed_{};
};

// One connection to the store. Only reachable through a Database::Lease.
class Connection {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Dialect dialect() const { return pg_ ? Dialect::kPostgres : Dialect::kSqlite; }

  // A single SQL statement, prepared once per connection and cached by its text.
  Statement Prepare(std::string_view sql);
  // One or more statements without parameters (DDL, pragmas).
  void Exec(std::string_view sql);

  // SQLite only (PostgreSQL has no rowid; use INSERT ... RETURNING, which
  // both accept): throws StoreError on PostgreSQL.
  int64_t LastInsertRowId() const;
  int64_t Changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  bool InTransaction() const;
  // Inside a Database::Write: the commit of this write's group skips SQLite's
  // automatic WAL checkpoint, so a run of large writes (a sweep's batches) is
  // checkpointed once, by the next ordinary commit, instead of after each.
  // The connection's setting is restored as soon as the group has committed.
  // A no-op on PostgreSQL (its checkpoints are the server's).
  void DeferCheckpoint();

 private:
  friend class Database;
  friend class Statement;
  friend class Transaction;
  friend Result<std::optional<std::string>> ReplayRequest(Connection& c, const RequestKey& key);
  friend void RecordRequest(Connection& c, const RequestKey& key, std::string_view response);
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  Connection(Database* owner, sqlite3* db);
  Connection(Database* owner, std::unique_ptr<postgres::PgConnection> pg);
  void ReturnStatement(std::string sql, sqlite3_stmt* stmt) noexcept;
  [[noreturn]] void Throw(int rc, std::string_view what) const;
  // Lost (PostgreSQL: the server went away): the pool discards it.
  bool broken() const;

  Database* owner_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<postgres::PgConnection> pg_;  // instead of db_ on PostgreSQL
  bool checkpoint_deferred_ = false;
  // PostgreSQL: request ids this transaction claimed (ReplayRequest) and has
  // not yet recorded a response for; the claims are dropped before COMMIT.
  struct Claim {
    std::string method, request_id;
    std::string row;  // its ctid
  };
  std::vector<Claim> unrecorded_claims_;
  bool in_write_ = false;  // PostgreSQL: inside a write (not READ ONLY) transaction
  // Idle prepared statements, at most one per SQL text.
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
};

// RAII transaction. kImmediate (the default, for anything that writes): on
// SQLite it takes the write lock up front with BEGIN IMMEDIATE, so a competing
// writer waits out the busy timeout instead of failing with SQLITE_BUSY when a
// read transaction tries to upgrade, and writers of one process also queue on
// an in-process lock first, so they wait their turn without SQLite's sleep-
// and-poll busy handler; on PostgreSQL it is SERIALIZABLE (kRowLocks: READ
// COMMITTED, see Database::WriteLockingRows). kDeferred is for a
// consistent multi-statement read (PostgreSQL: REPEATABLE READ READ ONLY, a
// snapshot as SQLite's deferred read is). Rolls back on destruction unless
// committed. A bare Transaction is not retried: use Database::Write for that.
class Transaction {
 public:
  enum class Mode { kImmediate, kRowLocks, kDeferred };

  explicit Transaction(Connection& conn, Mode mode = Mode::kImmediate);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void Commit();    // throws StoreError; the transaction is then rolled back by the destructor
  void Rollback();  // explicit rollback; no-op once finished

 private:
  void Finish() noexcept;
  void DropUnrecordedClaims();  // PostgreSQL: see ReplayRequest

  Connection& conn_;
  Mode mode_;
  bool open_ = false;
  bool holds_write_gate_ = false;
};

struct DatabaseOptions {
  int max_connections = 8;                     // pool bound
  std::chrono::milliseconds busy_timeout{5000};  // SQLite busy timeout and in-process writer wait
  // When set, statement latency is exported as netra_store_seconds{backend,op}
  // with op in select|insert|update|delete|other|begin|commit, and failed store
  // calls as netra_store_errors_total{backend,kind} with kind in
  // unavailable|conflict|constraint|other; backend is sqlite or postgresql.
  // Must outlive the Database.
  prometheus::Registry* metrics = nullptr;

  // PostgreSQL only. A connection attempt gives up after connect_timeout
  // (libpq counts whole seconds, at least 2; a connect_timeout in the URL wins),
  // and every statement after statement_timeout (SQLSTATE 57014, kBusy), so
  // that during an outage a call fails with kUnavailable instead of hanging.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  // A libpq password file (host:port:database:user:password lines, mode 0600);
  // overrides a passfile in the URL. Empty: the URL's, PGPASSFILE or ~/.pgpass.
  std::string password_file;
  // How often Write runs fn in all when serialization failures or deadlocks
  // keep aborting it; then kBusy.
  int max_write_attempts = 10;
  // False: a store with migrations pending is refused instead of migrated,
  // and nothing is written to it (netractl store copy's source, which only
  // the service's own start may upgrade: some upgrades are the service's code).
  bool migrate = true;
};

class Database {
 public:
  // A borrowed connection; goes back to the pool (any open transaction rolled
  // back; a broken one closed) when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : db_(std::exchange(other.db_, nullptr)), conn_(std::exchange(other.conn_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_; }

   private:
    friend class Database;
    Lease(Database* db, Connection* conn) : db_(db), conn_(conn) {}
    Database* db_;
    Connection* conn_;
  };

  // Opens the store `url` names (ParseStoreUrl) and migrates it. SQLite: the
  // file is created (not its directory). Returns null and sets *error when
  // the store cannot be reached or opened, is not a database, is not in WAL
  // mode (SQLite), has a schema newer than `migrations` knows (downgrade) or a
  // migration applied with other SQL than this build's (checksum), when
  // `migrations` is not strictly increasing, or when a migration fails (that
  // migration is rolled back; earlier ones stay applied). On PostgreSQL,
  // replicas opening at once migrate one after another (an advisory lock).
  static std::unique_ptr<Database> Open(const StoreUrl& url, std::span<const Migration> migrations, std::string* error,
                                        const DatabaseOptions& options = {});
  // The SQLite file at `path`.
  static std::unique_ptr<Database> Open(const std::string& path,
                                        std::span<const Migration> migrations, std::string* error,
                                        const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Dialect dialect() const { return dialect_; }

  // Borrows a connection, waiting while all max_connections are in use.
  // Throws StoreError (kUnavailable) when a new connection cannot be opened.
  Lease Acquire();

  // fn(Connection&) inside a snapshot transaction. fn must not write.
  template <typename Fn>
  auto Read(Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    if (dialect_ == Dialect::kSqlite) return Run(Transaction::Mode::kDeferred, fn);
    return Capture(fn, [this](const std::function<void(Connection&)>& f) { RunPostgres(Transaction::Mode::kDeferred, f); });
  }
  // fn(Connection&) inside a write transaction; returns once its changes are
  // committed durably, throws what fn threw (its changes undone) or the
  // commit's StoreError.
  //
  // SQLite, group commit: writes that arrive while another commit is in
  // progress are run one after another, each inside its own SAVEPOINT, in one
  // transaction on the thread of whichever caller leads the group, and made
  // durable by one fsync. A failing fn rolls back to its savepoint only; the
  // others commit. Each caller still returns only after the commit that holds
  // its changes. fn may therefore run on another thread (log lines it writes
  // carry that thread's call context) and must not call Write on the same
  // Database.
  //
  // PostgreSQL: each Write is its own SERIALIZABLE transaction. When it is
  // aborted by a serialization failure or a deadlock (SQLSTATE 40001, 40P01;
  // another replica changed what fn read), fn runs again from the start in a
  // new transaction, up to max_write_attempts times with jittered backoff,
  // then the failure is thrown as kBusy. So fn may run more than once and must
  // act only through the connection (no effects outside it, no state carried
  // from one run to the next). A COMMIT whose outcome is unknown (the
  // connection lost during it) is not re-run: it throws kUnavailable.
  template <typename Fn>
  auto Write(Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    return WriteIn(Transaction::Mode::kImmediate, fn);
  }

  // Write, for fn that decides only from rows it has locked: each row it
  // changes it reads first with FOR UPDATE (PostgreSQL), and it adds rows only
  // under a unique key that settles a race by itself (ON CONFLICT, a request
  // id's claim, a history entry's sequence). On PostgreSQL it runs at READ
  // COMMITTED. SERIALIZABLE takes its read locks on whole index pages, so there
  // writes of unrelated rows that share a page abort each other: in the case
  // flow, 1.1-1.9 re-runs per case in the sanction service, and the re-runs'
  // backoff made the decision's p99 5-11 times its p50 (docs/performance.md).
  // Such a write takes no part in SERIALIZABLE's checks: a SERIALIZABLE write
  // that updates a row it changed meanwhile is still refused (40001) and re-run,
  // but one that only read the row is not, so a SERIALIZABLE write that decides
  // from a row these writes change locks it too (FOR UPDATE). Deadlocks are
  // re-run as in Write. SQLite: the same as Write (its writes never overlap).
  template <typename Fn>
  auto WriteLockingRows(Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    return WriteIn(Transaction::Mode::kRowLocks, fn);
  }

  int schema_version() const { return schema_version_; }
  // The SQLite file; on PostgreSQL the URL as given (it may hold a password:
  // log name() instead).
  const std::string& path() const { return path_; }
  // For logs: the file, or postgresql://user@host:port/database (no password).
  const std::string& name() const { return name_; }

 private:
  friend class Connection;
  friend class Statement;
  friend class Transaction;

  Database(std::string path, Dialect dialect, const DatabaseOptions& options);
  static std::unique_ptr<Database> OpenStore(std::string path, Dialect dialect, std::span<const Migration> migrations,
                                             std::string* error, const DatabaseOptions& options);
  std::unique_ptr<Connection> OpenConnection();
  std::unique_ptr<Connection> OpenSqliteConnection();
  std::unique_ptr<Connection> OpenPostgresConnection();
  void Migrate(Connection& conn, std::span<const Migration> migrations);
  void Release(Connection* conn) noexcept;
  void AcquireWriteGate();
  void ReleaseWriteGate() noexcept;
  void Observe(int op, std::chrono::steady_clock::duration elapsed) noexcept;
  // Counts the StoreError being handled (call only inside a catch block; other
  // exceptions are not store errors and are not counted).
  void CountFailure() noexcept;
  void CountError(StoreError::Kind kind) noexcept;

  // Runs fn through `run` (which calls it with a connection, maybe more than
  // once) and returns what the last run of fn returned.
  template <typename Fn, typename Runner>
  static auto Capture(Fn& fn, Runner&& run) -> std::invoke_result_t<Fn&, Connection&> {
    using Result = std::invoke_result_t<Fn&, Connection&>;
    if constexpr (std::is_void_v<Result>) {
      run(std::function<void(Connection&)>([&](Connection& conn) { std::invoke(fn, conn); }));
    } else {
      std::optional<Result> result;
      run(std::function<void(Connection&)>([&](Connection& conn) { result.emplace(std::invoke(fn, conn)); }));
      return std::move(*result);
    }
  }
  // Write and WriteLockingRows: SQLite's group commit, or a PostgreSQL
  // transaction of `mode`.
  template <typename Fn>
  auto WriteIn(Transaction::Mode mode, Fn& fn) -> std::invoke_result_t<Fn&, Connection&> {
    return Capture(fn, [this, mode](const std::function<void(Connection&)>& f) {
      if (dialect_ == Dialect::kSqlite) {
        RunGrouped(f);
      } else {
        RunPostgres(mode, f);
      }
    });
  }

  struct GroupedWrite {
    const std::function<void(Connection&)>* fn = nullptr;
    std::exception_ptr error;
    bool done = false;
  };
  void RunGrouped(const std::function<void(Connection&)>& fn);
  void CommitGroup(const std::vector<GroupedWrite*>& group) noexcept;
  // PostgreSQL's Read and Write: a transaction of `mode`, re-run as Write describes.
  void RunPostgres(Transaction::Mode mode, const std::function<void(Connection&)>& fn);

  template <typename Fn>
  auto Run(Transaction::Mode mode, Fn& fn) -> std::invoke_result_t<Fn&, Connection&> {
    using Result = std::invoke_result_t<Fn&, Connection&>;
    Lease lease = Acquire();
    Transaction tx(*lease, mode);
    if constexpr (std::is_void_v<Result>) {
      std::invoke(fn, *lease);
      tx.Commit();
    } else {
      Result result = std::invoke(fn, *lease);
      tx.Commit();
      return result;
    }
  }

  std::string path_;
  std::string name_;
  Dialect dialect_;
  DatabaseOptions options_;
  int schema_version_ = 0;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> connections_;  // guarded by pool_mu_
  std::vector<Connection*> idle_;                         // guarded by pool_mu_
  int opening_ = 0;  // connections being opened outside the lock

  std::mutex write_mu_;
  std::condition_variable write_cv_;
  bool write_held_ = false;
  std::thread::id write_owner_;

  std::vector<prometheus::Histogram*> histograms_;  // indexed by op; empty without metrics
  std::vector<prometheus::Counter*> errors_;        // indexed by sqlite_detail::ErrorKind; empty without metrics

  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<GroupedWrite*> group_queue_;  // guarded by group_mu_
  bool group_leading_ = false;              // a caller is committing a group
  std::thread::id group_leader_;
  prometheus::Histogram* group_sizes_ = nullptr;
};

// Idempotency records (common/idempotency.h; the request_ids table of
// store_schema.h), read and written inside the caller's transaction, so that
// a response is recorded with the change it answers.
// The record of `method` and `request_id`, if any.
std::optional<RequestRecord> FindRequestRecord(Connection& c, std::string_view method, std::string_view request_id);
// For a request about to run: nullopt when its request_id is new (go ahead),
// the first response when it is a retry, ReusedRequestId() when the id was
// used for other content.
//
// On PostgreSQL a new id is claimed rather than looked up: its row is inserted
// at once (INSERT ... ON CONFLICT DO NOTHING), so that a retry racing on
// another replica waits on the unique key and is then re-run (serialization
// failure) into a replay, and the transaction holds no SERIALIZABLE read lock
// on request_ids, which concurrent writes would otherwise conflict with (at
// 32 submissions in flight, most of them did). RecordRequest fills the claim
// in; a claim left unfilled (the request was refused) is removed at commit.
Result<std::optional<std::string>> ReplayRequest(Connection& c, const RequestKey& key);
// Records a request's response; one already recorded under the same key stays
// (the first response is the one retries get).
void RecordRequest(Connection& c, const RequestKey& key, std::string_view response);

// A PostgreSQL array literal of `values` ({"a","b\\"c"}), bound as text and cast
// in SQL: `= ANY(CAST(?1 AS TEXT[]))`, or `unnest(CAST(?1 AS BIGINT[]), ...)`
// to insert many rows with one statement. Each statement on PostgreSQL is a
// round trip; one per row is what a batch of rows must not cost.
std::string PgArray(std::span<const std::string_view> values);

}  // namespace netra

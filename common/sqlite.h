// The SQLite store layer every service's storage builds on.
//
// One database file per service, opened in WAL mode with synchronous=FULL (a
// successful write is on disk before the client hears about it), foreign keys
// on and a busy timeout. Numbered migrations are applied at start, each in its
// own transaction, and recorded in `schema_migrations`.
//
// Threading: a Database is shared by every handler thread. It owns a bounded
// pool of connections; a thread borrows one (Acquire, or Read/Write below),
// uses it alone, and gives it back when the lease ends. Statements and
// Transactions belong to the lease they were made on and must not outlive it.
// Do not hold two leases on one thread at once: with the pool exhausted that
// waits forever.
//
// Errors: every failure is thrown as StoreError (carrying SQLite's extended
// result code); only Open reports through its `error` argument instead.
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
}  // namespace prometheus

namespace netra {

// A failed SQLite call as a StoreError: `code` is SQLite's extended result
// code (e.g. SQLITE_CONSTRAINT_UNIQUE), classified into StoreError::Kind.
StoreError SqliteError(int code, const std::string& message);

// One schema step. Versions are positive and strictly increasing; `sql` may
// hold several statements but no BEGIN/COMMIT (it runs inside a transaction).
// Never edit a released migration: add a new one.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

class Connection;
class Database;

// A prepared statement borrowed from its connection's cache; returned (reset,
// bindings cleared) when this handle is destroyed. Parameters are numbered
// from 1 (`?1` or the position of `?`), columns from 0.
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
  // Back to the start; bindings are kept.
  void Reset();

  int ColumnCount() const;
  bool ColumnIsNull(int col) const;
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
  void Release() noexcept;
  void EndExecution() noexcept;  // records latency of the execution that just ended
  void Check(int rc, const char* what) const;

  Connection* conn_ = nullptr;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
  int op_ = 0;
  bool stepped_ = false;  // stepped since the last reset
  std::chrono::steady_clock::duration elapsed_{};
};

// One SQLite connection. Only reachable through a Database::Lease.
class Connection {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A single SQL statement, prepared once per connection and cached by its text.
  Statement Prepare(std::string_view sql);
  // One or more statements without parameters (DDL, pragmas).
  void Exec(std::string_view sql);

  int64_t LastInsertRowId() const;
  int64_t Changes() const;  // rows changed by the last INSERT/UPDATE/DELETE
  bool InTransaction() const;
  sqlite3* raw() const { return db_; }
  // Inside a Database::Write: the commit of this write's group skips SQLite's
  // automatic WAL checkpoint, so a run of large writes (a sweep's batches) is
  // checkpointed once, by the next ordinary commit, instead of after each.
  // The connection's setting is restored as soon as the group has committed.
  void DeferCheckpoint();

 private:
  friend class Database;
  friend class Statement;
  friend class Transaction;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  Connection(Database* owner, sqlite3* db) : owner_(owner), db_(db) {}
  void ReturnStatement(std::string sql, sqlite3_stmt* stmt) noexcept;
  [[noreturn]] void Throw(int rc, std::string_view what) const;

  Database* owner_;
  sqlite3* db_;
  bool checkpoint_deferred_ = false;
  // Idle prepared statements, at most one per SQL text.
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
};

// RAII transaction. kImmediate (the default, for anything that writes) takes
// the write lock up front with BEGIN IMMEDIATE, so a competing writer waits
// out the busy timeout instead of failing with SQLITE_BUSY when a read
// transaction tries to upgrade. Writers of one process also queue on an
// in-process lock first, so they wait their turn without SQLite's sleep-and-
// poll busy handler. kDeferred is for a consistent multi-statement read.
// Rolls back on destruction unless committed.
class Transaction {
 public:
  enum class Mode { kImmediate, kDeferred };

  explicit Transaction(Connection& conn, Mode mode = Mode::kImmediate);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void Commit();    // throws StoreError; the transaction is then rolled back by the destructor
  void Rollback();  // explicit rollback; no-op once finished

 private:
  void Finish() noexcept;

  Connection& conn_;
  Mode mode_;
  bool open_ = false;
  bool holds_write_gate_ = false;
};

struct DatabaseOptions {
  int max_connections = 8;                     // pool bound
  std::chrono::milliseconds busy_timeout{5000};  // SQLite busy timeout and in-process writer wait
  // When set, statement latency is exported as netra_store_seconds{op} with op
  // in select|insert|update|delete|other|begin|commit. Must outlive the Database.
  prometheus::Registry* metrics = nullptr;
};

class Database {
 public:
  // A borrowed connection; goes back to the pool (any open transaction rolled
  // back) when destroyed.
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

  // Opens (creating the file, not its directory) and migrates. Returns null and
  // sets *error when the file cannot be opened, is not a database, is not in
  // WAL mode, has a schema newer than `migrations` knows (downgrade), when
  // `migrations` is not strictly increasing, or when a migration fails (that
  // migration is rolled back; earlier ones stay applied).
  static std::unique_ptr<Database> Open(const std::string& path,
                                        std::span<const Migration> migrations, std::string* error,
                                        const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Borrows a connection, waiting while all max_connections are in use.
  Lease Acquire();

  // fn(Connection&) inside a deferred (snapshot) transaction. fn must not write.
  template <typename Fn>
  auto Read(Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    return Run(Transaction::Mode::kDeferred, fn);
  }
  // fn(Connection&) inside a write transaction; returns once its changes are
  // committed durably, throws what fn threw (its changes undone) or the
  // commit's StoreError.
  //
  // Group commit: writes that arrive while another commit is in progress are
  // run one after another, each inside its own SAVEPOINT, in one transaction
  // on the thread of whichever caller leads the group, and made durable by one
  // fsync. A failing fn rolls back to its savepoint only; the others commit.
  // Each caller still returns only after the commit that holds its changes.
  // fn may therefore run on another thread (log lines it writes carry that
  // thread's call context) and must not call Write on the same Database.
  template <typename Fn>
  auto Write(Fn&& fn) -> std::invoke_result_t<Fn&, Connection&> {
    using Result = std::invoke_result_t<Fn&, Connection&>;
    if constexpr (std::is_void_v<Result>) {
      RunGrouped([&](Connection& conn) { std::invoke(fn, conn); });
    } else {
      std::optional<Result> result;
      RunGrouped([&](Connection& conn) { result.emplace(std::invoke(fn, conn)); });
      return std::move(*result);
    }
  }

  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  friend class Connection;
  friend class Statement;
  friend class Transaction;

  Database(std::string path, const DatabaseOptions& options);
  std::unique_ptr<Connection> OpenConnection();
  void Migrate(Connection& conn, std::span<const Migration> migrations);
  void Release(Connection* conn) noexcept;
  void AcquireWriteGate();
  void ReleaseWriteGate() noexcept;
  void Observe(int op, std::chrono::steady_clock::duration elapsed) noexcept;

  struct GroupedWrite {
    const std::function<void(Connection&)>* fn = nullptr;
    std::exception_ptr error;
    bool done = false;
  };
  void RunGrouped(const std::function<void(Connection&)>& fn);
  void CommitGroup(const std::vector<GroupedWrite*>& group) noexcept;

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

  std::mutex group_mu_;
  std::condition_variable group_cv_;
  std::vector<GroupedWrite*> group_queue_;  // guarded by group_mu_
  bool group_leading_ = false;              // a caller is committing a group
  std::thread::id group_leader_;
  prometheus::Histogram* group_sizes_ = nullptr;
};

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

// Idempotency records (common/idempotency.h; the request_ids table of
// store_schema.h), read and written inside the caller's transaction, so that
// a response is recorded with the change it answers.
// The record of `method` and `request_id`, if any.
std::optional<RequestRecord> FindRequestRecord(Connection& c, std::string_view method, std::string_view request_id);
// For a request about to run: nullopt when its request_id is new (go ahead),
// the first response when it is a retry, ReusedRequestId() when the id was
// used for other content.
Result<std::optional<std::string>> ReplayRequest(Connection& c, const RequestKey& key);
// Records a request's response; one already recorded under the same key stays
// (the first response is the one retries get).
void RecordRequest(Connection& c, const RequestKey& key, std::string_view response);

}  // namespace netra

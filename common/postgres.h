// The PostgreSQL backend of the store interface (common/store.h), on libpq.
// Store code does not use this header: it is for the store layer itself
// (sqlite.cc and sqlite_database.cc hand PostgreSQL's connections and
// statements here) and for the tests of the backend's pieces.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/store_error.h"

struct pg_conn;
struct pg_result;

namespace netra::postgres {

// SQLSTATE "40001" as an int, the way PostgreSQL's own MAKE_SQLSTATE packs it
// (6 bits a character), so StoreError::code() keeps it; SqlStateOf undoes it.
int PackSqlState(std::string_view sqlstate);
std::string SqlStateOf(int code);

// A failed PostgreSQL call as a StoreError of the right kind: 23505 a unique
// violation, other 23xxx a constraint; 40001, 40P01, 55P03, 57014 (statement
// timeout) busy; class 08, 53xxx, 57P01-57P03 unavailable. The SQLSTATE goes
// into the message as well.
StoreError PostgresError(std::string_view sqlstate, const std::string& message);
inline constexpr std::string_view kConnectionFailure = "08006";

// Store SQL with SQLite's parameters (`?1`, `?`, `:name`) in PostgreSQL's `$n`,
// numbered as SQLite numbers them. String literals, quoted identifiers,
// comments and `::` casts are left alone. Refuses an empty text and more than
// one statement (like sqlite3_prepare: Exec is for several).
struct RewrittenSql {
  std::string sql;
  int params = 0;
  std::vector<std::pair<std::string, int>> names;  // ":name" -> index
};
std::optional<RewrittenSql> RewriteParameters(std::string_view sql, std::string* error);

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  std::string password_file;
};

class PgStatement;

// One libpq connection with its statements: server-side prepared statements
// by SQL text, and idle PgStatements to hand out again.
class PgConnection {
 public:
  // Connects to `url` (passed to libpq as it is) and sets the session up;
  // throws StoreError (kUnavailable when the server cannot be reached).
  PgConnection(const std::string& url, const ConnectOptions& options);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // A statement for `sql` (prepared on the server on first use on this
  // connection); give it back with Return.
  std::unique_ptr<PgStatement> Borrow(std::string_view sql);
  void Return(std::unique_ptr<PgStatement> statement) noexcept;

  // Statements without parameters, several allowed; throws StoreError.
  void Exec(std::string_view sql);
  // The same, for cleanup paths: errors are ignored.
  void ExecQuietly(const char* sql) noexcept;

  bool InTransaction() const;
  bool broken() const;
  // COMMIT; throws StoreError when it fails or the server rolled back instead
  // (a transaction an earlier error had aborted).
  void Commit();
  int64_t changes() const { return changes_; }
  // "postgresql://user@host:port/database", for logs.
  std::string Describe() const;

  // Whether a statement since the last BeginTransaction failed with a
  // serialization failure or deadlock (the transaction may be re-run, even if
  // the store code caught the error and threw something else).
  bool retryable_failure() const { return retryable_failure_; }
  // Sent with the transaction's first statement (one round trip fewer).
  void BeginTransaction(std::string_view begin_sql);

  // Deferred commands. A command whose result nobody reads (BEGIN, an
  // INSERT or UPDATE of a write's tail) is sent in libpq's pipeline mode
  // without waiting; the next command that needs an answer (a statement's
  // rows, COMMIT, a prepare) goes in the same pipeline, and one round trip
  // brings all their results. A deferred command's failure is thrown there,
  // by that next command: the transaction fails as a whole either way, and
  // a serialization failure is still recognised (retryable_failure). Its
  // changes() are not kept.
  void SendDeferred(PgStatement& statement);
  int deferred() const { return static_cast<int>(deferred_.size()); }

  // Throws the error of `result` (which is freed) as a StoreError naming `what`.
  [[noreturn]] void Throw(pg_result* result, std::string_view what);

 private:
  friend class PgStatement;
  // The server-side name of `sql`'s prepared statement (preparing it now).
  const std::string& Prepared(const RewrittenSql& sql, std::string_view original);
  void NoteResult(pg_result* result);
  // Pipeline mode for deferred commands: entered by the first (false if the
  // connection cannot, e.g. it is broken: the caller then runs it at once).
  bool EnterPipeline();
  // Sends a statement's execution into the pipeline (preparing it unnamed
  // first if it has no server-side name); false if libpq could not send.
  bool SendExecution(PgStatement& statement);
  // Ends the pipeline: a Sync, then the results of the deferred commands and,
  // if `last` (sent after them), of the last one, which is returned (the
  // caller checks and frees it). Throws the first failure (the last's result
  // freed). Leaves pipeline mode, also on failure.
  pg_result* CompletePipeline(bool last);
  // CompletePipeline(false) when commands wait; failures ignored (cleanup).
  void DiscardPipeline() noexcept;

  pg_conn* conn_ = nullptr;
  std::vector<std::string> deferred_;  // what each deferred command is, for errors, in send order
  int64_t changes_ = 0;
  bool retryable_failure_ = false;
  int next_name_ = 0;
  std::unordered_map<std::string, std::string> prepared_;  // rewritten SQL -> statement name
  std::unordered_map<std::string, std::unique_ptr<PgStatement>> idle_;
};

// A statement's bound values and its current result. The whole result of an
// execution is fetched at once (PQexecPrepared): the store's reads are pages
// and point lookups, and a result read row by row would keep the connection
// busy between Steps, which the nested statements of store code rule out.
class PgStatement {
 public:
  PgStatement(PgConnection& conn, std::string sql, RewrittenSql rewritten);
  ~PgStatement();
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  void BindInt64(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindText(int index, std::string_view text);
  void BindBlob(int index, std::string_view bytes);
  void BindNull(int index);
  void ClearBindings();
  int ParamIndex(std::string_view name) const;  // 0 when absent

  bool Step();
  void Reset();  // drops the result; bindings are kept

  int ColumnCount() const;
  bool ColumnIsNull(int col) const;
  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  std::string_view ColumnText(int col) const;  // bytea decoded
  std::string ColumnBlob(int col) const;
  const std::string& sql() const { return sql_; }

 private:
  friend class PgConnection;
  struct Param {
    std::string value;
    bool null = true;
    bool binary = false;
  };
  Param& At(int index);
  bool IsBytea(int col) const;
  void FillValues();  // values_, lengths_, formats_ from params_ for an execution

  PgConnection& conn_;
  std::string sql_;
  RewrittenSql rewritten_;
  std::vector<Param> params_;
  const std::string* name_ = nullptr;  // server-side statement; null: prepared unnamed at each execution
  pg_result* result_ = nullptr;
  int row_ = -1;
  std::vector<const char*> values_;  // reused by each execution
  std::vector<int> lengths_, formats_;
  mutable std::vector<std::optional<std::string>> decoded_;  // bytea columns of the current row
};

}  // namespace netra::postgres

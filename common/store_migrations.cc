// Database::Migrate, for both backends: numbered migrations applied once each,
// recorded in schema_migrations with the SHA-256 of the SQL that ran.
#include <algorithm>
#include <ctime>

#include "common/digest.h"
#include "common/log.h"
#include "common/store.h"

namespace netra {
namespace {

// Any constant: PostgreSQL's advisory locks are per database, and only the
// store's own migrations take this one.
constexpr int64_t kMigrationLockKey = 0x6e65747261L;  // "netra"

StoreError MigrationError(const std::string& message) { return StoreError(StoreError::Kind::kOther, 0, message); }

std::string NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return text;
}

// A transaction for one migration step. SQLite: a write transaction (the file
// lock orders processes). PostgreSQL: READ COMMITTED, so that what another
// replica committed while this one waited for the advisory lock is seen by the
// statements after it; the lock is held until COMMIT or ROLLBACK.
class MigrationTransaction {
 public:
  explicit MigrationTransaction(Connection& conn) : conn_(conn) {
    if (conn.dialect() == Dialect::kSqlite) {
      sqlite_.emplace(conn);
      return;
    }
    conn.Exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    open_ = true;
    // No statement timeout for an upgrade (for its lock neither): a
    // migration over a large store (an index built, a table moved) takes
    // minutes, and a replica waits for another's; cut off, the service
    // could never start. Until COMMIT or ROLLBACK only.
    conn.Exec("SET LOCAL statement_timeout = 0");
    conn.Exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
  }
  ~MigrationTransaction() {
    if (!open_) return;
    try {
      conn_.Exec("ROLLBACK");
    } catch (const StoreError&) {  // the connection is gone, and the transaction with it
    }
  }
  void Commit() {
    if (sqlite_) {
      sqlite_->Commit();
      return;
    }
    open_ = false;
    conn_.Exec("COMMIT");
  }

 private:
  Connection& conn_;
  std::optional<Transaction> sqlite_;
  bool open_ = false;
};

}  // namespace

void Database::Migrate(Connection& conn, std::span<const Migration> migrations) {
  const bool pg = dialect_ == Dialect::kPostgres;
  auto sql_of = [&](const Migration& m) { return pg && !m.postgres_sql.empty() ? m.postgres_sql : m.sql; };
  auto checksum_of = [&](const Migration& m) { return HexOf(Sha256::Of({sql_of(m)})); };
  auto known = [&](int64_t version) -> const Migration* {
    auto it = std::find_if(migrations.begin(), migrations.end(), [&](const Migration& m) { return m.version == version; });
    return it == migrations.end() ? nullptr : &*it;
  };

  // Bootstrap, outside the numbered migrations: the table, and its checksum
  // column, which stores from before checksums lack. Their migrations are
  // trusted on first sight: recorded with this build's checksums.
  if (options_.migrate) {
    MigrationTransaction tx(conn);
    conn.Exec(std::string("CREATE TABLE IF NOT EXISTS schema_migrations (") +
              (pg ? " version BIGINT PRIMARY KEY," : " version INTEGER PRIMARY KEY,") +
              " name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT NOT NULL DEFAULT '')");
    if (!pg) {
      Statement column =
          conn.Prepare("SELECT count(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'");
      if (column.Step() && column.ColumnInt64(0) == 0) {
        column.Reset();
        conn.Exec("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT NOT NULL DEFAULT ''");
      }
    }
    std::vector<int64_t> unsummed;
    {
      Statement st = conn.Prepare("SELECT version FROM schema_migrations WHERE checksum = '' ORDER BY version");
      while (st.Step()) unsummed.push_back(st.ColumnInt64(0));
    }
    for (int64_t version : unsummed) {
      if (const Migration* m = known(version)) {
        conn.Prepare("UPDATE schema_migrations SET checksum = ?1 WHERE version = ?2")
            .Bind(1, checksum_of(*m))
            .Bind(2, version)
            .Run();
      }
    }
    tx.Commit();
  }

  struct Applied {
    int64_t version;
    std::string name, checksum;
  };
  std::vector<Applied> applied;
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  const std::string not_migrating = "; this build's is " + std::to_string(latest) +
                                    ": start this build's service on the store once (it migrates and upgrades "
                                    "it), stop it, and try again";
  try {
    Statement st = conn.Prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
    while (st.Step()) applied.push_back({st.ColumnInt64(0), st.ColumnText(1), st.ColumnText(2)});
  } catch (const StoreError&) {
    // Without the bootstrap: no table, or one from before checksums.
    if (options_.migrate) throw;
    throw MigrationError("the store has no schema version this build can read" + not_migrating);
  }
  const int64_t current = applied.empty() ? 0 : applied.back().version;
  if (!options_.migrate && current < latest) {
    throw MigrationError("the store is at schema version " + std::to_string(current) + not_migrating);
  }
  if (current > latest) {
    throw MigrationError("database is at schema version " + std::to_string(current) +
                         " but this binary knows only up to " + std::to_string(latest) +
                         "; refusing to run an older binary on a newer schema");
  }
  for (const Applied& a : applied) {
    const Migration* m = known(a.version);
    if (m == nullptr) {
      throw MigrationError("database has migration " + std::to_string(a.version) +
                           " which this binary does not know");
    }
    if (const std::string want = checksum_of(*m); a.checksum != want) {
      throw MigrationError("store migration " + std::to_string(a.version) + " (" + a.name +
                           ") was applied by a different build: checksum " + a.checksum + " ≠ " + want +
                           " (this build's); refusing to run on a schema this build did not make");
    }
  }
  for (const Migration& m : migrations) {
    const bool done = std::any_of(applied.begin(), applied.end(), [&](const Applied& a) { return a.version == m.version; });
    if (m.version < current && !done) {
      throw MigrationError("migration " + std::to_string(m.version) + " (" + std::string(m.name) + ") is not applied but " +
                           std::to_string(current) + " is; new migrations go after the last one");
    }
  }

  schema_version_ = static_cast<int>(current);
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    auto start = std::chrono::steady_clock::now();
    MigrationTransaction tx(conn);
    {
      // Another process (a replica) may have applied it since we looked.
      Statement done = conn.Prepare("SELECT checksum FROM schema_migrations WHERE version = ?1");
      done.Bind(1, int64_t{m.version});
      if (done.Step()) {
        if (done.ColumnText(0) != checksum_of(m)) {
          throw MigrationError("store migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                               ") was applied meanwhile by a different build: checksum " + done.ColumnText(0) +
                               " ≠ " + checksum_of(m));
        }
        schema_version_ = m.version;
        continue;
      }
    }
    try {
      conn.Exec(sql_of(m));
    } catch (const StoreError& e) {
      throw StoreError(e.kind(), e.code(),
                       "migration " + std::to_string(m.version) + " (" + std::string(m.name) + ") failed: " + e.what());
    }
    conn.Prepare("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?1, ?2, ?3, ?4)")
        .Bind(1, int64_t{m.version})
        .Bind(2, m.name)
        .Bind(3, NowUtc())
        .Bind(4, checksum_of(m))
        .Run();
    tx.Commit();
    schema_version_ = m.version;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    log::Info("store migration applied", {{"store", name_},
                                          {"version", std::to_string(m.version)},
                                          {"name", std::string(m.name)},
                                          {"duration_ms", std::to_string(ms.count())}});
  }
}

}  // namespace netra

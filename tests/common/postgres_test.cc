// The PostgreSQL backend's own behaviour (store_test.cc has what both
// backends share): a server restarted under a running Database, two
// "replicas" (two Database objects) on one database, password files, and the
// pieces that need no server (SQLSTATEs, parameter renumbering).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/outbox.h"
#include "common/postgres.h"
#include "common/store.h"
#include "common/store_schema.h"
#include "tests/common/store_backends.h"
#include "tests/support/pg_server.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;
using netra::testing::PgServer;
using netra::testing::QueryInt;
using netra::testing::SharedPgServer;

const Migration kItems{1, "items", "", "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)"};
const Migration kRequestIds{2, "request ids", kRequestIdsSql, kRequestIdsPostgresSql};
const Migration kCounter{3, "counter", "",
                         "CREATE TABLE counter (id BIGINT PRIMARY KEY, value BIGINT NOT NULL);"
                         "INSERT INTO counter VALUES (1, 0);"};
const Migration kMigrations[] = {kItems, kRequestIds, kCounter};

std::unique_ptr<Database> MustOpen(const std::string& url, std::span<const Migration> migrations = kMigrations,
                                   const DatabaseOptions& options = {}) {
  return testing::MustOpenStore(StoreUrl{"postgresql", url}, migrations, options);
}

std::string NewDatabase() {
  static int counter = 0;
  return SharedPgServer().CreateDatabase("db_" + std::to_string(++counter));
}

TEST(PostgresParameters, AreRenumberedAsSqliteNumbersThem) {
  std::string error;
  auto rewrite = [&](std::string_view sql) { return postgres::RewriteParameters(sql, &error).value_or(postgres::RewrittenSql{}).sql; };
  EXPECT_EQ(rewrite("SELECT ?1, ?2, ?1"), "SELECT $1, $2, $1");
  EXPECT_EQ(rewrite("SELECT ?, ?, ?5, ?"), "SELECT $1, $2, $5, $6");
  EXPECT_EQ(rewrite("SELECT :a, :b, :a"), "SELECT $1, $2, $1");
  EXPECT_EQ(rewrite("SELECT x::bigint, ':a', \"?\" -- ?\n, E'\\'?', $$ :b $$, ?"),
            "SELECT x::bigint, ':a', \"?\" -- ?\n, E'\\'?', $$ :b $$, $1");
  EXPECT_EQ(rewrite("SELECT 'it''s ?', ?1 /* ?2 */;"), "SELECT 'it''s ?', $1 /* ?2 */");
  auto named = postgres::RewriteParameters("UPDATE t SET a = :x WHERE b = ?3 AND c = :y", &error);
  ASSERT_TRUE(named);
  EXPECT_EQ(named->params, 4);
  EXPECT_EQ(named->names, (std::vector<std::pair<std::string, int>>{{":x", 1}, {":y", 4}}));
  EXPECT_FALSE(postgres::RewriteParameters("SELECT 1; SELECT 2", &error));
  EXPECT_NE(error.find("one statement"), std::string::npos) << error;
  EXPECT_FALSE(postgres::RewriteParameters(" -- nothing\n ", &error));
  EXPECT_FALSE(postgres::RewriteParameters("SELECT ?0", &error));
}

TEST(PostgresErrors, SqlStatesAreClassifiedAndKept) {
  using Kind = StoreError::Kind;
  const std::map<std::string, Kind> kinds = {
      {"23505", Kind::kUniqueViolation}, {"23503", Kind::kConstraint}, {"23502", Kind::kConstraint},
      {"40001", Kind::kBusy},            {"40P01", Kind::kBusy},       {"55P03", Kind::kBusy},
      {"57014", Kind::kBusy},            {"08006", Kind::kUnavailable}, {"08001", Kind::kUnavailable},
      {"57P01", Kind::kUnavailable},     {"57P03", Kind::kUnavailable}, {"53300", Kind::kUnavailable},
      {"42601", Kind::kOther},           {"42P01", Kind::kOther},
  };
  for (const auto& [state, kind] : kinds) {
    const StoreError e = postgres::PostgresError(state, "boom");
    EXPECT_EQ(e.kind(), kind) << state;
    EXPECT_EQ(postgres::SqlStateOf(e.code()), state);
    EXPECT_NE(std::string(e.what()).find("SQLSTATE " + state), std::string::npos) << e.what();
  }
}

// The server goes away under a running service: calls fail fast as
// unavailable, and once it is back they work again on the same Database.
TEST(PostgresStore, ARestartedServerFailsCallsFastThenIsReconnected) {
  PgServer server;
  ASSERT_TRUE(server.Start());
  DatabaseOptions options;
  options.connect_timeout = 2s;
  options.statement_timeout = 5s;
  options.max_connections = 3;
  auto db = MustOpen(server.CreateDatabase("restarted"), kMigrations, options);
  ASSERT_NE(db, nullptr);
  auto insert = [&](int64_t id) {
    db->Write([&](Connection& c) {
      c.Prepare("INSERT INTO items (id, name) VALUES (?1, ?2)").Bind(1, id).Bind(2, "item " + std::to_string(id)).Run();
    });
  };
  insert(1);
  {  // two connections in the pool, both to go stale
    auto a = db->Acquire();
    auto b = db->Acquire();
  }

  ASSERT_TRUE(server.Stop());
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    try {
      insert(2);
      ADD_FAILURE() << "a write succeeded with the server down";
    } catch (const StoreError& e) {
      EXPECT_EQ(e.kind(), StoreError::Kind::kUnavailable) << e.what();
    }
    try {
      QueryInt(*db, "SELECT count(*) FROM items");
      ADD_FAILURE() << "a read succeeded with the server down";
    } catch (const StoreError& e) {
      EXPECT_TRUE(e.IsUnavailable()) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  }

  ASSERT_TRUE(server.Start());
  insert(3);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 2);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items WHERE id = 2"), 0);  // nothing half-done
}

TEST(PostgresStore, APasswordFileIsUsedAndNoPasswordIsRefused) {
  PgServer& server = SharedPgServer();
  server.CreateDatabase("passworded");
  const std::string bare = server.Url("passworded", "passworded", /*with_passfile=*/false);
  std::string error;
  EXPECT_EQ(Database::Open(StoreUrl{"postgresql", bare}, kMigrations, &error), nullptr);
  EXPECT_NE(error.find("password"), std::string::npos) << error;

  DatabaseOptions options;
  options.password_file = server.password_file();
  auto db = Database::Open(StoreUrl{"postgresql", bare}, kMigrations, &error, options);
  ASSERT_NE(db, nullptr) << error;
  EXPECT_EQ(db->name(), "postgresql://passworded@127.0.0.1:" + std::to_string(server.port()) + "/passworded");
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 0);
}

// A statement past statement_timeout is cancelled by the server: busy (so
// UNAVAILABLE upstream), not a hang, and the connection stays usable.
TEST(PostgresStore, AStatementPastItsTimeoutFailsAsBusy) {
  DatabaseOptions options;
  options.statement_timeout = 200ms;
  options.max_connections = 1;
  auto db = MustOpen(NewDatabase(), kMigrations, options);
  ASSERT_NE(db, nullptr);
  const auto start = std::chrono::steady_clock::now();
  try {
    QueryInt(*db, "SELECT count(*) FROM pg_sleep(5)");
    ADD_FAILURE() << "the statement was not cancelled";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.IsBusy()) << e.what();
    EXPECT_EQ(postgres::SqlStateOf(e.code()), "57014");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 0);
}

// An upgrade over a large store runs longer than a request may: the
// migration is not cut off by the statement timeout (and the timeout holds
// again after it).
TEST(PostgresStore, AMigrationRunsPastTheStatementTimeout) {
  DatabaseOptions options;
  options.statement_timeout = 200ms;
  options.max_connections = 1;
  const Migration slow[] = {
      {1, "slow", "-- SQLite: not run\n", "CREATE TABLE slow AS SELECT 1 AS one FROM pg_sleep(0.6);"}};
  auto db = MustOpen(NewDatabase(), slow, options);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM slow"), 1);
  EXPECT_THROW(QueryInt(*db, "SELECT count(*) FROM pg_sleep(0.6)"), StoreError);
}

TEST(PostgresReplicas, StartingAtOnceTheyMigrateOnce) {
  const std::string url = NewDatabase();
  std::vector<std::thread> replicas;
  std::atomic<int> opened{0};
  for (int i = 0; i < 3; ++i) {
    replicas.emplace_back([&] {
      if (MustOpen(url) != nullptr) ++opened;
    });
  }
  for (auto& r : replicas) r.join();
  EXPECT_EQ(opened.load(), 3);
  auto db = MustOpen(url);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM schema_migrations"), 3);
  EXPECT_EQ(QueryInt(*db, "SELECT value FROM counter"), 0);  // migration 3's insert ran once
}

// Database::Write or WriteLockingRows, as a test's parameter.
enum class WriteKind { kSerializable, kLockingRows };

template <typename Fn>
auto WriteAs(WriteKind kind, Database& db, Fn&& fn) {
  return kind == WriteKind::kSerializable ? db.Write(std::forward<Fn>(fn)) : db.WriteLockingRows(std::forward<Fn>(fn));
}

// The same request reaches two replicas at once. The first claims its id; the
// second's claim waits on the unique key. Once the first commits, the second
// replays the first answer instead of making a second record: in a Write
// after failing to serialize and running again, in a WriteLockingRows at once.
void RequestIdAnsweredOnceAcrossReplicas(WriteKind kind) {
  const std::string url = NewDatabase();
  auto first = MustOpen(url), second = MustOpen(url), observer = MustOpen(url);
  ASSERT_TRUE(first && second && observer);
  std::atomic<int> runs{0};
  std::atomic<bool> claimed{false};
  const RequestKey key{"CreateItem", "req-1", "same content"};
  auto submit = [&](Database& db, int64_t id, const std::function<void()>& after_claim) {
    return WriteAs(kind, db, [&](Connection& c) -> std::string {
      ++runs;
      auto replay = ReplayRequest(c, key);
      if (replay.value()) return *replay.value();
      after_claim();
      const std::string answer = "item " + std::to_string(id);
      RecordRequest(c, key, answer);
      c.Prepare("INSERT INTO items (id, name) VALUES (?1, ?2)").Bind(1, id).Bind(2, answer).Run();
      return answer;
    });
  };
  std::string a, b;
  std::thread ta([&] {
    a = submit(*first, 1, [&] {
      claimed = true;
      // Commit only once the other replica is waiting on this claim.
      EXPECT_TRUE(netra::testing::WaitUntil(
          [&] {
            return QueryInt(*observer, "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'") >
                   0;
          },
          std::chrono::seconds(10)));
    });
  });
  ASSERT_TRUE(netra::testing::WaitUntil([&] { return claimed.load(); }, std::chrono::seconds(10)));
  std::thread tb([&] { b = submit(*second, 2, [] {}); });
  ta.join();
  tb.join();
  EXPECT_EQ(a, "item 1");
  EXPECT_EQ(b, "item 1");
  EXPECT_EQ(QueryInt(*first, "SELECT count(*) FROM items"), 1);
  EXPECT_EQ(QueryInt(*first, "SELECT count(*) FROM request_ids"), 1);
  if (kind == WriteKind::kSerializable) {
    EXPECT_GE(runs.load(), 3);  // the second ran again
  } else {
    EXPECT_EQ(runs.load(), 2);  // the second read the first's answer once it committed
  }
}

TEST(PostgresReplicas, ARequestIdIsAnsweredOnceAcrossReplicas) {
  RequestIdAnsweredOnceAcrossReplicas(WriteKind::kSerializable);
}

TEST(PostgresReplicas, ARequestIdIsAnsweredOnceAcrossReplicasWhenLockingRows) {
  RequestIdAnsweredOnceAcrossReplicas(WriteKind::kLockingRows);
}

// Two writes change two different rows at once, each row read first with FOR
// UPDATE, and the column they change is indexed (so each update adds index
// entries). SERIALIZABLE takes each read's lock on what the scan touched (the
// table, or the index page both rows share), so each write conflicts with the
// other's read and one is re-run. WriteLockingRows runs each once.
void RowsChangedAtOnce(WriteKind kind, int expected_runs) {
  const std::string url = NewDatabase();
  const Migration rows[] = {{1, "rows", "",
                             "CREATE TABLE rows (id BIGINT PRIMARY KEY, due BIGINT NOT NULL);"
                             "CREATE INDEX rows_due ON rows(due);"
                             "INSERT INTO rows VALUES (1, 10), (2, 20)"}};
  auto first = MustOpen(url, rows), second = MustOpen(url, rows);
  ASSERT_TRUE(first && second);
  std::atomic<int> runs{0}, locked{0};
  auto change = [&](Database& db, int64_t id) {
    bool first_run = true;
    WriteAs(kind, db, [&](Connection& c) {
      ++runs;
      Statement read = c.Prepare("SELECT due FROM rows WHERE id = ?1 FOR UPDATE");
      read.Bind(1, id);
      EXPECT_TRUE(read.Step());
      const int64_t due = read.ColumnInt64(0);
      read.Reset();
      if (std::exchange(first_run, false)) {  // both have read before either writes
        ++locked;
        EXPECT_TRUE(netra::testing::WaitUntil([&] { return locked.load() == 2; }, std::chrono::seconds(10)));
      }
      c.Prepare("UPDATE rows SET due = ?2 WHERE id = ?1").Bind(1, id).Bind(2, due + 100).Run();
    });
  };
  std::thread ta([&] { change(*first, 1); });
  std::thread tb([&] { change(*second, 2); });
  ta.join();
  tb.join();
  EXPECT_EQ(QueryInt(*first, "SELECT due FROM rows WHERE id = 1"), 110);
  EXPECT_EQ(QueryInt(*first, "SELECT due FROM rows WHERE id = 2"), 120);
  EXPECT_EQ(runs.load(), expected_runs);
}

TEST(PostgresReplicas, SerializableWritesOfDifferentRowsCanAbortEachOther) {
  RowsChangedAtOnce(WriteKind::kSerializable, 3);
}

TEST(PostgresReplicas, WritesLockingTheirRowsDoNotAbortEachOther) { RowsChangedAtOnce(WriteKind::kLockingRows, 2); }

// Read-modify-write from two replicas, two threads each, 80 increments in
// all; returns how often the write function ran. In a Write, SERIALIZABLE
// aborts the losers and they run again; in a WriteLockingRows (the row read
// FOR UPDATE, at READ COMMITTED) the writers queue on the row's lock and each
// reads the value the last one left. Either way no increment is lost.
int ConcurrentIncrements(WriteKind kind) {
  const std::string url = NewDatabase();
  DatabaseOptions patient;
  patient.max_write_attempts = 100;
  auto first = MustOpen(url, kMigrations, patient), second = MustOpen(url, kMigrations, patient);
  EXPECT_TRUE(first && second);
  if (!first || !second) return 0;
  const std::string read_sql =
      std::string("SELECT value FROM counter WHERE id = 1") + (kind == WriteKind::kLockingRows ? " FOR UPDATE" : "");
  std::atomic<int> runs{0};
  std::vector<std::thread> threads;
  for (Database* db : {first.get(), second.get(), first.get(), second.get()}) {
    threads.emplace_back([&, db] {
      for (int i = 0; i < 20; ++i) {
        WriteAs(kind, *db, [&](Connection& c) {
          ++runs;
          Statement read = c.Prepare(read_sql);
          EXPECT_TRUE(read.Step());
          const int64_t value = read.ColumnInt64(0);
          read.Reset();
          c.Prepare("UPDATE counter SET value = ?1 WHERE id = 1").Bind(1, value + 1).Run();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(QueryInt(*first, "SELECT value FROM counter"), 80);
  return runs.load();
}

TEST(PostgresReplicas, ConcurrentReadModifyWritesLoseNoUpdate) {
  EXPECT_GE(ConcurrentIncrements(WriteKind::kSerializable), 80);
}

TEST(PostgresReplicas, ReadModifyWritesLockingTheirRowLoseNoUpdateAndNeverRunAgain) {
  EXPECT_EQ(ConcurrentIncrements(WriteKind::kLockingRows), 80);
}

TEST(PostgresReplicas, EachOutboxMessageIsClaimedByOneReplicaAtATime) {
  const std::string url = NewDatabase();
  const Migration outbox[] = {{1, "outbox", kOutboxSql, kOutboxPostgresSql},
                              {2, "outbox refusals parked", kOutboxRefusalSql, kOutboxRefusalPostgresSql}};
  auto first = MustOpen(url, outbox), second = MustOpen(url, outbox);
  ASSERT_TRUE(first && second);
  constexpr int kMessages = 60;
  first->Write([](Connection& c) {
    for (int i = 0; i < kMessages; ++i) EnqueueOutbox(c, "peer.call", "m" + std::to_string(i), "payload");
  });
  std::mutex mu;
  std::map<std::string, int> deliveries;
  OutboxOptions options;
  options.batch = 7;
  OutboxDispatcher a(*first, nullptr, options), b(*second, nullptr, options);
  for (OutboxDispatcher* d : {&a, &b}) {
    d->Handle("peer.call", [&](const OutboxMessage& m) {
      std::lock_guard lock(mu);
      ++deliveries[m.dedupe_key];
      return OutboxDispatcher::Delivery::Ok();
    });
  }
  std::atomic<int> delivered{0};
  auto drain = [&](OutboxDispatcher& d) {
    for (int pass = 0; pass < 100 && delivered.load() < kMessages; ++pass) delivered += d.DeliverDue();
  };
  std::thread ta([&] { drain(a); });
  std::thread tb([&] { drain(b); });
  ta.join();
  tb.join();
  EXPECT_EQ(delivered.load(), kMessages);
  EXPECT_EQ(deliveries.size(), static_cast<size_t>(kMessages));
  for (const auto& [key, count] : deliveries) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(QueryInt(*first, "SELECT count(*) FROM outbox"), 0);
}

}  // namespace
}  // namespace netra

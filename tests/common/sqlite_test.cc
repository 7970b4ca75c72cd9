#include "common/sqlite.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "common/store_schema.h"

namespace netra {
namespace {

using namespace std::chrono_literals;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/netra_sqlite_test.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) std::abort();
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

const Migration kV1{1, "create_items",
                    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                    " data BLOB);"
                    "CREATE INDEX items_by_data ON items(data);"};
const Migration kV2{2, "create_tags",
                    "CREATE TABLE tags (item_id INTEGER NOT NULL REFERENCES items(id),"
                    " tag TEXT NOT NULL);"};
const Migration kV1Only[] = {kV1};
const Migration kV1V2[] = {kV1, kV2};

std::unique_ptr<Database> MustOpen(const std::string& path, std::span<const Migration> migrations,
                                   const DatabaseOptions& options = {}) {
  std::string error;
  auto db = Database::Open(path, migrations, &error, options);
  EXPECT_NE(db, nullptr) << error;
  EXPECT_EQ(error, "");
  return db;
}

int64_t QueryInt(Database& db, std::string_view sql) {
  return db.Read([&](Connection& c) {
    Statement st = c.Prepare(sql);
    EXPECT_TRUE(st.Step()) << sql;
    return st.ColumnInt64(0);
  });
}

std::vector<std::pair<int64_t, std::string>> AppliedMigrations(Database& db) {
  return db.Read([](Connection& c) {
    std::vector<std::pair<int64_t, std::string>> out;
    Statement st = c.Prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
    while (st.Step()) {
      EXPECT_FALSE(st.ColumnText(2).empty());
      out.emplace_back(st.ColumnInt64(0), st.ColumnText(1) + "@" + st.ColumnText(2));
    }
    return out;
  });
}

void InsertItem(Connection& c, int64_t id, std::string_view name) {
  c.Prepare("INSERT INTO items (id, name) VALUES (?, ?)").Bind(1, id).Bind(2, name).Run();
}

TEST(SqliteMigrations, ApplyOnceAndAreRecorded) {
  TempDir dir;
  std::string path = dir.File("a.db");
  std::vector<std::pair<int64_t, std::string>> first;
  {
    auto db = MustOpen(path, kV1V2);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->schema_version(), 2);
    first = AppliedMigrations(*db);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(first[0].first, 1);
    EXPECT_EQ(first[0].second.substr(0, 13), "create_items@");
    EXPECT_EQ(first[1].first, 2);
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM sqlite_master WHERE name IN ('items','tags')"), 2);
  }
  std::this_thread::sleep_for(5ms);  // applied_at has millisecond resolution
  auto db = MustOpen(path, kV1V2);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  EXPECT_EQ(AppliedMigrations(*db), first);  // same rows, same timestamps: nothing re-run
}

TEST(SqliteMigrations, LaterMigrationAppliesOnlyItself) {
  TempDir dir;
  std::string path = dir.File("a.db");
  std::string v1_record;
  {
    auto db = MustOpen(path, kV1Only);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->schema_version(), 1);
    db->Write([](Connection& c) { InsertItem(c, 1, "kept"); });
    v1_record = AppliedMigrations(*db).at(0).second;
  }
  std::this_thread::sleep_for(5ms);
  auto db = MustOpen(path, kV1V2);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 2);
  auto applied = AppliedMigrations(*db);
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].second, v1_record);
  EXPECT_EQ(applied[1].first, 2);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items WHERE name = 'kept'"), 1);
}

TEST(SqliteMigrations, FailingMigrationRollsBackAndOpenFails) {
  TempDir dir;
  std::string path = dir.File("a.db");
  { ASSERT_NE(MustOpen(path, kV1Only), nullptr); }
  const Migration bad[] = {
      kV1, {2, "half_done", "CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);"}};
  std::string error;
  EXPECT_EQ(Database::Open(path, bad, &error), nullptr);
  EXPECT_NE(error.find("migration 2 (half_done) failed"), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;

  auto db = MustOpen(path, kV1Only);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->schema_version(), 1);
  EXPECT_EQ(AppliedMigrations(*db).size(), 1u);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), 0);
}

TEST(SqliteMigrations, DowngradeRefused) {
  TempDir dir;
  std::string path = dir.File("a.db");
  { ASSERT_NE(MustOpen(path, kV1V2), nullptr); }
  std::string error;
  EXPECT_EQ(Database::Open(path, kV1Only, &error), nullptr);
  EXPECT_NE(error.find("schema version 2"), std::string::npos) << error;
  EXPECT_NE(error.find("only up to 1"), std::string::npos) << error;
}

TEST(SqliteMigrations, VersionsMustBeStrictlyIncreasing) {
  TempDir dir;
  std::string error;
  const Migration reversed[] = {kV2, kV1};
  EXPECT_EQ(Database::Open(dir.File("a.db"), reversed, &error), nullptr);
  EXPECT_NE(error.find("strictly increasing"), std::string::npos) << error;
  const Migration duplicate[] = {kV1, {1, "again", "SELECT 1"}};
  error.clear();
  EXPECT_EQ(Database::Open(dir.File("a.db"), duplicate, &error), nullptr);
  EXPECT_NE(error.find("strictly increasing"), std::string::npos) << error;
  const Migration zero[] = {{0, "zero", "SELECT 1"}};
  EXPECT_EQ(Database::Open(dir.File("a.db"), zero, &error), nullptr);
}

TEST(SqliteMigrations, MissingMiddleMigrationRefused) {
  TempDir dir;
  std::string path = dir.File("a.db");
  const Migration v1_v3[] = {kV1, {3, "three", "CREATE TABLE three (x)"}};
  { ASSERT_NE(MustOpen(path, v1_v3), nullptr); }
  const Migration v1_v2_v3[] = {kV1, kV2, {3, "three", "CREATE TABLE three (x)"}};
  std::string error;
  EXPECT_EQ(Database::Open(path, v1_v2_v3, &error), nullptr);
  EXPECT_NE(error.find("migration 2"), std::string::npos) << error;
}

TEST(SqliteOpen, BadFilesRefused) {
  TempDir dir;
  std::string error;
  EXPECT_EQ(Database::Open(dir.File("no/such/dir/a.db"), kV1Only, &error), nullptr);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  {
    std::ofstream junk(dir.File("junk.db"));
    junk << "this is definitely not an SQLite database file, just some text padding it out";
  }
  EXPECT_EQ(Database::Open(dir.File("junk.db"), kV1Only, &error), nullptr);
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
  EXPECT_EQ(Database::Open(":memory:", kV1Only, &error), nullptr);
}

TEST(SqliteOpen, PragmasSetOnEveryConnection) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  // Hold two leases at once so the second is a freshly opened connection.
  Database::Lease a = db->Acquire();
  Database::Lease b = db->Acquire();
  for (Connection* c : {&*a, &*b}) {
    auto pragma = [&](std::string_view sql) {
      Statement st = c->Prepare(sql);
      EXPECT_TRUE(st.Step());
      return st.ColumnText(0);
    };
    EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(pragma("PRAGMA synchronous"), "2");  // FULL
    EXPECT_EQ(pragma("PRAGMA foreign_keys"), "1");
    EXPECT_EQ(pragma("PRAGMA busy_timeout"), "5000");
  }
}

TEST(SqliteTransaction, RollbackOnDestruction) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  {
    Database::Lease c = db->Acquire();
    Transaction tx(*c);
    InsertItem(*c, 1, "gone");
    EXPECT_TRUE(c->InTransaction());
  }
  EXPECT_THROW(db->Write([](Connection& c) {
    InsertItem(c, 2, "also gone");
    throw std::runtime_error("handler failed");
  }),
               std::runtime_error);
  {
    Database::Lease c = db->Acquire();
    Transaction tx(*c);
    InsertItem(*c, 3, "rolled back");
    tx.Rollback();
    EXPECT_FALSE(c->InTransaction());
    EXPECT_THROW(tx.Commit(), StoreError);
  }
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 0);
}

TEST(SqliteTransaction, CommitPersistsAcrossReopen) {
  TempDir dir;
  std::string path = dir.File("a.db");
  {
    auto db = MustOpen(path, kV1Only);
    ASSERT_NE(db, nullptr);
    int64_t id = db->Write([](Connection& c) {
      c.Prepare("INSERT INTO items (name, data) VALUES (?, ?)")
          .Bind(1, "persisted")
          .BindBlob(2, std::string_view("\x00\x01\xff", 3))
          .Run();
      EXPECT_EQ(c.Changes(), 1);
      return c.LastInsertRowId();
    });
    EXPECT_GT(id, 0);
  }
  auto db = MustOpen(path, kV1Only);
  ASSERT_NE(db, nullptr);
  db->Read([](Connection& c) {
    Statement st = c.Prepare("SELECT name, data FROM items");
    ASSERT_TRUE(st.Step());
    EXPECT_EQ(st.ColumnText(0), "persisted");
    EXPECT_EQ(st.ColumnBlob(1), std::string("\x00\x01\xff", 3));
    EXPECT_FALSE(st.Step());
  });
}

TEST(SqliteErrors, ConstraintKindsDistinguishable) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1V2);
  ASSERT_NE(db, nullptr);
  db->Write([](Connection& c) { InsertItem(c, 1, "one"); });

  auto error_of = [&](auto fn) -> std::optional<StoreError> {
    try {
      db->Write(fn);
    } catch (const StoreError& e) {
      return e;
    }
    return std::nullopt;
  };
  auto dup_key = error_of([](Connection& c) { InsertItem(c, 1, "other"); });
  ASSERT_TRUE(dup_key.has_value());
  EXPECT_EQ(dup_key->code(), SQLITE_CONSTRAINT_PRIMARYKEY);
  EXPECT_TRUE(dup_key->IsUniqueViolation());
  EXPECT_FALSE(dup_key->IsUnavailable());

  auto dup_name = error_of([](Connection& c) { InsertItem(c, 2, "one"); });
  ASSERT_TRUE(dup_name.has_value());
  EXPECT_EQ(dup_name->code(), SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_TRUE(dup_name->IsUniqueViolation());
  EXPECT_NE(std::string(dup_name->what()).find("items.name"), std::string::npos);

  auto foreign = error_of([](Connection& c) {
    c.Prepare("INSERT INTO tags (item_id, tag) VALUES (99, 'x')").Run();
  });
  ASSERT_TRUE(foreign.has_value());
  EXPECT_EQ(foreign->code(), SQLITE_CONSTRAINT_FOREIGNKEY);
  EXPECT_TRUE(foreign->IsConstraint());
  EXPECT_FALSE(foreign->IsUniqueViolation());

  auto not_null = error_of([](Connection& c) { c.Prepare("INSERT INTO items (id) VALUES (5)").Run(); });
  ASSERT_TRUE(not_null.has_value());
  EXPECT_EQ(not_null->code(), SQLITE_CONSTRAINT_NOTNULL);
  EXPECT_FALSE(not_null->IsUniqueViolation());

  auto syntax = error_of([](Connection& c) { c.Prepare("INSERT INTO nowhere VALUES (1)"); });
  ASSERT_TRUE(syntax.has_value());
  EXPECT_FALSE(syntax->IsConstraint());
  EXPECT_FALSE(syntax->IsUnavailable());

  StoreError io = SqliteError(SQLITE_IOERR_FSYNC, "fsync failed");
  EXPECT_TRUE(io.IsUnavailable());
  EXPECT_FALSE(io.IsConstraint());
  EXPECT_EQ(io.kind(), StoreError::Kind::kUnavailable);
  EXPECT_EQ(io.code(), SQLITE_IOERR_FSYNC);
  StoreError locked = SqliteError(SQLITE_LOCKED_SHAREDCACHE, "locked");
  EXPECT_TRUE(locked.IsBusy());
  EXPECT_TRUE(locked.IsUnavailable());

  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 1);
}

TEST(SqliteConcurrency, FourWritersAllLand) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        try {
          if (i % 2 == 0) {
            db->Write([&](Connection& c) {
              InsertItem(c, t * 1000 + i, "w" + std::to_string(t) + "-" + std::to_string(i));
            });
          } else {  // the explicit lease + transaction spelling
            Database::Lease c = db->Acquire();
            Transaction tx(*c);
            InsertItem(*c, t * 1000 + i, "w" + std::to_string(t) + "-" + std::to_string(i));
            tx.Commit();
          }
          // Readers run alongside the writers.
          QueryInt(*db, "SELECT count(*) FROM items");
        } catch (const StoreError& e) {
          ADD_FAILURE() << e.what();
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 800);
}

// A writer outside this Database (another process, a backup tool) holds the
// write lock; SQLite's busy timeout makes our writer wait instead of failing.
TEST(SqliteConcurrency, BusyTimeoutWaitsForForeignWriter) {
  TempDir dir;
  std::string path = dir.File("a.db");
  auto db = MustOpen(path, kV1Only);
  ASSERT_NE(db, nullptr);

  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO items (id, name) VALUES (1, 'x')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  std::thread holder([&] {
    std::this_thread::sleep_for(300ms);
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_NO_THROW(db->Write([](Connection& c) { InsertItem(c, 2, "y"); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  holder.join();
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 2);

  // With a short timeout and a lock held longer, the writer gives up with BUSY.
  DatabaseOptions quick;
  quick.busy_timeout = 100ms;
  auto impatient = MustOpen(path, kV1Only, quick);
  ASSERT_NE(impatient, nullptr);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  try {
    impatient->Write([](Connection& c) { InsertItem(c, 3, "z"); });
    ADD_FAILURE() << "expected SQLITE_BUSY";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.IsBusy()) << e.what();
    EXPECT_TRUE(e.IsUnavailable());
  }
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
}

TEST(SqliteConcurrency, NestedWriteOnOneThreadFailsFast) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  auto start = std::chrono::steady_clock::now();
  db->Write([&](Connection&) {
    try {
      db->Write([](Connection&) {});
      ADD_FAILURE() << "nested write should fail";
    } catch (const StoreError& e) {
      EXPECT_TRUE(e.IsBusy());
    }
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(SqliteConcurrency, PoolIsBounded) {
  TempDir dir;
  DatabaseOptions options;
  options.max_connections = 2;
  auto db = MustOpen(dir.File("a.db"), kV1Only, options);
  ASSERT_NE(db, nullptr);
  std::optional<Database::Lease> a(db->Acquire());
  Database::Lease b = db->Acquire();
  std::atomic<bool> got_third{false};
  std::thread waiter([&] {
    Database::Lease c = db->Acquire();
    got_third = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(got_third.load());
  a.reset();
  waiter.join();
  EXPECT_TRUE(got_third.load());
}

TEST(SqliteStatement, ReuseBindsFreshValues) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  db->Write([](Connection& c) {
    Statement insert = c.Prepare("INSERT INTO items (id, name, data) VALUES (?1, ?2, ?3)");
    insert.Bind(1, 1).Bind(2, "first").BindNull(3).Run();
    insert.Bind(1, 2).Bind(2, "second").BindBlob(3, "").Run();
    insert.Bind(1, 3).Bind(2, "").BindBlob(3, std::string_view("a\0b", 3)).Run();
  });
  for (int round = 0; round < 2; ++round) {  // second round uses the cached statement
    db->Read([](Connection& c) {
      Statement get = c.Prepare("SELECT name, data FROM items WHERE id = ?");
      get.Bind(1, 1);
      ASSERT_TRUE(get.Step());  // leaves the statement mid-result ...
      EXPECT_EQ(get.ColumnText(0), "first");
      EXPECT_TRUE(get.ColumnIsNull(1));
      get.Bind(1, 2);  // ... and re-binding resets it
      ASSERT_TRUE(get.Step());
      EXPECT_EQ(get.ColumnText(0), "second");
      EXPECT_FALSE(get.ColumnIsNull(1));
      EXPECT_EQ(get.ColumnBlob(1), "");
      EXPECT_FALSE(get.Step());
      get.Bind(1, 3);
      ASSERT_TRUE(get.Step());
      EXPECT_EQ(get.ColumnText(0), "");
      EXPECT_FALSE(get.ColumnIsNull(0));
      EXPECT_EQ(get.ColumnBlob(1), std::string("a\0b", 3));
      get.Reset();
      ASSERT_TRUE(get.Step());  // bindings survive Reset
      EXPECT_EQ(get.ColumnText(0), "");
    });
  }
  // The same SQL twice at once (nested queries) gets two independent statements.
  db->Read([](Connection& c) {
    Statement outer = c.Prepare("SELECT id FROM items WHERE id >= ? ORDER BY id");
    outer.Bind(1, 2);
    int rows = 0;
    while (outer.Step()) {
      Statement inner = c.Prepare("SELECT id FROM items WHERE id >= ? ORDER BY id");
      inner.Bind(1, 1);
      ASSERT_TRUE(inner.Step());
      EXPECT_EQ(inner.ColumnInt64(0), 1);
      ++rows;
    }
    EXPECT_EQ(rows, 2);
  });
}

TEST(SqliteStatement, NamedParametersAndMisuse) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  db->Write([](Connection& c) {
    Statement st = c.Prepare("INSERT INTO items (id, name) VALUES (:id, :name)");
    st.Bind(st.ParamIndex(":id"), 7).Bind(st.ParamIndex(":name"), "seven").Run();
    EXPECT_THROW(st.ParamIndex(":nope"), StoreError);
    EXPECT_THROW(c.Prepare("SELECT 1; SELECT 2"), StoreError);
    EXPECT_THROW(c.Prepare("   "), StoreError);
    EXPECT_NO_THROW(c.Prepare("SELECT 1;  "));
  });
  EXPECT_EQ(QueryInt(*db, "SELECT id FROM items WHERE name = 'seven'"), 7);
}

TEST(SqliteMetrics, LatencyHistogramRecorded) {
  TempDir dir;
  prometheus::Registry registry;
  DatabaseOptions options;
  options.metrics = &registry;
  auto db = MustOpen(dir.File("a.db"), kV1Only, options);
  ASSERT_NE(db, nullptr);
  db->Write([](Connection& c) { InsertItem(c, 1, "one"); });
  QueryInt(*db, "SELECT count(*) FROM items");
  std::map<std::string, uint64_t> counts;
  for (const auto& family : registry.Collect()) {
    if (family.name != "netra_store_seconds") continue;
    for (const auto& metric : family.metric) {
      counts[metric.label.at(0).value] = metric.histogram.sample_count;
    }
  }
  EXPECT_GE(counts["insert"], 1u);
  EXPECT_GE(counts["select"], 1u);
  EXPECT_GE(counts["commit"], 2u);  // migration 1 and the insert
  EXPECT_GE(counts["begin"], 2u);
}

TEST(StoreUrl, Parses) {
  std::string error;
  auto abs = ParseStoreUrl("sqlite:///var/lib/netra/registry.db", &error);
  ASSERT_TRUE(abs.has_value()) << error;
  EXPECT_EQ(abs->scheme, "sqlite");
  EXPECT_EQ(abs->path, "/var/lib/netra/registry.db");

  auto rel = ParseStoreUrl("sqlite://data/registry.db", &error);
  ASSERT_TRUE(rel.has_value()) << error;
  EXPECT_EQ(rel->path, "data/registry.db");

  auto upper = ParseStoreUrl("SQLite:///x.db", &error);
  ASSERT_TRUE(upper.has_value()) << error;
  EXPECT_EQ(upper->scheme, "sqlite");

  for (std::string_view pg : {"postgresql://netra:secret@db:5432/registry", "postgres://db/registry"}) {
    auto parsed = ParseStoreUrl(pg, &error);
    ASSERT_TRUE(parsed.has_value()) << error;
    EXPECT_EQ(parsed->scheme, "postgresql");
    EXPECT_EQ(parsed->path, pg);
  }
}

TEST(StoreUrl, RejectsBadUrls) {
  for (std::string_view bad : {"", "registry.db", "/abs/registry.db", "sqlite:registry.db",
                               "sqlite://", "sqlite:///", "sqlite://:memory:",
                               "sqlite:///x.db?mode=ro", "mysql://u:pw@h/db", "://x"}) {
    std::string error;
    EXPECT_FALSE(ParseStoreUrl(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
    EXPECT_EQ(error.find("pw"), std::string::npos) << error;  // never echoes credentials
  }
  std::string error;
  ParseStoreUrl("mysql://h/db", &error);
  EXPECT_NE(error.find("\"mysql\""), std::string::npos) << error;
}

// Group commit: many writers at once share commits, and one failing write
// takes nothing of the others with it.
TEST(SqliteGroupCommit, ConcurrentWritesAllLandAndFailuresStayTheirOwn) {
  TempDir dir;
  prometheus::Registry registry;
  DatabaseOptions options;
  options.metrics = &registry;
  auto db = MustOpen(dir.File("a.db"), kV1Only, options);
  ASSERT_NE(db, nullptr);
  std::atomic<int> committed{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const int id = t * 1000 + i;
        try {
          const int written = db->Write([&](Connection& c) {
            InsertItem(c, id, "item-" + std::to_string(id));
            // Every fifth write fails after writing: its row must not stay.
            if (i % 5 == 4) throw std::runtime_error("refused by the domain");
            return id;
          });
          EXPECT_EQ(written, id);
          ++committed;
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "refused by the domain");
          ++refused;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(committed.load(), 16 * 40);
  EXPECT_EQ(refused.load(), 16 * 10);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 16 * 40);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items WHERE id % 1000 % 5 = 4"), 0);
  // Every write went through a group commit (one sample per group).
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find("netra_store_group_commit_writes_sum 800"), std::string::npos) << text;
}

TEST(SqliteGroupCommit, AConstraintViolationFailsOnlyItsOwnWrite) {
  TempDir dir;
  auto db = MustOpen(dir.File("a.db"), kV1Only);
  ASSERT_NE(db, nullptr);
  db->Write([](Connection& c) { InsertItem(c, 1, "taken"); });
  try {
    db->Write([](Connection& c) {
      InsertItem(c, 2, "fresh");
      InsertItem(c, 3, "taken");  // UNIQUE(name)
    });
    ADD_FAILURE() << "expected a constraint violation";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.IsUniqueViolation()) << e.what();
  }
  db->Write([](Connection& c) { InsertItem(c, 4, "later"); });
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 2);
}

// The sweeper defers the checkpoint of its full batches: the pages stay in the
// WAL until the next ordinary commit, which checkpoints them, and the
// connection's automatic checkpoint is back at once (else the WAL would grow
// without bound once the sweeper stopped).
TEST(SqliteGroupCommit, ADeferredCheckpointHappensAtTheNextOrdinaryCommit) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  DatabaseOptions one;  // one connection: the pragma read below is the writer's
  one.max_connections = 1;
  auto db = MustOpen(path, kV1Only, one);
  auto db_file_size = [&] { return std::filesystem::file_size(path); };
  const auto before = db_file_size();
  const std::string blob(8 * 1024 * 1024, 'x');  // ~2,000 pages: over the 1,000-page threshold
  db->Write([&](Connection& c) {
    c.DeferCheckpoint();
    c.Prepare("INSERT INTO items (id, name, data) VALUES (1, 'big', ?1)").BindBlob(1, blob).Run();
  });
  EXPECT_EQ(db_file_size(), before) << "the deferred commit checkpointed";
  EXPECT_EQ(QueryInt(*db, "PRAGMA wal_autocheckpoint"), 1000);
  db->Write([&](Connection& c) { InsertItem(c, 2, "small"); });
  EXPECT_GT(db_file_size(), before + blob.size()) << "the next commit did not checkpoint";
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items"), 2);
}

// Idempotency records, as every store keeps them (common/idempotency.h).
TEST(SqliteRequestRecords, ARetryGetsTheFirstResponseAndOtherContentIsRefused) {
  TempDir dir;
  const Migration migrations[] = {{1, "request ids", kRequestIdsSql}};
  auto db = MustOpen(dir.File("requests.db"), migrations);
  const RequestKey key{"UpsertThing", "req-1", "hash-a"};

  auto fresh = db->Write([&](Connection& c) { return ReplayRequest(c, key); });
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh.value());  // a new request_id: go ahead
  db->Write([&](Connection& c) { RecordRequest(c, key, "first"); });
  db->Write([&](Connection& c) { RecordRequest(c, key, "second"); });  // the first response stays

  auto retry = db->Read([&](Connection& c) { return ReplayRequest(c, key); });
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry.value(), std::optional<std::string>("first"));

  auto reused = db->Read([&](Connection& c) { return ReplayRequest(c, {"UpsertThing", "req-1", "hash-b"}); });
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(reused.error().violations.list()[0].field, "request_id");

  // The same request_id under another method is another request.
  auto other = db->Read([&](Connection& c) { return ReplayRequest(c, {"OtherThing", "req-1", "hash-b"}); });
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other.value());
  auto record = db->Read([&](Connection& c) { return FindRequestRecord(c, "UpsertThing", "req-1"); });
  ASSERT_TRUE(record);
  EXPECT_EQ(record->request_hash, "hash-a");
  EXPECT_EQ(record->response, "first");
}

// Store failures: UNAVAILABLE when retrying can help, INTERNAL otherwise, and
// a record that does not decode INTERNAL too; the cause never reaches the error.
TEST(SqliteStoreFailures, MapToUnavailableOrInternalWithoutTheCause) {
  auto busy = RunStoreOperation("op", []() -> Result<int> { throw SqliteError(SQLITE_BUSY, "database is locked"); });
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().kind, Error::Kind::kUnavailable);
  auto broken =
      RunStoreOperation("op", []() -> Result<int> { throw SqliteError(SQLITE_CONSTRAINT_CHECK, "CHECK failed"); });
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().kind, Error::Kind::kInternal);
  EXPECT_EQ(broken.error().message.find("CHECK"), std::string::npos);
  auto corrupt = RunStoreOperation<std::invalid_argument>(
      "op", []() -> Result<int> { throw std::invalid_argument("bad json at byte 3"); });
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.error().kind, Error::Kind::kInternal);
  EXPECT_EQ(corrupt.error().message.find("byte 3"), std::string::npos);
  EXPECT_EQ(RunStoreOperation("op", []() -> Result<int> { return 7; }).value(), 7);
}

}  // namespace
}  // namespace netra

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

#include "common/digest.h"
#include "tests/common/store_backends.h"

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
  return testing::MustOpenStore(StoreUrl{"sqlite", path}, migrations, options);
}

using testing::AppliedMigrations;
using testing::QueryInt;

void InsertItem(Connection& c, int64_t id, std::string_view name) {
  c.Prepare("INSERT INTO items (id, name) VALUES (?, ?)").Bind(1, id).Bind(2, name).Run();
}

// A store made before migrations carried checksums has no checksum column:
// it gains one at open, filled with this build's checksums (trusted on first
// sight), and from then on a different build's migration is refused.
TEST(SqliteMigrations, AStoreFromBeforeChecksumsUpgradesInPlace) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const std::string old_store = "PRAGMA journal_mode=WAL;"
                                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                                " applied_at TEXT NOT NULL);"
                                "INSERT INTO schema_migrations VALUES (1, 'create_items', '2026-01-01T00:00:00.000Z');" +
                                std::string(kV1.sql) + "INSERT INTO items (id, name) VALUES (1, 'old');";
  ASSERT_EQ(sqlite3_exec(raw, old_store.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
  sqlite3_close(raw);

  {
    auto db = MustOpen(path, kV1V2);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->schema_version(), 2);
    auto sums = db->Read([](Connection& c) {
      std::vector<std::string> out;
      Statement st = c.Prepare("SELECT checksum FROM schema_migrations ORDER BY version");
      while (st.Step()) out.push_back(st.ColumnText(0));
      return out;
    });
    EXPECT_EQ(sums, (std::vector<std::string>{HexOf(Sha256::Of({kV1.sql})), HexOf(Sha256::Of({kV2.sql}))}));
    EXPECT_EQ(AppliedMigrations(*db).at(0).second, "create_items@2026-01-01T00:00:00.000Z");
    EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM items WHERE name = 'old'"), 1);
  }
  Migration edited = kV1;
  edited.sql = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB, extra TEXT);";
  const Migration other_build[] = {edited, kV2};
  std::string error;
  EXPECT_EQ(Database::Open(path, other_build, &error), nullptr);
  EXPECT_NE(error.find("store migration 1 (create_items) was applied by a different build"), std::string::npos)
      << error;
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

// The kinds of constraint failures, on both backends, are in store_test.cc.
TEST(SqliteErrors, ResultCodesAreClassified) {
  StoreError io = SqliteError(SQLITE_IOERR_FSYNC, "fsync failed");
  EXPECT_TRUE(io.IsUnavailable());
  EXPECT_FALSE(io.IsConstraint());
  EXPECT_EQ(io.kind(), StoreError::Kind::kUnavailable);
  EXPECT_EQ(io.code(), SQLITE_IOERR_FSYNC);
  StoreError locked = SqliteError(SQLITE_LOCKED_SHAREDCACHE, "locked");
  EXPECT_TRUE(locked.IsBusy());
  EXPECT_TRUE(locked.IsUnavailable());
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
      for (const auto& label : metric.label) {
        if (label.name == "op") counts[label.value] = metric.histogram.sample_count;
      }
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

// The store's metrics on both backends (common/store.h, DatabaseOptions::metrics):
// the same names, told apart by `backend`, which the dashboards and the
// NetraStoreErrors / NetraStoreSlowCommits alerts (deploy/prometheus) rely on.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <prometheus/registry.h>
#include <string>
#include <thread>

#include "common/store.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;
using testing::StoreBackendTest;

const Migration kItems{1, "create_items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
                       "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE);"};
const Migration kMigrations[] = {kItems};

void InsertItem(Connection& c, int64_t id, std::string_view name) {
  c.Prepare("INSERT INTO items (id, name) VALUES (?, ?)").Bind(1, id).Bind(2, name).Run();
}

class StoreMetrics : public StoreBackendTest {
 protected:
  std::string backend() const { return pg() ? "postgresql" : "sqlite"; }

  // netra_store_seconds sample counts by op, checking every series' backend.
  std::map<std::string, uint64_t> LatencyCounts() {
    std::map<std::string, uint64_t> counts;
    for (const auto& family : registry_.Collect()) {
      if (family.name != "netra_store_seconds") continue;
      for (const auto& metric : family.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& label : metric.label) labels[label.name] = label.value;
        EXPECT_EQ(labels["backend"], backend());
        counts[labels["op"]] = metric.histogram.sample_count;
      }
    }
    return counts;
  }

  // netra_store_errors_total by kind (every kind present from the start, at 0).
  std::map<std::string, double> Errors() {
    std::map<std::string, double> errors;
    for (const auto& family : registry_.Collect()) {
      if (family.name != "netra_store_errors_total") continue;
      for (const auto& metric : family.metric) {
        std::map<std::string, std::string> labels;
        for (const auto& label : metric.label) labels[label.name] = label.value;
        EXPECT_EQ(labels["backend"], backend());
        errors[labels["kind"]] = metric.counter.value;
      }
    }
    return errors;
  }

  DatabaseOptions Options() {
    DatabaseOptions options;
    options.metrics = &registry_;
    return options;
  }

  prometheus::Registry registry_;
};
NETRA_STORE_BACKENDS(StoreMetrics);

TEST_P(StoreMetrics, LatencyAndErrorsByKindCarryTheBackend) {
  auto db = MustOpen(NewStore(), kMigrations, Options());
  ASSERT_NE(db, nullptr);
  const std::map<std::string, double> none = {{"unavailable", 0}, {"conflict", 0}, {"constraint", 0}, {"other", 0}};
  EXPECT_EQ(Errors(), none) << "every kind is exported from the start, so rate() has a series";

  db->Write([](Connection& c) { InsertItem(c, 1, "one"); });
  EXPECT_EQ(testing::QueryInt(*db, "SELECT count(*) FROM items"), 1);
  auto counts = LatencyCounts();
  EXPECT_GE(counts["insert"], 1u);
  EXPECT_GE(counts["select"], 1u);
  EXPECT_GE(counts["begin"], 1u);
  EXPECT_GE(counts["commit"], 1u);

  // A refused write is counted whoever handles it (handlers answer ALREADY_EXISTS).
  try {
    db->Write([](Connection& c) { InsertItem(c, 2, "one"); });
    ADD_FAILURE() << "a duplicate name is refused";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.IsUniqueViolation());
  }
  EXPECT_THROW(db->Read([](Connection& c) { c.Prepare("SELECT nothing FROM nowhere").Run(); }), StoreError);
  auto errors = Errors();
  EXPECT_EQ(errors["constraint"], 1);
  EXPECT_EQ(errors["other"], 1);
  EXPECT_EQ(errors["unavailable"], 0);
  EXPECT_EQ(errors["conflict"], 0);
}

TEST_P(StoreMetrics, AStoreThatCannotBeReachedCountsUnavailable) {
  // No such directory (SQLite cannot create the file), or a port nobody listens on.
  const StoreUrl url = pg() ? StoreUrl{"postgresql", "postgresql://netra@127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()) +
                                                         "/nowhere?connect_timeout=2"}
                            : StoreUrl{"sqlite", dir_.File("missing/dir/store.db")};
  std::string error;
  EXPECT_EQ(Database::Open(url, kMigrations, &error, Options()), nullptr);
  EXPECT_NE(error, "");
  EXPECT_EQ(Errors()["unavailable"], 1) << error;
}

// Writers that collide: SQLite's second writer waits out the busy timeout;
// PostgreSQL aborts the later SERIALIZABLE transaction (40001), which is re-run.
TEST_P(StoreMetrics, CollidingWritersCountAsConflicts) {
  DatabaseOptions options = Options();
  options.busy_timeout = 100ms;
  auto db = MustOpen(NewStore(), kMigrations, options);
  ASSERT_NE(db, nullptr);
  db->Write([](Connection& c) { InsertItem(c, 1, "one"); });

  if (!pg()) {
    Database::Lease holder = db->Acquire();
    Transaction held(*holder);
    std::async(std::launch::async, [&] {
      Database::Lease other = db->Acquire();
      EXPECT_THROW(Transaction waiting(*other), StoreError);
    }).get();
  } else {
    std::promise<void> read, changed;
    std::atomic<int> runs{0};
    std::thread first([&] {
      db->Write([&](Connection& c) {
        EXPECT_TRUE(c.Prepare("SELECT name FROM items WHERE id = 1").Step());
        if (runs++ == 0) {
          read.set_value();
          changed.get_future().wait();  // the other write commits in between
        }
        c.Prepare("UPDATE items SET name = 'first' WHERE id = 1").Run();
      });
    });
    read.get_future().wait();
    db->Write([](Connection& c) { c.Prepare("UPDATE items SET name = 'second' WHERE id = 1").Run(); });
    changed.set_value();
    first.join();
    EXPECT_EQ(runs.load(), 2) << "the aborted write ran again";
  }
  auto errors = Errors();
  EXPECT_GE(errors["conflict"], 1);
  EXPECT_EQ(errors["unavailable"], 0);
  EXPECT_EQ(errors["other"], 0);
}

}  // namespace
}  // namespace netra

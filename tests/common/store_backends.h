// Store tests that run on both backends: a value-parameterized fixture whose
// parameter is the Dialect. Instantiate with NETRA_STORE_BACKENDS(Suite); the
// tests are then named Backends/Suite.Test/Sqlite and .../Postgres, which is
// how CMake labels them (ctest -L sqlite, -L postgresql).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/store.h"
#include "tests/support/pg_server.h"
#include "tests/support/test_support.h"

namespace netra::testing {

// Opens (expecting success: a test failure otherwise, and null).
inline std::unique_ptr<Database> MustOpenStore(const StoreUrl& url, std::span<const Migration> migrations,
                                               const DatabaseOptions& options = {}) {
  std::string error;
  auto db = Database::Open(url, migrations, &error, options);
  EXPECT_NE(db, nullptr) << error;
  EXPECT_EQ(error, "");
  return db;
}

// The first column of the first row of `sql`, in a read transaction.
inline int64_t QueryInt(Database& db, std::string_view sql) {
  return db.Read([&](Connection& c) {
    Statement st = c.Prepare(sql);
    EXPECT_TRUE(st.Step()) << sql;
    return st.ColumnInt64(0);
  });
}

// schema_migrations as (version, "name@applied_at") rows.
inline std::vector<std::pair<int64_t, std::string>> AppliedMigrations(Database& db) {
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

}  // namespace netra::testing

namespace netra {
// How gtest (and ctest's test names) show the parameter.
inline void PrintTo(Dialect dialect, std::ostream* out) {
  *out << (dialect == Dialect::kSqlite ? "Sqlite" : "Postgres");
}
}  // namespace netra

namespace netra::testing {

inline std::string BackendName(const ::testing::TestParamInfo<Dialect>& info) {
  return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
}

#define NETRA_STORE_BACKENDS(Suite)                                                                    \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres), \
                           ::netra::testing::BackendName)

class StoreBackendTest : public ::testing::TestWithParam<Dialect> {
 protected:
  bool pg() const { return GetParam() == Dialect::kPostgres; }

  // A new, empty store of the test's backend: a file in a temp dir, or a new
  // database (and role) on the shared cluster.
  StoreUrl NewStore() {
    static int counter = 0;
    const std::string name = "store_" + std::to_string(++counter);
    if (!pg()) return StoreUrl{"sqlite", dir_.File(name + ".db")};
    return StoreUrl{"postgresql", SharedPgServer().CreateDatabase(name)};
  }

  static std::unique_ptr<Database> MustOpen(const StoreUrl& url, std::span<const Migration> migrations,
                                            const DatabaseOptions& options = {}) {
    return MustOpenStore(url, migrations, options);
  }

  TempDir dir_;
};

}  // namespace netra::testing

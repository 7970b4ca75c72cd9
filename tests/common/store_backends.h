// Store tests that run on both backends: a value-parameterized fixture whose
// parameter is the Dialect. Instantiate with NETRA_STORE_BACKENDS(Suite); the
// tests are then named Backends/Suite.Test/Sqlite and .../Postgres, which is
// how CMake labels them (ctest -L sqlite, -L postgresql).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <span>
#include <string>

#include "common/store.h"
#include "tests/support/pg_server.h"
#include "tests/support/test_support.h"

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

  // Opens (expecting success: a test failure otherwise, and null).
  static std::unique_ptr<Database> MustOpen(const StoreUrl& url, std::span<const Migration> migrations,
                                            const DatabaseOptions& options = {}) {
    std::string error;
    auto db = Database::Open(url, migrations, &error, options);
    EXPECT_NE(db, nullptr) << error;
    EXPECT_EQ(error, "");
    return db;
  }

  TempDir dir_;
};

}  // namespace netra::testing

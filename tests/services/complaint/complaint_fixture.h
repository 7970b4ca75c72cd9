// The complaint service's parts wired as main.cc wires them, over a real
// Redis and a temp SQLite file (or, with backend_ set to kPostgres first, a
// new database of the shared PostgreSQL cluster), for the tests that drive
// Complaints or its handler. Derive, then call StartComplaints from SetUp.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/redis.h"
#include "common/store.h"
#include "services/complaint/adapters.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"
#include "services/complaint/peers.h"
#include "tests/services/complaint/complaint_test_support.h"
#include "tests/support/pg_server.h"
#include "tests/support/test_support.h"

namespace netra::complaint::testing {

class ComplaintFixture : public ::testing::Test {
 protected:
  // Use with ASSERT_NO_FATAL_FAILURE.
  void StartComplaints(ComplaintSettings settings = {}) {
    ASSERT_TRUE(redis_server_.Start()) << redis_server_.log();
    std::string error;
    // As the complaint service's Redis user: only its commands on netra:test:*.
    redis_ = std::make_unique<RedisClient>(redis_server_.options("netra-complaint"), metrics_);
    cache_ = std::make_unique<Cache>(*redis_, "complaint_status", metrics_);
    StoreUrl url{"sqlite", dir_.File("complaint.db")};
    if (backend_ == Dialect::kPostgres) {
      static int databases = 0;
      url = StoreUrl{"postgresql", netra::testing::SharedPgServer().CreateDatabase(
                                       "complaint_" + std::to_string(++databases))};
    }
    db_ = Database::Open(url, kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    store_ = std::make_unique<ComplaintStore>(*db_, reporter_box_);
    texts_ = std::make_unique<RedisTextCache>(*redis_, *cache_);
    limiter_ = std::make_unique<RedisRateLimiter>(*redis_);
    complaint_metrics_ = std::make_unique<PrometheusComplaintMetrics>(metrics_);
    complaints_ = std::make_unique<Complaints>(
        *store_, ComplaintPorts{registry_, *texts_, *texts_, *limiter_, *complaint_metrics_, OpenCaseMessage},
        netra::testing::ShippedRegions(), catalog_, hasher_, reporter_box_, record_keys_, settings);
  }

  Dialect backend_ = Dialect::kSqlite;  // where StartComplaints opens the store
  netra::testing::TempDir dir_;
  netra::testing::RedisServer redis_server_;
  prometheus::Registry metrics_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ComplaintStore> store_;
  FakeRegistry registry_;
  NikHasher hasher_{std::string(32, 'k')};
  SealedBox reporter_box_{{std::string(32, 'r')}};
  RecordKeys record_keys_{std::string(32, 's')};
  // The catalog JSON the sanction service publishes; nullopt: it cannot be fetched.
  std::optional<std::string> published_catalog_;
  ViolationCatalogSource catalog_{Codes(),
                                  [this]() -> std::optional<ViolationCodes> {
                                    if (!published_catalog_) return std::nullopt;
                                    auto codes = ViolationCodes::FromCatalogJson(*published_catalog_);
                                    if (!codes.ok()) return std::nullopt;
                                    return codes.value();
                                  },
                                  std::chrono::milliseconds(0)};
  std::unique_ptr<RedisTextCache> texts_;
  std::unique_ptr<RedisRateLimiter> limiter_;
  std::unique_ptr<PrometheusComplaintMetrics> complaint_metrics_;
  std::unique_ptr<Complaints> complaints_;
};

}  // namespace netra::complaint::testing

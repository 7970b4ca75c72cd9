// RegistryClient against a real Redis and a stand-in registry served over real
// gRPC in process (the real registry is exercised by the integration tests).
#include "common/registry_client.h"

#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>

#include "common/client.h"
#include "common/redis.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;
using netra::testing::RedisServer;

// Knows one employee ("E-1") and one election ("pemilu-2024"); counts calls.
class StandInRegistry final : public v1::RegistryService::Service {
 public:
  grpc::Status GetEmployee(grpc::ServerContext*, const v1::GetEmployeeRequest* request,
                           v1::GetEmployeeResponse* response) override {
    ++employee_calls;
    if (request->employee_id() != "E-1") return {grpc::StatusCode::NOT_FOUND, "employee not found"};
    response->mutable_employee()->set_employee_id("E-1");
    response->mutable_employee()->set_name("Budi Santoso (registry)");
    return grpc::Status::OK;
  }
  grpc::Status GetElection(grpc::ServerContext*, const v1::GetElectionRequest* request,
                           v1::GetElectionResponse* response) override {
    ++election_calls;
    if (request->election_id() != "pemilu-2024") return {grpc::StatusCode::NOT_FOUND, "election not found"};
    response->mutable_election()->set_election_id("pemilu-2024");
    return grpc::Status::OK;
  }
  std::atomic<int> employee_calls{0}, election_calls{0};
};

class RegistryClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start()) << redis_server_.log();
    // As a service that reads employee snapshots (the complaint service's user).
    RedisOptions options = redis_server_.options("netra-complaint");
    redis_ = std::make_unique<RedisClient>(options, metrics_);
    cache_ = std::make_unique<Cache>(*redis_, "employee", metrics_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&registry_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ = MakeChannel("127.0.0.1:" + std::to_string(port), nullptr);
    client_ = std::make_unique<RegistryClient>(*cache_, channel_, 2s, /*election_ttl=*/60s);
  }
  void TearDown() override { server_->Shutdown(); }

  prometheus::Registry metrics_;
  RedisServer redis_server_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<Cache> cache_;
  StandInRegistry registry_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RegistryClient> client_;
};

TEST_F(RegistryClientTest, SnapshotInRedisIsUsedWithoutAskingTheRegistry) {
  v1::Employee snapshot;
  snapshot.set_employee_id("E-1");
  snapshot.set_name("Budi Santoso (snapshot)");
  ASSERT_TRUE(cache_->Put("registry:employee:E-1", snapshot.SerializeAsString(), 1min));
  auto found = client_->FindEmployee("E-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value().name(), "Budi Santoso (snapshot)");
  EXPECT_EQ(registry_.employee_calls, 0);
}

TEST_F(RegistryClientTest, MissAsksTheRegistryAndLeavesWritingSnapshotsToIt) {
  auto found = client_->FindEmployee("E-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value().name(), "Budi Santoso (registry)");
  EXPECT_EQ(registry_.employee_calls, 1);
  EXPECT_FALSE(redis_->Get("registry:employee:E-1").has_value());
}

TEST_F(RegistryClientTest, CorruptSnapshotFallsBackToTheRegistry) {
  ASSERT_TRUE(cache_->Put("registry:employee:E-1", "\xff\xff not a proto", 1min));
  auto found = client_->FindEmployee("E-1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value().name(), "Budi Santoso (registry)");
}

TEST_F(RegistryClientTest, UnknownEmployeeIsNotFoundAndADeadRegistryIsUnavailable) {
  auto missing = client_->FindEmployee("E-404");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);

  server_->Shutdown();
  redis_server_.Stop();
  auto down = client_->FindEmployee("E-1");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, Error::Kind::kUnavailable);
}

TEST_F(RegistryClientTest, ElectionsAreKeptAndServedThroughARegistryOutage) {
  ASSERT_TRUE(client_->FindElection("pemilu-2024").ok());
  ASSERT_TRUE(client_->FindElection("pemilu-2024").ok());
  EXPECT_EQ(registry_.election_calls, 1);
  auto unknown = client_->FindElection("pilkada-2099");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Error::Kind::kNotFound);
}

TEST_F(RegistryClientTest, StaleElectionIsServedWhenTheRegistryIsDown) {
  RegistryClient short_lived(*cache_, MakeChannel("127.0.0.1:1", nullptr), 300ms, /*election_ttl=*/0s);
  EXPECT_EQ(short_lived.FindElection("pemilu-2024").error().kind, Error::Kind::kUnavailable);
  RegistryClient client(*cache_, channel_, 2s, /*election_ttl=*/0s);
  ASSERT_TRUE(client.FindElection("pemilu-2024").ok());
  server_->Shutdown();
  auto stale = client.FindElection("pemilu-2024");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale.value().election_id(), "pemilu-2024");
}

}  // namespace
}  // namespace netra

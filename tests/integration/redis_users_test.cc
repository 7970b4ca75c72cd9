// The services on Redis with ACLs on, as deployed: each connects as its own
// user (deploy/redis/users.acl.in) with its password from a file, and one
// with a wrong password serves from its store, saying so.
#include <gtest/gtest.h>

#include <fstream>

#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

// Writes SemarangEmployee(n) through the registry and reads it back (both succeed); its id.
std::string WriteAndReadEmployee(const std::shared_ptr<grpc::Channel>& channel, int n) {
  auto registry = v1::RegistryService::NewStub(channel);
  v1::UpsertEmployeeRequest upsert;
  upsert.set_request_id("redis-users-employee-" + std::to_string(n));
  *upsert.mutable_employee() = SemarangEmployee(n);
  v1::UpsertEmployeeResponse created;
  auto status = registry->UpsertEmployee(MakeClientContext(10s).get(), upsert, &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::GetEmployeeRequest get;
  get.set_employee_id(created.employee().employee_id());
  v1::GetEmployeeResponse got;
  status = registry->GetEmployee(MakeClientContext(10s).get(), get, &got);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(got.employee().nip(), SemarangEmployee(n).nip());
  return created.employee().employee_id();
}

TEST(RedisUsers, EachServiceRunsAsItsOwnUserWithinItsRights) {
  NetraStack stack;
  ASSERT_TRUE(stack.StartAll());
  // Traffic through the registry's Redis paths: an employee written through and read back.
  const std::string id = WriteAndReadEmployee(stack.channel(Service::kRegistry), 1);
  for (Service service : {Service::kRegistry, Service::kComplaint, Service::kSanction}) {
    SCOPED_TRACE(NetraStack::Name(service));
    const std::string metrics = stack.metrics(service);
    EXPECT_EQ(MetricValue(metrics, "netra_redis_up"), 1.0);
    // A command its user may not run would be an error reply, counted here.
    EXPECT_EQ(MetricValue(metrics, "netra_redis_errors_total"), 0.0);
  }
  // Connected as the users the ACL names, and no other (the tests' own user aside).
  const std::string clients = stack.redis().RunAs(RedisServer::kTestUser, {"CLIENT", "LIST"});
  for (Service service : {Service::kRegistry, Service::kComplaint, Service::kSanction}) {
    EXPECT_NE(clients.find("user=" + NetraStack::RedisUser(service)), std::string::npos) << clients;
  }
  EXPECT_EQ(clients.find("user=default"), std::string::npos) << clients;
  // The snapshot the registry wrote is where its prefix says.
  EXPECT_NE(stack.redis().RunAs(RedisServer::kTestUser,
                                {"GET", "netra:test:registry:employee:" + id}),
            "<nil>");
}

TEST(RedisUsers, AWrongPasswordLeavesTheServiceServingFromItsStore) {
  NetraStack stack;
  std::ofstream(stack.dir().File("wrong.password")) << "not-the-registry-password\n";
  std::vector<std::string> argv =
      stack.CommandLine(Service::kRegistry, stack.address(Service::kRegistry), stack.metrics_port(Service::kRegistry));
  for (auto& arg : argv) {
    if (arg.rfind("--redis-password-file=", 0) == 0) arg = "--redis-password-file=" + stack.dir().File("wrong.password");
  }
  Subprocess process(argv, stack.dir().File("registry.log"));
  auto channel = stack.channel(Service::kRegistry);
  ASSERT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; }, 20s))
      << stack.log(Service::kRegistry);

  // Written to and read from the store alone.
  const std::string id = WriteAndReadEmployee(channel, 2);

  const std::string metrics = stack.metrics(Service::kRegistry);
  EXPECT_EQ(MetricValue(metrics, "netra_redis_up"), 0.0);
  EXPECT_GE(MetricValue(metrics, "netra_cache_requests_total", {{"result", "error"}}).value_or(0), 1.0);
  const std::string log = stack.log(Service::kRegistry);
  EXPECT_NE(log.find("redis down"), std::string::npos) << log;
  EXPECT_NE(log.find("WRONGPASS"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-registry-password"), std::string::npos) << "the password is in the log";
  // Nothing was written under the registry's name.
  EXPECT_EQ(stack.redis().RunAs(RedisServer::kTestUser, {"GET", "netra:test:registry:employee:" + id}), "<nil>");
}

}  // namespace
}  // namespace netra::testing

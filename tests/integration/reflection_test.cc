// gRPC server reflection, as a developer uses it with a grpcurl-style tool:
// `buf curl` (tools/install-deps installs it) lists and calls every service a
// Netra service serves, gRPC's health service included, over mutual TLS. Off
// unless --reflection (the local stack and these tests turn it on).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/client.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

class ReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(NETRA_BUF)) << NETRA_BUF << " is missing: run tools/install-deps";
  }

  // `buf curl` against `service` as the operator "admin" over mutual TLS: its output, and
  // whether it exited 0.
  std::string BufCurl(Service service, std::vector<std::string> args, bool* ok) {
    const TlsFiles admin = stack_.pki().Issue(kAdmin);
    std::vector<std::string> argv = {NETRA_BUF,       "curl",     "--protocol", "grpc",    "--cacert", admin.ca,
                                     "--cert",        admin.cert, "--key",      admin.key, "--timeout", "20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.back() = "https://" + stack_.address(service) + argv.back();
    const std::string log = stack_.dir().File("buf-" + std::to_string(++calls_) + ".log");
    // buf keeps a cache under $HOME; give it the test's directory.
    Subprocess buf(argv, log, {{"BUF_CACHE_DIR", stack_.dir().File("buf-cache")}});
    *ok = buf.Wait(30s) == 0;
    return ReadFile(log);
  }

  NetraStack stack_;
  int calls_ = 0;
};

TEST_F(ReflectionTest, BufCurlListsAndCallsEveryServiceTheHealthServiceIncluded) {
  ASSERT_TRUE(stack_.StartAll());
  const std::pair<Service, const char*> apis[] = {{Service::kRegistry, "netra.v1.RegistryService/ListRegions"},
                                                  {Service::kComplaint, "netra.v1.ComplaintService/GetComplaint"},
                                                  {Service::kSanction, "netra.v1.SanctionService/GetCase"}};
  for (const auto& [service, method] : apis) {
    SCOPED_TRACE(NetraStack::Name(service));
    bool ok = false;
    const std::string methods = BufCurl(service, {"--list-methods", ""}, &ok);
    EXPECT_TRUE(ok) << methods;
    EXPECT_NE(methods.find(method), std::string::npos) << methods;
    EXPECT_NE(methods.find("grpc.health.v1.Health/Check"), std::string::npos) << methods;
    EXPECT_NE(methods.find("grpc.health.v1.Health/Watch"), std::string::npos) << methods;

    const std::string health = BufCurl(service, {"/grpc.health.v1.Health/Check"}, &ok);
    EXPECT_TRUE(ok) << health;
    EXPECT_NE(health.find("\"status\": \"SERVING\""), std::string::npos) << health;
  }
  // An API call, described by reflection and answered under the access policy.
  bool ok = false;
  const std::string regions =
      BufCurl(Service::kRegistry, {"--data", R"({"parentCode": "33", "pageSize": 3})", "/netra.v1.RegistryService/ListRegions"},
              &ok);
  EXPECT_TRUE(ok) << regions;
  EXPECT_NE(regions.find("\"code\": \"33.01\""), std::string::npos) << regions;
}

TEST_F(ReflectionTest, OffUnlessAskedFor) {
  std::vector<std::string> argv =
      stack_.CommandLine(Service::kRegistry, stack_.address(Service::kRegistry), stack_.metrics_port(Service::kRegistry));
  argv.erase(std::remove(argv.begin(), argv.end(), "--reflection"), argv.end());
  Subprocess registry(argv, stack_.dir().File("registry.log"));
  auto channel = stack_.channel(Service::kRegistry);
  ASSERT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; }, 20s))
      << stack_.log(Service::kRegistry);
  EXPECT_FALSE(ListServicesByReflection(channel, 5s).has_value());
  bool ok = true;
  const std::string methods = BufCurl(Service::kRegistry, {"--list-methods", ""}, &ok);
  EXPECT_FALSE(ok) << methods;
  EXPECT_NE(stack_.log(Service::kRegistry).find("\"reflection\":\"off\""), std::string::npos);
}

}  // namespace
}  // namespace netra::testing

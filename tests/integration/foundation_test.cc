// The foundation against real processes: the three service binaries, a real
// redis-server and real SQLite files, over real gRPC on loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <thread>

#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(10s); }

class FoundationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(stack_.StartAll()); }

  netra::v1::ListRegionsResponse ListRegions(const std::string& parent, netra::v1::RegionLevel level,
                                             int page_size = 1000, grpc::Status* status_out = nullptr) {
    auto stub = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
    netra::v1::ListRegionsRequest request;
    request.set_parent_code(parent);
    request.set_level(level);
    request.set_page_size(page_size);
    netra::v1::ListRegionsResponse response;
    auto status = stub->ListRegions(Context().get(), request, &response);
    if (status_out) *status_out = status;
    else EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  NetraStack stack_;
};

TEST_F(FoundationTest, EveryServiceListsItsApiThroughReflection) {
  const std::pair<Service, const char*> expected[] = {{Service::kRegistry, "netra.v1.RegistryService"},
                                                      {Service::kComplaint, "netra.v1.ComplaintService"},
                                                      {Service::kSanction, "netra.v1.SanctionService"}};
  for (const auto& [service, name] : expected) {
    auto services = ListServicesByReflection(stack_.channel(service), 5s);
    ASSERT_TRUE(services.has_value()) << NetraStack::Name(service);
    EXPECT_NE(std::find(services->begin(), services->end(), name), services->end()) << NetraStack::Name(service);
    EXPECT_NE(std::find(services->begin(), services->end(), "grpc.health.v1.Health"), services->end());
  }
}

TEST_F(FoundationTest, RegistryListsProvincesRegenciesAndDistricts) {
  auto provinces = ListRegions("", netra::v1::REGION_LEVEL_UNSPECIFIED, 100);
  EXPECT_EQ(provinces.regions_size(), 38);
  EXPECT_EQ(provinces.total_size(), 38);
  EXPECT_EQ(provinces.regions(0).code(), "11");
  EXPECT_EQ(provinces.regions(0).level(), netra::v1::REGION_LEVEL_PROVINCE);

  auto central_java = ListRegions("33", netra::v1::REGION_LEVEL_UNSPECIFIED);
  EXPECT_EQ(central_java.regions_size(), 35);  // 29 kabupaten + 6 kota
  for (const auto& region : central_java.regions()) {
    EXPECT_EQ(region.parent_code(), "33");
    EXPECT_EQ(region.level(), netra::v1::REGION_LEVEL_REGENCY);
    EXPECT_EQ(region.time_zone(), "Asia/Jakarta");
  }

  auto districts = ListRegions("33.01", netra::v1::REGION_LEVEL_UNSPECIFIED);
  ASSERT_GT(districts.regions_size(), 0);
  for (const auto& region : districts.regions()) EXPECT_EQ(region.parent_code(), "33.01");
}

TEST_F(FoundationTest, RegistryPagesThroughEveryDistrict) {
  auto stub = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
  netra::v1::ListRegionsRequest request;
  request.set_level(netra::v1::REGION_LEVEL_DISTRICT);
  request.set_page_size(1000);
  std::set<std::string> codes;
  int pages = 0;
  do {
    netra::v1::ListRegionsResponse response;
    ASSERT_TRUE(stub->ListRegions(Context().get(), request, &response).ok());
    for (const auto& region : response.regions()) EXPECT_TRUE(codes.insert(region.code()).second) << region.code();
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 20);
  EXPECT_EQ(codes.size(), 7285u);
  EXPECT_EQ(pages, 8);
}

TEST_F(FoundationTest, RegistryRejectsBadRegionQueriesWithFieldPaths) {
  grpc::Status status;
  ListRegions("33.1", netra::v1::REGION_LEVEL_UNSPECIFIED, 10, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"parent_code"});

  ListRegions("33.70", netra::v1::REGION_LEVEL_UNSPECIFIED, 10, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // kab 70 is not a valid code

  ListRegions("33.98", netra::v1::REGION_LEVEL_UNSPECIFIED, 10, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  ListRegions("33.01", netra::v1::REGION_LEVEL_PROVINCE, 10, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"level"});

  ListRegions("", static_cast<netra::v1::RegionLevel>(42), 10, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  ListRegions("", netra::v1::REGION_LEVEL_UNSPECIFIED, -1, &status);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"page_size"});

  auto stub = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
  netra::v1::ListRegionsRequest request;
  request.set_page_token("not-a-token");
  netra::v1::ListRegionsResponse response;
  status = stub->ListRegions(Context().get(), request, &response);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"page_token"});
}

TEST_F(FoundationTest, SanctionListsTheWholeViolationCatalog) {
  auto stub = netra::v1::SanctionService::NewStub(stack_.channel(Service::kSanction));
  netra::v1::ListViolationTypesRequest request;
  netra::v1::ListViolationTypesResponse response;
  ASSERT_TRUE(stub->ListViolationTypes(Context().get(), request, &response).ok());
  ASSERT_EQ(response.violation_types_size(), 20);
  EXPECT_FALSE(response.catalog_version().empty());
  EXPECT_EQ(response.violation_types(0).code(), "A1");
  EXPECT_EQ(response.violation_types(19).code(), "B13");
  int ethics = 0;
  for (const auto& type : response.violation_types()) {
    EXPECT_FALSE(type.title_id().empty());
    EXPECT_FALSE(type.title_en().empty());
    EXPECT_FALSE(type.legal_basis().empty());
    EXPECT_EQ(type.sanctions_size(), 3) << type.code();
    if (type.category() == netra::v1::VIOLATION_CATEGORY_ETHICS) ++ethics;
  }
  EXPECT_EQ(ethics, 7);

  // Party membership (B5) for a PNS: dishonourable dismissal.
  request.set_category(netra::v1::VIOLATION_CATEGORY_DISCIPLINE);
  request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PNS);
  response.Clear();
  ASSERT_TRUE(stub->ListViolationTypes(Context().get(), request, &response).ok());
  ASSERT_EQ(response.violation_types_size(), 13);
  const auto& b5 = response.violation_types(4);
  EXPECT_EQ(b5.code(), "B5");
  ASSERT_EQ(b5.sanctions_size(), 1);
  EXPECT_EQ(b5.sanctions(0).level(), netra::v1::SANCTION_LEVEL_DISMISSAL);

  request.set_category(static_cast<netra::v1::ViolationCategory>(9));
  auto status = stub->ListViolationTypes(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"category"});
}

TEST_F(FoundationTest, ComplaintStatusOfAnUnknownTrackingCodeIsNotFound) {
  auto stub = netra::v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint));
  netra::v1::GetComplaintStatusRequest request;
  netra::v1::GetComplaintStatusResponse response;
  request.set_tracking_code("23456789AB");
  EXPECT_EQ(stub->GetComplaintStatus(Context().get(), request, &response).error_code(), grpc::StatusCode::NOT_FOUND);

  request.set_tracking_code("0000000000");  // look-alike characters are never issued
  auto status = stub->GetComplaintStatus(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"tracking_code"});
}

TEST_F(FoundationTest, MetricsCountEveryCallByServiceMethodAndCode) {
  ListRegions("", netra::v1::REGION_LEVEL_UNSPECIFIED);
  ListRegions("", netra::v1::REGION_LEVEL_UNSPECIFIED);
  grpc::Status status;
  ListRegions("99.99", netra::v1::REGION_LEVEL_UNSPECIFIED, 10, &status);

  std::string text = stack_.metrics(Service::kRegistry);
  std::map<std::string, std::string> ok = {{"grpc_service", "netra.v1.RegistryService"},
                                           {"grpc_method", "ListRegions"},
                                           {"grpc_type", "unary"},
                                           {"grpc_code", "OK"}};
  EXPECT_EQ(MetricValue(text, "grpc_server_handled_total", ok), 2.0) << text;
  auto not_found = ok;
  not_found["grpc_code"] = "NotFound";
  EXPECT_EQ(MetricValue(text, "grpc_server_handled_total", not_found), 1.0);
  EXPECT_EQ(MetricValue(text, "grpc_server_started_total", {{"grpc_method", "ListRegions"}}), 3.0);
  EXPECT_EQ(MetricValue(text, "grpc_server_handling_seconds_count", {{"grpc_method", "ListRegions"}}), 3.0);
  EXPECT_TRUE(MetricValue(text, "grpc_server_handling_seconds_bucket", {{"grpc_method", "ListRegions"}, {"le", "0.0001"}}));
  EXPECT_EQ(MetricValue(text, "netra_build_info", {{"service", "netra-registry"}}), 1.0);
  EXPECT_EQ(MetricValue(text, "netra_redis_up"), 1.0);
  for (Service service : {Service::kComplaint, Service::kSanction}) {
    std::string other = stack_.metrics(service);
    EXPECT_EQ(MetricValue(other, "netra_build_info", {{"service", "netra-" + NetraStack::Name(service)}}), 1.0);
    EXPECT_TRUE(MetricValue(other, "netra_store_seconds_count")) << NetraStack::Name(service);
  }
}

TEST_F(FoundationTest, ServicesKeepAnsweringWithoutRedisAndReconnectWhenItReturns) {
  auto complaints = netra::v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint));
  netra::v1::GetComplaintStatusRequest request;
  request.set_tracking_code("23456789AB");
  netra::v1::GetComplaintStatusResponse response;

  ASSERT_TRUE(stack_.redis().Stop());
  // The health check notices within its interval, with no traffic needed.
  ASSERT_TRUE(WaitUntil([&] { return MetricValue(stack_.metrics(Service::kComplaint), "netra_redis_up") == 0.0; }, 10s));
  for (int i = 0; i < 20; ++i) {
    auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(complaints->GetComplaintStatus(Context().get(), request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
    // A dead Redis costs a fast miss, not a stall.
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  }
  std::string metrics = stack_.metrics(Service::kComplaint);
  EXPECT_GE(MetricValue(metrics, "netra_cache_requests_total", {{"cache", "complaint_status"}, {"result", "error"}}),
            20.0);
  EXPECT_NE(stack_.log(Service::kComplaint).find("redis"), std::string::npos);

  // The other services keep answering too.
  auto provinces = ListRegions("", netra::v1::REGION_LEVEL_UNSPECIFIED);
  EXPECT_EQ(provinces.regions_size(), 38);

  ASSERT_TRUE(stack_.redis().Start());
  for (Service service : {Service::kRegistry, Service::kComplaint, Service::kSanction}) {
    EXPECT_TRUE(WaitUntil([&] { return MetricValue(stack_.metrics(service), "netra_redis_up") == 1.0; }, 10s))
        << NetraStack::Name(service);
  }
  double misses_before =
      MetricValue(stack_.metrics(Service::kComplaint), "netra_cache_requests_total",
                  {{"cache", "complaint_status"}, {"result", "miss"}})
          .value_or(0);
  EXPECT_EQ(complaints->GetComplaintStatus(Context().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Reconnected: the lookup reached Redis (a miss), not the error path.
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kComplaint), "netra_cache_requests_total",
                        {{"cache", "complaint_status"}, {"result", "miss"}}),
            misses_before + 1);
}

}  // namespace

// Graceful shutdown: calls already in flight when SIGTERM arrives complete,
// new ones are refused, and the process exits 0.
TEST(Shutdown, SigtermLetsInFlightCallsFinishAndExitsZero) {
  NetraStack stack;
  // Fault injection holds each ListRegions call for 1.5 s inside the handler.
  ASSERT_TRUE(stack.Start(Service::kRegistry, {"--fault-delay=ListRegions=1500"}));
  auto stub = netra::v1::RegistryService::NewStub(stack.channel(Service::kRegistry));
  constexpr int kCalls = 4;
  std::vector<std::future<grpc::Status>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      netra::v1::ListRegionsRequest request;
      netra::v1::ListRegionsResponse response;
      auto status = stub->ListRegions(Context().get(), request, &response);
      if (status.ok() && response.regions_size() != 38) return grpc::Status(grpc::StatusCode::DATA_LOSS, "short");
      return status;
    }));
  }
  // Wait until the server has all of them in hand, then signal.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return MetricValue(stack.metrics(Service::kRegistry), "grpc_server_started_total",
                           {{"grpc_method", "ListRegions"}}) == kCalls;
      },
      10s));
  ASSERT_TRUE(stack.process(Service::kRegistry).Signal(SIGTERM));
  for (auto& call : calls) {
    auto status = call.get();
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  }
  auto exit_status = stack.process(Service::kRegistry).Wait(10s);
  ASSERT_TRUE(exit_status.has_value());
  EXPECT_EQ(*exit_status, 0) << stack.log(Service::kRegistry);
  EXPECT_NE(stack.log(Service::kRegistry).find("shutting down"), std::string::npos);
}

// Configuration errors stop the process at once with exit code 2 and a message
// naming the flag; --help documents every flag with its environment variable.
TEST(Configuration, BadConfigurationExitsTwoNamingTheFlag) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const Case cases[] = {
      {{"--listen=nonsense"}, "--listen"},
      {{"--redis=http://x"}, "--redis"},
      {{"--redis=redis://netra-registry:secret@127.0.0.1:6379"}, "give it in a file (--redis-password-file)"},
      {{"--redis=redis://netra-registry@127.0.0.1:6379"}, "--redis-password-file: required"},
      {{"--redis-password-file=/nonexistent/password"}, "--redis-password-file: cannot read"},
      {{"--store=mysql://db/netra"}, "--store:"},
      {{"--drain-seconds=-1"}, "--drain-seconds"},
      {{"--no-such-flag"}, "no-such-flag"},
      {{"--nik-key-file=/nonexistent/nik.key"}, "--nik-key-file: cannot read"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {NetraStack::BinaryPath(Service::kRegistry)};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    Subprocess process(argv, dir.File("out.log"));
    auto status = process.Wait(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 2) << c.args[0];
    EXPECT_NE(ReadFile(dir.File("out.log")).find(c.expected), std::string::npos) << ReadFile(dir.File("out.log"));
  }
  // A service that calls peers refuses to start without them.
  Subprocess complaint({NetraStack::BinaryPath(Service::kComplaint)}, dir.File("complaint.log"));
  EXPECT_EQ(complaint.Wait(10s), 2);
  EXPECT_NE(ReadFile(dir.File("complaint.log")).find("--registry: required"), std::string::npos);

  Subprocess help({NetraStack::BinaryPath(Service::kSanction), "--help"}, dir.File("help.log"));
  EXPECT_EQ(help.Wait(10s), 0);
  std::string text = ReadFile(dir.File("help.log"));
  for (const char* env : {"NETRA_LISTEN", "NETRA_METRICS_LISTEN", "NETRA_REDIS", "NETRA_REDIS_PASSWORD_FILE", "NETRA_STORE", "NETRA_REGISTRY",
                          "NETRA_COMPLAINT", "NETRA_DATA_DIR", "NETRA_DEPLOYMENT", "NETRA_LOG_LEVEL"}) {
    EXPECT_NE(text.find(env), std::string::npos) << env;
  }
}

// Environment variables configure a service as flags do.
TEST(Configuration, EnvironmentVariablesConfigureTheService) {
  NetraStack stack;  // for its Redis and temp dir
  int port = FreeLoopbackPort(), metrics_port = FreeLoopbackPort();
  Subprocess process({NetraStack::BinaryPath(Service::kRegistry)}, stack.dir().File("env.log"),
                     {{"NETRA_LISTEN", "127.0.0.1:" + std::to_string(port)},
                      {"NETRA_METRICS_LISTEN", "127.0.0.1:" + std::to_string(metrics_port)},
                      {"NETRA_REDIS", stack.redis().url("netra-registry")},
                      {"NETRA_REDIS_PASSWORD_FILE", stack.redis().password_file("netra-registry")},
                      {"NETRA_STORE", "sqlite://" + stack.dir().File("env.db")},
                      {"NETRA_DATA_DIR", NETRA_SOURCE_DIR "/data"},
                      {"NETRA_NIK_KEY_FILE", stack.nik_key_file()},
                      {"NETRA_TLS_CERT", stack.pki().Issue("svc/registry").cert},
                      {"NETRA_TLS_KEY", stack.dir().File("svc_registry.key")},
                      {"NETRA_TLS_CA", stack.pki().ca_file()},
                      {"NETRA_TRUST_DOMAIN", kTestTrustDomain}});
  auto channel = MakeChannel("127.0.0.1:" + std::to_string(port), nullptr);
  EXPECT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; }, 20s))
      << ReadFile(stack.dir().File("env.log"));
  EXPECT_TRUE(MetricValue(HttpGet(metrics_port, "/metrics"), "netra_build_info"));
  process.Signal(SIGTERM);
  EXPECT_EQ(process.Wait(10s), 0);
}

}  // namespace netra::testing

// Tests for the gRPC runtime in common/: the metrics interceptors (common/metrics),
// the server pieces (common/server), and channels, health and reflection
// (common/client), against real in-process gRPC servers on 127.0.0.1:0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/client.h"
#include "common/metrics.h"
#include "common/regions.h"
#include "common/rpc.h"
#include "common/server.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "services/registry/registry.h"
#include "services/registry/employee_cache.h"
#include "services/registry/registry_handler.h"
#include "services/registry/registry_store.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;
using netra::testing::FreeLoopbackPort;


// A registry server as ServiceRunner builds it, minus the process around it:
// health, reflection, the metrics interceptor and the UNIMPLEMENTED messages.
class RegistryServer {
 public:
  RegistryServer()
      : registry_(netra::testing::ShippedRegions()),
        store_(OpenStore(dir_)),
        election_store_(*store_),
        elections_(election_store_, netra::testing::ShippedRegions()),
        employee_store_(*store_),
        employee_cache_(redis_, metrics_.registry()),
        employees_(employee_store_, employee_cache_, netra::testing::ShippedRegions(), nik_hasher_),
        prevention_store_(*store_),
        prevention_(prevention_store_, elections_, netra::testing::ShippedRegions()),
        party_store_(*store_),
        party_screening_(party_store_, employees_, netra::testing::ShippedRegions()),
        access_log_(*store_, metrics_.registry()),
        handler_(registry_, elections_, employees_, prevention_, party_screening_, nik_hasher_, access_log_,
                 metrics_.registry()) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&handler_);
    builder.RegisterService(&unimplemented_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(metrics_.ServerInterceptorFactory());
    interceptors.push_back(UnimplementedMessageInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
  }
  ~RegistryServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + 2s);
  }

  bool ok() const { return server_ && port_ > 0; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  Metrics& metrics() { return metrics_; }
  grpc::Server& server() { return *server_; }

 private:
  static std::unique_ptr<Database> OpenStore(const netra::testing::TempDir& dir) {
    std::string error;
    auto db = Database::Open(dir.File("registry.db"), registry::kMigrations, &error);
    EXPECT_TRUE(db) << error;
    return db;
  }

  Metrics metrics_{"netra-registry", "1.2.3-test"};
  netra::testing::TempDir dir_;
  registry::Registry registry_;
  std::unique_ptr<Database> store_;
  registry::ElectionStore election_store_;
  registry::Elections elections_;
  // No Redis listens here: these tests do not need the cache (it only misses).
  RedisClient redis_{*ParseRedisUrl("redis://127.0.0.1:" + std::to_string(FreeLoopbackPort()), nullptr),
                     metrics_.registry()};
  NikHasher nik_hasher_{std::string(32, 'k')};
  registry::EmployeeStore employee_store_;
  registry::EmployeeCache employee_cache_;
  registry::EmployeeDirectory employees_;
  registry::PreventionStore prevention_store_;
  registry::Prevention prevention_;
  registry::PartyScreeningStore party_store_;
  registry::PartyScreening party_screening_;
  AccessLog access_log_;
  registry::RegistryHandler handler_;
  // The generated base of a v1 service answers UNIMPLEMENTED for every method,
  // whatever the services implement by now: the subject of the interceptor test.
  netra::v1::SanctionService::Service unimplemented_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// /metrics as Prometheus scrapes it.
std::string Exposition(Metrics& metrics) {
  return prometheus::TextSerializer().Serialize(metrics.registry().Collect());
}

// The value of the sample `name` whose labels include all of `labels`, read from the text
// exposition; -1 when there is none.
double Sample(const std::string& text, const std::string& name, const std::map<std::string, std::string>& labels) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.compare(0, name.size(), name) != 0) continue;
    size_t rest = name.size();
    if (rest < line.size() && line[rest] != '{' && line[rest] != ' ') continue;  // a longer name
    bool all = true;
    for (const auto& [key, value] : labels) {
      all = all && line.find(key + "=\"" + value + "\"") != std::string::npos;
    }
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

netra::v1::ListRegionsResponse ListRegions(netra::v1::RegistryService::Stub& stub, const std::string& parent,
                                           grpc::Status* status) {
  netra::v1::ListRegionsRequest request;
  request.set_parent_code(parent);
  netra::v1::ListRegionsResponse response;
  auto context = MakeClientContext(5s, "req-test");
  *status = stub.ListRegions(context.get(), request, &response);
  return response;
}

const std::map<std::string, std::string> kListRegions = {
    {"grpc_service", "netra.v1.RegistryService"}, {"grpc_method", "ListRegions"}, {"grpc_type", "unary"}};

std::map<std::string, std::string> With(std::map<std::string, std::string> labels, const std::string& key,
                                        const std::string& value) {
  labels[key] = value;
  return labels;
}

TEST(GrpcMetricsTest, ServerAndClientRecordRedMetricsUnderTheDashboardNames) {
  RegistryServer server;
  ASSERT_TRUE(server.ok());
  Metrics client_metrics("netractl", "1.2.3-test");
  auto stub = netra::v1::RegistryService::NewStub(MakeChannel(server.target(), &client_metrics));

  grpc::Status status;
  for (int i = 0; i < 3; ++i) {
    auto response = ListRegions(*stub, "", &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.regions_size(), 38);
  }
  ListRegions(*stub, "3x", &status);  // bad syntax
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  std::string text = Exposition(server.metrics());
  EXPECT_EQ(Sample(text, "grpc_server_started_total", kListRegions), 4) << text;
  EXPECT_EQ(Sample(text, "grpc_server_handled_total", With(kListRegions, "grpc_code", "OK")), 3) << text;
  EXPECT_EQ(Sample(text, "grpc_server_handled_total", With(kListRegions, "grpc_code", "InvalidArgument")), 1) << text;
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_count", kListRegions), 4) << text;
  // Sub-millisecond buckets first (cache hits), up to 10 s.
  EXPECT_NE(text.find("grpc_server_handling_seconds_bucket{grpc_method=\"ListRegions\","
                      "grpc_service=\"netra.v1.RegistryService\",grpc_type=\"unary\",le=\"0.0001\"}"),
            std::string::npos)
      << text;
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_bucket", With(kListRegions, "le", "10")), 4) << text;
  EXPECT_EQ(Sample(text, "grpc_server_handling_seconds_bucket", With(kListRegions, "le", "+Inf")), 4) << text;
  EXPECT_EQ(Sample(text, "netra_build_info", {{"service", "netra-registry"}, {"version", "1.2.3-test"}}), 1) << text;
  // The server's registry has no client traffic.
  EXPECT_EQ(Sample(text, "grpc_client_handled_total", {}), -1) << text;

  std::string client = Exposition(client_metrics);
  EXPECT_EQ(Sample(client, "grpc_client_started_total", kListRegions), 4) << client;
  EXPECT_EQ(Sample(client, "grpc_client_handled_total", With(kListRegions, "grpc_code", "OK")), 3) << client;
  EXPECT_EQ(Sample(client, "grpc_client_handled_total", With(kListRegions, "grpc_code", "InvalidArgument")), 1)
      << client;
  EXPECT_EQ(Sample(client, "grpc_client_handling_seconds_count", kListRegions), 4) << client;
  EXPECT_EQ(Sample(client, "grpc_client_handling_seconds_bucket", With(kListRegions, "le", "0.0001")) >= 0, true)
      << client;
  EXPECT_EQ(Sample(client, "netra_build_info", {{"service", "netractl"}, {"version", "1.2.3-test"}}), 1) << client;
}

TEST(GrpcMetricsTest, CodeNamesAreSpelledAsGoGrpcPrometheus) {
  EXPECT_STREQ(GrpcCodeName(0), "OK");
  EXPECT_STREQ(GrpcCodeName(1), "Canceled");
  EXPECT_STREQ(GrpcCodeName(3), "InvalidArgument");
  EXPECT_STREQ(GrpcCodeName(4), "DeadlineExceeded");
  EXPECT_STREQ(GrpcCodeName(9), "FailedPrecondition");
  EXPECT_STREQ(GrpcCodeName(12), "Unimplemented");
  EXPECT_STREQ(GrpcCodeName(14), "Unavailable");
  EXPECT_STREQ(GrpcCodeName(16), "Unauthenticated");
  EXPECT_STREQ(GrpcCodeName(17), "Unknown");
  EXPECT_STREQ(GrpcCodeName(-1), "Unknown");
}

TEST(GrpcRuntimeTest, InvalidArgumentReachesTheClientWithFieldViolations) {
  RegistryServer server;
  ASSERT_TRUE(server.ok());
  auto stub = netra::v1::RegistryService::NewStub(MakeChannel(server.target(), nullptr));
  grpc::Status status;
  ListRegions(*stub, "3x", &status);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  netra::v1::ErrorStatus details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  netra::v1::BadRequest bad_request;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad_request));
  ASSERT_GE(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "parent_code");
}

TEST(GrpcRuntimeTest, UnimplementedRpcSaysWhichMethod) {
  RegistryServer server;
  ASSERT_TRUE(server.ok());
  auto stub = netra::v1::SanctionService::NewStub(MakeChannel(server.target(), nullptr));
  netra::v1::GetComplianceReportRequest request;
  netra::v1::GetComplianceReportResponse response;
  auto context = MakeClientContext(5s);
  grpc::Status status = stub->GetComplianceReport(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(status.error_message().find("SanctionService/GetComplianceReport"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("not implemented"), std::string::npos) << status.error_message();
  std::string text = Exposition(server.metrics());
  EXPECT_EQ(Sample(text, "grpc_server_handled_total",
                   {{"grpc_method", "GetComplianceReport"}, {"grpc_code", "Unimplemented"}}),
            1)
      << text;
}

TEST(GrpcRuntimeTest, DeadlineBoundsASlowCallAndIsCountedAsDeadlineExceeded) {
  Metrics client_metrics("netractl", "test");
  grpc::Status status;
  std::chrono::steady_clock::duration elapsed{};
  struct LiftDelays {
    ~LiftDelays() { SetFaultDelays({}); }
  } lift;  // declared before the server, so it runs after the server finished the delayed call
  SetFaultDelays({{"ListRegions", 1000}});
  {
    RegistryServer server;
    ASSERT_TRUE(server.ok());
    auto stub = netra::v1::RegistryService::NewStub(MakeChannel(server.target(), &client_metrics));
    netra::v1::ListRegionsRequest request;
    netra::v1::ListRegionsResponse response;
    auto context = MakeClientContext(100ms);
    auto start = std::chrono::steady_clock::now();
    status = stub->ListRegions(context.get(), request, &response);
    elapsed = std::chrono::steady_clock::now() - start;
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(elapsed, 800ms);
  EXPECT_EQ(Sample(Exposition(client_metrics), "grpc_client_handled_total",
                   With(kListRegions, "grpc_code", "DeadlineExceeded")),
            1);
}

TEST(GrpcClientTest, SeveralAddressesAreBalancedRoundRobin) {
  RegistryServer first, second;
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  auto channel = MakeChannel(first.target() + "," + second.target(), nullptr);
  auto stub = netra::v1::RegistryService::NewStub(channel);
  grpc::Status status;
  for (int i = 0; i < 20; ++i) {
    ListRegions(*stub, "33", &status);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto ok = With(kListRegions, "grpc_code", "OK");
  double a = Sample(Exposition(first.metrics()), "grpc_server_handled_total", ok);
  double b = Sample(Exposition(second.metrics()), "grpc_server_handled_total", ok);
  EXPECT_GT(a, 0) << "first server got no calls";
  EXPECT_GT(b, 0) << "second server got no calls";
  EXPECT_EQ(a + b, 20);
}

TEST(GrpcClientTest, CheckHealthReportsServingNotServingAndUnknownService) {
  RegistryServer server;
  ASSERT_TRUE(server.ok());
  auto channel = MakeChannel(server.target(), nullptr);
  EXPECT_EQ(CheckHealth(*channel, "", 5s), HealthStatus::kServing);
  EXPECT_EQ(CheckHealth(*channel, "netra.v1.NoSuchService", 5s), HealthStatus::kUnknownService);
  // Draining: ServiceRunner flips health before it stops accepting.
  server.server().GetHealthCheckService()->SetServingStatus(false);
  EXPECT_EQ(CheckHealth(*channel, "", 5s), HealthStatus::kNotServing);
}

TEST(GrpcClientTest, CheckHealthOfAClosedPortIsUnreachableWithinTheTimeout) {
  int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  auto channel = MakeChannel("127.0.0.1:" + std::to_string(port), nullptr);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(CheckHealth(*channel, "", 500ms), HealthStatus::kUnreachable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(GrpcClientTest, ReflectionListsTheRegistryService) {
  RegistryServer server;
  ASSERT_TRUE(server.ok());
  auto services = ListServicesByReflection(MakeChannel(server.target(), nullptr), 5s);
  ASSERT_TRUE(services.has_value());
  EXPECT_NE(std::find(services->begin(), services->end(), "netra.v1.RegistryService"), services->end());
  EXPECT_NE(std::find(services->begin(), services->end(), "grpc.health.v1.Health"), services->end());
}

TEST(GrpcClientTest, ReflectionOfAClosedPortIsNulloptWithinTheTimeout) {
  int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  auto start = std::chrono::steady_clock::now();
  auto services = ListServicesByReflection(MakeChannel("127.0.0.1:" + std::to_string(port), nullptr), 500ms);
  EXPECT_FALSE(services.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(GrpcClientTest, ClientContextHasADeadlineFromNow) {
  auto before = std::chrono::system_clock::now();
  auto context = MakeClientContext(1500ms, "req-42");
  auto deadline = context->deadline();
  EXPECT_GE(deadline, before + 1500ms);
  EXPECT_LE(deadline, std::chrono::system_clock::now() + 1500ms);
}

}  // namespace
}  // namespace netra

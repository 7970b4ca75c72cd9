// The provincial profile (`./dev stack --replicas N`): several replicas of each
// service sharing their SQLite stores and one Redis, every client spreading its
// calls over the replicas round-robin. One replica of each service dies under
// load and the calls keep succeeding.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kReplicas = 3;
constexpr Service kServices[] = {Service::kRegistry, Service::kComplaint, Service::kSanction};

struct Replica {
  std::string address;
  int metrics_port = 0;
  std::unique_ptr<Subprocess> process;
};

// One call a client of `service` makes; true when a replica answered as expected.
bool Call(Service service, const std::shared_ptr<grpc::Channel>& channel) {
  switch (service) {
    case Service::kRegistry: {
      netra::v1::ListRegionsRequest request;
      request.set_parent_code("33");
      netra::v1::ListRegionsResponse response;
      auto status = netra::v1::RegistryService::NewStub(channel)->ListRegions(MakeClientContext(5s).get(), request,
                                                                              &response);
      return status.ok() && response.regions_size() == 35;
    }
    case Service::kComplaint: {
      netra::v1::GetComplaintStatusRequest request;
      request.set_tracking_code("23456789AB");
      netra::v1::GetComplaintStatusResponse response;
      auto status = netra::v1::ComplaintService::NewStub(channel)->GetComplaintStatus(MakeClientContext(5s).get(),
                                                                                      request, &response);
      return status.error_code() == grpc::StatusCode::NOT_FOUND;  // answered from the shared store
    }
    case Service::kSanction: {
      netra::v1::ListViolationTypesRequest request;
      netra::v1::ListViolationTypesResponse response;
      auto status = netra::v1::SanctionService::NewStub(channel)->ListViolationTypes(MakeClientContext(5s).get(),
                                                                                     request, &response);
      return status.ok() && response.violation_types_size() == 20;
    }
  }
  return false;
}

double Handled(const Replica& replica) {
  std::string text = HttpGet(replica.metrics_port, "/metrics");
  double total = 0;
  for (const char* method : {"ListRegions", "GetComplaintStatus", "ListViolationTypes"}) {
    for (const char* code : {"OK", "NotFound"}) {
      total += MetricValue(text, "grpc_server_handled_total", {{"grpc_method", method}, {"grpc_code", code}}).value_or(0);
    }
  }
  return total;
}

TEST(Replicas, CallsKeepSucceedingWhenOneReplicaOfEachServiceDies) {
  NetraStack stack;  // its Redis, temp dir and command lines; its own single processes stay unused
  std::map<Service, std::vector<Replica>> replicas;
  std::map<Service, std::string> targets;  // "127.0.0.1:a,127.0.0.1:b,..." as the profile passes peers
  for (Service service : kServices) {
    for (int r = 0; r < kReplicas; ++r) {
      Replica replica;
      replica.address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
      replica.metrics_port = FreeLoopbackPort();
      targets[service] += (r ? "," : "") + replica.address;
      replicas[service].push_back(std::move(replica));
    }
  }
  // The first replica of a service creates (migrates) the shared store; the others open it.
  for (Service service : kServices) {
    for (int r = 0; r < kReplicas; ++r) {
      Replica& replica = replicas[service][r];
      std::string log = stack.dir().File(NetraStack::Name(service) + "-" + std::to_string(r) + ".log");
      auto command = stack.CommandLine(service, replica.address, replica.metrics_port, targets);
      // The load below is one client as fast as it goes: past the public
      // status-lookup limit, which is not what this test is about.
      if (service == Service::kComplaint) command.push_back("--status-peer-limit=0");
      replica.process = std::make_unique<Subprocess>(std::move(command), log);
      auto channel = MakeChannel(replica.address, nullptr);
      ASSERT_TRUE(WaitUntil([&] { return replica.process->Running() && CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; },
                            20s, 50ms))
          << ReadFile(log);
    }
  }

  std::map<Service, std::shared_ptr<grpc::Channel>> channels;
  for (Service service : kServices) channels[service] = MakeChannel(targets[service], nullptr);
  // Round-robin: every replica takes a share of a client's calls.
  for (Service service : kServices) {
    for (int i = 0; i < 10 * kReplicas; ++i) ASSERT_TRUE(Call(service, channels[service]));
    for (const auto& replica : replicas[service]) {
      EXPECT_GT(Handled(replica), 0) << NetraStack::Name(service) << " " << replica.address;
    }
  }

  // Load: one client thread per service, as fast as it goes, until told to stop.
  std::atomic<bool> stop{false};
  std::map<Service, std::atomic<int>> ok, failed;
  for (Service service : kServices) ok[service] = 0, failed[service] = 0;
  std::vector<std::thread> clients;
  for (Service service : kServices) {
    clients.emplace_back([&, service] {
      while (!stop) (Call(service, channels[service]) ? ok : failed)[service]++;
    });
  }
  auto calls_reach = [&](int n) {
    return WaitUntil([&] {
      for (Service service : kServices) if (ok[service] + failed[service] < n) return false;
      return true;
    }, 30s);
  };
  EXPECT_TRUE(calls_reach(100));
  std::map<Service, int> before_kill;
  for (Service service : kServices) {
    before_kill[service] = ok[service] + failed[service];
    ASSERT_TRUE(replicas[service][0].process->Kill().has_value());  // SIGKILL: no drain, connections cut
  }
  std::map<Service, std::vector<double>> handled_at_kill;
  for (Service service : kServices) {
    for (int r = 1; r < kReplicas; ++r) handled_at_kill[service].push_back(Handled(replicas[service][r]));
  }
  bool enough = calls_reach(std::max({before_kill[Service::kRegistry], before_kill[Service::kComplaint],
                                      before_kill[Service::kSanction]}) + 300);
  stop = true;
  for (auto& client : clients) client.join();
  EXPECT_TRUE(enough);

  for (Service service : kServices) {
    SCOPED_TRACE(NetraStack::Name(service));
    EXPECT_EQ(failed[service], 0) << "of " << ok[service] + failed[service] << " calls";
    // The survivors took the calls after the kill, both of them.
    for (int r = 1; r < kReplicas; ++r) EXPECT_GT(Handled(replicas[service][r]), handled_at_kill[service][r - 1]);
  }
}

}  // namespace
}  // namespace netra::testing

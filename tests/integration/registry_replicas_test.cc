// Two registry processes on one store, on SQLite (one file) and on PostgreSQL
// (one database of a throwaway cluster, its password given with
// --store-password-file), with a real Redis:
//  - a retried UpsertEmployee that lands on the other replica gets the first
//    result;
//  - of two conflicting versioned updates at once, one on each replica, one
//    wins and the other is ABORTED, never lost;
//  - a search on one replica finds what the other wrote, also through an
//    import.
#include <gtest/gtest.h>

#include <thread>

#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/common/store_backends.h"
#include "tests/integration/netra_stack.h"
#include "tests/integration/registry_employees.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;
using netra::v1::Employee;

std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(30s); }

class RegistryReplicasTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::kPostgres) {
      ASSERT_TRUE(stack_.UseNewPostgresDatabase(Service::kRegistry));
    }
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    const int port = FreeLoopbackPort();
    second_ = std::make_unique<Subprocess>(
        stack_.CommandLine(Service::kRegistry, "127.0.0.1:" + std::to_string(port), FreeLoopbackPort()),
        stack_.dir().File("registry-2.log"));
    ASSERT_TRUE(second_->started());
    second_channel_ = MakeChannel("127.0.0.1:" + std::to_string(port), nullptr, 8 << 20,
                                  stack_.pki().Credentials(NetraStack::DefaultCaller(Service::kRegistry)));
    ASSERT_TRUE(WaitUntil([&] { return CheckHealth(*second_channel_, "", 500ms) == HealthStatus::kServing; }, 20s, 50ms))
        << ReadFile(stack_.dir().File("registry-2.log"));
  }

  // Replica 1 or 2, as Kota Semarang's BKD.
  std::unique_ptr<netra::v1::RegistryService::Stub> On(int replica) {
    return netra::v1::RegistryService::NewStub(replica == 1 ? stack_.channel(Service::kRegistry) : second_channel_);
  }

  static netra::v1::UpsertEmployeeRequest UpsertRequest(const std::string& request_id, const Employee& e,
                                                        int64_t expected_version) {
    netra::v1::UpsertEmployeeRequest request;
    request.set_request_id(request_id);
    *request.mutable_employee() = e;
    request.set_expected_version(expected_version);
    return request;
  }

  std::vector<std::string> SearchIds(int replica, const std::string& query) {
    netra::v1::SearchEmployeesRequest request;
    request.set_name_query(query);
    request.set_page_size(100);
    netra::v1::SearchEmployeesResponse response;
    auto status = On(replica)->SearchEmployees(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const auto& e : response.employees()) ids.push_back(e.nip());
    return ids;
  }

  NetraStack stack_;
  std::unique_ptr<Subprocess> second_;
  std::shared_ptr<grpc::Channel> second_channel_;
};

NETRA_STORE_BACKENDS(RegistryReplicasTest);

TEST_P(RegistryReplicasTest, ARetryOnTheOtherReplicaGetsTheFirstResult) {
  const auto request = UpsertRequest("create-budi", Pns(1, "Budi Santoso"), 0);
  netra::v1::UpsertEmployeeResponse first, retried;
  ASSERT_TRUE(On(1)->UpsertEmployee(Context().get(), request, &first).ok());
  EXPECT_EQ(first.result(), netra::v1::UPSERT_RESULT_CREATED);
  // The same request on the other replica: the first response, not ALREADY_EXISTS.
  auto status = On(2)->UpsertEmployee(Context().get(), request, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.result(), netra::v1::UPSERT_RESULT_CREATED);
  EXPECT_EQ(retried.employee().version(), 1);
  EXPECT_EQ(retried.employee().update_time().seconds(), first.employee().update_time().seconds());
  EXPECT_EQ(retried.employee().update_time().nanos(), first.employee().update_time().nanos());

  // Sent to both replicas at once (a client retrying before the first
  // answered): one creation, and both answers are it.
  const auto twice = UpsertRequest("create-siti", Pns(2, "Siti Aminah"), 0);
  netra::v1::UpsertEmployeeResponse one, two;
  grpc::Status status_two;
  std::thread other([&] { status_two = On(2)->UpsertEmployee(Context().get(), twice, &two); });
  auto status_one = On(1)->UpsertEmployee(Context().get(), twice, &one);
  other.join();
  ASSERT_TRUE(status_one.ok()) << status_one.error_message();
  ASSERT_TRUE(status_two.ok()) << status_two.error_message();
  EXPECT_EQ(one.employee().version(), 1);
  EXPECT_EQ(two.employee().version(), 1);
  EXPECT_EQ(one.result(), two.result());
}

TEST_P(RegistryReplicasTest, AConflictingUpdateIsAbortedNeverLost) {
  constexpr int kEmployees = 6;
  for (int n = 0; n < kEmployees; ++n) {
    netra::v1::UpsertEmployeeResponse created;
    ASSERT_TRUE(On(1)->UpsertEmployee(Context().get(), UpsertRequest("c" + std::to_string(n), Pns(n, "Pegawai Awal"), 0),
                                      &created)
                    .ok());
    // Two renames of version 1 at once, one per replica.
    grpc::Status status[2];
    netra::v1::UpsertEmployeeResponse response[2];
    auto rename = [&](int replica) {
      const auto request = UpsertRequest("rename-" + std::to_string(n) + "-" + std::to_string(replica),
                                         Pns(n, "Nama Replika " + std::to_string(replica)), 1);
      status[replica - 1] = On(replica)->UpsertEmployee(Context().get(), request, &response[replica - 1]);
    };
    std::thread other(rename, 2);
    rename(1);
    other.join();
    const int winners = status[0].ok() + status[1].ok();
    ASSERT_EQ(winners, 1) << status[0].error_message() << " / " << status[1].error_message();
    const int winner = status[0].ok() ? 0 : 1;
    EXPECT_EQ(status[1 - winner].error_code(), grpc::StatusCode::ABORTED) << status[1 - winner].error_message();
    EXPECT_EQ(response[winner].employee().version(), 2);
    // Both replicas read the winner's name: the update is not lost. The other replica's local
    // copy of version 1 goes when the change's message reaches it (EmployeeCache), which may be
    // just after the winner's answer: within the copies' bound, not at once.
    for (int replica : {1, 2}) {
      netra::v1::GetEmployeeRequest get;
      get.set_employee_id(created.employee().nip());
      netra::v1::GetEmployeeResponse got;
      auto reads_the_winner = [&] {
        got.Clear();
        return On(replica)->GetEmployee(Context().get(), get, &got).ok() && got.employee().version() == 2;
      };
      EXPECT_TRUE(WaitUntil(reads_the_winner, 10s)) << replica << " still reads version " << got.employee().version();
      EXPECT_EQ(got.employee().name(), "Nama Replika " + std::to_string(winner + 1)) << replica;
    }
  }
}

TEST_P(RegistryReplicasTest, ASearchFindsWhatTheOtherReplicaWrote) {
  netra::v1::UpsertEmployeeResponse created;
  ASSERT_TRUE(On(1)->UpsertEmployee(Context().get(), UpsertRequest("r1", Pns(10, "Ahmad Sitompul"), 0), &created).ok());
  EXPECT_EQ(SearchIds(2, "sitom"), std::vector<std::string>{created.employee().nip()});

  // An import through replica 2, found by a search on replica 1.
  netra::v1::ImportEmployeesResponse imported;
  {
    auto context = Context();
    auto writer = On(2)->ImportEmployees(context.get(), &imported);
    netra::v1::ImportEmployeesRequest message;
    message.set_request_id("import-1");
    message.set_source_name("replicas.csv");
    for (int n = 20; n < 50; ++n) {
      auto* row = message.add_rows();
      row->set_row_number(n);
      *row->mutable_employee() = Pns(n, "Dewi Sartika " + std::to_string(n));
    }
    ASSERT_TRUE(writer->Write(message));
    ASSERT_TRUE(writer->WritesDone());
    auto status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(imported.inserted(), 30);
  EXPECT_EQ(SearchIds(1, "sarti").size(), 30u);
  EXPECT_EQ(SearchIds(1, "s").size(), 31u);  // both writers' employees, in one index
}

}  // namespace
}  // namespace netra::testing

// Pledges against a real netra-registry process and a real SQLite file:
// RecordPledge's idempotency and errors as the API defines them, and
// GetPledgeCoverage over employees upserted through the API, also after a
// restart.
#include <gtest/gtest.h>

#include "common/client.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"
#include "tests/integration/registry_employees.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(30s); }

class RegistryPreventionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    Connect();
    auto elected = stack_.UpsertDemoElection("pemilu-2024.json");
    ASSERT_TRUE(elected.ok()) << elected.error_message();
    for (auto [n, region, agency] : {std::tuple{1, "33.74", "PEMKOT-SMG"}, std::tuple{2, "33.74", "PEMKOT-SMG"},
                                     std::tuple{3, "33.01", "PEMKAB-CLP"}}) {
      netra::v1::UpsertEmployeeRequest request;
      request.set_request_id("emp-" + std::to_string(n));
      *request.mutable_employee() = Pns(n, "Pegawai " + std::to_string(n), region, agency);
      request.mutable_employee()->set_agency_name(std::string("Pemerintah ") + agency);  // coverage groups by it
      netra::v1::UpsertEmployeeResponse response;
      auto upserted = As(std::string("bkd/") + region)->UpsertEmployee(Context().get(), request, &response);
      ASSERT_TRUE(upserted.ok()) << upserted.error_message();
      employee_ids_.push_back(response.employee().employee_id());
    }
  }

  void Connect() { stub_ = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry)); }
  std::unique_ptr<netra::v1::RegistryService::Stub> As(const std::string& identity) {
    return netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, identity));
  }

  // Recorded by the employee's BKD: Semarang's (the default caller) unless `identity` says otherwise.
  grpc::Status Record(const std::string& request_id, const std::string& employee_id, netra::v1::PledgeKind kind,
                      netra::v1::RecordPledgeResponse* response, const std::string& identity = "bkd/33.74") {
    netra::v1::RecordPledgeRequest request;
    request.set_request_id(request_id);
    request.set_employee_id(employee_id);
    request.set_election_id("pemilu-2024");
    request.set_kind(kind);
    request.mutable_signed_date()->set_year(2024);
    request.mutable_signed_date()->set_month(1);
    request.mutable_signed_date()->set_day(8);
    request.set_document_sha256(std::string(32, '\x11'));
    return As(identity)->RecordPledge(Context().get(), request, response);
  }

  netra::v1::GetPledgeCoverageResponse Coverage(netra::v1::PledgeCoverageGrouping group_by) {
    netra::v1::GetPledgeCoverageRequest request;
    request.set_election_id("pemilu-2024");
    request.set_group_by(group_by);
    netra::v1::GetPledgeCoverageResponse response;
    // Bawaslu RI watches the whole country (a regional office's coverage is its own region's).
    auto status = As("bawaslu/ri")->GetPledgeCoverage(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  NetraStack stack_;
  std::unique_ptr<netra::v1::RegistryService::Stub> stub_;
  std::vector<std::string> employee_ids_;
};

TEST_F(RegistryPreventionTest, PledgesAreRecordedOnceAndCoverageCountsThem) {
  netra::v1::RecordPledgeResponse first, retry, ignored;
  ASSERT_TRUE(Record("pl-1", employee_ids_[0], netra::v1::PLEDGE_KIND_IKRAR, &first).ok());
  EXPECT_FALSE(first.pledge().pledge_id().empty());
  EXPECT_EQ(first.pledge().document_sha256(), std::string(32, '\x11'));
  ASSERT_TRUE(Record("pl-1", employee_ids_[0], netra::v1::PLEDGE_KIND_IKRAR, &retry).ok());
  EXPECT_EQ(retry.pledge().pledge_id(), first.pledge().pledge_id());
  EXPECT_EQ(Record("pl-2", employee_ids_[0], netra::v1::PLEDGE_KIND_IKRAR, &ignored).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // Cilacap's employee: not Semarang's BKD's to record, and to it as unknown as a NIP on no file.
  EXPECT_EQ(Record("pl-3", employee_ids_[2], netra::v1::PLEDGE_KIND_INTEGRITY_PACT, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Record("pl-3", employee_ids_[2], netra::v1::PLEDGE_KIND_INTEGRITY_PACT, &ignored, "bkd/33.01").ok());
  EXPECT_EQ(Record("pl-4", "199901012020011001", netra::v1::PLEDGE_KIND_IKRAR, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);

  auto agencies = Coverage(netra::v1::PLEDGE_COVERAGE_GROUPING_AGENCY);
  EXPECT_EQ(agencies.total().employees(), 3);
  EXPECT_EQ(agencies.total().pledged(), 2);
  ASSERT_EQ(agencies.groups_size(), 2);
  EXPECT_EQ(agencies.groups(0).group_key(), "PEMKAB-CLP");
  EXPECT_DOUBLE_EQ(agencies.groups(0).ratio(), 1.0);
  EXPECT_EQ(agencies.groups(1).group_key(), "PEMKOT-SMG");
  EXPECT_EQ(agencies.groups(1).group_name(), "Pemerintah PEMKOT-SMG");
  EXPECT_DOUBLE_EQ(agencies.groups(1).ratio(), 0.5);

  // Committed means durable: the same answers after a restart.
  ASSERT_TRUE(stack_.Stop(Service::kRegistry).has_value());
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  Connect();
  auto regions = Coverage(netra::v1::PLEDGE_COVERAGE_GROUPING_REGION);
  ASSERT_EQ(regions.groups_size(), 1);
  EXPECT_EQ(regions.groups(0).group_key(), "33");
  EXPECT_EQ(regions.groups(0).group_name(), "Jawa Tengah");
  EXPECT_EQ(regions.groups(0).pledged(), 2);
  ASSERT_TRUE(Record("pl-1", employee_ids_[0], netra::v1::PLEDGE_KIND_IKRAR, &retry).ok());
  EXPECT_EQ(retry.pledge().pledge_id(), first.pledge().pledge_id());
}

TEST_F(RegistryPreventionTest, BadPledgesAreRejectedFieldByField) {
  netra::v1::RecordPledgeRequest request;
  request.set_employee_id(employee_ids_[0]);
  request.set_election_id("pemilu-2024");
  request.set_kind(static_cast<netra::v1::PledgeKind>(9));
  request.set_document_sha256("short");
  netra::v1::RecordPledgeResponse response;
  auto status = stub_->RecordPledge(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::vector<std::string>{"request_id", "kind", "signed_date", "document_sha256"}));

  netra::v1::GetPledgeCoverageRequest coverage;
  coverage.set_election_id("pemilu-2029");
  netra::v1::GetPledgeCoverageResponse ignored;
  EXPECT_EQ(stub_->GetPledgeCoverage(Context().get(), coverage, &ignored).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace netra::testing

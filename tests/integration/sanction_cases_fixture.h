// The fixture of the sanction service's integration tests (sanction_cases_test.cc;
// on SQLite, and again on PostgreSQL as Postgres/SanctionCasesTest): real netra-registry and
// netra-complaint processes with an election and employees, complaints really
// forwarded, the sanction service (and more replicas of it) started by the test.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/integration/forwarding.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

inline std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(20s); }

class SanctionCasesTest : public ::testing::Test {
 protected:
  // The registry (the election and kEmployees employees seeded) and the
  // complaint service; the sanction service starts in each test. A subclass
  // may give the sanction service another store first (stack_.UseStore).
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    registry_ = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
    v1::UpsertElectionRequest election;
    election.set_request_id("seed-election");
    std::string json = ReadFile(std::string(NETRA_SOURCE_DIR) + "/deploy/local/elections/pemilu-2024.json");
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, election.mutable_election()).ok());
    v1::UpsertElectionResponse upserted;
    auto status = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kAdmin))
                      ->UpsertElection(Context().get(), election, &upserted);
    ASSERT_TRUE(status.ok()) << status.error_message();
    authority_ = upserted.election().recommending_authority().code();
    for (int n = 0; n < kEmployees; ++n) {
      v1::UpsertEmployeeRequest request;
      request.set_request_id("seed-employee-" + std::to_string(n));
      *request.mutable_employee() = SemarangEmployee(n);
      v1::UpsertEmployeeResponse response;
      status = registry_->UpsertEmployee(Context().get(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      employee_ids_.push_back(response.employee().employee_id());
    }
    // Cases open only for complaints it forwarded.
    ASSERT_TRUE(stack_.Start(Service::kComplaint));
  }

  void StartSanction(std::vector<std::string> extra = {}) {
    ASSERT_TRUE(stack_.Start(Service::kSanction, std::move(extra)));
    sanction_ = Sanction(AuthorityIdentity(authority_));
  }

  // The sanction service as one of its callers. sanction_ is the recommending authority the
  // election names (KASN), who follows and recommends; the employees' PPK (kSemarangPpk)
  // decides; cases are opened by the complaint service, which these tests also stand in for
  // (OpenCase as svc/complaint), for complaints it really forwarded.
  std::unique_ptr<v1::SanctionService::Stub> Sanction(const std::string& identity) {
    return v1::SanctionService::NewStub(stack_.channel(Service::kSanction, identity));
  }

  v1::OpenCaseRequest OpenRequest(int n) {
    v1::OpenCaseRequest request;
    request.set_request_id("complaint-" + std::to_string(n) + "/open");
    request.set_complaint_id("complaint-" + std::to_string(n));
    request.set_employee_id(employee_ids_[n % kEmployees]);
    request.set_election_id("pemilu-2024");
    request.add_violation_codes("B2");
    request.add_violation_codes("A4");
    return request;
  }

  // OpenRequest(n) for a complaint about employee n that the complaint service
  // forwarded (once per n; its outbox has opened the case by then).
  v1::OpenCaseRequest Forwarded(int n) {
    std::string& complaint_id = forwarded_[n];
    if (complaint_id.empty()) {
      complaint_id = forwarder_
                         .Report("report-" + std::to_string(n), SemarangEmployee(n % kEmployees).nip(), "pemilu-2024",
                                 {"B2", "A4"}, v1::COMPLAINT_STATUS_FORWARDED)
                         .complaint_id();
    }
    v1::OpenCaseRequest request = OpenRequest(n);
    request.set_request_id(complaint_id + "/open-again");
    request.set_complaint_id(complaint_id);
    return request;
  }

  v1::Case Open(int n) {
    v1::OpenCaseResponse response;
    auto status = Sanction(kComplaintService)->OpenCase(Context().get(), Forwarded(n), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_record();
  }

  v1::IssueRecommendationRequest RecommendRequest(const v1::Case& c) {
    v1::IssueRecommendationRequest request;
    request.set_request_id(c.case_id() + ":recommend");
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_authority_code(authority_);
    request.set_letter_number("R-" + c.case_id());
    *request.mutable_letter_date() = WibDate();
    request.set_verdict(v1::RECOMMENDATION_VERDICT_VIOLATION);
    request.set_level(v1::SANCTION_LEVEL_SEVERE);
    request.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
    return request;
  }

  v1::Case Recommend(const v1::Case& c) {
    v1::IssueRecommendationResponse response;
    auto status = sanction_->IssueRecommendation(Context().get(), RecommendRequest(c), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_record();
  }

  v1::RecordDecisionRequest DecisionRequest(const v1::Case& c) {
    v1::RecordDecisionRequest request;
    request.set_request_id(c.case_id() + ":decide");
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_decree_number("SK-" + c.case_id());
    *request.mutable_decree_date() = WibDate();
    request.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
    request.set_level(v1::SANCTION_LEVEL_SEVERE);
    request.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
    request.set_decided_by("Walikota Semarang");
    return request;
  }

  v1::GetCaseResponse Get(const std::string& case_id, v1::SanctionService::Stub* stub = nullptr) {
    v1::GetCaseRequest request;
    request.set_case_id(case_id);
    v1::GetCaseResponse response;
    auto status = (stub ? stub : sanction_.get())->GetCase(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::Employee RegistryEmployee(const std::string& id) {
    v1::GetEmployeeRequest request;
    request.set_employee_id(id);
    v1::GetEmployeeResponse response;
    EXPECT_TRUE(registry_->GetEmployee(Context().get(), request, &response).ok());
    return response.employee();
  }

  // Another sanction process on the same store and Redis, its clock
  // `offset_hours` ahead, sweeping every 50 ms with a lease of `lease_ms`.
  struct Replica {
    int port = FreeLoopbackPort(), metrics_port = FreeLoopbackPort();
    std::unique_ptr<Subprocess> process;
    std::unique_ptr<v1::SanctionService::Stub> stub;
    double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
      return MetricValue(HttpGet(metrics_port, "/metrics"), name, labels).value_or(-1);
    }
  };
  void StartReplica(Replica& r, int64_t offset_hours, int lease_ms, const std::string& log) {
    std::vector<std::string> argv{NetraStack::BinaryPath(Service::kSanction), "--listen=127.0.0.1:" + std::to_string(r.port),
                                 "--metrics-listen=127.0.0.1:" + std::to_string(r.metrics_port),
                                 "--data-dir=" NETRA_SOURCE_DIR "/data", "--deployment=test",
                                 "--registry=" + stack_.address(Service::kRegistry),
                                 "--complaint=" + stack_.address(Service::kComplaint),
                                 "--clock-offset-hours=" + std::to_string(offset_hours), "--sweep-interval-ms=50",
                                 "--sweep-lease-ms=" + std::to_string(lease_ms)};
    for (auto& flag : stack_.StoreFlags(Service::kSanction)) argv.push_back(std::move(flag));
    for (auto& flag : stack_.ServiceTlsFlags(Service::kSanction)) argv.push_back(std::move(flag));
    for (auto& flag : stack_.RedisFlags(Service::kSanction)) argv.push_back(std::move(flag));
    r.process = std::make_unique<Subprocess>(argv, stack_.dir().File(log));
    ASSERT_TRUE(r.process->started());
    auto channel = MakeChannel("127.0.0.1:" + std::to_string(r.port), nullptr, 8 << 20,
                               stack_.pki().Credentials(AuthorityIdentity(authority_)));
    ASSERT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; }, 20s, 50ms))
        << ReadFile(stack_.dir().File(log));
    r.stub = v1::SanctionService::NewStub(channel);
  }

  // One per case a test opens: reports about one person and violation join one cluster.
  static constexpr int kEmployees = 8;
  NetraStack stack_;
  ComplaintForwarder forwarder_{stack_};
  std::map<int, std::string> forwarded_;  // n -> complaint id
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::SanctionService::Stub> sanction_;
  std::string authority_;
  std::vector<std::string> employee_ids_;
};

}  // namespace netra::testing

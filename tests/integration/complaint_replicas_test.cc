// Two complaint processes on one store, on SQLite (one file) and on
// PostgreSQL (one database of a throwaway cluster, its password given with
// --store-password-file), with real registry, sanction and Redis processes:
//  - a submission retried on the other replica gets the first result (the
//    same complaint, tracking code and receipt), also when both replicas get
//    it at once;
//  - of two changes of one complaint at once on the two replicas one wins and
//    the other is ABORTED (or refused as no longer allowed), never lost, and
//    the complaint's hash-chained history does not fork, also when a reveal
//    (a history entry without a new version) races a change;
//  - each forwarding queued on either replica opens its case once, although
//    both replicas dispatch the outbox.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "tests/common/store_backends.h"
#include "tests/integration/complaint_stack_fixture.h"
#include "tests/integration/registry_employees.h"

namespace netra::testing {
namespace {

constexpr char kBawaslu[] = "bawaslu/33.74";

class ComplaintReplicasTest : public ComplaintStackTest, public ::testing::WithParamInterface<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::kPostgres) {
      ASSERT_TRUE(stack_.UseNewPostgresDatabase(Service::kComplaint));
    }
    ASSERT_NO_FATAL_FAILURE(ComplaintStackTest::SetUp());
    for (int n = 0; n < kSubjects; ++n) ASSERT_NO_FATAL_FAILURE(SeedEmployee(n));
    // The second replica: the stack's command line on other ports (same store, Redis, keys, evidence).
    const std::string log = stack_.dir().File("complaint-2.log");
    second_process_ = std::make_unique<Subprocess>(
        stack_.CommandLine(Service::kComplaint, second_address_, FreeLoopbackPort()), log);
    ASSERT_TRUE(second_process_->started());
    second_ = MakeChannel(second_address_, nullptr, 8 << 20, stack_.pki().Credentials(kBawaslu));
    ASSERT_TRUE(WaitUntil([&] { return second_process_->Running() && CheckHealth(*second_, "", 500ms) == HealthStatus::kServing; },
                          20s, 50ms))
        << ReadFile(log);
  }

  // Employee n of Kota Semarang: reports about different ones are not clustered together.
  static constexpr int kSubjects = 6;
  static v1::Employee Subject(int n) {
    return Pns(5000 + n, "Pegawai Replika " + std::string(1, static_cast<char>('A' + n)));
  }
  static std::string SubjectNip(int n) { return Subject(n).nip(); }
  void SeedEmployee(int n) {
    v1::UpsertEmployeeRequest request;
    request.set_request_id("seed-subject-" + std::to_string(n));
    *request.mutable_employee() = Subject(n);
    v1::UpsertEmployeeResponse response;
    auto status = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry))
                      ->UpsertEmployee(MakeClientContext(10s).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The complaint service on replica 1 (the stack's) or 2, as Bawaslu Kota Semarang.
  std::unique_ptr<v1::ComplaintService::Stub> On(int replica) {
    return replica == 1 ? Stub() : v1::ComplaintService::NewStub(second_);
  }

  v1::SubmitComplaintResponse MustSubmit(int replica, const v1::SubmitComplaintRequest& request) {
    v1::SubmitComplaintResponse response;
    auto status = On(replica)->SubmitComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Transition(int replica, const v1::Complaint& c, v1::ComplaintAction action, const std::string& request_id,
                          v1::Complaint* out) {
    v1::TransitionComplaintRequest request;
    request.set_request_id(request_id);
    request.set_complaint_id(c.complaint_id());
    request.set_action(action);
    request.set_reason("replica " + std::to_string(replica));
    request.set_expected_version(c.version());
    request.mutable_forward()->set_review_summary("Kajian awal: unggahan terbukti.");
    v1::TransitionComplaintResponse response;
    auto status = On(replica)->TransitionComplaint(Context().get(), request, &response);
    *out = response.complaint();
    return status;
  }

  // The complaint's history, checked to be one unbroken chain 1..n.
  std::vector<v1::HistoryEntry> ChainOf(const std::string& id) {
    v1::VerifyComplaintHistoryRequest verify;
    verify.set_complaint_id(id);
    v1::VerifyComplaintHistoryResponse verified;
    auto status = On(2)->VerifyComplaintHistory(Context().get(), verify, &verified);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(verified.verification().intact()) << id;
    v1::GetComplaintHistoryRequest request;
    request.set_complaint_id(id);
    request.set_page_size(1000);
    v1::GetComplaintHistoryResponse response;
    status = On(1)->GetComplaintHistory(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<v1::HistoryEntry> entries(response.entries().begin(), response.entries().end());
    for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].sequence(), static_cast<int64_t>(i + 1)) << id;
    return entries;
  }

  const std::string second_address_ = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  std::unique_ptr<Subprocess> second_process_;
  std::shared_ptr<grpc::Channel> second_;
};

NETRA_STORE_BACKENDS(ComplaintReplicasTest);

TEST_P(ComplaintReplicasTest, ASubmissionRetriedOnTheOtherReplicaGetsTheFirstResult) {
  const std::string evidence = Evidence();
  const v1::SubmitComplaintRequest request = Request("retried", evidence);
  const v1::SubmitComplaintResponse first = MustSubmit(1, request);
  ASSERT_FALSE(first.complaint().tracking_code().empty());
  const v1::SubmitComplaintResponse again = MustSubmit(2, request);
  EXPECT_EQ(again.complaint().complaint_id(), first.complaint().complaint_id());
  EXPECT_EQ(again.complaint().tracking_code(), first.complaint().tracking_code());
  EXPECT_EQ(again.receipt(), first.receipt());

  // Sent to both at once (a client retrying before the first answered): one complaint.
  const v1::SubmitComplaintRequest burst = Request("both-at-once", evidence);
  auto answers = AtOnce([&](int replica) { return MustSubmit(replica, burst); });
  EXPECT_FALSE(answers.first.complaint().tracking_code().empty());
  EXPECT_EQ(answers.second.complaint().complaint_id(), answers.first.complaint().complaint_id());
  EXPECT_EQ(answers.second.complaint().tracking_code(), answers.first.complaint().tracking_code());
  EXPECT_EQ(answers.second.receipt(), answers.first.receipt());
  EXPECT_EQ(ListedCount(), 2);

  // Each replica finds it by its tracking code, and the sealed reporter reads back whole.
  v1::GetComplaintStatusRequest lookup;
  lookup.set_tracking_code(first.complaint().tracking_code());
  for (int replica : {1, 2}) {
    v1::GetComplaintStatusResponse status;
    ASSERT_TRUE(On(replica)->GetComplaintStatus(Context().get(), lookup, &status).ok()) << replica;
    EXPECT_EQ(status.status(), first.complaint().status()) << replica;
  }
  v1::RevealReporterRequest reveal;
  reveal.set_complaint_id(first.complaint().complaint_id());
  reveal.set_reason("klarifikasi pelapor");
  v1::RevealReporterResponse revealed;
  auto status = On(2)->RevealReporter(Context().get(), reveal, &revealed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revealed.reporter().name(), request.reporter().name());
  EXPECT_EQ(revealed.reporter().contact(), request.reporter().contact());
}

// Each complaint gets the same change on both replicas at once, with the
// version both read and each its own request id: one wins, the other is
// ABORTED (or refused as no longer allowed from the new status); then a change
// and a reveal at once both land, one after the other in the chain.
TEST_P(ComplaintReplicasTest, AConflictingChangeIsAbortedNeverLostAndTheHistoryDoesNotFork) {
  constexpr int kComplaints = kSubjects;
  const std::string evidence = Evidence();
  for (int n = 0; n < kComplaints; ++n) {
    v1::SubmitComplaintRequest request = Request("conflict-" + std::to_string(n), evidence);
    request.mutable_subject()->set_employee_number(SubjectNip(n));  // a cluster each
    v1::Complaint c = MustSubmit(n % 2 + 1, request).complaint();
    if (c.status() == v1::COMPLAINT_STATUS_RECEIVED || c.status() == v1::COMPLAINT_STATUS_COMPLETED) {
      c = Act(c, v1::COMPLAINT_ACTION_REGISTER);
    }
    auto answers = AtOnce([&](int replica) {
      v1::Complaint out;
      auto s = Transition(replica, c, v1::COMPLAINT_ACTION_START_REVIEW, c.complaint_id() + ":review-" + std::to_string(replica), &out);
      return std::pair(s.error_code(), out);
    });
    std::vector<grpc::StatusCode> codes{answers.first.first, answers.second.first};
    ASSERT_EQ(std::count(codes.begin(), codes.end(), grpc::StatusCode::OK), 1) << n;
    const auto loser = codes[0] == grpc::StatusCode::OK ? codes[1] : codes[0];
    EXPECT_TRUE(loser == grpc::StatusCode::ABORTED || loser == grpc::StatusCode::FAILED_PRECONDITION) << n << " " << loser;
    const v1::Complaint won = codes[0] == grpc::StatusCode::OK ? answers.first.second : answers.second.second;
    EXPECT_EQ(won.version(), c.version() + 1);

    const v1::Complaint stored = Get(c.complaint_id());
    EXPECT_EQ(stored.version(), c.version() + 1);
    EXPECT_EQ(stored.status(), v1::COMPLAINT_STATUS_UNDER_REVIEW);
    auto chain = ChainOf(c.complaint_id());
    // One entry for the one change.
    EXPECT_EQ(static_cast<int64_t>(chain.size()), c.history_head_sequence() + 1) << n;
    EXPECT_EQ(stored.history_head_sequence(), c.history_head_sequence() + 1) << n;

    // A reveal on one replica while the other extends the handling: both land, the chain stays one.
    auto both = AtOnce([&](int replica) -> grpc::StatusCode {
      if (replica == 1) {
        v1::Complaint out;
        return Transition(1, stored, v1::COMPLAINT_ACTION_EXTEND_HANDLING, c.complaint_id() + ":extend", &out).error_code();
      }
      v1::RevealReporterRequest reveal;
      reveal.set_complaint_id(c.complaint_id());
      reveal.set_reason("klarifikasi pelapor");
      v1::RevealReporterResponse revealed;
      return On(2)->RevealReporter(Context().get(), reveal, &revealed).error_code();
    });
    EXPECT_EQ(both.first, grpc::StatusCode::OK) << n;
    EXPECT_EQ(both.second, grpc::StatusCode::OK) << n;
    EXPECT_EQ(ChainOf(c.complaint_id()).size(), chain.size() + 2) << n;
  }
}

// Complaints forwarded on either replica: both replicas dispatch the outbox,
// and the sanction service is asked to open each case once.
TEST_P(ComplaintReplicasTest, EachForwardingOpensItsCaseOnce) {
  constexpr int kComplaints = 4;
  ASSERT_TRUE(stack_.Start(Service::kSanction));
  const std::string evidence = Evidence();
  std::vector<std::string> ids;
  for (int n = 0; n < kComplaints; ++n) {
    v1::SubmitComplaintRequest request = Request("forwarded-" + std::to_string(n), evidence);
    request.mutable_subject()->set_employee_number(SubjectNip(n));
    const int replica = n % 2 + 1;
    v1::Complaint c = MustSubmit(replica, request).complaint();
    for (auto action : {v1::COMPLAINT_ACTION_REGISTER, v1::COMPLAINT_ACTION_START_REVIEW, v1::COMPLAINT_ACTION_FORWARD}) {
      if (action == v1::COMPLAINT_ACTION_REGISTER && c.status() != v1::COMPLAINT_STATUS_RECEIVED &&
          c.status() != v1::COMPLAINT_STATUS_COMPLETED) {
        continue;
      }
      auto status = Transition(replica, c, action, c.complaint_id() + ":" + v1::ComplaintAction_Name(action), &c);
      ASSERT_TRUE(status.ok()) << v1::ComplaintAction_Name(action) << ": " << status.error_message();
    }
    ASSERT_EQ(c.status(), v1::COMPLAINT_STATUS_FORWARDED);
    ids.push_back(c.complaint_id());
  }
  auto all_done = [&] {
    for (const auto& id : ids) {
      if (Get(id).forwarding().status() != v1::FORWARDING_STATUS_DONE) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil(all_done, 30s, 100ms)) << stack_.log(Service::kComplaint);
  const double opened = MetricValue(stack_.metrics(Service::kSanction), "grpc_server_handled_total",
                                    {{"grpc_method", "OpenCase"}, {"grpc_code", "OK"}})
                            .value_or(0);
  EXPECT_EQ(opened, kComplaints);
  for (const auto& id : ids) EXPECT_FALSE(Get(id).forwarding().case_id().empty()) << id;
}

}  // namespace
}  // namespace netra::testing

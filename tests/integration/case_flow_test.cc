// The whole case flow across the three services (issue 5, "End to end"):
// a complaint is submitted with evidence, registered, reviewed and forwarded;
// the sanction service opens a case, the recommending authority recommends,
// the PPK decides; the complaint is closed with the decision and the employee's
// disciplinary status is set. Real processes, real gRPC, real Redis, SQLite.
//
// The same flow runs three times: undisturbed, with the sanction service
// killed (SIGKILL) and restarted at the two points where it owes another
// service a call, and with Redis stopped from the first step on. Each run must
// end in the same final state, with nothing lost and nothing done twice.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "absl/time/clock.h"
#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;
namespace v1 = netra::v1;

std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(20s); }

enum class Disturbance { kNone, kSanctionKilled, kRedisStopped };

std::string Name(Disturbance d) {
  switch (d) {
    case Disturbance::kNone: return "Undisturbed";
    case Disturbance::kSanctionKilled: return "SanctionKilledAndRestarted";
    case Disturbance::kRedisStopped: return "RedisStopped";
  }
  return "Unknown";
}
// For gtest's test names and messages.
void PrintTo(Disturbance d, std::ostream* out) { *out << Name(d); }

class CaseFlowTest : public ::testing::TestWithParam<Disturbance> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.StartAll());
    registry_ = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
    complaint_ = v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint));
    ConnectSanction();
    SeedElectionAndEmployee();
  }

  // sanction_ is the recommending authority the election names (BKN, the stack's default
  // caller), ppk_ the employee's PPK.
  void ConnectSanction() {
    sanction_ = v1::SanctionService::NewStub(stack_.channel(Service::kSanction));
    ppk_ = v1::SanctionService::NewStub(stack_.channel(Service::kSanction, kSemarangPpk));
  }

  // An election under way (voting in a month) so that a report about
  // yesterday is on time, and one PNS of Kota Semarang.
  void SeedElectionAndEmployee() {
    v1::UpsertElectionRequest election;
    election.set_request_id("seed-election");
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                    ReadFile(std::string(NETRA_SOURCE_DIR) + "/deploy/local/elections/pilkada-2024.json"),
                    election.mutable_election())
                    .ok());
    v1::Election& e = *election.mutable_election();
    e.set_election_id("pilkada-test");
    *e.mutable_candidates_fixed_date() = WibDate(-30);
    *e.mutable_campaign_start_date() = WibDate(-20);
    *e.mutable_campaign_end_date() = WibDate(27);
    *e.mutable_quiet_period_start_date() = WibDate(28);
    *e.mutable_quiet_period_end_date() = WibDate(30);
    *e.mutable_voting_date() = WibDate(31);
    e.clear_holidays();
    v1::UpsertElectionResponse upserted;
    auto status = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kAdmin))
                      ->UpsertElection(Context().get(), election, &upserted);
    ASSERT_TRUE(status.ok()) << status.error_message();

    v1::UpsertEmployeeRequest request;
    request.set_request_id("seed-employee");
    v1::Employee& p = *request.mutable_employee();
    p.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
    p.set_nip("198001052005011003");
    p.set_name("Sutrisno Hadi");
    p.set_gender(v1::GENDER_MALE);
    p.mutable_birth_date()->set_year(1980);
    p.mutable_birth_date()->set_month(1);
    p.mutable_birth_date()->set_day(5);
    p.set_agency_code("PEMKOT-SMG");
    p.set_agency_name("Pemerintah Kota Semarang");
    p.set_unit_name("Kelurahan Tembalang");
    p.set_position("Lurah");
    p.set_work_region_code("33.74");
    p.set_rank("III/d");
    p.mutable_ppk()->set_code("walikota:33.74");
    p.mutable_ppk()->set_name("Walikota Semarang");
    p.mutable_ppk()->set_region_code("33.74");
    v1::UpsertEmployeeResponse response;
    status = registry_->UpsertEmployee(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    employee_id_ = response.employee().employee_id();
  }

  std::string UploadEvidence() {
    const std::string photo = std::string("\xff\xd8\xff\xe0", 4) + std::string(64 * 1024, 'x');
    v1::UploadEvidenceResponse response;
    auto context = Context();
    auto writer = complaint_->UploadEvidence(context.get(), &response);
    v1::UploadEvidenceRequest first;
    first.set_request_id("flow-evidence");
    first.set_file_name("tangkapan-layar.jpg");
    first.set_total_size(static_cast<int64_t>(photo.size()));
    first.set_chunk(photo);
    EXPECT_TRUE(writer->Write(first));
    EXPECT_TRUE(writer->WritesDone());
    auto status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.evidence().evidence_id();
  }

  v1::Complaint Submit(const std::string& evidence_id) {
    v1::SubmitComplaintRequest request;
    request.set_request_id("flow-submit");
    request.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
    v1::Reporter& r = *request.mutable_reporter();
    r.set_kind(v1::REPORTER_KIND_VOTER);
    r.set_name("Dewi Lestari");
    r.set_address("Jl. Pemuda 12, Semarang");
    r.set_contact("dewi@example.org");
    r.set_identity_hidden(true);
    request.mutable_subject()->set_employee_number("198001052005011003");
    v1::Act& act = *request.mutable_act();
    act.set_election_id("pilkada-test");
    act.add_violation_codes("A4");
    const int64_t yesterday = absl::ToUnixSeconds(absl::Now() - absl::Hours(26));
    act.mutable_occurred_time()->set_seconds(yesterday);
    act.mutable_known_time()->set_seconds(yesterday + 3600);
    act.set_region_code("33.74");
    act.set_place("Akun media sosial pribadi");
    act.set_description("Menyukai dan membagikan unggahan kampanye bakal calon wali kota.");
    request.add_evidence_ids(evidence_id);
    v1::SubmitComplaintResponse response;
    auto status = complaint_->SubmitComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  v1::Complaint Transition(const v1::Complaint& c, v1::ComplaintAction action) {
    v1::TransitionComplaintRequest request;
    request.set_request_id(c.complaint_id() + "/" + v1::ComplaintAction_Name(action));
    request.set_complaint_id(c.complaint_id());
    request.set_action(action);
    request.set_reason("flow test");
    request.set_expected_version(c.version());
    if (action == v1::COMPLAINT_ACTION_FORWARD) {
      request.mutable_forward()->add_violation_codes("A4");
      request.mutable_forward()->set_review_summary("Terbukti menyukai dan membagikan unggahan kampanye.");
      request.mutable_forward()->set_review_document_number("001/PP.01.02/K.JT-33.74/2026");
    }
    v1::TransitionComplaintResponse response;
    auto status = complaint_->TransitionComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << v1::ComplaintAction_Name(action) << ": " << status.error_message();
    return response.complaint();
  }

  v1::Complaint GetComplaint(const std::string& id) {
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    v1::GetComplaintResponse response;
    auto status = complaint_->GetComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  v1::GetCaseResponse GetCase(const std::string& complaint_id) {
    v1::GetCaseRequest request;
    request.set_complaint_id(complaint_id);
    v1::GetCaseResponse response;
    auto status = sanction_->GetCase(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::Employee GetEmployee() {
    v1::GetEmployeeRequest request;
    request.set_employee_id(employee_id_);
    v1::GetEmployeeResponse response;
    auto status = registry_->GetEmployee(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.employee();
  }

  void KillAndRestartSanction() {
    stack_.process(Service::kSanction).Kill();
    ASSERT_TRUE(stack_.Start(Service::kSanction));
    ConnectSanction();
  }

  NetraStack stack_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::ComplaintService::Stub> complaint_;
  std::unique_ptr<v1::SanctionService::Stub> sanction_, ppk_;
  std::string employee_id_;
};

TEST_P(CaseFlowTest, AComplaintEndsAsADecisionOnTheEmployeeExactlyOnce) {
  const Disturbance disturbance = GetParam();
  if (disturbance == Disturbance::kRedisStopped) {
    ASSERT_TRUE(stack_.redis().Stop());
  }

  // Bawaslu: intake, registration, review, forwarding.
  v1::Complaint complaint = Submit(UploadEvidence());
  ASSERT_FALSE(complaint.complaint_id().empty());
  ASSERT_EQ(complaint.subject_resolution().employee().employee_id(), employee_id_);
  if (complaint.status() == v1::COMPLAINT_STATUS_RECEIVED || complaint.status() == v1::COMPLAINT_STATUS_COMPLETED) {
    complaint = Transition(complaint, v1::COMPLAINT_ACTION_REGISTER);
  }
  ASSERT_EQ(complaint.status(), v1::COMPLAINT_STATUS_REGISTERED);
  complaint = Transition(complaint, v1::COMPLAINT_ACTION_START_REVIEW);
  ASSERT_EQ(complaint.status(), v1::COMPLAINT_STATUS_UNDER_REVIEW);

  if (disturbance == Disturbance::kSanctionKilled) {
    // Forward while the sanction service is down: the complaint shows
    // forwarding pending, and the case opens once it is back.
    stack_.process(Service::kSanction).Kill();
    complaint = Transition(complaint, v1::COMPLAINT_ACTION_FORWARD);
    EXPECT_EQ(complaint.forwarding().status(), v1::FORWARDING_STATUS_PENDING);
    ASSERT_TRUE(stack_.Start(Service::kSanction));
    ConnectSanction();
  } else {
    complaint = Transition(complaint, v1::COMPLAINT_ACTION_FORWARD);
  }
  ASSERT_EQ(complaint.status(), v1::COMPLAINT_STATUS_FORWARDED);
  const std::string complaint_id = complaint.complaint_id();
  ASSERT_TRUE(WaitUntil(
      [&] { return GetComplaint(complaint_id).forwarding().status() == v1::FORWARDING_STATUS_DONE; }, 60s))
      << stack_.log(Service::kComplaint);

  // The recommending authority, then the PPK.
  v1::Case c = GetCase(complaint_id).case_record();
  ASSERT_EQ(c.status(), v1::CASE_STATUS_OPEN);
  EXPECT_EQ(c.employee().employee_id(), employee_id_);
  EXPECT_EQ(GetComplaint(complaint_id).forwarding().case_id(), c.case_id());
  {
    v1::IssueRecommendationRequest request;
    request.set_request_id("flow-recommend");
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_authority_code(c.recommending_authority().code());
    request.set_letter_number("B-101/KASN/2026");
    *request.mutable_letter_date() = WibDate(0);
    request.set_verdict(v1::RECOMMENDATION_VERDICT_VIOLATION);
    request.set_level(c.proposed().level());
    *request.mutable_forms() = c.proposed().forms();
    request.set_summary("Pelanggaran netralitas: media sosial.");
    v1::IssueRecommendationResponse response;
    auto status = sanction_->IssueRecommendation(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    c = response.case_record();
  }
  ASSERT_EQ(c.status(), v1::CASE_STATUS_RECOMMENDED);
  {
    v1::RecordDecisionRequest request;
    request.set_request_id("flow-decide");
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_decree_number("800/123/2026");
    *request.mutable_decree_date() = WibDate(0);
    request.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
    request.set_level(c.recommendation().level());
    *request.mutable_forms() = c.recommendation().forms();
    request.set_decided_by("Walikota Semarang");
    v1::RecordDecisionResponse response;
    auto status = ppk_->RecordDecision(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    c = response.case_record();
  }
  ASSERT_EQ(c.status(), v1::CASE_STATUS_DECIDED);
  // Killed right after the decision is on disk: the notifications it owes
  // the complaint service and the registry are delivered after the restart.
  if (disturbance == Disturbance::kSanctionKilled) {
    KillAndRestartSanction();
  }

  // The final state, the same in every run.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return GetComplaint(complaint_id).status() == v1::COMPLAINT_STATUS_CLOSED &&
               GetEmployee().disciplinary_state() == v1::DISCIPLINARY_STATE_UNDER_SANCTION;
      },
      60s))
      << stack_.log(Service::kSanction);
  complaint = GetComplaint(complaint_id);
  EXPECT_EQ(complaint.outcome().case_id(), c.case_id());
  EXPECT_EQ(complaint.outcome().decree_number(), "800/123/2026");
  const v1::Employee employee = GetEmployee();
  ASSERT_EQ(employee.disciplinary_records_size(), 1);
  EXPECT_EQ(employee.disciplinary_records(0).case_id(), c.case_id());

  // Nothing twice: one case for the complaint, one forwarding and one
  // outcome in its history, and both histories intact.
  v1::ListCasesRequest list;
  list.set_election_id("pilkada-test");
  v1::ListCasesResponse cases;
  ASSERT_TRUE(sanction_->ListCases(Context().get(), list, &cases).ok());
  EXPECT_EQ(cases.cases_size(), 1);
  const v1::GetCaseResponse case_view = GetCase(complaint_id);
  EXPECT_TRUE(case_view.history_verification().intact()) << case_view.history_verification().description();
  EXPECT_EQ(case_view.case_record().status(), v1::CASE_STATUS_DECIDED);

  v1::GetComplaintHistoryRequest history_request;
  history_request.set_complaint_id(complaint_id);
  history_request.set_page_size(100);
  v1::GetComplaintHistoryResponse history;
  ASSERT_TRUE(complaint_->GetComplaintHistory(Context().get(), history_request, &history).ok());
  std::map<std::string, int> events;
  for (const auto& entry : history.entries()) ++events[entry.event_type()];
  EXPECT_EQ(events["complaint.forwarded"], 1);
  EXPECT_EQ(events["complaint.outcome_recorded"], 1);
  v1::VerifyComplaintHistoryRequest verify_request;
  verify_request.set_complaint_id(complaint_id);
  v1::VerifyComplaintHistoryResponse verified;
  ASSERT_TRUE(complaint_->VerifyComplaintHistory(Context().get(), verify_request, &verified).ok());
  EXPECT_TRUE(verified.verification().intact()) << verified.verification().description();

  // The reported side never learns who reported.
  v1::GetComplaintStatusRequest public_request;
  public_request.set_tracking_code(complaint.tracking_code());
  v1::GetComplaintStatusResponse public_status;
  ASSERT_TRUE(complaint_->GetComplaintStatus(Context().get(), public_request, &public_status).ok());
  EXPECT_EQ(public_status.status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(public_status.DebugString().find("Dewi"), std::string::npos);
}

// A forwarding the sanction side refuses for good (here: the complaint
// service was deployed with --sanction pointing at the registry, which has no
// OpenCase: UNIMPLEMENTED) is not retried forever: it is parked, the
// complaint shows it with the reason, a metric and a log line say so; once the
// deployment is fixed, an operator's `netractl outbox retry` delivers it.
TEST_F(CaseFlowTest, AForwardingRefusedForGoodIsParkedShownAndDeliveredAfterAnOperatorRetry) {
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  Subprocess misconfigured(stack_.CommandLine(Service::kComplaint, stack_.address(Service::kComplaint),
                                              stack_.metrics_port(Service::kComplaint),
                                              {{Service::kSanction, stack_.address(Service::kRegistry)}}),
                           stack_.dir().File("complaint-misconfigured.log"));
  ASSERT_TRUE(misconfigured.started());
  ASSERT_TRUE(WaitUntil(
      [&] { return CheckHealth(*stack_.channel(Service::kComplaint), "", 500ms) == HealthStatus::kServing; }, 20s,
      50ms))
      << ReadFile(misconfigured.log_path());

  v1::Complaint complaint = Submit(UploadEvidence());
  if (complaint.status() == v1::COMPLAINT_STATUS_RECEIVED) complaint = Transition(complaint, v1::COMPLAINT_ACTION_REGISTER);
  complaint = Transition(complaint, v1::COMPLAINT_ACTION_START_REVIEW);
  complaint = Transition(complaint, v1::COMPLAINT_ACTION_FORWARD);
  ASSERT_EQ(complaint.status(), v1::COMPLAINT_STATUS_FORWARDED);
  const std::string id = complaint.complaint_id();
  ASSERT_TRUE(WaitUntil(
      [&] { return GetComplaint(id).forwarding().status() == v1::FORWARDING_STATUS_REFUSED; }, 20s, 20ms))
      << ReadFile(misconfigured.log_path());
  const v1::Forwarding refused = GetComplaint(id).forwarding();
  EXPECT_EQ(refused.attempts(), 1);  // not retried
  EXPECT_NE(refused.last_error().find("OpenCase: Unimplemented"), std::string::npos) << refused.last_error();
  EXPECT_TRUE(refused.has_refuse_time());
  EXPECT_EQ(complaint.status(), v1::COMPLAINT_STATUS_FORWARDED);
  const std::string metrics = stack_.metrics(Service::kComplaint);
  EXPECT_EQ(MetricValue(metrics, "netra_outbox_deliveries_total", {{"kind", "sanction.open_case"}, {"result", "refused"}}),
            1.0)
      << metrics;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return MetricValue(stack_.metrics(Service::kComplaint), "netra_outbox_refused", {{"kind", "sanction.open_case"}}) ==
               1.0;
      },
      10s, 50ms));
  EXPECT_NE(ReadFile(misconfigured.log_path()).find("delivery refused by the other service"), std::string::npos);

  // The deployment is fixed; the parked forwarding waits for the operator.
  misconfigured.Kill();
  ASSERT_TRUE(stack_.Start(Service::kComplaint));
  EXPECT_EQ(GetComplaint(id).forwarding().status(), v1::FORWARDING_STATUS_REFUSED);

  const std::string netractl = std::string(NETRA_BINARY_DIR) + "/netractl";
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {netractl, "--complaint", stack_.address(Service::kComplaint)};
    for (const auto& flag : stack_.ToolTlsFlags("ops")) argv.push_back(flag);
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess process(argv, stack_.dir().File("netractl.out"));
    auto status = process.Wait(20s);
    if (!status) process.Kill();
    std::string out = ReadFile(stack_.dir().File("netractl.out"));
    std::remove(stack_.dir().File("netractl.out").c_str());
    return std::pair{status.value_or(-1), out};
  };
  auto [listed_status, listed] = run({"outbox", "list", "--refused"});
  ASSERT_EQ(listed_status, 0) << listed;
  auto deliveries = nlohmann::json::parse(listed).at("deliveries");
  ASSERT_EQ(deliveries.size(), 1u) << listed;
  EXPECT_EQ(deliveries[0].at("key"), id);
  EXPECT_EQ(deliveries[0].at("refused"), true);
  const std::string delivery_id = deliveries[0].at("delivery_id").get<std::string>();  // int64 is a JSON string
  auto [retry_status, retried] = run({"outbox", "retry", delivery_id});
  ASSERT_EQ(retry_status, 0) << retried;

  ASSERT_TRUE(WaitUntil([&] { return GetComplaint(id).forwarding().status() == v1::FORWARDING_STATUS_DONE; }, 20s,
                        20ms))
      << stack_.log(Service::kComplaint);
  EXPECT_EQ(GetCase(id).case_record().employee().employee_id(), employee_id_);
  EXPECT_TRUE(GetComplaint(id).forwarding().last_error().empty());
  auto [after_status, after] = run({"outbox", "list"});
  EXPECT_EQ(after_status, 0);
  EXPECT_TRUE(nlohmann::json::parse(after).value("deliveries", nlohmann::json::array()).empty()) << after;
  auto [again_status, again] = run({"outbox", "retry", delivery_id});  // delivered: nothing left to retry
  EXPECT_EQ(again_status, 1) << again;
  EXPECT_NE(again.find("\"NotFound\""), std::string::npos) << again;
}

INSTANTIATE_TEST_SUITE_P(Disturbances, CaseFlowTest,
                         ::testing::Values(Disturbance::kNone, Disturbance::kSanctionKilled,
                                           Disturbance::kRedisStopped),
                         [](const ::testing::TestParamInfo<Disturbance>& info) { return Name(info.param); });

}  // namespace
}  // namespace netra::testing

#include "tests/integration/operator_traffic.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/services/complaint/complaint_test_support.h"

namespace netra::testing {

using namespace std::chrono_literals;

bool StartObservedStack(NetraStack& stack) {
  return stack.Start(Service::kRegistry) && stack.Start(Service::kComplaint, {"--intake-contact-limit=2"}) &&
         stack.Start(Service::kSanction);
}

// How far ahead the restarted sanction service runs: past every escalation step.
constexpr int kSanctionAheadHours = 2400;
constexpr int kSweepIntervalMs = 100;

namespace v1 = netra::v1;

void DriveOperatorTraffic(NetraStack& stack, int rounds) {
  auto context = [] { return MakeClientContext(20s); };
  auto registry = v1::RegistryService::NewStub(stack.channel(Service::kRegistry));
  auto complaints = v1::ComplaintService::NewStub(stack.channel(Service::kComplaint));

  v1::Election election;
  grpc::Status status = stack.UpsertDemoElection("pemilu-2024.json", &election);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string authority = election.recommending_authority().code();
  std::vector<std::string> nips;
  for (int n = 0; n < 3; ++n) {
    v1::UpsertEmployeeRequest request;
    request.set_request_id("seed-employee-" + std::to_string(n));
    *request.mutable_employee() = SemarangEmployee(n);
    v1::UpsertEmployeeResponse response;
    status = registry->UpsertEmployee(context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    nips.push_back(request.employee().nip());
  }

  // Evidence (a client stream), then the submissions.
  v1::UploadEvidenceResponse uploaded;
  {
    auto upload_context = context();
    auto writer = complaints->UploadEvidence(upload_context.get(), &uploaded);
    v1::UploadEvidenceRequest chunk;
    chunk.set_file_name("screenshot.png");
    const std::string png = "\x89PNG\r\n\x1A\n" + std::string(20000, 'p');
    chunk.set_total_size(static_cast<int64_t>(png.size()));
    for (size_t at = 0; at < png.size(); at += 8192) {
      chunk.set_chunk(png.substr(at, 8192));
      ASSERT_TRUE(writer->Write(chunk));
      chunk.clear_file_name(), chunk.clear_total_size();
    }
    writer->WritesDone();
    status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto submission = [&](const std::string& request_id, const std::string& nip) {
    v1::SubmitComplaintRequest request = complaint::testing::ValidRequest(absl::Now());
    request.set_request_id(request_id);
    request.set_channel(v1::INTAKE_CHANNEL_BAWASLU_OFFICE);
    request.mutable_subject()->set_employee_number(nip);
    request.clear_evidence_ids();
    request.add_evidence_ids(uploaded.evidence().evidence_id());
    return request;
  };
  auto submit = [&](const v1::SubmitComplaintRequest& request, v1::SubmitComplaintResponse* response) {
    return complaints->SubmitComplaint(context().get(), request, response);
  };
  auto act = [&](const v1::Complaint& c, v1::ComplaintAction action) {
    v1::TransitionComplaintRequest request;
    request.set_request_id(c.complaint_id() + "/" + v1::ComplaintAction_Name(action));
    request.set_complaint_id(c.complaint_id());
    request.set_action(action);
    request.set_expected_version(c.version());
    if (action == v1::COMPLAINT_ACTION_FORWARD) request.mutable_forward()->set_review_summary("Unggahan terbukti.");
    v1::TransitionComplaintResponse response;
    grpc::Status s = complaints->TransitionComplaint(context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << v1::ComplaintAction_Name(action) << ": " << s.error_message();
    return response.complaint();
  };
  auto get_complaint = [&](const std::string& id) {
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    v1::GetComplaintResponse response;
    (void)complaints->GetComplaint(context().get(), request, &response);
    return response.complaint();
  };

  std::vector<std::string> forwarded;  // complaint ids
  for (int n = 0; n < 2; ++n) {
    v1::SubmitComplaintResponse submitted;
    status = submit(submission("flow-" + std::to_string(n), nips[n]), &submitted);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::Complaint c = act(submitted.complaint(), v1::COMPLAINT_ACTION_REGISTER);
    c = act(act(c, v1::COMPLAINT_ACTION_START_REVIEW), v1::COMPLAINT_ACTION_FORWARD);
    ASSERT_EQ(c.status(), v1::COMPLAINT_STATUS_FORWARDED);
    forwarded.push_back(c.complaint_id());
  }

  for (int i = 0; i < 3; ++i) {
    v1::SubmitComplaintRequest request = submission("burst-" + std::to_string(i), nips[2]);
    request.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
    request.mutable_act()->clear_violation_codes();
    request.mutable_act()->add_violation_codes("A4");
    v1::SubmitComplaintResponse response;
    status = submit(request, &response);
    if (i < 2) {
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(response.complaint().cluster().is_primary(), i == 0);
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    }
  }

  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& id : forwarded) {
          if (get_complaint(id).forwarding().status() != v1::FORWARDING_STATUS_DONE) return false;
        }
        return true;
      },
      20s, 50ms))
      << stack.log(Service::kComplaint);

  // The election's recommending authority follows and recommends; the employees' PPK decides.
  auto sanctions = v1::SanctionService::NewStub(stack.channel(Service::kSanction, AuthorityIdentity(authority)));
  auto get_case = [&](const std::string& complaint_id) {
    v1::GetCaseRequest request;
    request.set_complaint_id(complaint_id);
    v1::GetCaseResponse response;
    grpc::Status s = sanctions->GetCase(context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_record();
  };
  auto recommend = [&](const v1::Case& c, const v1::Date& letter_date) {
    v1::IssueRecommendationRequest request;
    request.set_request_id(c.case_id() + ":recommend");
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_authority_code(authority);
    request.set_letter_number("R-" + c.case_id());
    *request.mutable_letter_date() = letter_date;
    request.set_verdict(v1::RECOMMENDATION_VERDICT_VIOLATION);
    request.set_level(c.proposed().level());
    *request.mutable_forms() = c.proposed().forms();
    v1::IssueRecommendationResponse response;
    grpc::Status s = sanctions->IssueRecommendation(context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_record();
  };
  const v1::Case overdue = recommend(get_case(forwarded[0]), WibDate());
  ASSERT_EQ(overdue.status(), v1::CASE_STATUS_RECOMMENDED);

  ASSERT_EQ(stack.Stop(Service::kSanction), 0);
  ASSERT_TRUE(stack.Start(Service::kSanction, {"--clock-offset-hours=" + std::to_string(kSanctionAheadHours),
                                               "--sweep-interval-ms=" + std::to_string(kSweepIntervalMs)}));
  sanctions = v1::SanctionService::NewStub(stack.channel(Service::kSanction, AuthorityIdentity(authority)));
  v1::Case decided = recommend(get_case(forwarded[1]), WibDate(0, kSanctionAheadHours));
  {
    v1::RecordDecisionRequest request;
    request.set_request_id(decided.case_id() + ":decide");
    request.set_case_id(decided.case_id());
    request.set_expected_version(decided.version());
    request.set_decree_number("SK-" + decided.case_id());
    *request.mutable_decree_date() = WibDate(0, kSanctionAheadHours);
    request.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
    request.set_level(decided.recommendation().level());
    *request.mutable_forms() = decided.recommendation().forms();
    request.set_decided_by("Walikota Semarang");
    v1::RecordDecisionResponse response;
    status = v1::SanctionService::NewStub(stack.channel(Service::kSanction, kSemarangPpk))
                 ->RecordDecision(context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        return get_case(forwarded[0]).escalation_level() == v1::ESCALATION_LEVEL_DATA_BLOCK &&
               get_complaint(forwarded[1]).status() == v1::COMPLAINT_STATUS_CLOSED;
      },
      20s, 50ms))
      << stack.log(Service::kSanction);

  for (int i = 0; i < rounds; ++i) {
    v1::ListRegionsRequest regions;
    regions.set_parent_code(i % 3 == 2 ? "99.99" : "33");
    v1::ListRegionsResponse regions_out;
    (void)registry->ListRegions(context().get(), regions, &regions_out);
    v1::GetEmployeeRequest employee;
    employee.set_employee_id(i % 2 ? "199001012020121001" : "not-an-id");  // a well-formed unknown NIP, and junk
    v1::GetEmployeeResponse employee_out;
    (void)registry->GetEmployee(context().get(), employee, &employee_out);

    v1::GetComplaintStatusRequest public_status;
    public_status.set_tracking_code(i % 2 ? "23456789AB" : "bad");
    v1::GetComplaintStatusResponse public_status_out;
    (void)complaints->GetComplaintStatus(context().get(), public_status, &public_status_out);

    v1::ListViolationTypesRequest types;
    v1::ListViolationTypesResponse types_out;
    (void)sanctions->ListViolationTypes(context().get(), types, &types_out);
  }
}

}  // namespace netra::testing

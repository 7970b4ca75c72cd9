#include "tests/integration/forwarding.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "common/client.h"
#include "tests/services/complaint/complaint_test_support.h"

namespace netra::testing {
namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

constexpr char kBawaslu[] = "bawaslu/33.74";  // where the reports are about

}  // namespace

std::string ComplaintForwarder::Evidence() {
  if (!evidence_id_.empty()) return evidence_id_;
  auto stub = v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, kBawaslu));
  v1::UploadEvidenceResponse response;
  auto context = MakeClientContext(20s);
  auto writer = stub->UploadEvidence(context.get(), &response);
  const std::string png = "\x89PNG\r\n\x1A\n" + std::string(4096, 'p');
  v1::UploadEvidenceRequest chunk;
  chunk.set_file_name("tangkapan-layar.png");
  chunk.set_total_size(static_cast<int64_t>(png.size()));
  chunk.set_chunk(png);
  writer->Write(chunk);
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  evidence_id_ = response.evidence().evidence_id();
  return evidence_id_;
}

v1::Complaint ComplaintForwarder::Act(const v1::Complaint& c, v1::ComplaintAction action) {
  v1::TransitionComplaintRequest request;
  request.set_request_id(c.complaint_id() + "-" + v1::ComplaintAction_Name(action));
  request.set_complaint_id(c.complaint_id());
  request.set_action(action);
  request.set_reason("test");
  request.set_expected_version(c.version());
  if (action == v1::COMPLAINT_ACTION_FORWARD) request.mutable_forward()->set_review_summary("Terbukti.");
  v1::TransitionComplaintResponse response;
  const grpc::Status status = v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, kBawaslu))
                                  ->TransitionComplaint(MakeClientContext(20s).get(), request, &response);
  EXPECT_TRUE(status.ok()) << v1::ComplaintAction_Name(action) << ": " << status.error_message();
  return response.complaint();
}

v1::Complaint ComplaintForwarder::Report(const std::string& name, const std::string& nip,
                                         const std::string& election_id, const std::vector<std::string>& codes,
                                         v1::ComplaintStatus until) {
  v1::SubmitComplaintRequest request = complaint::testing::ValidRequest(absl::Now());
  request.set_request_id(name);
  request.set_channel(v1::INTAKE_CHANNEL_BAWASLU_OFFICE);
  request.mutable_subject()->set_employee_number(nip);
  request.mutable_act()->set_election_id(election_id);
  request.mutable_act()->clear_violation_codes();
  for (const auto& code : codes) request.mutable_act()->add_violation_codes(code);
  request.clear_evidence_ids();
  request.add_evidence_ids(Evidence());
  v1::SubmitComplaintResponse submitted;
  auto stub = v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, kBawaslu));
  const grpc::Status status = stub->SubmitComplaint(MakeClientContext(20s).get(), request, &submitted);
  EXPECT_TRUE(status.ok()) << status.error_message();
  v1::Complaint c = submitted.complaint();
  if (c.status() == v1::COMPLAINT_STATUS_RECEIVED || c.status() == v1::COMPLAINT_STATUS_COMPLETED) {
    c = Act(c, v1::COMPLAINT_ACTION_REGISTER);
  }
  if (until == v1::COMPLAINT_STATUS_REGISTERED) return c;
  c = Act(Act(c, v1::COMPLAINT_ACTION_START_REVIEW), v1::COMPLAINT_ACTION_FORWARD);
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_FORWARDED) << name;
  // The complaint service's outbox opens the case.
  v1::GetComplaintRequest get;
  get.set_complaint_id(c.complaint_id());
  const bool done = WaitUntil(
      [&] {
        v1::GetComplaintResponse response;
        if (!stub->GetComplaint(MakeClientContext(20s).get(), get, &response).ok()) return false;
        c = response.complaint();
        return c.forwarding().status() == v1::FORWARDING_STATUS_DONE;
      },
      30s, 50ms);
  EXPECT_TRUE(done) << name << ": forwarding not done; last error: " << c.forwarding().last_error();
  return c;
}

}  // namespace netra::testing

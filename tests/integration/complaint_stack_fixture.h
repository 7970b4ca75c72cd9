// The complaint service against real processes (netra-registry with an
// election and one employee, netra-complaint), a real redis-server and real
// SQLite files: the fixture of the complaint integration tests.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"
#include "tests/services/complaint/complaint_test_support.h"

namespace netra::testing {

namespace v1 = netra::v1;
using namespace std::chrono_literals;
using google::protobuf::util::TimeUtil;

inline const std::string kNip = "198503142010011001";

inline google::protobuf::Timestamp HoursAgo(int hours) {
  return TimeUtil::SecondsToTimestamp(TimeUtil::TimestampToSeconds(TimeUtil::GetCurrentTime()) - hours * 3600);
}

// Registry (an election, one employee of Kota Semarang) and complaint
// service started; requests as Bawaslu Kota Semarang.
class ComplaintStackTest : public ::testing::Test {
 protected:
  const absl::Time start_ = absl::Now();
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    auto registry = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
    auto status = stack_.UpsertDemoElection("pemilu-2024.json");
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::UpsertEmployeeRequest employee;
    employee.set_request_id("seed-employee");
    auto* e = employee.mutable_employee();
    e->set_employee_type(v1::EMPLOYEE_TYPE_PNS);
    e->set_nip(kNip);
    e->set_name("Siti Aminah");
    e->set_gender(v1::GENDER_MALE);
    e->mutable_birth_date()->set_year(1985), e->mutable_birth_date()->set_month(3), e->mutable_birth_date()->set_day(14);
    e->set_agency_code("PEMKOT-SMG");
    e->set_agency_name("Pemerintah Kota Semarang");
    e->set_work_region_code("33.74");
    e->set_rank("III/b");
    v1::UpsertEmployeeResponse employee_response;
    status = registry->UpsertEmployee(MakeClientContext(10s).get(), employee, &employee_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_TRUE(stack_.Start(Service::kComplaint));
  }

  // As Bawaslu Kota Semarang (its certificate), the person "officer-1".
  std::unique_ptr<v1::ComplaintService::Stub> Stub() {
    return v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, "bawaslu/33.74"));
  }

  std::unique_ptr<grpc::ClientContext> Context() {
    auto context = MakeClientContext(10s);
    context->AddMetadata("x-netra-actor", "officer-1");
    return context;
  }

  // Uploads `content` in chunks; `declared` overrides the total size announced.
  grpc::Status Upload(const std::string& content, v1::UploadEvidenceResponse* response, int64_t declared = -1) {
    auto context = Context();
    auto writer = Stub()->UploadEvidence(context.get(), response);
    v1::UploadEvidenceRequest message;
    message.set_file_name("screenshot.png");
    message.set_total_size(declared >= 0 ? declared : static_cast<int64_t>(content.size()));
    for (size_t i = 0; i < content.size(); i += 1 << 20) {
      message.set_chunk(content.substr(i, 1 << 20));
      if (!writer->Write(message)) break;
      message.Clear();
    }
    writer->WritesDone();
    return writer->Finish();
  }

  std::string Evidence() {
    v1::UploadEvidenceResponse response;
    auto status = Upload("\x89PNG\r\n\x1A\n" + std::string(100000, 'p'), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.evidence().media_type(), "image/png");
    return response.evidence().evidence_id();
  }

  // The domain tests' valid submission, at the test's start (so that a retry
  // is the same request), hidden reporter.
  v1::SubmitComplaintRequest Request(const std::string& request_id, const std::string& evidence_id) {
    v1::SubmitComplaintRequest r = complaint::testing::ValidRequest(start_);
    r.set_request_id(request_id);
    r.set_channel(v1::INTAKE_CHANNEL_BAWASLU_OFFICE);
    r.mutable_reporter()->set_identity_hidden(true);
    r.mutable_subject()->set_employee_number(kNip);
    r.clear_evidence_ids();
    r.add_evidence_ids(evidence_id);
    return r;
  }

  grpc::Status Submit(const v1::SubmitComplaintRequest& request, v1::SubmitComplaintResponse* response) {
    return Stub()->SubmitComplaint(Context().get(), request, response);
  }

  v1::Complaint Get(const std::string& id) {
    v1::GetComplaintRequest request;
    request.set_complaint_id(id);
    v1::GetComplaintResponse response;
    auto status = Stub()->GetComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  v1::Complaint Act(const v1::Complaint& c, v1::ComplaintAction action, const std::string& reason = "") {
    v1::TransitionComplaintRequest request;
    request.set_request_id(c.complaint_id() + "-" + std::to_string(action));
    request.set_complaint_id(c.complaint_id());
    request.set_action(action);
    request.set_reason(reason);
    request.set_expected_version(c.version());
    request.mutable_forward()->set_review_summary("Kajian awal: unggahan terbukti.");
    v1::TransitionComplaintResponse response;
    auto status = Stub()->TransitionComplaint(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  int64_t ListedCount() {
    v1::ListComplaintsRequest request;
    v1::ListComplaintsResponse response;
    auto status = Stub()->ListComplaints(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaints_size();
  }

  NetraStack stack_;
};

}  // namespace netra::testing

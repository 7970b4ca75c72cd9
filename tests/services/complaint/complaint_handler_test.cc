// ComplaintHandler in process: a grpc::Server inside the test with the
// handler over a real SQLite store and a real redis-server (no child
// processes but Redis), called through a real channel. Covers each RPC's
// mapping of netra.v1 to the domain and back, and of errors to statuses.
#include "services/complaint/complaint_handler.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "common/access_log.h"
#include "common/rpc.h"
#include "common/store.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/sanction.pb.h"
#include "services/complaint/adapters.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"
#include "services/complaint/evidence.h"
#include "services/complaint/peers.h"
#include "tests/services/complaint/complaint_fixture.h"
#include "tests/support/grpc_test_server.h"
#include "tests/support/test_support.h"

namespace netra::complaint {
namespace {

using namespace std::chrono_literals;
namespace v1 = netra::v1;
using testing::ValidRequest;

const std::string kSubject = "198503142010011001";

class ComplaintHandlerTest : public testing::ComplaintFixture {
 protected:
  void SetUp() override {
    ComplaintSettings settings;
    settings.status_peer_limit = 2;
    ASSERT_NO_FATAL_FAILURE(StartComplaints(settings));
    std::string error;
    evidence_ = std::make_unique<EvidenceStore>(*store_, dir_.File("evidence"), 1 << 20);
    ASSERT_TRUE(evidence_->Prepare(&error)) << error;
    access_log_ = std::make_unique<AccessLog>(*db_, metrics_);
    handler_ = std::make_unique<ComplaintHandler>(*complaints_, *evidence_, hasher_, *access_log_);
    registry_.Add(kSubject, "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");

    server_ = std::make_unique<netra::testing::InProcessServer>(std::initializer_list<grpc::Service*>{handler_.get()});
    stub_ = v1::ComplaintService::NewStub(server_->channel("bawaslu/33.74"));
  }

  // A call context naming the person acting (stub_'s certificate is Bawaslu
  // Kota Semarang's, who may see a hidden reporter).
  static std::unique_ptr<grpc::ClientContext> As(const std::string& actor) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + 10s);
    if (!actor.empty()) context->AddMetadata("x-netra-actor", actor);
    return context;
  }
  static std::unique_ptr<grpc::ClientContext> Staff() { return As("officer-1"); }

  std::string UploadEvidence(const std::string& content) {
    auto context = Staff();
    v1::UploadEvidenceResponse response;
    auto writer = stub_->UploadEvidence(context.get(), &response);
    v1::UploadEvidenceRequest request;
    request.set_file_name("bukti.txt");
    request.set_chunk(content);
    EXPECT_TRUE(writer->Write(request));
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.evidence().evidence_id();
  }

  v1::Complaint Submit(const std::string& request_id, bool hidden = false) {
    auto request = ValidRequest();
    request.set_request_id(request_id);
    request.set_evidence_ids(0, evidence_id_);
    request.mutable_reporter()->set_identity_hidden(hidden);
    v1::SubmitComplaintResponse response;
    grpc::Status status = stub_->SubmitComplaint(Staff().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  grpc::Status Transition(const v1::Complaint& c, v1::ComplaintAction action, v1::Complaint* out,
                          const std::string& reason = "because") {
    v1::TransitionComplaintRequest request = testing::TransitionRequest(c, action, reason, ++transitions_);
    request.mutable_forward()->set_review_summary("Kajian: terbukti.");
    v1::TransitionComplaintResponse response;
    grpc::Status status = stub_->TransitionComplaint(Staff().get(), request, &response);
    if (out) *out = response.complaint();
    return status;
  }


  std::unique_ptr<EvidenceStore> evidence_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<ComplaintHandler> handler_;
  std::unique_ptr<netra::testing::InProcessServer> server_;  // after the handler it serves
  std::unique_ptr<v1::ComplaintService::Stub> stub_;
  std::string evidence_id_;
  int transitions_ = 0;
};

TEST_F(ComplaintHandlerTest, SubmitMapsTheRequestAndAnswersTheStoredComplaint) {
  evidence_id_ = UploadEvidence("Tangkapan layar: kepala dinas memakai atribut partai.\n");
  ASSERT_EQ(evidence_id_.size(), 64u);
  auto request = ValidRequest();
  request.set_evidence_ids(0, evidence_id_);
  request.mutable_reporter()->set_nik("3374011503850001");
  v1::SubmitComplaintResponse response;
  ASSERT_TRUE(stub_->SubmitComplaint(As("").get(), request, &response).ok());
  const v1::Complaint& c = response.complaint();
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_EQ(c.channel(), v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
  // The reporter is sealed even in the submitter's own answer; the receipt is theirs.
  EXPECT_TRUE(c.reporter().name().empty());
  EXPECT_TRUE(c.reporter().sealed());
  EXPECT_EQ(c.reporter().kind(), v1::REPORTER_KIND_VOTER);
  EXPECT_TRUE(c.reporter().nik().empty());
  EXPECT_TRUE(c.reporter().nik_on_file());
  EXPECT_EQ(response.receipt().size(), 24u);
  EXPECT_EQ(c.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER);
  EXPECT_EQ(c.subject_resolution().employee().employee_id(), kSubject);
  EXPECT_EQ(c.act().occurred_time().seconds(), request.act().occurred_time().seconds());
  EXPECT_EQ(c.act().violation_codes(0), "B2");
  ASSERT_EQ(c.evidence_size(), 1);
  EXPECT_EQ(c.evidence(0).media_type(), "text/plain");
  EXPECT_EQ(c.evidence(0).sha256().size(), 32u);
  EXPECT_TRUE(c.deadlines().report().has_rule());
  EXPECT_EQ(c.deadlines().report().rule().counting(), v1::DAY_COUNTING_WORKING_DAYS);
  EXPECT_TRUE(c.cluster().is_primary());
  EXPECT_EQ(c.version(), 1);
  EXPECT_FALSE(response.joined_existing_cluster());

  // A retry gets the first answer; the same id with other content is refused.
  v1::SubmitComplaintResponse again;
  ASSERT_TRUE(stub_->SubmitComplaint(As("").get(), request, &again).ok());
  EXPECT_EQ(again.complaint().complaint_id(), c.complaint_id());
  EXPECT_EQ(again.receipt(), response.receipt());
  EXPECT_TRUE(again.complaint().reporter().sealed());
  request.mutable_act()->set_place("Elsewhere");
  grpc::Status reused = stub_->SubmitComplaint(As("").get(), request, &again);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ComplaintHandlerTest, SubmitReportsEachBadFieldAsInvalidArgument) {
  auto request = ValidRequest();
  request.mutable_reporter()->set_kind(static_cast<v1::ReporterKind>(42));
  request.mutable_act()->mutable_occurred_time()->set_nanos(-1);
  v1::SubmitComplaintResponse response;
  grpc::Status status = stub_->SubmitComplaint(As("").get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("reporter.kind"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("act.occurred_time"), std::string::npos) << status.error_message();
  registry_.down = true;
  status = stub_->SubmitComplaint(As("").get(), ValidRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ComplaintHandlerTest, EveryAnswerSealsTheReporterAndARevealIsRecordedWithItsReason) {
  evidence_id_ = UploadEvidence("bukti");
  v1::Complaint c = Submit("hidden", true);
  v1::GetComplaintRequest request;
  request.set_complaint_id(c.complaint_id());
  v1::GetComplaintResponse got;
  ASSERT_TRUE(stub_->GetComplaint(Staff().get(), request, &got).ok());
  EXPECT_TRUE(got.complaint().reporter().name().empty());
  EXPECT_TRUE(got.complaint().reporter().address().empty());
  EXPECT_TRUE(got.complaint().reporter().contact().empty());
  EXPECT_TRUE(got.complaint().reporter().sealed());
  EXPECT_TRUE(got.complaint().reporter().redacted());
  EXPECT_TRUE(got.complaint().reporter().identity_hidden());
  v1::ListComplaintsRequest list;
  v1::ListComplaintsResponse listed;
  ASSERT_TRUE(stub_->ListComplaints(Staff().get(), list, &listed).ok());
  ASSERT_EQ(listed.complaints_size(), 1);
  EXPECT_TRUE(listed.complaints(0).reporter().sealed());
  EXPECT_TRUE(listed.complaints(0).reporter().name().empty());

  v1::RevealReporterRequest reveal;
  reveal.set_complaint_id(c.complaint_id());
  v1::RevealReporterResponse revealed;
  grpc::Status status = stub_->RevealReporter(Staff().get(), reveal, &revealed);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("reason"), std::string::npos) << status.error_message();
  reveal.set_reason(std::string(2001, 'x'));
  EXPECT_EQ(stub_->RevealReporter(Staff().get(), reveal, &revealed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  reveal.set_reason("klarifikasi pelapor");
  status = stub_->RevealReporter(As("officer-7").get(), reveal, &revealed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revealed.reporter().name(), "Budi Santoso");
  EXPECT_FALSE(revealed.reporter().address().empty());
  EXPECT_FALSE(revealed.reporter().sealed());
  EXPECT_TRUE(revealed.reporter().nik().empty());

  // The reveal is in the history (who, when, why); the complaint itself did not change.
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  v1::GetComplaintHistoryResponse entries;
  ASSERT_TRUE(stub_->GetComplaintHistory(Staff().get(), history, &entries).ok());
  ASSERT_GE(entries.entries_size(), 2);
  const v1::HistoryEntry& last = entries.entries(entries.entries_size() - 1);
  EXPECT_EQ(last.sequence(), revealed.history_sequence());
  EXPECT_EQ(last.event_type(), "complaint.reporter_revealed");
  EXPECT_EQ(last.actor().id(), "officer-7");
  EXPECT_EQ(last.actor().organization(), "bawaslu/33.74");
  EXPECT_TRUE(last.has_event_time());
  EXPECT_EQ(nlohmann::json::parse(last.payload_json())["reason"], "klarifikasi pelapor");
  for (const auto& entry : entries.entries()) {
    EXPECT_EQ(entry.payload_json().find("Budi"), std::string::npos) << entry.event_type();
  }
  ASSERT_TRUE(stub_->GetComplaint(Staff().get(), request, &got).ok());
  EXPECT_EQ(got.complaint().version(), c.version());
  EXPECT_TRUE(got.complaint().reporter().sealed());
  v1::VerifyComplaintHistoryRequest verify;
  verify.set_complaint_id(c.complaint_id());
  v1::VerifyComplaintHistoryResponse verified;
  ASSERT_TRUE(stub_->VerifyComplaintHistory(Staff().get(), verify, &verified).ok());
  EXPECT_TRUE(verified.verification().intact());

  // The reveal, and only it (the sealed reads above show nobody), is in the access log.
  v1::ListReporterReadsRequest reads_request;
  reads_request.set_complaint_id(c.complaint_id());
  v1::ListReporterReadsResponse reads;
  status = stub_->ListReporterReads(Staff().get(), reads_request, &reads);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reads.reads_size(), 1);
  EXPECT_EQ(reads.reads(0).caller(), "bawaslu/33.74");
  EXPECT_EQ(reads.reads(0).actor(), "officer-7");
  EXPECT_EQ(reads.reads(0).method(), "netra.v1.ComplaintService/RevealReporter");
  EXPECT_EQ(reads.reads(0).subject_type(), "reporter");
  EXPECT_EQ(reads.reads(0).subject_id(), c.complaint_id());
  EXPECT_TRUE(reads.reads(0).has_read_time());

  reveal.set_complaint_id("c-unknown");
  EXPECT_EQ(stub_->RevealReporter(Staff().get(), reveal, &revealed).error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_complaint_id("c-unknown");
  EXPECT_EQ(stub_->GetComplaint(Staff().get(), request, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_complaint_id("bad id!");
  EXPECT_EQ(stub_->GetComplaint(Staff().get(), request, &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ComplaintHandlerTest, TransitionMapsRefusalsStaleVersionsAndTheForwardingEffect) {
  evidence_id_ = UploadEvidence("bukti");
  v1::Complaint c = Submit("r1");
  v1::Complaint out;
  grpc::Status refused = Transition(c, v1::COMPLAINT_ACTION_FORWARD, &out);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("COMPLAINT_STATUS_RECEIVED"), std::string::npos) << refused.error_message();
  ASSERT_TRUE(Transition(c, v1::COMPLAINT_ACTION_REGISTER, &out).ok());
  EXPECT_EQ(out.status(), v1::COMPLAINT_STATUS_REGISTERED);
  EXPECT_TRUE(out.deadlines().has_handling());
  EXPECT_EQ(Transition(c, v1::COMPLAINT_ACTION_START_REVIEW, nullptr).error_code(), grpc::StatusCode::ABORTED);
  v1::Complaint review;
  ASSERT_TRUE(Transition(out, v1::COMPLAINT_ACTION_START_REVIEW, &review).ok());
  v1::Complaint forwarded;
  ASSERT_TRUE(Transition(review, v1::COMPLAINT_ACTION_FORWARD, &forwarded).ok());
  EXPECT_EQ(forwarded.status(), v1::COMPLAINT_STATUS_FORWARDED);
  EXPECT_EQ(forwarded.forwarding().status(), v1::FORWARDING_STATUS_PENDING);
  EXPECT_EQ(forwarded.forwarding().review_summary(), "Kajian: terbukti.");
  // The effect became the sanction service's OpenCase, queued in the outbox.
  std::string payload = db_->Read([](Connection& conn) {
    auto s = conn.Prepare("SELECT payload FROM outbox WHERE kind = 'sanction.open_case'");
    return s.Step() ? s.ColumnBlob(0) : std::string();
  });
  v1::OpenCaseRequest open;
  ASSERT_TRUE(open.ParseFromString(payload));
  EXPECT_EQ(open.complaint_id(), c.complaint_id());
  EXPECT_EQ(open.request_id(), c.complaint_id() + "/open");
  EXPECT_EQ(open.employee_id(), kSubject);
  EXPECT_EQ(open.violation_codes(0), "B2");

  // The sanction service records the outcome (the hidden reporter never goes back to it).
  v1::RecordOutcomeRequest outcome;
  outcome.set_request_id("case-1/outcome/1");
  outcome.set_complaint_id(c.complaint_id());
  outcome.set_case_id("case-1");
  outcome.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
  v1::RecordOutcomeResponse recorded;
  grpc::Status missing_level = stub_->RecordOutcome(As("svc:netra-sanction").get(), outcome, &recorded);
  ASSERT_EQ(missing_level.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  outcome.set_level(v1::SANCTION_LEVEL_MODERATE);
  outcome.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
  outcome.set_decree_number("800/1/2024");
  outcome.mutable_decree_date()->set_year(2024), outcome.mutable_decree_date()->set_month(3),
      outcome.mutable_decree_date()->set_day(1);
  outcome.set_case_version(1);
  ASSERT_TRUE(stub_->RecordOutcome(As("svc:netra-sanction").get(), outcome, &recorded).ok());
  EXPECT_EQ(recorded.complaint().status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(recorded.complaint().outcome().level(), v1::SANCTION_LEVEL_MODERATE);
  EXPECT_EQ(recorded.complaint().outcome().forms(0), v1::SANCTION_FORM_DEMOTION_12_MONTHS);
  EXPECT_EQ(recorded.complaint().outcome().decree_date().month(), 3);
  EXPECT_EQ(recorded.complaint().forwarding().case_id(), "case-1");
}

TEST_F(ComplaintHandlerTest, StatusListHistoryVerifyAndStats) {
  evidence_id_ = UploadEvidence("bukti");
  v1::Complaint c = Submit("r1");
  v1::GetComplaintStatusRequest status_request;
  status_request.set_tracking_code(c.tracking_code());
  v1::GetComplaintStatusResponse status;
  ASSERT_TRUE(stub_->GetComplaintStatus(As("").get(), status_request, &status).ok());
  EXPECT_EQ(status.status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_EQ(status.received_time().seconds(), c.received_time().seconds());
  status_request.set_tracking_code("ABCDEFGH23");
  EXPECT_EQ(stub_->GetComplaintStatus(As("").get(), status_request, &status).error_code(), grpc::StatusCode::NOT_FOUND);
  // The third lookup from this address within the minute is over the limit.
  grpc::Status limited = stub_->GetComplaintStatus(As("").get(), status_request, &status);
  ASSERT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::ListComplaintsRequest list;
  list.set_region_code("33");
  list.add_statuses(v1::COMPLAINT_STATUS_RECEIVED);
  v1::ListComplaintsResponse listed;
  ASSERT_TRUE(stub_->ListComplaints(Staff().get(), list, &listed).ok());
  ASSERT_EQ(listed.complaints_size(), 1);
  EXPECT_EQ(listed.complaints(0).complaint_id(), c.complaint_id());
  list.add_statuses(static_cast<v1::ComplaintStatus>(77));
  EXPECT_EQ(stub_->ListComplaints(Staff().get(), list, &listed).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  v1::GetComplaintHistoryResponse entries;
  ASSERT_TRUE(stub_->GetComplaintHistory(Staff().get(), history, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).event_type(), "complaint.submitted");
  v1::VerifyComplaintHistoryRequest verify;
  verify.set_complaint_id(c.complaint_id());
  v1::VerifyComplaintHistoryResponse verified;
  ASSERT_TRUE(stub_->VerifyComplaintHistory(Staff().get(), verify, &verified).ok());
  EXPECT_TRUE(verified.verification().intact());

  v1::GetComplaintStatsRequest stats_request;
  stats_request.set_region_code("33");
  v1::GetComplaintStatsResponse stats;
  ASSERT_TRUE(stub_->GetComplaintStats(Staff().get(), stats_request, &stats).ok());
  EXPECT_EQ(stats.min_count(), 5);
  EXPECT_TRUE(stats.total().total_suppressed());  // 1 < 5
  stats_request.set_group_by(v1::REGION_LEVEL_DISTRICT);
  EXPECT_EQ(stub_->GetComplaintStats(Staff().get(), stats_request, &stats).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace netra::complaint

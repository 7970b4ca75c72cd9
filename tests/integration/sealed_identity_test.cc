// Whistle-blower protection against real processes (issue 13): the
// reporter's identity is sealed in every answer, unsealed only by
// RevealReporter for Bawaslu of the complaint's region (recorded in the
// history with who, when and why), never for the reported side, another
// region, a BKD or the public; the reporter's own withdrawal needs the
// receipt; and distinctive reporter strings driven through the flow never
// reach Redis, a log file, the store's files or any answer but a reveal.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/authorize.h"
#include "common/tls.h"
#include "tests/integration/complaint_stack_fixture.h"

namespace netra::testing {
namespace {

class SealedIdentityTest : public ComplaintStackTest {
 protected:
  std::unique_ptr<v1::ComplaintService::Stub> As(const std::string& identity) {
    return v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, identity));
  }

  grpc::Status Reveal(const std::string& identity, const std::string& id, v1::RevealReporterResponse* out,
                      const std::string& reason = "klarifikasi pelapor") {
    v1::RevealReporterRequest request;
    request.set_complaint_id(id);
    request.set_reason(reason);
    return As(identity)->RevealReporter(Context().get(), request, out);
  }

  grpc::Status Transition(const v1::Complaint& c, v1::ComplaintAction action, const std::string& receipt,
                          v1::Complaint* out, const std::function<void(v1::TransitionComplaintRequest&)>& more = {}) {
    v1::TransitionComplaintRequest request;
    request.set_request_id(c.complaint_id() + "-" + std::to_string(action) + "-" + receipt);
    request.set_complaint_id(c.complaint_id());
    request.set_action(action);
    request.set_reason("atas permintaan pelapor");
    request.set_expected_version(c.version());
    request.set_receipt(receipt);
    if (more) more(request);
    v1::TransitionComplaintResponse response;
    auto status = Stub()->TransitionComplaint(Context().get(), request, &response);
    if (out) *out = response.complaint();
    return status;
  }

  std::vector<v1::HistoryEntry> History(const std::string& id) {
    v1::GetComplaintHistoryRequest request;
    request.set_complaint_id(id);
    v1::GetComplaintHistoryResponse response;
    EXPECT_TRUE(Stub()->GetComplaintHistory(Context().get(), request, &response).ok());
    return {response.entries().begin(), response.entries().end()};
  }
};

TEST_F(SealedIdentityTest, OnlyBawasluOfTheComplaintsRegionRevealsTheReporterAndEachRevealIsRecorded) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(Request("reveal-1", Evidence()), &submitted).ok());
  const v1::Complaint& c = submitted.complaint();
  ASSERT_EQ(c.act().region_code(), "33.74");
  EXPECT_TRUE(c.reporter().sealed());

  // Its kab/kota's office and its province's unseal it.
  for (const char* office : {"bawaslu/33.74", "bawaslu/33"}) {
    SCOPED_TRACE(office);
    v1::RevealReporterResponse revealed;
    auto status = Reveal(office, c.complaint_id(), &revealed, std::string("klarifikasi oleh ") + office);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(revealed.reporter().name(), "Budi Santoso");
    EXPECT_EQ(revealed.reporter().contact(), "budi@example.org");
    EXPECT_FALSE(revealed.reporter().sealed());
  }
  // Another region's office, the reported side, the sanction service and a BKD are refused.
  for (const std::string& caller :
       {std::string("bawaslu/33.06"), std::string(kSemarangPpk), std::string("authority/bkn"), std::string(kSanctionService),
        std::string("bkd/33.74"), std::string("ministry/kemenpanrb")}) {
    SCOPED_TRACE(caller);
    v1::RevealReporterResponse revealed;
    auto status = Reveal(caller, c.complaint_id(), &revealed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
    EXPECT_FALSE(revealed.has_reporter());
    EXPECT_EQ(status.error_message().find("Budi"), std::string::npos);
  }
  v1::RevealReporterResponse ignored;
  EXPECT_TRUE(Reveal("bawaslu/33.06", c.complaint_id(), &ignored).error_message().starts_with(kDenyOutsideRegion));
  // A reason is required (and bounded), with its field path.
  auto no_reason = Reveal("bawaslu/33.74", c.complaint_id(), &ignored, "");
  EXPECT_EQ(no_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(no_reason), std::vector<std::string>{"reason"});
  EXPECT_EQ(ViolatedFields(Reveal("bawaslu/33.74", c.complaint_id(), &ignored, std::string(2001, 'x'))),
            std::vector<std::string>{"reason"});

  // Both reveals are in the history, with who (agency and person), when and why; nothing else changed.
  std::vector<v1::HistoryEntry> reveals;
  for (const auto& entry : History(c.complaint_id())) {
    if (entry.event_type() == "complaint.reporter_revealed") reveals.push_back(entry);
  }
  ASSERT_EQ(reveals.size(), 2u);
  EXPECT_EQ(reveals[0].actor().organization(), "bawaslu/33.74");
  EXPECT_EQ(reveals[1].actor().organization(), "bawaslu/33");
  EXPECT_EQ(reveals[0].actor().id(), "officer-1");
  EXPECT_TRUE(reveals[0].has_event_time());
  EXPECT_EQ(nlohmann::json::parse(reveals[0].payload_json())["reason"], "klarifikasi oleh bawaslu/33.74");
  EXPECT_EQ(Get(c.complaint_id()).version(), c.version());
  v1::VerifyComplaintHistoryRequest verify;
  verify.set_complaint_id(c.complaint_id());
  v1::VerifyComplaintHistoryResponse verified;
  ASSERT_TRUE(Stub()->VerifyComplaintHistory(Context().get(), verify, &verified).ok());
  EXPECT_TRUE(verified.verification().intact());

  // The operators' access log answers "who was shown this reporter": the two reveals, newest first, and
  // no refused attempt. Bawaslu itself cannot read that log.
  v1::ListReporterReadsRequest reads_request;
  reads_request.set_complaint_id(c.complaint_id());
  v1::ListReporterReadsResponse reads;
  auto status = As("ops")->ListReporterReads(Context().get(), reads_request, &reads);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reads.reads_size(), 2);
  EXPECT_EQ(reads.reads(0).caller(), "bawaslu/33");
  EXPECT_EQ(reads.reads(1).caller(), "bawaslu/33.74");
  EXPECT_EQ(reads.reads(1).actor(), "officer-1");
  EXPECT_EQ(reads.reads(1).subject_type(), "reporter");
  EXPECT_EQ(reads.reads(1).method(), "netra.v1.ComplaintService/RevealReporter");
  EXPECT_EQ(As("bawaslu/33.74")->ListReporterReads(Context().get(), reads_request, &reads).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SealedIdentityTest, WithdrawingAReportNeedsItsReceipt) {
  const std::string evidence = Evidence();
  v1::SubmitComplaintResponse mine, other;
  ASSERT_TRUE(Submit(Request("withdraw-mine", evidence), &mine).ok());
  auto request = Request("withdraw-other", evidence);
  request.mutable_subject()->set_employee_number("");
  request.mutable_subject()->set_name("Orang Lain");
  ASSERT_TRUE(Submit(request, &other).ok());
  const v1::Complaint& c = mine.complaint();
  v1::Complaint out;

  auto missing = Transition(c, v1::COMPLAINT_ACTION_WITHDRAW, "", &out);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(missing), std::vector<std::string>{"receipt"});
  auto wrong = Transition(c, v1::COMPLAINT_ACTION_WITHDRAW, other.receipt(), &out);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(wrong), std::vector<std::string>{"receipt"});
  EXPECT_EQ(Get(c.complaint_id()).status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_EQ(Get(c.complaint_id()).version(), c.version());

  auto withdrawn = Transition(c, v1::COMPLAINT_ACTION_WITHDRAW, mine.receipt(), &out);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.error_message();
  EXPECT_EQ(out.status(), v1::COMPLAINT_STATUS_WITHDRAWN);
  EXPECT_TRUE(out.reporter().sealed());
}

// Distinctive reporter strings through submission (public and at the office),
// completion, registration, review, withdrawal and a reveal: they appear in
// the reveal's answer and nowhere else.
TEST_F(SealedIdentityTest, AReportersIdentityNeverLeaksToRedisLogsFilesOrAnyOtherAnswer) {
  const std::vector<std::string> secrets = {"Kartini Zamrud-Sealed", "Jl. Tersembunyi 4242", "zamrud.sealed@example.org",
                                            "Lembaga Pemantau Zamrud", "Gang Rahasia Lengkap 9"};
  const std::string evidence = Evidence();
  auto with_reporter = [&](v1::SubmitComplaintRequest r) {
    r.mutable_reporter()->set_name(secrets[0]);
    r.mutable_reporter()->set_address(secrets[1]);
    r.mutable_reporter()->set_contact(secrets[2]);
    r.mutable_reporter()->set_organization(secrets[3]);
    r.mutable_reporter()->set_nik("3374011503850001");
    return r;
  };
  std::vector<std::string> answers;  // every answer a non-revealing caller got
  auto keep = [&](const google::protobuf::Message& m) { answers.push_back(m.SerializeAsString()); };

  // A public report (no certificate), retried; one at the office, incomplete (no address) then completed.
  v1::SubmitComplaintRequest public_request = with_reporter(Request("leak-public", evidence));
  public_request.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
  TlsFiles ca_only;  // the public: no client certificate, the server still verified
  ca_only.ca = stack_.pki().ca_file();
  ca_only.trust_domain = kTestTrustDomain;
  auto anonymous = v1::ComplaintService::NewStub(MakeChannel(stack_.address(Service::kComplaint), nullptr, 8 << 20,
                                                             ChannelTlsCredentials(ca_only)));
  v1::SubmitComplaintResponse public_answer, retried;
  auto submitted = anonymous->SubmitComplaint(MakeClientContext(10s).get(), public_request, &public_answer);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  ASSERT_TRUE(anonymous->SubmitComplaint(MakeClientContext(10s).get(), public_request, &retried).ok());
  EXPECT_EQ(retried.receipt(), public_answer.receipt());
  keep(public_answer), keep(retried);
  v1::SubmitComplaintRequest office_request = with_reporter(Request("leak-office", evidence));
  office_request.mutable_reporter()->clear_address();
  office_request.mutable_subject()->set_employee_number("");
  office_request.mutable_subject()->set_name("Pegawai Lain");
  v1::SubmitComplaintResponse office_answer;
  ASSERT_TRUE(Submit(office_request, &office_answer).ok());
  keep(office_answer);
  ASSERT_EQ(office_answer.complaint().status(), v1::COMPLAINT_STATUS_INCOMPLETE);

  v1::Complaint completed;
  auto status = Transition(office_answer.complaint(), v1::COMPLAINT_ACTION_COMPLETE, office_answer.receipt(),
                           &completed, [&](auto& r) { r.mutable_amendment()->mutable_reporter()->set_address(secrets[4]); });
  ASSERT_TRUE(status.ok()) << status.error_message();
  keep(completed);
  v1::Complaint registered, review, withdrawn;
  ASSERT_TRUE(Transition(completed, v1::COMPLAINT_ACTION_REGISTER, "", &registered).ok());
  ASSERT_TRUE(Transition(registered, v1::COMPLAINT_ACTION_START_REVIEW, "", &review).ok());
  ASSERT_TRUE(Transition(public_answer.complaint(), v1::COMPLAINT_ACTION_WITHDRAW, public_answer.receipt(), &withdrawn)
                  .ok());
  keep(registered), keep(review), keep(withdrawn);

  // The one reveal: it answers the identity (and the completed address), and nothing else does.
  v1::RevealReporterResponse revealed;
  ASSERT_TRUE(Reveal("bawaslu/33.74", office_answer.complaint().complaint_id(), &revealed).ok());
  EXPECT_EQ(revealed.reporter().name(), secrets[0]);
  EXPECT_EQ(revealed.reporter().address(), secrets[4]);

  for (const v1::SubmitComplaintResponse* submitted : {&public_answer, &office_answer}) {
    const std::string& id = submitted->complaint().complaint_id();
    keep(Get(id));
    v1::GetComplaintHistoryRequest history;
    history.set_complaint_id(id);
    v1::GetComplaintHistoryResponse entries;
    ASSERT_TRUE(Stub()->GetComplaintHistory(Context().get(), history, &entries).ok());
    keep(entries);
    v1::GetComplaintStatusRequest lookup;
    lookup.set_tracking_code(submitted->complaint().tracking_code());
    v1::GetComplaintStatusResponse public_status;
    ASSERT_TRUE(anonymous->GetComplaintStatus(MakeClientContext(10s).get(), lookup, &public_status).ok());
    keep(public_status);
  }
  for (const char* office : {"bawaslu/33.74", "bawaslu/33", "bawaslu/ri"}) {
    v1::ListComplaintsRequest list;
    v1::ListComplaintsResponse listed;
    ASSERT_TRUE(As(office)->ListComplaints(Context().get(), list, &listed).ok());
    EXPECT_GE(listed.complaints_size(), 2);
    keep(listed);
  }

  // Everything the stack wrote: its logs and store files (the keys aside), and every Redis key and value.
  std::string written;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(stack_.dir().path())) {
    if (!entry.is_regular_file() || entry.path().extension() == ".key") continue;
    written += ReadFile(entry.path().string());
  }
  const std::string redis = stack_.redis().Contents();
  ASSERT_FALSE(redis.empty());
  ASSERT_NE(written.find("complaint service ready"), std::string::npos) << "the logs were read";
  for (const std::string& secret : secrets) {
    SCOPED_TRACE(secret);
    EXPECT_EQ(redis.find(secret), std::string::npos) << "in Redis";
    EXPECT_EQ(written.find(secret), std::string::npos) << "in a file the stack wrote";
    for (const std::string& answer : answers) EXPECT_EQ(answer.find(secret), std::string::npos) << "in an answer";
  }
}

}  // namespace
}  // namespace netra::testing

// The complaint service against real processes: netra-registry (elections and
// employees), netra-complaint and netra-sanction, a real redis-server and real
// SQLite files. Intake with evidence, bad input, idempotent retries, Redis
// stopped, whistle-blower protection, forwarding with the sanction service
// down then up (across a complaint restart), and tampering with the history
// table in the SQLite file.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>

#include "common/access_policy.h"
#include "common/authorize.h"
#include "common/client.h"
#include "common/digest.h"
#include "common/store.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "services/complaint/complaint_store.h"
#include "tests/integration/complaint_stack_fixture.h"
#include "tests/integration/netra_stack.h"
#include "tests/services/complaint/complaint_test_support.h"
#include "absl/time/clock.h"

namespace netra::testing {
namespace {

class ComplaintIntakeTest : public ComplaintStackTest {};

TEST_F(ComplaintIntakeTest, SubmitsResolvesRetriesAndProtectsAHiddenReporter) {
  const std::string evidence = Evidence();
  v1::SubmitComplaintResponse first, again;
  ASSERT_TRUE(Submit(Request("submit-1", evidence), &first).ok());
  const v1::Complaint& c = first.complaint();
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_EQ(c.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER);
  EXPECT_EQ(c.subject_resolution().employee().name(), "Siti Aminah");
  EXPECT_TRUE(c.deadlines().has_report());
  ASSERT_TRUE(Submit(Request("submit-1", evidence), &again).ok());
  EXPECT_EQ(again.complaint().complaint_id(), c.complaint_id());
  EXPECT_EQ(again.receipt(), first.receipt());
  EXPECT_EQ(first.receipt().size(), 24u);
  EXPECT_EQ(ListedCount(), 1);

  // The reporter is sealed, for Bawaslu too (RevealReporter unseals it: sealed_identity_test.cc);
  // the employee's PPK may not read the complaint at all (GetComplaint is Bawaslu's alone).
  EXPECT_TRUE(Get(c.complaint_id()).reporter().sealed());
  EXPECT_TRUE(Get(c.complaint_id()).reporter().name().empty());
  v1::GetComplaintRequest get;
  get.set_complaint_id(c.complaint_id());
  v1::GetComplaintResponse for_ppk;
  auto refused = v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, kSemarangPpk))
                     ->GetComplaint(Context().get(), get, &for_ppk);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_TRUE(refused.error_message().starts_with(kDenyIdentityNotAllowed)) << refused.error_message();
  EXPECT_FALSE(for_ppk.has_complaint());
  EXPECT_EQ(refused.error_message().find("Budi"), std::string::npos);
  v1::GetComplaintStatusRequest status_request;
  status_request.set_tracking_code(c.tracking_code());
  v1::GetComplaintStatusResponse status_response;
  ASSERT_TRUE(Stub()->GetComplaintStatus(Context().get(), status_request, &status_response).ok());
  EXPECT_EQ(status_response.status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_EQ(status_response.SerializeAsString().find("Budi"), std::string::npos);
}

// Bawaslu acts on the complaints of its own region (docs/security.md): Purworejo's office can
// neither read, list, handle nor count a Kota Semarang complaint, nor get the Kota office's
// answer by sending its request again; Jawa Tengah's can read it.
TEST_F(ComplaintIntakeTest, BawasluActsOnTheComplaintsOfItsRegionOnly) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(Request("region-1", Evidence()), &submitted).ok());
  const v1::Complaint& c = submitted.complaint();
  ASSERT_EQ(c.act().region_code(), "33.74");
  auto as = [&](const std::string& identity) {
    return v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint, identity));
  };
  auto outside_region = [](const grpc::Status& status) {
    return status.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
           status.error_message().starts_with(kDenyOutsideRegion);
  };
  const auto purworejo = as("bawaslu/33.06");
  v1::GetComplaintRequest get;
  get.set_complaint_id(c.complaint_id());
  v1::GetComplaintResponse got;
  auto status = purworejo->GetComplaint(Context().get(), get, &got);
  EXPECT_TRUE(outside_region(status)) << status.error_message();
  EXPECT_FALSE(got.has_complaint());
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  v1::GetComplaintHistoryResponse entries;
  status = purworejo->GetComplaintHistory(Context().get(), history, &entries);
  EXPECT_TRUE(outside_region(status)) << status.error_message();
  v1::TransitionComplaintRequest reject;
  reject.set_request_id("region-reject");
  reject.set_complaint_id(c.complaint_id());
  reject.set_action(v1::COMPLAINT_ACTION_REJECT);
  reject.set_reason("not ours to reject");
  v1::TransitionComplaintResponse transitioned;
  status = purworejo->TransitionComplaint(Context().get(), reject, &transitioned);
  EXPECT_TRUE(outside_region(status)) << status.error_message();
  EXPECT_EQ(Get(c.complaint_id()).status(), v1::COMPLAINT_STATUS_RECEIVED);  // unchanged

  // A list outside the region is refused, not answered empty; without a filter it is Purworejo's alone.
  v1::ListComplaintsRequest list;
  v1::ListComplaintsResponse listed;
  list.set_region_code("33.74");
  status = purworejo->ListComplaints(Context().get(), list, &listed);
  EXPECT_TRUE(outside_region(status)) << status.error_message();
  list.clear_region_code();
  ASSERT_TRUE(purworejo->ListComplaints(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.complaints_size(), 0);
  v1::GetComplaintStatsRequest stats;
  stats.set_region_code("33");
  v1::GetComplaintStatsResponse counted;
  status = purworejo->GetComplaintStats(Context().get(), stats, &counted);
  EXPECT_TRUE(outside_region(status)) << status.error_message();

  // The province's office covers its kab/kota.
  const auto jateng = as("bawaslu/33");
  ASSERT_TRUE(jateng->GetComplaint(Context().get(), get, &got).ok());
  ASSERT_TRUE(jateng->ListComplaints(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.complaints_size(), 1);
  EXPECT_GE(MetricValue(stack_.metrics(Service::kComplaint), "netra_authz_denied_total",
                        {{"method", "GetComplaint"}, {"reason", std::string(kDenyOutsideRegion)}})
                .value_or(0),
            1);

  // A request id is no key to the complaint: the Kota office's own change, sent again by
  // Purworejo word for word, is refused, not answered with the Kota office's first answer.
  reject.set_request_id("region-reject-own");
  reject.set_expected_version(c.version());
  reject.set_reason("outside the election's period");
  ASSERT_TRUE(Stub()->TransitionComplaint(Context().get(), reject, &transitioned).ok());
  ASSERT_EQ(transitioned.complaint().status(), v1::COMPLAINT_STATUS_REJECTED);
  v1::TransitionComplaintResponse retried;
  status = purworejo->TransitionComplaint(Context().get(), reject, &retried);
  EXPECT_TRUE(outside_region(status)) << status.error_message();
  EXPECT_FALSE(retried.has_complaint());
}

TEST_F(ComplaintIntakeTest, BadInputIsRefusedWithFieldPathsAndNothingIsStored) {
  const std::string evidence = Evidence();
  struct Case {
    std::string name;
    std::function<void(v1::SubmitComplaintRequest&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"unknown violation code", [](auto& r) { r.mutable_act()->set_violation_codes(0, "B99"); }, "act.violation_codes[0]"},
      {"occurrence in the future", [](auto& r) { *r.mutable_act()->mutable_occurred_time() = HoursAgo(-48); },
       "act.occurred_time"},
      {"known before occurred", [](auto& r) { *r.mutable_act()->mutable_known_time() = HoursAgo(40); }, "act.known_time"},
      {"region that does not exist", [](auto& r) { r.mutable_act()->set_region_code("33.98"); }, "act.region_code"},
      {"evidence id that does not exist", [](auto& r) { r.set_evidence_ids(0, std::string(64, 'e')); }, "evidence_ids[0]"},
      {"election that does not exist", [](auto& r) { r.mutable_act()->set_election_id("pemilu-2099"); }, "act.election_id"},
      {"oversized description", [](auto& r) { r.mutable_act()->set_description(std::string(10001, 'x')); },
       "act.description"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto request = Request("bad-" + std::to_string(&c - cases.data()), evidence);
    c.mutate(request);
    v1::SubmitComplaintResponse response;
    auto status = Submit(request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{c.field});
  }
  EXPECT_EQ(ListedCount(), 0);

  // A truncated upload stores nothing: no row, no file.
  v1::UploadEvidenceResponse upload;
  auto status = Upload("%PDF-1.7 truncated", &upload, 1 << 20);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"total_size"});
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(stack_.dir().File("evidence"))) {
    files += entry.is_regular_file();
  }
  EXPECT_EQ(files, 1u);  // only the one good upload
}

// People type codes from paper: either case is found; anything outside the alphabet is refused.
TEST_F(ComplaintIntakeTest, TrackingCodesAreFoundInEitherCase) {
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(Request("tracking-case", Evidence()), &submitted).ok());
  const std::string code = submitted.complaint().tracking_code();
  std::string lower = code, mixed = code;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (size_t i = 0; i < mixed.size(); i += 2) mixed[i] = lower[i];
  for (const std::string& typed : {code, lower, mixed}) {
    v1::GetComplaintStatusRequest request;
    request.set_tracking_code(typed);
    v1::GetComplaintStatusResponse response;
    auto status = Stub()->GetComplaintStatus(MakeClientContext(10s).get(), request, &response);
    ASSERT_TRUE(status.ok()) << typed << ": " << status.error_message();
    EXPECT_EQ(response.tracking_code(), code);
    EXPECT_EQ(response.status(), v1::COMPLAINT_STATUS_RECEIVED);
  }
  // Outside the alphabet in any case (look-alikes o, l, i, 0, 1; other characters; a wrong length).
  for (const std::string& typed : {lower.substr(0, 9) + "o", lower.substr(0, 9) + "l", lower.substr(0, 9) + "i",
                                   code.substr(0, 9) + "0", code.substr(0, 9) + "-", lower.substr(0, 9),
                                   lower + "2", " " + lower.substr(1)}) {
    v1::GetComplaintStatusRequest request;
    request.set_tracking_code(typed);
    v1::GetComplaintStatusResponse response;
    auto status = Stub()->GetComplaintStatus(MakeClientContext(10s).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << typed;
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"tracking_code"}) << typed;
  }
}

TEST_F(ComplaintIntakeTest, IntakeRetriesAndReadsWorkWithRedisStopped) {
  const std::string evidence = Evidence();
  ASSERT_TRUE(stack_.redis().Stop());
  v1::SubmitComplaintResponse first, again;
  auto request = Request("no-redis", evidence);
  request.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);  // rate limits fail open
  ASSERT_TRUE(Submit(request, &first).ok());
  ASSERT_TRUE(Submit(request, &again).ok());
  EXPECT_EQ(again.complaint().complaint_id(), first.complaint().complaint_id());
  EXPECT_EQ(ListedCount(), 1);
  v1::GetComplaintStatusRequest status_request;
  status_request.set_tracking_code(first.complaint().tracking_code());
  v1::GetComplaintStatusResponse status_response;
  EXPECT_TRUE(Stub()->GetComplaintStatus(Context().get(), status_request, &status_response).ok());
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kComplaint), "netra_redis_up"), 0);
}

TEST_F(ComplaintIntakeTest, PublicIntakeIsRateLimitedPerContactWithARetryDelay) {
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint, {"--intake-contact-limit=2"}));
  const std::string evidence = Evidence();
  grpc::Status status;
  for (int i = 0; i < 3; ++i) {
    auto request = Request("limited-" + std::to_string(i), evidence);
    request.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
    v1::SubmitComplaintResponse response;
    status = Submit(request, &response);
    if (i < 2) {
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::ErrorStatus details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  v1::RetryInfo retry;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&retry));
  EXPECT_EQ(retry.limit(), "reporter_contact");
  EXPECT_GT(retry.retry_delay().seconds(), 0);
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kComplaint), "netra_intake_rate_limited_total", {{"limit", "contact"}}), 1);

  // A retry of an accepted report is answered with its first result, past the
  // limit and without counting against it.
  auto retried = Request("limited-0", evidence);
  retried.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
  v1::SubmitComplaintResponse first, again;
  ASSERT_TRUE(Submit(retried, &first).ok());
  ASSERT_TRUE(Submit(retried, &again).ok());
  EXPECT_EQ(again.complaint().complaint_id(), first.complaint().complaint_id());
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kComplaint), "netra_intake_rate_limited_total", {{"limit", "contact"}}), 1);
}

TEST_F(ComplaintIntakeTest, PublicStatusLookupsAreRateLimitedPerAddress) {
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint, {"--status-peer-limit=3"}));
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(Request("status-limited", Evidence()), &submitted).ok());
  v1::GetComplaintStatusRequest request;
  request.set_tracking_code(submitted.complaint().tracking_code());
  grpc::Status status;
  for (int i = 0; i < 4; ++i) {
    v1::GetComplaintStatusResponse response;
    status = Stub()->GetComplaintStatus(MakeClientContext(10s).get(), request, &response);
    if (i < 3) {
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::ErrorStatus details;
  v1::RetryInfo retry;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&retry));
  EXPECT_EQ(retry.limit(), "status_peer_address");
  EXPECT_GT(retry.retry_delay().seconds(), 0);
}

TEST_F(ComplaintIntakeTest, ACodeAddedByPutViolationCatalogIsAcceptedAtIntake) {
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint, {"--catalog-ttl-ms=200"}));
  const std::string evidence = Evidence();
  auto with_code = [&](const std::string& code) {
    auto request = Request("code-" + code, evidence);
    request.mutable_act()->set_violation_codes(0, code);
    return request;
  };
  v1::SubmitComplaintResponse response;
  auto status = Submit(with_code("B14"), &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"act.violation_codes[0]"});

  ASSERT_TRUE(stack_.Start(Service::kSanction));
  auto sanction = v1::SanctionService::NewStub(stack_.channel(Service::kSanction));
  v1::ListViolationTypesResponse listed;
  ASSERT_TRUE(sanction->ListViolationTypes(Context().get(), v1::ListViolationTypesRequest(), &listed).ok());
  auto put_adding = [&](const std::string& code, const std::string& version) {
    v1::PutViolationCatalogRequest put;
    put.set_request_id("catalog-" + version);
    put.set_catalog_version(version);
    put.set_expected_catalog_version(listed.catalog_version());
    for (const auto& t : listed.violation_types()) *put.add_violation_types() = t;
    *put.add_violation_types() = listed.violation_types(listed.violation_types_size() - 1);
    put.mutable_violation_types(put.violation_types_size() - 1)->set_code(code);
    v1::PutViolationCatalogResponse put_response;
    auto put_status = sanction->PutViolationCatalog(Context().get(), put, &put_response);
    EXPECT_TRUE(put_status.ok()) << put_status.error_message();
    listed.set_catalog_version(version);
    *listed.mutable_violation_types() = put.violation_types();
  };
  auto accepted = [&](const std::string& code) {
    return WaitUntil([&] { return Submit(with_code(code), &response).ok(); }, 10s, 100ms);
  };

  // Redis down: the sanction service's catalog is asked for over gRPC.
  ASSERT_TRUE(stack_.redis().Stop());
  put_adding("B14", "skb-2024.1");
  EXPECT_TRUE(accepted("B14"));
  EXPECT_EQ(Get(response.complaint().complaint_id()).act().violation_codes(0), "B14");

  // Redis back, the sanction service writes the new catalog through and stops:
  // the copy in Redis is read.
  ASSERT_TRUE(stack_.redis().Start());
  ASSERT_TRUE(WaitUntil([&] { return MetricValue(stack_.metrics(Service::kSanction), "netra_redis_up") == 1; }, 10s));
  put_adding("B15", "skb-2024.2");
  ASSERT_TRUE(stack_.Stop(Service::kSanction).has_value());
  EXPECT_TRUE(accepted("B15"));

  // Both gone: the last catalog fetched stays in force.
  ASSERT_TRUE(stack_.redis().Stop());
  auto late = with_code("B15");
  late.set_request_id("code-B15-again");
  status = Submit(late, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ComplaintIntakeTest, ASubjectPendingWhileTheRegistryIsDownResolvesWhenItAnswers) {
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint, {"--subject-retry-seconds=1"}));
  const std::string evidence = Evidence();
  v1::SubmitComplaintResponse response;
  ASSERT_TRUE(Submit(Request("known", evidence), &response).ok());  // the service now knows the election

  // An employee the registry has never been asked about (no snapshot in Redis), registry down.
  const v1::Employee later = SemarangEmployee(7);
  ASSERT_TRUE(stack_.Stop(Service::kRegistry).has_value());
  auto request = Request("pending", evidence);
  request.mutable_subject()->set_employee_number(later.nip());
  auto status = Submit(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Complaint c = response.complaint();
  ASSERT_EQ(c.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_PENDING);

  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  auto registry = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
  v1::UpsertEmployeeRequest upsert;
  upsert.set_request_id("later-employee");
  *upsert.mutable_employee() = later;
  v1::UpsertEmployeeResponse upserted;
  status = registry->UpsertEmployee(MakeClientContext(10s).get(), upsert, &upserted);
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_TRUE(WaitUntil([&] {
    return Get(c.complaint_id()).subject_resolution().status() == v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER;
  }, 30s, 200ms)) << stack_.log(Service::kComplaint);
  const v1::Complaint resolved = Get(c.complaint_id());
  EXPECT_EQ(resolved.subject_resolution().employee().employee_id(), upserted.employee().employee_id());
  EXPECT_FALSE(resolved.subject_resolution().needs_review());
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  v1::GetComplaintHistoryResponse entries;
  ASSERT_TRUE(Stub()->GetComplaintHistory(Context().get(), history, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 2);
  EXPECT_EQ(entries.entries(1).event_type(), "complaint.subject_resolved");
  EXPECT_NE(entries.entries(1).payload_json().find("SUBJECT_RESOLUTION_STATUS_PENDING"), std::string::npos);
}

TEST_F(ComplaintIntakeTest, ForwardingWaitsForTheSanctionServiceAcrossARestart) {
  const std::string evidence = Evidence();
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(Request("fwd", evidence), &submitted).ok());
  v1::Complaint c = Act(Act(submitted.complaint(), v1::COMPLAINT_ACTION_REGISTER), v1::COMPLAINT_ACTION_START_REVIEW);
  c = Act(c, v1::COMPLAINT_ACTION_FORWARD);
  ASSERT_EQ(c.status(), v1::COMPLAINT_STATUS_FORWARDED);
  EXPECT_EQ(c.forwarding().status(), v1::FORWARDING_STATUS_PENDING);
  // The sanction service is not running: attempts fail and are counted, the complaint stays pending.
  ASSERT_TRUE(WaitUntil([&] { return Get(c.complaint_id()).forwarding().attempts() >= 1; }, 20s));
  EXPECT_FALSE(Get(c.complaint_id()).forwarding().last_error().empty());

  // A restart of the complaint service loses nothing (the outbox is in the store).
  ASSERT_TRUE(stack_.Stop(Service::kComplaint).has_value());
  ASSERT_TRUE(stack_.Start(Service::kComplaint));
  EXPECT_EQ(Get(c.complaint_id()).forwarding().status(), v1::FORWARDING_STATUS_PENDING);

  ASSERT_TRUE(stack_.Start(Service::kSanction));
  // Until OpenCase is served (issue 5, in progress in parallel) the delivery keeps failing with
  // UNIMPLEMENTED and the complaint stays pending; once it is, the case id arrives exactly once.
  bool done = WaitUntil([&] { return Get(c.complaint_id()).forwarding().status() == v1::FORWARDING_STATUS_DONE; }, 70s, 200ms);
  if (!done) {
    const std::string error = Get(c.complaint_id()).forwarding().last_error();
    if (error.find("Unimplemented") != std::string::npos) {
      GTEST_SKIP() << "SanctionService.OpenCase is not implemented yet: " << error;
    }
    FAIL() << "forwarding not done; last error: " << error;
  }
  v1::Complaint forwarded = Get(c.complaint_id());
  EXPECT_FALSE(forwarded.forwarding().case_id().empty());
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  v1::GetComplaintHistoryResponse entries;
  ASSERT_TRUE(Stub()->GetComplaintHistory(Context().get(), history, &entries).ok());
  int forwarded_events = 0;
  for (const auto& e : entries.entries()) forwarded_events += e.event_type() == "complaint.forwarded";
  EXPECT_EQ(forwarded_events, 1);
}

TEST_F(ComplaintIntakeTest, EditingOrDeletingHistoryRowsInTheStoreFileIsDetected) {
  const std::string evidence = Evidence();
  v1::SubmitComplaintResponse submitted;
  ASSERT_TRUE(Submit(Request("tamper", evidence), &submitted).ok());
  v1::Complaint c = Act(Act(submitted.complaint(), v1::COMPLAINT_ACTION_REGISTER), v1::COMPLAINT_ACTION_START_REVIEW);
  Act(c, v1::COMPLAINT_ACTION_DISMISS, "not a civil servant's act");
  auto verify = [&] {
    v1::VerifyComplaintHistoryRequest request;
    request.set_complaint_id(c.complaint_id());
    v1::VerifyComplaintHistoryResponse response;
    EXPECT_TRUE(Stub()->VerifyComplaintHistory(Context().get(), request, &response).ok());
    return response.verification();
  };
  EXPECT_TRUE(verify().intact());

  std::string error;
  auto db = Database::Open(stack_.dir().File("complaint.db"), complaint::kMigrations, &error);
  ASSERT_TRUE(db) << error;
  auto tamper = [&](const std::string& sql) {
    db->Write([&](Connection& conn) { conn.Prepare(sql).Bind(1, c.complaint_id()).Run(); });
  };
  tamper("UPDATE history SET payload_json = replace(payload_json, 'dismiss', 'forward') WHERE resource_id = ?1 AND sequence = 4");
  auto edited = verify();
  EXPECT_FALSE(edited.intact());
  EXPECT_EQ(edited.first_broken_sequence(), 4);

  tamper("DELETE FROM history WHERE resource_id = ?1 AND sequence = 4");
  auto cut = verify();
  EXPECT_FALSE(cut.intact());
  EXPECT_EQ(cut.break_kind(), v1::CHAIN_BREAK_HEAD_MISMATCH);

  tamper("DELETE FROM history WHERE resource_id = ?1 AND sequence = 2");
  auto gap = verify();
  EXPECT_FALSE(gap.intact());
  EXPECT_EQ(gap.first_broken_sequence(), 2);  // the missing sequence
}

}  // namespace
}  // namespace netra::testing

// Tests for services/complaint/intake.h through Complaints with its store, on
// both backends: a report received and resolved with its deadlines, an
// incomplete or late one, one naming what does not exist, a subject the
// registry learns later, a retry, the reporter's NIK, and near-duplicates
// clustered (also in a concurrent burst without Redis).
#include "services/complaint/intake.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/names.h"
#include "common/store.h"
#include "tests/common/store_backends.h"
#include "tests/services/complaint/complaint_domain_fixture.h"

namespace netra::complaint {
namespace {

using namespace std::chrono_literals;
using testing::At;
using testing::kEvidence;
using testing::kNow;
using testing::kSubject;
using testing::ValidRequest;
namespace v1 = netra::v1;

class IntakeTest : public testing::ComplaintDomainFixture, public ::testing::WithParamInterface<Dialect> {
 protected:
  IntakeTest() { backend_ = GetParam(); }
};
NETRA_STORE_BACKENDS(IntakeTest);

TEST_P(IntakeTest, ACompleteReportIsReceivedResolvedWithDeadlinesAndHistory) {
  v1::Complaint c = Submit("r1");
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RECEIVED);
  EXPECT_TRUE(IsWellFormedTrackingCode(c.tracking_code()));
  EXPECT_EQ(c.version(), 1);
  EXPECT_EQ(c.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER);
  EXPECT_EQ(c.subject_resolution().employee().name(), "Siti Aminah");
  EXPECT_TRUE(c.deadlines().has_report());
  EXPECT_EQ(c.deadlines().report().time_zone(), "Asia/Jakarta");
  EXPECT_FALSE(c.late());
  EXPECT_TRUE(c.missing_requirements().empty());
  EXPECT_EQ(c.evidence_size(), 1);
  EXPECT_TRUE(c.cluster().is_primary());
  EXPECT_EQ(c.cluster().member_count(), 1);
  EXPECT_EQ(c.history_head_sequence(), 1);
  auto verified = complaints_->Verify(c.complaint_id());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified.value().intact);
  auto status = complaints_->GetPublicStatus(c.tracking_code());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status.value().status, Status::kReceived);
}

TEST_P(IntakeTest, AnIncompleteReportIsStoredWithWhatIsMissingAndTheCompletionDeadline) {
  v1::Complaint c = Submit("r1", kNow, [](auto& r) {
    r.clear_evidence_ids();
    r.mutable_act()->clear_description();
    r.mutable_reporter()->clear_address();
  });
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_INCOMPLETE);
  EXPECT_EQ(std::vector<int>(c.missing_requirements().begin(), c.missing_requirements().end()),
            (std::vector<int>{v1::COMPLAINT_REQUIREMENT_REPORTER_ADDRESS, v1::COMPLAINT_REQUIREMENT_DESCRIPTION,
                              v1::COMPLAINT_REQUIREMENT_EVIDENCE}));
  ASSERT_TRUE(c.deadlines().has_completion());
  EXPECT_EQ(c.deadlines().completion().due_date().day(), 3);  // 2 calendar days after 1 Feb
  auto view = complaints_->GetPublicView(c.tracking_code());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view.value().missing.size(), 3u);
  ASSERT_TRUE(view.value().completion.has_value());

  // Completing with something still missing stores nothing.
  auto still = Act(c, v1::COMPLAINT_ACTION_COMPLETE, "", [](auto& r) {
    r.mutable_amendment()->mutable_act()->set_description("Now described.");
  });
  ASSERT_FALSE(still.ok());
  EXPECT_EQ(still.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(Reload(c).version(), 1);
  auto done = Act(c, v1::COMPLAINT_ACTION_COMPLETE, "", [](auto& r) {
    r.mutable_amendment()->mutable_act()->set_description("Now described.");
    r.mutable_amendment()->mutable_reporter()->set_address("Jl. Pandanaran 2");
    r.mutable_amendment()->add_add_evidence_ids(kEvidence);
  });
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done.value().status(), v1::COMPLAINT_STATUS_COMPLETED);
  EXPECT_TRUE(done.value().missing_requirements().empty());
  EXPECT_FALSE(done.value().deadlines().has_completion());
}

TEST_P(IntakeTest, AReportAfterTheWindowIsMarkedLate) {
  v1::Complaint c = Submit("r1", kNow, [](auto& r) {
    *r.mutable_act()->mutable_occurred_time() = At(kNow - absl::Hours(24 * 20));
    *r.mutable_act()->mutable_known_time() = At(kNow - absl::Hours(24 * 15));
  });
  EXPECT_TRUE(c.late());
  EXPECT_EQ(c.status(), v1::COMPLAINT_STATUS_RECEIVED);  // late is a mark, not a refusal
}

TEST_P(IntakeTest, UnknownElectionOrEvidenceIsAClearErrorAndStoresNothing) {
  auto request = ValidRequest();
  request.mutable_act()->set_election_id("pemilu-2099");
  auto result = api_.Submit(request, RequestHashOf(request), public_, kNow);
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().violations.size(), 1u);
  EXPECT_EQ(result.error().violations.list()[0].field, "act.election_id");
  EXPECT_EQ(result.error().violations.list()[0].reason, ViolationReason::kNotFound);

  request = ValidRequest();
  request.add_evidence_ids(std::string(64, 'b'));
  result = api_.Submit(request, RequestHashOf(request), public_, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().violations.list()[0].field, "evidence_ids[1]");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM request_ids"), 0);

  registry_.down = true;
  result = api_.Submit(ValidRequest(), RequestHashOf(ValidRequest()), public_, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Error::Kind::kUnavailable);
}

TEST_P(IntakeTest, AnUnknownSubjectIsLookedUpAgainUntilTheRegistryKnowsIt) {
  const std::string later = "199001012015011001";
  v1::Complaint c = Submit("unknown-subject", kNow, [&](auto& r) { r.mutable_subject()->set_employee_number(later); });
  ASSERT_EQ(c.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND);
  EXPECT_EQ(complaints_->RetryUnresolvedSubjects(kNow + absl::Seconds(30)), 0);  // not due yet
  EXPECT_EQ(complaints_->RetryUnresolvedSubjects(kNow + absl::Minutes(2)), 0);   // due, still unknown
  EXPECT_EQ(Reload(c).version(), c.version());                                   // nothing recorded
  EXPECT_GE(Count("SELECT subject_retry_at FROM complaints"), absl::ToUnixMicros(kNow + absl::Minutes(3)));  // again later

  registry_.Add(later, "Budi Santoso", "Pemerintah Kota Semarang", "33.74");
  EXPECT_EQ(complaints_->RetryUnresolvedSubjects(kNow + absl::Hours(1)), 1);
  v1::Complaint resolved = Reload(c);
  EXPECT_EQ(resolved.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER);
  EXPECT_EQ(resolved.subject_resolution().employee().employee_id(), later);
  EXPECT_FALSE(resolved.subject_resolution().needs_review());
  EXPECT_EQ(Count("SELECT needs_subject_review + subject_retry_at FROM complaints"), 0);  // off the review list
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  auto entries = api_.History(history);
  ASSERT_TRUE(entries.ok());
  const auto& last = entries.value().entries(entries.value().entries_size() - 1);
  EXPECT_EQ(last.event_type(), "complaint.subject_resolved");
  auto payload = nlohmann::json::parse(last.payload_json());
  EXPECT_EQ(payload["from"], "SUBJECT_RESOLUTION_STATUS_NOT_FOUND");
  EXPECT_EQ(payload["to"], "SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER");
  EXPECT_TRUE(complaints_->Verify(c.complaint_id()).value().intact);
  EXPECT_EQ(complaints_->RetryUnresolvedSubjects(kNow + absl::Hours(30)), 0);  // nothing left to do
}

TEST_P(IntakeTest, ACodeAddedByPutViolationCatalogIsAcceptedAtIntake) {
  auto with_new_code = [] {
    auto request = ValidRequest();
    request.set_request_id("new-code");
    request.mutable_act()->set_violation_codes(0, "B14");
    return request;
  };
  auto refused = api_.Submit(with_new_code(), RequestHashOf(with_new_code()), public_, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().violations.list()[0].field, "act.violation_codes[0]");

  published_catalog_ = R"({"version": "skb-2024.1", "violation_types": [
      {"code": "B2", "category": "DISCIPLINE"}, {"code": "B14", "category": "DISCIPLINE"}]})";
  auto accepted = api_.Submit(with_new_code(), RequestHashOf(with_new_code()), public_, kNow);
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints WHERE category = 'discipline'"), 1);

  // Redis and the sanction service both down: the last catalog fetched stays in force.
  published_catalog_.reset();
  auto again = with_new_code();
  again.set_request_id("new-code-2");
  EXPECT_TRUE(api_.Submit(again, RequestHashOf(again), public_, kNow).ok());
}

TEST_P(IntakeTest, ARetryReturnsTheFirstResultWithOrWithoutRedis) {
  v1::Complaint first = Submit("same");
  v1::Complaint again = Submit("same");
  EXPECT_EQ(again.complaint_id(), first.complaint_id());
  EXPECT_EQ(again.tracking_code(), first.tracking_code());
  ASSERT_TRUE(redis_server_.Stop());
  v1::Complaint without_redis = Submit("same");
  EXPECT_EQ(without_redis.complaint_id(), first.complaint_id());
  registry_.down = true;  // the store's record answers the retry without asking the registry
  EXPECT_EQ(Submit("same").complaint_id(), first.complaint_id());
  registry_.down = false;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), 1);

  auto other = ValidRequest();
  other.set_request_id("same");
  other.mutable_act()->set_place("Elsewhere");
  auto reused = api_.Submit(other, RequestHashOf(other), public_, kNow);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().violations.list()[0].field, "request_id");
  EXPECT_EQ(reused.error().violations.list()[0].reason, ViolationReason::kInconsistent);
}

TEST_P(IntakeTest, TheReportersNikIsKeptOnlyAsItsKeyedHash) {
  const std::string nik = "3374011503850001";
  v1::Complaint c = Submit("r1", kNow, [&](auto& r) { r.mutable_reporter()->set_nik(nik); });
  EXPECT_TRUE(c.reporter().nik_on_file());
  EXPECT_TRUE(c.reporter().nik().empty());
  // The hash is sealed with the rest of the reporter's identity (the column stays empty).
  EXPECT_EQ(complaints_->Get(c.complaint_id()).value().reporter.nik_hash, hasher_.Hash(nik));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints WHERE reporter_nik_hash IS NOT NULL"), 0);
  EXPECT_EQ(RowsHolding("complaints", "body", nik), 0);
  EXPECT_EQ(RowsHolding("request_ids", "response", nik), 0);
  if (backend_ != Dialect::kSqlite) return;
  db_.reset();  // checkpoint, then look at every byte on disk
  for (const char* suffix : {"", "-wal"}) {
    EXPECT_EQ(netra::testing::ReadFile(dir_.File(std::string("complaint.db") + suffix)).find(nik), std::string::npos);
  }
}

TEST_P(IntakeTest, NearDuplicatesJoinOneClusterWithinTheWindow) {
  v1::Complaint a = Submit("a");
  v1::Complaint b = Submit("b", kNow + absl::Hours(1));
  v1::Complaint c = Submit("c", kNow + absl::Hours(2), [](auto& r) { r.mutable_act()->add_violation_codes("B6"); });
  v1::Complaint other_code = Submit("d", kNow + absl::Hours(2), [](auto& r) { r.mutable_act()->set_violation_codes(0, "B7"); });
  EXPECT_EQ(b.cluster().cluster_id(), a.cluster().cluster_id());
  EXPECT_EQ(c.cluster().cluster_id(), a.cluster().cluster_id());
  EXPECT_FALSE(b.cluster().is_primary());
  EXPECT_EQ(b.cluster().primary_complaint_id(), a.complaint_id());
  EXPECT_NE(b.tracking_code(), a.tracking_code());  // each reporter follows their own code
  EXPECT_NE(other_code.cluster().cluster_id(), a.cluster().cluster_id());
  EXPECT_EQ(Reload(a).cluster().member_count(), 3);
  // A join adds nothing to the primary's chain: the member's own first entry names the cluster.
  EXPECT_EQ(Reload(a).history_head_sequence(), 1);
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(b.complaint_id());
  auto entries = api_.History(history);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries.value().entries_size(), 1);
  EXPECT_EQ(entries.value().entries(0).event_type(), "complaint.submitted");
  EXPECT_EQ(nlohmann::json::parse(entries.value().entries(0).payload_json())["cluster_id"], a.cluster().cluster_id());
  // The cluster's members are listed from the store.
  v1::ListComplaintsRequest members;
  members.set_cluster_id(a.cluster().cluster_id());
  auto listed = api_.List(members);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed.value().complaints_size(), 3);

  // The window runs from the latest report: 72 h after it, a new cluster.
  v1::Complaint late = Submit("e", kNow + absl::Hours(2 + 73));
  EXPECT_NE(late.cluster().cluster_id(), a.cluster().cluster_id());
}

TEST_P(IntakeTest, AConcurrentBurstWithRedisDownEndsAsOneCluster) {
  ASSERT_TRUE(redis_server_.Stop());
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto request = ValidRequest();
        request.set_request_id("burst-" + std::to_string(t) + "-" + std::to_string(i));
        EXPECT_TRUE(api_.Submit(request, RequestHashOf(request), public_, kNow).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints"), kThreads * kEach);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT cluster_id) FROM complaints"), 1);
  EXPECT_EQ(Count("SELECT member_count FROM clusters WHERE id = (SELECT cluster_id FROM complaints LIMIT 1)"),
            kThreads * kEach);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT tracking_code) FROM complaints"), kThreads * kEach);
}

}  // namespace
}  // namespace netra::complaint

// Tests for services/complaint/complaints.h with its store: tracking codes,
// the public status lookup, clusters, the workflow, forwarding, outcomes, the
// hash-chained history and evidence, against a real store and a real
// redis-server (the registry is an in-memory Directory). Requests are written
// as the API's messages and mapped as the handler maps them (ProtoFace,
// complaint_domain_fixture.h), so the mapping is exercised too. A report's
// intake is in intake_test.cc.
#include "services/complaint/complaints.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>
#include "common/digest.h"
#include "common/names.h"
#include "netra/v1/sanction.pb.h"

#include "common/store.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/adapters.h"
#include "services/complaint/evidence.h"
#include "services/complaint/peers.h"
#include "services/complaint/reporter.h"
#include "tests/common/store_backends.h"
#include "tests/services/complaint/complaint_domain_fixture.h"
#include "tests/support/test_support.h"

namespace netra::complaint {
namespace {

using namespace std::chrono_literals;
using netra::testing::RedisServer;
using netra::testing::TempDir;

// ---------------------------------------------------------------------------
// Tracking codes

TEST(TrackingCodeTest, NewCodesAreTenCharactersFromTheAlphabet) {
  for (int i = 0; i < 1000; ++i) {
    std::string code = NewTrackingCode();
    ASSERT_EQ(code.size(), kTrackingCodeLength) << code;
    for (char c : code) ASSERT_NE(kTrackingAlphabet.find(c), std::string_view::npos) << code;
    ASSERT_TRUE(IsWellFormedTrackingCode(code)) << code;
  }
}

TEST(TrackingCodeTest, TenThousandCodesAreDistinctAndUseTheWholeAlphabet) {
  std::set<std::string> codes;
  std::set<char> characters;
  for (int i = 0; i < 10000; ++i) {
    std::string code = NewTrackingCode();
    codes.insert(code);
    characters.insert(code.begin(), code.end());
  }
  EXPECT_EQ(codes.size(), 10000u);
  EXPECT_EQ(characters.size(), kTrackingAlphabet.size());
}

TEST(TrackingCodeTest, LookAlikesAndWrongLengthsAreNotWellFormed) {
  EXPECT_TRUE(IsWellFormedTrackingCode("ABCDEFGH23"));
  for (const char* bad : {"ABCDEFGH2O", "ABCDEFGH20", "ABCDEFGH21", "ABCDEFGH2I", "ABCDEFGH2L",  // look-alikes
                          "abcdefgh23",                                                         // lower case
                          "ABCDEFGH2", "ABCDEFGH234", "", "ABCDE-GH23", "ABCDEFGH2 "}) {
    EXPECT_FALSE(IsWellFormedTrackingCode(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------
// GetPublicStatus

class PublicStatusTest : public testing::ComplaintApiFixture {};

TEST_F(PublicStatusTest, EmptyCodeIsRequired) {
  ExpectInvalid(complaints_->GetPublicStatus(""), ViolationReason::kRequired);
}

TEST_F(PublicStatusTest, MalformedCodeIsInvalidFormat) {
  for (const std::string& bad :
       std::vector<std::string>{"ABC", "ABCDEFGH2O", "ABCDEFGH231", "ABCDEFGH2!", std::string(500, 'A')}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(complaints_->GetPublicStatus(bad), ViolationReason::kInvalidFormat);
  }
}

TEST_F(PublicStatusTest, UnknownCodeIsNotFound) {
  auto result = complaints_->GetPublicStatus("ABCDEFGH23");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Error::Kind::kNotFound);
}

TEST_F(PublicStatusTest, StoredComplaintIsFoundThenServedFromRedis) {
  Insert("c-1", "KQ7M2XR9TB", Status::kUnderReview, 1700000000000000, 1700000500000000);

  auto first = complaints_->GetPublicStatus("KQ7M2XR9TB");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value().tracking_code, "KQ7M2XR9TB");
  EXPECT_EQ(first.value().status, Status::kUnderReview);
  EXPECT_EQ(first.value().received_micros, 1700000000000000);
  EXPECT_EQ(first.value().updated_micros, 1700000500000000);
  EXPECT_EQ(CacheRequests("miss"), 1);
  EXPECT_EQ(CacheRequests("hit"), 0);

  auto second = complaints_->GetPublicStatus("KQ7M2XR9TB");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(CacheRequests("hit"), 1);
  EXPECT_EQ(second.value().status, Status::kUnderReview);
  EXPECT_EQ(second.value().received_micros, 1700000000000000);
  EXPECT_EQ(second.value().updated_micros, 1700000500000000);
}

TEST_F(PublicStatusTest, LowerCaseCodeIsAccepted) {
  Insert("c-2", "KQ7M2XR9TC", Status::kReceived, 1, 2);
  auto result = complaints_->GetPublicStatus("kq7m2xr9tc");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().tracking_code, "KQ7M2XR9TC");
  EXPECT_EQ(result.value().status, Status::kReceived);
}

TEST_F(PublicStatusTest, UnknownCodeIsNotCached) {
  ASSERT_FALSE(complaints_->GetPublicStatus("ABCDEFGH23").ok());
  Insert("c-3", "ABCDEFGH23", Status::kRegistered, 5, 6);
  auto result = complaints_->GetPublicStatus("ABCDEFGH23");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().status, Status::kRegistered);
}

TEST_F(PublicStatusTest, CorruptCacheEntryDoesNotHideTheStoredRecord) {
  Insert("c-4", "KQ7M2XR9TD", Status::kForwarded, 10, 20);
  for (const char* corrupt : {"not json", "{\"s\":99,\"r\":1,\"u\":2}", "{\"s\":\"x\",\"r\":1,\"u\":2}",
                              "{\"s\":4,\"r\":\"1\",\"u\":2}", "[1,2,3]"}) {
    SCOPED_TRACE(corrupt);
    ASSERT_TRUE(redis_->Set("complaint:status:KQ7M2XR9TD", corrupt, 0ms));
    Result<PublicStatus> result = Error::Internal("not called");
    EXPECT_NO_THROW(result = complaints_->GetPublicStatus("KQ7M2XR9TD"));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value().status, Status::kForwarded);
    EXPECT_EQ(result.value().received_micros, 10);
  }
}

TEST_F(PublicStatusTest, StillAnswersFromTheStoreWithRedisDown) {
  Insert("c-5", "KQ7M2XR9TE", Status::kClosed, 100, 200);
  ASSERT_TRUE(redis_server_.Stop());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto result = complaints_->GetPublicStatus("KQ7M2XR9TE");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value().status, Status::kClosed);
    EXPECT_EQ(result.value().updated_micros, 200);
  }
  auto unknown = complaints_->GetPublicStatus("ABCDEFGH23");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Error::Kind::kNotFound);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // a dead cache costs a miss, not a stall
  EXPECT_GE(CacheRequests("error"), 5);
  EXPECT_EQ(CacheRequests("hit"), 0);
}

// ---------------------------------------------------------------------------
// Clusters, the workflow, forwarding, outcome, history (a report received: intake_test.cc)

namespace v1 = netra::v1;
using testing::At;
using testing::kEvidence;
using testing::kNow;
using testing::kSubject;
using testing::ValidRequest;

// The domain over a real store, on both backends (Backends/ComplaintDomainTest.*/Sqlite and .../Postgres).
class ComplaintDomainTest : public testing::ComplaintDomainFixture, public ::testing::WithParamInterface<Dialect> {
 protected:
  ComplaintDomainTest() { backend_ = GetParam(); }
};
NETRA_STORE_BACKENDS(ComplaintDomainTest);

TEST_P(ComplaintDomainTest, TheWorkflowRecordsActorsAndRefusesIllegalAndStaleActions) {
  v1::Complaint c = Submit("r1");
  auto illegal = Act(c, v1::COMPLAINT_ACTION_FORWARD, "", [](auto& r) { r.mutable_forward()->set_review_summary("x"); });
  ASSERT_FALSE(illegal.ok());
  EXPECT_EQ(illegal.error().kind, Error::Kind::kFailedPrecondition);
  EXPECT_EQ(illegal.error().state, "COMPLAINT_STATUS_RECEIVED");
  EXPECT_EQ(illegal.error().allowed,
            (std::vector<std::string>{"COMPLAINT_ACTION_REQUEST_COMPLETION", "COMPLAINT_ACTION_REGISTER",
                                      "COMPLAINT_ACTION_REJECT", "COMPLAINT_ACTION_WITHDRAW",
                                      "COMPLAINT_ACTION_RESOLVE_SUBJECT"}));
  auto no_reason = Act(c, v1::COMPLAINT_ACTION_REJECT);
  ASSERT_FALSE(no_reason.ok());
  EXPECT_EQ(no_reason.error().violations.list()[0].field, "reason");

  v1::Complaint registered = MustAct(c, v1::COMPLAINT_ACTION_REGISTER);
  EXPECT_EQ(registered.status(), v1::COMPLAINT_STATUS_REGISTERED);
  EXPECT_EQ(registered.version(), 2);
  EXPECT_TRUE(registered.deadlines().has_initial_review());
  EXPECT_TRUE(registered.deadlines().has_handling());
  auto stale = Act(c, v1::COMPLAINT_ACTION_START_REVIEW);  // c still has version 1
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, Error::Kind::kAborted);
  EXPECT_EQ(stale.error().current_version, 2);
  auto withdraw = Act(registered, v1::COMPLAINT_ACTION_WITHDRAW, "changed my mind");
  ASSERT_FALSE(withdraw.ok());
  EXPECT_EQ(withdraw.error().kind, Error::Kind::kFailedPrecondition);

  v1::Complaint review = MustAct(registered, v1::COMPLAINT_ACTION_START_REVIEW);
  v1::Complaint extended = MustAct(review, v1::COMPLAINT_ACTION_EXTEND_HANDLING, "witnesses to hear");
  EXPECT_TRUE(extended.deadlines().handling_extended());
  EXPECT_GT(extended.deadlines().handling().due_time().seconds(), review.deadlines().handling().due_time().seconds());
  auto twice = Act(extended, v1::COMPLAINT_ACTION_EXTEND_HANDLING, "again");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, Error::Kind::kFailedPrecondition);

  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(c.complaint_id());
  auto entries = api_.History(history);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries.value().entries_size(), 4);
  const auto& last = entries.value().entries(3);
  EXPECT_EQ(last.event_type(), "complaint.transitioned");
  EXPECT_EQ(last.actor().id(), "bawaslu-33.74/officer-1");
  auto payload = nlohmann::json::parse(last.payload_json());
  EXPECT_EQ(payload["action"], "COMPLAINT_ACTION_EXTEND_HANDLING");
  EXPECT_EQ(payload["reason"], "witnesses to hear");
  EXPECT_EQ(payload["from"], "under_review");
  EXPECT_TRUE(complaints_->Verify(c.complaint_id()).value().intact);
}

// The reporter's own actions need the receipt their submission returned: the
// complaint id (or another complaint's receipt) changes nothing.
TEST_P(ComplaintDomainTest, CompletingOrWithdrawingNeedsTheReportersReceipt) {
  // About another person, so that the two do not cluster.
  const auto another_subject = [](v1::SubmitComplaintRequest& r) {
    r.mutable_subject()->set_employee_number("");
    r.mutable_subject()->set_name("Orang Lain");
  };
  v1::Complaint mine = Submit("mine", kNow, another_subject);
  v1::Complaint other = Submit("other");
  const std::string receipt = receipts_[mine.complaint_id()];
  ASSERT_EQ(receipt.size(), kReceiptLength);
  for (char ch : receipt) EXPECT_NE(kTrackingAlphabet.find(ch), std::string_view::npos) << receipt;
  EXPECT_NE(receipt, receipts_[other.complaint_id()]);

  auto missing = Act(mine, v1::COMPLAINT_ACTION_WITHDRAW, "not me", [](auto& r) { r.clear_receipt(); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(missing.error().violations.list()[0].field, "receipt");
  EXPECT_EQ(missing.error().violations.list()[0].reason, ViolationReason::kRequired);
  auto malformed = Act(mine, v1::COMPLAINT_ACTION_WITHDRAW, "not me", [](auto& r) { r.set_receipt("c-1"); });
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().violations.list()[0].reason, ViolationReason::kInvalidFormat);
  auto wrong = Act(mine, v1::COMPLAINT_ACTION_WITHDRAW, "not me",
                   [&](auto& r) { r.set_receipt(receipts_[other.complaint_id()]); });
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(wrong.error().violations.list()[0].field, "receipt");
  EXPECT_EQ(wrong.error().violations.list()[0].reason, ViolationReason::kInconsistent);
  EXPECT_EQ(Reload(mine).version(), 1);
  EXPECT_EQ(Reload(mine).status(), v1::COMPLAINT_STATUS_RECEIVED);

  // A retried submission (same request id and content) gets the same receipt again.
  auto request = ValidRequest();
  request.set_request_id("mine");
  another_subject(request);
  auto again = api_.Submit(request, RequestHashOf(request), public_, kNow);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().complaint().complaint_id(), mine.complaint_id());
  EXPECT_EQ(again.value().receipt(), receipt);

  // Its own receipt, in any case, withdraws it.
  std::string lower = receipt;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto withdrawn = Act(mine, v1::COMPLAINT_ACTION_WITHDRAW, "not me", [&](auto& r) { r.set_receipt(lower); });
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.error().message;
  EXPECT_EQ(withdrawn.value().status(), v1::COMPLAINT_STATUS_WITHDRAWN);
  // Only its hash is kept.
  EXPECT_EQ(RowsHolding("complaints", "body", receipt), 0);
  EXPECT_EQ(RowsHolding("request_ids", "response", receipt), 0);
}

// The reporter's identity is stored sealed (AES-256-GCM) and nowhere in
// clear: not in the row, the recorded answer, the Redis request cache, the
// rate-limit keys or the history; the domain still reads it for the formal
// requirements, and a reveal returns it and is recorded.
TEST_P(ComplaintDomainTest, TheReporterIsSealedAtRestAndARevealIsRecorded) {
  const std::string name = "Wulan Sealed-Identity", address = "Jl. Rahasia 77", contact = "wulan.sealed@example.org";
  v1::Complaint c = Submit("sealed", kNow, [&](auto& r) {
    r.mutable_reporter()->set_name(name);
    r.mutable_reporter()->set_address(address);
    r.mutable_reporter()->set_contact(contact);
    r.mutable_reporter()->set_organization("Pemantau Rahasia");
    r.mutable_reporter()->set_nik("3374011503850001");
  });
  ASSERT_FALSE(c.complaint_id().empty());
  EXPECT_FALSE(complaints_->CheckIntakeLimits(contact, ""));
  std::string files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.is_regular_file()) files += netra::testing::ReadFile(entry.path().string());
  }
  const std::string redis = redis_server_.Contents();
  EXPECT_NE(redis.find("complaint:rate:contact:"), std::string::npos) << redis;
  for (const std::string& text : {name, address, contact, std::string("Pemantau Rahasia")}) {
    EXPECT_EQ(files.find(text), std::string::npos) << text << " is in the store's files";
    EXPECT_EQ(RowsHolding("complaints", "body", text), 0) << text << " is in a stored complaint";
    EXPECT_EQ(redis.find(text), std::string::npos) << text << " is in Redis";
  }
  // The contact's counter is named by a keyed hash, not a plain one anyone could recompute.
  EXPECT_EQ(redis.find(HexOf(Sha256::Of({FoldText(contact)})).substr(0, 16)), std::string::npos) << redis;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM complaints WHERE reporter_nik_hash IS NOT NULL"), 0);

  auto read = complaints_->Get(c.complaint_id());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.value().reporter.name, name);
  EXPECT_EQ(read.value().reporter.nik_hash, hasher_.Hash("3374011503850001"));
  EXPECT_TRUE(MissingRequirements(read.value()).empty());

  auto refused = complaints_->RevealReporter({c.complaint_id(), ""}, officer_, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().violations.list()[0].field, "reason");
  auto revealed = complaints_->RevealReporter({c.complaint_id(), "klarifikasi"}, officer_, kNow + absl::Hours(2));
  ASSERT_TRUE(revealed.ok()) << revealed.error().message;
  EXPECT_EQ(revealed.value().reporter.name, name);
  EXPECT_EQ(revealed.value().reporter.contact, contact);
  EXPECT_TRUE(revealed.value().reporter.nik_hash.empty());
  EXPECT_FALSE(revealed.value().reporter.sealed);
  auto entries = store_->History(c.complaint_id(), 0, 0);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].sequence, revealed.value().history_sequence);
  EXPECT_EQ(entries[1].event_type, "complaint.reporter_revealed");
  EXPECT_EQ(entries[1].actor.id, officer_.id);
  EXPECT_EQ(nlohmann::json::parse(entries[1].payload_json)["reason"], "klarifikasi");
  EXPECT_EQ(Reload(c).version(), 1);
  EXPECT_TRUE(complaints_->Verify(c.complaint_id()).value().intact);
  // The next change re-seals the identity (and keeps it).
  v1::Complaint registered = MustAct(Reload(c), v1::COMPLAINT_ACTION_REGISTER);
  EXPECT_EQ(complaints_->Get(c.complaint_id()).value().reporter.address, address);
  EXPECT_EQ(RowsHolding("complaints", "body", name), 0);
  EXPECT_EQ(RowsHolding("request_ids", "response", name), 0);
  (void)registered;
}

TEST_P(ComplaintDomainTest, AClusterIsHandledOnceOnItsPrimary) {
  v1::Complaint a = Submit("a");
  v1::Complaint b = Submit("b");
  auto on_member = Act(b, v1::COMPLAINT_ACTION_REGISTER);
  ASSERT_FALSE(on_member.ok());
  EXPECT_EQ(on_member.error().kind, Error::Kind::kFailedPrecondition);
  EXPECT_NE(on_member.error().message.find(a.complaint_id()), std::string::npos);
  MustAct(a, v1::COMPLAINT_ACTION_REGISTER);
  EXPECT_EQ(Reload(b).status(), v1::COMPLAINT_STATUS_REGISTERED);
  EXPECT_EQ(complaints_->GetPublicStatus(b.tracking_code()).value().status, Status::kRegistered);
  EXPECT_TRUE(complaints_->Verify(b.complaint_id()).value().intact);
}

TEST_P(ComplaintDomainTest, WithdrawingThePrimaryHandsTheClusterToTheNextReport) {
  v1::Complaint a = Submit("a");
  v1::Complaint b = Submit("b", kNow + absl::Minutes(1));
  v1::Complaint gone = MustAct(a, v1::COMPLAINT_ACTION_WITHDRAW, "not me");
  EXPECT_EQ(gone.status(), v1::COMPLAINT_STATUS_WITHDRAWN);
  EXPECT_EQ(gone.cluster().member_count(), 1);
  v1::Complaint next = Reload(b);
  EXPECT_TRUE(next.cluster().is_primary());
  EXPECT_EQ(next.cluster().member_count(), 1);
  EXPECT_EQ(next.status(), v1::COMPLAINT_STATUS_RECEIVED);
  MustAct(next, v1::COMPLAINT_ACTION_REGISTER);
}

TEST_P(ComplaintDomainTest, ForwardingQueuesOneOpenCaseAndTheOutcomeClosesTheCluster) {
  v1::Complaint a = Submit("a");
  v1::Complaint b = Submit("b");
  v1::Complaint review = MustAct(MustAct(a, v1::COMPLAINT_ACTION_REGISTER), v1::COMPLAINT_ACTION_START_REVIEW);
  v1::Complaint forwarded = MustAct(review, v1::COMPLAINT_ACTION_FORWARD);
  EXPECT_EQ(forwarded.status(), v1::COMPLAINT_STATUS_FORWARDED);
  EXPECT_EQ(forwarded.forwarding().status(), v1::FORWARDING_STATUS_PENDING);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbox"), 1);
  std::string payload = db_->Read([&](Connection& c) {
    auto s = c.Prepare("SELECT payload FROM outbox");
    s.Step();
    return s.ColumnBlob(0);
  });
  v1::OpenCaseRequest open;
  ASSERT_TRUE(open.ParseFromString(payload));
  EXPECT_EQ(open.complaint_id(), a.complaint_id());
  EXPECT_EQ(open.request_id(), a.complaint_id() + "/open");
  EXPECT_EQ(open.employee_id(), kSubject);
  EXPECT_EQ(std::vector<std::string>(open.related_complaint_ids().begin(), open.related_complaint_ids().end()),
            std::vector<std::string>{b.complaint_id()});
  EXPECT_EQ(Reload(b).status(), v1::COMPLAINT_STATUS_FORWARDED);

  // Delivered twice (a crash between OpenCase and the outbox delete): one effect.
  auto marked = api_.MarkForwarded(a.complaint_id(), "case-1", kNow + absl::Hours(2));
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(marked.value().forwarding().status(), v1::FORWARDING_STATUS_DONE);
  auto again = api_.MarkForwarded(a.complaint_id(), "case-1", kNow + absl::Hours(3));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().version(), marked.value().version());

  v1::RecordOutcomeRequest outcome;
  outcome.set_request_id("case-1/outcome/3");
  outcome.set_complaint_id(a.complaint_id());
  outcome.set_case_id("case-1");
  outcome.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
  outcome.set_level(v1::SANCTION_LEVEL_SEVERE);
  outcome.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
  outcome.set_decree_number("800/123/2024");
  outcome.mutable_decree_date()->set_year(2024), outcome.mutable_decree_date()->set_month(3),
      outcome.mutable_decree_date()->set_day(1);
  outcome.set_case_version(3);
  Actor sanction{"svc:netra-sanction", Actor::Kind::kService, "", ""};
  auto closed = api_.RecordOutcome(outcome, RequestHashOf(outcome), sanction, kNow + absl::Hours(4));
  ASSERT_TRUE(closed.ok()) << closed.error().message;
  EXPECT_EQ(closed.value().status(), v1::COMPLAINT_STATUS_CLOSED);
  EXPECT_EQ(closed.value().outcome().decree_number(), "800/123/2024");
  EXPECT_EQ(Reload(b).status(), v1::COMPLAINT_STATUS_CLOSED);
  auto retried = api_.RecordOutcome(outcome, RequestHashOf(outcome), sanction, kNow + absl::Hours(5));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried.value().version(), closed.value().version());
  outcome.set_request_id("case-1/outcome/2");
  outcome.set_case_version(2);  // older than the recorded one: no change
  auto older = api_.RecordOutcome(outcome, RequestHashOf(outcome), sanction, kNow + absl::Hours(6));
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older.value().version(), closed.value().version());
  outcome.set_request_id("case-2/outcome/1");
  outcome.set_case_id("case-2");
  outcome.set_case_version(9);
  auto other_case = api_.RecordOutcome(outcome, RequestHashOf(outcome), sanction, kNow + absl::Hours(6));
  ASSERT_FALSE(other_case.ok());
  EXPECT_EQ(other_case.error().violations.list()[0].field, "case_id");
}

TEST_P(ComplaintDomainTest, ForwardingNeedsAResolvedSubject) {
  v1::Complaint c = Submit("a", kNow, [](auto& r) { r.mutable_subject()->set_employee_number("199001012015011001"); });
  EXPECT_EQ(c.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND);
  v1::Complaint review = MustAct(MustAct(c, v1::COMPLAINT_ACTION_REGISTER), v1::COMPLAINT_ACTION_START_REVIEW);
  auto refused = Act(review, v1::COMPLAINT_ACTION_FORWARD, "", [](auto& r) { r.mutable_forward()->set_review_summary("x"); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Error::Kind::kFailedPrecondition);
  auto resolved = Act(review, v1::COMPLAINT_ACTION_RESOLVE_SUBJECT, "", [](auto& r) { r.set_subject_employee_id(kSubject); });
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved.value().subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_PERSON);
  EXPECT_TRUE(Act(resolved.value(), v1::COMPLAINT_ACTION_FORWARD, "", [](auto& r) {
                r.mutable_forward()->set_review_summary("x");
              }).ok());
}

TEST_P(ComplaintDomainTest, EditedOrDeletedHistoryRowsAreDetected) {
  v1::Complaint c = Submit("r1");
  MustAct(MustAct(MustAct(c, v1::COMPLAINT_ACTION_REGISTER), v1::COMPLAINT_ACTION_START_REVIEW),
          v1::COMPLAINT_ACTION_EXTEND_HANDLING);
  ASSERT_TRUE(complaints_->Verify(c.complaint_id()).value().intact);
  auto tamper = [&](const std::string& sql) {
    db_->Write([&](Connection& conn) { conn.Prepare(sql).Bind(1, c.complaint_id()).Run(); });
  };
  auto verify = [&] { return complaints_->Verify(c.complaint_id()).value(); };

  tamper("UPDATE history SET payload_json = '{\"action\":\"forged\"}' WHERE resource_id = ?1 AND sequence = 2");
  auto edited = verify();
  EXPECT_FALSE(edited.intact);
  EXPECT_EQ(edited.first_broken_sequence, 2);
}

TEST_P(ComplaintDomainTest, DeletedHistoryRowsAreDetected) {
  v1::Complaint c = Submit("r1");
  MustAct(MustAct(MustAct(c, v1::COMPLAINT_ACTION_REGISTER), v1::COMPLAINT_ACTION_START_REVIEW),
          v1::COMPLAINT_ACTION_EXTEND_HANDLING);
  db_->Write([&](Connection& conn) {
    conn.Prepare("DELETE FROM history WHERE resource_id = ?1 AND sequence = 4").Bind(1, c.complaint_id()).Run();
  });
  auto tail = complaints_->Verify(c.complaint_id()).value();
  EXPECT_FALSE(tail.intact);
  EXPECT_EQ(tail.break_kind, HistoryVerification::Break::kHeadMismatch);
  db_->Write([&](Connection& conn) {
    conn.Prepare("DELETE FROM history WHERE resource_id = ?1 AND sequence = 2").Bind(1, c.complaint_id()).Run();
  });
  auto middle = complaints_->Verify(c.complaint_id()).value();
  EXPECT_FALSE(middle.intact);
  EXPECT_EQ(middle.first_broken_sequence, 2);  // the missing sequence
}

// Counts are perturbed (within 2, never under the minimum: docs/statistics.md); small ones suppressed.
TEST_P(ComplaintDomainTest, StatisticsSuppressSmallCounts) {
  for (int i = 0; i < 6; ++i) Submit("s" + std::to_string(i));
  Submit("other", kNow, [](auto& r) { r.mutable_act()->set_violation_codes(0, "A2"); });
  v1::GetComplaintStatsRequest request;
  request.set_region_code("33");
  auto stats = api_.Stats(request, kNow);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats.value().min_count(), 5);
  EXPECT_GE(stats.value().total().total(), 5);
  EXPECT_LE(stats.value().total().total(), 9);
  EXPECT_FALSE(stats.value().total().total_suppressed());
  std::map<std::string, std::pair<int64_t, bool>> by_violation;
  for (const auto& c : stats.value().total().by_violation()) by_violation[c.key()] = {c.count(), c.suppressed()};
  EXPECT_FALSE(by_violation["B2"].second);
  EXPECT_GE(by_violation["B2"].first, 5);
  EXPECT_LE(by_violation["B2"].first, 8);
  EXPECT_EQ(by_violation["A2"], std::make_pair(int64_t{0}, true));
  ASSERT_EQ(stats.value().regions_size(), 1);
  EXPECT_EQ(stats.value().regions(0).region_code(), "33.74");
  EXPECT_EQ(stats.value().regions(0).region_name(), "Kota Semarang");
  request.set_min_count(10);  // above anything 7 can be published as
  EXPECT_TRUE(api_.Stats(request, kNow).value().total().total_suppressed());
  // The same question, the same answer.
  request.clear_min_count();
  EXPECT_EQ(api_.Stats(request, kNow).value().SerializeAsString(), stats.value().SerializeAsString());
}

TEST_P(ComplaintDomainTest, ListingFiltersAndPagesWithoutRepeats) {
  for (int i = 0; i < 5; ++i) Submit("l" + std::to_string(i), kNow + absl::Minutes(i));
  Submit("elsewhere", kNow, [](auto& r) {
    r.mutable_act()->set_region_code("31.71");
    r.mutable_subject()->set_employee_number("199001012015011001");
  });
  v1::ListComplaintsRequest request;
  request.set_region_code("33");
  request.set_page_size(2);
  std::set<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto result = api_.List(request);
    ASSERT_TRUE(result.ok()) << result.error().message;
    for (const auto& c : result.value().complaints()) EXPECT_TRUE(seen.insert(c.complaint_id()).second);
    if (result.value().next_page_token().empty()) break;
    request.set_page_token(result.value().next_page_token());
  }
  EXPECT_EQ(seen.size(), 5u);
  request.set_region_code("31");  // the token was issued for other filters
  auto refused = api_.List(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().violations.list()[0].field, "page_token");
  v1::ListComplaintsRequest primaries;
  primaries.set_primaries_only(true);
  EXPECT_EQ(api_.List(primaries).value().complaints_size(), 2);
}

// ---------------------------------------------------------------------------
// Evidence

class EvidenceTest : public PublicStatusTest {
 protected:
  Result<v1::UploadEvidenceResponse> Upload(EvidenceStore& evidence, const std::string& content, size_t chunk,
                                            int64_t declared = 0) {
    v1::UploadEvidenceRequest first;
    first.set_file_name("bukti.txt");
    first.set_total_size(declared);
    auto upload = evidence.Begin(first);
    if (!upload.ok()) return upload.error();
    for (size_t i = 0, n = 0; i < content.size(); i += chunk, ++n) {
      auto appended = upload.value()->Append(std::string_view(content).substr(i, chunk), static_cast<int>(n));
      if (!appended.ok()) return appended.error();
    }
    return upload.value()->Finish(1700000000000000);
  }
  size_t FilesUnder(const std::string& dir) {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
    return n;
  }
};

TEST_F(EvidenceTest, ContentIsStoredOnceUnderItsHashAndBadUploadsLeaveNothing) {
  EvidenceStore evidence(*store_, dir_.File("evidence"), 1 << 20);
  std::string error;
  ASSERT_TRUE(evidence.Prepare(&error)) << error;
  const std::string content = "%PDF-1.7\n" + std::string(300000, 'x');
  auto first = Upload(evidence, content, 65536);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first.value().already_stored());
  EXPECT_EQ(first.value().evidence().evidence_id(), HexOf(Sha256::Of({content})));
  EXPECT_EQ(first.value().evidence().media_type(), "application/pdf");
  EXPECT_EQ(first.value().evidence().size_bytes(), static_cast<int64_t>(content.size()));
  EXPECT_EQ(netra::testing::ReadFile(evidence.BlobPath(first.value().evidence().evidence_id())), content);
  auto second = Upload(evidence, content, 100000);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second.value().already_stored());
  EXPECT_EQ(FilesUnder(dir_.File("evidence")), 1u);

  auto truncated = Upload(evidence, "short", 4096, 1000);  // declared 1000 bytes, sent 5
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().violations.list()[0].field, "total_size");
  auto too_big = Upload(evidence, std::string((1 << 20) + 1, 'y'), 1 << 19);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().violations.list()[0].reason, ViolationReason::kTooLong);
  EXPECT_EQ(FilesUnder(dir_.File("evidence")), 1u);
  EXPECT_EQ(db_->Read([](Connection& c) {
    auto s = c.Prepare("SELECT COUNT(*) FROM evidence");
    s.Step();
    return s.ColumnInt64(0);
  }), 1);
}

}  // namespace
}  // namespace netra::complaint

// The complaint domain (services/complaint/complaints.h) over a real store and
// a real redis-server, driven with requests and answers as the API's messages,
// mapped as the handler maps them (ProtoFace): the fixtures of
// complaints_test.cc and intake_test.cc.
#pragma once

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "common/rpc.h"
#include "common/store.h"
#include "services/complaint/adapters.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"
#include "services/complaint/reporter.h"
#include "tests/services/complaint/complaint_fixture.h"

namespace netra::complaint::testing {

namespace v1 = netra::v1;

// Complaints with requests and answers as the API's messages, mapped as the handler maps them.
class ProtoFace {
 public:
  explicit ProtoFace(Complaints*& complaints) : target_(complaints) {}
  Result<netra::v1::SubmitComplaintResponse> Submit(const netra::v1::SubmitComplaintRequest& request,
                                                    const std::string& hash, const Actor& actor, absl::Time now) {
    auto result = target_->Submit(ToCommand(request), hash, actor, now);
    if (!result.ok()) return result.error();
    netra::v1::SubmitComplaintResponse out;
    ToProto(result.value().complaint, out.mutable_complaint());
    out.set_joined_existing_cluster(result.value().joined_existing_cluster);
    out.set_receipt(result.value().receipt);
    return out;
  }
  Result<netra::v1::Complaint> Transition(const netra::v1::TransitionComplaintRequest& request, const std::string& hash,
                                          const Actor& actor, absl::Time now) {
    return Mapped(AsStored(target_->Transition(ToCommand(request), hash, actor, now)));
  }
  Result<netra::v1::Complaint> RecordOutcome(const netra::v1::RecordOutcomeRequest& request, const std::string& hash,
                                             const Actor& actor, absl::Time now) {
    return Mapped(AsStored(target_->RecordOutcome(ToCommand(request), hash, actor, now)));
  }
  Result<netra::v1::Complaint> MarkForwarded(const std::string& id, const std::string& case_id, absl::Time now) {
    return Mapped(AsStored(target_->MarkForwarded(id, case_id, now)));
  }
  Result<netra::v1::Complaint> Get(const std::string& id) { return Mapped(target_->Get(id)); }
  Result<netra::v1::GetComplaintHistoryResponse> History(const netra::v1::GetComplaintHistoryRequest& request) {
    return Page<netra::v1::GetComplaintHistoryResponse>(target_->History(ToQuery(request)));
  }
  Result<netra::v1::ListComplaintsResponse> List(const netra::v1::ListComplaintsRequest& request) {
    return Page<netra::v1::ListComplaintsResponse>(target_->List(ToQuery(request)));
  }
  Result<netra::v1::GetComplaintStatsResponse> Stats(const netra::v1::GetComplaintStatsRequest& request,
                                                     absl::Time now) {
    return Page<netra::v1::GetComplaintStatsResponse>(target_->Stats(ToQuery(request), now));
  }

 private:
  // A change answers with the complaint as a read then finds it (the store
  // builds the answer without reading it back): checked on every change a
  // test makes, unless the answer is a retry's first one, of an older version.
  // The reporter's identity as the handler answers it: sealed (a recorded
  // first answer never holds it).
  Result<Complaint> AsStored(Result<Complaint> answer) {
    if (!answer.ok()) return answer;
    auto stored = target_->Get(answer.value().complaint_id);
    EXPECT_TRUE(stored.ok());
    if (stored.ok() && stored.value().version == answer.value().version) {
      Complaint sealed_answer = answer.value(), sealed_stored = stored.value();
      SealReporter(sealed_answer);
      SealReporter(sealed_stored);
      netra::v1::Complaint a, b;
      ToProto(sealed_answer, &a);
      ToProto(sealed_stored, &b);
      std::string differences;
      google::protobuf::util::MessageDifferencer diff;
      diff.ReportDifferencesToString(&differences);
      EXPECT_TRUE(diff.Compare(a, b)) << differences;
    }
    return answer;
  }
  static Result<netra::v1::Complaint> Mapped(const Result<Complaint>& result) {
    if (!result.ok()) return result.error();
    netra::v1::Complaint out;
    ToProto(result.value(), &out);
    return out;
  }
  template <class Message, class T>
  static Result<Message> Page(const Result<T>& result) {
    if (!result.ok()) return result.error();
    Message out;
    ToProto(result.value(), &out);
    return out;
  }
  Complaints*& target_;
};

// The domain started (ComplaintFixture), with the API's face (api_).
class ComplaintApiFixture : public ComplaintFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartComplaints());
    complaints_ptr_ = complaints_.get();
  }

  void Insert(const std::string& id, const std::string& code, Status status, int64_t received,
              int64_t updated) {
    db_->Write([&](Connection& c) {
      c.Prepare(
           "INSERT INTO complaints (id, tracking_code, status, received_at, updated_at, status_since, region_code, "
           "province, election_id, violation_codes, category, subject_key, needs_subject_review, cluster_id, "
           "is_primary, history_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?4, '33.74', '33', 'pemilu-2024', ',B2,', "
           "'discipline', '', 0, ?1, 1, zeroblob(32))")
          .Bind(1, id)
          .Bind(2, code)
          .Bind(3, static_cast<int64_t>(status))
          .Bind(4, received)
          .Bind(5, updated)
          .Run();
    });
  }

  double CacheRequests(const std::string& result) {
    for (const auto& family : metrics_.Collect()) {
      if (family.name != "netra_cache_requests_total") continue;
      for (const auto& metric : family.metric) {
        bool name = false, matches = false;
        for (const auto& label : metric.label) {
          name = name || (label.name == "cache" && label.value == "complaint_status");
          matches = matches || (label.name == "result" && label.value == result);
        }
        if (name && matches) return metric.counter.value;
      }
    }
    return -1;
  }

  static void ExpectInvalid(const Result<PublicStatus>& result, ViolationReason reason) {
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.error().kind, Error::Kind::kInvalidArgument);
    ASSERT_EQ(result.error().violations.size(), 1u);
    EXPECT_EQ(result.error().violations.list()[0].field, "tracking_code");
    EXPECT_EQ(result.error().violations.list()[0].reason, reason);
  }

  Complaints* complaints_ptr_ = nullptr;
  ProtoFace api_{complaints_ptr_};
};

inline const std::string kEvidence(64, 'a');
inline const std::string kSubject = "198503142010011001";

// A subject the registry knows and an evidence item stored: what a valid report names.
class ComplaintDomainFixture : public ComplaintApiFixture {
 protected:
  void SetUp() override {
    ComplaintApiFixture::SetUp();
    registry_.Add(kSubject, "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");
    Evidence e;
    e.evidence_id = kEvidence;
    e.size_bytes = 3;
    e.media_type = "text/plain";
    store_->InsertEvidence(e);
  }

  v1::Complaint Submit(const std::string& request_id, absl::Time now = kNow,
                       const std::function<void(v1::SubmitComplaintRequest&)>& mutate = {}) {
    auto request = ValidRequest();
    request.set_request_id(request_id);
    if (mutate) mutate(request);
    auto result = api_.Submit(request, RequestHashOf(request), public_, now);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    if (!result.ok()) return v1::Complaint();
    receipts_[result.value().complaint().complaint_id()] = result.value().receipt();
    return result.value().complaint();
  }

  Result<v1::Complaint> Act(const v1::Complaint& c, v1::ComplaintAction action, const std::string& reason = "",
                            const std::function<void(v1::TransitionComplaintRequest&)>& mutate = {}) {
    v1::TransitionComplaintRequest request = TransitionRequest(c, action, reason, ++transitions_);
    request.set_receipt(receipts_[c.complaint_id()]);  // the reporter's, for COMPLETE and WITHDRAW
    if (mutate) mutate(request);
    return api_.Transition(request, RequestHashOf(request), officer_, kNow + absl::Hours(1));
  }

  v1::Complaint MustAct(const v1::Complaint& c, v1::ComplaintAction action, const std::string& reason = "because") {
    auto result = Act(c, action, reason, [](auto& r) { r.mutable_forward()->set_review_summary("Kajian: terbukti."); });
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? result.value() : c;
  }

  v1::Complaint Reload(const v1::Complaint& c) { return api_.Get(c.complaint_id()).value(); }

  int64_t Count(const std::string& sql) {
    return db_->Read([&](Connection& c) {
      auto s = c.Prepare(sql);
      s.Step();
      return s.ColumnInt64(0);
    });
  }
  // Rows of `table` whose `column` (bytes) holds `text` anywhere.
  int64_t RowsHolding(const std::string& table, const std::string& column, const std::string& text) {
    const std::string holds = backend_ == Dialect::kSqlite ? "instr(" + column + ", CAST(?1 AS BLOB)) > 0"
                                                           : "position(convert_to(?1, 'UTF8') IN " + column + ") > 0";
    return db_->Read([&](Connection& c) {
      auto s = c.Prepare("SELECT COUNT(*) FROM " + table + " WHERE " + holds);
      s.Bind(1, text);
      s.Step();
      return s.ColumnInt64(0);
    });
  }

  Actor public_{"anonymous", Actor::Kind::kPublic, "", ""};
  Actor officer_{"bawaslu-33.74/officer-1", Actor::Kind::kPerson, "", "bawaslu-33.74"};
  int transitions_ = 0;
  std::map<std::string, std::string> receipts_;  // complaint id -> the receipt its submission returned
};

}  // namespace netra::complaint::testing

// The complaint service's use cases: each takes a command of complaint.h,
// checks it with the rules (intake.h), fetches what the rules need (the
// registry through Directory, the store), applies the workflow (workflow.h)
// and has the store commit the effects. Redis and metrics are reached
// through the ports of complaint.h; gRPC and proto never.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "common/history.h"
#include "common/nik.h"
#include "common/regions.h"
#include "common/result.h"
#include "services/complaint/complaint.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/intake.h"
#include "services/complaint/queries.h"
#include "services/complaint/reporter.h"
#include "services/complaint/workflow.h"

namespace netra::complaint {

struct ComplaintSettings {
  std::chrono::hours cluster_window{72};
  // First wait before an unresolved subject (registry down, employee unknown)
  // is looked up again; later waits grow with the complaint's age (up to a day).
  std::chrono::seconds subject_retry_interval{60};
  int stats_min_count = 5;
  // Public intake: per reporter contact and per peer address (fixed windows).
  int contact_limit = 10;
  std::chrono::seconds contact_window{3600};
  int peer_limit = 120;
  std::chrono::seconds peer_window{60};
  // Public status lookups by tracking code, per peer address.
  int status_peer_limit = 600;
  std::chrono::seconds status_peer_window{60};
  // How a reported person is matched (data/subject_matching.json).
  SubjectMatching subject_matching;
};

struct RateLimited {
  std::string limit;  // "contact", "peer" or "status_peer"
  std::chrono::milliseconds retry_after;
};

// Turns a forwarding effect into the outbox message the sanction service
// receives (peers.h: its OpenCaseRequest).
using ForwardingEncoder = std::function<std::string(const ForwardingRequest&)>;

// What Complaints is given besides the store.
struct ComplaintPorts {
  Directory& directory;
  TextCache& status_cache;   // public statuses by tracking code
  TextCache& request_cache;  // first answers to submissions, across replicas
  RateLimiter& limiter;
  ComplaintMetrics& metrics;
  ForwardingEncoder encode_forwarding;
};

struct SubmitResult {
  Complaint complaint;
  bool joined_existing_cluster = false;
  std::string receipt;  // the reporter's receipt secret (empty: its key was retired before a retry)
};

// A reveal: the reporter in clear, and the history entry that records it.
struct RevealResult {
  Reporter reporter;
  int64_t history_sequence = 0;
};

class Complaints {
 public:
  Complaints(ComplaintStore& store, ComplaintPorts ports, const RegionDirectory& regions,
             ViolationCatalogSource& catalog, const NikHasher& nik_hasher, const SealedBox& reporter_box,
             const RecordKeys& record_keys, ComplaintSettings settings);

  // Public intake limits (fail open, with a log line, while Redis is down).
  // Checked after EarlierSubmission, so that a retry is answered, not counted.
  std::optional<RateLimited> CheckIntakeLimits(std::string_view contact, std::string_view peer);
  // Tracking-code lookups per peer address (GetComplaintStatus), likewise.
  std::optional<RateLimited> CheckStatusLimit(std::string_view peer);

  // The first answer to an earlier submission under this request_id (the
  // request cache, then the store), or nullopt when there was none.
  std::optional<Result<SubmitResult>> EarlierSubmission(const std::string& request_id, const std::string& request_hash);

  // request_hash: the handler's hash of the request (a NIK in it replaced by
  // its HMAC), stored with the idempotency record.
  Result<SubmitResult> Submit(const SubmitCommand& command, const std::string& request_hash, const Actor& actor,
                              absl::Time now);
  // `may_change`: the caller's rule on the stored complaint (RuleOn).
  Result<Complaint> Transition(const TransitionCommand& command, const std::string& request_hash, const Actor& actor,
                               absl::Time now, const RuleOn<Complaint>& may_change = {});
  Result<Complaint> RecordOutcome(const OutcomeCommand& command, const std::string& request_hash, const Actor& actor,
                                  absl::Time now);
  // Unseals the reporter for `actor` (the handler has authorized it: Bawaslu
  // of the complaint's region), recording who, when and why in the history
  // before answering.
  Result<RevealResult> RevealReporter(const RevealCommand& command, const Actor& actor, absl::Time now);
  // Looks up again, through the registry, the subjects that are due (PENDING:
  // the registry could not be asked; NOT_FOUND: it did not know them yet).
  // A changed resolution is recorded as `complaint.subject_resolved`; one
  // still unresolved is scheduled again. Returns how many changed.
  int RetryUnresolvedSubjects(absl::Time now, int limit = 50);
  // The sanction service opened `case_id` for a forwarded complaint (the outbox delivery).
  Result<Complaint> MarkForwarded(const std::string& complaint_id, const std::string& case_id, absl::Time now);

  Result<Complaint> Get(std::string_view complaint_id);
  Result<ComplaintPage> List(const ListQuery& query);
  Result<HistoryPage> History(const HistoryQuery& query);
  Result<HistoryVerification> Verify(std::string_view complaint_id);
  Result<ComplaintStats> Stats(const StatsQuery& query, absl::Time now);

  // The public view of a complaint by its tracking code: status and dates only,
  // nothing about the reporter or the reported person. Lower-case input is accepted.
  Result<PublicStatus> GetPublicStatus(std::string_view tracking_code) const;
  Result<PublicView> GetPublicView(std::string_view tracking_code) const;

  // netra_complaints_open from the store.
  void RefreshOpenGauge();
  // Called after a change that queued an outbox message commits (wakes the dispatcher).
  void OnMessageQueued(std::function<void()> callback) { on_message_queued_ = std::move(callback); }

 private:
  struct Limit {
    std::string name, key;  // name: the RetryInfo.limit reported
    int max;                // 0: no limit
    std::chrono::seconds window;
  };
  std::optional<RateLimited> CheckLimits(const std::vector<Limit>& limits);
  // The first answer again, with its receipt derived again.
  Result<SubmitResult> Replayed(const std::string& recorded_hash, const RecordedAnswer& answer,
                                const std::string& request_hash) const;
  Result<Complaint> Commit(ComplaintChange change);
  // Evidence rows never change once stored (content-addressed), so they are
  // kept in memory after the first read.
  std::optional<Evidence> FindEvidence(const std::string& evidence_id);
  Result<TransitionInputs> InputsFor(const Complaint& current, const ComplaintRow& row,
                                     const TransitionCommand& command);

  ComplaintStore& store_;
  ComplaintPorts ports_;
  const RegionDirectory& regions_;
  ViolationCatalogSource& catalog_;
  const NikHasher& nik_hasher_;
  const SealedBox& reporter_box_;
  const RecordKeys& record_keys_;  // the statistics' record keys (disclosure.h)
  ComplaintSettings settings_;
  std::function<void()> on_message_queued_;
  std::atomic<bool> limits_failing_open_{false};
  std::mutex evidence_mu_;
  std::unordered_map<std::string, Evidence> evidence_;  // guarded by evidence_mu_
};

}  // namespace netra::complaint

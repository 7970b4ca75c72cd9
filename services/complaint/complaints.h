// The complaint service's domain: reports of partisan acts by civil servants,
// carried through Bawaslu's handling up to forwarding (DOMAIN.md section 4).
// Plain C++ over the netra.v1 messages as the record; the store, the cache,
// Redis and the registry are reached through small interfaces, never gRPC.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "common/deadlines.h"
#include "common/history.h"
#include "common/nik.h"
#include "common/redis.h"
#include "common/regions.h"
#include "common/result.h"
#include "netra/v1/complaint.pb.h"
#include "netra/v1/registry.pb.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/workflow.h"

namespace prometheus {
class Registry;
}

namespace netra::complaint {

// Public tracking codes: 10 characters from an alphabet without look-alikes
// (no 0/O, 1/I/L), ~49 bits from a CSPRNG, so codes cannot be guessed.
inline constexpr std::string_view kTrackingAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr size_t kTrackingCodeLength = 10;
bool IsWellFormedTrackingCode(std::string_view code);
std::string NewTrackingCode();
// "c-" and 24 hex digits from a CSPRNG.
std::string NewComplaintId();

// Size caps of the API (complaint.proto), in code points or items.
inline constexpr int kMaxNameChars = 200;
inline constexpr int kMaxAddressChars = 500;
inline constexpr int kMaxPlaceChars = 500;
inline constexpr int kMaxDescriptionChars = 10000;
inline constexpr int kMaxReasonChars = 2000;
inline constexpr int kMaxViolationCodes = 20;
inline constexpr int kMaxSourceUrls = 20;
inline constexpr int kMaxUrlChars = 2000;
inline constexpr int kMaxEvidence = 50;
inline constexpr size_t kMaxRequestBytes = 1 << 20;

struct ComplaintSettings {
  std::chrono::hours cluster_window{72};
  // First wait before an unresolved subject (registry down, employee unknown)
  // is looked up again; later waits grow with the complaint's age (up to a day).
  std::chrono::seconds subject_retry_interval{60};
  int stats_min_count = 5;
  // Public intake: per reporter contact and per peer address (fixed windows in Redis).
  int contact_limit = 10;
  std::chrono::seconds contact_window{3600};
  int peer_limit = 120;
  std::chrono::seconds peer_window{60};
  // Public status lookups by tracking code, per peer address.
  int status_peer_limit = 600;
  std::chrono::seconds status_peer_window{60};
};

// What the domain needs from the registry (RegistryClient in production).
class RegistryPort {
 public:
  virtual ~RegistryPort() = default;
  // NotFound / Unavailable as RegistryClient.
  virtual Result<netra::v1::Employee> FindEmployee(std::string_view employee_id) = 0;
  // Employees whose name matches `name` in `region_code` (a province or kab/kota; empty: anywhere), at most `limit`.
  virtual Result<std::vector<netra::v1::Employee>> SearchEmployees(std::string_view name, std::string_view region_code,
                                                                   int limit) = 0;
  virtual Result<netra::v1::Election> FindElection(std::string_view election_id) = 0;
};

// The violation codes of the catalog and their category ("ethics", "discipline").
class ViolationCodes {
 public:
  static Result<ViolationCodes> FromCatalogJson(std::string_view json);
  explicit ViolationCodes(std::map<std::string, std::string, std::less<>> categories)
      : categories_(std::move(categories)) {}
  bool Contains(std::string_view code) const { return categories_.count(code) > 0; }
  // The category of a complaint's codes: the one they share, else "unknown".
  std::string CategoryOf(const google::protobuf::RepeatedPtrField<std::string>& codes) const;

 private:
  std::map<std::string, std::string, std::less<>> categories_;
};

// The catalog in force as the sanction service last published it
// (PutViolationCatalog): fetched again when older than `ttl`, by the calling
// thread (one at a time; the others keep using the last one meanwhile). Until
// a fetch succeeds, and whenever fetching fails, the last catalog stays in
// force; the first is the shipped data file.
class ViolationCatalogSource {
 public:
  // nullopt: the catalog could not be fetched (Redis and the sanction service down).
  using Fetch = std::function<std::optional<ViolationCodes>()>;
  ViolationCatalogSource(ViolationCodes shipped, Fetch fetch, std::chrono::milliseconds ttl);
  std::shared_ptr<const ViolationCodes> Current();

 private:
  const Fetch fetch_;
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::shared_ptr<const ViolationCodes> current_;      // guarded by mu_
  std::chrono::steady_clock::time_point checked_{};  // guarded by mu_; epoch: never
  bool fetching_ = false;                            // guarded by mu_
  bool failing_ = false;                             // guarded by mu_ (one log line per outage)
};

// Every problem with a submission (field paths as in the request). Existence
// of the election and of evidence ids needs the registry / store and is
// checked by Complaints::Submit.
Violations ValidateSubmission(const netra::v1::SubmitComplaintRequest& request, const RegionDirectory& regions,
                              const ViolationCodes& codes, absl::Time now);

// The formal and material requirements (DOMAIN.md section 4) a complaint lacks.
std::vector<netra::v1::ComplaintRequirement> MissingRequirements(const netra::v1::Complaint& complaint);

// The deadline of an election rule for an event in a region (its time zone,
// the election's holidays there); nullopt when the rule is not used (0 days).
std::optional<netra::v1::Deadline> RuleDeadline(absl::Time event, const netra::v1::DeadlineRule& rule,
                                                const netra::v1::Election& election, const Region* region);
// End of the report window: from known_time (a finding: the finding window;
// during the quiet period and on voting day the election's hour-based window).
std::optional<netra::v1::Deadline> ReportDeadline(const netra::v1::Complaint& complaint,
                                                  const netra::v1::Election& election, const Region* region);

// Case- and space-folded name, for matching and clustering keys.
std::string FoldName(std::string_view name);
// Resolves the reported person through the registry (never fails: an
// unresolved subject keeps the complaint valid and is flagged for a person).
netra::v1::SubjectResolution ResolveSubject(const netra::v1::Subject& subject, RegistryPort& registry,
                                            absl::Time now);
// Who a complaint is about, for near-duplicate clustering; empty when unknown.
std::string SubjectKey(const netra::v1::Subject& subject, const netra::v1::SubjectResolution& resolution);

// Removes what a caller who may not see a hidden reporter must not see.
void RedactReporter(netra::v1::Complaint& complaint, bool reveal_hidden_identity);

struct RateLimited {
  std::string limit;  // "contact", "peer" or "status_peer"
  std::chrono::milliseconds retry_after;
};

struct PublicView {
  PublicStatus status;
  std::optional<netra::v1::Deadline> completion;
  std::vector<netra::v1::ComplaintRequirement> missing;
};

class Complaints {
 public:
  Complaints(ComplaintStore& store, Cache& status_cache, RedisClient& redis, RegistryPort& registry,
             const RegionDirectory& regions, ViolationCatalogSource& catalog, const NikHasher& nik_hasher,
             ComplaintSettings settings, prometheus::Registry* metrics);
  ~Complaints();

  // Public intake limits (fail open, with a log line, while Redis is down).
  // Checked after EarlierSubmission, so that a retry is answered, not counted.
  std::optional<RateLimited> CheckIntakeLimits(std::string_view contact, std::string_view peer);
  // Tracking-code lookups per peer address (GetComplaintStatus), likewise.
  std::optional<RateLimited> CheckStatusLimit(std::string_view peer);

  // The first answer to an earlier submission under this request_id (Redis,
  // then the store), or nullopt when there was none.
  std::optional<Result<netra::v1::SubmitComplaintResponse>> EarlierSubmission(const std::string& request_id,
                                                                             const std::string& request_hash);

  // request_hash: the handler's RequestHashOf the request (a NIK in it
  // replaced by its HMAC), stored with the idempotency record.
  Result<netra::v1::SubmitComplaintResponse> Submit(const netra::v1::SubmitComplaintRequest& request,
                                                    const std::string& request_hash, const Actor& actor,
                                                    absl::Time now);
  Result<netra::v1::Complaint> Transition(const netra::v1::TransitionComplaintRequest& request,
                                          const std::string& request_hash, const Actor& actor, absl::Time now);
  Result<netra::v1::Complaint> RecordOutcome(const netra::v1::RecordOutcomeRequest& request,
                                             const std::string& request_hash, const Actor& actor, absl::Time now);
  // Looks up again, through the registry, the subjects that are due (PENDING:
  // the registry could not be asked; NOT_FOUND: it did not know them yet).
  // A changed resolution is recorded as `complaint.subject_resolved`; one
  // still unresolved is scheduled again. Returns how many changed.
  int RetryUnresolvedSubjects(absl::Time now, int limit = 50);
  // The sanction service opened `case_id` for a forwarded complaint (the outbox delivery).
  Result<netra::v1::Complaint> MarkForwarded(const std::string& complaint_id, const std::string& case_id,
                                             absl::Time now);

  Result<netra::v1::Complaint> Get(std::string_view complaint_id);
  Result<netra::v1::ListComplaintsResponse> List(const netra::v1::ListComplaintsRequest& request);
  Result<netra::v1::GetComplaintHistoryResponse> History(const netra::v1::GetComplaintHistoryRequest& request);
  Result<HistoryVerification> Verify(std::string_view complaint_id);
  Result<netra::v1::GetComplaintStatsResponse> Stats(const netra::v1::GetComplaintStatsRequest& request,
                                                     absl::Time now);

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
  struct Metrics;
  Result<netra::v1::Complaint> ApplyChange(const ComplaintChange& change);
  Result<std::string> CheckedTrackingCode(std::string_view tracking_code) const;
  void ObserveApplied(const AppliedChange& applied);
  // Evidence rows never change once stored (content-addressed), so they are
  // kept in memory after the first read.
  std::optional<netra::v1::Evidence> FindEvidence(const std::string& evidence_id);

  ComplaintStore& store_;
  Cache& status_cache_;
  RedisClient& redis_;
  RegistryPort& registry_;
  const RegionDirectory& regions_;
  ViolationCatalogSource& catalog_;
  const NikHasher& nik_hasher_;
  ComplaintSettings settings_;
  std::unique_ptr<Metrics> metrics_;
  std::function<void()> on_message_queued_;
  std::mutex evidence_mu_;
  std::unordered_map<std::string, netra::v1::Evidence> evidence_;  // guarded by evidence_mu_
};

}  // namespace netra::complaint

// Complaints (DOMAIN.md section 4): reports of partisan acts by civil
// servants, carried through Bawaslu's handling up to forwarding. Plain C++:
// the data a complaint holds, the commands that change it and the ports the
// rules need (the registry, rate limits, the status cache, metrics). No
// gRPC, proto, SQL or Redis here; complaint_proto.h maps to and from netra.v1.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/dates.h"
#include "common/deadlines.h"
#include "common/identifiers.h"
#include "common/result.h"

namespace netra::complaint {

// Enumerations are numbered as their netra.v1 counterparts (complaint_proto.cc
// asserts it); 0 is "unspecified" where the API has it.
enum class ComplaintStatus {
  kUnspecified = 0,
  kReceived = 1,
  kIncomplete = 2,
  kCompleted = 3,
  kRegistered = 4,
  kUnderReview = 5,
  kForwarded = 6,
  kClosed = 7,
  kRejected = 8,
  kWithdrawn = 9,
  kDismissed = 10,
};
using Status = ComplaintStatus;

// The actions of TransitionComplaint plus the one the sanction service takes
// through RecordOutcome.
enum class Action {
  kUnspecified = 0,
  kRequestCompletion = 1,
  kComplete = 2,
  kRegister = 3,
  kReject = 4,
  kWithdraw = 5,
  kStartReview = 6,
  kExtendHandling = 7,
  kDismiss = 8,
  kForward = 9,
  kResolveSubject = 10,
  kRecordOutcome = 100,  // RecordOutcome from the sanction service; not a TransitionComplaint action
};
inline constexpr int kLastTransitionAction = 10;

enum class IntakeChannel { kUnspecified = 0, kPublicPortal, kBawasluOffice, kRegionalStaffingOffice, kNationalChannel };
inline constexpr int kLastIntakeChannel = 4;
enum class ReporterKind { kUnspecified = 0, kVoter, kElectionParticipant, kMonitor, kBawasluFinding, kAgency };
inline constexpr int kLastReporterKind = 5;
enum class ResolutionStatus {
  kUnspecified = 0,
  kResolvedByNumber,
  kResolvedByName,
  kResolvedByPerson,
  kAmbiguous,
  kNotFound,
  kPending,
};
// A formal or material requirement of a report.
enum class Requirement {
  kUnspecified = 0,
  kReporterName,
  kReporterAddress,
  kSubject,
  kOccurredTime,
  kPlace,
  kDescription,
  kEvidence,
};
enum class ForwardingStatus { kUnspecified = 0, kPending, kDone, kRefused };
// The sanction service's enumerations, kept as their numbers (netra.v1.CaseOutcome,
// SanctionLevel, SanctionForm); their ranges are checked at RecordOutcome.
inline constexpr int kLastCaseOutcome = 3;
inline constexpr int kSanctionedOutcome = 1;
inline constexpr int kLastSanctionLevel = 6;
inline constexpr int kLastSanctionForm = 14;

std::string_view Name(Status status);             // "COMPLAINT_STATUS_RECEIVED"
std::string_view Name(ResolutionStatus status);   // "SUBJECT_RESOLUTION_STATUS_PENDING"
std::string_view Name(Requirement requirement);   // "COMPLAINT_REQUIREMENT_EVIDENCE"
std::string_view CaseOutcomeName(int outcome);    // "CASE_OUTCOME_SANCTIONED"
// "COMPLAINT_ACTION_REGISTER", "RecordOutcome".
std::string ActionName(Action action);
// "received", "under_review" (metric labels, history payloads).
std::string StatusLabel(Status status);

// ------------------------------------------------------------------ the data

struct StaffingAuthority {
  std::string code, name, region_code;
  friend bool operator==(const StaffingAuthority&, const StaffingAuthority&) = default;
};

// The registry's employee as a complaint keeps it (netra.v1.EmployeeRef).
struct EmployeeRef {
  std::string employee_id;
  int employee_type = 0;  // netra.v1.EmployeeType
  std::string name, agency_code, agency_name, unit_name, position, work_region_code;
  StaffingAuthority ppk;
  int64_t registry_version = 0;
  friend bool operator==(const EmployeeRef&, const EmployeeRef&) = default;
};

// What a complaint takes from its election: the deadline rules and days off.
struct ElectionTerms {
  std::string election_id;
  DeadlineRule report_window, finding_window, completion, initial_review, handling, handling_extended;
  int quiet_period_report_window_hours = 0;
  std::optional<absl::CivilDay> quiet_period_start, voting_day;
  struct Holiday {
    absl::CivilDay day;
    std::string region_code;  // empty: nationwide
  };
  std::vector<Holiday> holidays;
};

// The reporter. Their identity (name, address, contact, organization, NIK
// hash) is sealed: encrypted at rest, never in a general answer, a recorded
// answer, history or a log; only RevealReporter shows it.
struct Reporter {
  ReporterKind kind = ReporterKind::kUnspecified;
  std::string name, address, contact, organization;
  std::string nik;       // only in a submission; never stored (its keyed hash is)
  std::string nik_hash;  // HMAC-SHA256 of the NIK under the NIK key; stored sealed, never answered
  bool identity_hidden = false;
  bool nik_on_file = false;
  bool sealed = false;  // output only: SealReporter removed the identity from this answer
  friend bool operator==(const Reporter&, const Reporter&) = default;
};

// What proves a reporter's own actions (COMPLETE, WITHDRAW): never the
// secret, only its hash and what derives it again under the reporter key.
struct ReceiptOnFile {
  std::string key_id, salt, hash;  // hash: SHA-256 of the secret; all empty: none (stored before receipts)
  friend bool operator==(const ReceiptOnFile&, const ReceiptOnFile&) = default;
};

struct Subject {
  std::string employee_number, name, agency_name, region_code, position;
  friend bool operator==(const Subject&, const Subject&) = default;
};

// What a candidate matched on (netra.v1.SubjectMatch).
enum class SubjectMatch {
  kUnspecified = 0,
  kFullName,      // the whole folded name (common/names.h FoldName)
  kNameSpelling,  // the name in old or new spelling (SpellingKey)
  kNameSpacing,   // the name with its words joined otherwise ("Nur Aini" / "Nuraini")
  kPartialName,   // some words of the name (the registry's token-prefix search)
  kAgency,        // the agency named in the report
  kRegion,        // the region named in the report
};
inline constexpr int kLastSubjectMatch = static_cast<int>(SubjectMatch::kRegion);

struct SubjectCandidate {
  EmployeeRef employee;
  double score = 0;
  std::vector<SubjectMatch> matched;
  friend bool operator==(const SubjectCandidate&, const SubjectCandidate&) = default;
};

struct SubjectResolution {
  ResolutionStatus status = ResolutionStatus::kUnspecified;
  std::optional<EmployeeRef> employee;
  std::vector<SubjectCandidate> candidates;
  bool needs_review = false;
  std::optional<absl::Time> resolve_time;
  friend bool operator==(const SubjectResolution&, const SubjectResolution&) = default;
};

// An instant a client sent that is not a valid timestamp (nanos out of
// range); the domain reports it on its field.
inline const absl::Time kMalformedInstant = absl::InfinitePast();

struct Act {
  std::string election_id;
  std::vector<std::string> violation_codes;
  std::optional<absl::Time> occurred_time, known_time;
  std::string region_code, place, description;
  std::vector<std::string> source_urls;
  friend bool operator==(const Act&, const Act&) = default;
};

struct Evidence {
  std::string evidence_id;  // lower-case hex SHA-256 of the content
  std::string sha256;       // the 32 raw bytes
  int64_t size_bytes = 0;
  std::string media_type, file_name;
  absl::Time upload_time;
  friend bool operator==(const Evidence&, const Evidence&) = default;
};

struct ComplaintDeadlines {
  std::optional<Deadline> report, completion, initial_review, handling;
  bool handling_extended = false;
  friend bool operator==(const ComplaintDeadlines&, const ComplaintDeadlines&) = default;
};

struct ClusterInfo {
  std::string cluster_id, primary_complaint_id;
  int32_t member_count = 1;
  bool is_primary = true;
  friend bool operator==(const ClusterInfo&, const ClusterInfo&) = default;
};

struct Forwarding {
  ForwardingStatus status = ForwardingStatus::kUnspecified;  // unspecified: never forwarded
  std::string case_id;
  std::vector<std::string> violation_codes;
  std::string review_summary, review_document_number;
  std::optional<absl::Time> request_time, done_time, refuse_time;
  int32_t attempts = 0;    // delivery state, from the outbox when read
  std::string last_error;  // likewise
  friend bool operator==(const Forwarding&, const Forwarding&) = default;
};

struct Outcome {
  std::string case_id;
  int outcome = 0;  // netra.v1.CaseOutcome
  int level = 0;    // netra.v1.SanctionLevel
  std::vector<int> forms;  // netra.v1.SanctionForm
  std::string decree_number;
  Date decree_date;
  std::string decided_by;
  int64_t case_version = 0;
  absl::Time record_time;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

struct Complaint {
  std::string complaint_id, tracking_code;
  Status status = Status::kUnspecified;
  IntakeChannel channel = IntakeChannel::kUnspecified;
  Reporter reporter;
  Subject subject;
  SubjectResolution subject_resolution;
  Act act;
  std::vector<Evidence> evidence;
  std::vector<Requirement> missing_requirements;
  bool late = false;
  ComplaintDeadlines deadlines;
  ClusterInfo cluster;
  Forwarding forwarding;
  std::optional<Outcome> outcome;
  std::string status_reason;
  int64_t version = 0;
  absl::Time received_time, update_time;
  int64_t history_head_sequence = 0;
  ReceiptOnFile receipt;
  friend bool operator==(const Complaint&, const Complaint&) = default;
};

// ------------------------------------------------------------------ commands

struct SubmitCommand {
  // Enumerations hold what was sent, possibly out of range (the rules check them).
  std::string request_id;
  IntakeChannel channel = IntakeChannel::kUnspecified;
  Reporter reporter;
  Subject subject;
  Act act;
  std::vector<std::string> evidence_ids;
  size_t request_bytes = 0;  // the encoded request's size
};

struct Amendment {
  Reporter reporter;  // non-empty fields replace; nothing is cleared
  Subject subject;
  Act act;
  std::vector<std::string> add_evidence_ids;
};

struct ForwardDetails {
  std::vector<std::string> violation_codes;  // empty: the act's
  std::string review_summary, review_document_number;
};

struct TransitionCommand {
  std::string request_id, complaint_id;
  Action action = Action::kUnspecified;  // as sent, possibly out of range
  std::string reason;
  int64_t expected_version = 0;
  Amendment amendment;                // kComplete
  ForwardDetails forward;             // kForward
  std::string subject_employee_id;    // kResolveSubject
  std::string receipt;                // kComplete, kWithdraw: the reporter's receipt secret
};

// RevealReporter: Bawaslu of the complaint's region unseals its reporter, saying why.
struct RevealCommand {
  std::string complaint_id, reason;
};

struct OutcomeCommand {
  std::string request_id, complaint_id, case_id;
  int outcome = 0, level = 0;
  std::vector<int> forms;
  std::string decree_number;
  std::optional<Date> decree_date;
  std::string decided_by;
  int64_t case_version = 0, expected_version = 0;
};

// ------------------------------------------------------------------ ports

// What the complaint service reads from the registry.
class Directory {
 public:
  virtual ~Directory() = default;
  // NOT_FOUND / INVALID_ARGUMENT / UNAVAILABLE as the registry answered (peer_status.h).
  virtual Result<EmployeeRef> FindEmployee(std::string_view employee_id) = 0;
  // Employees whose name matches `name` in `region_code` (a province or kab/kota; empty: anywhere), at most `limit`.
  virtual Result<std::vector<EmployeeRef>> SearchEmployees(std::string_view name, std::string_view region_code,
                                                           int limit) = 0;
  virtual Result<ElectionTerms> FindElection(std::string_view election_id) = 0;
};

// Fixed-window counters (Redis in production). nullopt: the counter cannot be
// reached (the caller fails open).
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // The window's count after this call.
  virtual std::optional<int64_t> Increment(const std::string& key, std::chrono::seconds window) = 0;
  // How long until the window of `key` resets (asked only when over the limit).
  virtual std::chrono::milliseconds ResetsIn(const std::string& key) = 0;
};

// A shared cache of short texts (Redis in production), read through.
class TextCache {
 public:
  virtual ~TextCache() = default;
  virtual std::optional<std::string> GetOrLoad(const std::string& key, std::chrono::seconds ttl,
                                               const std::function<std::optional<std::string>()>& load) = 0;
  virtual std::optional<std::string> Get(const std::string& key) = 0;
  virtual void Set(const std::string& key, const std::string& value, std::chrono::seconds ttl) = 0;
  virtual void Invalidate(const std::string& key) = 0;
};

// What the service counts (Prometheus in production).
class ComplaintMetrics {
 public:
  virtual ~ComplaintMetrics() = default;
  virtual void Received(const std::string& province, const std::string& category, bool opened_cluster) = 0;
  virtual void RateLimited(const std::string& limit) = 0;
  virtual void StageLeft(Status stage, double seconds) = 0;
  // Open complaints by province and status label, the whole set each time.
  virtual void OpenCounts(const std::map<std::pair<std::string, std::string>, int64_t>& counts) = 0;
};

// Counts nothing (tests, tools).
class NoMetrics final : public ComplaintMetrics {
 public:
  void Received(const std::string&, const std::string&, bool) override {}
  void RateLimited(const std::string&) override {}
  void StageLeft(Status, double) override {}
  void OpenCounts(const std::map<std::pair<std::string, std::string>, int64_t>&) override {}
};

}  // namespace netra::complaint

// Intake rules: what a submission, a transition or an outcome must hold,
// tracking codes, the violation codes in force, what a report lacks, its
// deadlines and who it is about. Plain C++ over complaint.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/regions.h"
#include "common/validation.h"
#include "services/complaint/complaint.h"

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

// The violation codes of the catalog and their category ("ethics", "discipline").
class ViolationCodes {
 public:
  static Result<ViolationCodes> FromCatalogJson(std::string_view json);
  explicit ViolationCodes(std::map<std::string, std::string, std::less<>> categories)
      : categories_(std::move(categories)) {}
  bool Contains(std::string_view code) const { return categories_.count(code) > 0; }
  // The category of a complaint's codes: the one they share, else "unknown".
  std::string CategoryOf(const std::vector<std::string>& codes) const;

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

// Every problem with a command (field paths as in the request). Existence of
// the election, of evidence ids and of employees needs the registry / store
// and is checked by Complaints.
Violations ValidateSubmission(const SubmitCommand& command, const RegionDirectory& regions, const ViolationCodes& codes,
                              absl::Time now);
Violations ValidateTransition(const TransitionCommand& command, const RegionDirectory& regions,
                              const ViolationCodes& codes, absl::Time now);
Violations ValidateOutcome(const OutcomeCommand& command);

// An id of a resource the client refers to: 1-128 chars of [A-Za-z0-9._:-].
void CheckId(std::string_view id, const std::string& field, bool required, Violations& v);
// A client's instant: a valid timestamp, not in the future (beyond clock drift).
void CheckInstant(const std::optional<absl::Time>& t, const std::string& field, absl::Time now, Violations& v);

// The formal and material requirements (DOMAIN.md section 4) a complaint lacks.
std::vector<Requirement> MissingRequirements(const Complaint& complaint);

// The deadline of an election rule for an event in a region (its time zone,
// the election's holidays there); nullopt when the rule is not used (0 days).
std::optional<Deadline> RuleDeadline(absl::Time event, const DeadlineRule& rule, const ElectionTerms& election,
                                     const Region* region);
// End of the report window: from known_time (a finding: the finding window;
// during the quiet period and on voting day the election's hour-based window).
std::optional<Deadline> ReportDeadline(const Complaint& complaint, const ElectionTerms& election, const Region* region);

// How a reported person is matched against the registry: scores and the
// rule for resolving without a person (docs/complaint-workflow.md, "Who the
// report is about"). Shipped as data/subject_matching.json.
struct SubjectMatching {
  int search_limit = 50;    // employees asked of the registry per search
  int max_candidates = 10;  // candidates kept on the complaint
  // Scores: one of the name's, plus agency and region when they agree.
  double full_name = 0.6, name_spelling = 0.45, name_spacing = 0.45, partial_name = 0.3;
  double agency = 0.3, region = 0.1;
  // Whether a name alone (no agency, no region in the report) may resolve.
  bool name_alone_resolves = false;
  static Result<SubjectMatching> FromJson(std::string_view json);
};
inline constexpr std::string_view kSubjectMatchingFile = "subject_matching.json";
// The section of docs/complaint-workflow.md on matching names, from `rules`
// and the tables of common/names.h.
std::string SubjectMatchingMarkdown(const SubjectMatching& rules);

// Resolves the reported person through the registry (never fails: an
// unresolved subject keeps the complaint valid and is flagged for a person).
// By number: the employee with that number. By name: resolved only when
// exactly one employee's whole folded name is the report's and that one is
// in the reported agency and region; everyone else found (partial names,
// spelling or spacing variants, other agencies or regions) is a candidate
// with its score and what matched, and the complaint waits for a person
// (RESOLVE_SUBJECT).
SubjectResolution ResolveSubject(const Subject& subject, Directory& directory, absl::Time now,
                                 const SubjectMatching& rules = {});
// The registry could not be asked (PENDING) or did not know the person (NOT_FOUND).
bool Unresolved(const SubjectResolution& resolution);
// Who a complaint is about, for near-duplicate clustering; empty when unknown.
std::string SubjectKey(const Subject& subject, const SubjectResolution& resolution);
// A name-based subject key as SubjectKey gives it now, from the key text
// alone ("n:<folded name>|<region code>"); keys that are no names come back
// as they are. Used for keys whose complaint no longer names that subject.
std::string RefoldedSubjectKey(std::string_view stored_key);

// The registry's failure to give what the caller named in `field`: an id it
// does not know is a violation on that field, one it rejects keeps the
// registry's reason, and anything else keeps its kind (peer_status.h), so a
// refusal is never reported as an outage.
Error RegistryFailure(const Error& error, const std::string& field, const std::string& what);

// A new report as the rules make it, before the store gives it a cluster.
struct NewReport {
  Complaint complaint;
  std::string subject_key;  // empty: never clustered
  std::vector<std::string> violation_codes;  // sorted
  std::string province, category;
};
// The complaint a validated submission becomes: status, requirements,
// deadlines and lateness from the election's rules.
NewReport BuildReport(const SubmitCommand& command, std::vector<Evidence> evidence, SubjectResolution resolution,
                      const ElectionTerms& election, const RegionDirectory& regions, const ViolationCodes& codes,
                      absl::Time now);

}  // namespace netra::complaint

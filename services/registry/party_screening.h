// Party-membership screening (DOMAIN.md "Prevention"; issue 3): party member
// lists (e.g. KPU's SIPOL) arrive keyed by the HMAC of the NIK under the
// registry's key, never a clear NIK, and are matched against the employees'
// NIK hashes. A match is then resolved by the staffing office: the employee
// is a party member (a discipline matter for the complaint flow later), or
// their identity was misused (they signed a statement; only the party can
// delete the entry). Plain C++; storage is PartyScreeningRecords.
//
// Matching works in both directions: importing members matches every
// employee on file (so re-importing a list also catches an employee whose NIK
// was added later), and employees inserted after the list are matched when
// matches are next listed (a rowid watermark: only the new employees are
// read). Employee writes carry no extra cost, which keeps bulk imports fast
// (a trigger on employees measured 25-60% slower imports).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/time/time.h"
#include "common/regions.h"
#include "common/result.h"
#include "services/registry/elections.h"
#include "services/registry/employees.h"

namespace netra::registry {


// Numbered as netra.v1.PartyRole / PartyMembershipMatchStatus.
enum class PartyRole { kUnspecified = 0, kMember = 1, kOfficer = 2 };
enum class MatchStatus { kUnspecified = 0, kOpen = 1, kConfirmedMember = 2, kIdentityMisuse = 3 };

// A status by its netra.v1 value name ("PARTY_MEMBERSHIP_MATCH_STATUS_OPEN"),
// as FAILED_PRECONDITION details name states and actions.
std::string_view MatchStatusName(MatchStatus status);

// One record of a party's member list.
struct PartyMember {
  int64_t row_number = 0;
  std::string nik_hmac;  // 32 bytes
  std::string party_code, party_name, region_code;
  PartyRole role = PartyRole::kUnspecified;  // stored as kMember
};

struct PartyMatch {
  int64_t match_seq = 0;  // match_id is "pm-<match_seq>"
  std::string employee_id;
  std::optional<Employee> employee;  // the current snapshot, when the employee is still on file
  std::string party_code, party_name, party_region_code;
  PartyRole role = PartyRole::kMember;
  MatchStatus status = MatchStatus::kOpen;
  std::string statement_reference;
  std::optional<Date> statement_date;
  std::string note, resolved_by, source_name;
  absl::Time match_time, resolve_time;  // resolve_time: absl::InfinitePast() while open
  int64_t version = 1;

  std::string match_id() const { return "pm-" + std::to_string(match_seq); }
};

// What one stored batch of members found.
struct MemberBatchResult {
  int64_t matched = 0;      // records whose NIK hash is an employee's
  int64_t new_matches = 0;  // matches created by this batch
  std::map<std::string, int64_t> new_by_province;  // of new_matches, by the employee's 2-digit province
};

struct PartyImportSummary {
  int64_t received = 0, accepted = 0, rejected = 0, matched = 0, new_matches = 0;
  int64_t outside_region = 0;  // of rejected: outside the region the import is confined to
  std::map<std::string, int64_t> new_by_province;
  std::vector<RowError> row_errors;  // the first max_row_errors, in row order
  bool row_errors_truncated = false;
};

struct MatchQuery {
  MatchStatus status = MatchStatus::kUnspecified;  // any
  std::string region_code, agency_code, party_code;
  int page_size = 0;
  std::string page_token;
};

struct MatchPage {
  std::vector<PartyMatch> matches;  // oldest first, then by id
  std::string next_page_token;
};

struct ResolveMatchCommand {
  std::string request_id;
  std::string match_id;
  MatchStatus resolution = MatchStatus::kUnspecified;
  std::string statement_reference;
  std::optional<Date> statement_date;
  std::string note;
  int64_t expected_version = 0;  // 0: no check
};

// The outcome of a resolution; `replayed` when it repeats an earlier request.
struct MatchResolution {
  PartyMatch match;
  bool replayed = false;
};

class PartyScreening;

// One running ImportPartyMembers: records are validated as they arrive and
// stored in batches, each in one transaction (members upserted on
// (nik_hmac, party_code), matches created). A stream cut off mid-way leaves
// the committed batches committed; importing the same list again only
// refreshes the records (no new matches).
class PartyImport {
 public:
  // Validates and queues one record; stores a full batch. An Error means the
  // store failed (the import stops; committed batches stay).
  std::optional<Error> Add(PartyMember member);
  // Confines the import to `region_code` (a province or kab/kota; "" =
  // anywhere): a record whose region_code is empty or lies outside it is
  // rejected like an invalid one (counted in summary().outside_region).
  void ConfineTo(std::string region_code) { region_ = std::move(region_code); }
  Result<PartyImportSummary> Finish();
  const PartyImportSummary& summary() const { return summary_; }

 private:
  friend class PartyScreening;
  PartyImport(PartyScreening& screening, std::string source_name, int max_row_errors, absl::Time now)
      : screening_(screening), source_name_(std::move(source_name)), max_row_errors_(max_row_errors), now_(now) {}
  std::optional<Error> Flush();

  PartyScreening& screening_;
  std::string source_name_;
  int max_row_errors_;
  absl::Time now_;
  std::vector<PartyMember> batch_;
  std::unordered_set<std::string> seen_;  // nik_hmac + party_code of this import
  std::string region_;                    // ConfineTo
  PartyImportSummary summary_;
};

// The domain's view of its storage: PartyScreeningStore (party_screening_store.h) implements it
// on SQLite.
// A match filter in store terms (validated by the domain).
struct MatchFilter {
  MatchStatus status = MatchStatus::kUnspecified;  // any
  std::string region_code;  // the employee's work region equal to it or below it; empty = any
  std::string agency_code, party_code;
  std::optional<std::pair<int64_t, int64_t>> after;  // (match_time micros, match_seq) of the last row seen
  int limit = 50;
};

class PartyScreeningRecords {
 public:
  virtual ~PartyScreeningRecords() = default;

  // Upserts validated member records and creates their matches, in one transaction.
  virtual Result<MemberBatchResult> StoreMembers(std::span<const PartyMember> members,
                                                 const std::string& source_name, absl::Time now) = 0;
  virtual Result<std::vector<PartyMatch>> ListMatches(const MatchFilter& filter) = 0;
  virtual Result<std::optional<PartyMatch>> FindMatch(int64_t match_seq) = 0;
  // Matches the employees stored since the last call against the member
  // records; the number of new matches.
  virtual Result<int64_t> MatchNewEmployees(absl::Time now) = 0;
  // In one transaction: a request_id recorded for this method returns the
  // match it resolved (INVALID_ARGUMENT when `fingerprint` differs); else the
  // match is loaded (NOT_FOUND), `decide` turns it into the resolved match or
  // an error, and the result is written with the request record.
  using Decide = std::function<Result<PartyMatch>(const PartyMatch& current)>;
  virtual Result<MatchResolution> Resolve(const std::string& request_id, const std::string& fingerprint,
                                          int64_t match_seq, const Decide& decide) = 0;
  // Idempotency records of whole requests (a completed import).
  virtual Result<std::optional<std::pair<std::string, std::string>>> FindRequest(std::string_view method,
                                                                                 const std::string& request_id) = 0;
  virtual Result<bool> RecordRequest(std::string_view method, const std::string& request_id,
                                     const std::string& request_hash, const std::string& response) = 0;
};

class PartyScreening {
 public:
  static constexpr int kDefaultMaxRowErrors = 100, kMaxRowErrors = 10000;
  static constexpr int kMaxRecordsPerMessage = 10000;
  static constexpr size_t kBatchRecords = 2000;
  static constexpr int kMaxPartyCodeLength = 32, kMaxPartyNameLength = 200, kMaxSourceNameLength = 200;
  static constexpr int kMaxStatementReferenceLength = 200, kMaxNoteLength = 2000;

  PartyScreening(PartyScreeningRecords& store, EmployeeDirectory& employees, const RegionDirectory& regions)
      : store_(store), employees_(employees), regions_(regions) {}

  // Validates the stream's first message (source_name, max_row_errors; 0 =
  // the default) and starts an import.
  Result<std::unique_ptr<PartyImport>> StartImport(const std::string& source_name, int max_row_errors,
                                                   absl::Time now);
  // Every problem of one record, with field paths relative to the record.
  Violations Validate(const PartyMember& member) const;
  // A completed import's stored {request_hash, response} under request_id.
  Result<std::optional<std::pair<std::string, std::string>>> FindImport(const std::string& request_id);
  Result<bool> RecordImport(const std::string& request_id, const std::string& request_hash,
                            const std::string& response);

  Result<MatchPage> List(const MatchQuery& query);
  // One match with its employee's snapshot; NOT_FOUND when there is none.
  Result<PartyMatch> Find(const std::string& match_id);
  // open -> confirmed_member | identity_misuse (kTransitions in the .cc).
  // A retry under the same request_id returns the match; other content under
  // it is INVALID_ARGUMENT; a resolved match is FAILED_PRECONDITION.
  Result<MatchResolution> Resolve(const ResolveMatchCommand& command, const std::string& actor, absl::Time now);

 private:
  friend class PartyImport;
  // Fills each match's employee snapshot (cache first).
  Result<bool> AttachEmployees(std::vector<PartyMatch>& matches);

  PartyScreeningRecords& store_;
  EmployeeDirectory& employees_;
  const RegionDirectory& regions_;
};

}  // namespace netra::registry

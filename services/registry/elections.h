// Elections: the periods the oversight covers, with their key dates, deadline
// rules, recommending authority and holiday calendar (DOMAIN.md section 4).
// All of it is data per election, never code, because the rules differ
// between sources and changed over time. Plain C++; storage is ElectionRecords.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/deadlines.h"
#include "common/regions.h"
#include "common/result.h"
#include "services/registry/registry.h"

namespace netra::registry {


// Enumerations are numbered as their netra.v1 counterparts; values outside
// them arrive from clients and are rejected by ValidateElection.
enum class ElectionType { kUnspecified = 0, kPemilu = 1, kPilkada = 2 };
enum class HolidayKind { kUnspecified = 0, kNational = 1, kCollectiveLeave = 2, kVotingDay = 3, kRegional = 4 };
enum class ElectionChange { kCreated = 1, kUpdated = 2, kUnchanged = 3 };

struct Holiday {
  Date date;
  std::string name;
  HolidayKind kind = HolidayKind::kUnspecified;  // unspecified counts as national
  std::string region_code;                       // empty: nationwide
  friend bool operator==(const Holiday&, const Holiday&) = default;
};

// netra.v1.DeadlineRules; a rule with days = 0 is not used.
struct DeadlineRules {
  DeadlineRule report_window;
  int quiet_period_report_window_hours = 0;
  DeadlineRule finding_window, completion, initial_review, handling, handling_extended, ppk_decision;
  DeadlineRule escalation_warning, escalation_reprimand, escalation_data_block;
  friend bool operator==(const DeadlineRules&, const DeadlineRules&) = default;
};

struct RecommendingAuthority {
  std::string code;  // "KASN", "BKN"
  std::string name;
  friend bool operator==(const RecommendingAuthority&, const RecommendingAuthority&) = default;
};

struct Election {
  std::string election_id;  // "pemilu-2024"
  std::string name;
  ElectionType type = ElectionType::kUnspecified;
  std::string scope_region_code;  // empty: national
  std::optional<Date> voting_date;
  std::optional<Date> campaign_start_date, campaign_end_date;
  std::optional<Date> quiet_period_start_date, quiet_period_end_date;
  std::optional<Date> candidates_fixed_date;
  DeadlineRules rules;
  RecommendingAuthority recommending_authority;
  std::vector<Holiday> holidays;
  // Kept by the store; ignored on input.
  int64_t version = 0;
  absl::Time create_time, update_time;

  // Same content, ignoring version and times.
  bool SameContent(const Election& other) const;
  // The days off that apply in `region_code` (a kab/kota or kecamatan code,
  // or a province): nationwide holidays and those of the region or an
  // ancestor. Feed it to ComputeDeadline with the region's time zone.
  HolidayCalendar CalendarFor(std::string_view region_code) const;
};

// Limits of the API (registry.proto) and of this implementation.
inline constexpr int kMaxElectionIdLength = 64;
inline constexpr int kMaxNameLength = 200;       // code points
inline constexpr int kMaxHolidays = 1000;
inline constexpr int kMaxRuleDays = 365;         // netra.v1.DeadlineRule
inline constexpr int kMaxQuietPeriodHours = 168; // a week; the rule is 1x24 h

// Every problem with `election` under `prefix` (e.g. "election.voting_date.day").
Violations ValidateElection(const Election& election, const RegionDirectory& regions,
                            std::string_view prefix = "election");
// Election ids as the API defines them; violations under `field`.
bool ValidElectionId(std::string_view id, std::string_view field, Violations& out);

struct UpsertElectionCommand {
  std::string request_id;
  Election election;
  int64_t expected_version = 0;  // 0: create only; N: update only if stored version is N
};

struct ElectionUpsert {
  Election election;  // as stored
  ElectionChange result = ElectionChange::kUnchanged;
};

struct ElectionQuery {
  ElectionType type = ElectionType::kUnspecified;  // any
  std::string region_code;                         // empty: all
  int page_size = 0;
  std::string page_token;
};

struct ElectionPage {
  std::vector<Election> elections;  // newest voting day first, then by id
  std::string next_page_token;
};

// The domain's view of its storage: ElectionStore (election_store.h) implements it
// on SQLite.
// Decides, inside the write transaction, what an upsert does given the stored
// election (if any): the outcome to store, or an error that changes nothing.
using UpsertDecision = std::function<Result<ElectionUpsert>(const std::optional<Election>& current)>;

struct ElectionListFilter {
  ElectionType type = ElectionType::kUnspecified;  // any
  std::vector<std::string> scopes;                 // scope_region_code in these; empty: any
  std::string after_voting_date, after_id;         // keyset position; empty: from the start
  int limit = 50;
};

class ElectionRecords {
 public:
  virtual ~ElectionRecords() = default;

  // In one transaction: a request_id already recorded returns its first
  // outcome (INVALID_ARGUMENT on request_id if the request differed);
  // otherwise `decide` runs on the stored election, a created or updated
  // election is written and the outcome recorded under request_id.
  virtual Result<ElectionUpsert> Upsert(const std::string& request_id, const Election& input,
                                        int64_t expected_version, const UpsertDecision& decide) = 0;
  virtual Result<std::optional<Election>> Find(const std::string& election_id) = 0;
  // Newest voting day first, then by id; at most filter.limit rows.
  virtual Result<std::vector<Election>> List(const ElectionListFilter& filter) = 0;
};

class Elections {
 public:
  Elections(ElectionRecords& store, const RegionDirectory& regions) : store_(store), regions_(regions) {}

  // Idempotent on request_id (the first outcome is returned again; other
  // content under the same id is INVALID_ARGUMENT on request_id).
  Result<ElectionUpsert> Upsert(const UpsertElectionCommand& command, absl::Time now);
  Result<Election> Get(const std::string& election_id);
  Result<ElectionPage> List(const ElectionQuery& query);

 private:
  ElectionRecords& store_;
  const RegionDirectory& regions_;
};

}  // namespace netra::registry

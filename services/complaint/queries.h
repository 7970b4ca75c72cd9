// Reading complaints: one by id, pages by filter, the history chain, the
// public view by tracking code and the statistics (perturbed, small counts
// suppressed: disclosure.h).
// The queries' shapes and the pure tallying; Complaints runs them on the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/history.h"
#include "common/regions.h"
#include "common/validation.h"
#include "services/complaint/complaint.h"
#include "services/complaint/disclosure.h"

namespace netra::complaint {

struct PublicStatus {
  std::string tracking_code;
  Status status;
  int64_t received_micros;  // unix microseconds
  int64_t updated_micros;
};

struct PublicView {
  PublicStatus status;
  std::optional<Deadline> completion;
  std::vector<Requirement> missing;
};

// The public status as the status cache keeps it, and back (nullopt: not ours).
std::string EncodePublicStatus(const PublicStatus& status);
std::optional<PublicStatus> DecodePublicStatus(const std::string& tracking_code, const std::string& text);
// Upper-cases a tracking code and checks its form.
Result<std::string> CheckedTrackingCode(std::string_view tracking_code);

struct ListQuery {
  std::string region_code;
  std::vector<int> statuses;  // Status numbers, as sent
  std::string election_id, violation_code, cluster_id;
  std::optional<absl::Time> received_after, received_before;
  bool primaries_only = false, needs_subject_review = false;
  int page_size = 0;
  std::string page_token;
  // The filter's canonical form (the request without its paging fields, as
  // the mapping encodes it): a page token is only valid for the same filter.
  std::string scope;
};

struct ComplaintPage {
  std::vector<Complaint> complaints;
  std::string next_page_token;
};

struct HistoryQuery {
  std::string complaint_id;
  int page_size = 0;
  std::string page_token;
};

struct HistoryPage {
  std::vector<HistoryEntry> entries;
  std::string next_page_token;
};

struct StatsQuery {
  std::string region_code;
  int group_by = 0;  // netra.v1.RegionLevel, as sent (0: the level below the scope)
  std::string election_id;
  std::optional<absl::Time> received_after, received_before;
  int min_count = 0;
};

struct StatCount {
  std::string key;
  int64_t count = 0;
  bool suppressed = false;
};

struct StageTime {
  Status stage;
  bool suppressed = false;
  int64_t sample_count = 0;
  int64_t p50_seconds = 0, p90_seconds = 0, p99_seconds = 0;
};

struct RegionStats {
  std::string region_code, region_name;
  int64_t total = 0;
  bool total_suppressed = false;
  std::vector<StatCount> by_status, by_violation;
  std::vector<StageTime> stage_times;
};

struct ComplaintStats {
  RegionStats total;
  std::vector<RegionStats> regions;
  int min_count = 0;
  absl::Time compute_time;
};

// What the store gives the statistics: one row per complaint, one per stage left.
struct StatRow {
  std::string complaint_id;  // its record key (disclosure.h)
  std::string region_code;
  Status status;
  std::string violation_codes;  // ",A2,B6,"
};

struct StageRow {
  std::string complaint_id;
  std::string region_code;
  Status stage;
  int64_t seconds;
};

// The checked query: the problems, the region level to group by and the
// minimum counts: the service's floor and the query's (never below it).
struct CheckedStatsQuery {
  RegionLevel group = RegionLevel::kProvince;
  Minimums minimums;
};
Result<CheckedStatsQuery> CheckStatsQuery(const StatsQuery& query, const RegionDirectory& regions, int floor);

// Counts by region (grouped at `query.group`), status and violation, and
// stage time percentiles. Every count is disclosed from its own records
// (disclosure.h: perturbed, small ones suppressed), so totals and breakdowns
// need not add up. Percentiles only where their count is not suppressed, so
// over at least the service's minimum.
ComplaintStats TallyStats(const std::vector<StatRow>& rows, const std::vector<StageRow>& stages,
                          const CheckedStatsQuery& query, const RecordKeys& keys, const RegionDirectory& regions,
                          absl::Time now);

}  // namespace netra::complaint

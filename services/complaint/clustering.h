// Near-duplicate clustering: reports about the same person and a shared
// violation within a window are handled once, on the cluster's primary. The
// choice is a pure function of the candidates the store found, made inside
// the store's write transaction so that a concurrent burst ends as one cluster.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/complaint/complaint.h"

namespace netra::complaint {

// An existing cluster that shares the new report's subject key and at least
// one of its violation codes.
struct ClusterCandidate {
  std::string cluster_id, primary_id;
  int64_t member_count = 1;
  Status primary_status = Status::kUnspecified;
  int64_t last_member_us = 0;  // the window runs from the latest report
};

// The cluster a new report joins: the one whose latest report is the most
// recent, among those still open (primary not terminal) with a report since
// `window_start_us`; nullopt: the report opens a cluster of its own.
std::optional<ClusterCandidate> ChooseCluster(const std::vector<ClusterCandidate>& candidates, int64_t window_start_us);

// A report with no known subject or no violation code is never clustered.
inline bool Clusterable(const std::string& subject_key, const std::vector<std::string>& violation_codes) {
  return !subject_key.empty() && !violation_codes.empty();
}

}  // namespace netra::complaint

#include "services/complaint/clustering.h"

#include "services/complaint/workflow.h"

namespace netra::complaint {

std::optional<ClusterCandidate> ChooseCluster(const std::vector<ClusterCandidate>& candidates, int64_t window_start_us) {
  std::optional<ClusterCandidate> chosen;
  for (const ClusterCandidate& c : candidates) {
    if (c.last_member_us < window_start_us || IsTerminal(c.primary_status)) continue;
    if (!chosen || c.last_member_us > chosen->last_member_us) chosen = c;
  }
  return chosen;
}

}  // namespace netra::complaint

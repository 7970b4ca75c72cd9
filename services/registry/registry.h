// The registry's domain: who is employed where, and the reference data the
// other services need. Plain C++; no gRPC or SQL here (see registry_handler.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "common/regions.h"
#include "common/result.h"

namespace netra::registry {

// Dates are the common Date (common/dates.h), checked by CheckDate: the one
// date type of the registry's domains (elections, employees, pledges, party
// screening) and of the other services.

struct RegionQuery {
  std::string parent_code;           // empty: the whole country
  std::optional<RegionLevel> level;  // unset: the direct children of parent
  int page_size = 0;
  std::string page_token;
};

struct RegionPage {
  std::vector<const Region*> regions;
  std::string next_page_token;
  int total_size = 0;
};

class Registry {
 public:
  explicit Registry(const RegionDirectory& regions) : regions_(regions) {}

  Result<RegionPage> ListRegions(const RegionQuery& query) const;

 private:
  const RegionDirectory& regions_;
};

}  // namespace netra::registry

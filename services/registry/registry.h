// The registry's domain: who is employed where, and the reference data the
// other services need. Plain C++; no gRPC or SQL here (see registry_handler.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/regions.h"
#include "common/result.h"

namespace netra::registry {

// A calendar day as the client sent it (netra.v1.Date); validated before use.
// All zero means "not given" where a field is optional. The one date type of
// the registry's domains (elections, employees, pledges, party screening).
struct Date {
  int year = 0, month = 0, day = 0;
  bool empty() const { return year == 0 && month == 0 && day == 0; }
  absl::CivilDay civil() const { return absl::CivilDay(year, month, day); }
  std::string Iso() const;  // "2024-02-14": sorts as the days do
  friend bool operator==(const Date&, const Date&) = default;
};

// Adds violations under field.year/.month/.day unless `date` is a real calendar day (1900-9999).
bool CheckDate(const Date& date, const std::string& field, Violations& out);

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

// Which objects a caller may act on, once the access policy has let it call
// the method (issue 13, docs/security.md), written once for every handler:
//   - Bawaslu, a BKD or the KPU of a region: objects in that region ("ri": all);
//   - a staffing authority (PPK): objects under it;
//   - a recommending authority: objects under it where an object names one;
//   - the services, ministries, the administrator and operators: the policy decides alone.
// Deny by default: an object that does not say where it is, is nobody's region.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/access_policy.h"
#include "common/identity.h"

namespace netra {

// Stable reasons (ErrorInfo.reason, the metric's label) beside access_policy.h's.
inline constexpr std::string_view kDenyOutsideRegion = "OUTSIDE_REGION";
inline constexpr std::string_view kDenyNotItsPpk = "NOT_ITS_PPK";
inline constexpr std::string_view kDenyNotItsAuthority = "NOT_ITS_AUTHORITY";

// What a caller acts on: where it is and whom it is under (empty: not known or not applicable).
struct Resource {
  std::string_view region_code = {};     // a complaint's act, an employee's work place, a case's employee
  std::string_view ppk_code = {};        // the staffing authority (StaffingAuthority.code)
  std::string_view authority_code = {};  // the recommending authority ("BKN")
};

AccessDecision Authorize(const Identity& caller, const Resource& resource);

// Whether `region_code` lies in `scope` ("ri" or "" = everywhere; "33" holds
// "33", "33.74" and "33.74.01").
bool RegionWithin(std::string_view region_code, std::string_view scope);

// What a list or statistics call asks for, as far as scope goes (empty: any).
struct Filter {
  std::string region_code = {};     // a region prefix
  std::string ppk_code = {};        // one staffing authority's
  std::string authority_code = {};  // one recommending authority's, as stored ("BKN")
};

// Narrows `filter` to the caller's scope: a regional office's region, a
// PPK's own, an authority's own, filled in where the call asked for nothing.
// A filter reaching outside the scope is refused (the decision says why),
// never answered with an empty page. Callers without such a scope (services,
// ministries, the administrator) keep the filter as it is.
AccessDecision NarrowToScope(const Identity& caller, Filter* filter);

// The region every object a caller acts on must lie in, for stores that
// filter or check rows themselves (an import's rows, a search): a Bawaslu,
// BKD or KPU office's own region; "" for everyone else (RI, authorities,
// services, ministries, the administrator), whom the policy decides alone.
std::string RegionScope(const Identity& caller);

}  // namespace netra

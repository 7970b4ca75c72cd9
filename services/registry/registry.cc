#include "services/registry/registry.h"

#include <algorithm>

#include "common/identifiers.h"
#include "common/paging.h"

namespace netra::registry {
Result<RegionPage> Registry::ListRegions(const RegionQuery& query) const {
  Violations violations;
  const Region* parent = nullptr;
  if (!query.parent_code.empty() && ParseRegionCode(query.parent_code, "parent_code", violations)) {
    parent = regions_.Find(query.parent_code);
    if (!parent) return Error::NotFound("region", query.parent_code);
  }
  if (parent && query.level && static_cast<int>(*query.level) <= static_cast<int>(parent->level)) {
    violations.Add("level", ViolationReason::kOutOfRange, "must be below the level of parent_code");
  }
  int page_size = PageSize(query.page_size, PageLimits{50, 1000}, "page_size", violations);
  std::string scope = query.parent_code + "|" + std::to_string(query.level ? static_cast<int>(*query.level) : 0);
  auto after = DecodePageToken(query.page_token, "page_token", violations, scope);
  if (!violations.empty()) return Error::Invalid(std::move(violations));

  std::vector<const Region*> all = query.level ? regions_.Descendants(query.parent_code, *query.level)
                                               : regions_.Children(query.parent_code);
  RegionPage page;
  page.total_size = static_cast<int>(all.size());
  // Keyset paging on the code: the list is in code order.
  auto it = std::upper_bound(all.begin(), all.end(), *after,
                             [](const std::string& key, const Region* r) { return key < r->code; });
  if (after->empty()) it = all.begin();
  for (; it != all.end() && static_cast<int>(page.regions.size()) < page_size; ++it) page.regions.push_back(*it);
  if (it != all.end()) page.next_page_token = EncodePageToken(page.regions.back()->code, scope);
  return page;
}

}  // namespace netra::registry

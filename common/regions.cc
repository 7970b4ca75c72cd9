#include "common/regions.h"

#include <algorithm>

namespace netra {

const Region* RegionDirectory::Find(std::string_view code) const {
  auto it = std::lower_bound(regions_.begin(), regions_.end(), code,
                             [](const Region& r, std::string_view c) { return r.code < c; });
  return it != regions_.end() && it->code == code ? &*it : nullptr;
}

std::vector<const Region*> RegionDirectory::Descendants(std::string_view parent, RegionLevel level) const {
  std::vector<const Region*> out;
  // Codes sort so that a region's subtree directly follows it: "33" < "33.01" < "33.01.01" < "34".
  auto begin = regions_.begin();
  std::string prefix;
  if (!parent.empty()) {
    prefix = std::string(parent) + ".";
    begin = std::lower_bound(regions_.begin(), regions_.end(), prefix,
                             [](const Region& r, const std::string& p) { return r.code < p; });
  }
  for (auto it = begin; it != regions_.end() && it->code.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (it->level == level) out.push_back(&*it);
  }
  return out;
}

std::vector<const Region*> RegionDirectory::Children(std::string_view parent) const {
  if (parent.empty()) return Descendants("", RegionLevel::kProvince);
  const Region* region = Find(parent);
  if (!region || region->level == RegionLevel::kDistrict) return {};
  return Descendants(parent, static_cast<RegionLevel>(static_cast<int>(region->level) + 1));
}

std::string RegionDirectory::ProvinceOf(std::string_view code) const {
  const Region* region = Find(code);
  return region ? region->code.substr(0, 2) : std::string();
}

size_t RegionDirectory::CountAtLevel(RegionLevel level) const {
  return std::count_if(regions_.begin(), regions_.end(), [level](const Region& r) { return r.level == level; });
}

}  // namespace netra

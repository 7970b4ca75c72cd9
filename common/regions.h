// Indonesian administrative regions (province, kabupaten/kota, kecamatan) from
// the project's data/regions.csv: existence checks, hierarchy and time zones.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/identifiers.h"

namespace netra {

struct Region {
  std::string code;  // "33", "33.01", "33.01.02"
  std::string name;
  RegionLevel level;
  std::string parent_code;  // empty for a province
  std::string time_zone;    // IANA, e.g. "Asia/Jakarta"
};

// Immutable after Load; safe to share across threads.
class RegionDirectory {
 public:
  // Reads code,name,level,tz rows (RFC 4180). Fails on a malformed row, an
  // unknown level, a code whose shape does not match its level, a duplicate, or
  // a child whose parent is missing. Defined in regions_file.cc (netra_files),
  // so that the domain libraries, which only look regions up, link no CSV parser.
  static std::optional<RegionDirectory> Load(const std::string& path, std::string* error);

  const Region* Find(std::string_view code) const;
  // Direct children of `parent` (provinces for an empty parent), in code order.
  std::vector<const Region*> Children(std::string_view parent) const;
  // Every region of `level` under `parent` (the whole country for an empty parent).
  std::vector<const Region*> Descendants(std::string_view parent, RegionLevel level) const;
  // The province a code belongs to ("33.01.02" -> "33"), or empty if unknown.
  std::string ProvinceOf(std::string_view code) const;
  size_t size() const { return regions_.size(); }
  size_t CountAtLevel(RegionLevel level) const;

 private:
  std::vector<Region> regions_;  // sorted by code, so a subtree is a contiguous range
};

}  // namespace netra

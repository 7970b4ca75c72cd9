// RegionDirectory::Load: data/regions.csv parsed with libcsv. Apart from
// regions.cc so that netra_base (and every domain) links no CSV parser;
// netra_files holds it.
#include "common/regions.h"

#include <csv.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/time/time.h"
#include "common/identifiers.h"

namespace netra {
namespace {

struct CsvState {
  std::vector<std::string> fields;
  std::vector<std::vector<std::string>> rows;
};

void OnField(void* data, size_t length, void* state) {
  static_cast<CsvState*>(state)->fields.emplace_back(static_cast<const char*>(data), length);
}

void OnRow(int, void* state) {
  auto* s = static_cast<CsvState*>(state);
  s->rows.push_back(std::move(s->fields));
  s->fields.clear();
}

bool ParseCsv(const std::string& text, CsvState* state, std::string* error) {
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    *error = "cannot initialise CSV parser";
    return false;
  }
  bool ok = csv_parse(&parser, text.data(), text.size(), OnField, OnRow, state) == text.size() &&
            csv_fini(&parser, OnField, OnRow, state) == 0;
  if (!ok) *error = std::string("malformed CSV: ") + csv_strerror(csv_error(&parser));
  csv_free(&parser);
  return ok;
}

}  // namespace

std::optional<RegionDirectory> RegionDirectory::Load(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  CsvState csv;
  if (!ParseCsv(buffer.str(), &csv, error)) return std::nullopt;
  if (csv.rows.empty() || csv.rows.front() != std::vector<std::string>{"code", "name", "level", "tz"}) {
    *error = path + ": expected header code,name,level,tz";
    return std::nullopt;
  }
  RegionDirectory directory;
  for (size_t i = 1; i < csv.rows.size(); ++i) {
    const auto& row = csv.rows[i];
    std::string where = path + " line " + std::to_string(i + 1);
    if (row.size() != 4) {
      *error = where + ": expected 4 fields";
      return std::nullopt;
    }
    Violations violations;
    auto level = ParseRegionCode(row[0], "code", violations);
    if (!level || row[2] != std::to_string(static_cast<int>(*level)) || row[1].empty() || row[3].empty()) {
      *error = where + ": bad region row";
      return std::nullopt;
    }
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(row[3], &zone)) {
      *error = where + ": unknown time zone " + row[3] + " (is tzdata installed?)";
      return std::nullopt;
    }
    Region region{row[0], row[1], static_cast<RegionLevel>(*level), "", row[3]};
    auto dot = region.code.rfind('.');
    if (dot != std::string::npos) region.parent_code = region.code.substr(0, dot);
    directory.regions_.push_back(std::move(region));
  }
  auto& regions = directory.regions_;
  std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) { return a.code < b.code; });
  for (size_t i = 0; i < regions.size(); ++i) {
    if (i > 0 && regions[i].code == regions[i - 1].code) {
      *error = path + ": duplicate region " + regions[i].code;
      return std::nullopt;
    }
    if (!regions[i].parent_code.empty() && !directory.Find(regions[i].parent_code)) {
      *error = path + ": region " + regions[i].code + " has no parent " + regions[i].parent_code;
      return std::nullopt;
    }
  }
  return directory;
}

}  // namespace netra

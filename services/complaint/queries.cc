#include "services/complaint/queries.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "services/complaint/intake.h"

namespace netra::complaint {

std::string EncodePublicStatus(const PublicStatus& s) {
  return nlohmann::json{{"s", static_cast<int>(s.status)}, {"r", s.received_micros}, {"u", s.updated_micros}}.dump();
}

std::optional<PublicStatus> DecodePublicStatus(const std::string& code, const std::string& text) {
  // Whatever is in the cache is checked before use: get<>() on a value of the wrong type would throw.
  auto json = nlohmann::json::parse(text, nullptr, false);
  auto integer = [&json](const char* key) { return json.contains(key) && json[key].is_number_integer(); };
  if (json.is_discarded() || !json.is_object() || !integer("s") || !integer("r") || !integer("u")) return std::nullopt;
  int64_t status = json["s"].get<int64_t>();
  if (status < 1 || status > static_cast<int64_t>(Status::kDismissed)) return std::nullopt;
  return PublicStatus{code, static_cast<Status>(status), json["r"].get<int64_t>(), json["u"].get<int64_t>()};
}

Result<std::string> CheckedTrackingCode(std::string_view tracking_code) {
  std::string code(tracking_code.substr(0, 64));
  std::transform(code.begin(), code.end(), code.begin(), [](unsigned char c) { return std::toupper(c); });
  Violations v;
  if (code.empty()) {
    v.Add("tracking_code", ViolationReason::kRequired, "is required");
  } else if (!IsWellFormedTrackingCode(code)) {
    v.Add("tracking_code", ViolationReason::kInvalidFormat, "must be 10 characters from " + std::string(kTrackingAlphabet));
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  return code;
}

Result<CheckedStatsQuery> CheckStatsQuery(const StatsQuery& r, const RegionDirectory& regions, int floor) {
  Violations v;
  std::optional<RegionLevel> scope_level;
  if (!r.region_code.empty()) {
    Violations format;
    scope_level = ParseRegionCode(r.region_code, "region_code", format);
    if (!scope_level) {
      v.Append(format);
    } else if (*scope_level == RegionLevel::kDistrict) {
      v.Add("region_code", ViolationReason::kOutOfRange, "must be a province or a kab/kota");
    } else if (!regions.Find(r.region_code)) {
      v.Add("region_code", ViolationReason::kNotFound, "region " + r.region_code + " does not exist");
    }
  }
  CheckedStatsQuery out;
  if (r.group_by == static_cast<int>(RegionLevel::kRegency)) out.group = RegionLevel::kRegency;
  if (r.group_by == static_cast<int>(RegionLevel::kDistrict) || r.group_by < 0 || r.group_by > 3) {
    v.Add("group_by", ViolationReason::kUnsupported, "must be PROVINCE or REGENCY");
  } else if (r.group_by == 0 && scope_level) {
    out.group = RegionLevel::kRegency;  // the level below a province; a kab/kota is its own only group
  }
  CheckId(r.election_id, "election_id", false, v);
  CheckInstant(r.received_after, "received_after", absl::InfiniteFuture(), v);
  CheckInstant(r.received_before, "received_before", absl::InfiniteFuture(), v);
  if (r.min_count < 0) v.Add("min_count", ViolationReason::kOutOfRange, "must not be negative");
  if (!v.empty()) return Error::Invalid(std::move(v));
  out.minimums = {floor, std::max(r.min_count, floor)};
  return out;
}

ComplaintStats TallyStats(const std::vector<StatRow>& rows, const std::vector<StageRow>& stage_rows,
                          const CheckedStatsQuery& query, const RecordKeys& keys, const RegionDirectory& regions,
                          absl::Time now) {
  const size_t key_length = query.group == RegionLevel::kProvince ? 2 : 5;
  struct Stage {
    Cell cell;
    std::vector<int64_t> seconds;
  };
  struct Tally {
    Cell total;
    std::map<int, Cell> by_status;
    std::map<std::string, Cell> by_violation;
    std::map<int, Stage> stages;
  };
  std::map<std::string, Tally> tallies;
  Tally total;
  std::map<std::string, uint32_t, std::less<>> record_keys;  // a complaint's rows share one HMAC
  auto record_key = [&](const std::string& complaint_id) {
    auto [it, added] = record_keys.try_emplace(complaint_id, 0);
    if (added) it->second = keys.Of(complaint_id);
    return it->second;
  };
  for (const StatRow& row : rows) {
    const uint32_t key = record_key(row.complaint_id);
    Tally& t = tallies[row.region_code.substr(0, key_length)];
    for (Tally* x : {&t, &total}) {
      x->total.Add(key);
      x->by_status[static_cast<int>(row.status)].Add(key);
      size_t start = 1;
      for (size_t comma; (comma = row.violation_codes.find(',', start)) != std::string::npos; start = comma + 1) {
        x->by_violation[row.violation_codes.substr(start, comma - start)].Add(key);
      }
    }
  }
  for (const StageRow& row : stage_rows) {
    const uint32_t key = record_key(row.complaint_id);
    for (Tally* x : {&tallies[row.region_code.substr(0, key_length)], &total}) {
      Stage& stage = x->stages[static_cast<int>(row.stage)];
      stage.cell.Add(key);
      stage.seconds.push_back(row.seconds);
    }
  }
  const Minimums minimums = query.minimums;
  auto count = [minimums](std::string key, const Cell& cell) {
    const Disclosed d = Disclose(cell, minimums);
    return StatCount{std::move(key), d.count, d.suppressed};
  };
  auto fill = [&](Tally& t, RegionStats& out) {
    const Disclosed total_count = Disclose(t.total, minimums);
    out.total = total_count.count;
    out.total_suppressed = total_count.suppressed;
    for (const auto& [status, cell] : t.by_status) {
      out.by_status.push_back(count(std::string(Name(static_cast<Status>(status))), cell));
    }
    for (const auto& [code, cell] : t.by_violation) out.by_violation.push_back(count(code, cell));
    for (auto& [stage, group_of] : t.stages) {
      StageTime s{static_cast<Status>(stage)};
      const Disclosed sample = Disclose(group_of.cell, minimums);
      if (sample.suppressed) {
        s.suppressed = true;
        out.stage_times.push_back(s);
        continue;
      }
      // Percentiles of the true group (the service's minimum or more), not perturbed: docs/statistics.md.
      std::vector<int64_t>& seconds = group_of.seconds;
      std::sort(seconds.begin(), seconds.end());
      const int64_t n = static_cast<int64_t>(seconds.size());
      auto pct = [&seconds, n](double p) {
        return seconds[std::min<size_t>(seconds.size() - 1, static_cast<size_t>(p * (n - 1) + 0.5))];
      };
      s.sample_count = sample.count;
      s.p50_seconds = pct(0.5);
      s.p90_seconds = pct(0.9);
      s.p99_seconds = pct(0.99);
      out.stage_times.push_back(s);
    }
  };
  ComplaintStats out;
  fill(total, out.total);
  for (auto& [code, tally] : tallies) {
    RegionStats region;
    region.region_code = code;
    if (const Region* known = regions.Find(code)) region.region_name = known->name;
    fill(tally, region);
    out.regions.push_back(std::move(region));
  }
  out.min_count = minimums.min_count;
  out.compute_time = now;
  return out;
}

}  // namespace netra::complaint

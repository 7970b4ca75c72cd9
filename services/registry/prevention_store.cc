#include "services/registry/prevention_store.h"

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "common/log.h"
#include "services/registry/employees.h"

namespace netra::registry {
namespace {

using nlohmann::json;

constexpr std::string_view kRecordPledgeMethod = "RecordPledge";

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string PledgeJson(const Pledge& p) {
  return json{{"pledge_id", p.pledge_id},
              {"employee_id", p.employee_id},
              {"election_id", p.election_id},
              {"kind", static_cast<int>(p.kind)},
              {"signed_date", {p.signed_date.year, p.signed_date.month, p.signed_date.day}},
              {"document_sha256", Hex(p.document_sha256)},
              {"document_reference", p.document_reference},
              {"recorded_by", p.recorded_by},
              {"record_time", absl::ToUnixMicros(p.record_time)}}
      .dump();
}

Pledge PledgeFrom(const std::string& text) {
  json j = json::parse(text);
  Pledge p;
  p.pledge_id = j.at("pledge_id").get<std::string>();
  p.employee_id = j.at("employee_id").get<std::string>();
  p.election_id = j.at("election_id").get<std::string>();
  p.kind = static_cast<PledgeKind>(j.at("kind").get<int>());
  const json& d = j.at("signed_date");
  p.signed_date = Date{d.at(0).get<int>(), d.at(1).get<int>(), d.at(2).get<int>()};
  p.document_sha256 = Unhex(j.at("document_sha256").get<std::string>());
  p.document_reference = j.at("document_reference").get<std::string>();
  p.recorded_by = j.at("recorded_by").get<std::string>();
  p.record_time = absl::FromUnixMicros(j.at("record_time").get<int64_t>());
  return p;
}


}  // namespace

Result<Pledge> PreventionStore::RecordPledge(const std::string& request_id, const std::string& fingerprint,
                                             const Pledge& pledge) {
  return RunStoreOperation<json::exception>("record pledge", [&]() -> Result<Pledge> {
    return db_.Write([&](Connection& c) -> Result<Pledge> {
      const RequestKey key{std::string(kRecordPledgeMethod), request_id, fingerprint};
      auto replayed = ReplayRequest(c, key);
      if (!replayed.ok()) return replayed.error();
      if (replayed.value()) return PledgeFrom(*replayed.value());
      auto employee = c.Prepare("SELECT 1 FROM employees WHERE employee_id = ?1");
      employee.Bind(1, pledge.employee_id);
      if (!employee.Step()) return Error::NotFound("employee", pledge.employee_id);
      auto existing = c.Prepare(
          "SELECT pledge_id FROM pledges WHERE employee_id = ?1 AND election_id = ?2 AND kind = ?3");
      existing.Bind(1, pledge.employee_id).Bind(2, pledge.election_id).Bind(3, static_cast<int64_t>(pledge.kind));
      if (existing.Step()) {
        return Error::AlreadyExists("pledge", existing.ColumnText(0),
                                    "a pledge of this kind is already recorded for the employee and election");
      }
      auto insert = c.Prepare(
          "INSERT INTO pledges(pledge_id, employee_id, election_id, kind, signed_date, document_sha256, "
          "document_reference, recorded_by, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
      insert.Bind(1, pledge.pledge_id)
          .Bind(2, pledge.employee_id)
          .Bind(3, pledge.election_id)
          .Bind(4, static_cast<int64_t>(pledge.kind))
          .Bind(5, pledge.signed_date.Iso())
          .BindBlob(6, pledge.document_sha256)
          .Bind(7, pledge.document_reference)
          .Bind(8, pledge.recorded_by)
          .Bind(9, absl::ToUnixMicros(pledge.record_time));
      insert.Run();
      RecordRequest(c, key, PledgeJson(pledge));
      return pledge;
    });
  });
}

Result<CoverageReport> PreventionStore::Coverage(const CoverageFilter& filter) {
  return RunStoreOperation<json::exception>("coverage", [&]() -> Result<CoverageReport> {
    return db_.Read([&](Connection& c) {
      // ?1 election, ?2 kind (0 = any), ?3 region, ?4 agency, ?5 unit.
      // 1 or 0 (PostgreSQL sums no booleans).
      const std::string pledged =
          "CASE WHEN EXISTS(SELECT 1 FROM pledges p WHERE p.employee_id = e.employee_id AND p.election_id = ?1 "
          "AND (?2 = 0 OR p.kind = ?2)) THEN 1 ELSE 0 END";
      const std::string where =
          " FROM employees e WHERE e.employment_status = " +
          std::to_string(static_cast<int>(EmploymentStatus::kActive)) +
          " AND (?3 = '' OR e.work_region_code = ?3 OR (e.work_region_code >= ?3 || '.' AND "
          "e.work_region_code < ?3 || '/')) AND (?4 = '' OR e.agency_code = ?4) AND (?5 = '' OR e.unit_code = ?5)";
      auto bind = [&](Statement& s) {
        s.Bind(1, filter.election_id)
            .Bind(2, static_cast<int64_t>(filter.kind))
            .Bind(3, filter.region_code)
            .Bind(4, filter.agency_code)
            .Bind(5, filter.unit_code);
      };
      CoverageReport report;
      auto total = c.Prepare("SELECT COUNT(*), COALESCE(SUM(" + pledged + "), 0)" + where);
      bind(total);
      total.Step();
      report.total.employees = total.ColumnInt64(0);
      report.total.pledged = total.ColumnInt64(1);
      if (filter.group_by == CoverageGrouping::kNone) return report;

      std::string key, name;
      switch (filter.group_by) {
        case CoverageGrouping::kRegion:
          key = "substr(e.work_region_code, 1, " + std::to_string(filter.region_key_length) + ")";
          name = "''";
          break;
        case CoverageGrouping::kAgency:
          key = "e.agency_code";
          name = "MAX(e.agency_name)";
          break;
        default:
          key = "e.unit_code";
          name = "MAX(e.unit_name)";
          break;
      }
      auto groups = c.Prepare("SELECT " + key + " AS k, " + name + ", COUNT(*), SUM(" + pledged + ")" + where +
                              " AND " + key + " > ?6 GROUP BY k ORDER BY k LIMIT ?7");
      bind(groups);
      groups.Bind(6, filter.after_key).Bind(7, static_cast<int64_t>(filter.limit));
      while (groups.Step()) {
        report.groups.push_back(registry::Coverage{groups.ColumnText(0), groups.ColumnText(1), groups.ColumnInt64(2),
                                                   groups.ColumnInt64(3), 0});
      }
      return report;
    });
  });
}

}  // namespace netra::registry

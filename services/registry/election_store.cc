#include "services/registry/election_store.h"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "common/log.h"

namespace netra::registry {
namespace {

using nlohmann::json;

constexpr std::string_view kUpsertMethod = "UpsertElection";

json DateJson(const Date& d) { return json::array({d.year, d.month, d.day}); }
Date DateFrom(const json& j) { return Date{j.at(0).get<int>(), j.at(1).get<int>(), j.at(2).get<int>()}; }

json RuleJson(const DeadlineRule& r) { return json::array({r.days, static_cast<int>(r.counting)}); }
DeadlineRule RuleFrom(const json& j) {
  return DeadlineRule{j.at(0).get<int>(), static_cast<DayCounting>(j.at(1).get<int>())};
}

// The election's optional key dates and their JSON names, for both directions.
constexpr std::pair<std::optional<Date> Election::*, const char*> kDateFields[] = {
    {&Election::voting_date, "voting_date"},
    {&Election::campaign_start_date, "campaign_start_date"},
    {&Election::campaign_end_date, "campaign_end_date"},
    {&Election::quiet_period_start_date, "quiet_period_start_date"},
    {&Election::quiet_period_end_date, "quiet_period_end_date"},
    {&Election::candidates_fixed_date, "candidates_fixed_date"},
};

// Every client-supplied field of an election; nlohmann orders keys, so the
// dump is canonical (also the basis of the request fingerprint).
json ContentJson(const Election& e) {
  json j;
  j["election_id"] = e.election_id;
  j["name"] = e.name;
  j["type"] = static_cast<int>(e.type);
  j["scope_region_code"] = e.scope_region_code;
  for (const auto& [date, name] : kDateFields) {
    if (e.*date) j[name] = DateJson(*(e.*date));
  }
  const DeadlineRules& r = e.rules;
  j["rules"] = {{"report_window", RuleJson(r.report_window)},
                {"quiet_period_report_window_hours", r.quiet_period_report_window_hours},
                {"finding_window", RuleJson(r.finding_window)},
                {"completion", RuleJson(r.completion)},
                {"initial_review", RuleJson(r.initial_review)},
                {"handling", RuleJson(r.handling)},
                {"handling_extended", RuleJson(r.handling_extended)},
                {"ppk_decision", RuleJson(r.ppk_decision)},
                {"escalation_warning", RuleJson(r.escalation_warning)},
                {"escalation_reprimand", RuleJson(r.escalation_reprimand)},
                {"escalation_data_block", RuleJson(r.escalation_data_block)}};
  j["recommending_authority"] = {{"code", e.recommending_authority.code}, {"name", e.recommending_authority.name}};
  json holidays = json::array();
  for (const Holiday& h : e.holidays) {
    holidays.push_back({{"date", DateJson(h.date)},
                        {"name", h.name},
                        {"kind", static_cast<int>(h.kind)},
                        {"region_code", h.region_code}});
  }
  j["holidays"] = std::move(holidays);
  return j;
}

Election ElectionFrom(const json& j) {
  Election e;
  e.election_id = j.at("election_id").get<std::string>();
  e.name = j.at("name").get<std::string>();
  e.type = static_cast<ElectionType>(j.at("type").get<int>());
  e.scope_region_code = j.at("scope_region_code").get<std::string>();
  for (const auto& [date, name] : kDateFields) {
    if (j.contains(name)) e.*date = DateFrom(j.at(name));
  }
  const json& r = j.at("rules");
  e.rules.report_window = RuleFrom(r.at("report_window"));
  e.rules.quiet_period_report_window_hours = r.at("quiet_period_report_window_hours").get<int>();
  e.rules.finding_window = RuleFrom(r.at("finding_window"));
  e.rules.completion = RuleFrom(r.at("completion"));
  e.rules.initial_review = RuleFrom(r.at("initial_review"));
  e.rules.handling = RuleFrom(r.at("handling"));
  e.rules.handling_extended = RuleFrom(r.at("handling_extended"));
  e.rules.ppk_decision = RuleFrom(r.at("ppk_decision"));
  e.rules.escalation_warning = RuleFrom(r.at("escalation_warning"));
  e.rules.escalation_reprimand = RuleFrom(r.at("escalation_reprimand"));
  e.rules.escalation_data_block = RuleFrom(r.at("escalation_data_block"));
  e.recommending_authority.code = j.at("recommending_authority").at("code").get<std::string>();
  e.recommending_authority.name = j.at("recommending_authority").at("name").get<std::string>();
  for (const json& h : j.at("holidays")) {
    e.holidays.push_back(Holiday{DateFrom(h.at("date")), h.at("name").get<std::string>(),
                                 static_cast<HolidayKind>(h.at("kind").get<int>()),
                                 h.at("region_code").get<std::string>()});
  }
  return e;
}

// SHA-256 of the canonical request: a retry must match it exactly.
std::string RequestFingerprint(const Election& input, int64_t expected_version) {
  std::string canonical = json{{"election", ContentJson(input)}, {"expected_version", expected_version}}.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string OutcomeJson(const ElectionUpsert& outcome) {
  const Election& e = outcome.election;
  return json{{"result", static_cast<int>(outcome.result)},
              {"election", ContentJson(e)},
              {"version", e.version},
              {"create_time", absl::ToUnixMicros(e.create_time)},
              {"update_time", absl::ToUnixMicros(e.update_time)}}
      .dump();
}

ElectionUpsert OutcomeFrom(const std::string& text) {
  json j = json::parse(text);
  ElectionUpsert outcome{ElectionFrom(j.at("election")), static_cast<ElectionChange>(j.at("result").get<int>())};
  outcome.election.version = j.at("version").get<int64_t>();
  outcome.election.create_time = absl::FromUnixMicros(j.at("create_time").get<int64_t>());
  outcome.election.update_time = absl::FromUnixMicros(j.at("update_time").get<int64_t>());
  return outcome;
}

constexpr std::string_view kSelectColumns = "SELECT version, created_at, updated_at, body FROM elections ";

Election RowToElection(Statement& row) {
  Election e = ElectionFrom(json::parse(row.ColumnText(3)));
  e.version = row.ColumnInt64(0);
  e.create_time = absl::FromUnixMicros(row.ColumnInt64(1));
  e.update_time = absl::FromUnixMicros(row.ColumnInt64(2));
  return e;
}

std::optional<Election> FindIn(Connection& c, const std::string& election_id) {
  auto select = c.Prepare(std::string(kSelectColumns) + "WHERE election_id = ?1");
  select.Bind(1, election_id);
  if (!select.Step()) return std::nullopt;
  return RowToElection(select);
}


}  // namespace

Result<ElectionUpsert> ElectionStore::Upsert(const std::string& request_id, const Election& input,
                                            int64_t expected_version, const UpsertDecision& decide) {
  const std::string fingerprint = RequestFingerprint(input, expected_version);
  return RunStoreOperation<json::exception>("upsert election", [&]() -> Result<ElectionUpsert> {
    return db_.Write([&](Connection& c) -> Result<ElectionUpsert> {
      const RequestKey key{std::string(kUpsertMethod), request_id, fingerprint};
      auto replayed = ReplayRequest(c, key);
      if (!replayed.ok()) return replayed.error();
      if (replayed.value()) return OutcomeFrom(*replayed.value());

      auto decided = decide(FindIn(c, input.election_id));
      if (!decided.ok()) return decided;  // nothing written
      const ElectionUpsert& outcome = decided.value();
      const Election& e = outcome.election;
      if (outcome.result != ElectionChange::kUnchanged) {
        auto write = c.Prepare(
            "INSERT INTO elections(election_id, type, scope_region_code, voting_date, version, created_at, "
            "updated_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
            "ON CONFLICT(election_id) DO UPDATE SET type = excluded.type, "
            "scope_region_code = excluded.scope_region_code, voting_date = excluded.voting_date, "
            "version = excluded.version, updated_at = excluded.updated_at, body = excluded.body");
        write.Bind(1, e.election_id)
            .Bind(2, static_cast<int64_t>(e.type))
            .Bind(3, e.scope_region_code)
            .Bind(4, e.voting_date->Iso())
            .Bind(5, e.version)
            .Bind(6, absl::ToUnixMicros(e.create_time))
            .Bind(7, absl::ToUnixMicros(e.update_time))
            .Bind(8, ContentJson(e).dump());
        write.Run();
      }
      RecordRequest(c, key, OutcomeJson(outcome));
      return decided;
    });
  });
}

Result<std::optional<Election>> ElectionStore::Find(const std::string& election_id) {
  return RunStoreOperation<json::exception>("find election", [&]() -> Result<std::optional<Election>> {
    return db_.Read([&](Connection& c) { return FindIn(c, election_id); });
  });
}

Result<std::vector<Election>> ElectionStore::List(const ElectionListFilter& filter) {
  return RunStoreOperation<json::exception>("list elections", [&]() -> Result<std::vector<Election>> {
    return db_.Read([&](Connection& c) {
      // Scopes are at most national + province + kab/kota + kecamatan.
      std::string sql(kSelectColumns);
      sql += "WHERE (?1 = 0 OR type = ?1) AND (?2 = '' OR voting_date < ?2 OR (voting_date = ?2 AND election_id > ?3))";
      if (!filter.scopes.empty()) {
        sql += " AND scope_region_code IN (";
        for (size_t i = 0; i < filter.scopes.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 5);
        sql += ")";
      }
      sql += " ORDER BY voting_date DESC, election_id LIMIT ?4";
      auto select = c.Prepare(sql);
      select.Bind(1, static_cast<int64_t>(filter.type))
          .Bind(2, filter.after_voting_date)
          .Bind(3, filter.after_id)
          .Bind(4, static_cast<int64_t>(filter.limit));
      for (size_t i = 0; i < filter.scopes.size(); ++i) select.Bind(static_cast<int>(i + 5), filter.scopes[i]);
      std::vector<Election> out;
      while (select.Step()) out.push_back(RowToElection(select));
      return out;
    });
  });
}

}  // namespace netra::registry

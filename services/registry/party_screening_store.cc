#include "services/registry/party_screening_store.h"

#include <climits>

#include "services/registry/employee_reads.h"

namespace netra::registry {
namespace {

using employee_rows::ForDialect;  // the employees' insertion order, per backend

constexpr std::string_view kResolveMethod = "ResolvePartyMembershipMatch";

constexpr std::string_view kMatchColumns =
    "m.match_seq, m.employee_id, m.party_code, COALESCE(p.party_name, ''), COALESCE(p.region_code, ''), "
    "COALESCE(p.role, 1), m.status, m.statement_reference, m.statement_date, m.note, m.resolved_by, m.source_name, "
    "m.match_time, m.resolve_time, m.version";
constexpr std::string_view kMatchJoin =
    " FROM party_matches m LEFT JOIN party_members p ON p.nik_hmac = m.nik_hmac AND p.party_code = m.party_code";

PartyMatch ReadMatch(Statement& s) {
  PartyMatch m;
  m.match_seq = s.ColumnInt64(0);
  m.employee_id = s.ColumnText(1);
  m.party_code = s.ColumnText(2);
  m.party_name = s.ColumnText(3);
  m.party_region_code = s.ColumnText(4);
  m.role = static_cast<PartyRole>(s.ColumnInt64(5));
  m.status = static_cast<MatchStatus>(s.ColumnInt64(6));
  m.statement_reference = s.ColumnText(7);
  const std::string date = s.ColumnText(8);  // YYYY-MM-DD as written by Resolve
  if (date.size() == 10) m.statement_date = Date{std::stoi(date.substr(0, 4)), std::stoi(date.substr(5, 2)), std::stoi(date.substr(8, 2))};
  m.note = s.ColumnText(9);
  m.resolved_by = s.ColumnText(10);
  m.source_name = s.ColumnText(11);
  m.match_time = absl::FromUnixMicros(s.ColumnInt64(12));
  const int64_t resolved = s.ColumnInt64(13);
  m.resolve_time = resolved == 0 ? absl::InfinitePast() : absl::FromUnixMicros(resolved);
  m.version = s.ColumnInt64(14);
  return m;
}

std::optional<PartyMatch> LoadMatch(Connection& c, int64_t seq) {
  auto s = c.Prepare("SELECT " + std::string(kMatchColumns) + std::string(kMatchJoin) + " WHERE m.match_seq = ?1");
  s.Bind(1, seq);
  if (!s.Step()) return std::nullopt;
  return ReadMatch(s);
}

}  // namespace

Result<MemberBatchResult> PartyScreeningStore::StoreMembers(std::span<const PartyMember> members,
                                                            const std::string& source_name, absl::Time now) {
  return RunStoreOperation("store members", [&]() -> Result<MemberBatchResult> {
    return db_.Write([&](Connection& c) {
      const int64_t micros = absl::ToUnixMicros(now);
      auto upsert = c.Prepare(
          "INSERT INTO party_members(nik_hmac, party_code, party_name, region_code, role, source_name, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(nik_hmac, party_code) DO UPDATE SET "
          "party_name = excluded.party_name, region_code = excluded.region_code, role = excluded.role, "
          "source_name = excluded.source_name, updated_at = excluded.updated_at");
      auto employees = c.Prepare("SELECT employee_id, substr(work_region_code, 1, 2) FROM employees WHERE nik_hmac = ?1");
      auto match = c.Prepare(
          "INSERT INTO party_matches(nik_hmac, party_code, employee_id, source_name, match_time) "
          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
      MemberBatchResult result;
      for (const PartyMember& m : members) {
        upsert.BindBlob(1, m.nik_hmac)
            .Bind(2, m.party_code)
            .Bind(3, m.party_name)
            .Bind(4, m.region_code)
            .Bind(5, static_cast<int64_t>(m.role))
            .Bind(6, source_name)
            .Bind(7, micros);
        upsert.Run();
        employees.BindBlob(1, m.nik_hmac);
        bool matched = false;
        while (employees.Step()) {
          matched = true;
          match.BindBlob(1, m.nik_hmac).Bind(2, m.party_code).Bind(3, employees.ColumnText(0)).Bind(4, source_name);
          match.Bind(5, micros);
          match.Run();
          if (c.Changes() > 0) {
            ++result.new_matches;
            ++result.new_by_province[employees.ColumnText(1)];
          }
        }
        result.matched += matched ? 1 : 0;
      }
      return result;
    });
  });
}

Result<int64_t> PartyScreeningStore::MatchNewEmployees(absl::Time now) {
  return RunStoreOperation("match new employees", [&]() -> Result<int64_t> {
    auto watermark = [](Connection& c) {
      auto s = c.Prepare(ForDialect(c, "SELECT employees_matched_to, (SELECT COALESCE(MAX(employee_seq), 0) "
                                       "FROM employees) FROM party_screening_state"));
      s.Step();
      return std::pair{s.ColumnInt64(0), s.ColumnInt64(1)};
    };
    auto [seen, last] = db_.Read(watermark);
    if (last <= seen) return int64_t{0};
    return db_.Write([&](Connection& c) -> int64_t {
      auto [from, to] = watermark(c);  // another replica may have moved it meanwhile
      auto match = c.Prepare(ForDialect(
          c, "INSERT INTO party_matches(nik_hmac, party_code, employee_id, source_name, match_time) "
             "SELECT m.nik_hmac, m.party_code, e.employee_id, m.source_name, ?3 FROM employees e "
             "JOIN party_members m ON m.nik_hmac = e.nik_hmac WHERE e.employee_seq > ?1 AND e.employee_seq <= ?2 "
             "ORDER BY e.employee_seq, m.party_code ON CONFLICT DO NOTHING"));
      match.Bind(1, from).Bind(2, to).Bind(3, absl::ToUnixMicros(now));
      match.Run();
      const int64_t created = c.Changes();
      auto advance = c.Prepare("UPDATE party_screening_state SET employees_matched_to = ?1");
      advance.Bind(1, to);
      advance.Run();
      return created;
    });
  });
}

Result<std::vector<PartyMatch>> PartyScreeningStore::ListMatches(const MatchFilter& f) {
  return RunStoreOperation("list matches", [&]() -> Result<std::vector<PartyMatch>> {
    return db_.Read([&](Connection& c) {
      // Named: the region and agency are in the SQL only when asked for
      // (PostgreSQL refuses a statement with a gap in its parameter numbers).
      std::string sql = "SELECT " + std::string(kMatchColumns) + std::string(kMatchJoin) +
                        " WHERE (:status = 0 OR m.status = :status) AND (:party = '' OR m.party_code = :party)";
      const bool by_employee = !f.region_code.empty() || !f.agency_code.empty();
      if (by_employee) {
        sql += " AND EXISTS(SELECT 1 FROM employees e WHERE e.employee_id = m.employee_id AND (:region = '' OR "
               "e.work_region_code = :region OR (e.work_region_code >= :region || '.' AND "
               "e.work_region_code < :region || '/')) AND (:agency = '' OR e.agency_code = :agency))";
      }
      sql += " AND (m.match_time, m.match_seq) > (:time, :seq) ORDER BY m.match_time, m.match_seq LIMIT :limit";
      auto s = c.Prepare(sql);
      s.Bind(s.ParamIndex(":status"), static_cast<int64_t>(f.status))
          .Bind(s.ParamIndex(":party"), f.party_code)
          .Bind(s.ParamIndex(":time"), f.after ? f.after->first : INT64_MIN)
          .Bind(s.ParamIndex(":seq"), f.after ? f.after->second : 0)
          .Bind(s.ParamIndex(":limit"), static_cast<int64_t>(f.limit));
      if (by_employee) s.Bind(s.ParamIndex(":region"), f.region_code).Bind(s.ParamIndex(":agency"), f.agency_code);
      std::vector<PartyMatch> out;
      while (s.Step()) out.push_back(ReadMatch(s));
      return out;
    });
  });
}

Result<std::optional<PartyMatch>> PartyScreeningStore::FindMatch(int64_t match_seq) {
  return RunStoreOperation("find match", [&]() -> Result<std::optional<PartyMatch>> {
    return db_.Read([&](Connection& c) { return LoadMatch(c, match_seq); });
  });
}

Result<MatchResolution> PartyScreeningStore::Resolve(const std::string& request_id, const std::string& fingerprint,
                                                int64_t match_seq, const Decide& decide) {
  return RunStoreOperation("resolve match", [&]() -> Result<MatchResolution> {
    return db_.Write([&](Connection& c) -> Result<MatchResolution> {
      const RequestKey key{std::string(kResolveMethod), request_id, fingerprint};
      auto replayed = ReplayRequest(c, key);
      if (!replayed.ok()) return replayed.error();
      if (replayed.value()) {
        // A resolved match never changes again, so the match as it is now is
        // the first response.
        auto first = LoadMatch(c, std::stoll(*replayed.value()));
        if (!first) return Error::Internal("a resolved match is missing; see the service log");
        return MatchResolution{*first, true};
      }
      auto current = LoadMatch(c, match_seq);
      if (!current) return Error::NotFound("party membership match", "pm-" + std::to_string(match_seq));
      auto next = decide(*current);
      if (!next.ok()) return next.error();
      const PartyMatch& m = next.value();
      auto update = c.Prepare(
          "UPDATE party_matches SET status = ?2, statement_reference = ?3, statement_date = ?4, note = ?5, "
          "resolved_by = ?6, resolve_time = ?7, version = ?8 WHERE match_seq = ?1");
      update.Bind(1, m.match_seq)
          .Bind(2, static_cast<int64_t>(m.status))
          .Bind(3, m.statement_reference)
          .Bind(4, m.statement_date ? m.statement_date->Iso() : std::string())
          .Bind(5, m.note)
          .Bind(6, m.resolved_by)
          .Bind(7, absl::ToUnixMicros(m.resolve_time))
          .Bind(8, m.version);
      update.Run();
      netra::RecordRequest(c, key, std::to_string(m.match_seq));
      return MatchResolution{m, false};
    });
  });
}

Result<std::optional<std::pair<std::string, std::string>>> PartyScreeningStore::FindRequest(
    std::string_view method, const std::string& request_id) {
  using Found = std::optional<std::pair<std::string, std::string>>;
  return RunStoreOperation("find request", [&]() -> Result<Found> {
    return db_.Read([&](Connection& c) -> Found {
      auto recorded = FindRequestRecord(c, method, request_id);
      if (!recorded) return std::nullopt;
      return std::pair{std::move(recorded->request_hash), std::move(recorded->response)};
    });
  });
}

Result<bool> PartyScreeningStore::RecordRequest(std::string_view method, const std::string& request_id,
                                                const std::string& request_hash, const std::string& response) {
  return RunStoreOperation("record request", [&]() -> Result<bool> {
    // A concurrent twin of the same import may have recorded it first; the first stays.
    db_.Write([&](Connection& c) {
      netra::RecordRequest(c, {std::string(method), request_id, request_hash}, response);
    });
    return true;
  });
}

}  // namespace netra::registry

#include "services/sanction/case_store.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "services/sanction/case_rows.h"

namespace netra::sanction {

using namespace case_rows;

namespace {

constexpr std::string_view kColumns =
    "SELECT body, head_sequence, head_hash, version, escalation_level, update_us, escalations "
    "FROM cases JOIN case_bodies USING (case_id) ";

// The outbox key of a notification (also the peer's request_id: only
// characters every request_id check accepts).
std::string DedupeKey(const std::string& case_id, const Notification& n) {
  return case_id + (n.target == NotifyTarget::kComplaintOutcome ? ":outcome:" + std::to_string(n.case_version)
                                                                 : ":status:" + std::to_string(n.source_sequence));
}


// A case from a kColumns row: the body, overridden by the columns the sweeper
// changes without it, and the steps reached.
Case RowToCase(Statement& row) {
  Case c = json::parse(row.ColumnText(0)).get<Case>();
  c.history_head = HistoryHead{row.ColumnInt64(1), row.ColumnBlob(2)};
  c.version = row.ColumnInt64(3);
  c.escalation_level = static_cast<EscalationLevel>(row.ColumnInt64(4));
  if (!row.ColumnIsNull(5)) c.update_us = row.ColumnInt64(5);
  if (!row.ColumnIsNull(6)) LoadSteps(row.ColumnText(6), c);
  return c;
}

// What a sweeper step needs from the body of a case with a step to come.
std::string SweepPlanOf(const Case& c) {
  json days_off = json::array();
  for (absl::CivilDay day : c.terms.DaysOffIn(c.ppk.region_code)) days_off.push_back(absl::FormatCivilTime(day));
  return Dump(json{{"employee_id", c.employee.employee_id},
                   {"time_zone", c.ppk_time_zone},
                   {"due_date", absl::FormatCivilTime(c.ppk_deadline->due_date)},
                   {"due_us", c.ppk_deadline->due_us},
                   {"steps_us", c.escalation_due_us},
                   {"days_off", days_off}});
}

}  // namespace

namespace case_rows {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }


// Reads the escalations column into `c`, with the steps' notifications (one
// the body already lists is not repeated); returns each step's notification.
std::vector<std::optional<Notification>> LoadSteps(const std::string& text, Case& c) {
  std::vector<std::optional<Notification>> notices;
  c.escalations.clear();
  bool added = false;
  for (const auto& step : json::parse(text)) {
    c.escalations.push_back(step.get<Escalation>());
    auto notice = step.find("notice");
    if (notice == step.end()) {
      notices.emplace_back();
      continue;
    }
    Notification n = notice->get<Notification>();
    notices.push_back(n);
    if (std::none_of(c.notifications.begin(), c.notifications.end(),
                     [&](const Notification& listed) { return listed.dedupe_key == n.dedupe_key; })) {
      c.notifications.push_back(std::move(n));
      added = true;
    }
  }
  if (added) {
    std::stable_sort(c.notifications.begin(), c.notifications.end(),
                     [](const Notification& a, const Notification& b) { return a.source_sequence < b.source_sequence; });
  }
  return notices;
}

std::optional<Case> FindWhere(Connection& conn, std::string_view column, const std::string& value, bool for_update) {
  const bool lock = for_update && conn.dialect() == Dialect::kPostgres;
  auto select = conn.Prepare(std::string(kColumns) + "WHERE " + std::string(column) + " = ?1" +
                             (lock ? " FOR UPDATE" : ""));
  select.Bind(1, value);
  if (!select.Step()) return std::nullopt;
  return RowToCase(select);
}

void BindOptional(Statement& s, int index, const std::optional<int64_t>& value) {
  if (value) {
    s.Bind(index, *value);
  } else {
    s.BindNull(index);
  }
}

void BindOptional(Statement& s, int index, const std::optional<std::string>& value) {
  if (value) {
    s.Bind(index, *value);
  } else {
    s.BindNull(index);
  }
}

// Writes the row of `c`: an insert for a new case, else an update (which
// leaves the indexes of unchanged columns alone). Only the sweeper changes
// the escalations column (EscalateDue); the body leaves the steps out.
void WriteRow(Connection& conn, const Case& c, bool insert) {
  auto write = conn.Prepare(
      insert ? "INSERT INTO cases(status, escalation_level, due_us, next_escalation_us, letter_date, decree_date, "
               "on_time, as_recommended, days_to_decision, working_days_to_decision, version, head_sequence, "
               "head_hash, update_us, sweep_plan, case_id, complaint_id, election_id, region_code, ppk_code, "
               "ppk_name, authority_code, open_us) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
               "?20, ?21, ?22, ?23)"
             : "UPDATE cases SET status = ?1, escalation_level = ?2, due_us = ?3, next_escalation_us = ?4, "
               "letter_date = ?5, decree_date = ?6, on_time = ?7, as_recommended = ?8, days_to_decision = ?9, "
               "working_days_to_decision = ?10, version = ?11, head_sequence = ?12, head_hash = ?13, "
               "update_us = ?14, sweep_plan = ?15 WHERE case_id = ?16");
  write.Bind(1, static_cast<int64_t>(c.status)).Bind(2, static_cast<int64_t>(c.escalation_level));
  BindOptional(write, 3, c.ppk_deadline ? std::optional<int64_t>(c.ppk_deadline->due_us) : std::nullopt);
  int64_t next = c.NextEscalationUs();
  BindOptional(write, 4, next ? std::optional<int64_t>(next) : std::nullopt);
  bool violation = c.recommendation && c.recommendation->verdict == Verdict::kViolation;
  BindOptional(write, 5,
               violation ? std::optional(absl::FormatCivilTime(c.recommendation->letter_date)) : std::nullopt);
  BindOptional(write, 6, c.decision ? std::optional(absl::FormatCivilTime(c.decision->decree_date)) : std::nullopt);
  BindOptional(write, 7, c.decision ? std::optional<int64_t>(c.decision->on_time) : std::nullopt);
  BindOptional(write, 8, c.decision ? std::optional<int64_t>(c.decision->matches_recommendation) : std::nullopt);
  BindOptional(write, 9, c.decision ? std::optional<int64_t>(c.decision->days_to_decision) : std::nullopt);
  BindOptional(write, 10, c.decision ? std::optional<int64_t>(c.decision->working_days_to_decision) : std::nullopt);
  write.Bind(11, c.version)
      .Bind(12, c.history_head.sequence)
      .BindBlob(13, c.history_head.hash)
      .Bind(14, c.update_us);
  BindOptional(write, 15, next ? std::optional(SweepPlanOf(c)) : std::nullopt);
  write.Bind(16, c.case_id);
  if (insert) {
    write.Bind(17, c.complaint_id)
        .Bind(18, c.election_id)
        .Bind(19, c.region_code)
        .Bind(20, c.ppk.code)
        .Bind(21, c.ppk.name)
        .Bind(22, c.authority.code)
        .Bind(23, c.open_us);
  }
  write.RunDeferred();  // on PostgreSQL, with what follows until a read or COMMIT (Statement::RunDeferred)
  json body = c;
  body.erase("escalations");
  conn.Prepare(insert ? "INSERT INTO case_bodies(case_id, body) VALUES (?1, ?2)"
                      : "UPDATE case_bodies SET body = ?2 WHERE case_id = ?1")
      .Bind(1, c.case_id)
      .Bind(2, Dump(body))
      .RunDeferred();
}

// Appends the change's events to the chain and queues its notices, on `c`.
void Record(Connection& conn, Case& c, const Actor& actor, int64_t now_us, const CaseEffects& effects) {
  for (const auto& event : effects.events) {
    c.history_head = HeadOf(HistoryLog::Append(conn, c.case_id, c.history_head, event.type, actor, now_us,
                                               event.payload));
  }
  for (const auto& notice : effects.notices) {
    Notification n;
    n.target = notice.target;
    n.case_version = c.version;
    n.source_sequence = c.history_head.sequence;
    n.dedupe_key = DedupeKey(c.case_id, n);
    c.notifications.push_back(n);
    EnqueueOutbox(conn, notice.target == NotifyTarget::kComplaintOutcome ? kOutcomeKind : kStatusKind, n.dedupe_key,
                  Dump(NotificationPayload(c, n, notice)));
  }
}

}  // namespace case_rows

namespace {



// Applies `change` to the case in `c` and writes it: version, history, outbox, row.
std::optional<Error> ChangeIn(Connection& conn, Case& c, const Actor& actor, int64_t now_us, const CaseChange& change,
                              CaseEffects& effects) {
  if (auto error = change(c, effects)) return error;
  c.version += 1;
  c.update_us = now_us;
  Record(conn, c, actor, now_us, effects);
  WriteRow(conn, c, /*insert=*/false);
  return std::nullopt;
}

}  // namespace

Result<std::optional<std::string>> CaseStore::Replay(const Idempotency& idem) {
  return RunStoreOperation<json::exception>("replay case request", [&]() -> Result<std::optional<std::string>> {
    return db_.Read([&](Connection& c) -> Result<std::optional<std::string>> {
      return ReplayRequest(c, idem);
    });
  });
}

Result<Mutation> CaseStore::Create(const Idempotency& idem, const std::string& complaint_id, const Actor& actor,
                                   const std::function<Case(CaseEffects&)>& make) {
  return RunStoreOperation<json::exception>("create case", [&]() -> Result<Mutation> {
    return db_.Write([&](Connection& conn) -> Result<Mutation> {
      Mutation m;
      auto replayed = ReplayRequest(conn, idem);
      if (!replayed.ok()) return replayed.error();
      if ((m.replayed = std::move(replayed.value()))) return m;
      if (auto existing = FindWhere(conn, "complaint_id", complaint_id)) {
        m.case_record = std::move(*existing);
        return m;
      }
      m.case_record = make(m.effects);
      m.created = true;
      Record(conn, m.case_record, actor, m.case_record.open_us, m.effects);
      WriteRow(conn, m.case_record, /*insert=*/true);
      RecordRequest(conn, idem, idem.encode(m.case_record));
      return m;
    });
  });
}

Result<Mutation> CaseStore::Update(const std::string& case_id, const Idempotency* idem, const Actor& actor,
                                   int64_t now_us, const CaseChange& change, const RuleOn<Case>& may_act) {
  return RunStoreOperation<json::exception>("update case", [&]() -> Result<Mutation> {
    // Everything here hangs off the case's locked row: its history, body and
    // notices, and the request id's claim.
    return db_.WriteLockingRows([&](Connection& conn) -> Result<Mutation> {
      Mutation m;
      auto found = FindWhere(conn, "case_id", case_id, /*for_update=*/true);
      if (!found) return Error::NotFound("case", case_id);
      // The caller's rule before a first answer: a request id is no key to another region's case.
      if (may_act) {
        if (auto refused = may_act(*found)) return *refused;
      }
      if (idem) {
        auto replayed = ReplayRequest(conn, *idem);
        if (!replayed.ok()) return replayed.error();
        if ((m.replayed = std::move(replayed.value()))) return m;
      }
      m.case_record = std::move(*found);
      if (auto e = ChangeIn(conn, m.case_record, actor, now_us, change, m.effects)) return *e;
      if (idem) RecordRequest(conn, *idem, idem->encode(m.case_record));
      return m;
    });
  });
}

Result<std::vector<Case>> CaseStore::List(const CaseFilter& f) {
  return RunStoreOperation<json::exception>("list cases", [&]() -> Result<std::vector<Case>> {
    return db_.Read([&](Connection& conn) {
      std::string sql(kColumns);
      sql += "WHERE (?1 = '' OR region_code = ?1 OR region_code LIKE ?1 || '.%') "
             "AND (?2 = '' OR election_id = ?2) AND (?3 = '' OR ppk_code = ?3) AND (?4 = '' OR authority_code = ?4) "
             "AND escalation_level >= ?5 AND (CAST(?6 AS BIGINT) IS NULL OR open_us > ?6 OR (open_us = ?6 AND case_id > ?7))";
      if (f.overdue) {
        // ?9, after the LIMIT's ?8: PostgreSQL refuses a statement whose parameter numbers have a gap.
        sql += *f.overdue ? " AND status = 2 AND due_us <= ?9" : " AND NOT (status = 2 AND due_us <= ?9)";
      }
      if (!f.statuses.empty()) {
        sql += " AND status IN (";
        for (size_t i = 0; i < f.statuses.size(); ++i) sql += (i ? "," : "") + std::to_string(f.statuses[i]);
        sql += ")";
      }
      sql += " ORDER BY open_us, case_id LIMIT ?8";
      auto s = conn.Prepare(sql);
      s.Bind(1, f.region_prefix)
          .Bind(2, f.election_id)
          .Bind(3, f.ppk_code)
          .Bind(4, f.authority_code)
          .Bind(5, static_cast<int64_t>(f.min_escalation_level));
      if (f.after) {
        s.Bind(6, f.after->first).Bind(7, f.after->second);
      } else {
        s.BindNull(6).Bind(7, "");
      }
      s.Bind(8, static_cast<int64_t>(f.limit));
      if (f.overdue) s.Bind(9, f.now_us);
      std::vector<Case> out;
      while (s.Step()) out.push_back(RowToCase(s));
      return out;
    });
  });
}

Result<std::vector<ComplianceFact>> CaseStore::Compliance(const ComplianceFilter& f) {
  return RunStoreOperation<json::exception>("compliance facts", [&]() -> Result<std::vector<ComplianceFact>> {
    return db_.Read([&](Connection& conn) {
      auto s = conn.Prepare(
          "SELECT ppk_code, ppk_name, region_code, status, escalation_level, due_us, decree_date IS NOT NULL, "
          "COALESCE(on_time, 0), COALESCE(as_recommended, 0), COALESCE(days_to_decision, 0), "
          "COALESCE(working_days_to_decision, 0) FROM cases WHERE letter_date IS NOT NULL "
          "AND (?1 = '' OR region_code = ?1 OR region_code LIKE ?1 || '.%') AND (?2 = '' OR election_id = ?2) "
          "AND (?3 = '' OR ppk_code = ?3) AND (?4 = '' OR letter_date >= ?4) AND (?5 = '' OR letter_date <= ?5)");
      s.Bind(1, f.region_prefix).Bind(2, f.election_id).Bind(3, f.ppk_code).Bind(4, f.from_date).Bind(5, f.to_date);
      std::vector<ComplianceFact> out;
      while (s.Step()) {
        ComplianceFact fact;
        fact.ppk_code = s.ColumnText(0);
        fact.ppk_name = s.ColumnText(1);
        fact.region_code = s.ColumnText(2);
        fact.status = static_cast<int>(s.ColumnInt64(3));
        fact.escalation_level = static_cast<int>(s.ColumnInt64(4));
        fact.due_us = s.ColumnInt64(5);
        fact.decided = s.ColumnInt64(6) != 0;
        fact.on_time = s.ColumnInt64(7) != 0;
        fact.as_recommended = s.ColumnInt64(8) != 0;
        fact.days_to_decision = static_cast<int>(s.ColumnInt64(9));
        fact.working_days_to_decision = static_cast<int>(s.ColumnInt64(10));
        out.push_back(std::move(fact));
      }
      return out;
    });
  });
}

Result<CaseStore::Counts> CaseStore::CountOpen(int64_t now_us) {
  return RunStoreOperation<json::exception>("count cases", [&]() -> Result<Counts> {
    return db_.Read([&](Connection& conn) {
      Counts counts;
      auto by_status = conn.Prepare(
          "SELECT substr(region_code, 1, 2), status, COUNT(*) FROM cases WHERE status IN (1, 2, 4) GROUP BY 1, 2");
      while (by_status.Step()) {
        counts.by_status.emplace_back(by_status.ColumnText(0), static_cast<int>(by_status.ColumnInt64(1)),
                                      by_status.ColumnInt64(2));
      }
      auto overdue = conn.Prepare(
          "SELECT substr(region_code, 1, 2), COUNT(*) FROM cases WHERE status = 2 AND due_us <= ?1 GROUP BY 1");
      overdue.Bind(1, now_us);
      while (overdue.Step()) counts.overdue.emplace_back(overdue.ColumnText(0), overdue.ColumnInt64(1));
      return counts;
    });
  });
}

}  // namespace netra::sanction

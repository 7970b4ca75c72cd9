// The case store's sweeper steps (EscalateDue and its fence), a case's history
// and its queued notices. The case rows themselves are in case_store.cc.
#include <algorithm>
#include <array>
#include <stdexcept>

#include "services/sanction/case_rows.h"

namespace netra::sanction {
namespace {

using namespace case_rows;

// The escalations column: the steps reached, each with the notification it
// queued.
std::string StepsJson(const Case& c, const std::vector<const Notification*>& notices) {
  json steps = json::array();
  for (size_t i = 0; i < c.escalations.size(); ++i) {
    json step = c.escalations[i];
    if (i < notices.size() && notices[i]) step["notice"] = *notices[i];
    steps.push_back(std::move(step));
  }
  return Dump(steps);
}

// The escalations column with one step appended: the steps already there are
// kept as written, so a sweeper step neither parses nor re-serialises them.
std::string AppendStep(const std::optional<std::string>& steps, const Escalation& step, const Notification* notice) {
  json added = step;
  if (notice) added["notice"] = *notice;
  std::string text = steps ? *steps : std::string();
  size_t end = text.rfind(']');
  if (end == std::string::npos || text.find_first_not_of("[ ", 0) == end) return "[" + Dump(added) + "]";
  text.resize(end);
  return text + "," + Dump(added) + "]";
}

// The due-case query: the columns and plan a step reads. A step's update
// finds its row by SQLite's rowid there (without the case_id index) and by
// the case_id primary key on PostgreSQL, which has no rowid (0 in its place):
// the one place the two dialects differ here.
std::string DueSql(Dialect dialect) {
  return std::string("SELECT ") + (dialect == Dialect::kSqlite ? "rowid" : "0") +
         ", case_id, complaint_id, region_code, status, escalation_level, version, head_sequence, head_hash, "
         "sweep_plan, escalations FROM cases WHERE next_escalation_us IS NOT NULL AND next_escalation_us <= ?1 "
         "ORDER BY next_escalation_us LIMIT ?2" +
         // PostgreSQL: the batch's rows locked, as FindWhere's for_update does for one case.
         (dialect == Dialect::kPostgres ? " FOR UPDATE" : "");
}
std::string StepSql(Dialect dialect) {
  return std::string(
             "UPDATE cases SET escalation_level = ?1, next_escalation_us = ?2, version = ?3, update_us = ?4, "
             "head_sequence = ?5, head_hash = ?6, escalations = ?7 WHERE ") +
         (dialect == Dialect::kSqlite ? "rowid" : "case_id") + " = ?8";
}

// A DueSql row: what a step reads (no body).
struct DueRow {
  int64_t rowid = 0;  // SQLite only
  std::string case_id, complaint_id, region_code;
  int64_t status = 0, escalation_level = 0, version = 0;
  HistoryHead head;
  std::optional<std::string> plan, steps;  // sweep_plan (NULL before migration 6), escalations
};

DueRow ReadDueRow(Statement& row) {
  DueRow d{row.ColumnInt64(0), row.ColumnText(1), row.ColumnText(2), row.ColumnText(3), row.ColumnInt64(4),
           row.ColumnInt64(5), row.ColumnInt64(6), HistoryHead{row.ColumnInt64(7), row.ColumnBlob(8)}, {}, {}};
  if (!row.ColumnIsNull(9)) d.plan = row.ColumnText(9);
  if (!row.ColumnIsNull(10)) d.steps = row.ColumnText(10);
  return d;
}

// The case as a step sees it, from a due row with a plan: no body.
Case PlannedCase(DueRow& row) {
  Case c;
  c.case_id = std::move(row.case_id);
  c.complaint_id = std::move(row.complaint_id);
  c.region_code = std::move(row.region_code);
  c.status = static_cast<CaseStatus>(row.status);
  c.escalation_level = static_cast<EscalationLevel>(row.escalation_level);
  c.version = row.version;
  c.history_head = std::move(row.head);
  json plan = json::parse(*row.plan);
  c.employee.employee_id = plan.at("employee_id").get<std::string>();
  c.ppk_time_zone = plan.at("time_zone").get<std::string>();
  c.ppk_deadline = PpkDeadline{plan.at("due_date").get<absl::CivilDay>(), plan.at("due_us").get<int64_t>(),
                               c.ppk_time_zone, {}};
  c.escalation_due_us = plan.at("steps_us").get<std::array<int64_t, 3>>();
  // The plan's days off are the PPK region's already: nationwide for this view.
  for (const auto& day : plan.at("days_off")) c.terms.holidays.push_back({day.get<absl::CivilDay>(), ""});
  return c;
}

}  // namespace

const std::string& HistoryInWriteOrderSql() {
  static const std::string sql = [] {
    std::string table(kHistorySql);
    const std::string_view create = "CREATE TABLE history (", key = ",\n  PRIMARY KEY (resource_id, sequence)";
    if (table.find(create) == std::string::npos || table.find(key) == std::string::npos) {
      throw std::logic_error("kHistorySql changed: revise HistoryInWriteOrderSql");
    }
    table.replace(table.find(create), create.size(), "CREATE TABLE history_in_write_order (");
    table = table.substr(0, table.find(key)) + "\n);\n";
    return table +
           "INSERT INTO history_in_write_order SELECT * FROM history ORDER BY event_time_us, resource_id, sequence;\n"
           "DROP TABLE history;\n"
           "ALTER TABLE history_in_write_order RENAME TO history;\n"
           "CREATE UNIQUE INDEX history_key ON history(resource_id, sequence);\n";
  }();
  return sql;
}
Result<std::vector<StepTaken>> CaseStore::EscalateDue(int64_t now_us, int64_t fence, int limit,
                                                      const CaseChange& change, bool* fenced) {
  *fenced = false;
  static const Actor kSweeper{"system:sweeper", Actor::Kind::kSystem, "escalation sweeper", ""};
  return RunStoreOperation<json::exception>("escalate cases", [&]() -> Result<std::vector<StepTaken>> {
    return db_.Write([&](Connection& conn) -> Result<std::vector<StepTaken>> {
      *fenced = false;  // PostgreSQL may run this again after a serialization failure
      std::vector<StepTaken> done;
      // A pass touches many pages: a page cache of 64 MiB on this connection
      // (SQLite's default is 2 MiB) saves re-reading them, and pages read
      // from the database file come through a mapping instead of a copy.
      if (conn.dialect() == Dialect::kSqlite) conn.Exec("PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824");
      // Fencing: only the lease's current token may write, and never one
      // older than any seen (a leader that paused past its lease is refused).
      conn.Prepare(
              "UPDATE sweeper_fence SET token = ?1 WHERE id = 1 AND token <= ?1 "
              "AND ?1 = (SELECT token FROM sweeper_lease WHERE id = 1)")
          .Bind(1, fence)
          .Run();
      if (conn.Changes() == 0) {
        *fenced = true;
        return done;
      }
      // The rows first (a row's own update must not move it under a running
      // scan), each slim: a step builds its case from the row alone.
      auto due = conn.Prepare(DueSql(conn.dialect()));
      due.Bind(1, now_us).Bind(2, static_cast<int64_t>(limit));
      std::vector<DueRow> rows;
      while (due.Step()) rows.push_back(ReadDueRow(due));
      due.Reset();
      // A full batch means more follow in this pass: the pass's last commit
      // checkpoints once for all of them (on disk ~1 s less per 100,000 steps).
      if (static_cast<int>(rows.size()) >= limit) conn.DeferCheckpoint();
      auto small = conn.Prepare(StepSql(conn.dialect()));
      for (auto& row : rows) {
        Case c;
        if (row.plan) {
          c = PlannedCase(row);
        } else {  // last written before migration 6: loaded and written whole, once
          auto found = FindWhere(conn, "case_id", row.case_id, /*for_update=*/true);
          if (!found) continue;
          c = std::move(*found);
        }
        CaseEffects effects;
        // A planned step needs none of the steps taken (the level and the plan
        // say what is due): they stay as text, and the new one is appended.
        std::vector<std::optional<Notification>> step_notices;
        if (!row.plan && row.steps) step_notices = LoadSteps(*row.steps, c);
        if (change(c, effects)) continue;  // not due after all
        c.version += 1;
        c.update_us = now_us;
        size_t listed = c.notifications.size();
        Record(conn, c, kSweeper, now_us, effects);
        const Notification* queued = c.notifications.size() > listed ? &c.notifications.back() : nullptr;
        std::string steps;
        if (row.plan) {
          steps = AppendStep(row.steps, c.escalations.back(), queued);
        } else {
          WriteRow(conn, c, /*insert=*/false);
          std::vector<const Notification*> notices;
          for (const auto& n : step_notices) notices.push_back(n ? &*n : nullptr);
          notices.push_back(queued);
          steps = StepsJson(c, notices);
        }
        int64_t next = c.NextEscalationUs();
        small.Bind(1, static_cast<int64_t>(c.escalation_level));
        BindOptional(small, 2, next ? std::optional<int64_t>(next) : std::nullopt);
        small.Bind(3, c.version)
            .Bind(4, c.update_us)
            .Bind(5, c.history_head.sequence)
            .BindBlob(6, c.history_head.hash)
            .Bind(7, steps);
        if (conn.dialect() == Dialect::kSqlite) {
          small.Bind(8, row.rowid);
        } else {
          small.Bind(8, c.case_id);
        }
        small.Run();
        done.push_back(StepTaken{c.province(), c.escalation_level, !effects.notices.empty()});
      }
      return done;
    });
  });
}

Result<int64_t> CaseStore::FenceToken() {
  return RunStoreOperation<json::exception>("read sweeper fence", [&]() -> Result<int64_t> {
    return db_.Read([&](Connection& c) {
      auto s = c.Prepare("SELECT token FROM sweeper_fence WHERE id = 1");
      return s.Step() ? s.ColumnInt64(0) : int64_t{0};
    });
  });
}

namespace {

// The store's clock in unix microseconds (the server's on PostgreSQL): the
// lease's only clock, whatever the replicas' clocks say.
std::string StoreNowUs(Dialect dialect) {
  return dialect == Dialect::kSqlite ? "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
                                     : "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)";
}

}  // namespace

Result<std::optional<int64_t>> CaseStore::TakeSweeperLease(const std::string& holder,
                                                           std::chrono::milliseconds lease) {
  return RunStoreOperation<json::exception>("take sweeper lease", [&]() -> Result<std::optional<int64_t>> {
    return db_.Write([&](Connection& c) -> std::optional<int64_t> {
      const std::string now = StoreNowUs(c.dialect());
      auto take = c.Prepare("UPDATE sweeper_lease SET holder = ?1, token = token + 1, expires_us = " + now +
                            " + ?2 WHERE id = 1 AND (holder = '' OR expires_us <= " + now + ") RETURNING token");
      take.Bind(1, holder).Bind(2, static_cast<int64_t>(lease.count()) * 1000);
      if (!take.Step()) return std::nullopt;
      int64_t token = take.ColumnInt64(0);
      take.Reset();
      return token;
    });
  });
}

Result<bool> CaseStore::RenewSweeperLease(const std::string& holder, int64_t token, std::chrono::milliseconds lease) {
  return RunStoreOperation<json::exception>("renew sweeper lease", [&]() -> Result<bool> {
    return db_.Write([&](Connection& c) {
      c.Prepare("UPDATE sweeper_lease SET expires_us = " + StoreNowUs(c.dialect()) +
                " + ?3 WHERE id = 1 AND holder = ?1 AND token = ?2")
          .Bind(1, holder)
          .Bind(2, token)
          .Bind(3, static_cast<int64_t>(lease.count()) * 1000)
          .Run();
      return c.Changes() == 1;
    });
  });
}

Result<bool> CaseStore::ReleaseSweeperLease(const std::string& holder, int64_t token) {
  return RunStoreOperation<json::exception>("release sweeper lease", [&]() -> Result<bool> {
    return db_.Write([&](Connection& c) {
      c.Prepare("UPDATE sweeper_lease SET holder = '', expires_us = 0 WHERE id = 1 AND holder = ?1 AND token = ?2")
          .Bind(1, holder)
          .Bind(2, token)
          .Run();
      return c.Changes() == 1;
    });
  });
}

namespace {

std::vector<std::optional<QueuedNotice>> QueuedIn(Connection& conn, const std::vector<Notification>& notifications) {
  std::vector<std::optional<QueuedNotice>> out;
  auto s = conn.Prepare(
      "SELECT attempts, next_attempt_us, last_error, refused_us FROM outbox WHERE kind = ?1 AND dedupe_key = ?2");
  for (const auto& n : notifications) {
    s.Bind(1, n.target == NotifyTarget::kComplaintOutcome ? kOutcomeKind : kStatusKind).Bind(2, n.dedupe_key);
    if (s.Step()) {
      out.push_back(QueuedNotice{static_cast<int>(s.ColumnInt64(0)), s.ColumnInt64(1), s.ColumnText(2), s.ColumnInt64(3)});
    } else {
      out.push_back(std::nullopt);
    }
    s.Reset();
  }
  return out;
}

}  // namespace

Result<std::optional<CaseStore::Snapshot>> CaseStore::FindSnapshot(std::string_view column, const std::string& value) {
  return RunStoreOperation<json::exception>("case snapshot", [&]() -> Result<std::optional<Snapshot>> {
    // One transaction: the history and the queued rows are those of the case as read.
    return db_.Read([&](Connection& conn) -> std::optional<Snapshot> {
      auto found = FindWhere(conn, column, value);
      if (!found) return std::nullopt;
      Snapshot snapshot{std::move(*found), {}, {}};
      snapshot.history = HistoryLog::Load(conn, snapshot.case_record.case_id);
      snapshot.queued = QueuedIn(conn, snapshot.case_record.notifications);
      return snapshot;
    });
  });
}

Result<std::vector<std::optional<QueuedNotice>>> CaseStore::Queued(const std::vector<Notification>& notifications) {
  using Queued = std::vector<std::optional<QueuedNotice>>;
  return RunStoreOperation<json::exception>("queued notices", [&]() -> Result<Queued> {
    return db_.Read([&](Connection& conn) { return QueuedIn(conn, notifications); });
  });
}

}  // namespace netra::sanction

// Storage of cases: one row per case (the columns lists, reports and the
// sweeper filter on, the rest as JSON), its hash-chained history and the
// outbox of notifications, each change in one transaction with its history
// entries, its queued notifications and its idempotency record. The fencing
// row that keeps a stale sweeper from writing lives here too. The domain
// never sees SQL: store failures come back as UNAVAILABLE or INTERNAL.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/history.h"
#include "common/outbox.h"
#include "common/store.h"
#include "services/sanction/cases.h"

namespace netra::sanction {

inline constexpr std::string_view kCasesSql = R"sql(
CREATE TABLE cases (
  case_id            TEXT NOT NULL UNIQUE,
  complaint_id       TEXT NOT NULL UNIQUE,  -- one case per forwarded complaint
  election_id        TEXT NOT NULL,
  region_code        TEXT NOT NULL,         -- kab/kota "NN.NN"
  ppk_code           TEXT NOT NULL,
  ppk_name           TEXT NOT NULL,
  authority_code     TEXT NOT NULL,
  status             INTEGER NOT NULL,      -- CaseStatus
  escalation_level   INTEGER NOT NULL,      -- EscalationLevel
  due_us             INTEGER,               -- the PPK's deadline instant; NULL before a VIOLATION recommendation
  next_escalation_us INTEGER,               -- NULL when no step is due
  letter_date        TEXT,                  -- YYYY-MM-DD of a VIOLATION recommendation
  decree_date        TEXT,                  -- YYYY-MM-DD of the decision
  on_time            INTEGER,
  as_recommended     INTEGER,
  days_to_decision   INTEGER,
  working_days_to_decision INTEGER,
  open_us            INTEGER NOT NULL,
  version            INTEGER NOT NULL,
  head_sequence      INTEGER NOT NULL,      -- the history chain's recorded head
  head_hash          BLOB NOT NULL,
  body               TEXT NOT NULL          -- the case as JSON (rows are large: a rowid table)
);
CREATE INDEX cases_by_open ON cases(open_us, case_id);
CREATE INDEX cases_by_region ON cases(region_code, open_us, case_id);
CREATE INDEX cases_due ON cases(next_escalation_us) WHERE next_escalation_us IS NOT NULL;
-- The highest sweeper fencing token seen: a write with an older token is refused.
CREATE TABLE sweeper_fence (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  token INTEGER NOT NULL
);
INSERT INTO sweeper_fence(id, token) VALUES (1, 0);
)sql";

// kCasesSql on PostgreSQL: a new store there starts at the schema migrations
// 3 and 6 make on SQLite together (cases without the body, the sweeper's
// columns, case_bodies), so migration 6 is a no-op there (kAlreadyInPlaceSql);
// SQLite's rowid becomes the case_id primary key.
inline constexpr std::string_view kCasesPostgresSql = R"sql(
CREATE TABLE cases (
  case_id            TEXT PRIMARY KEY,
  complaint_id       TEXT NOT NULL UNIQUE,
  election_id        TEXT NOT NULL,
  region_code        TEXT NOT NULL,
  ppk_code           TEXT NOT NULL,
  ppk_name           TEXT NOT NULL,
  authority_code     TEXT NOT NULL,
  status             BIGINT NOT NULL,
  escalation_level   BIGINT NOT NULL,
  due_us             BIGINT,
  next_escalation_us BIGINT,
  letter_date        TEXT,
  decree_date        TEXT,
  on_time            BIGINT,
  as_recommended     BIGINT,
  days_to_decision   BIGINT,
  working_days_to_decision BIGINT,
  open_us            BIGINT NOT NULL,
  version            BIGINT NOT NULL,
  head_sequence      BIGINT NOT NULL,
  head_hash          BYTEA NOT NULL,
  update_us          BIGINT,
  escalations        TEXT,
  sweep_plan         TEXT
);
CREATE INDEX cases_by_open ON cases(open_us, case_id);
CREATE INDEX cases_by_region ON cases(region_code, open_us, case_id);
CREATE INDEX cases_due ON cases(next_escalation_us) WHERE next_escalation_us IS NOT NULL;
CREATE TABLE case_bodies (
  case_id TEXT PRIMARY KEY,
  body    TEXT NOT NULL
);
CREATE TABLE sweeper_fence (
  id    BIGINT PRIMARY KEY CHECK (id = 1),
  token BIGINT NOT NULL
);
INSERT INTO sweeper_fence(id, token) VALUES (1, 0);
)sql";

// The PostgreSQL variant of a SQLite migration whose result an earlier
// PostgreSQL migration already created (6: kCasesPostgresSql; 7: a heap table
// is in write order already, with the history's primary key as its index).
inline constexpr std::string_view kAlreadyInPlaceSql = "-- already in place on PostgreSQL\n";

// Migration 6: the case's JSON body apart from its columns, and the sweeper's
// state in columns, so that an escalation step rewrites one narrow row (and
// appends its history entry) without reading or re-serialising the body (a
// body is ~2-3 KB: one case per page while it was a column of `cases`). The
// columns version, escalation_level, update_us, escalations and head_* are the
// truth; the body's copies of them may be older.
inline constexpr std::string_view kCaseSweepSql = R"sql(
ALTER TABLE cases ADD COLUMN update_us INTEGER;
-- JSON array of the steps reached, each with the notification it queued (a
-- step taken before this migration has none here: it is listed in the body).
ALTER TABLE cases ADD COLUMN escalations TEXT;
-- JSON of what a step needs from the body (zone, PPK due date, step instants,
-- days off, employee id); NULL for rows last written before this migration.
ALTER TABLE cases ADD COLUMN sweep_plan TEXT;
CREATE TABLE case_bodies (
  case_id TEXT PRIMARY KEY,
  body    TEXT NOT NULL  -- the case as JSON
);
INSERT INTO case_bodies SELECT case_id, json_remove(body, '$.escalations') FROM cases;
UPDATE cases SET update_us = json_extract(body, '$.update_us'),
                 escalations = NULLIF(json_extract(body, '$.escalations'), '[]');
ALTER TABLE cases DROP COLUMN body;
)sql";

// Migration 7: the case history in the order it is written (a rowid table
// with the (resource_id, sequence) key as a unique index) instead of
// clustered by case: a sweep appends one entry to each of many cases, which
// in the clustered table dirtied one random ~4 KB page per entry. Built from
// kHistorySql, so the columns are those of common/history.h.
const std::string& HistoryInWriteOrderSql();

// Migration 9: the escalation sweeper's lease, held in the store instead of
// Redis, so that leadership is decided where the writes it guards happen (and
// without Redis). One row: the holding replica ('' when free), until when
// (the store's clock), and the fencing token each take raises (from the
// highest the fence has seen, so tokens never go back). The same SQL on both
// backends (BIGINT is an integer column on SQLite).
inline constexpr std::string_view kSweeperLeaseSql = R"sql(
CREATE TABLE sweeper_lease (
  id         BIGINT PRIMARY KEY CHECK (id = 1),
  holder     TEXT NOT NULL,
  token      BIGINT NOT NULL,
  expires_us BIGINT NOT NULL
);
INSERT INTO sweeper_lease(id, holder, token, expires_us) SELECT 1, '', token, 0 FROM sweeper_fence;
)sql";

// Outbox kinds of the sanction service.
inline constexpr std::string_view kOutcomeKind = "sanction.record_outcome";
inline constexpr std::string_view kStatusKind = "sanction.set_disciplinary_status";

// A request_id's record: a retry returns `encode`'s bytes of the first outcome.
using Idempotency = netra::Idempotency<Case>;

struct Mutation {
  Case case_record;
  bool created = false;
  std::optional<std::string> replayed;  // the first response, when this is a retry
  CaseEffects effects;
};

// One escalation step the sweeper took, as its caller counts it.
struct StepTaken {
  std::string province;
  EscalationLevel level = EscalationLevel::kWarning;
  bool queued_notice = false;
};

// Changes a case loaded in the write transaction; an error writes nothing.
using CaseChange = std::function<std::optional<Error>(Case& c, CaseEffects& effects)>;

struct CaseFilter {
  std::string region_prefix;  // "NN" or "NN.NN"; empty = all
  std::vector<int> statuses;  // empty = all
  std::optional<bool> overdue;
  std::string election_id, ppk_code, authority_code;
  int min_escalation_level = 0;
  int64_t now_us = 0;  // for overdue
  std::optional<std::pair<int64_t, std::string>> after;  // (open_us, case_id) keyset
  int limit = 50;
};

// One recommended case as the compliance report sees it.
struct ComplianceFact {
  std::string ppk_code, ppk_name, region_code;
  int status = 0, escalation_level = 1;
  int64_t due_us = 0;
  bool decided = false, on_time = false, as_recommended = false;
  int days_to_decision = 0, working_days_to_decision = 0;
};

struct ComplianceFilter {
  std::string region_prefix, election_id, ppk_code;
  std::string from_date, to_date;  // YYYY-MM-DD; empty = open
};

// Delivery state of one queued notification (outbox row), if still queued.
struct QueuedNotice {
  int attempts = 0;
  int64_t next_attempt_us = 0;
  std::string last_error;
  int64_t refused_us = 0;  // when the peer refused it for good (parked); 0 = still retried
};

class CaseStore {
 public:
  explicit CaseStore(Database& db) : db_(db) {}

  // The stored response of a request_id, with INVALID_ARGUMENT on request_id
  // when it was used for another request.
  Result<std::optional<std::string>> Replay(const Idempotency& idempotency);

  // OpenCase: a replay, the existing case of the complaint (created = false),
  // or `make`'s case inserted with its history and the request's record.
  Result<Mutation> Create(const Idempotency& idempotency, const std::string& complaint_id, const Actor& actor,
                          const std::function<Case(CaseEffects&)>& make);
  // Any later change of one case; `idempotency` null for system changes.
  // `may_act` is asked on the case read for the change, before its replay.
  Result<Mutation> Update(const std::string& case_id, const Idempotency* idempotency, const Actor& actor,
                          int64_t now_us, const CaseChange& change, const RuleOn<Case>& may_act = {});
  // The sweeper: up to `limit` cases whose next escalation is due at now_us,
  // each changed by `change` (ApplyEscalation), in one transaction that first
  // records `fence` and is refused (fenced = true, nothing written) when a
  // newer token was seen. A step reads and rewrites the narrow `cases` row
  // and appends its history entry (and the outbox row of a data block).
  Result<std::vector<StepTaken>> EscalateDue(int64_t now_us, int64_t fence, int limit, const CaseChange& change,
                                            bool* fenced);
  // The highest fencing token recorded.
  Result<int64_t> FenceToken();

  // The sweeper's lease (kSweeperLeaseSql), timed by the store's clock so
  // that replicas' clocks do not matter. Take: the lease for `lease` when it
  // is free or expired, with its new fencing token, else nullopt. Renew:
  // extends it while `holder` still holds `token` (false: another replica has
  // taken it). Release: frees it if still held. A pass's writes are refused
  // (EscalateDue's fenced) unless `token` is the lease's current one.
  Result<std::optional<int64_t>> TakeSweeperLease(const std::string& holder, std::chrono::milliseconds lease);
  Result<bool> RenewSweeperLease(const std::string& holder, int64_t token, std::chrono::milliseconds lease);
  Result<bool> ReleaseSweeperLease(const std::string& holder, int64_t token);

  Result<std::vector<Case>> List(const CaseFilter& filter);
  Result<std::vector<ComplianceFact>> Compliance(const ComplianceFilter& filter);
  // A case by `column` ("case_id" or "complaint_id") as one snapshot: the
  // case, its history (ascending; the case holds the recorded head) and its
  // notifications' queued rows; nullopt when there is no such case.
  struct Snapshot {
    Case case_record;
    std::vector<HistoryEntry> history;
    std::vector<std::optional<QueuedNotice>> queued;  // per notification; nullopt = delivered
  };
  Result<std::optional<Snapshot>> FindSnapshot(std::string_view column, const std::string& value);
  // Queued notification rows by dedupe key (delivered ones are gone).
  Result<std::vector<std::optional<QueuedNotice>>> Queued(const std::vector<Notification>& notifications);

  // Counts for the gauges: (province, status) -> cases, and province -> overdue.
  struct Counts {
    std::vector<std::tuple<std::string, int, int64_t>> by_status;
    std::vector<std::pair<std::string, int64_t>> overdue;
  };
  Result<Counts> CountOpen(int64_t now_us);

 private:
  Database& db_;
};

}  // namespace netra::sanction

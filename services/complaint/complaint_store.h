// The complaint service's storage: schema migrations and the queries the
// domain needs, behind a small interface so the domain never sees SQL.
//
// A complaint is kept as its own record (complaint_record.h), never the API
// message, plus the columns the service queries and changes atomically
// (status, version, cluster, history head, filters). The columns win over
// the body when a complaint is read back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/history.h"
#include "common/access_log.h"
#include "common/outbox.h"
#include "common/result.h"
#include "common/store.h"
#include "common/store_schema.h"
#include "services/complaint/complaint.h"
#include "services/complaint/complaint_record.h"
#include "services/complaint/intake.h"
#include "services/complaint/queries.h"
#include "services/complaint/workflow.h"

namespace netra::complaint {

inline constexpr std::string_view kComplaintsSql = R"sql(
-- Migration 2 created a placeholder table that no release could fill
-- (SubmitComplaint was not served), so it is replaced rather than altered.
DROP TABLE complaints;
CREATE TABLE complaints (
  id                   TEXT PRIMARY KEY,
  tracking_code        TEXT NOT NULL UNIQUE,
  status               INTEGER NOT NULL,  -- netra.v1.ComplaintStatus
  received_at          INTEGER NOT NULL,  -- unix microseconds
  updated_at           INTEGER NOT NULL,
  version              INTEGER NOT NULL DEFAULT 1,
  status_since         INTEGER NOT NULL,  -- when the current status was entered
  registered_at        INTEGER NOT NULL DEFAULT 0,
  region_code          TEXT NOT NULL,     -- the act's region
  province             TEXT NOT NULL,
  election_id          TEXT NOT NULL,
  violation_codes      TEXT NOT NULL,     -- ",A2,B6," (filter with instr)
  category             TEXT NOT NULL,     -- ethics | discipline | unknown (metric label)
  subject_key          TEXT NOT NULL,     -- who the report is about, for clustering; empty: unknown
  needs_subject_review INTEGER NOT NULL,
  cluster_id           TEXT NOT NULL,
  is_primary           INTEGER NOT NULL,
  reporter_nik_hash    BLOB,              -- HMAC-SHA256 of the reporter's NIK; never the NIK
  history_sequence     INTEGER NOT NULL DEFAULT 0,
  history_hash         BLOB NOT NULL,
  record               BLOB NOT NULL      -- netra.v1.Complaint
);
CREATE INDEX complaints_received ON complaints (received_at DESC, id DESC);
CREATE INDEX complaints_cluster ON complaints (cluster_id);
CREATE TABLE clusters (
  id             TEXT PRIMARY KEY,
  primary_id     TEXT NOT NULL,
  member_count   INTEGER NOT NULL,
  last_member_at INTEGER NOT NULL        -- the window runs from the latest report
);
CREATE TABLE cluster_keys (
  subject_key    TEXT NOT NULL,
  violation_code TEXT NOT NULL,
  cluster_id     TEXT NOT NULL,
  PRIMARY KEY (subject_key, violation_code, cluster_id)
) WITHOUT ROWID;
CREATE TABLE evidence (
  id          TEXT PRIMARY KEY,           -- lower-case hex SHA-256 of the content
  size_bytes  INTEGER NOT NULL,
  media_type  TEXT NOT NULL,
  file_name   TEXT NOT NULL,
  uploaded_at INTEGER NOT NULL
);
CREATE TABLE stage_times (                -- one row each time a complaint leaves a status
  complaint_id TEXT NOT NULL,
  region_code  TEXT NOT NULL,
  election_id  TEXT NOT NULL,
  stage        INTEGER NOT NULL,
  entered_at   INTEGER NOT NULL,
  left_at      INTEGER NOT NULL
);
CREATE INDEX stage_times_left ON stage_times (left_at);
)sql";

// The complaint schema on PostgreSQL. A PostgreSQL store is always new (no
// release wrote one), so migration 3 makes there the shape the SQLite
// migrations 2-12 and the C++ upgrades (complaint_store_upgrade.cc) leave
// behind: subject_retry_at (6) and body (8) in place, no `record` column, no
// rebuild markers (9, 10, 12); those migrations are comments there.
inline constexpr std::string_view kComplaintsPostgresSql = R"sql(
CREATE TABLE complaints (
  id                   TEXT PRIMARY KEY,
  tracking_code        TEXT NOT NULL UNIQUE,
  status               BIGINT NOT NULL,
  received_at          BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL,
  version              BIGINT NOT NULL DEFAULT 1,
  status_since         BIGINT NOT NULL,
  registered_at        BIGINT NOT NULL DEFAULT 0,
  region_code          TEXT NOT NULL,
  province             TEXT NOT NULL,
  election_id          TEXT NOT NULL,
  violation_codes      TEXT NOT NULL,     -- ",A2,B6,"
  category             TEXT NOT NULL,
  subject_key          TEXT NOT NULL,
  needs_subject_review BIGINT NOT NULL,
  cluster_id           TEXT NOT NULL,
  is_primary           BIGINT NOT NULL,
  reporter_nik_hash    BYTEA,             -- always NULL: sealed in the body since migration 10
  history_sequence     BIGINT NOT NULL DEFAULT 0,
  history_hash         BYTEA NOT NULL,
  subject_retry_at     BIGINT NOT NULL DEFAULT 0,
  body                 BYTEA NOT NULL
);
CREATE INDEX complaints_received ON complaints (received_at DESC, id DESC);
CREATE INDEX complaints_cluster ON complaints (cluster_id);
CREATE INDEX complaints_subject_retry ON complaints (subject_retry_at) WHERE subject_retry_at > 0;
CREATE TABLE clusters (
  id             TEXT PRIMARY KEY,
  primary_id     TEXT NOT NULL,
  member_count   BIGINT NOT NULL,
  last_member_at BIGINT NOT NULL
);
CREATE TABLE cluster_keys (
  subject_key    TEXT NOT NULL,
  violation_code TEXT NOT NULL,
  cluster_id     TEXT NOT NULL,
  PRIMARY KEY (subject_key, violation_code, cluster_id)
);
CREATE TABLE evidence (
  id          TEXT PRIMARY KEY,
  size_bytes  BIGINT NOT NULL,
  media_type  TEXT NOT NULL,
  file_name   TEXT NOT NULL,
  uploaded_at BIGINT NOT NULL
);
CREATE TABLE stage_times (
  complaint_id TEXT NOT NULL,
  region_code  TEXT NOT NULL,
  election_id  TEXT NOT NULL,
  stage        BIGINT NOT NULL,
  entered_at   BIGINT NOT NULL,
  left_at      BIGINT NOT NULL
);
CREATE INDEX stage_times_left ON stage_times (left_at);
)sql";

inline const Migration kMigrations[] = {
    {1, "request ids", kRequestIdsSql, kRequestIdsPostgresSql},
    {2, "complaints placeholder", R"sql(
CREATE TABLE complaints (
  id            TEXT PRIMARY KEY,
  tracking_code TEXT NOT NULL UNIQUE,
  status        INTEGER NOT NULL,
  received_at   INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1
);
)sql",
     "-- PostgreSQL: complaints is made by migration 3\n"},
    {3, "complaints, clusters, evidence", kComplaintsSql, kComplaintsPostgresSql},
    {4, "history", kHistorySql, kHistoryPostgresSql},
    {5, "outbox", kOutboxSql, kOutboxPostgresSql},
    {6, "subject re-resolution", R"sql(
-- When an unresolved subject (registry down or employee unknown) is next
-- looked up again; 0: not scheduled. Existing unresolved ones are due now.
ALTER TABLE complaints ADD COLUMN subject_retry_at INTEGER NOT NULL DEFAULT 0;
UPDATE complaints SET subject_retry_at = 1 WHERE needs_subject_review = 1 AND status NOT IN (7, 8, 9, 10);
CREATE INDEX complaints_subject_retry ON complaints (subject_retry_at) WHERE subject_retry_at > 0;
)sql",
     "-- PostgreSQL: subject_retry_at and its index are made by migration 3\n"},
    {7, "outbox refusals parked", kOutboxRefusalSql, kOutboxRefusalPostgresSql},
    // The body replaces the release's `record` (a serialized netra.v1.Complaint);
    // ComplaintStore converts the rows and answers of that release in C++
    // (UpgradeReleaseRecords) and then drops `record`.
    {8, "complaint bodies", R"sql(
ALTER TABLE complaints ADD COLUMN body BLOB NOT NULL DEFAULT x'';
)sql",
     "-- PostgreSQL: body is made by migration 3, and no release record is there to convert\n"},
    // Names in subject keys are folded diacritic-aware now (common/names.h);
    // ComplaintStore rebuilds the stored keys in C++ (RefoldSubjectKeys) and
    // then drops this marker, so that a store keeps clustering the same people.
    {9, "subject keys refolded", R"sql(
CREATE TABLE subject_keys_to_refold (pending INTEGER);
)sql",
     "-- PostgreSQL: no key of an earlier fold to rebuild\n"},
    // Reporter identities are sealed (AES-256-GCM under the reporter key);
    // ComplaintStore seals the stored ones in C++ (SealReporterIdentities),
    // moves the NIK hash column into the sealed identity, strips identities
    // from recorded answers, and then drops this marker.
    {10, "reporter identities sealed", R"sql(
CREATE TABLE reporter_identities_to_seal (pending INTEGER);
)sql",
     "-- PostgreSQL: no identity stored in clear to seal\n"},
    // Who was shown a reporter (RevealReporter), in the access log of
    // personal-data reads (common/access_log.h).
    {11, "personal-data reads", kAccessLogSql, kAccessLogPostgresSql},
    // Names in one normal form (common/names.h: NFKC, apostrophes, titles and
    // degrees): the name-based subject keys are rebuilt again, by the same
    // C++ step as migration 9's and under its marker.
    {12, "subject keys refolded in normal form", R"sql(
CREATE TABLE IF NOT EXISTS subject_keys_to_refold (pending INTEGER);
)sql",
     "-- PostgreSQL: no key of an earlier normal form to rebuild\n"},
    // The access log as a row per call, with an index of the people shown
    // (common/access_log.h); the entries of migration 11's form are moved.
    {13, "personal-data reads by call", kAccessLogCallsSql, kAccessLogCallsPostgresSql},
};

// A queued forwarding's delivery state (its outbox row).
struct QueuedForwarding {
  int attempts = 0;
  std::string last_error;
  int64_t refused_us = 0;  // when the sanction service refused it for good; 0 = still retried
};

// A recorded idempotent request: the hash of its content and its first answer.
struct RecordedRequest {
  std::string request_hash;
  RecordedAnswer answer;
};

// What the store keeps beside the complaint, for queries.
struct ComplaintRow {
  Complaint complaint;  // status, version, times, cluster and head filled from the columns
  std::string subject_key;
  std::string province;
  std::string category;
  int64_t status_since_us = 0;
  int64_t registered_us = 0;
  HistoryHead head;
};

struct NewComplaint {
  NewReport report;              // everything but the cluster (decided in the transaction)
  std::string reporter_nik_hash;  // empty: none
  int64_t subject_retry_us = 0;   // > 0: when to look the subject up again
};

struct Submission {
  RecordedAnswer answer;  // as stored (replayed: the first one)
  bool replayed = false;  // an earlier submission under this request_id
  std::string encoded_answer;  // EncodeAnswer(answer), as recorded (not set on a replay)
};

// One workflow change (Effects) of one complaint, applied atomically with its
// history, the cluster cascade, an optional outbox message and the
// idempotency record.
struct ComplaintChange {
  std::string complaint_id;
  int64_t expected_version = 0;
  Effects effects;
  Actor actor;
  int64_t now_us = 0;
  std::string outbox_payload;  // the encoded effects.forwarding, if any
  std::string method, request_id, request_hash;  // request_id empty: not recorded
};

struct StageLeft {
  Status stage;
  std::string province;
  double seconds;
};

struct AppliedChange {
  Complaint complaint;
  std::vector<std::string> tracking_codes;  // every record whose public status changed (cache invalidations)
  std::vector<StageLeft> stages_left;
  bool replayed = false;
};

struct ComplaintFilter {
  std::string region_prefix;
  std::vector<int> statuses;
  std::string election_id, violation_code, cluster_id;
  int64_t received_after_us = 0, received_before_us = 0;  // 0: no bound
  bool primaries_only = false, needs_subject_review = false;
};

class ComplaintStore {
 public:
  // Converts what the previous releases stored (UpgradeReleaseRecords,
  // RefoldSubjectKeys, SealReporterIdentities; SQLite only: a PostgreSQL
  // store is always new) before first use. Reporter identities are sealed
  // and opened with `box`.
  ComplaintStore(Database& db, const SealedBox& box);
  Database& db() { return db_; }

  std::optional<PublicStatus> FindPublicStatus(const std::string& tracking_code);
  // The complaint (for the public completion deadline and missing list).
  std::optional<Complaint> FindByTrackingCode(const std::string& tracking_code);

  std::optional<RecordedRequest> FindRequest(std::string_view method, std::string_view request_id);

  // In one transaction: an earlier submission under request_id is returned
  // (INVALID_ARGUMENT on request_id if its hash differs); otherwise the
  // complaint joins the cluster ChooseCluster picks among those of its subject
  // and violations (window_start_us: the oldest last-member time that still
  // counts) or opens one, and is stored with its first history entry and the
  // idempotency record.
  Result<Submission> InsertSubmission(const std::string& request_id, const std::string& request_hash,
                                      NewComplaint complaint, int64_t window_start_us, const Actor& actor,
                                      int64_t now_us);

  std::optional<ComplaintRow> Find(const std::string& complaint_id);
  // What a change reads before it decides, in one transaction: the complaint
  // and the first answer recorded under (method, request_id), if any (an
  // empty request_id: none is looked for).
  struct ChangeBasis {
    std::optional<ComplaintRow> row;
    std::optional<RecordedRequest> earlier;
  };
  ChangeBasis FindForChange(const std::string& complaint_id, std::string_view method, std::string_view request_id);
  // Complaints whose subject is due to be looked up again at now_us, oldest due first.
  std::vector<std::string> DueSubjectRetries(int64_t now_us, int limit);
  // Moves the next lookup (0: none) without changing the complaint.
  void ScheduleSubjectRetry(const std::string& complaint_id, int64_t at_us);
  // ABORTED when the stored version is not change.expected_version.
  Result<AppliedChange> Apply(const ComplaintChange& change);
  // In one transaction: appends the disclosure to the complaint's history
  // (its version does not change) and reads the complaint with its reporter's
  // identity; nullopt when there is no such complaint.
  std::optional<std::pair<Complaint, HistoryEntry>> RecordDisclosure(const std::string& complaint_id,
                                                                     const std::string& event_type, const Actor& actor,
                                                                     int64_t now_us, const nlohmann::json& payload);

  std::optional<Evidence> FindEvidence(const std::string& id);
  // False when it was already stored (the first upload's row stays).
  bool InsertEvidence(const Evidence& evidence);

  // Complaints newest received first, then by id descending; after_key is
  // "<received_us>:<id>" of the last one returned (empty: from the start).
  std::vector<Complaint> List(const ComplaintFilter& filter, const std::string& after_key, int limit);
  // The ids of a cluster's members.
  std::vector<std::string> ClusterMembers(const std::string& cluster_id);

  std::vector<HistoryEntry> History(const std::string& complaint_id, int64_t after_sequence, int limit);
  // The complaint with, while its forwarding is pending, the delivery state
  // of its queued message (none when delivered), in one transaction.
  struct Shown {
    ComplaintRow row;
    std::optional<QueuedForwarding> queued;
  };
  std::optional<Shown> FindShown(const std::string& complaint_id);

  std::vector<StatRow> StatRows(const std::string& region_prefix, const std::string& election_id, int64_t after_us,
                                int64_t before_us);
  std::vector<StageRow> StageRows(const std::string& region_prefix, const std::string& election_id, int64_t after_us,
                                  int64_t before_us);
  // Open complaints by province and status (netra_complaints_open).
  std::vector<std::tuple<std::string, Status, int64_t>> OpenCounts();

 private:
  Database& db_;
  const SealedBox& box_;
};

// Converts, in one transaction, the complaints and idempotency answers the
// previous release stored as netra.v1 messages into bodies of our own (the
// reporter's identity sealed under `box`), then
// drops the `record` column; nothing to do on a store already converted.
// History entries are left as they are (they are hashed; their payloads were
// JSON already). Returns how many complaints were converted.
int UpgradeReleaseRecords(Database& db, const SealedBox& box);
// Rebuilds, in one transaction, the name-based subject keys (complaints and
// cluster_keys) stored before migration 9 or 12, then drops its marker;
// the number of complaints whose key changed, 0 (and nothing done) without
// the marker. A key is rebuilt from its complaint's subject, as SubjectKey
// gives it now (the old key text lost the dots that tell "H." the title
// from "H" the initial); the key text is refolded only for a complaint that
// no longer names a person without a number.
int RefoldSubjectKeys(Database& db, const SealedBox& box);
// Seals, in one transaction, the reporter identities stored in clear before
// migration 10 (and the NIK hash column) under `box`, strips identities from
// the recorded answers, then drops migration 10's marker; nothing to do once
// it is gone. Returns how many complaints were sealed.
int SealReporterIdentities(Database& db, const SealedBox& box);

inline constexpr std::string_view kForwardingOutboxKind = "sanction.open_case";

}  // namespace netra::complaint

#include "services/complaint/complaint_store.h"

#include <cassert>
#include <variant>

#include "services/complaint/clustering.h"

namespace netra::complaint {
namespace {

// Where the two dialects differ (everything else is SQL both accept).
//
// A substring test: `instr` on SQLite, `strpos` on PostgreSQL (LIKE would
// need escaping and is case-blind for ASCII on SQLite only).
std::string ContainsSql(Dialect dialect, std::string_view column, std::string_view needle) {
  return std::string(dialect == Dialect::kSqlite ? "instr(" : "strpos(") + std::string(column) + ", " +
         std::string(needle) + ") > 0";
}
// A complaint about to change (its history appended to): on PostgreSQL its
// row is locked (FOR UPDATE), so that two replicas changing one complaint at
// once queue on the row and the later one is re-run on the changed complaint
// (ABORTED, or the first result) instead of forking its history chain. SQLite
// has one writer at a time already.
std::string_view LockSuffix(Connection& c, bool for_update) {
  return for_update && c.dialect() == Dialect::kPostgres ? " FOR UPDATE" : "";
}

constexpr const char* kRowColumns =
    "id, tracking_code, status, received_at, updated_at, version, status_since, registered_at, subject_key, "
    "province, category, cluster_id, is_primary, history_sequence, history_hash, body, "
    "(SELECT primary_id FROM clusters WHERE id = complaints.cluster_id), "
    "(SELECT member_count FROM clusters WHERE id = complaints.cluster_id)";

// The body with the columns laid over it (the columns are what changes
// atomically). Without a box the reporter's identity stays sealed (lists,
// cluster cascades: nothing there needs it).
ComplaintRow ReadRow(Statement& s, const SealedBox* box) {
  ComplaintRow row;
  row.complaint = DecodeComplaint(s.ColumnBlob(15), box);
  Complaint& r = row.complaint;
  r.complaint_id = s.ColumnText(0);
  r.tracking_code = s.ColumnText(1);
  r.status = static_cast<Status>(s.ColumnInt64(2));
  r.received_time = absl::FromUnixMicros(s.ColumnInt64(3));
  r.update_time = absl::FromUnixMicros(s.ColumnInt64(4));
  r.version = s.ColumnInt64(5);
  row.status_since_us = s.ColumnInt64(6);
  row.registered_us = s.ColumnInt64(7);
  row.subject_key = s.ColumnText(8);
  row.province = s.ColumnText(9);
  row.category = s.ColumnText(10);
  r.cluster.cluster_id = s.ColumnText(11);
  r.cluster.is_primary = s.ColumnInt64(12) != 0;
  r.cluster.primary_complaint_id = s.ColumnIsNull(16) ? r.complaint_id : s.ColumnText(16);
  r.cluster.member_count = s.ColumnIsNull(17) ? 1 : static_cast<int32_t>(s.ColumnInt64(17));
  row.head.sequence = s.ColumnInt64(13);
  row.head.hash = s.ColumnBlob(14);
  r.history_head_sequence = row.head.sequence;
  return row;
}

std::optional<ComplaintRow> FindIn(Connection& c, const std::string& id, const SealedBox& box,
                                   bool for_update = false) {
  auto s = c.Prepare(std::string("SELECT ") + kRowColumns + " FROM complaints WHERE id = ?1" +
                     std::string(LockSuffix(c, for_update)));
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  return ReadRow(s, &box);
}

std::optional<RecordedRequest> FindRequestIn(Connection& c, std::string_view method, std::string_view request_id) {
  auto recorded = FindRequestRecord(c, method, request_id);
  if (!recorded) return std::nullopt;
  return RecordedRequest{recorded->request_hash, DecodeAnswer(recorded->response)};
}

// The body as stored without the reporter's identity: the column-backed
// cluster is left out so that the body never disagrees silently with it.
std::string OpenBody(const Complaint& complaint) {
  if (complaint.cluster.cluster_id.empty()) return EncodeComplaint(complaint);
  Complaint without_cluster = complaint;
  without_cluster.cluster = ClusterInfo{};
  return EncodeComplaint(without_cluster);
}

// The body as stored: the open part and the sealed identity.
std::string Body(const Complaint& complaint, const SealedBox& box) {
  return OpenBody(complaint) + SealedIdentity(complaint, box);
}

std::string CodesColumn(const Complaint& complaint) {
  std::string out = ",";
  for (const auto& code : complaint.act.violation_codes) out += code + ",";
  return out;
}

// A statement's parameters in the order they are numbered (?1, ?2, ...: no
// gaps, which PostgreSQL refuses), so one statement text per filter shape.
class Params {
 public:
  std::string Add(std::variant<std::string, int64_t> value) {
    values_.push_back(std::move(value));
    return "?" + std::to_string(values_.size());
  }
  void BindTo(Statement& s) const {
    for (size_t i = 0; i < values_.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      if (const auto* text = std::get_if<std::string>(&values_[i])) {
        s.Bind(index, *text);
      } else {
        s.Bind(index, std::get<int64_t>(values_[i]));
      }
    }
  }

 private:
  std::vector<std::variant<std::string, int64_t>> values_;
};

// The region and everything under it ("33" holds "33.74").
std::string RegionClause(std::string_view column, const std::string& prefix, Params* params) {
  return " AND (" + std::string(column) + " = " + params->Add(prefix) + " OR substr(" + std::string(column) +
         ", 1, " + std::to_string(prefix.size() + 1) + ") = " + params->Add(prefix + ".") + ")";
}

std::string WhereClause(Dialect dialect, const ComplaintFilter& f, Params* params) {
  std::string where = " WHERE 1 = 1";
  if (!f.region_prefix.empty()) where += RegionClause("region_code", f.region_prefix, params);
  if (!f.statuses.empty()) {
    where += " AND status IN (";
    for (size_t i = 0; i < f.statuses.size(); ++i) where += (i ? ", " : "") + params->Add(int64_t{f.statuses[i]});
    where += ")";
  }
  if (!f.election_id.empty()) where += " AND election_id = " + params->Add(f.election_id);
  if (!f.violation_code.empty()) {
    where += " AND " + ContainsSql(dialect, "violation_codes", params->Add("," + f.violation_code + ","));
  }
  if (!f.cluster_id.empty()) where += " AND cluster_id = " + params->Add(f.cluster_id);
  if (f.received_after_us) where += " AND received_at >= " + params->Add(f.received_after_us);
  if (f.received_before_us) where += " AND received_at < " + params->Add(f.received_before_us);
  if (f.primaries_only) where += " AND is_primary = 1";
  if (f.needs_subject_review) where += " AND needs_subject_review = 1";
  return where;
}

// Appends an event to a complaint's chain and moves its recorded head.
HistoryEntry AppendHistory(Connection& c, const std::string& id, const HistoryHead& head,
                           const std::string& event_type, const Actor& actor, int64_t now_us,
                           const nlohmann::json& payload) {
  HistoryEntry entry = HistoryLog::Append(c, id, head, event_type, actor, now_us, payload);
  c.Prepare("UPDATE complaints SET history_sequence = ?2, history_hash = ?3 WHERE id = ?1")
      .Bind(1, id)
      .Bind(2, entry.sequence)
      .BindBlob(3, entry.hash)
      .RunDeferred();
  return entry;
}

void RecordStageLeft(Connection& c, const ComplaintRow& row, int64_t now_us, std::vector<StageLeft>* out) {
  const Complaint& r = row.complaint;
  c.Prepare(
       "INSERT INTO stage_times (complaint_id, region_code, election_id, stage, entered_at, left_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .Bind(1, r.complaint_id)
      .Bind(2, r.act.region_code)
      .Bind(3, r.act.election_id)
      .Bind(4, static_cast<int64_t>(r.status))
      .Bind(5, row.status_since_us)
      .Bind(6, now_us)
      .RunDeferred();
  out->push_back({r.status, row.province, static_cast<double>(now_us - row.status_since_us) / 1e6});
}

}  // namespace

ComplaintStore::ComplaintStore(Database& db, const SealedBox& box) : db_(db), box_(box) {
  // Only a SQLite store can hold what earlier releases wrote: a PostgreSQL
  // one is always new, and made in its final shape (kComplaintsPostgresSql).
  if (db_.dialect() != Dialect::kSqlite) return;
  UpgradeReleaseRecords(db_, box_);
  RefoldSubjectKeys(db_, box_);
  SealReporterIdentities(db_, box_);
}

std::optional<PublicStatus> ComplaintStore::FindPublicStatus(const std::string& tracking_code) {
  return db_.Read([&](Connection& c) -> std::optional<PublicStatus> {
    auto select = c.Prepare("SELECT status, received_at, updated_at FROM complaints WHERE tracking_code = ?1");
    select.Bind(1, tracking_code);
    if (!select.Step()) return std::nullopt;
    return PublicStatus{tracking_code, static_cast<Status>(select.ColumnInt64(0)), select.ColumnInt64(1),
                        select.ColumnInt64(2)};
  });
}

std::optional<Complaint> ComplaintStore::FindByTrackingCode(const std::string& tracking_code) {
  return db_.Read([&](Connection& c) -> std::optional<Complaint> {
    auto s = c.Prepare(std::string("SELECT ") + kRowColumns + " FROM complaints WHERE tracking_code = ?1");
    s.Bind(1, tracking_code);
    if (!s.Step()) return std::nullopt;
    return ReadRow(s, nullptr).complaint;
  });
}

std::optional<RecordedRequest> ComplaintStore::FindRequest(std::string_view method, std::string_view request_id) {
  return db_.Read([&](Connection& c) { return FindRequestIn(c, method, request_id); });
}

ComplaintStore::ChangeBasis ComplaintStore::FindForChange(const std::string& complaint_id, std::string_view method,
                                                          std::string_view request_id) {
  return db_.Read([&](Connection& c) {
    ChangeBasis basis{FindIn(c, complaint_id, box_), std::nullopt};
    if (basis.row && !request_id.empty()) basis.earlier = FindRequestIn(c, method, request_id);
    return basis;
  });
}

Result<Submission> ComplaintStore::InsertSubmission(const std::string& request_id, const std::string& request_hash,
                                                    NewComplaint in, int64_t window_start_us, const Actor& actor,
                                                    int64_t now_us) {
  constexpr std::string_view kMethod = "SubmitComplaint";
  // The complaint as a read will return it, encoded before the write lock is
  // taken (one writer at a time is what bounds intake). What the transaction
  // decides (the status of a cluster joined, the cluster) lives in columns,
  // which reads lay over the body, and next to the body in the answer.
  Complaint& draft = in.report.complaint;
  draft.version = 1;
  draft.update_time = absl::FromUnixMicros(now_us);
  draft.history_head_sequence = 1;  // its first history entry
  draft.reporter.nik_hash = in.reporter_nik_hash;
  // The answer (recorded, cached in Redis) holds no reporter identity; the row holds it sealed.
  const std::string open_body = OpenBody(draft);
  const std::string body = open_body + SealedIdentity(draft, box_);
  return db_.Write([&](Connection& c) -> Result<Submission> {
    auto replayed = ReplayRequest(c, {std::string(kMethod), request_id, request_hash});
    if (!replayed.ok()) return replayed.error();
    if (replayed.value()) return Submission{DecodeAnswer(*replayed.value()), true, ""};
    const NewReport& report = in.report;
    Complaint record = report.complaint;
    const std::string& id = record.complaint_id;

    // The cluster: among the clusters sharing the subject and a violation code
    // whose latest report is within the window, the one ChooseCluster picks
    // (a member shows the cluster's status).
    std::string cluster_id, primary_id = id;
    int64_t member_count = 1;
    if (Clusterable(report.subject_key, report.violation_codes)) {
      std::string sql =
          "SELECT DISTINCT k.cluster_id, c.primary_id, c.member_count, p.status, c.last_member_at FROM cluster_keys k "
          "JOIN clusters c ON c.id = k.cluster_id JOIN complaints p ON p.id = c.primary_id "
          "WHERE k.subject_key = ?1 AND c.last_member_at >= ?2 AND k.violation_code IN (";
      for (size_t i = 0; i < report.violation_codes.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 3);
      sql += ")";
      auto find = c.Prepare(sql);
      find.Bind(1, report.subject_key).Bind(2, window_start_us);
      for (size_t i = 0; i < report.violation_codes.size(); ++i) {
        find.Bind(static_cast<int>(i + 3), report.violation_codes[i]);
      }
      std::vector<ClusterCandidate> candidates;
      while (find.Step()) {
        candidates.push_back({find.ColumnText(0), find.ColumnText(1), find.ColumnInt64(2),
                              static_cast<Status>(find.ColumnInt64(3)), find.ColumnInt64(4)});
      }
      if (auto chosen = ChooseCluster(candidates, window_start_us)) {
        cluster_id = chosen->cluster_id;
        primary_id = chosen->primary_id;
        member_count = chosen->member_count + 1;
        record.status = chosen->primary_status;
      }
    }
    Submission out;
    if (cluster_id.empty()) {
      cluster_id = id;  // a lone complaint is a cluster of one, named after it
      c.Prepare("INSERT INTO clusters (id, primary_id, member_count, last_member_at) VALUES (?1, ?1, 1, ?2)")
          .Bind(1, cluster_id)
          .Bind(2, now_us)
          .RunDeferred();
    } else {
      out.answer.joined_existing_cluster = true;
      c.Prepare("UPDATE clusters SET member_count = member_count + 1, last_member_at = ?2 WHERE id = ?1")
          .Bind(1, cluster_id)
          .Bind(2, now_us)
          .RunDeferred();
    }
    if (!report.subject_key.empty()) {
      auto key = c.Prepare(
          "INSERT INTO cluster_keys (subject_key, violation_code, cluster_id) VALUES (?1, ?2, ?3) "
          "ON CONFLICT DO NOTHING");
      for (const auto& code : report.violation_codes) {
        key.Bind(1, report.subject_key).Bind(2, code).Bind(3, cluster_id).RunDeferred();
      }
    }

    // The first history entry goes in before the row so that the row is
    // written once, with its head. Joining a cluster adds nothing to the
    // primary's chain: this entry names the cluster.
    nlohmann::json payload = {{"status", StatusLabel(record.status)},
                              {"cluster_id", cluster_id},
                              {"late", record.late},
                              {"subject_resolution", std::string(Name(record.subject_resolution.status))},
                              {"violation_codes", record.act.violation_codes}};
    nlohmann::json missing = nlohmann::json::array();
    for (Requirement m : record.missing_requirements) missing.push_back(std::string(Name(m)));
    payload["missing_requirements"] = missing;
    const HistoryEntry first = HistoryLog::Append(c, id, HistoryHead{}, "complaint.submitted", actor, now_us, payload);

    assert(first.sequence == record.history_head_sequence);
    record.cluster = {cluster_id, primary_id, static_cast<int32_t>(member_count), primary_id == id};

    auto insert = c.Prepare(
        "INSERT INTO complaints (id, tracking_code, status, received_at, updated_at, version, status_since, "
        "region_code, province, election_id, violation_codes, category, subject_key, needs_subject_review, "
        "cluster_id, is_primary, reporter_nik_hash, history_sequence, history_hash, body, subject_retry_at) "
        "VALUES (?1, ?2, ?3, ?4, ?4, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
    insert.Bind(1, id)
        .Bind(2, record.tracking_code)
        .Bind(3, static_cast<int64_t>(record.status))
        .Bind(4, now_us)
        .Bind(5, record.act.region_code)
        .Bind(6, report.province)
        .Bind(7, record.act.election_id)
        .Bind(8, CodesColumn(record))
        .Bind(9, report.category)
        .Bind(10, report.subject_key)
        .Bind(11, int64_t{record.subject_resolution.needs_review})
        .Bind(12, cluster_id)
        .Bind(13, int64_t{primary_id == id})
        .Bind(15, first.sequence)
        .BindBlob(16, first.hash)
        .BindBlob(17, body)
        .Bind(18, in.subject_retry_us);
    insert.BindNull(14);  // the NIK hash is sealed with the identity, in the body
    // Deferred, as the writes above, the history entry and the request record:
    // on PostgreSQL they and COMMIT go to the server together.
    insert.RunDeferred();

    out.encoded_answer = EncodeAnswer(open_body, record.status, record.cluster, out.answer.joined_existing_cluster);
    out.answer.complaint = std::move(record);
    RecordRequest(c, {std::string(kMethod), request_id, request_hash}, out.encoded_answer);
    return out;
  });
}

std::optional<ComplaintRow> ComplaintStore::Find(const std::string& complaint_id) {
  return db_.Read([&](Connection& c) { return FindIn(c, complaint_id, box_); });
}

std::vector<std::string> ComplaintStore::DueSubjectRetries(int64_t now_us, int limit) {
  return db_.Read([&](Connection& c) {
    auto s = c.Prepare(
        "SELECT id FROM complaints WHERE subject_retry_at > 0 AND subject_retry_at <= ?1 "
        "ORDER BY subject_retry_at LIMIT ?2");
    s.Bind(1, now_us).Bind(2, int64_t{limit});
    std::vector<std::string> ids;
    while (s.Step()) ids.push_back(s.ColumnText(0));
    return ids;
  });
}

void ComplaintStore::ScheduleSubjectRetry(const std::string& complaint_id, int64_t at_us) {
  db_.Write([&](Connection& c) {
    c.Prepare("UPDATE complaints SET subject_retry_at = ?2 WHERE id = ?1").Bind(1, complaint_id).Bind(2, at_us).Run();
  });
}

Result<AppliedChange> ComplaintStore::Apply(const ComplaintChange& ch) {
  const Effects& fx = ch.effects;
  return db_.Write([&](Connection& c) -> Result<AppliedChange> {
    const RequestKey key{ch.method, ch.request_id, ch.request_hash};
    if (!ch.request_id.empty()) {
      auto replayed = ReplayRequest(c, key);
      if (!replayed.ok()) return replayed.error();
      if (replayed.value()) {
        AppliedChange replay;
        replay.complaint = DecodeAnswer(*replayed.value()).complaint;
        replay.replayed = true;
        return replay;
      }
    }
    auto row = FindIn(c, ch.complaint_id, box_, /*for_update=*/true);
    if (!row) return Error::NotFound("complaint", ch.complaint_id);
    const Complaint& before = row->complaint;
    if (before.version != ch.expected_version) {
      return Error::Aborted("complaint", ch.complaint_id, ch.expected_version, before.version);
    }
    AppliedChange out;
    const Complaint& u = fx.updated;
    const int64_t status_since = fx.status_changed ? ch.now_us : row->status_since_us;
    if (fx.status_changed) RecordStageLeft(c, *row, ch.now_us, &out.stages_left);

    std::string cluster_id = before.cluster.cluster_id;
    bool is_primary = before.cluster.is_primary;
    if (fx.leave_cluster && before.cluster.member_count > 1) {
      // The report leaves its cluster; if it led the cluster, the next oldest member leads it.
      c.Prepare("UPDATE clusters SET member_count = member_count - 1 WHERE id = ?1").Bind(1, cluster_id).Run();
      if (is_primary) {
        auto next = c.Prepare(
            "SELECT id FROM complaints WHERE cluster_id = ?1 AND id != ?2 ORDER BY received_at, id LIMIT 1");
        next.Bind(1, cluster_id).Bind(2, ch.complaint_id);
        next.Step();
        std::string next_id = next.ColumnText(0);
        c.Prepare("UPDATE clusters SET primary_id = ?2 WHERE id = ?1").Bind(1, cluster_id).Bind(2, next_id).Run();
        c.Prepare("UPDATE complaints SET is_primary = 1 WHERE id = ?1").Bind(1, next_id).Run();
      }
      cluster_id = ch.complaint_id + ":left";
      is_primary = true;
      c.Prepare("INSERT INTO clusters (id, primary_id, member_count, last_member_at) VALUES (?1, ?2, 1, ?3)")
          .Bind(1, cluster_id)
          .Bind(2, ch.complaint_id)
          .Bind(3, ch.now_us)
          .Run();
    }
    // The history entry first, so that the row is written once, with its head.
    const HistoryEntry entry = HistoryLog::Append(c, ch.complaint_id, row->head, fx.event_type, ch.actor, ch.now_us, fx.payload);
    c.Prepare(
         "UPDATE complaints SET status = ?2, updated_at = ?3, version = version + 1, status_since = ?4, "
         "registered_at = CASE WHEN CAST(?5 AS BIGINT) >= 0 THEN ?5 ELSE registered_at END, "
         "needs_subject_review = ?6, subject_key = ?7, cluster_id = ?8, is_primary = ?9, body = ?10, "
         "subject_retry_at = CASE WHEN CAST(?11 AS BIGINT) >= 0 THEN ?11 ELSE subject_retry_at END, "
         "history_sequence = ?12, history_hash = ?13 WHERE id = ?1")
        .Bind(1, ch.complaint_id)
        .Bind(2, static_cast<int64_t>(u.status))
        .Bind(3, ch.now_us)
        .Bind(4, status_since)
        .Bind(5, fx.registered_us)
        .Bind(6, int64_t{u.subject_resolution.needs_review})
        .Bind(7, row->subject_key)
        .Bind(8, cluster_id)
        .Bind(9, int64_t{is_primary})
        .BindBlob(10, Body(u, box_))
        .Bind(11, fx.subject_retry_us)
        .Bind(12, entry.sequence)
        .BindBlob(13, entry.hash)
        .RunDeferred();  // with the history entry, until a read or COMMIT (Statement::RunDeferred)
    out.tracking_codes.push_back(before.tracking_code);
    // The answer is the complaint as a read would now find it (ReadRow: the
    // body just written, the columns laid over it), without reading it back.
    out.complaint = u;
    out.complaint.complaint_id = ch.complaint_id;
    out.complaint.tracking_code = before.tracking_code;
    out.complaint.received_time = before.received_time;
    out.complaint.update_time = absl::FromUnixMicros(ch.now_us);
    out.complaint.version = before.version + 1;
    out.complaint.history_head_sequence = entry.sequence;
    out.complaint.cluster = cluster_id == before.cluster.cluster_id
                                ? before.cluster
                                : ClusterInfo{cluster_id, ch.complaint_id, /*member_count=*/1, /*is_primary=*/true};

    if (fx.cascade_to_cluster && fx.status_changed && before.cluster.member_count > 1) {
      // The cluster is handled once: its other members follow the primary's status.
      std::vector<ComplaintRow> members;
      auto select = c.Prepare(std::string("SELECT ") + kRowColumns + " FROM complaints WHERE cluster_id = ?1 AND id != ?2");
      select.Bind(1, cluster_id).Bind(2, ch.complaint_id);
      while (select.Step()) members.push_back(ReadRow(select, nullptr));
      auto update = c.Prepare(
          "UPDATE complaints SET status = ?2, updated_at = ?3, version = version + 1, status_since = ?3 WHERE id = ?1");
      nlohmann::json payload = fx.payload;
      payload["primary_complaint_id"] = ch.complaint_id;
      for (const ComplaintRow& m : members) {
        if (m.complaint.status != u.status) RecordStageLeft(c, m, ch.now_us, &out.stages_left);
        update.Bind(1, m.complaint.complaint_id).Bind(2, static_cast<int64_t>(u.status)).Bind(3, ch.now_us).Run();
        AppendHistory(c, m.complaint.complaint_id, m.head, "complaint.cluster_transitioned", ch.actor, ch.now_us,
                      payload);
        out.tracking_codes.push_back(m.complaint.tracking_code);
      }
    }
    if (fx.forwarding) EnqueueOutbox(c, kForwardingOutboxKind, ch.complaint_id, ch.outbox_payload);

    if (!ch.request_id.empty()) {
      RecordRequest(c, key, EncodeAnswer({out.complaint, false}));
    }
    return out;
  });
}

std::optional<std::pair<Complaint, HistoryEntry>> ComplaintStore::RecordDisclosure(
    const std::string& complaint_id, const std::string& event_type, const Actor& actor, int64_t now_us,
    const nlohmann::json& payload) {
  return db_.Write([&](Connection& c) -> std::optional<std::pair<Complaint, HistoryEntry>> {
    auto row = FindIn(c, complaint_id, box_, /*for_update=*/true);
    if (!row) return std::nullopt;
    HistoryEntry entry = AppendHistory(c, complaint_id, row->head, event_type, actor, now_us, payload);
    row->complaint.history_head_sequence = entry.sequence;
    return std::pair{std::move(row->complaint), std::move(entry)};
  });
}

std::optional<Evidence> ComplaintStore::FindEvidence(const std::string& id) {
  return db_.Read([&](Connection& c) -> std::optional<Evidence> {
    auto s = c.Prepare("SELECT size_bytes, media_type, file_name, uploaded_at FROM evidence WHERE id = ?1");
    s.Bind(1, id);
    if (!s.Step()) return std::nullopt;
    Evidence e;
    e.evidence_id = id;
    for (size_t i = 0; i + 1 < id.size(); i += 2) e.sha256 += static_cast<char>(std::stoi(id.substr(i, 2), nullptr, 16));
    e.size_bytes = s.ColumnInt64(0);
    e.media_type = s.ColumnText(1);
    e.file_name = s.ColumnText(2);
    e.upload_time = absl::FromUnixMicros(s.ColumnInt64(3));
    return e;
  });
}

bool ComplaintStore::InsertEvidence(const Evidence& e) {
  return db_.Write([&](Connection& c) {
    c.Prepare(
         "INSERT INTO evidence (id, size_bytes, media_type, file_name, uploaded_at) VALUES (?1, ?2, ?3, ?4, ?5) "
         "ON CONFLICT(id) DO NOTHING")
        .Bind(1, e.evidence_id)
        .Bind(2, e.size_bytes)
        .Bind(3, e.media_type)
        .Bind(4, e.file_name)
        .Bind(5, absl::ToUnixMicros(e.upload_time))
        .Run();
    return c.Changes() > 0;
  });
}

std::vector<Complaint> ComplaintStore::List(const ComplaintFilter& filter, const std::string& after_key, int limit) {
  Params params;
  std::string where = WhereClause(db_.dialect(), filter, &params);
  if (!after_key.empty()) {
    auto colon = after_key.find(':');
    const std::string received = params.Add(int64_t{std::stoll(after_key.substr(0, colon))});
    where += " AND (received_at < " + received + " OR (received_at = " + received +
             " AND id < " + params.Add(after_key.substr(colon + 1)) + "))";
  }
  std::string sql = std::string("SELECT ") + kRowColumns + " FROM complaints" + where +
                    " ORDER BY received_at DESC, id DESC LIMIT " + std::to_string(limit);
  return db_.Read([&](Connection& c) {
    std::vector<Complaint> out;
    auto s = c.Prepare(sql);
    params.BindTo(s);
    while (s.Step()) out.push_back(ReadRow(s, nullptr).complaint);
    return out;
  });
}

std::vector<std::string> ComplaintStore::ClusterMembers(const std::string& cluster_id) {
  return db_.Read([&](Connection& c) {
    auto s = c.Prepare("SELECT id FROM complaints WHERE cluster_id = ?1 ORDER BY received_at DESC, id DESC");
    s.Bind(1, cluster_id);
    std::vector<std::string> ids;
    while (s.Step()) ids.push_back(s.ColumnText(0));
    return ids;
  });
}

std::vector<HistoryEntry> ComplaintStore::History(const std::string& complaint_id, int64_t after_sequence,
                                                  int limit) {
  return db_.Read([&](Connection& c) { return HistoryLog::Load(c, complaint_id, after_sequence, limit); });
}

std::optional<ComplaintStore::Shown> ComplaintStore::FindShown(const std::string& complaint_id) {
  return db_.Read([&](Connection& c) -> std::optional<Shown> {
    auto row = FindIn(c, complaint_id, box_);
    if (!row) return std::nullopt;
    Shown shown{std::move(*row), std::nullopt};
    if (shown.row.complaint.forwarding.status != ForwardingStatus::kPending) return shown;
    auto s = c.Prepare("SELECT attempts, last_error, refused_us FROM outbox WHERE kind = ?1 AND dedupe_key = ?2");
    s.Bind(1, kForwardingOutboxKind).Bind(2, complaint_id);
    if (s.Step()) shown.queued = QueuedForwarding{static_cast<int>(s.ColumnInt64(0)), s.ColumnText(1), s.ColumnInt64(2)};
    return shown;
  });
}

std::vector<StatRow> ComplaintStore::StatRows(const std::string& region_prefix, const std::string& election_id,
                                              int64_t after_us, int64_t before_us) {
  ComplaintFilter f;
  f.region_prefix = region_prefix;
  f.election_id = election_id;
  f.received_after_us = after_us;
  f.received_before_us = before_us;
  Params params;
  std::string sql =
      "SELECT id, region_code, status, violation_codes FROM complaints" + WhereClause(db_.dialect(), f, &params);
  return db_.Read([&](Connection& c) {
    std::vector<StatRow> out;
    auto s = c.Prepare(sql);
    params.BindTo(s);
    while (s.Step()) {
      out.push_back({s.ColumnText(0), s.ColumnText(1), static_cast<Status>(s.ColumnInt64(2)), s.ColumnText(3)});
    }
    return out;
  });
}

std::vector<StageRow> ComplaintStore::StageRows(const std::string& region_prefix, const std::string& election_id,
                                                int64_t after_us, int64_t before_us) {
  Params params;
  std::string sql = "SELECT complaint_id, region_code, stage, left_at - entered_at FROM stage_times WHERE 1 = 1";
  if (!region_prefix.empty()) sql += RegionClause("region_code", region_prefix, &params);
  if (!election_id.empty()) sql += " AND election_id = " + params.Add(election_id);
  if (after_us) sql += " AND left_at >= " + params.Add(after_us);
  if (before_us) sql += " AND left_at < " + params.Add(before_us);
  return db_.Read([&](Connection& c) {
    std::vector<StageRow> out;
    auto s = c.Prepare(sql);
    params.BindTo(s);
    while (s.Step()) {
      out.push_back(
          {s.ColumnText(0), s.ColumnText(1), static_cast<Status>(s.ColumnInt64(2)), s.ColumnInt64(3) / 1000000});
    }
    return out;
  });
}

std::vector<std::tuple<std::string, Status, int64_t>> ComplaintStore::OpenCounts() {
  return db_.Read([&](Connection& c) {
    std::vector<std::tuple<std::string, Status, int64_t>> out;
    auto s = c.Prepare(
        "SELECT province, status, COUNT(*) FROM complaints WHERE status NOT IN (7, 8, 9, 10) GROUP BY province, status");
    while (s.Step()) out.emplace_back(s.ColumnText(0), static_cast<Status>(s.ColumnInt64(1)), s.ColumnInt64(2));
    return out;
  });
}

}  // namespace netra::complaint

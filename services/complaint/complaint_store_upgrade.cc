// One-time conversions of what earlier releases stored (complaint_store.h):
// netra.v1 messages (migration 8), subject keys of earlier folds (migrations 9, 12),
// reporter identities in clear (migration 10).
#include <sqlite3.h>

#include <map>
#include <set>

#include "common/log.h"
#include "common/sqlite.h"
#include "netra/v1/complaint.pb.h"
#include "services/complaint/complaint_proto.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/intake.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;

bool HasRecordColumn(Connection& c) {
  auto s = c.Prepare("SELECT COUNT(*) FROM pragma_table_info('complaints') WHERE name = 'record'");
  s.Step();
  return s.ColumnInt64(0) > 0;
}

// The release's answer of `method` (a SubmitComplaintResponse, or a
// Transition/RecordOutcome response: field 1 is the complaint) as ours.
std::string ConvertedAnswer(std::string_view method, const std::string& response) {
  v1::SubmitComplaintResponse parsed;  // the other two share field 1 and have nothing else
  if (!parsed.ParseFromString(response)) throw SqliteError(SQLITE_CORRUPT, "unreadable recorded answer");
  RecordedAnswer answer{FromProto(parsed.complaint()), false};
  if (method == "SubmitComplaint") answer.joined_existing_cluster = parsed.joined_existing_cluster();
  return EncodeAnswer(answer);
}

}  // namespace

int UpgradeReleaseRecords(Database& db, const SealedBox& box) {
  return db.Write([&](Connection& c) {
    {
      // Development builds between the release and this one (8e3b557 to
      // 8170918, never released) kept bodies as JSON text; they are not
      // converted. Refuse such a store rather than fail on every read.
      auto json = c.Prepare("SELECT COUNT(*) FROM complaints WHERE substr(body, 1, 1) = '{'");
      json.Step();
      if (json.ColumnInt64(0) > 0) {
        throw SqliteError(SQLITE_CORRUPT,
                          "complaint store written by an unreleased development build (JSON bodies); re-create it");
      }
    }
    if (!HasRecordColumn(c)) return 0;
    int converted = 0;
    std::vector<std::pair<std::string, std::string>> bodies;
    {
      auto select = c.Prepare("SELECT id, record FROM complaints WHERE length(body) = 0");
      while (select.Step()) {
        v1::Complaint record;
        if (!record.ParseFromString(select.ColumnBlob(1))) {
          throw SqliteError(SQLITE_CORRUPT, "unreadable release record of complaint " + select.ColumnText(0));
        }
        Complaint complaint = FromProto(record);
        complaint.cluster = ClusterInfo{};  // the columns hold it
        // The identity goes in sealed (SealReporterIdentities then adds the NIK hash column's).
        bodies.emplace_back(select.ColumnText(0), EncodeComplaint(complaint) + SealedIdentity(complaint, box));
      }
    }
    auto update = c.Prepare("UPDATE complaints SET body = ?2 WHERE id = ?1");
    for (const auto& [id, body] : bodies) {
      update.Bind(1, id).BindBlob(2, body).Run();
      ++converted;
    }
    std::vector<std::tuple<std::string, std::string, std::string>> answers;
    {
      auto select = c.Prepare(
          "SELECT method, request_id, response FROM request_ids "
          "WHERE method IN ('SubmitComplaint', 'TransitionComplaint', 'RecordOutcome')");
      while (select.Step()) {
        const std::string method = select.ColumnText(0);
        answers.emplace_back(method, select.ColumnText(1), ConvertedAnswer(method, select.ColumnBlob(2)));
      }
    }
    auto rewrite = c.Prepare("UPDATE request_ids SET response = ?3 WHERE method = ?1 AND request_id = ?2");
    for (const auto& [method, request_id, response] : answers) {
      rewrite.Bind(1, method).Bind(2, request_id).BindBlob(3, response).Run();
    }
    c.Exec("ALTER TABLE complaints DROP COLUMN record");
    if (converted > 0 || !answers.empty()) {
      log::Info("complaint store upgraded: release records converted",
                {{"complaints", std::to_string(converted)}, {"answers", std::to_string(answers.size())}});
    }
    return converted;
  });
}

int RefoldSubjectKeys(Database& db, const SealedBox& box) {
  return db.Write([&](Connection& c) {
    {
      auto marker = c.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'subject_keys_to_refold'");
      marker.Step();
      if (marker.ColumnInt64(0) == 0) return 0;
    }
    std::vector<std::pair<std::string, std::string>> complaints;  // id, new key
    // (old key, cluster) -> the new keys of the cluster's complaints that had it
    std::map<std::pair<std::string, std::string>, std::set<std::string>> renamed;
    {
      auto select = c.Prepare("SELECT id, subject_key, cluster_id, body FROM complaints WHERE subject_key LIKE 'n:%'");
      while (select.Step()) {
        const std::string stored = select.ColumnText(1);
        const Subject subject = DecodeComplaint(select.ColumnBlob(3), &box).subject;
        std::string refolded = subject.employee_number.empty() && !subject.name.empty()
                                   ? SubjectKey(subject, SubjectResolution{})
                                   : RefoldedSubjectKey(stored);
        renamed[{stored, select.ColumnText(2)}].insert(refolded);
        if (refolded != stored) complaints.emplace_back(select.ColumnText(0), std::move(refolded));
      }
    }
    auto update = c.Prepare("UPDATE complaints SET subject_key = ?2 WHERE id = ?1");
    for (const auto& [id, key] : complaints) update.Bind(1, id).Bind(2, key).Run();
    // Two old keys may fold into one (e.g. "É" and "é", "H. Budi" and "Budi"):
    // the rows are put back under their new keys, duplicates merged.
    std::vector<std::tuple<std::string, std::string, std::string>> keys;
    {
      auto select = c.Prepare("SELECT subject_key, violation_code, cluster_id FROM cluster_keys WHERE subject_key LIKE 'n:%'");
      while (select.Step()) {
        const std::string stored = select.ColumnText(0), code = select.ColumnText(1), cluster = select.ColumnText(2);
        auto found = renamed.find({stored, cluster});
        if (found == renamed.end()) {
          keys.emplace_back(RefoldedSubjectKey(stored), code, cluster);
        } else {
          for (const auto& key : found->second) keys.emplace_back(key, code, cluster);
        }
      }
    }
    c.Exec("DELETE FROM cluster_keys WHERE subject_key LIKE 'n:%'");
    auto insert = c.Prepare(
        "INSERT INTO cluster_keys (subject_key, violation_code, cluster_id) VALUES (?1, ?2, ?3) "
        "ON CONFLICT DO NOTHING");
    for (const auto& [key, code, cluster] : keys) insert.Bind(1, key).Bind(2, code).Bind(3, cluster).Run();
    c.Exec("DROP TABLE subject_keys_to_refold");
    if (!complaints.empty()) {
      log::Info("complaint store upgraded: subject keys refolded", {{"complaints", std::to_string(complaints.size())}});
    }
    return static_cast<int>(complaints.size());
  });
}

int SealReporterIdentities(Database& db, const SealedBox& box) {
  return db.Write([&](Connection& c) {
    {
      auto marker =
          c.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'reporter_identities_to_seal'");
      marker.Step();
      if (marker.ColumnInt64(0) == 0) return 0;
    }
    std::vector<std::pair<std::string, std::string>> bodies;  // id, sealed body
    {
      auto select = c.Prepare("SELECT id, body, reporter_nik_hash FROM complaints");
      while (select.Step()) {
        // In clear in a body of migration 8's or 9's time; sealed in one UpgradeReleaseRecords just wrote.
        Complaint complaint = DecodeComplaint(select.ColumnBlob(1), &box);
        if (!select.ColumnIsNull(2)) complaint.reporter.nik_hash = select.ColumnBlob(2);
        bodies.emplace_back(select.ColumnText(0), EncodeComplaint(complaint) + SealedIdentity(complaint, box));
      }
    }
    auto update = c.Prepare("UPDATE complaints SET body = ?2, reporter_nik_hash = NULL WHERE id = ?1");
    for (const auto& [id, body] : bodies) update.Bind(1, id).BindBlob(2, body).Run();
    // A recorded answer is replayed as it is (and cached in Redis): it keeps no identity.
    std::vector<std::tuple<std::string, std::string, std::string>> answers;
    {
      auto select = c.Prepare(
          "SELECT method, request_id, response FROM request_ids "
          "WHERE method IN ('SubmitComplaint', 'TransitionComplaint', 'RecordOutcome')");
      while (select.Step()) {
        answers.emplace_back(select.ColumnText(0), select.ColumnText(1),
                             EncodeAnswer(DecodeAnswer(select.ColumnBlob(2))));
      }
    }
    auto rewrite = c.Prepare("UPDATE request_ids SET response = ?3 WHERE method = ?1 AND request_id = ?2");
    for (const auto& [method, request_id, response] : answers) {
      rewrite.Bind(1, method).Bind(2, request_id).BindBlob(3, response).Run();
    }
    c.Exec("DROP TABLE reporter_identities_to_seal");
    if (!bodies.empty()) {
      log::Info("complaint store upgraded: reporter identities sealed",
                {{"complaints", std::to_string(bodies.size())}, {"answers", std::to_string(answers.size())}});
    }
    return static_cast<int>(bodies.size());
  });
}

}  // namespace netra::complaint

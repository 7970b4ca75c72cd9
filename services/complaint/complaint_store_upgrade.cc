// The one-time conversion of what the previous release stored as netra.v1
// messages (complaint_store.h, migration 8).
#include <sqlite3.h>

#include "common/log.h"
#include "netra/v1/complaint.pb.h"
#include "services/complaint/complaint_proto.h"
#include "services/complaint/complaint_store.h"

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

int UpgradeReleaseRecords(Database& db) {
  return db.Write([&](Connection& c) {
    if (!HasRecordColumn(c)) return 0;
    int converted = 0;
    std::vector<std::pair<std::string, std::string>> bodies;
    {
      auto select = c.Prepare("SELECT id, record FROM complaints WHERE body = ''");
      while (select.Step()) {
        v1::Complaint record;
        if (!record.ParseFromString(select.ColumnBlob(1))) {
          throw SqliteError(SQLITE_CORRUPT, "unreadable release record of complaint " + select.ColumnText(0));
        }
        Complaint complaint = FromProto(record);
        complaint.cluster = ClusterInfo{};  // the columns hold it
        bodies.emplace_back(select.ColumnText(0), EncodeComplaint(complaint));
      }
    }
    auto update = c.Prepare("UPDATE complaints SET body = ?2 WHERE id = ?1");
    for (const auto& [id, body] : bodies) {
      update.Bind(1, id).Bind(2, body).Run();
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

}  // namespace netra::complaint

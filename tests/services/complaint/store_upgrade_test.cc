// A store written by the previous release (complaints kept as netra.v1
// messages) opened by this one: every complaint reads back as the release
// answered it, every history chain still verifies, recorded answers still
// replay, and the store keeps working. data/release-store.sql is the
// `sqlite3 .dump` of a store the release's own code wrote (four complaints:
// a forwarded and closed cluster of two, an incomplete one with a hidden
// reporter, a rejected one); data/release-complaints.txtpb holds what its
// GetComplaint answered for each, in text format.
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>

#include "common/store.h"
#include "services/complaint/complaint_proto.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"
#include "tests/services/complaint/complaint_test_support.h"
#include "tests/support/test_support.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;

const std::string kData = std::string(NETRA_SOURCE_DIR) + "/tests/services/complaint/data/";

class MemoryCache final : public TextCache {
 public:
  std::optional<std::string> GetOrLoad(const std::string& key, std::chrono::seconds,
                                       const std::function<std::optional<std::string>()>& load) override {
    if (auto it = texts_.find(key); it != texts_.end()) return it->second;
    auto loaded = load();
    if (loaded) texts_[key] = *loaded;
    return loaded;
  }
  std::optional<std::string> Get(const std::string& key) override {
    auto it = texts_.find(key);
    return it == texts_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  void Set(const std::string& key, const std::string& value, std::chrono::seconds) override { texts_[key] = value; }
  void Invalidate(const std::string& key) override { texts_.erase(key); }

 private:
  std::map<std::string, std::string> texts_;
};

class NoLimits final : public RateLimiter {
 public:
  std::optional<int64_t> Increment(const std::string&, std::chrono::seconds) override { return 1; }
  std::chrono::milliseconds ResetsIn(const std::string&) override { return std::chrono::milliseconds(0); }
};

// The release's dump loaded into a fresh file, as the release left it.
void LoadDump(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const std::string dump = netra::testing::ReadFile(kData + "release-store.sql");
  ASSERT_FALSE(dump.empty());
  const int rc = sqlite3_exec(db, dump.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

std::vector<v1::Complaint> ReleaseAnswers() {
  std::vector<v1::Complaint> out;
  const std::string text = netra::testing::ReadFile(kData + "release-complaints.txtpb");
  size_t start = 0;
  for (size_t end; (end = text.find("----\n", start)) != std::string::npos; start = end + 5) {
    v1::Complaint c;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text.substr(start, end - start), &c));
    out.push_back(std::move(c));
  }
  return out;
}

int64_t Count(Database& db, const std::string& sql) {
  return db.Read([&](Connection& c) {
    auto s = c.Prepare(sql);
    s.Step();
    return s.ColumnInt64(0);
  });
}

TEST(ComplaintStoreUpgradeTest, AReleaseStoreIsConvertedInPlaceAndStillVerifies) {
  netra::testing::TempDir dir;
  const std::string path = dir.File("complaint.db");
  LoadDump(path);
  std::string error;
  auto db = Database::Open(path, kMigrations, &error);
  ASSERT_TRUE(db) << error;
  SealedBox box({std::string(32, 'r')});
  ComplaintStore store(*db, box);  // converts, and seals the reporters
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM pragma_table_info('complaints') WHERE name = 'record'"), 0);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints WHERE length(body) = 0"), 0);
  EXPECT_EQ(UpgradeReleaseRecords(*db, box), 0);  // once only
  EXPECT_EQ(SealReporterIdentities(*db, box), 0);

  testing::FakeRegistry registry;
  registry.Add("198503142010011001", "Siti Aminah", "Dinas Pendidikan Kota Semarang", "33.74");
  MemoryCache cache;
  NoLimits limits;
  NoMetrics metrics;
  ViolationCatalogSource catalog(testing::Codes(), nullptr, std::chrono::milliseconds(0));
  NikHasher hasher(std::string(32, 'k'));
  RecordKeys record_keys(std::string(32, 's'));
  Complaints complaints(store, ComplaintPorts{registry, cache, cache, limits, metrics, [](const ForwardingRequest&) {
                                                return std::string("open");
                                              }},
                        netra::testing::ShippedRegions(), catalog, hasher, box, record_keys, ComplaintSettings{});

  const std::vector<v1::Complaint> expected = ReleaseAnswers();
  ASSERT_EQ(expected.size(), 4u);
  ASSERT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints"), 4);
  // Reporter identities are sealed in place: no body, recorded answer or column holds them in clear.
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints WHERE reporter_nik_hash IS NOT NULL"), 0);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'reporter_identities_to_seal'"), 0);
  int identities = 0;
  for (const v1::Complaint& before : expected) {
    for (const std::string& text : {before.reporter().name(), before.reporter().address(), before.reporter().contact()}) {
      if (text.size() < 4) continue;
      ++identities;
      std::string quoted;
      for (char ch : text) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
      const std::string needle = "CAST('" + quoted + "' AS BLOB)";
      EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints WHERE instr(body, " + needle + ") > 0"), 0) << text;
      EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM request_ids WHERE instr(response, " + needle + ") > 0"), 0) << text;
    }
  }
  EXPECT_GT(identities, 0);
  for (const v1::Complaint& before : expected) {
    SCOPED_TRACE(before.complaint_id());
    auto read = complaints.Get(before.complaint_id());
    ASSERT_TRUE(read.ok()) << read.error().message;
    v1::Complaint after;
    ToProto(read.value(), &after);
    std::string differences;
    google::protobuf::util::MessageDifferencer differ;
    differ.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
    differ.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differ.Compare(before, after)) << differences;
    auto verified = complaints.Verify(before.complaint_id());
    ASSERT_TRUE(verified.ok());
    EXPECT_TRUE(verified.value().intact) << before.complaint_id();
  }

  // The release's recorded answers replay as ours.
  auto first = store.FindRequest("SubmitComplaint", "gen-a");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->answer.complaint.complaint_id, expected[0].complaint_id());
  auto joined = store.FindRequest("SubmitComplaint", "gen-b");
  ASSERT_TRUE(joined);
  EXPECT_TRUE(joined->answer.joined_existing_cluster);
  auto outcome = store.FindRequest("RecordOutcome", "case-1/outcome/3");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->answer.complaint.status, Status::kClosed);

  // And the store carries on: the incomplete report is rejected, its chain still intact.
  const v1::Complaint& incomplete = expected[2];
  ASSERT_EQ(incomplete.status(), v1::COMPLAINT_STATUS_INCOMPLETE);
  TransitionCommand reject;
  reject.request_id = "after-upgrade";
  reject.complaint_id = incomplete.complaint_id();
  reject.action = Action::kReject;
  reject.reason = "out of scope";
  reject.expected_version = incomplete.version();
  auto rejected = complaints.Transition(reject, std::string(32, 'h'), Actor{"officer", Actor::Kind::kPerson, "", ""},
                                        absl::Now());
  ASSERT_TRUE(rejected.ok()) << rejected.error().message;
  EXPECT_EQ(rejected.value().status, Status::kRejected);
  EXPECT_TRUE(rejected.value().reporter.identity_hidden);
  EXPECT_TRUE(complaints.Verify(incomplete.complaint_id()).value().intact);
}

// A store whose subject keys were folded ASCII-only (a reporter wrote
// "JÖKO Widodo": the release kept "jÖko widodo") is refolded on open, so that
// a report naming "Joko Widodo" finds the same clusters.
TEST(ComplaintStoreUpgradeTest, StoredSubjectKeysAreRefoldedDiacriticAware) {
  netra::testing::TempDir dir;
  const std::string path = dir.File("complaint.db");
  LoadDump(path);
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "UPDATE complaints SET subject_key = 'n:jÖko widodo|' WHERE subject_key = 'n:joko widodo|';"
                           "UPDATE cluster_keys SET subject_key = 'n:jÖko widodo|' WHERE subject_key = 'n:joko widodo|';",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  std::string error;
  auto db = Database::Open(path, kMigrations, &error);
  ASSERT_TRUE(db) << error;
  const int64_t named = Count(*db, "SELECT COUNT(*) FROM complaints WHERE subject_key = 'n:jÖko widodo|'");
  ASSERT_GT(named, 0);
  SealedBox box({std::string(32, 'r')});
  ComplaintStore store(*db, box);  // refolds

  Subject subject;
  subject.name = "Joko Widodo";
  const std::string key = SubjectKey(subject, SubjectResolution{});
  ASSERT_EQ(key, "n:joko widodo|");
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints WHERE subject_key = '" + key + "'"), named);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM cluster_keys WHERE subject_key = '" + key + "' AND violation_code = 'B2'"), 1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM cluster_keys WHERE subject_key = 'n:jÖko widodo|'"), 0);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'subject_keys_to_refold'"), 0);
  EXPECT_EQ(RefoldSubjectKeys(*db, box), 0);  // once only
}

// A store as today's build leaves it (schema to migration 11; subject keys
// of the fold before names had one normal form: "H. Joko Widodo, S.Pd." kept
// as "h joko widodo s pd", "Ma'ruf" with its apostrophe) is rekeyed from its
// complaints' subjects on open, so that later reports of the same person,
// written any way, join the same clusters.
TEST(ComplaintStoreUpgradeTest, SubjectKeysOfThePreviousFoldAreRebuiltFromTheSubjects) {
  netra::testing::TempDir dir;
  const std::string path = dir.File("complaint.db");
  SealedBox box({std::string(32, 'r')});
  testing::FakeRegistry registry;  // knows nobody: subjects keyed by name
  MemoryCache cache;
  NoLimits limits;
  NoMetrics metrics;
  ViolationCatalogSource catalog(testing::Codes(), nullptr, std::chrono::milliseconds(0));
  NikHasher hasher(std::string(32, 'k'));
  RecordKeys record_keys(std::string(32, 's'));
  const Actor officer{"officer", Actor::Kind::kPerson, "", ""};
  auto submit = [&](ComplaintStore& store, const std::string& request_id, const std::string& name,
                    const std::string& region) {
    Complaints complaints(store, ComplaintPorts{registry, cache, cache, limits, metrics, [](const ForwardingRequest&) {
                                                  return std::string("open");
                                                }},
                          netra::testing::ShippedRegions(), catalog, hasher, box, record_keys, ComplaintSettings{});
    SubmitCommand command = testing::ValidCommand();
    command.request_id = request_id;
    command.subject = Subject{"", name, "", region, ""};
    auto result = complaints.Submit(command, std::string(32, request_id.back()), officer, testing::kNow);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? result.value() : SubmitResult{};
  };
  std::string error;
  SubmitResult joko, maruf;
  {
    auto db = Database::Open(path, std::span(kMigrations).first(11), &error);
    ASSERT_TRUE(db) << error;
    ComplaintStore store(*db, box);
    Evidence e;
    e.evidence_id = std::string(64, 'a');
    e.size_bytes = 3;
    e.media_type = "text/plain";
    store.InsertEvidence(e);
    joko = submit(store, "old-1", "H. Joko Widodo, S.Pd.", "33.74");
    maruf = submit(store, "old-2", "Ma'ruf Amin", "");
    db->Write([&](Connection& c) {
      for (const auto& [result, key] : {std::pair{&joko, "n:h joko widodo s pd|33.74"}, std::pair{&maruf, "n:ma'ruf amin|"}}) {
        c.Prepare("UPDATE complaints SET subject_key = ?2 WHERE id = ?1").Bind(1, result->complaint.complaint_id).Bind(2, key).Run();
        c.Prepare("UPDATE cluster_keys SET subject_key = ?2 WHERE cluster_id = ?1")
            .Bind(1, result->complaint.cluster.cluster_id)
            .Bind(2, key)
            .Run();
      }
      return 0;
    });
  }
  auto db = Database::Open(path, kMigrations, &error);
  ASSERT_TRUE(db) << error;
  ComplaintStore store(*db, box);  // rekeys
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints WHERE subject_key = 'n:joko widodo|33.74'"), 1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM complaints WHERE subject_key = 'n:maruf amin|'"), 1);
  EXPECT_GT(Count(*db, "SELECT COUNT(*) FROM cluster_keys WHERE subject_key = 'n:joko widodo|33.74'"), 0);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM cluster_keys WHERE subject_key IN ('n:h joko widodo s pd|33.74', "
                       "'n:ma''ruf amin|')"), 0);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'subject_keys_to_refold'"), 0);
  EXPECT_EQ(RefoldSubjectKeys(*db, box), 0);  // once only

  const SubmitResult again = submit(store, "new-1", "Joko  Widodo", "33.74");
  EXPECT_TRUE(again.joined_existing_cluster);
  EXPECT_EQ(again.complaint.cluster.cluster_id, joko.complaint.cluster.cluster_id);
  const SubmitResult curly = submit(store, "new-2", "MA\xE2\x80\x99RUF Amin", "");
  EXPECT_TRUE(curly.joined_existing_cluster);
  EXPECT_EQ(curly.complaint.cluster.cluster_id, maruf.complaint.cluster.cluster_id);
}

}  // namespace
}  // namespace netra::complaint

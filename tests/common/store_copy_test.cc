// netractl store copy's engine (common/store_copy.h): a SQLite store copied
// into a new store of each backend (Backends/.../Sqlite and .../Postgres).
#include "common/store_copy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/history.h"
#include "common/outbox.h"
#include "common/store.h"
#include "common/store_schema.h"
#include "tests/common/store_backends.h"

namespace netra {
namespace {

constexpr std::string_view kNotesSql = R"sql(
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, score REAL, sealed BLOB);
)sql";
constexpr std::string_view kNotesPostgresSql = R"sql(
CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT, score DOUBLE PRECISION, sealed BYTEA);
)sql";

const Migration kMigrations[] = {{1, "request ids", kRequestIdsSql, kRequestIdsPostgresSql},
                                 {2, "outbox", kOutboxSql, kOutboxPostgresSql},
                                 {3, "history", kHistorySql, kHistoryPostgresSql},
                                 {4, "notes", kNotesSql, kNotesPostgresSql}};

Actor Officer() { return Actor{"bawaslu-33.74/officer-1", Actor::Kind::kPerson, "Officer", "Bawaslu"}; }

class StoreCopyTest : public netra::testing::StoreBackendTest {
 protected:
  // A SQLite source with rows in every table: text with quotes and UTF-8, a
  // NULL, a real, bytes that are not text, outbox ids, and two histories.
  std::unique_ptr<Database> Source() {
    auto db = MustOpen(StoreUrl{"sqlite", dir_.File("source.db")}, kMigrations);
    db->Write([](Connection& conn) {
      auto note = conn.Prepare("INSERT INTO notes (id, body, score, sealed) VALUES (?1, ?2, ?3, ?4)");
      note.Bind(1, int64_t{1}).Bind(2, "Kepala Dinas \"Pak\" Ma'ruf — ü").BindDouble(3, 0.25).BindBlob(4, std::string("\0\xff\x01", 3)).Run();
      note.Bind(1, int64_t{2}).BindNull(2).BindNull(3).BindNull(4).Run();
      for (int i = 0; i < 2500; ++i) EnqueueOutbox(conn, "peer.call", "key-" + std::to_string(i), "payload");
      HistoryHead head;
      for (int i = 0; i < 3; ++i) head = HeadOf(HistoryLog::Append(conn, "C-1", head, "complaint.transitioned", Officer(), 1000 + i, {{"step", i}}));
      HistoryLog::Append(conn, "C-2", HistoryHead{}, "complaint.submitted", Officer(), 5, nlohmann::json::object());
    });
    return db;
  }
};
NETRA_STORE_BACKENDS(StoreCopyTest);

TEST_P(StoreCopyTest, EveryRowArrivesAsItWasAndEveryHistoryVerifies) {
  auto source = Source();
  auto target = MustOpen(NewStore(), kMigrations);
  StoreCopyReport report;
  std::string error;
  ASSERT_TRUE(CopyStore(*source, *target, &report, &error)) << error;
  EXPECT_TRUE(report.ok()) << ::testing::PrintToString(report.broken_histories);
  EXPECT_EQ(report.tables.size(), 4u);  // not schema_migrations: each store keeps its own
  for (const TableCopy& t : report.tables) EXPECT_EQ(t.source_rows, t.target_rows) << t.table;
  EXPECT_EQ(report.histories, 2);
  EXPECT_EQ(report.histories_intact, 2);
  target->Read([](Connection& conn) {
    auto note = conn.Prepare("SELECT body, score, sealed FROM notes WHERE id = 1");
    ASSERT_TRUE(note.Step());
    EXPECT_EQ(note.ColumnText(0), "Kepala Dinas \"Pak\" Ma'ruf — ü");
    EXPECT_DOUBLE_EQ(note.ColumnDouble(1), 0.25);
    EXPECT_EQ(note.ColumnBlob(2), std::string("\0\xff\x01", 3));
    auto empty = conn.Prepare("SELECT body IS NULL, score IS NULL, sealed IS NULL FROM notes WHERE id = 2");
    ASSERT_TRUE(empty.Step());
    EXPECT_EQ(empty.ColumnInt64(0) + empty.ColumnInt64(1) + empty.ColumnInt64(2), 3);
  });
  EXPECT_EQ(netra::testing::QueryInt(*target, "SELECT COUNT(*) FROM outbox"), 2500);
  // A message queued after the move gets a new id, not a copied one.
  target->Write([](Connection& conn) { EXPECT_TRUE(EnqueueOutbox(conn, "peer.call", "after-the-move", "payload")); });
  EXPECT_EQ(netra::testing::QueryInt(*target, "SELECT MAX(id) FROM outbox"), 2501);
}

// Only a store no migration has touched is a target; a service's store is not.
TEST_P(StoreCopyTest, OnlyANewStoreIsATarget) {
  const StoreUrl fresh = NewStore();
  std::string error;
  EXPECT_TRUE(IsNewStore(fresh, {}, &error)) << error;
  EXPECT_TRUE(IsNewStore(fresh, {}, &error)) << error;  // looking leaves it new
  auto used = MustOpen(fresh, kMigrations);
  used->Write([](Connection& conn) { conn.Exec("INSERT INTO notes (id, body) VALUES (7, 'already here')"); });
  EXPECT_FALSE(IsNewStore(fresh, {}, &error));
  EXPECT_NE(error.find("not a new store"), std::string::npos) << error;
  EXPECT_EQ(netra::testing::QueryInt(*used, "SELECT COUNT(*) FROM notes"), 1);
}

// A row the target's migrations seeded (a singleton state row) gives way to the source's.
TEST_P(StoreCopyTest, RowsTheMigrationsSeededAreReplacedByTheSources) {
  const std::string seed = "INSERT INTO notes (id, body) VALUES (1, 'seeded');";
  const Migration seeded[] = {{1, "request ids", kRequestIdsSql, kRequestIdsPostgresSql},
                              {2, "outbox", kOutboxSql, kOutboxPostgresSql},
                              {3, "history", kHistorySql, kHistoryPostgresSql},
                              {4, "notes", kNotesSql, kNotesPostgresSql},
                              {5, "seed", seed, seed}};
  auto source = Source();
  source->Write([&](Connection& conn) { conn.Exec("CREATE TABLE IF NOT EXISTS unused (x INTEGER)"); });
  auto target = MustOpen(NewStore(), seeded);
  StoreCopyReport report;
  std::string error;
  ASSERT_TRUE(CopyStore(*source, *target, &report, &error)) << error;
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(netra::testing::QueryInt(*target, "SELECT COUNT(*) FROM notes"), 2);
  EXPECT_EQ(target->Read([](Connection& conn) {
    auto s = conn.Prepare("SELECT body FROM notes WHERE id = 1");
    s.Step();
    return s.ColumnText(0);
  }), "Kepala Dinas \"Pak\" Ma'ruf — ü");
  ASSERT_EQ(report.not_copied.size(), 1u);  // a source table the target has no place for
  EXPECT_EQ(report.not_copied[0].table, "unused");
}

TEST_P(StoreCopyTest, AnEditedHistoryInTheSourceIsReportedBroken) {
  auto source = Source();
  source->Write([](Connection& conn) {
    conn.Exec("UPDATE history SET payload_json = '{\"step\":9}' WHERE resource_id = 'C-1' AND sequence = 2");
  });
  auto target = MustOpen(NewStore(), kMigrations);
  StoreCopyReport report;
  std::string error;
  ASSERT_TRUE(CopyStore(*source, *target, &report, &error)) << error;
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.histories_intact, 1);
  ASSERT_EQ(report.broken_histories.size(), 1u);
  EXPECT_TRUE(report.broken_histories[0].starts_with("C-1: ")) << report.broken_histories[0];
}

TEST_P(StoreCopyTest, ASourceWithoutTheTargetsTablesIsRefused) {
  const Migration only_notes[] = {{1, "notes", kNotesSql, kNotesPostgresSql}};
  auto source = MustOpen(StoreUrl{"sqlite", dir_.File("other.db")}, only_notes);
  auto target = MustOpen(NewStore(), kMigrations);
  StoreCopyReport report;
  std::string error;
  EXPECT_FALSE(CopyStore(*source, *target, &report, &error));
  EXPECT_NE(error.find("has no table"), std::string::npos) << error;
}

}  // namespace
}  // namespace netra

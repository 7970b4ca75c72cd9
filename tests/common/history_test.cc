#include "common/history.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/store.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using Break = HistoryVerification::Break;

Actor Officer() { return {"bawaslu-33.74/officer-12", Actor::Kind::kPerson, "Sri Rahayu", "Bawaslu Kota Semarang"}; }

std::vector<HistoryEntry> Chain(int n) {
  std::vector<HistoryEntry> entries;
  HistoryHead head;
  for (int i = 0; i < n; ++i) {
    entries.push_back(ChainEntry(head, "complaint.transitioned", Officer(), 1'700'000'000'000'000 + i * 1'000'000,
                                 {{"action", "register"}, {"step", i}}));
    head = HeadOf(entries.back());
  }
  return entries;
}

TEST(HistoryTest, CanonicalEventIsSortedCompactJsonWithRfc3339Time) {
  const std::string canonical =
      CanonicalEvent(3, "case.opened", {"svc:netra-sanction", Actor::Kind::kService, "", ""}, 1'707'868'800'123'456,
                     {{"z", 1}, {"a", "é"}});
  EXPECT_EQ(canonical,
            R"({"actor":{"display_name":"","id":"svc:netra-sanction","kind":2,"organization":""},)"
            R"("event_time":"2024-02-14T00:00:00.123456Z","event_type":"case.opened",)"
            R"("payload":{"a":"é","z":1},"sequence":3})");
}

TEST(HistoryTest, EntriesLinkFromZeroHashAndHashTheirCanonicalBytes) {
  auto entries = Chain(3);
  EXPECT_EQ(entries[0].sequence, 1);
  EXPECT_EQ(entries[0].prev_hash, std::string(32, '\0'));
  EXPECT_EQ(entries[1].prev_hash, entries[0].hash);
  EXPECT_EQ(entries[2].hash, Sha256::Of({entries[2].prev_hash, entries[2].canonical_event}));
  // What a client recomputes on its own, from published rules.
  EXPECT_EQ(HexOf(Sha256::Of({"abc"})), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HistoryTest, IntactChainVerifies) {
  auto entries = Chain(4);
  auto v = VerifyHistory(entries, HeadOf(entries.back()));
  EXPECT_TRUE(v.intact) << v.description;
  EXPECT_EQ(v.entries_checked, 4);
  EXPECT_EQ(v.head_hash, entries.back().hash);
  EXPECT_TRUE(VerifyHistory({}, HistoryHead{}).intact);
}

TEST(HistoryTest, EditedPayloadIsAContentMismatch) {
  auto entries = Chain(4);
  entries[1].payload_json = R"({"action":"dismiss","step":1})";
  auto v = VerifyHistory(entries, HeadOf(entries.back()));
  EXPECT_FALSE(v.intact);
  EXPECT_EQ(v.first_broken_sequence, 2);
  EXPECT_EQ(v.break_kind, Break::kContentMismatch);
  EXPECT_EQ(v.entries_checked, 1);
}

TEST(HistoryTest, EditedEventWithRecomputedCanonicalBytesIsAHashMismatch) {
  auto entries = Chain(4);
  entries[2].actor.id = "someone-else";
  entries[2].canonical_event = CanonicalEvent(3, entries[2].event_type, entries[2].actor, entries[2].event_time_us,
                                              nlohmann::json::parse(entries[2].payload_json));
  auto v = VerifyHistory(entries, HeadOf(entries.back()));
  EXPECT_EQ(v.break_kind, Break::kHashMismatch);
  EXPECT_EQ(v.first_broken_sequence, 3);
}

TEST(HistoryTest, RewrittenEntryWithFreshHashBreaksTheNextLink) {
  auto entries = Chain(4);
  // A forger rechains entry 2 from entry 1 with other content.
  entries[1] = ChainEntry(HeadOf(entries[0]), "complaint.transitioned", Officer(), entries[1].event_time_us,
                          {{"action", "dismiss"}});
  auto v = VerifyHistory(entries, HeadOf(entries.back()));
  EXPECT_EQ(v.break_kind, Break::kPrevHashMismatch);
  EXPECT_EQ(v.first_broken_sequence, 3);
}

TEST(HistoryTest, DeletedMiddleEntryIsASequenceGap) {
  auto entries = Chain(4);
  entries.erase(entries.begin() + 1);
  auto v = VerifyHistory(entries, HeadOf(Chain(4).back()));
  EXPECT_EQ(v.break_kind, Break::kSequenceGap);
  EXPECT_EQ(v.first_broken_sequence, 2);
}

TEST(HistoryTest, CutTailIsAHeadMismatch) {
  auto entries = Chain(4);
  const HistoryHead recorded = HeadOf(entries.back());
  entries.pop_back();
  auto v = VerifyHistory(entries, recorded);
  EXPECT_EQ(v.break_kind, Break::kHeadMismatch);
  EXPECT_EQ(v.first_broken_sequence, 4);
  EXPECT_EQ(v.entries_checked, 3);
}

TEST(HistoryTest, AppendAndLoadRoundTripThroughTheStore) {
  netra::testing::TempDir dir;
  const Migration migrations[] = {{1, "history", kHistorySql}};
  std::string error;
  auto db = Database::Open(dir.File("h.db"), migrations, &error);
  ASSERT_NE(db, nullptr) << error;
  HistoryHead head;
  for (int i = 0; i < 3; ++i) {
    head = db->Write([&](Connection& conn) {
      return HeadOf(HistoryLog::Append(conn, "C-1", head, "complaint.transitioned", Officer(), 1'700'000'000'000'000 + i,
                                       {{"i", i}}));
    });
  }
  db->Write([&](Connection& conn) {
    HistoryLog::Append(conn, "C-2", HistoryHead{}, "complaint.submitted", Officer(), 1, {});
  });
  auto all = db->Read([&](Connection& conn) { return HistoryLog::Load(conn, "C-1"); });
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].actor.organization, "Bawaslu Kota Semarang");
  EXPECT_EQ(all[0].actor.kind, Actor::Kind::kPerson);
  EXPECT_TRUE(VerifyHistory(all, head).intact);
  auto page = db->Read([&](Connection& conn) { return HistoryLog::Load(conn, "C-1", 1, 1); });
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].sequence, 2);

  // Tampering with the stored row is seen.
  db->Write([&](Connection& conn) {
    conn.Exec("UPDATE history SET payload_json = '{\"i\":7}' WHERE resource_id = 'C-1' AND sequence = 2");
  });
  auto tampered = db->Read([&](Connection& conn) { return HistoryLog::Load(conn, "C-1"); });
  EXPECT_EQ(VerifyHistory(tampered, head).first_broken_sequence, 2);
}

}  // namespace
}  // namespace netra

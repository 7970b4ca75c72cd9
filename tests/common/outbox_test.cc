#include "common/outbox.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <mutex>
#include <set>
#include <span>

#include "absl/time/clock.h"
#include "common/store.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using namespace std::chrono_literals;

const Migration kMigrations[] = {{1, "outbox", kOutboxSql, kOutboxPostgresSql},
                                 {2, "outbox refusals parked", kOutboxRefusalSql, kOutboxRefusalPostgresSql}};

// On both backends (store_backends.h); Open opens the test's one store again.
class OutboxTest : public netra::testing::StoreBackendTest {
 protected:
  std::unique_ptr<Database> Open(std::span<const Migration> migrations = kMigrations) {
    if (url_.scheme.empty()) url_ = NewStore();
    return MustOpen(url_, migrations);
  }
  static void Enqueue(Database& db, const std::string& key, bool expect_new = true) {
    db.Write([&](Connection& conn) { EXPECT_EQ(EnqueueOutbox(conn, "peer.call", key, "payload-" + key), expect_new); });
  }
  static int64_t Pending(Database& db) {
    return db.Read([](Connection& conn) {
      auto stmt = conn.Prepare("SELECT COUNT(*) FROM outbox");
      stmt.Step();
      return stmt.ColumnInt64(0);
    });
  }

  StoreUrl url_;
};
NETRA_STORE_BACKENDS(OutboxTest);

TEST_P(OutboxTest, SameKeyIsQueuedOnce) {
  auto db = Open();
  Enqueue(*db, "complaint-1");
  Enqueue(*db, "complaint-1", /*expect_new=*/false);
  EXPECT_EQ(Pending(*db), 1);
  EXPECT_TRUE(db->Read([](Connection& conn) { return OutboxHas(conn, "peer.call", "complaint-1"); }));
  EXPECT_FALSE(db->Read([](Connection& conn) { return OutboxHas(conn, "peer.call", "complaint-2"); }));
}

TEST_P(OutboxTest, DeliveredMessagesLeaveTheQueue) {
  auto db = Open();
  Enqueue(*db, "a");
  Enqueue(*db, "b");
  std::mutex mu;
  std::multiset<std::string> seen;
  OutboxDispatcher dispatcher(*db, nullptr);
  dispatcher.Handle("peer.call", [&](const OutboxMessage& m) {
    std::lock_guard lock(mu);
    seen.insert(m.payload);
    return OutboxDispatcher::Delivery::Ok();
  });
  EXPECT_EQ(dispatcher.DeliverDue(), 2);
  EXPECT_EQ(seen, (std::multiset<std::string>{"payload-a", "payload-b"}));
  EXPECT_EQ(Pending(*db), 0);
  EXPECT_EQ(dispatcher.DeliverDue(), 0);
}

TEST_P(OutboxTest, FailedDeliveryIsRetriedAfterBackoffAndSurvivesARestart) {
  auto db = Open();
  Enqueue(*db, "a");
  {
    OutboxOptions options;
    options.min_backoff = 1h;  // not due again within this test
    OutboxDispatcher down(*db, nullptr, options);
    down.Handle("peer.call", [](const OutboxMessage&) { return OutboxDispatcher::Delivery::Failed("peer unavailable"); });
    EXPECT_EQ(down.DeliverDue(), 0);
    EXPECT_EQ(down.DeliverDue(), 0);  // backing off: not attempted again
  }
  auto [attempts, error] = db->Read([](Connection& conn) {
    auto stmt = conn.Prepare("SELECT attempts, last_error FROM outbox");
    EXPECT_TRUE(stmt.Step());
    return std::pair{stmt.ColumnInt64(0), stmt.ColumnText(1)};
  });
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(error, "peer unavailable");

  // The process restarts (store reopened); once due, the message goes out.
  db.reset();
  db = Open();
  db->Write([](Connection& conn) { conn.Exec("UPDATE outbox SET next_attempt_us = 0"); });
  int calls = 0;
  OutboxDispatcher up(*db, nullptr);
  up.Handle("peer.call", [&](const OutboxMessage& m) {
    ++calls;
    EXPECT_EQ(m.attempts, 1);
    return OutboxDispatcher::Delivery::Ok();
  });
  EXPECT_EQ(up.DeliverDue(), 1);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Pending(*db), 0);
}

// A slow peer call holds up only its own resource: messages about different
// resources are in flight together (the case flow's throughput depends on it).
TEST_P(OutboxTest, MessagesAboutDifferentResourcesAreDeliveredAtOnce) {
  auto db = Open();
  for (const char* key : {"a", "b", "c", "d"}) Enqueue(*db, key);
  OutboxDispatcher dispatcher(*db, nullptr);
  std::atomic<int> in_flight{0};
  std::atomic<int> most_at_once{0};
  dispatcher.Handle("peer.call", [&](const OutboxMessage&) {
    const int now = ++in_flight;
    for (int seen = most_at_once.load(); seen < now && !most_at_once.compare_exchange_weak(seen, now);) {
    }
    // Each delivery waits (bounded) until all four are in flight at once.
    netra::testing::WaitUntil([&] { return most_at_once.load() == 4; }, 5s);
    --in_flight;
    return OutboxDispatcher::Delivery::Ok();
  });
  EXPECT_EQ(dispatcher.DeliverDue(), 4);
  EXPECT_EQ(most_at_once.load(), 4);
  EXPECT_EQ(Pending(*db), 0);
}

// Messages about one resource (its ordering key) go in queue order, and a
// failed one holds back the later ones until it is delivered.
TEST_P(OutboxTest, OneResourcesMessagesGoInOrderAndWaitBehindAFailedOne) {
  auto db = Open();
  for (const char* key : {"case-1:1", "case-2:1", "case-1:2", "case-1:3"}) Enqueue(*db, key);
  OutboxOptions options;
  options.min_backoff = 0ms;  // the failed message is due again at once
  OutboxDispatcher dispatcher(*db, nullptr, options);
  std::mutex mu;
  std::vector<std::string> case_1_attempts;
  bool failed_once = false;
  dispatcher.Handle(
      "peer.call",
      [&](const OutboxMessage& m) {
        std::lock_guard lock(mu);
        if (m.dedupe_key.starts_with("case-1")) case_1_attempts.push_back(m.dedupe_key);
        if (m.dedupe_key == "case-1:1" && !failed_once) {
          failed_once = true;
          return OutboxDispatcher::Delivery::Failed("peer busy");
        }
        return OutboxDispatcher::Delivery::Ok();
      },
      [](const OutboxMessage& m) { return m.dedupe_key.substr(0, m.dedupe_key.find(':')); });
  EXPECT_EQ(dispatcher.DeliverDue(), 1);  // case-2 only; case-1:2 and :3 were not tried
  EXPECT_EQ(case_1_attempts, (std::vector<std::string>{"case-1:1"}));
  EXPECT_EQ(dispatcher.DeliverDue(), 3);
  EXPECT_EQ(case_1_attempts, (std::vector<std::string>{"case-1:1", "case-1:1", "case-1:2", "case-1:3"}));
  EXPECT_EQ(Pending(*db), 0);
}

TEST_P(OutboxTest, AMessageClaimedByOneReplicaIsNotDeliveredByAnother) {
  auto db = Open();
  Enqueue(*db, "a");
  OutboxDispatcher first(*db, nullptr), second(*db, nullptr);
  int second_calls = 0;
  second.Handle("peer.call", [&](const OutboxMessage&) {
    ++second_calls;
    return OutboxDispatcher::Delivery::Ok();
  });
  first.Handle("peer.call", [&](const OutboxMessage&) {
    // While the first replica is still talking to the peer, the second looks.
    EXPECT_EQ(second.DeliverDue(), 0);
    return OutboxDispatcher::Delivery::Ok();
  });
  EXPECT_EQ(first.DeliverDue(), 1);
  EXPECT_EQ(second_calls, 0);
}

TEST_P(OutboxTest, UnknownKindsStayQueuedAndHandlerExceptionsAreFailures) {
  auto db = Open();
  db->Write([](Connection& conn) { EnqueueOutbox(conn, "other.kind", "x", ""); });
  Enqueue(*db, "a");
  OutboxDispatcher dispatcher(*db, nullptr);
  dispatcher.Handle("peer.call", [](const OutboxMessage&) -> OutboxDispatcher::Delivery {
    throw std::runtime_error("bad payload");
  });
  EXPECT_EQ(dispatcher.DeliverDue(), 0);
  EXPECT_EQ(Pending(*db), 2);
}

TEST_P(OutboxTest, BackgroundThreadDeliversAfterWakeAndCountsInMetrics) {
  auto db = Open();
  prometheus::Registry registry;
  OutboxOptions options;
  options.poll_interval = 1h;  // only a Wake can make it deliver within the test
  OutboxDispatcher dispatcher(*db, &registry, options);
  std::atomic<int> delivered{0};
  dispatcher.Handle("peer.call", [&](const OutboxMessage&) {
    ++delivered;
    return OutboxDispatcher::Delivery::Ok();
  });
  dispatcher.Start();
  Enqueue(*db, "a");
  dispatcher.Wake();
  ASSERT_TRUE(netra::testing::WaitUntil([&] { return delivered.load() == 1; }, 5s));
  dispatcher.Stop();
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find(R"(netra_outbox_deliveries_total{kind="peer.call",result="delivered"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(netra_outbox_pending{kind="peer.call"} 0)"), std::string::npos) << text;
}

// The background thread does not wait for deliveries in flight before it
// claims again: a complaint forwarded while a slow peer holds up another
// message goes out at once.
TEST_P(OutboxTest, AMessageQueuedWhileASlowDeliveryIsInFlightGoesOutAtOnce) {
  auto db = Open();
  OutboxOptions options;
  options.poll_interval = 1h;  // only Wake makes it claim within the test
  OutboxDispatcher dispatcher(*db, nullptr, options);
  std::atomic<bool> slow_started{false}, fast_delivered{false}, fast_came_first{false};
  dispatcher.Handle("peer.call", [&](const OutboxMessage& m) {
    if (m.dedupe_key == "fast") {
      fast_delivered = true;
    } else {
      slow_started = true;
      fast_came_first = netra::testing::WaitUntil([&] { return fast_delivered.load(); }, 5s);
    }
    return OutboxDispatcher::Delivery::Ok();
  });
  dispatcher.Start();
  Enqueue(*db, "slow");
  dispatcher.Wake();
  ASSERT_TRUE(netra::testing::WaitUntil([&] { return slow_started.load(); }, 5s));
  Enqueue(*db, "fast");
  dispatcher.Wake();
  ASSERT_TRUE(netra::testing::WaitUntil([&] { return Pending(*db) == 0; }, 10s));
  dispatcher.Stop();
  EXPECT_TRUE(fast_came_first.load());
}

// A message claimed while an earlier one of its resource is in flight waits
// behind it, and behind its retry when it fails.
TEST_P(OutboxTest, AResourcesLaterMessageClaimedDuringADeliveryWaitsBehindIt) {
  auto db = Open();
  OutboxOptions options;
  options.poll_interval = 50ms;  // how a retry is taken up (no Wake for it)
  options.min_backoff = 0ms;     // a failed message is due again at once
  OutboxDispatcher dispatcher(*db, nullptr, options);
  auto claimed = [&](const std::string& key) {  // its lease has started
    return db->Read([&](Connection& conn) {
      auto stmt = conn.Prepare("SELECT next_attempt_us FROM outbox WHERE dedupe_key = ?1");
      stmt.Bind(1, key);
      return stmt.Step() && stmt.ColumnInt64(0) > absl::ToUnixMicros(absl::Now()) + 10'000'000;
    });
  };
  std::mutex mu;
  std::vector<std::string> attempts;
  std::atomic<int> in_flight{0}, most_at_once{0};
  std::atomic<bool> second_claimed{false};
  dispatcher.Handle(
      "peer.call",
      [&](const OutboxMessage& m) {
        const int now = ++in_flight;
        for (int seen = most_at_once.load(); seen < now && !most_at_once.compare_exchange_weak(seen, now);) {
        }
        bool first_try = false;
        {
          std::lock_guard lock(mu);
          first_try = attempts.empty();
          attempts.push_back(m.dedupe_key);
        }
        if (first_try) {  // case-1:1, held until case-1:2 is claimed too, then failed once
          second_claimed = netra::testing::WaitUntil([&] { return claimed("case-1:2"); }, 5s);
        }
        --in_flight;
        return first_try ? OutboxDispatcher::Delivery::Failed("peer busy") : OutboxDispatcher::Delivery::Ok();
      },
      [](const OutboxMessage& m) { return m.dedupe_key.substr(0, m.dedupe_key.find(':')); });
  dispatcher.Start();
  Enqueue(*db, "case-1:1");
  dispatcher.Wake();
  ASSERT_TRUE(netra::testing::WaitUntil([&] { return in_flight.load() == 1; }, 5s));
  Enqueue(*db, "case-1:2");
  dispatcher.Wake();
  ASSERT_TRUE(netra::testing::WaitUntil([&] { return Pending(*db) == 0; }, 10s));
  dispatcher.Stop();
  EXPECT_TRUE(second_claimed.load());
  EXPECT_EQ(most_at_once.load(), 1);
  std::lock_guard lock(mu);
  EXPECT_EQ(attempts, (std::vector<std::string>{"case-1:1", "case-1:1", "case-1:2"}));
}

TEST_P(OutboxTest, RefusedDeliveryIsParkedWithItsReasonCountedAndNotRetried) {
  auto db = Open();
  prometheus::Registry registry;
  OutboxOptions options;
  options.min_backoff = 0ms;  // a failed one would be due again at once: only parking stops it
  OutboxDispatcher dispatcher(*db, &registry, options);
  int calls = 0;
  dispatcher.Handle("peer.call", [&](const OutboxMessage&) {
    ++calls;
    return OutboxDispatcher::Delivery::Refused("OpenCase: INVALID_ARGUMENT: employee_id: not in the registry");
  });
  Enqueue(*db, "a");
  EXPECT_EQ(dispatcher.DeliverDue(), 0);
  EXPECT_EQ(dispatcher.DeliverDue(), 0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Pending(*db), 1);  // parked, not deleted
  auto failed = db->Read([](Connection& c) { return ListFailedDeliveries(c, "", true, 0, 10); });
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].dedupe_key, "a");
  EXPECT_GT(failed[0].refused_us, 0);
  EXPECT_EQ(failed[0].next_attempt_us, kOutboxParked);
  EXPECT_EQ(failed[0].attempts, 1);
  EXPECT_EQ(failed[0].last_error, "OpenCase: INVALID_ARGUMENT: employee_id: not in the registry");

  dispatcher.RefreshPending();
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_NE(text.find(R"(netra_outbox_deliveries_total{kind="peer.call",result="refused"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(netra_outbox_refused{kind="peer.call"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(netra_outbox_pending{kind="peer.call"} 0)"), std::string::npos) << text;
}

TEST_P(OutboxTest, FailedDeliveriesAreListedRefusedOrNotAndPageByKind) {
  auto db = Open();
  OutboxOptions options;
  options.min_backoff = 1h;
  OutboxDispatcher dispatcher(*db, nullptr, options);
  dispatcher.Handle("peer.call", [&](const OutboxMessage& m) {
    if (m.dedupe_key == "refused") return OutboxDispatcher::Delivery::Refused("NOT_FOUND");
    if (m.dedupe_key == "down") return OutboxDispatcher::Delivery::Failed("UNAVAILABLE");
    return OutboxDispatcher::Delivery::Ok();
  });
  Enqueue(*db, "refused");
  Enqueue(*db, "down");
  Enqueue(*db, "fine");
  EXPECT_EQ(dispatcher.DeliverDue(), 1);
  auto all = db->Read([](Connection& c) { return ListFailedDeliveries(c, "peer.call", false, 0, 10); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].dedupe_key, "refused");
  EXPECT_EQ(all[1].dedupe_key, "down");
  EXPECT_EQ(all[1].refused_us, 0);
  auto after_first = db->Read([&](Connection& c) { return ListFailedDeliveries(c, "", false, all[0].id, 10); });
  ASSERT_EQ(after_first.size(), 1u);
  EXPECT_EQ(after_first[0].dedupe_key, "down");
  EXPECT_TRUE(db->Read([](Connection& c) { return ListFailedDeliveries(c, "other.kind", false, 0, 10); }).empty());
}

TEST_P(OutboxTest, OperatorRetryDeliversAParkedMessageOnceTheCauseIsFixed) {
  auto db = Open();
  OutboxDispatcher dispatcher(*db, nullptr);
  bool fixed = false;
  dispatcher.Handle("peer.call", [&](const OutboxMessage&) {
    return fixed ? OutboxDispatcher::Delivery::Ok() : OutboxDispatcher::Delivery::Refused("FAILED_PRECONDITION");
  });
  Enqueue(*db, "a");
  EXPECT_EQ(dispatcher.DeliverDue(), 0);
  fixed = true;
  EXPECT_EQ(dispatcher.DeliverDue(), 0);  // parked: the fix alone changes nothing
  auto failed = db->Read([](Connection& c) { return ListFailedDeliveries(c, "", true, 0, 10); });
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_TRUE(db->Write([&](Connection& c) { return RetryOutbox(c, failed[0].id); }));
  EXPECT_TRUE(db->Read([](Connection& c) { return ListFailedDeliveries(c, "", true, 0, 10); }).empty());
  EXPECT_EQ(dispatcher.DeliverDue(), 1);
  EXPECT_EQ(Pending(*db), 0);
  EXPECT_FALSE(db->Write([&](Connection& c) { return RetryOutbox(c, failed[0].id); }));  // delivered: nothing to retry
}

TEST_P(OutboxTest, StoreFromBeforeRefusalsUpgradesInPlaceAndKeepsItsMessages) {
  const Migration before[] = {{1, "outbox", kOutboxSql, kOutboxPostgresSql}};
  {
    auto db = Open(before);
    Enqueue(*db, "old");
  }
  auto db = Open();
  OutboxDispatcher dispatcher(*db, nullptr);
  std::vector<std::string> seen;
  dispatcher.Handle("peer.call", [&](const OutboxMessage& m) {
    seen.push_back(m.dedupe_key);
    return OutboxDispatcher::Delivery::Refused("NOT_FOUND");
  });
  EXPECT_EQ(dispatcher.DeliverDue(), 0);
  EXPECT_EQ(seen, std::vector<std::string>{"old"});
  EXPECT_EQ(db->Read([](Connection& c) { return ListFailedDeliveries(c, "", true, 0, 10); }).size(), 1u);
}

}  // namespace
}  // namespace netra

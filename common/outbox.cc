#include "common/outbox.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/store.h"

namespace netra {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct OutboxDispatcher::Family {
  prometheus::Family<prometheus::Gauge>& pending;
  prometheus::Family<prometheus::Gauge>& refused;
  prometheus::Family<prometheus::Counter>& deliveries;
};

bool EnqueueOutbox(Connection& conn, std::string_view kind, std::string_view dedupe_key, std::string_view payload) {
  const int64_t now = NowMicros();
  conn.Prepare(
          "INSERT INTO outbox (kind, dedupe_key, payload, next_attempt_us, created_us) VALUES (?1, ?2, ?3, ?4, ?4) "
          "ON CONFLICT (kind, dedupe_key) DO NOTHING")
      .Bind(1, kind)
      .Bind(2, dedupe_key)
      .BindBlob(3, payload)
      .Bind(4, now)
      .Run();
  return conn.Changes() > 0;
}

bool OutboxHas(Connection& conn, std::string_view kind, std::string_view dedupe_key) {
  auto stmt = conn.Prepare("SELECT 1 FROM outbox WHERE kind = ?1 AND dedupe_key = ?2");
  stmt.Bind(1, kind).Bind(2, dedupe_key);
  return stmt.Step();
}

std::vector<FailedDelivery> ListFailedDeliveries(Connection& conn, std::string_view kind, bool refused_only,
                                                 int64_t after_id, int limit) {
  auto stmt = conn.Prepare(
      "SELECT id, kind, dedupe_key, attempts, last_error, refused_us, next_attempt_us, created_us FROM outbox "
      "WHERE id > ?1 AND attempts > 0 AND (?2 = '' OR kind = ?2) AND (?3 = 0 OR refused_us > 0) ORDER BY id LIMIT ?4");
  stmt.Bind(1, after_id).Bind(2, kind).Bind(3, int64_t{refused_only ? 1 : 0}).Bind(4, int64_t{limit});
  std::vector<FailedDelivery> out;
  while (stmt.Step()) {
    FailedDelivery f;
    f.id = stmt.ColumnInt64(0);
    f.kind = stmt.ColumnText(1);
    f.dedupe_key = stmt.ColumnText(2);
    f.attempts = static_cast<int>(stmt.ColumnInt64(3));
    f.last_error = stmt.ColumnText(4);
    f.refused_us = stmt.ColumnInt64(5);
    f.next_attempt_us = stmt.ColumnInt64(6);
    f.created_us = stmt.ColumnInt64(7);
    out.push_back(std::move(f));
  }
  return out;
}

bool RetryOutbox(Connection& conn, int64_t id) {
  conn.Prepare("UPDATE outbox SET refused_us = 0, next_attempt_us = ?2 WHERE id = ?1").Bind(1, id).Bind(2, NowMicros()).Run();
  return conn.Changes() > 0;
}

OutboxDispatcher::OutboxDispatcher(Database& db, prometheus::Registry* metrics, OutboxOptions options)
    : db_(db),
      options_(options),
      metrics_(metrics),
      pool_(std::make_unique<Pool>()),
      worker_("outbox", options.poll_interval, [this] { return Round(); }) {
  if (metrics_ != nullptr) {
    family_.reset(new Family{
        prometheus::BuildGauge()
            .Name("netra_outbox_pending")
            .Help("Messages to other services queued and not yet delivered (parked ones apart), by kind")
            .Register(*metrics_),
        prometheus::BuildGauge()
            .Name("netra_outbox_refused")
            .Help("Messages a peer refused for good, parked until an operator retries them, by kind")
            .Register(*metrics_),
        prometheus::BuildCounter()
            .Name("netra_outbox_deliveries_total")
            .Help("Delivery attempts of queued messages to other services, by kind and result (delivered, failed, refused)")
            .Register(*metrics_),
    });
  }
}

OutboxDispatcher::~OutboxDispatcher() { Stop(); }

void OutboxDispatcher::Handle(std::string kind, Handler handler, OrderingKey ordering) {
  if (family_) {
    family_->pending.Add({{"kind", kind}});
    family_->refused.Add({{"kind", kind}});
    for (const char* result : {"delivered", "failed", "refused"}) family_->deliveries.Add({{"kind", kind}, {"result", result}});
  }
  handlers_[std::move(kind)] = Kind{std::move(handler), std::move(ordering)};
}

// The messages one DeliverDue claimed: how many are still to settle, and how
// many were delivered.
struct OutboxDispatcher::Tally {
  std::mutex mu;
  std::condition_variable settled;
  size_t unsettled = 0;
  int delivered = 0;
  std::exception_ptr failure;  // the first store error while settling
};

// The delivery threads and the claimed messages they deliver.
struct OutboxDispatcher::Pool {
  struct Claimed {
    OutboxMessage message;
    std::shared_ptr<Tally> tally;  // null when the background thread claimed it
  };
  using Resource = std::pair<std::string, std::string>;  // kind, ordering key

  std::mutex mu;
  std::condition_variable work;
  // Claimed messages per resource, in claim order. A resource stays here from
  // its first claimed message until a thread has settled its last, so that a
  // later claim of it queues behind the delivery in flight, never beside it.
  std::map<Resource, std::deque<Claimed>> resources;
  std::deque<Resource> ready;  // resources no thread has taken yet
  int held = 0;                // claimed, not yet settled
  bool claim_was_full = false;  // the last claim was cut by the limit: more may be due
  bool stopping = false;
  std::vector<std::thread> threads;
  std::chrono::steady_clock::time_point refreshed{};   // the pending gauges
  // Held while the gauges are counted and set, so that a count read earlier
  // (the background thread's, before a delivery's DELETE) never overwrites a later one.
  std::mutex refreshing;
  std::chrono::steady_clock::time_point claimed_at{};  // the background thread's last claim
};

void OutboxDispatcher::Start() { worker_.Start(); }

void OutboxDispatcher::Stop() {
  worker_.Stop();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(pool_->mu);
    pool_->stopping = true;
    threads = std::move(pool_->threads);
    pool_->threads.clear();
  }
  pool_->work.notify_all();
  for (auto& thread : threads) thread.join();  // each ends once nothing claimed waits
  std::lock_guard lock(pool_->mu);
  pool_->stopping = false;
}

void OutboxDispatcher::Wake() { worker_.Wake(); }

// A failing claim (the store briefly busy) is logged by the worker and tried
// again next period. Deliveries in flight do not hold up the next claim: a
// message queued while a slow peer answers another goes out at once.
PeriodicWorker::Next OutboxDispatcher::Round() {
  int limit = 0;
  std::chrono::steady_clock::duration wait{};
  {
    std::lock_guard lock(pool_->mu);
    limit = options_.batch - pool_->held;
    if (limit <= 0) pool_->claim_was_full = true;  // a settled message wakes this again
    wait = pool_->claimed_at + options_.claim_gap - std::chrono::steady_clock::now();
  }
  if (limit > 0) {
    // A pace, not a synchronisation: Stop waits for it, claim_gap at most.
    if (wait > wait.zero()) std::this_thread::sleep_for(wait);
    {
      std::lock_guard lock(pool_->mu);
      pool_->claimed_at = std::chrono::steady_clock::now();
    }
    ClaimAndQueue(limit, nullptr);
  }
  bool refresh = false;
  {
    std::lock_guard lock(pool_->mu);
    const auto now = std::chrono::steady_clock::now();
    refresh = now - pool_->refreshed >= options_.poll_interval;
    if (refresh) pool_->refreshed = now;
  }
  if (refresh) RefreshPending();
  return PeriodicWorker::Next::kWait;
}

int OutboxDispatcher::DeliverDue() {
  auto tally = std::make_shared<Tally>();
  ClaimAndQueue(options_.batch, tally);
  std::unique_lock lock(tally->mu);
  tally->settled.wait(lock, [&] { return tally->unsettled == 0; });
  if (tally->failure) std::rethrow_exception(tally->failure);
  return tally->delivered;
}

void OutboxDispatcher::ClaimAndQueue(int limit, const std::shared_ptr<Tally>& tally) {
  const int64_t now = NowMicros();
  const int64_t lease_until = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.claim_lease).count();
  // Claim due messages by pushing their next attempt past the lease, so that
  // another replica's dispatcher skips them while this one delivers. The
  // claim and the settling below change only rows they lock (the claimed ones).
  std::vector<OutboxMessage> claimed = db_.WriteLockingRows([&](Connection& conn) {
    std::vector<OutboxMessage> due;
    // SQLite: the write transaction excludes other claims. PostgreSQL: rows
    // another replica is claiming right now are skipped, not waited for.
    auto select = conn.Prepare(
        conn.dialect() == Dialect::kPostgres
            ? "SELECT id, kind, dedupe_key, payload, attempts, created_us FROM outbox WHERE next_attempt_us <= ?1 "
              "ORDER BY next_attempt_us, id LIMIT ?2 FOR UPDATE SKIP LOCKED"
            : "SELECT id, kind, dedupe_key, payload, attempts, created_us FROM outbox WHERE next_attempt_us <= ?1 "
              "ORDER BY next_attempt_us, id LIMIT ?2");
    select.Bind(1, now).Bind(2, int64_t{limit});
    while (select.Step()) {
      OutboxMessage m;
      m.id = select.ColumnInt64(0);
      m.kind = select.ColumnText(1);
      m.dedupe_key = select.ColumnText(2);
      m.payload = select.ColumnBlob(3);
      m.attempts = static_cast<int>(select.ColumnInt64(4));
      m.created_us = select.ColumnInt64(5);
      if (handlers_.count(m.kind) == 0) continue;  // another build's kind: leave it for that build
      due.push_back(std::move(m));
    }
    auto claim = conn.Prepare("UPDATE outbox SET next_attempt_us = ?2 WHERE id = ?1");
    for (const auto& m : due) claim.Bind(1, m.id).Bind(2, lease_until).Run();
    return due;
  });
  if (tally) {
    std::lock_guard lock(tally->mu);
    tally->unsettled = claimed.size();
  }
  Pool& pool = *pool_;
  {
    std::lock_guard lock(pool.mu);
    if (!tally) pool.claim_was_full = static_cast<int>(claimed.size()) >= limit;
    for (OutboxMessage& m : claimed) {
      const Kind& kind = handlers_.find(m.kind)->second;
      Pool::Resource resource{m.kind, kind.ordering ? kind.ordering(m) : m.dedupe_key};
      auto [it, added] = pool.resources.try_emplace(resource);
      it->second.push_back({std::move(m), tally});
      if (added) pool.ready.push_back(std::move(resource));
      ++pool.held;
    }
    const size_t threads = static_cast<size_t>(std::max(1, options_.parallel));
    while (!claimed.empty() && pool.threads.size() < threads) pool.threads.emplace_back([this] { Serve(); });
  }
  pool.work.notify_all();
}

void OutboxDispatcher::Serve() {
  Pool& pool = *pool_;
  // Counts a settled message (delivered or not) for the DeliverDue that claimed it.
  auto count = [](const Pool::Claimed& c, bool delivered, const std::exception_ptr& failure) {
    if (!c.tally) return;
    std::lock_guard lock(c.tally->mu);
    if (delivered) ++c.tally->delivered;
    if (failure && !c.tally->failure) c.tally->failure = failure;
    if (--c.tally->unsettled == 0) c.tally->settled.notify_all();
  };
  std::unique_lock lock(pool.mu);
  while (true) {
    pool.work.wait(lock, [&] { return pool.stopping || !pool.ready.empty(); });
    if (pool.ready.empty()) return;  // stopping, and every claimed message is settled or being delivered
    const Pool::Resource resource = std::move(pool.ready.front());
    pool.ready.pop_front();
    std::deque<Pool::Claimed>* queue = &pool.resources.at(resource);
    while (queue != nullptr) {
      if (queue->empty()) {
        pool.resources.erase(resource);
        break;
      }
      Pool::Claimed next = std::move(queue->front());
      queue->pop_front();
      lock.unlock();
      const Delivery result = Attempt(next.message);
      // A failed message ends its resource here: the later ones claimed so far
      // wait for its retry (they get its next attempt in the transaction that
      // records the failure), and a later claim starts the resource anew.
      std::vector<Pool::Claimed> held_back;
      if (!result.ok && !result.refused) {
        lock.lock();
        std::move(queue->begin(), queue->end(), std::back_inserter(held_back));
        pool.resources.erase(resource);
        queue = nullptr;
        lock.unlock();
      }
      std::vector<int64_t> held_back_ids;
      for (const auto& later : held_back) held_back_ids.push_back(later.message.id);
      std::exception_ptr failure;  // a store error while settling: the claim's lease brings them back
      std::string why;
      try {
        Settle(next.message, result, held_back_ids);
      } catch (const std::exception& e) {
        failure = std::current_exception();
        why = e.what();
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure && !next.tally) {  // the background thread's: nobody else would hear of it
        log::Warn("outbox: a delivery's result could not be stored; its message is tried again after its claim",
                  {{"kind", next.message.kind}, {"error", why}});
      }
      count(next, result.ok && !failure, failure);
      for (const auto& later : held_back) count(later, false, failure);
      lock.lock();
      pool.held -= static_cast<int>(1 + held_back.size());
    }
    const bool wake = std::exchange(pool.claim_was_full, false), idle = pool.held == 0;
    if (idle) pool.refreshed = std::chrono::steady_clock::now();
    lock.unlock();
    if (wake) worker_.Wake();  // room for more of what may be due
    if (idle) {
      try {
        RefreshPending();
      } catch (const std::exception& e) {
        log::Warn("outbox: pending messages could not be counted", {{"error", e.what()}});
      } catch (...) {
      }
    }
    lock.lock();
  }
}

OutboxDispatcher::Delivery OutboxDispatcher::Attempt(const OutboxMessage& m) {
  try {
    return handlers_.find(m.kind)->second.deliver(m);
  } catch (const std::exception& e) {
    return Delivery::Failed(e.what());
  }
}

void OutboxDispatcher::Settle(const OutboxMessage& m, const Delivery& result, const std::vector<int64_t>& held_back) {
  const char* outcome = result.ok ? "delivered" : result.refused ? "refused" : "failed";
  if (family_) family_->deliveries.Add({{"kind", m.kind}, {"result", outcome}}).Increment();
  if (result.ok) {
    db_.WriteLockingRows(
        [&](Connection& conn) { conn.Prepare("DELETE FROM outbox WHERE id = ?1").Bind(1, m.id).Run(); });
    return;
  }
  if (result.refused) {
    db_.WriteLockingRows([&](Connection& conn) {
      conn.Prepare(
              "UPDATE outbox SET attempts = attempts + 1, next_attempt_us = ?2, refused_us = ?3, last_error = ?4 "
              "WHERE id = ?1")
          .Bind(1, m.id)
          .Bind(2, kOutboxParked)
          .Bind(3, NowMicros())
          .Bind(4, result.error.substr(0, 500))
          .Run();
    });
    log::Error("delivery refused by the other service; parked until an operator retries it",
               {{"kind", m.kind},
                {"outbox_id", std::to_string(m.id)},
                {"key", m.dedupe_key},
                {"attempt", std::to_string(m.attempts + 1)},
                {"error", result.error.substr(0, 500)}});
    return;
  }
  // Exponential backoff: min_backoff * 2^attempts, capped.
  const int shift = std::min(m.attempts, 20);
  const auto backoff = std::min(options_.max_backoff, options_.min_backoff * (int64_t{1} << shift));
  const int64_t next = NowMicros() + std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
  db_.WriteLockingRows([&](Connection& conn) {
    conn.Prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_us = ?2, last_error = ?3 WHERE id = ?1")
        .Bind(1, m.id)
        .Bind(2, next)
        .Bind(3, result.error.substr(0, 500))
        .Run();
    auto release = conn.Prepare("UPDATE outbox SET next_attempt_us = ?2 WHERE id = ?1");
    for (int64_t later : held_back) release.Bind(1, later).Bind(2, next).Run();
  });
  log::Warn("delivery to another service failed; will retry",
            {{"kind", m.kind}, {"attempt", std::to_string(m.attempts + 1)}, {"error", result.error}});
}

void OutboxDispatcher::RefreshPending() {
  if (!family_) return;
  std::lock_guard serial(pool_->refreshing);
  std::map<std::string, std::pair<int64_t, int64_t>, std::less<>> counts;  // kind -> (pending, refused)
  for (const auto& [kind, handler] : handlers_) counts[kind] = {0, 0};
  db_.Read([&](Connection& conn) {
    auto stmt = conn.Prepare(
        "SELECT kind, SUM(CASE WHEN refused_us = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN refused_us > 0 THEN 1 ELSE 0 END) "
        "FROM outbox GROUP BY kind");
    while (stmt.Step()) counts[stmt.ColumnText(0)] = {stmt.ColumnInt64(1), stmt.ColumnInt64(2)};
  });
  for (const auto& [kind, count] : counts) {
    family_->pending.Add({{"kind", kind}}).Set(static_cast<double>(count.first));
    family_->refused.Add({{"kind", kind}}).Set(static_cast<double>(count.second));
  }
}

}  // namespace netra

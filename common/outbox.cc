#include "common/outbox.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
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

void OutboxDispatcher::Start() { worker_.Start(); }

void OutboxDispatcher::Stop() { worker_.Stop(); }

void OutboxDispatcher::Wake() { worker_.Wake(); }

// A failing pass (the store briefly busy) is logged by the worker and tried
// again next period.
PeriodicWorker::Next OutboxDispatcher::Round() {
  const int delivered = DeliverDue();
  RefreshPending();
  // A full batch means more may be due: go again at once.
  return delivered >= options_.batch ? PeriodicWorker::Next::kAgain : PeriodicWorker::Next::kWait;
}

int OutboxDispatcher::DeliverDue() {
  const int64_t now = NowMicros();
  const int64_t lease_until = now + std::chrono::duration_cast<std::chrono::microseconds>(options_.claim_lease).count();
  // Claim due messages by pushing their next attempt past the lease, so that
  // another replica's dispatcher skips them while this one delivers.
  std::vector<OutboxMessage> claimed = db_.Write([&](Connection& conn) {
    std::vector<OutboxMessage> due;
    // SQLite: the write transaction excludes other claims. PostgreSQL: rows
    // another replica is claiming right now are skipped, not waited for.
    auto select = conn.Prepare(
        conn.dialect() == Dialect::kPostgres
            ? "SELECT id, kind, dedupe_key, payload, attempts, created_us FROM outbox WHERE next_attempt_us <= ?1 "
              "ORDER BY next_attempt_us, id LIMIT ?2 FOR UPDATE SKIP LOCKED"
            : "SELECT id, kind, dedupe_key, payload, attempts, created_us FROM outbox WHERE next_attempt_us <= ?1 "
              "ORDER BY next_attempt_us, id LIMIT ?2");
    select.Bind(1, now).Bind(2, int64_t{options_.batch});
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

  // One queue per resource, in claim order; the queues go out in parallel.
  std::vector<std::vector<const OutboxMessage*>> queues;
  std::map<std::pair<std::string, std::string>, size_t> queue_of;
  for (const OutboxMessage& m : claimed) {
    const Kind& kind = handlers_.find(m.kind)->second;
    std::pair<std::string, std::string> resource{m.kind, kind.ordering ? kind.ordering(m) : m.dedupe_key};
    auto [it, added] = queue_of.emplace(std::move(resource), queues.size());
    if (added) queues.emplace_back();
    queues[it->second].push_back(&m);
  }
  std::atomic<int> delivered{0};
  std::atomic<size_t> next_queue{0};
  std::mutex failure_mu;
  std::exception_ptr failure;  // a store error while settling: the pass fails as a whole, as before
  auto drain = [&] {
    try {
      for (size_t q; (q = next_queue.fetch_add(1)) < queues.size();) delivered += DeliverInOrder(queues[q]);
    } catch (...) {
      std::lock_guard lock(failure_mu);
      if (!failure) failure = std::current_exception();
    }
  };
  const size_t threads = std::min(queues.size(), static_cast<size_t>(std::max(1, options_.parallel)));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(drain);
  drain();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
  return delivered;
}

int OutboxDispatcher::DeliverInOrder(const std::vector<const OutboxMessage*>& messages) {
  int delivered = 0;
  for (size_t i = 0; i < messages.size(); ++i) {
    const OutboxMessage& m = *messages[i];
    Delivery result;
    try {
      result = handlers_.find(m.kind)->second.deliver(m);
    } catch (const std::exception& e) {
      result = Delivery::Failed(e.what());
    }
    if (Settle(m, result)) {
      ++delivered;
      continue;
    }
    // A refused message is parked for an operator; the later ones go on.
    if (result.refused) continue;
    // The later messages of this resource wait for the failed one: their claim
    // ends with it, so the next pass that takes it takes them after it.
    if (i + 1 == messages.size()) return delivered;
    db_.Write([&](Connection& conn) {
      auto release = conn.Prepare(
          "UPDATE outbox SET next_attempt_us = (SELECT next_attempt_us FROM outbox WHERE id = ?2) WHERE id = ?1");
      for (size_t later = i + 1; later < messages.size(); ++later) release.Bind(1, messages[later]->id).Bind(2, m.id).Run();
    });
    return delivered;
  }
  return delivered;
}

bool OutboxDispatcher::Settle(const OutboxMessage& m, const Delivery& result) {
  const char* outcome = result.ok ? "delivered" : result.refused ? "refused" : "failed";
  if (family_) family_->deliveries.Add({{"kind", m.kind}, {"result", outcome}}).Increment();
  if (result.ok) {
    db_.Write([&](Connection& conn) { conn.Prepare("DELETE FROM outbox WHERE id = ?1").Bind(1, m.id).Run(); });
    return true;
  }
  if (result.refused) {
    db_.Write([&](Connection& conn) {
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
    return false;
  }
  // Exponential backoff: min_backoff * 2^attempts, capped.
  const int shift = std::min(m.attempts, 20);
  const auto backoff = std::min(options_.max_backoff, options_.min_backoff * (int64_t{1} << shift));
  const int64_t next = NowMicros() + std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
  db_.Write([&](Connection& conn) {
    conn.Prepare("UPDATE outbox SET attempts = attempts + 1, next_attempt_us = ?2, last_error = ?3 WHERE id = ?1")
        .Bind(1, m.id)
        .Bind(2, next)
        .Bind(3, result.error.substr(0, 500))
        .Run();
  });
  log::Warn("delivery to another service failed; will retry",
            {{"kind", m.kind}, {"attempt", std::to_string(m.attempts + 1)}, {"error", result.error}});
  return false;
}

void OutboxDispatcher::RefreshPending() {
  if (!family_) return;
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

// Calls to other services that must happen, and happen once in effect
// (forwarding a complaint to the sanction service, telling the complaint
// service and the registry about a decision).
//
// The change that needs the call enqueues a message in the same transaction
// that records the change, so a committed change always has its message and
// a crash loses neither. A background thread delivers due messages through a
// handler per kind, retrying with exponential backoff until the handler
// succeeds; the receiving RPCs are idempotent, so a message delivered twice
// (after a crash between delivery and deletion, or by two replicas sharing a
// store) has the effect of one. Several replicas may run dispatchers on one
// store: a message is claimed for a lease period before delivery, which keeps
// double deliveries rare.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/periodic.h"

namespace prometheus {
class Registry;
}

namespace netra {

class Connection;
class Database;

inline constexpr std::string_view kOutboxSql = R"sql(
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,        -- handler, e.g. "sanction.open_case"
  dedupe_key      TEXT NOT NULL,        -- a second enqueue with the same (kind, key) is ignored
  payload         BLOB NOT NULL,        -- what the handler needs, e.g. a serialized request
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_us INTEGER NOT NULL,     -- unix microseconds; also the claim lease
  last_error      TEXT NOT NULL DEFAULT '',
  created_us      INTEGER NOT NULL,
  UNIQUE (kind, dedupe_key)
);
CREATE INDEX outbox_due ON outbox (next_attempt_us);
)sql";

// Migration after kOutboxSql (each service's next store version): parking of
// refused messages. A parked row has next_attempt_us = kOutboxParked (never
// due) and refused_us = when the peer refused it.
inline constexpr std::string_view kOutboxRefusalSql = R"sql(
ALTER TABLE outbox ADD COLUMN refused_us INTEGER NOT NULL DEFAULT 0;  -- 0: not refused
)sql";
inline constexpr int64_t kOutboxParked = INT64_MAX;

struct OutboxMessage {
  int64_t id = 0;
  std::string kind;
  std::string dedupe_key;
  std::string payload;
  int attempts = 0;  // failed attempts so far
  int64_t created_us = 0;
};

// Inside the caller's write transaction. Returns false when a message with
// this (kind, dedupe_key) is already queued (not an error: idempotent).
bool EnqueueOutbox(Connection& conn, std::string_view kind, std::string_view dedupe_key, std::string_view payload);

// Messages still queued (for reads that show "forwarding pending").
bool OutboxHas(Connection& conn, std::string_view kind, std::string_view dedupe_key);

// A queued message that has failed at least once, for operators.
struct FailedDelivery {
  int64_t id = 0;
  std::string kind, dedupe_key;
  int attempts = 0;
  std::string last_error;
  int64_t refused_us = 0;       // when the peer refused it for good; 0 = still retried
  int64_t next_attempt_us = 0;  // kOutboxParked when refused
  int64_t created_us = 0;
};

// Failed messages in id order after `after_id`, of `kind` (empty: all kinds),
// at most `limit`; only refused (parked) ones when `refused_only`.
std::vector<FailedDelivery> ListFailedDeliveries(Connection& conn, std::string_view kind, bool refused_only,
                                                 int64_t after_id, int limit);

// An operator's retry: message `id` is due now (a parked one is un-parked,
// keeping its attempts and last error until the next attempt). False when no
// such message is queued (delivered meanwhile, or a wrong id).
bool RetryOutbox(Connection& conn, int64_t id);

struct OutboxOptions {
  std::chrono::milliseconds poll_interval{1000};  // how often to look for due messages without a Wake
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::milliseconds claim_lease{30000};  // a claimed message is invisible to other replicas this long
  int batch = 64;                                 // messages per pass
};

class OutboxDispatcher {
 public:
  // Outcome of one delivery attempt: ok, failed (retried with backoff), or
  // refused (the peer will never take it as it is: parked).
  struct Delivery {
    bool ok = true;
    std::string error;
    bool refused = false;
    static Delivery Ok() { return {}; }
    static Delivery Failed(std::string why) { return {false, std::move(why)}; }
    static Delivery Refused(std::string why) { return {false, std::move(why), true}; }
  };
  // Runs on the dispatcher thread; may block on the peer (use a deadline).
  using Handler = std::function<Delivery(const OutboxMessage&)>;

  // `metrics` may be null. Exports netra_outbox_pending{kind} (queued, not
  // parked), netra_outbox_refused{kind} (parked) and
  // netra_outbox_deliveries_total{kind,result=delivered|failed|refused}.
  OutboxDispatcher(Database& db, prometheus::Registry* metrics, OutboxOptions options = {});
  ~OutboxDispatcher();  // stops the thread
  OutboxDispatcher(const OutboxDispatcher&) = delete;
  OutboxDispatcher& operator=(const OutboxDispatcher&) = delete;

  // Register every kind before Start. A message of an unknown kind stays queued.
  void Handle(std::string kind, Handler handler);

  void Start();
  void Stop();
  // Deliver soon (call after committing a change that enqueued a message).
  void Wake();

  // One pass over due messages on the calling thread; returns how many were
  // delivered. For tests and for the thread itself.
  int DeliverDue();
  // Sets the pending and refused gauges from the store (each pass of the thread).
  void RefreshPending();

 private:
  struct Family;
  PeriodicWorker::Next Round();

  Database& db_;
  OutboxOptions options_;
  std::map<std::string, Handler, std::less<>> handlers_;
  prometheus::Registry* metrics_;
  std::unique_ptr<Family> family_;

  PeriodicWorker worker_;  // last: its thread uses the members above
};

}  // namespace netra

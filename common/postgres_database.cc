// The Database's PostgreSQL parts: opening a connection, and running a Read
// or Write transaction with its re-runs (store.h, Database::Write).
#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include "common/postgres.h"
#include "common/store.h"

namespace netra {

std::unique_ptr<Connection> Database::OpenPostgresConnection() {
  postgres::ConnectOptions connect;
  connect.connect_timeout = options_.connect_timeout;
  connect.statement_timeout = options_.statement_timeout;
  connect.password_file = options_.password_file;
  auto pg = std::make_unique<postgres::PgConnection>(path_, connect);
  return std::unique_ptr<Connection>(new Connection(this, std::move(pg)));
}

void Database::RunPostgres(Transaction::Mode mode, const std::function<void(Connection&)>& fn) {
  thread_local std::minstd_rand random(std::random_device{}());
  std::chrono::milliseconds backoff{2};
  constexpr std::chrono::milliseconds kMaxBackoff{250};
  int stale = 0;  // pooled connections found dead (the server restarted since they were opened)
  for (int attempt = 1;; ++attempt) {
    {
      Lease lease = Acquire();
      std::optional<Transaction> tx;
      try {
        tx.emplace(*lease, mode);
      } catch (const StoreError&) {
        // Nothing ran yet: a fresh connection may well work. Each dead one is
        // discarded as its lease ends, so this ends once the pool is renewed.
        if (lease->broken() && stale++ <= options_.max_connections) {
          --attempt;
          continue;
        }
        throw;
      }
      try {
        fn(*lease);
        tx->Commit();
        return;
      } catch (...) {
        // A serialization failure or deadlock anywhere in the transaction, even
        // one fn caught and turned into another error: nothing was committed,
        // and a new snapshot may well succeed.
        if (!lease->pg_->retryable_failure() || lease->broken()) throw;
        if (attempt >= options_.max_write_attempts) {
          throw postgres::PostgresError(
              "40001", "the transaction was aborted by concurrent ones " + std::to_string(attempt) + " times; giving up");
        }
      }
    }  // the lease goes back before the wait
    std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(random)));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace netra

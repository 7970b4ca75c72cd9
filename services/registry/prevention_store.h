// Storage of prevention records: pledges (one per employee, election and
// kind) and the idempotency records of RecordPledge. Coverage is computed by
// SQL aggregates over the employees table (migration 2) joined with pledges.
#pragma once

#include <string>
#include <vector>

#include "common/store.h"
#include "services/registry/prevention.h"

namespace netra::registry {

// Migration 4 of the registry (see registry_store.h).
inline constexpr std::string_view kPreventionSql = R"sql(
CREATE TABLE pledges (
  pledge_id          TEXT PRIMARY KEY,
  employee_id        TEXT NOT NULL,
  election_id        TEXT NOT NULL,
  kind               INTEGER NOT NULL,  -- PledgeKind
  signed_date        TEXT NOT NULL,     -- YYYY-MM-DD
  document_sha256    BLOB NOT NULL,
  document_reference TEXT NOT NULL,
  recorded_by        TEXT NOT NULL,
  recorded_at        INTEGER NOT NULL,  -- unix microseconds
  UNIQUE (employee_id, election_id, kind)
);
)sql";
inline constexpr std::string_view kPreventionPostgresSql = R"sql(
CREATE TABLE pledges (
  pledge_id          TEXT PRIMARY KEY,
  employee_id        TEXT COLLATE "C" NOT NULL,
  election_id        TEXT COLLATE "C" NOT NULL,
  kind               INTEGER NOT NULL,
  signed_date        TEXT NOT NULL,
  document_sha256    BYTEA NOT NULL,
  document_reference TEXT NOT NULL,
  recorded_by        TEXT NOT NULL,
  recorded_at        BIGINT NOT NULL,
  UNIQUE (employee_id, election_id, kind)
);
)sql";

class PreventionStore : public PreventionRecords {
 public:
  explicit PreventionStore(Database& db) : db_(db) {}

  // In one transaction: a recorded request_id returns its first pledge
  // (INVALID_ARGUMENT on request_id if `fingerprint` differs); else the
  // employee must exist and the (employee, election, kind) be free.
  Result<Pledge> RecordPledge(const std::string& request_id, const std::string& fingerprint,
                              const Pledge& pledge) override;
  // Total over the filter, and at most filter.limit groups after after_key
  // (names left empty for regions: the domain knows them).
  Result<CoverageReport> Coverage(const CoverageFilter& filter) override;

 private:
  Database& db_;
};

}  // namespace netra::registry

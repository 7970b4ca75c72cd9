// Storage of elections: one row per election (the key columns to filter and
// order on, the rest as JSON: elections are small reference data), and the
// idempotency records of UpsertElection in request_ids. The domain never sees
// SQL: failures come back as netra::Error (UNAVAILABLE or INTERNAL).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/store.h"
#include "services/registry/elections.h"

namespace netra::registry {

inline constexpr std::string_view kElectionsSql = R"sql(
CREATE TABLE elections (
  election_id       TEXT PRIMARY KEY,
  type              INTEGER NOT NULL,  -- ElectionType
  scope_region_code TEXT NOT NULL,     -- '' = national
  voting_date       TEXT NOT NULL,     -- YYYY-MM-DD, for ordering
  version           INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,  -- unix microseconds
  updated_at        INTEGER NOT NULL,
  body              TEXT NOT NULL      -- the rest of the election as JSON
) WITHOUT ROWID;
CREATE INDEX elections_by_voting_date ON elections(voting_date DESC, election_id);
)sql";
inline constexpr std::string_view kElectionsPostgresSql = R"sql(
CREATE TABLE elections (
  election_id       TEXT COLLATE "C" PRIMARY KEY,
  type              INTEGER NOT NULL,
  scope_region_code TEXT COLLATE "C" NOT NULL,
  voting_date       TEXT COLLATE "C" NOT NULL,
  version           BIGINT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  body              TEXT NOT NULL
);
CREATE INDEX elections_by_voting_date ON elections(voting_date DESC, election_id);
)sql";

class ElectionStore : public ElectionRecords {
 public:
  explicit ElectionStore(Database& db) : db_(db) {}

  // In one transaction: a request_id already recorded returns its first
  // outcome (INVALID_ARGUMENT on request_id if the request differed);
  // otherwise `decide` runs on the stored election, a created or updated
  // election is written and the outcome recorded under request_id.
  Result<ElectionUpsert> Upsert(const std::string& request_id, const Election& input, int64_t expected_version,
                               const UpsertDecision& decide) override;
  Result<std::optional<Election>> Find(const std::string& election_id) override;
  // Newest voting day first, then by id; at most filter.limit rows.
  Result<std::vector<Election>> List(const ElectionListFilter& filter) override;

 private:
  Database& db_;
};

}  // namespace netra::registry

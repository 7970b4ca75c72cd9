// Storage of party-membership screening: member records keyed by (NIK hash,
// party), the matches with employees, and the idempotency records of
// ImportPartyMembers and ResolvePartyMembershipMatch.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/store.h"
#include "services/registry/party_screening.h"

namespace netra::registry {

// Migration 5 of the registry (see registry_store.h).
inline constexpr std::string_view kPartyScreeningSql = R"sql(
CREATE TABLE party_members (
  nik_hmac    BLOB NOT NULL,     -- HMAC-SHA256 of the NIK; never the NIK
  party_code  TEXT NOT NULL,
  party_name  TEXT NOT NULL,
  region_code TEXT NOT NULL,
  role        INTEGER NOT NULL,  -- PartyRole
  source_name TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,  -- unix microseconds
  PRIMARY KEY (nik_hmac, party_code)
) WITHOUT ROWID;
CREATE TABLE party_matches (
  match_seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- match_id "pm-<match_seq>"
  nik_hmac            BLOB NOT NULL,
  party_code          TEXT NOT NULL,
  employee_id         TEXT NOT NULL,
  status              INTEGER NOT NULL DEFAULT 1,  -- MatchStatus
  statement_reference TEXT NOT NULL DEFAULT '',
  statement_date      TEXT NOT NULL DEFAULT '',    -- YYYY-MM-DD
  note                TEXT NOT NULL DEFAULT '',
  resolved_by         TEXT NOT NULL DEFAULT '',
  source_name         TEXT NOT NULL,
  match_time          INTEGER NOT NULL,            -- unix microseconds
  resolve_time        INTEGER NOT NULL DEFAULT 0,
  version             INTEGER NOT NULL DEFAULT 1,
  UNIQUE (nik_hmac, party_code, employee_id)
);
CREATE INDEX party_matches_by_time ON party_matches(match_time, match_seq);
-- The employees (by rowid) already matched against the member records; later
-- ones are matched when matches are next listed.
CREATE TABLE party_screening_state (employees_matched_to INTEGER NOT NULL);
INSERT INTO party_screening_state VALUES (0);
)sql";

class PartyScreeningStore : public PartyScreeningRecords {
 public:
  explicit PartyScreeningStore(Database& db) : db_(db) {}

  // Upserts validated member records and creates their matches, in one transaction.
  Result<MemberBatchResult> StoreMembers(std::span<const PartyMember> members, const std::string& source_name,
                                         absl::Time now) override;
  Result<std::vector<PartyMatch>> ListMatches(const MatchFilter& filter) override;
  Result<std::optional<PartyMatch>> FindMatch(int64_t match_seq) override;
  // Matches the employees inserted since the last call against the member
  // records (a rowid watermark, so the cost is the new employees only); the
  // number of new matches. Writes only when there are new employees.
  Result<int64_t> MatchNewEmployees(absl::Time now) override;

  // In one transaction (see PartyScreeningRecords::Resolve).
  Result<MatchResolution> Resolve(const std::string& request_id, const std::string& fingerprint, int64_t match_seq,
                             const Decide& decide) override;

  // Idempotency records of whole requests (a completed import).
  Result<std::optional<std::pair<std::string, std::string>>> FindRequest(std::string_view method,
                                                                         const std::string& request_id) override;
  Result<bool> RecordRequest(std::string_view method, const std::string& request_id, const std::string& request_hash,
                             const std::string& response) override;

 private:
  Database& db_;
};

}  // namespace netra::registry

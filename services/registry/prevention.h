// Prevention (DOMAIN.md; issue 3): neutrality pledges signed per employee and
// election, and their coverage. Plain C++; storage is PreventionRecords.
// Party-membership screening is not implemented yet (the RPCs answer
// UNIMPLEMENTED).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/regions.h"
#include "common/result.h"
#include "services/registry/elections.h"

namespace netra::registry {


// Numbered as netra.v1.PledgeKind / PledgeCoverageGrouping.
enum class PledgeKind { kUnspecified = 0, kIkrar = 1, kIntegrityPact = 2 };
enum class CoverageGrouping { kNone = 0, kRegion = 1, kAgency = 2, kUnit = 3 };

inline constexpr int kMaxDocumentReferenceLength = 200;  // code points

struct Pledge {
  std::string pledge_id;  // server-assigned
  std::string employee_id, election_id;
  PledgeKind kind = PledgeKind::kUnspecified;
  Date signed_date;
  std::string document_sha256;  // 32 bytes
  std::string document_reference;
  std::string recorded_by;  // actor id of the caller
  absl::Time record_time;
};

struct RecordPledgeCommand {
  std::string request_id;
  Pledge pledge;  // pledge_id, recorded_by and record_time are ignored
  bool has_signed_date = false;
};

struct CoverageQuery {
  std::string election_id;
  std::string region_code, agency_code, unit_code;
  CoverageGrouping group_by = CoverageGrouping::kNone;
  PledgeKind kind = PledgeKind::kUnspecified;  // any
  int page_size = 0;
  std::string page_token;
};

struct Coverage {
  std::string group_key, group_name;  // empty for the total
  int64_t employees = 0, pledged = 0;
  double ratio = 0;
};

struct CoverageReport {
  Coverage total;
  std::vector<Coverage> groups;  // by group_key
  std::string next_page_token;
};

// The domain's view of its storage: PreventionStore (prevention_store.h) implements it
// on SQLite.
// Coverage filters in store terms (validated by the domain).
struct CoverageFilter {
  std::string election_id;
  std::string region_code;  // work_region_code equal to it or below it; empty = any
  std::string agency_code, unit_code;
  PledgeKind kind = PledgeKind::kUnspecified;
  CoverageGrouping group_by = CoverageGrouping::kNone;
  int region_key_length = 2;  // kRegion: length of the work_region_code prefix grouped on
  std::string after_key;      // keyset position of groups
  int limit = 50;
};

class PreventionRecords {
 public:
  virtual ~PreventionRecords() = default;

  // In one transaction: a recorded request_id returns its first pledge
  // (INVALID_ARGUMENT on request_id if `fingerprint` differs); else the
  // employee must exist and the (employee, election, kind) be free.
  virtual Result<Pledge> RecordPledge(const std::string& request_id, const std::string& fingerprint,
                                      const Pledge& pledge) = 0;
  // Total over the filter, and at most filter.limit groups after after_key
  // (names left empty for regions: the domain knows them).
  virtual Result<CoverageReport> Coverage(const CoverageFilter& filter) = 0;
};

class Prevention {
 public:
  Prevention(PreventionRecords& store, Elections& elections, const RegionDirectory& regions)
      : store_(store), elections_(elections), regions_(regions) {}

  // One pledge per (employee, election, kind): another one under a new
  // request_id is ALREADY_EXISTS; a retry under the same request_id returns
  // the first outcome. Employee and election must exist (NOT_FOUND).
  Result<Pledge> RecordPledge(const RecordPledgeCommand& command, const std::string& actor, absl::Time now);
  Result<CoverageReport> GetCoverage(const CoverageQuery& query);

 private:
  PreventionRecords& store_;
  Elections& elections_;
  const RegionDirectory& regions_;
};

}  // namespace netra::registry

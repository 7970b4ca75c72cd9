// The attacker of GetComplaintStats (issue 15): an adversary who knows which
// combinations of attributes the complaints have, collects answers to every
// query the API accepts, reads each published figure as a linear equation
// over the true counts of those combinations (treating it as exact, as an
// attacker of cell suppression does) and solves, by exact rational Gaussian
// elimination, for every suppressed figure.
//
// The figures are found in the answer by reflection over
// RegionComplaintStats: an int64 `X` with a bool `X_suppressed`, every
// repeated StatCount and every StageTime. A field the attacker cannot read
// (a breakdown added later) is reported in `unreadable`, so it is attacked
// as soon as its meaning is added here, and a test fails until then.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "netra/v1/complaint.pb.h"

namespace netra::testing {

// One combination of attributes: a variable of the attack. `count` is the
// true number of records with it (known to the test, never to the attacker).
struct StatAtom {
  bool stage_row = false;     // false: a complaint; true: one departure from `status` (a stage)
  std::string regency;        // "NN.NN"
  std::string election_id;
  // When the records were received (complaints) or left the stage: within
  // [from_us, to_us), unix microseconds. Windows must not split an atom.
  int64_t from_us = 0, to_us = 0;
  std::string status;         // ComplaintStatus value name (for a stage row: the stage left)
  std::set<std::string> violations;  // complaints only
  int64_t count = 0;
};

struct StatsAnswer {
  netra::v1::GetComplaintStatsRequest request;
  netra::v1::GetComplaintStatsResponse response;
};

struct AttackReport {
  int equations = 0;            // distinct (figure, value) pairs read
  int suppressed = 0;           // distinct suppressed figures (by the records they count)
  int determined = 0;           // of them, fixed by the published equations' linear span
  int recovered = 0;            // determined, every derivation agreeing, and equal to the truth
  int contradicted = 0;         // determined, but only by figures that contradict one another
  int flags_informative = 0;    // figures the flags pin to a value other than the published one
  std::vector<std::string> recovered_figures;  // where each recovered one was published
  std::vector<std::string> unreadable;         // fields the attacker could not interpret
};

// The attacker solves the published figures and, where they say more, the
// figures the suppression flags pin down (published at minimum m, suppressed
// at m + 1: read as exactly m); absent keys and regions (exact zeros) in both.
// `exact`: answers as cell suppression alone gives them (every figure its
// true count, suppressed when under the answer's minimum), to show the
// attack works.
AttackReport Attack(const std::vector<StatAtom>& atoms, const std::vector<StatsAnswer>& answers, bool exact = false);

// Published, unsuppressed figures per family ("region.by_status", ...): how
// many, how many equal the truth and the largest |published - true|.
struct FamilyNoise {
  int published = 0, equal = 0;
  int64_t largest_offset = 0;
};
std::map<std::string, FamilyNoise> NoiseByFamily(const std::vector<StatAtom>& atoms,
                                                 const std::vector<StatsAnswer>& answers);

}  // namespace netra::testing

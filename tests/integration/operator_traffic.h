// The traffic of an operator's day, for the observability tests
// (observability_test.cc): what reaches every agreed metric family.
#pragma once

#include "tests/integration/netra_stack.h"

namespace netra::testing {

// The stack as the observability tests run it: a reporter contact may send two public reports an
// hour, so that the third of a burst is refused.
bool StartObservedStack(NetraStack& stack);

// Traffic that reaches every agreed family, as an operator's day would:
//  - two complaints (B2, "discipline") taken through their stages and forwarded; the
//    complaint service's outbox opens their cases (grpc_client_* on the complaint side);
//  - a public burst from one reporter about another act ("ethics"): the second report
//    joins the first's near-duplicate cluster, the third is rate-limited;
//  - the first case recommended with today's letter and left undecided;
//  - the sanction service restarted 2,400 hours ahead (operator_traffic.cc), where that recommendation
//    is overdue and the sweeper escalates it through every step, while the second case
//    is recommended and decided there (its notifications: grpc_client_* on the sanction
//    side; the complaint is closed);
//  - `rounds` of reads and refused calls on every service.
// Each call is made by the identity that would make it (deploy/access-policy.json): the
// access policy refuses none of them.
// Use with ASSERT_NO_FATAL_FAILURE.
void DriveOperatorTraffic(NetraStack& stack, int rounds);

}  // namespace netra::testing

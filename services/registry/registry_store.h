// The registry's SQLite schema, as numbered migrations applied at start.
#pragma once

#include "common/access_log.h"
#include "common/store.h"
#include "common/store_schema.h"
#include "services/registry/election_store.h"
#include "services/registry/employee_store.h"
#include "services/registry/party_screening_store.h"
#include "services/registry/prevention_store.h"

namespace netra::registry {

inline const Migration kMigrations[] = {
    {1, "request ids", kRequestIdsSql},
    {2, "employees", kEmployeesSql},
    {3, "elections", kElectionsSql},
    {4, "pledges", kPreventionSql},
    {5, "party-membership screening", kPartyScreeningSql},
    {6, "employee bulk loads", kEmployeeBulkLoadSql},
    {7, "employee name tokens", kEmployeeNameTokensSql},
    {8, "personal-data reads", kAccessLogSql},
    {9, "employee name keys refolded", kEmployeeNameKeysRefoldSql},
};

}  // namespace netra::registry

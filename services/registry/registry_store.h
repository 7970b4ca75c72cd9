// The registry's schema, as numbered migrations applied at start, each with
// its PostgreSQL variant.
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
    {1, "request ids", kRequestIdsSql, kRequestIdsPostgresSql},
    {2, "employees", kEmployeesSql, kEmployeesPostgresSql},
    {3, "elections", kElectionsSql, kElectionsPostgresSql},
    {4, "pledges", kPreventionSql, kPreventionPostgresSql},
    {5, "party-membership screening", kPartyScreeningSql, kPartyScreeningPostgresSql},
    {6, "employee bulk loads", kEmployeeBulkLoadSql, kEmployeeBulkLoadPostgresSql},
    {7, "employee name tokens", kEmployeeNameTokensSql, kEmployeeNameTokensPostgresSql},
    {8, "personal-data reads", kAccessLogSql, kAccessLogPostgresSql},
    {9, "employee name keys refolded", kEmployeeNameKeysRefoldSql, kEmployeeNameKeysRefoldPostgresSql},
    {10, "employee region indexes", kEmployeeRegionIndexesSql},  // the same SQL on both
    {11, "personal-data reads by call", kAccessLogCallsSql, kAccessLogCallsPostgresSql},
};

}  // namespace netra::registry

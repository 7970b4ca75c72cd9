// How the employee store reads rows back, shared by its writes
// (employee_store.cc) and its reads and search (employee_reads.cc). Internal to
// the store (the party screening's store reads the employees' order too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/store.h"
#include "services/registry/employees.h"

namespace netra::registry::employee_rows {

constexpr std::string_view kColumns =
    "employee_id, employee_type, agency_staff_id, name, gender, birth_date, agency_code, agency_name, unit_code, "
    "unit_name, position, rank, work_region_code, employment_status, ppk_code, ppk_name, ppk_region_code, "
    "nik_hmac IS NOT NULL, disciplinary_state, version, created_at, updated_at";

inline int64_t DateNumber(const DateValue& d) { return d.year * 10000 + d.month * 100 + d.day; }
inline DateValue DateFromNumber(int64_t n) {
  return DateValue{static_cast<int>(n / 10000), static_cast<int>(n / 100 % 100), static_cast<int>(n % 100)};
}

// The employee store's SQL as the connection speaks it. Store SQL is written
// for both backends with two names standing for SQLite's rowids, which give
// employees and their name tokens an insertion order (bulk loads, the party
// screening's watermark, an employee's token range): `employee_seq` and
// `token_seq`, PostgreSQL's explicit columns (migrations 2 and 7 there). On
// SQLite they become `rowid`; on PostgreSQL `INDEXED BY <index>` (SQLite's
// planner hint; PostgreSQL's planner picks the index) is dropped.
std::string ForDialect(const Connection& c, std::string_view sql);

// Reads a row selected with kColumns (from column `base` on).
Employee ReadEmployee(const Statement& s);

// Loads the employee's disciplinary records in force into `e`.
void LoadRecords(Connection& c, Employee& e);

// The employee with this id, with its records; nullopt when there is none.
std::optional<Employee> FindIn(Connection& c, const std::string& employee_id);

// The open bulk load's mark (rows above it have no name tokens yet), or
// nullopt when no bulk load is open.
std::optional<int64_t> BulkTokensRowid(Connection& c);

}  // namespace netra::registry::employee_rows

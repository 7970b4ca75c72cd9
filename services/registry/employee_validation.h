// The checks on an employee's fields, shared by the registry's domain: the
// directory's validation (employee_validation.cc), its queries (employees.cc)
// and prevention (an employee id on a pledge).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "common/validation.h"
#include "services/registry/employees.h"

namespace netra::registry {

// An employee id as registry.proto defines it: 18 digits (NIP / NI PPPK) or
// "<agency_code>:<agency_staff_id>", the only ids the registry derives
// (EmployeeDirectory::DeriveId). Described without echoing the input (a
// client could send a NIK here by mistake).
void CheckEmployeeId(Violations& v, const std::string& field, const std::string& id);

namespace employee_fields {

constexpr size_t kMaxName = 200, kMaxText = 200, kMaxCode = 32, kMaxUnitCode = 64, kMaxPpkCode = 64;
constexpr size_t kMaxCaseId = 128, kMaxQueryTokens = 16;

// [A-Za-z0-9] or one of `extra`.
bool IsCodeChar(char c, std::string_view extra);

// A code field: `min`..`max` ASCII characters of [A-Za-z0-9] plus `extra`.
void CheckCode(Violations& v, const std::string& field, std::string_view text, size_t min, size_t max,
               std::string_view extra);

// A text field of an employee: one line of text (no control characters).
void CheckLine(Violations& v, const std::string& field, std::string_view text, size_t max, bool required);

// A date field: a real calendar date from 1900 on, not after `not_after`.
std::optional<absl::CivilDay> CheckDate(Violations& v, const std::string& field, const DateValue& date,
                                        bool required, std::optional<absl::CivilDay> not_after);

}  // namespace employee_fields
}  // namespace netra::registry

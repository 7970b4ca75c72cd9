// The employee CSV of `netractl import employees` (README: "CSV columns for
// `netractl import employees`") and its conversion to ImportEmployees rows.
// Pure functions: no I/O, no gRPC calls, so every rule is unit-tested.
//
// The client checks only what the protobuf form cannot carry (a known
// employee type, gender, status, a YYYY-MM-DD date, valid UTF-8, one
// identifier per row, the field count); everything else (identifier checks,
// lengths, regions) is the server's validation, reported per row.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "netra/v1/registry.pb.h"

namespace netra::tools {

enum class EmployeeColumn {
  kEmployeeType, kNip, kNiPppk, kAgencyStaffId, kNik, kName, kGender, kBirthDate, kAgencyCode,
  kAgencyName, kUnitCode, kUnitName, kPosition, kRank, kWorkRegionCode, kEmploymentStatus,
  kPpkCode, kPpkName, kPpkRegionCode,
};
inline constexpr size_t kEmployeeColumnCount = 19;

// Column names in the canonical order (the order netra-gen-employees writes).
extern const std::array<std::string_view, kEmployeeColumnCount> kEmployeeColumnNames;

// Longest field the client accepts (server limits are far lower; this only
// bounds memory and message size).
inline constexpr size_t kMaxCsvFieldBytes = 4096;

// Where each column sits in a file's header row.
class EmployeeCsvHeader {
 public:
  // Accepts any column order. Fails, naming the columns, on an unknown or
  // duplicate column, a missing required column (employee_type, name, gender,
  // birth_date, agency_code, agency_name, work_region_code) or no identifier
  // column at all (nip, ni_pppk, agency_staff_id).
  static std::optional<EmployeeCsvHeader> Parse(const std::vector<std::string>& names, std::string* error);

  size_t field_count() const { return names_.size(); }
  const std::string& name_at(size_t position) const { return names_[position]; }
  // The column's position, or -1 when the file does not have it.
  int index(EmployeeColumn column) const { return index_[static_cast<size_t>(column)]; }

 private:
  std::array<int, kEmployeeColumnCount> index_{};
  std::vector<std::string> names_;
};

// Converts one data record to an import row numbered `row_number` (the CSV
// record number with the header as 0). Error: kInvalidArgument with every
// problem of the record, each under its column name ("" for the record).
Result<v1::EmployeeImportRow> ConvertEmployeeRecord(const EmployeeCsvHeader& header,
                                                    const std::vector<std::string>& fields, int64_t row_number);
// The same into *row (cleared first; assigning its strings reuses their
// memory, as in a reused batch message): false with every problem added to
// *problems.
bool ConvertEmployeeRecord(const EmployeeCsvHeader& header, const std::vector<std::string>& fields,
                           int64_t row_number, v1::EmployeeImportRow* row, Violations* problems);

// A client-side problem of a record in the form the server reports its own.
v1::RowError ToRowError(int64_t row_number, const Violations& violations);

}  // namespace netra::tools

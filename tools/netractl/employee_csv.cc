#include "tools/netractl/employee_csv.h"

#include <algorithm>

#include "tools/netractl/csv.h"

namespace netra::tools {

const std::array<std::string_view, kEmployeeColumnCount> kEmployeeColumnNames = {
    "employee_type", "nip",      "ni_pppk",   "agency_staff_id",  "nik",
    "name",          "gender",   "birth_date", "agency_code",     "agency_name",
    "unit_code",     "unit_name", "position",  "rank",            "work_region_code",
    "employment_status", "ppk_code", "ppk_name", "ppk_region_code",
};

namespace {

using C = EmployeeColumn;

constexpr C kRequiredColumns[] = {C::kEmployeeType, C::kName,       C::kGender,        C::kBirthDate,
                                  C::kAgencyCode,   C::kAgencyName, C::kWorkRegionCode};

std::string Upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

std::optional<EmployeeCsvHeader> EmployeeCsvHeader::Parse(const std::vector<std::string>& names,
                                                          std::string* error) {
  EmployeeCsvHeader header;
  header.index_.fill(-1);
  header.names_ = names;
  std::vector<std::string> unknown, duplicate, missing;
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = std::find(kEmployeeColumnNames.begin(), kEmployeeColumnNames.end(), names[i]);
    if (it == kEmployeeColumnNames.end()) {
      unknown.push_back(names[i]);
      continue;
    }
    int& slot = header.index_[static_cast<size_t>(it - kEmployeeColumnNames.begin())];
    if (slot >= 0) duplicate.push_back(names[i]);
    slot = static_cast<int>(i);
  }
  for (C column : kRequiredColumns) {
    if (header.index(column) < 0) missing.emplace_back(kEmployeeColumnNames[static_cast<size_t>(column)]);
  }
  if (header.index(C::kNip) < 0 && header.index(C::kNiPppk) < 0 && header.index(C::kAgencyStaffId) < 0) {
    missing.emplace_back("nip, ni_pppk or agency_staff_id");
  }
  auto join = [](const std::vector<std::string>& list) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : ", ") + ("\"" + item + "\"");
    return out;
  };
  std::string problems;
  auto add = [&](const std::vector<std::string>& list, const std::string& what) {
    if (!list.empty()) problems += (problems.empty() ? "" : "; ") + what + join(list);
  };
  add(missing, "missing required column(s) ");
  add(unknown, "unknown column(s) ");
  add(duplicate, "duplicate column(s) ");
  if (!problems.empty()) {
    *error = "bad header row: " + problems;
    return std::nullopt;
  }
  return header;
}

Result<v1::EmployeeImportRow> ConvertEmployeeRecord(const EmployeeCsvHeader& header,
                                                    const std::vector<std::string>& fields, int64_t row_number) {
  v1::EmployeeImportRow row;
  Violations problems;
  if (!ConvertEmployeeRecord(header, fields, row_number, &row, &problems)) return Error::Invalid(std::move(problems));
  return row;
}

bool ConvertEmployeeRecord(const EmployeeCsvHeader& header, const std::vector<std::string>& fields,
                           int64_t row_number, v1::EmployeeImportRow* out, Violations* problems) {
  Violations& violations = *problems;
  const size_t problems_before = violations.size();
  if (fields.size() != header.field_count()) {
    violations.Add("", ViolationReason::kInvalidFormat,
                   "record has " + std::to_string(fields.size()) + " fields, the header has " +
                       std::to_string(header.field_count()));
    return false;
  }
  // Every field is checked, including columns the import does not use.
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& name = header.name_at(i);
    if (fields[i].size() > kMaxCsvFieldBytes) {
      violations.Add(name, ViolationReason::kTooLong, "longer than " + std::to_string(kMaxCsvFieldBytes) + " bytes");
    } else if (!IsValidUtf8(fields[i])) {
      violations.Add(name, ViolationReason::kInvalidFormat, "not valid UTF-8");
    }
  }
  if (violations.size() != problems_before) return false;

  auto get = [&](C column) -> const std::string& {
    static const std::string kEmpty;
    int i = header.index(column);
    return i < 0 ? kEmpty : fields[static_cast<size_t>(i)];
  };
  auto name_of = [](C column) { return std::string(kEmployeeColumnNames[static_cast<size_t>(column)]); };

  v1::EmployeeImportRow& row = *out;
  row.Clear();  // keeps the strings' memory for the fields set below
  row.set_row_number(row_number);
  row.set_nik(get(C::kNik));
  v1::Employee& e = *row.mutable_employee();

  // The identifier matching the type goes into the oneof (even when empty,
  // so that the server reports it as required); the others must be empty.
  const std::string type = Upper(get(C::kEmployeeType));
  C identifier = C::kNip;
  if (type == "PNS") {
    e.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
    e.set_nip(get(C::kNip));
  } else if (type == "PPPK") {
    e.set_employee_type(v1::EMPLOYEE_TYPE_PPPK);
    e.set_ni_pppk(get(C::kNiPppk));
    identifier = C::kNiPppk;
  } else if (type == "PPNPN") {
    e.set_employee_type(v1::EMPLOYEE_TYPE_PPNPN);
    e.set_agency_staff_id(get(C::kAgencyStaffId));
    identifier = C::kAgencyStaffId;
  } else if (type.empty()) {
    violations.Add(name_of(C::kEmployeeType), ViolationReason::kRequired, "employee type is required");
  } else {
    violations.Add(name_of(C::kEmployeeType), ViolationReason::kInvalidFormat, "must be PNS, PPPK or PPNPN");
  }
  if (!type.empty() && e.employee_type() != v1::EMPLOYEE_TYPE_UNSPECIFIED) {
    for (C other : {C::kNip, C::kNiPppk, C::kAgencyStaffId}) {
      if (other != identifier && !get(other).empty()) {
        violations.Add(name_of(other), ViolationReason::kInconsistent, "must be empty for a " + type + " row");
      }
    }
  }

  e.set_name(get(C::kName));

  const std::string gender = Upper(get(C::kGender));
  if (gender == "M" || gender == "L") {
    e.set_gender(v1::GENDER_MALE);
  } else if (gender == "F" || gender == "P") {
    e.set_gender(v1::GENDER_FEMALE);
  } else if (gender.empty()) {
    violations.Add(name_of(C::kGender), ViolationReason::kRequired, "gender is required");
  } else {
    violations.Add(name_of(C::kGender), ViolationReason::kInvalidFormat, "must be M or F (or L or P)");
  }

  const std::string& birth = get(C::kBirthDate);
  if (birth.empty()) {
    violations.Add(name_of(C::kBirthDate), ViolationReason::kRequired, "birth date is required");
  } else if (birth.size() != 10 || birth[4] != '-' || birth[7] != '-' || !AllDigits(birth.substr(0, 4)) ||
             !AllDigits(birth.substr(5, 2)) || !AllDigits(birth.substr(8, 2))) {
    violations.Add(name_of(C::kBirthDate), ViolationReason::kInvalidFormat, "must be YYYY-MM-DD");
  } else {
    // Whether the day exists is the server's check, with the other dates.
    e.mutable_birth_date()->set_year(ToInt(birth.substr(0, 4)));
    e.mutable_birth_date()->set_month(ToInt(birth.substr(5, 2)));
    e.mutable_birth_date()->set_day(ToInt(birth.substr(8, 2)));
  }

  e.set_agency_code(get(C::kAgencyCode));
  e.set_agency_name(get(C::kAgencyName));
  e.set_unit_code(get(C::kUnitCode));
  e.set_unit_name(get(C::kUnitName));
  e.set_position(get(C::kPosition));
  e.set_rank(get(C::kRank));
  e.set_work_region_code(get(C::kWorkRegionCode));

  const std::string status = Upper(get(C::kEmploymentStatus));
  if (status.empty() || status == "ACTIVE") {
    e.set_employment_status(status.empty() ? v1::EMPLOYMENT_STATUS_UNSPECIFIED : v1::EMPLOYMENT_STATUS_ACTIVE);
  } else if (status == "UNPAID_LEAVE") {
    e.set_employment_status(v1::EMPLOYMENT_STATUS_UNPAID_LEAVE);
  } else if (status == "RETIRED") {
    e.set_employment_status(v1::EMPLOYMENT_STATUS_RETIRED);
  } else if (status == "DISMISSED") {
    e.set_employment_status(v1::EMPLOYMENT_STATUS_DISMISSED);
  } else {
    violations.Add(name_of(C::kEmploymentStatus), ViolationReason::kInvalidFormat,
                   "must be ACTIVE, UNPAID_LEAVE, RETIRED or DISMISSED (or empty)");
  }

  if (!get(C::kPpkCode).empty() || !get(C::kPpkName).empty() || !get(C::kPpkRegionCode).empty()) {
    e.mutable_ppk()->set_code(get(C::kPpkCode));
    e.mutable_ppk()->set_name(get(C::kPpkName));
    e.mutable_ppk()->set_region_code(get(C::kPpkRegionCode));
  }

  return violations.size() == problems_before;
}

v1::RowError ToRowError(int64_t row_number, const Violations& violations) {
  v1::RowError error;
  error.set_row_number(row_number);
  for (const auto& violation : violations.list()) {
    auto* out = error.add_violations();
    out->set_field(violation.field);
    // netra::ViolationReason lists the reasons in the order of the proto enum, from 1.
    out->set_reason(static_cast<v1::FieldViolation::Reason>(static_cast<int>(violation.reason) + 1));
    out->set_description(violation.description);
  }
  return error;
}

}  // namespace netra::tools

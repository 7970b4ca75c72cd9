// Syntax and plausibility checks for the identifiers of DOMAIN.md §2:
// NIP (PNS), NI PPPK, NIK, and Kemendagri region codes.
//
// Each parser returns the decoded parts, or nullopt after adding one or more
// violations under `field`. Reasons are used consistently:
//   kRequired       the text is empty;
//   kInvalidFormat  wrong length or a character other than ASCII 0-9 (for
//                   region codes: anything other than "NN", "NN.NN", "NN.NN.NN");
//                   nothing further is checked;
//   kOutOfRange     well-formed but a part is impossible: a date that is not a
//                   real calendar date, a birth date in the future or before
//                   1900, a TMT before birth, a gender digit other than 1 or 2,
//                   serial 000/0000, a region part outside its range.
// All problems of a well-formed identifier are reported, not just the first.
//
// Descriptions never echo the input (a NIK is personal data under UU 27/2022);
// they describe the problem only.
//
// Checking "not in the future" needs today's date: every parser has an overload
// taking `today` (for deterministic tests and for callers that already know
// the date) and one that uses the current UTC date.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "common/validation.h"

namespace netra {

enum class Gender { kMale, kFemale };

// Kinds of government employee (DOMAIN.md §1). Numbered as netra.v1.EmployeeType.
enum class EmployeeType { kPns = 1, kPppk = 2, kPpnpn = 3 };

// An employee's disciplinary state: kept by the registry, set by the sanction
// service's decisions. Numbered as netra.v1.DisciplinaryState; values from
// the wire arrive unchecked, so validation tests the range.
enum class DisciplinaryState { kUnspecified = 0, kNone = 1, kUnderSanction = 2, kDataBlocked = 3 };

// NIP (PNS), 18 digits: YYYYMMDD birth, YYYYMM start of CPNS service (TMT),
// gender digit (1 male, 2 female), 3-digit serial from 001.
struct NipInfo {
  absl::CivilDay birth_date;
  absl::CivilMonth service_start;
  Gender gender;
  int serial;  // 1-999
};

// NI PPPK, 18 digits: YYYYMMDD birth, YYYY year of first PPPK appointment,
// 2 digits (count of work agreements; meaning unconfirmed, so 00-99 accepted),
// gender digit, 3-digit serial from 001.
struct NiPppkInfo {
  absl::CivilDay birth_date;
  int first_appointment_year;  // >= birth year, <= current year + 1
  int agreement_count;         // 0-99
  Gender gender;
  int serial;  // 1-999
};

// NIK, 16 digits: PP KK CC region codes (at first registration), DDMMYY birth
// (DD + 40 for women), 4-digit serial from 0001. Region codes are checked for
// syntax only, never for existence (regions split; a NIK never changes).
struct NikInfo {
  std::string province_code;  // "33"
  std::string regency_code;   // "33.01"
  std::string district_code;  // "33.01.02"
  int birth_day;              // real day of month 1-31 (the +40 already removed)
  int birth_month;            // 1-12
  int birth_year_2digit;      // 0-99
  Gender gender;              // from the day: 01-31 male, 41-71 female
  int serial;                 // 1-9999
};

// Today's date in UTC (from the system clock).
absl::CivilDay TodayUtc();

std::optional<NipInfo> ParseNip(std::string_view text, std::string_view field, Violations& out,
                                absl::CivilDay today);
std::optional<NipInfo> ParseNip(std::string_view text, std::string_view field, Violations& out);

std::optional<NiPppkInfo> ParseNiPppk(std::string_view text, std::string_view field,
                                      Violations& out, absl::CivilDay today);
std::optional<NiPppkInfo> ParseNiPppk(std::string_view text, std::string_view field,
                                      Violations& out);

// A NIK's DDMMYY is valid when it names a real date in 19YY or in 20YY (so
// 290200 is valid: 2000 was a leap year) and that date is not in the future
// (19YY always qualifies, so `today` only narrows which century is meant).
std::optional<NikInfo> ParseNik(std::string_view text, std::string_view field, Violations& out,
                                absl::CivilDay today);
std::optional<NikInfo> ParseNik(std::string_view text, std::string_view field, Violations& out);

// True when a NIK's birth date (day, month, 2-digit year) and gender agree
// with a full birth date and gender (e.g. from a NIP or the employee record).
bool NikMatchesPerson(const NikInfo& nik, absl::CivilDay birth_date, Gender gender);

// Region codes: "NN" province (11-99), "NN.NN" kabupaten (01-69) or kota
// (71-99), "NN.NN.NN" kecamatan (01-99). Syntax only; existence is checked
// against data/regions.csv elsewhere.
enum class RegionLevel { kProvince = 1, kRegency = 2, kDistrict = 3 };
std::optional<RegionLevel> ParseRegionCode(std::string_view text, std::string_view field,
                                               Violations& out);

}  // namespace netra

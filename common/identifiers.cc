#include "common/identifiers.h"

#include <chrono>
#include <cstdint>

namespace netra {
namespace {

constexpr int kMinBirthYear = 1900;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// `s` must be all digits (checked by the caller); short enough not to overflow.
int Num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

bool IsRealDate(int64_t y, int m, int d) {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const absl::CivilDay day(y, m, d);  // normalises, so compare back
  return day.year() == y && day.month() == m && day.day() == d;
}

// Empty -> kRequired; wrong length or a non-digit -> kInvalidFormat.
// Returns true when the text is `length` ASCII digits.
bool CheckDigits(std::string_view text, size_t length, std::string_view label,
                 std::string_view field, Violations& out) {
  const std::string n = std::to_string(length);
  if (text.empty()) {
    out.Add(std::string(field), ViolationReason::kRequired, std::string(label) + " is required");
    return false;
  }
  if (text.size() != length) {
    out.Add(std::string(field), ViolationReason::kInvalidFormat,
            std::string(label) + " must be exactly " + n + " digits");
    return false;
  }
  if (!AllDigits(text)) {
    out.Add(std::string(field), ViolationReason::kInvalidFormat,
            std::string(label) + " must contain digits 0-9 only");
    return false;
  }
  return true;
}

// Full YYYYMMDD birth date of a NIP / NI PPPK (digits 1-8).
std::optional<absl::CivilDay> CheckBirthDate(std::string_view yyyymmdd, absl::CivilDay today,
                                             std::string_view label, std::string_view field,
                                             Violations& out) {
  const int y = Num(yyyymmdd.substr(0, 4));
  const int m = Num(yyyymmdd.substr(4, 2));
  const int d = Num(yyyymmdd.substr(6, 2));
  const std::string l(label);
  if (!IsRealDate(y, m, d)) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            l + " birth date (digits 1-8, YYYYMMDD) is not a real calendar date");
    return std::nullopt;
  }
  if (y < kMinBirthYear) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            l + " birth year must be " + std::to_string(kMinBirthYear) + " or later");
    return std::nullopt;
  }
  const absl::CivilDay birth(y, m, d);
  if (birth > today) {
    out.Add(std::string(field), ViolationReason::kOutOfRange, l + " birth date is in the future");
    return std::nullopt;
  }
  return birth;
}

std::optional<Gender> CheckGenderDigit(char c, std::string_view position, std::string_view label,
                                       std::string_view field, Violations& out) {
  if (c == '1') return Gender::kMale;
  if (c == '2') return Gender::kFemale;
  out.Add(std::string(field), ViolationReason::kOutOfRange,
          std::string(label) + " gender digit (" + std::string(position) +
              ") must be 1 (male) or 2 (female)");
  return std::nullopt;
}

std::optional<int> CheckSerial(std::string_view digits, std::string_view label,
                               std::string_view field, Violations& out) {
  const int serial = Num(digits);
  if (serial == 0) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            std::string(label) + " serial (last " + std::to_string(digits.size()) +
                " digits) must start from " + std::string(digits.size() - 1, '0') + "1");
    return std::nullopt;
  }
  return serial;
}

// Range checks on the numeric parts of a region code; `what` prefixes the
// description ("NIK " or ""). Returns true when all parts are in range.
bool CheckProvincePart(int v, std::string_view what, std::string_view field, Violations& out) {
  if (v >= 11 && v <= 99) return true;
  out.Add(std::string(field), ViolationReason::kOutOfRange,
          std::string(what) + "province code must be 11-99");
  return false;
}

bool CheckRegencyPart(int v, std::string_view what, std::string_view field, Violations& out) {
  if ((v >= 1 && v <= 69) || (v >= 71 && v <= 99)) return true;
  out.Add(std::string(field), ViolationReason::kOutOfRange,
          std::string(what) + "kabupaten/kota code must be 01-69 (kabupaten) or 71-99 (kota)");
  return false;
}

bool CheckDistrictPart(int v, std::string_view what, std::string_view field, Violations& out) {
  if (v >= 1 && v <= 99) return true;
  out.Add(std::string(field), ViolationReason::kOutOfRange,
          std::string(what) + "kecamatan code must be 01-99");
  return false;
}

}  // namespace

absl::CivilDay TodayUtc() {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return absl::CivilDay(1970, 1, 1) + days.time_since_epoch().count();
}

// ---- NIP ---------------------------------------------------------------------

std::optional<NipInfo> ParseNip(std::string_view text, std::string_view field, Violations& out,
                                absl::CivilDay today) {
  constexpr std::string_view kLabel = "NIP";
  if (!CheckDigits(text, 18, kLabel, field, out)) return std::nullopt;
  bool ok = true;

  const auto birth = CheckBirthDate(text.substr(0, 8), today, kLabel, field, out);
  ok &= birth.has_value();

  const int tmt_year = Num(text.substr(8, 4));
  const int tmt_month = Num(text.substr(12, 2));
  std::optional<absl::CivilMonth> tmt;
  if (tmt_month < 1 || tmt_month > 12) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            "NIP service start month (digits 13-14) must be 01-12");
    ok = false;
  } else if (tmt_year < kMinBirthYear) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            "NIP service start year (digits 9-12) must be " + std::to_string(kMinBirthYear) +
                " or later");
    ok = false;
  } else {
    tmt = absl::CivilMonth(tmt_year, tmt_month);
    if (birth && *tmt < absl::CivilMonth(*birth)) {
      out.Add(std::string(field), ViolationReason::kOutOfRange,
              "NIP service start (TMT, digits 9-14) is before the birth date");
      ok = false;
    }
  }

  const auto gender = CheckGenderDigit(text[14], "digit 15", kLabel, field, out);
  ok &= gender.has_value();
  const auto serial = CheckSerial(text.substr(15, 3), kLabel, field, out);
  ok &= serial.has_value();

  if (!ok) return std::nullopt;
  return NipInfo{*birth, *tmt, *gender, *serial};
}

std::optional<NipInfo> ParseNip(std::string_view text, std::string_view field, Violations& out) {
  return ParseNip(text, field, out, TodayUtc());
}

// ---- NI PPPK -----------------------------------------------------------------

std::optional<NiPppkInfo> ParseNiPppk(std::string_view text, std::string_view field,
                                      Violations& out, absl::CivilDay today) {
  constexpr std::string_view kLabel = "NI PPPK";
  if (!CheckDigits(text, 18, kLabel, field, out)) return std::nullopt;
  bool ok = true;

  const auto birth = CheckBirthDate(text.substr(0, 8), today, kLabel, field, out);
  ok &= birth.has_value();

  const int year = Num(text.substr(8, 4));
  if (year > today.year() + 1) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            "NI PPPK first appointment year (digits 9-12) is in the future");
    ok = false;
  } else if (birth ? year < birth->year() : year < kMinBirthYear) {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            "NI PPPK first appointment year (digits 9-12) is before the birth year");
    ok = false;
  }

  const int agreements = Num(text.substr(12, 2));  // meaning unconfirmed: any value
  const auto gender = CheckGenderDigit(text[14], "digit 15", kLabel, field, out);
  ok &= gender.has_value();
  const auto serial = CheckSerial(text.substr(15, 3), kLabel, field, out);
  ok &= serial.has_value();

  if (!ok) return std::nullopt;
  return NiPppkInfo{*birth, year, agreements, *gender, *serial};
}

std::optional<NiPppkInfo> ParseNiPppk(std::string_view text, std::string_view field,
                                      Violations& out) {
  return ParseNiPppk(text, field, out, TodayUtc());
}

// ---- NIK ---------------------------------------------------------------------
// Descriptions below must never include any part of `text`.

std::optional<NikInfo> ParseNik(std::string_view text, std::string_view field, Violations& out,
                                absl::CivilDay today) {
  constexpr std::string_view kLabel = "NIK";
  if (!CheckDigits(text, 16, kLabel, field, out)) return std::nullopt;
  bool ok = true;

  ok &= CheckProvincePart(Num(text.substr(0, 2)), "NIK ", field, out);
  ok &= CheckRegencyPart(Num(text.substr(2, 2)), "NIK ", field, out);
  ok &= CheckDistrictPart(Num(text.substr(4, 2)), "NIK ", field, out);

  int day = Num(text.substr(6, 2));
  const int month = Num(text.substr(8, 2));
  const int yy = Num(text.substr(10, 2));
  std::optional<Gender> gender;
  if (day >= 1 && day <= 31) {
    gender = Gender::kMale;
  } else if (day >= 41 && day <= 71) {
    gender = Gender::kFemale;
    day -= 40;
  } else {
    out.Add(std::string(field), ViolationReason::kOutOfRange,
            "NIK birth day must be 01-31 (men) or 41-71 (women: day + 40)");
    ok = false;
  }
  if (month < 1 || month > 12) {
    out.Add(std::string(field), ViolationReason::kOutOfRange, "NIK birth month must be 01-12");
    ok = false;
  } else if (gender) {
    // Real in 19YY, or real and not in the future in 20YY.
    const bool in_1900s = IsRealDate(1900 + yy, month, day);
    const bool in_2000s =
        IsRealDate(2000 + yy, month, day) && absl::CivilDay(2000 + yy, month, day) <= today;
    if (!in_1900s && !in_2000s) {
      out.Add(std::string(field), ViolationReason::kOutOfRange,
              "NIK birth date is not a real calendar date");
      ok = false;
    }
  }

  const auto serial = CheckSerial(text.substr(12, 4), kLabel, field, out);
  ok &= serial.has_value();

  if (!ok) return std::nullopt;
  NikInfo info;
  info.province_code = std::string(text.substr(0, 2));
  info.regency_code = info.province_code + "." + std::string(text.substr(2, 2));
  info.district_code = info.regency_code + "." + std::string(text.substr(4, 2));
  info.birth_day = day;
  info.birth_month = month;
  info.birth_year_2digit = yy;
  info.gender = *gender;
  info.serial = *serial;
  return info;
}

std::optional<NikInfo> ParseNik(std::string_view text, std::string_view field, Violations& out) {
  return ParseNik(text, field, out, TodayUtc());
}

bool NikMatchesPerson(const NikInfo& nik, absl::CivilDay birth_date, Gender gender) {
  return nik.birth_day == birth_date.day() && nik.birth_month == birth_date.month() &&
         nik.birth_year_2digit == static_cast<int>(birth_date.year() % 100) &&
         nik.gender == gender;
}

// ---- Region codes ------------------------------------------------------------

std::optional<RegionLevel> ParseRegionCode(std::string_view text, std::string_view field,
                                               Violations& out) {
  if (text.empty()) {
    out.Add(std::string(field), ViolationReason::kRequired, "region code is required");
    return std::nullopt;
  }
  const bool shape_ok = [&] {
    if (text.size() != 2 && text.size() != 5 && text.size() != 8) return false;
    for (size_t i = 0; i < text.size(); ++i) {
      const bool dot_position = (i == 2 || i == 5);
      if (dot_position ? text[i] != '.' : !IsDigit(text[i])) return false;
    }
    return true;
  }();
  if (!shape_ok) {
    out.Add(std::string(field), ViolationReason::kInvalidFormat,
            "region code must be NN (province), NN.NN (kabupaten/kota) or NN.NN.NN (kecamatan)");
    return std::nullopt;
  }
  const auto level = static_cast<RegionLevel>((text.size() + 1) / 3);
  bool ok = CheckProvincePart(Num(text.substr(0, 2)), "", field, out);
  if (level >= RegionLevel::kRegency) {
    ok &= CheckRegencyPart(Num(text.substr(3, 2)), "", field, out);
  }
  if (level >= RegionLevel::kDistrict) {
    ok &= CheckDistrictPart(Num(text.substr(6, 2)), "", field, out);
  }
  if (!ok) return std::nullopt;
  return level;
}

}  // namespace netra

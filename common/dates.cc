#include "common/dates.h"

#include <cstdio>

namespace netra {

std::string Date::Iso() const {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", year, month, day);
  return buffer;
}

std::optional<absl::CivilDay> CheckDate(const Date& date, std::string_view field, Violations& out) {
  bool ok = true;
  if (date.year < 1900 || date.year > 9999) {
    out.Add(Path(field, "year"), ViolationReason::kOutOfRange, "must be 1900-9999");
    ok = false;
  }
  if (date.month < 1 || date.month > 12) {
    out.Add(Path(field, "month"), ViolationReason::kOutOfRange, "must be 1-12");
    ok = false;
  }
  const absl::CivilDay day(date.year, date.month, date.day);
  if (ok) {
    if (date.day < 1 || day.day() != date.day || day.month() != date.month) {
      out.Add(Path(field, "day"), ViolationReason::kOutOfRange, "is not a day of that month");
      ok = false;
    }
  } else if (date.day < 1 || date.day > 31) {
    out.Add(Path(field, "day"), ViolationReason::kOutOfRange, "must be 1-31");
  }
  if (!ok) return std::nullopt;
  return day;
}

}  // namespace netra

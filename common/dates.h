// Calendar days as clients send them (netra.v1.Date), once for every service:
// the type, its check and its ISO form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "common/validation.h"

namespace netra {

// A calendar day as the client sent it; validated (CheckDate) before use.
// All zero means "not given" where a field is optional.
struct Date {
  int year = 0, month = 0, day = 0;
  bool empty() const { return year == 0 && month == 0 && day == 0; }
  absl::CivilDay civil() const { return absl::CivilDay(year, month, day); }
  std::string Iso() const;  // "2024-02-14": sorts as the days do
  friend bool operator==(const Date&, const Date&) = default;
};

// The day, or nullopt after adding every problem under field.year / .month /
// .day: the year outside 1900-9999, the month outside 1-12, the day not a day
// of that month (1-31 when the month is unknown).
std::optional<absl::CivilDay> CheckDate(const Date& date, std::string_view field, Violations& out);

}  // namespace netra

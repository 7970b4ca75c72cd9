#include "common/deadlines.h"

#include <algorithm>

namespace netra {

HolidayCalendar::HolidayCalendar(std::vector<absl::CivilDay> days_off) : days_(std::move(days_off)) {
  std::sort(days_.begin(), days_.end());
  days_.erase(std::unique(days_.begin(), days_.end()), days_.end());
}

bool HolidayCalendar::IsHoliday(absl::CivilDay day) const {
  return std::binary_search(days_.begin(), days_.end(), day);
}

bool HolidayCalendar::IsWorkingDay(absl::CivilDay day) const {
  absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday && !IsHoliday(day);
}

absl::CivilDay LocalDay(absl::Time instant, const absl::TimeZone& zone) {
  return absl::ToCivilDay(instant, zone);
}

absl::CivilDay DueDate(absl::CivilDay event_day, const DeadlineRule& rule, const HolidayCalendar& holidays) {
  int days = std::max(rule.days, 0);
  if (rule.counting != DayCounting::kWorkingDays) return event_day + days;
  // Terminates: a calendar holds finitely many days, so working days keep coming.
  absl::CivilDay day = event_day;
  for (int counted = 0; counted < days;) {
    ++day;
    if (holidays.IsWorkingDay(day)) ++counted;
  }
  return day;
}

Deadline ComputeDeadline(absl::Time event, const DeadlineRule& rule, const absl::TimeZone& zone,
                         const HolidayCalendar& holidays) {
  Deadline deadline;
  deadline.rule = rule;
  deadline.due_date = DueDate(LocalDay(event, zone), rule, holidays);
  // The start of the next local day; Indonesian zones have no DST, and
  // FromCivil picks the sensible instant where a zone does.
  deadline.due_time = absl::FromCivil(absl::CivilSecond(deadline.due_date + 1), zone);
  deadline.time_zone = zone.name();
  return deadline;
}

int WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to, const HolidayCalendar& holidays) {
  int count = 0;
  for (absl::CivilDay day = from + 1; day <= to; ++day) {
    if (holidays.IsWorkingDay(day)) ++count;
  }
  return count;
}

}  // namespace netra

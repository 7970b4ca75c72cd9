// The one deadline calculator of every service: "within N (calendar or
// working) days of an event" in the time zone of the region concerned
// (netra.v1.DeadlineRule / netra.v1.Deadline, DOMAIN.md section 4).
//
// Counting starts on the local day after the event; the deadline is the end of
// the N-th counted day, i.e. the local midnight that follows it. Working days
// skip Saturdays, Sundays and the days of a HolidayCalendar (national holidays,
// cuti bersama, voting days, regional holidays); calendar days skip nothing, so
// a calendar-day deadline may fall on a weekend. Which holidays apply is data
// per election (the election builds the calendar for a region), never code.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace netra {

// Numbered as netra.v1.DayCounting. kUnspecified is never valid in a rule
// that is used (validators reject it); the calculator counts it as calendar days.
enum class DayCounting { kUnspecified = 0, kCalendarDays = 1, kWorkingDays = 2 };

struct DeadlineRule {
  int days = 0;  // 0: due on the event's own local day; negative counts as 0
  DayCounting counting = DayCounting::kCalendarDays;

  friend bool operator==(const DeadlineRule&, const DeadlineRule&) = default;
};

// Days off besides Saturdays and Sundays. Immutable after construction.
class HolidayCalendar {
 public:
  HolidayCalendar() = default;
  explicit HolidayCalendar(std::vector<absl::CivilDay> days_off);  // any order; repeats are fine

  bool IsHoliday(absl::CivilDay day) const;
  // Not a Saturday, not a Sunday and not a holiday.
  bool IsWorkingDay(absl::CivilDay day) const;
  size_t size() const { return days_.size(); }

 private:
  std::vector<absl::CivilDay> days_;  // sorted, unique
};

struct Deadline {
  absl::CivilDay due_date;  // the last day on which the act is on time, in time_zone
  absl::Time due_time;      // the instant it passes: the local midnight that ends due_date
  std::string time_zone;    // IANA name, e.g. "Asia/Jayapura"
  DeadlineRule rule;
  friend bool operator==(const Deadline&, const Deadline&) = default;
};

// The local calendar day an instant falls on in `zone`.
absl::CivilDay LocalDay(absl::Time instant, const absl::TimeZone& zone);

// The due day of `rule` for an event on local day `event_day`: event_day + N
// for calendar days; the N-th working day after event_day for working days.
absl::CivilDay DueDate(absl::CivilDay event_day, const DeadlineRule& rule, const HolidayCalendar& holidays);

// The deadline of `rule` for an event at instant `event`, counted in `zone`.
Deadline ComputeDeadline(absl::Time event, const DeadlineRule& rule, const absl::TimeZone& zone,
                         const HolidayCalendar& holidays);

// Working days in (from, to]: how many working days were counted from the day
// after `from` up to and including `to`; 0 when `to` is not after `from`.
// E.g. how late a decision was: WorkingDaysBetween(due_date, decision_day).
int WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to, const HolidayCalendar& holidays);

}  // namespace netra

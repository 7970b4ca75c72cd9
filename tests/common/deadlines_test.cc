// Tests for common/deadlines.h: the deadline calculator every service uses.
// Holiday dates below are the real 2023-2025 Indonesian calendar where it
// matters (Idul Fitri 2024 with its cuti bersama, Pemilu voting day, year end).
#include "common/deadlines.h"

#include <gtest/gtest.h>

namespace netra {
namespace {

absl::TimeZone Zone(const std::string& name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

absl::Time Utc(int y, int m, int d, int hh, int mm, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

absl::Time Local(const absl::TimeZone& zone, int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), zone);
}

constexpr DeadlineRule Working(int days) { return {days, DayCounting::kWorkingDays}; }
constexpr DeadlineRule Calendar(int days) { return {days, DayCounting::kCalendarDays}; }

// Idul Fitri 1445 H (10-11 Apr 2024) and its cuti bersama (8, 9, 12, 15 Apr).
HolidayCalendar IdulFitri2024() {
  return HolidayCalendar({absl::CivilDay(2024, 4, 8), absl::CivilDay(2024, 4, 9), absl::CivilDay(2024, 4, 10),
                          absl::CivilDay(2024, 4, 11), absl::CivilDay(2024, 4, 12), absl::CivilDay(2024, 4, 15)});
}

// Christmas 2024, its cuti bersama (26 Dec) and New Year 2025.
HolidayCalendar YearEnd2024() {
  return HolidayCalendar({absl::CivilDay(2024, 12, 25), absl::CivilDay(2024, 12, 26), absl::CivilDay(2025, 1, 1)});
}

TEST(DeadlinesTest, LateEveningUtcIsAlreadyTheNextDayInWitaAndWit) {
  // Thursday 14 Mar 2024 16:30 UTC: still Thursday 23:30 in Jakarta (WIB, +7),
  // but Friday 00:30 in Makassar (WITA, +8) and 01:30 in Jayapura (WIT, +9).
  const absl::Time event = Utc(2024, 3, 14, 16, 30);
  const HolidayCalendar none;

  Deadline wib = ComputeDeadline(event, Working(1), Zone("Asia/Jakarta"), none);
  EXPECT_EQ(wib.due_date, absl::CivilDay(2024, 3, 15));  // Friday
  EXPECT_EQ(wib.due_time, Utc(2024, 3, 15, 17, 0));      // Saturday 00:00 WIB
  EXPECT_EQ(wib.time_zone, "Asia/Jakarta");

  Deadline wita = ComputeDeadline(event, Working(1), Zone("Asia/Makassar"), none);
  EXPECT_EQ(wita.due_date, absl::CivilDay(2024, 3, 18));  // counted from Friday: Monday
  EXPECT_EQ(wita.due_time, Utc(2024, 3, 18, 16, 0));      // Tuesday 00:00 WITA

  Deadline wit = ComputeDeadline(event, Working(1), Zone("Asia/Jayapura"), none);
  EXPECT_EQ(wit.due_date, absl::CivilDay(2024, 3, 18));
  EXPECT_EQ(wit.due_time, Utc(2024, 3, 18, 15, 0));  // Tuesday 00:00 WIT
  EXPECT_EQ(wit.time_zone, "Asia/Jayapura");
  EXPECT_EQ(wit.rule, Working(1));
}

TEST(DeadlinesTest, TheLocalDayTurnsAtLocalMidnight) {
  const absl::TimeZone wib = Zone("Asia/Jakarta");
  EXPECT_EQ(LocalDay(Utc(2024, 12, 31, 16, 59, 59), wib), absl::CivilDay(2024, 12, 31));
  EXPECT_EQ(LocalDay(Utc(2024, 12, 31, 17, 0, 0), wib), absl::CivilDay(2025, 1, 1));
  // The same instant is still 31 Dec in UTC: the region's zone decides, not the server's.
  EXPECT_EQ(LocalDay(Utc(2024, 12, 31, 17, 0, 0), absl::UTCTimeZone()), absl::CivilDay(2024, 12, 31));
}

TEST(DeadlinesTest, FourteenWorkingDaysAcrossTheYearEndSkipNewYear) {
  // Tuesday 31 Dec 2024, 20:00 WIB; 1 Jan is a holiday, counting starts 2 Jan.
  const absl::TimeZone wib = Zone("Asia/Jakarta");
  Deadline d = ComputeDeadline(Local(wib, 2024, 12, 31, 20, 0), Working(14), wib, YearEnd2024());
  EXPECT_EQ(d.due_date, absl::CivilDay(2025, 1, 21));
  EXPECT_EQ(d.due_time, Local(wib, 2025, 1, 22, 0, 0));
  // Without the holiday, 1 Jan would count and the deadline would come a day earlier.
  EXPECT_EQ(ComputeDeadline(Local(wib, 2024, 12, 31, 20, 0), Working(14), wib, HolidayCalendar()).due_date,
            absl::CivilDay(2025, 1, 20));
  // An event on the holiday itself (1 Jan, 01:00 WIB = 31 Dec 18:00 UTC) counts from 2 Jan too.
  EXPECT_EQ(ComputeDeadline(Utc(2024, 12, 31, 18, 0), Working(14), wib, YearEnd2024()).due_date,
            absl::CivilDay(2025, 1, 21));
}

TEST(DeadlinesTest, ChristmasCollectiveLeaveAndNewYearEachPushTheDeadline) {
  // Tuesday 24 Dec 2024: 25 and 26 Dec and 1 Jan do not count.
  const absl::CivilDay event(2024, 12, 24);
  EXPECT_EQ(DueDate(event, Working(14), YearEnd2024()), absl::CivilDay(2025, 1, 16));
  EXPECT_EQ(DueDate(event, Working(14), HolidayCalendar()), absl::CivilDay(2025, 1, 13));
  // Calendar days ignore holidays and weekends alike.
  EXPECT_EQ(DueDate(event, Calendar(14), YearEnd2024()), absl::CivilDay(2025, 1, 7));
}

TEST(DeadlinesTest, FridayEventWithOneWorkingDayIsDueMonday) {
  const absl::TimeZone wib = Zone("Asia/Jakarta");
  Deadline d = ComputeDeadline(Local(wib, 2024, 3, 15, 10, 0), Working(1), wib, HolidayCalendar());
  EXPECT_EQ(d.due_date, absl::CivilDay(2024, 3, 18));
  EXPECT_EQ(absl::GetWeekday(d.due_date), absl::Weekday::monday);
  // A weekend event counts from Monday as well.
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 3, 16), Working(1), HolidayCalendar()), absl::CivilDay(2024, 3, 18));
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 3, 17), Working(1), HolidayCalendar()), absl::CivilDay(2024, 3, 18));
}

TEST(DeadlinesTest, HolidaysOnTheDueDayPushItToTheNextWorkingDay) {
  // Friday 5 Apr 2024 + 1 working day: Monday 8 Apr without holidays; with
  // Idul Fitri and its cuti bersama (8-12 and 15 Apr) it is Tuesday 16 Apr.
  const absl::CivilDay event(2024, 4, 5);
  EXPECT_EQ(DueDate(event, Working(1), HolidayCalendar()), absl::CivilDay(2024, 4, 8));
  EXPECT_EQ(DueDate(event, Working(1), IdulFitri2024()), absl::CivilDay(2024, 4, 16));
  // Calendar days are not pushed, even onto a holiday.
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 4, 3), Calendar(7), IdulFitri2024()), absl::CivilDay(2024, 4, 10));
}

TEST(DeadlinesTest, ZeroDaysIsDueAtTheEndOfTheEventsOwnLocalDay) {
  const absl::TimeZone wit = Zone("Asia/Jayapura");
  // Saturday 10 Feb 2024, 22:00 WIT: due the same day, even in working days.
  for (DeadlineRule rule : {Calendar(0), Working(0)}) {
    Deadline d = ComputeDeadline(Local(wit, 2024, 2, 10, 22, 0), rule, wit, HolidayCalendar());
    EXPECT_EQ(d.due_date, absl::CivilDay(2024, 2, 10));
    EXPECT_EQ(d.due_time, Utc(2024, 2, 10, 15, 0));  // Sunday 00:00 WIT
  }
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 2, 10), {-3, DayCounting::kWorkingDays}, HolidayCalendar()),
            absl::CivilDay(2024, 2, 10));
}

TEST(DeadlinesTest, CalendarAndWorkingDaysDifferAroundPemiluVotingDay) {
  // Monday 12 Feb 2024, 7 days. 14 Feb (voting day) was a national holiday.
  HolidayCalendar pemilu({absl::CivilDay(2024, 2, 14)});
  const absl::CivilDay event(2024, 2, 12);
  EXPECT_EQ(DueDate(event, Calendar(7), pemilu), absl::CivilDay(2024, 2, 19));
  EXPECT_EQ(DueDate(event, Working(7), pemilu), absl::CivilDay(2024, 2, 22));
  EXPECT_EQ(DueDate(event, Working(7), HolidayCalendar()), absl::CivilDay(2024, 2, 21));
  // An unspecified counting is counted as calendar days.
  EXPECT_EQ(DueDate(event, {7, DayCounting::kUnspecified}, pemilu), absl::CivilDay(2024, 2, 19));
}

TEST(DeadlinesTest, LeapDayIsADayLikeAnyOther) {
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 2, 28), Calendar(1), HolidayCalendar()), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 2, 28), Calendar(2), HolidayCalendar()), absl::CivilDay(2024, 3, 1));
  EXPECT_EQ(DueDate(absl::CivilDay(2023, 2, 28), Calendar(1), HolidayCalendar()), absl::CivilDay(2023, 3, 1));
  // Wednesday 28 Feb 2024 + 1 working day: Thursday 29 Feb.
  EXPECT_EQ(DueDate(absl::CivilDay(2024, 2, 28), Working(1), HolidayCalendar()), absl::CivilDay(2024, 2, 29));
  const absl::TimeZone wita = Zone("Asia/Makassar");
  Deadline d = ComputeDeadline(Local(wita, 2024, 2, 28, 9, 0), Calendar(1), wita, HolidayCalendar());
  EXPECT_EQ(d.due_time, Local(wita, 2024, 3, 1, 0, 0));
}

TEST(DeadlinesTest, WorkingDaysBetweenCountsTheDaysAfterTheFirstUpToTheLast) {
  const HolidayCalendar holidays = IdulFitri2024();
  // Fri 5 Apr to Tue 16 Apr 2024: only 16 Apr is a working day.
  EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2024, 4, 5), absl::CivilDay(2024, 4, 16), holidays), 1);
  EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2024, 4, 5), absl::CivilDay(2024, 4, 16), HolidayCalendar()), 7);
  EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2024, 4, 16), absl::CivilDay(2024, 4, 16), holidays), 0);
  EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2024, 4, 16), absl::CivilDay(2024, 4, 5), holidays), 0);
  // The inverse of DueDate: N working days after the event is exactly the due date.
  for (int n = 1; n <= 30; ++n) {
    absl::CivilDay due = DueDate(absl::CivilDay(2024, 12, 20), Working(n), YearEnd2024());
    EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2024, 12, 20), due, YearEnd2024()), n);
    EXPECT_TRUE(YearEnd2024().IsWorkingDay(due));
  }
}

TEST(DeadlinesTest, HolidayCalendarKnowsWeekendsAndIgnoresRepeats) {
  HolidayCalendar calendar({absl::CivilDay(2024, 8, 17), absl::CivilDay(2024, 8, 17), absl::CivilDay(2024, 12, 25)});
  EXPECT_EQ(calendar.size(), 2u);
  EXPECT_TRUE(calendar.IsHoliday(absl::CivilDay(2024, 8, 17)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 8, 17)));
  EXPECT_FALSE(calendar.IsWorkingDay(absl::CivilDay(2024, 8, 18)));  // Sunday
  EXPECT_TRUE(calendar.IsWorkingDay(absl::CivilDay(2024, 8, 19)));   // Monday
  EXPECT_FALSE(calendar.IsHoliday(absl::CivilDay(2024, 8, 18)));     // weekend, not a holiday
}

}  // namespace
}  // namespace netra

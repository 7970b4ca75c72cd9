#include "common/dates.h"

#include <gtest/gtest.h>

namespace netra {
namespace {

std::vector<std::string> Fields(const Violations& v) {
  std::vector<std::string> out;
  for (const auto& f : v.list()) out.push_back(f.field);
  return out;
}

TEST(CheckDateTest, AcceptsRealDaysFrom1900To9999) {
  Violations v;
  EXPECT_EQ(CheckDate(Date{2024, 2, 29}, "d", v), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(CheckDate(Date{1900, 1, 1}, "d", v), absl::CivilDay(1900, 1, 1));
  EXPECT_EQ(CheckDate(Date{9999, 12, 31}, "d", v), absl::CivilDay(9999, 12, 31));
  EXPECT_TRUE(v.empty());
}

TEST(CheckDateTest, ReportsEveryBadPartUnderItsField) {
  Violations v;
  EXPECT_FALSE(CheckDate(Date{2023, 2, 29}, "decree_date", v));
  EXPECT_FALSE(CheckDate(Date{1800, 13, 1}, "letter_date", v));
  EXPECT_FALSE(CheckDate(Date{0, 0, 0}, "empty", v));
  EXPECT_FALSE(CheckDate(Date{2024, 4, 32}, "late", v));
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"decree_date.day", "letter_date.year", "letter_date.month",
                                                 "empty.year", "empty.month", "empty.day", "late.day"}));
  for (const auto& f : v.list()) EXPECT_EQ(f.reason, ViolationReason::kOutOfRange) << f.field;
}

TEST(DateTest, EmptyIsoAndCivil) {
  EXPECT_TRUE(Date{}.empty());
  EXPECT_FALSE((Date{2024, 1, 0}).empty());
  EXPECT_EQ((Date{2024, 3, 7}).Iso(), "2024-03-07");
  EXPECT_EQ((Date{2024, 3, 7}).civil(), absl::CivilDay(2024, 3, 7));
  EXPECT_EQ((Date{2024, 3, 7}), (Date{2024, 3, 7}));
}

}  // namespace
}  // namespace netra

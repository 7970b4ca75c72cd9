#include "common/identifiers.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace netra {
namespace {

const absl::CivilDay kToday(2025, 6, 1);

std::vector<ViolationReason> Reasons(const Violations& v) {
  std::vector<ViolationReason> out;
  for (const auto& fv : v.list()) out.push_back(fv.reason);
  return out;
}

// absl's operator<< for civil times lives in libabsl_time; print by hand so the
// test links against libabsl_civil_time alone.
std::string Ymd(absl::CivilDay d) {
  return std::to_string(d.year()) + "-" + std::to_string(d.month()) + "-" + std::to_string(d.day());
}

using R = ViolationReason;
using Rs = std::vector<ViolationReason>;

// ---- NIP ---------------------------------------------------------------------

Rs NipReasons(std::string_view nip) {
  Violations v;
  EXPECT_FALSE(ParseNip(nip, "nip", v, kToday).has_value()) << nip;
  return Reasons(v);
}

TEST(NipTest, ValidMale) {
  Violations v;
  auto nip = ParseNip("198503152010011003", "employee.nip", v, kToday);
  ASSERT_TRUE(nip.has_value());
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(Ymd(nip->birth_date), Ymd(absl::CivilDay(1985, 3, 15)));
  EXPECT_TRUE(nip->service_start == absl::CivilMonth(2010, 1));
  EXPECT_EQ(nip->gender, Gender::kMale);
  EXPECT_EQ(nip->serial, 3);
}

TEST(NipTest, ValidFemaleAndLeapDay) {
  Violations v;
  auto nip = ParseNip("198402292015032999", "nip", v, kToday);
  ASSERT_TRUE(nip.has_value());
  EXPECT_EQ(Ymd(nip->birth_date), Ymd(absl::CivilDay(1984, 2, 29)));
  EXPECT_EQ(nip->gender, Gender::kFemale);
  EXPECT_EQ(nip->serial, 999);
}

TEST(NipTest, TmtInBirthMonthIsNotBeforeBirth) {
  Violations v;
  EXPECT_TRUE(ParseNip("198503152010011001", "nip", v, kToday).has_value());
  EXPECT_TRUE(ParseNip("198503151985031001", "nip", v, kToday).has_value());
  EXPECT_TRUE(v.empty());
}

TEST(NipTest, EmptyIsRequired) { EXPECT_EQ(NipReasons(""), Rs{R::kRequired}); }

TEST(NipTest, WrongLength) {
  EXPECT_EQ(NipReasons("19850315201001100"), Rs{R::kInvalidFormat});
  EXPECT_EQ(NipReasons("1985031520100110031"), Rs{R::kInvalidFormat});
}

TEST(NipTest, NonDigits) {
  EXPECT_EQ(NipReasons("19850315201001100A"), Rs{R::kInvalidFormat});
  EXPECT_EQ(NipReasons("19850315 201001103"), Rs{R::kInvalidFormat});
  EXPECT_EQ(NipReasons("-19850315201001103"), Rs{R::kInvalidFormat});
}

TEST(NipTest, ImpossibleBirthDates) {
  EXPECT_EQ(NipReasons("198502302010011003"), Rs{R::kOutOfRange});  // 30 Feb
  EXPECT_EQ(NipReasons("198513152010011003"), Rs{R::kOutOfRange});  // month 13
  EXPECT_EQ(NipReasons("198502292010011003"), Rs{R::kOutOfRange});  // 1985 not leap
  EXPECT_EQ(NipReasons("190002292010011003"), Rs{R::kOutOfRange});  // 1900 not leap
  EXPECT_EQ(NipReasons("198504312010011003"), Rs{R::kOutOfRange});  // 31 Apr
  EXPECT_EQ(NipReasons("198500152010011003"), Rs{R::kOutOfRange});  // month 00
}

TEST(NipTest, BirthInFutureOrTooEarly) {
  EXPECT_EQ(NipReasons("202506022025061001"), Rs{R::kOutOfRange});
  EXPECT_EQ(NipReasons("189912312010011003"), Rs{R::kOutOfRange});
  Violations v;
  EXPECT_TRUE(ParseNip("200006012025061001", "nip", v, kToday).has_value());  // today's birthday ok
}

TEST(NipTest, BadTmtMonth) {
  EXPECT_EQ(NipReasons("198503152010131003"), Rs{R::kOutOfRange});
  EXPECT_EQ(NipReasons("198503152010001003"), Rs{R::kOutOfRange});
}

TEST(NipTest, TmtBeforeBirth) {
  EXPECT_EQ(NipReasons("198503151985021003"), Rs{R::kOutOfRange});
  EXPECT_EQ(NipReasons("198503151984121003"), Rs{R::kOutOfRange});
}

TEST(NipTest, WrongGenderDigit) {
  EXPECT_EQ(NipReasons("198503152010013003"), Rs{R::kOutOfRange});
  EXPECT_EQ(NipReasons("198503152010010003"), Rs{R::kOutOfRange});
}

TEST(NipTest, SerialZero) { EXPECT_EQ(NipReasons("198503152010011000"), Rs{R::kOutOfRange}); }

TEST(NipTest, ReportsEveryProblemUnderField) {
  Violations v;
  EXPECT_FALSE(ParseNip("198502302010133000", "rows[3].nip", v, kToday).has_value());
  ASSERT_EQ(v.size(), 4u);  // date, TMT month, gender, serial
  for (const auto& fv : v.list()) {
    EXPECT_EQ(fv.field, "rows[3].nip");
    EXPECT_EQ(fv.reason, R::kOutOfRange);
    EXPECT_FALSE(fv.description.empty());
  }
}

TEST(NipTest, DefaultTodayOverload) {
  EXPECT_TRUE(TodayUtc() > absl::CivilDay(2024, 1, 1));
  Violations v;
  EXPECT_TRUE(ParseNip("198503152010011003", "nip", v).has_value());
  EXPECT_FALSE(ParseNip("299901012010011003", "nip", v).has_value());
}

// ---- NI PPPK -----------------------------------------------------------------

Rs PppkReasons(std::string_view ni) {
  Violations v;
  EXPECT_FALSE(ParseNiPppk(ni, "ni_pppk", v, kToday).has_value()) << ni;
  return Reasons(v);
}

TEST(NiPppkTest, Valid) {
  Violations v;
  auto ni = ParseNiPppk("198807122021212004", "ni_pppk", v, kToday);
  ASSERT_TRUE(ni.has_value());
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(Ymd(ni->birth_date), Ymd(absl::CivilDay(1988, 7, 12)));
  EXPECT_EQ(ni->first_appointment_year, 2021);
  EXPECT_EQ(ni->agreement_count, 21);
  EXPECT_EQ(ni->gender, Gender::kFemale);
  EXPECT_EQ(ni->serial, 4);
  // Agreement count's meaning is unconfirmed: 00 accepted; next year accepted.
  EXPECT_TRUE(ParseNiPppk("199001012026001001", "ni_pppk", v, kToday).has_value());
  EXPECT_TRUE(v.empty());
}

TEST(NiPppkTest, Format) {
  EXPECT_EQ(PppkReasons(""), Rs{R::kRequired});
  EXPECT_EQ(PppkReasons("19880712202121200"), Rs{R::kInvalidFormat});
  EXPECT_EQ(PppkReasons("1988071220212120045"), Rs{R::kInvalidFormat});
  EXPECT_EQ(PppkReasons("1988O7122021212004"), Rs{R::kInvalidFormat});
}

TEST(NiPppkTest, ImpossibleDates) {
  EXPECT_EQ(PppkReasons("198802302021212004"), Rs{R::kOutOfRange});
  EXPECT_EQ(PppkReasons("198813122021212004"), Rs{R::kOutOfRange});
  EXPECT_EQ(PppkReasons("198902292021212004"), Rs{R::kOutOfRange});
  Violations v;
  EXPECT_TRUE(ParseNiPppk("198802292021212004", "ni_pppk", v, kToday).has_value());
}

TEST(NiPppkTest, AppointmentYear) {
  EXPECT_EQ(PppkReasons("198807121987212004"), Rs{R::kOutOfRange});  // before birth
  EXPECT_EQ(PppkReasons("198807122027212004"), Rs{R::kOutOfRange});  // future
}

TEST(NiPppkTest, GenderAndSerial) {
  EXPECT_EQ(PppkReasons("198807122021213004"), Rs{R::kOutOfRange});
  EXPECT_EQ(PppkReasons("198807122021212000"), Rs{R::kOutOfRange});
  EXPECT_EQ(PppkReasons("198807122021210000"), (Rs{R::kOutOfRange, R::kOutOfRange}));
}

// ---- NIK ---------------------------------------------------------------------

Rs NikReasons(std::string_view nik) {
  Violations v;
  EXPECT_FALSE(ParseNik(nik, "nik", v, kToday).has_value());
  return Reasons(v);
}

bool NikOk(std::string_view nik) {
  Violations v;
  return ParseNik(nik, "nik", v, kToday).has_value() && v.empty();
}

TEST(NikTest, ValidMale) {
  Violations v;
  auto nik = ParseNik("3374011708850002", "person.nik", v, kToday);
  ASSERT_TRUE(nik.has_value());
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(nik->province_code, "33");
  EXPECT_EQ(nik->regency_code, "33.74");
  EXPECT_EQ(nik->district_code, "33.74.01");
  EXPECT_EQ(nik->birth_day, 17);
  EXPECT_EQ(nik->birth_month, 8);
  EXPECT_EQ(nik->birth_year_2digit, 85);
  EXPECT_EQ(nik->gender, Gender::kMale);
  EXPECT_EQ(nik->serial, 2);
}

TEST(NikTest, ValidFemaleDayPlus40) {
  Violations v;
  auto nik = ParseNik("3301024512900001", "nik", v, kToday);
  ASSERT_TRUE(nik.has_value());
  EXPECT_EQ(nik->birth_day, 5);
  EXPECT_EQ(nik->birth_month, 12);
  EXPECT_EQ(nik->birth_year_2digit, 90);
  EXPECT_EQ(nik->gender, Gender::kFemale);
  EXPECT_TRUE(NikOk("3301024101900001"));  // day 41 -> 1 Jan
  EXPECT_TRUE(NikOk("3301027101909999"));  // day 71 -> 31 Jan
}

TEST(NikTest, BadDay) {
  EXPECT_EQ(NikReasons("3301027201900001"), Rs{R::kOutOfRange});  // 72
  EXPECT_EQ(NikReasons("3301023201900001"), Rs{R::kOutOfRange});  // 32
  EXPECT_EQ(NikReasons("3301024001900001"), Rs{R::kOutOfRange});  // 40
  EXPECT_EQ(NikReasons("3301020001900001"), Rs{R::kOutOfRange});  // 00
  EXPECT_EQ(NikReasons("3301027104900001"), Rs{R::kOutOfRange});  // female 31 Apr
}

TEST(NikTest, ImpossibleDates) {
  EXPECT_EQ(NikReasons("3301021513900001"), Rs{R::kOutOfRange});  // month 13
  EXPECT_EQ(NikReasons("3301021500900001"), Rs{R::kOutOfRange});  // month 00
  EXPECT_EQ(NikReasons("3301023002900001"), Rs{R::kOutOfRange});  // 30 Feb
  EXPECT_EQ(NikReasons("3301027002900001"), Rs{R::kOutOfRange});  // female 30 Feb
  EXPECT_EQ(NikReasons("3301022902010001"), Rs{R::kOutOfRange});  // 29 Feb 1901/2001
  EXPECT_EQ(NikReasons("3301026902850001"), Rs{R::kOutOfRange});  // female 29 Feb 1985
}

TEST(NikTest, LeapDayInEitherCentury) {
  EXPECT_TRUE(NikOk("3301022902040001"));  // 1904 and 2004
  EXPECT_TRUE(NikOk("3301022902000001"));  // 1900 no, 2000 yes
  EXPECT_TRUE(NikOk("3301026902000001"));  // female, same
}

TEST(NikTest, SerialZero) { EXPECT_EQ(NikReasons("3301021708850000"), Rs{R::kOutOfRange}); }

TEST(NikTest, Format) {
  EXPECT_EQ(NikReasons(""), Rs{R::kRequired});
  EXPECT_EQ(NikReasons("330102170885000"), Rs{R::kInvalidFormat});
  EXPECT_EQ(NikReasons("33010217088500011"), Rs{R::kInvalidFormat});
  EXPECT_EQ(NikReasons("33010217088500O1"), Rs{R::kInvalidFormat});
  EXPECT_EQ(NikReasons("33.01.02.170885.1"), Rs{R::kInvalidFormat});
}

TEST(NikTest, RegionSyntaxCheckedButNotExistence) {
  EXPECT_TRUE(NikOk("9999991708850001"));  // unknown today, syntactically fine
  EXPECT_TRUE(NikOk("1171011708850001"));  // kota
  EXPECT_EQ(NikReasons("0001021708850001"), Rs{R::kOutOfRange});  // province 00
  EXPECT_EQ(NikReasons("1001021708850001"), Rs{R::kOutOfRange});  // province 10
  EXPECT_EQ(NikReasons("3370021708850001"), Rs{R::kOutOfRange});  // kab 70
  EXPECT_EQ(NikReasons("3300021708850001"), Rs{R::kOutOfRange});  // kab 00
  EXPECT_EQ(NikReasons("3301001708850001"), Rs{R::kOutOfRange});  // kec 00
}

TEST(NikTest, ReportsEveryProblem) {
  Violations v;
  EXPECT_FALSE(ParseNik("0070007213990000", "nik", v, kToday).has_value());
  // province, kab, kec, day, month, serial
  EXPECT_EQ(v.size(), 6u);
}

TEST(NikTest, DescriptionsNeverEchoTheNik) {
  const std::vector<std::string> bad = {
      "3301027201900001", "3301023002900001", "3301021513900001", "3301021708850000",
      "3370021708850001", "0070007213990000", "330102170885000",  "33010217088500011",
      "33010217088500O1", "3301022902010001", "1001021708850001", "3301001708850001",
  };
  for (const auto& nik : bad) {
    Violations v;
    EXPECT_FALSE(ParseNik(nik, "nik", v, kToday).has_value()) << "case " << &nik - bad.data();
    ASSERT_FALSE(v.empty());
    for (const auto& fv : v.list()) {
      EXPECT_EQ(fv.description.find(nik), std::string::npos) << fv.description;
      // No identifying chunk either: the region prefix or the encoded birth date.
      if (nik.size() >= 12) {
        EXPECT_EQ(fv.description.find(nik.substr(0, 6)), std::string::npos) << fv.description;
        EXPECT_EQ(fv.description.find(nik.substr(6, 6)), std::string::npos) << fv.description;
      }
    }
  }
}

TEST(NikMatchesPersonTest, Agreement) {
  Violations v;
  auto male = ParseNik("3374011708850002", "nik", v, kToday);
  auto female = ParseNik("3301024512900001", "nik", v, kToday);
  ASSERT_TRUE(male && female);
  EXPECT_TRUE(NikMatchesPerson(*male, absl::CivilDay(1985, 8, 17), Gender::kMale));
  EXPECT_TRUE(NikMatchesPerson(*female, absl::CivilDay(1990, 12, 5), Gender::kFemale));
  EXPECT_FALSE(NikMatchesPerson(*male, absl::CivilDay(1985, 8, 17), Gender::kFemale));
  EXPECT_FALSE(NikMatchesPerson(*female, absl::CivilDay(1990, 12, 5), Gender::kMale));
  EXPECT_FALSE(NikMatchesPerson(*male, absl::CivilDay(1985, 8, 18), Gender::kMale));
  EXPECT_FALSE(NikMatchesPerson(*male, absl::CivilDay(1985, 7, 17), Gender::kMale));
  EXPECT_FALSE(NikMatchesPerson(*male, absl::CivilDay(1986, 8, 17), Gender::kMale));

  // Same person by NIP and NIK.
  auto nip = ParseNip("199012052015032001", "nip", v, kToday);
  ASSERT_TRUE(nip.has_value());
  EXPECT_TRUE(NikMatchesPerson(*female, nip->birth_date, nip->gender));
  EXPECT_TRUE(v.empty());
}

// ---- Region codes ------------------------------------------------------------

std::optional<RegionLevel> Region(std::string_view code) {
  Violations v;
  auto level = ParseRegionCode(code, "region_code", v);
  EXPECT_EQ(level.has_value(), v.empty()) << code;
  return level;
}

Rs RegionReasons(std::string_view code) {
  Violations v;
  EXPECT_FALSE(ParseRegionCode(code, "region_code", v).has_value()) << code;
  return Reasons(v);
}

TEST(RegionCodeTest, Levels) {
  EXPECT_EQ(Region("33"), RegionLevel::kProvince);
  EXPECT_EQ(Region("11"), RegionLevel::kProvince);
  EXPECT_EQ(Region("96"), RegionLevel::kProvince);
  EXPECT_EQ(Region("33.01"), RegionLevel::kRegency);
  EXPECT_EQ(Region("33.69"), RegionLevel::kRegency);
  EXPECT_EQ(Region("33.71"), RegionLevel::kRegency);
  EXPECT_EQ(Region("31.75"), RegionLevel::kRegency);
  EXPECT_EQ(Region("33.01.02"), RegionLevel::kDistrict);
  EXPECT_EQ(Region("33.74.99"), RegionLevel::kDistrict);
}

TEST(RegionCodeTest, OutOfRangeParts) {
  EXPECT_EQ(RegionReasons("33.70"), Rs{R::kOutOfRange});
  EXPECT_EQ(RegionReasons("33.00"), Rs{R::kOutOfRange});
  EXPECT_EQ(RegionReasons("00"), Rs{R::kOutOfRange});
  EXPECT_EQ(RegionReasons("10"), Rs{R::kOutOfRange});
  EXPECT_EQ(RegionReasons("33.01.00"), Rs{R::kOutOfRange});
  EXPECT_EQ(RegionReasons("05.70.00"), (Rs{R::kOutOfRange, R::kOutOfRange, R::kOutOfRange}));
}

TEST(RegionCodeTest, BadSyntax) {
  EXPECT_EQ(RegionReasons(""), Rs{R::kRequired});
  for (std::string_view code : {"3.01", "33.1", "33.01.1", "AB", "3A", "33.0A", "33-01", "3301",
                                "33.", "33.01.", ".33", "3", "333", "33.01.02.2001", " 33",
                                "33 .01", "33..1"}) {
    EXPECT_EQ(RegionReasons(code), Rs{R::kInvalidFormat}) << code;
  }
}

}  // namespace
}  // namespace netra

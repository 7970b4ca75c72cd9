// Tests for netra-gen-employees (tools/gen-employees/generator.*): the demo
// and the import benchmark rely on its output being importable as is.
#include "tools/gen-employees/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "common/identifiers.h"
#include "tests/support/test_support.h"
#include "tools/netractl/csv.h"
#include "tools/netractl/employee_csv.h"

namespace netra::tools {
namespace {

std::string Generate(const std::string& province, int64_t count, uint64_t seed) {
  std::string error;
  auto generator = EmployeeGenerator::Create(netra::testing::ShippedRegions(), {province, count, seed}, &error);
  EXPECT_TRUE(generator) << error;
  if (!generator) return {};
  std::string out = EmployeeGenerator::HeaderLine();
  while (generator->AppendNextRow(out)) {
  }
  return out;
}

// The generated file read back through the import's own reader and conversion.
std::vector<v1::EmployeeImportRow> ReadBack(const std::string& csv) {
  std::istringstream in(csv);
  CsvReader reader(in);
  std::vector<std::string> fields;
  EXPECT_TRUE(reader.Next(&fields));
  std::string error;
  auto header = EmployeeCsvHeader::Parse(fields, &error);
  EXPECT_TRUE(header) << error;
  std::vector<v1::EmployeeImportRow> rows;
  while (header && reader.Next(&fields)) {
    auto row = ConvertEmployeeRecord(*header, fields, reader.record_number() - 1);
    EXPECT_TRUE(row.ok()) << "row " << reader.record_number() - 1;
    if (row.ok()) rows.push_back(row.value());
  }
  EXPECT_EQ(reader.error(), "");
  return rows;
}

TEST(GenEmployeesTest, SameSeedAndOptionsGiveByteIdenticalOutput) {
  EXPECT_EQ(Generate("33", 3000, 42), Generate("33", 3000, 42));
  EXPECT_NE(Generate("33", 3000, 42), Generate("33", 3000, 43));
  EXPECT_NE(Generate("33", 3000, 42), Generate("34", 3000, 42));
  // A longer run starts with the shorter one: --count only decides where to stop.
  auto longer = Generate("33", 3000, 42), shorter = Generate("33", 1000, 42);
  EXPECT_EQ(longer.substr(0, shorter.size()), shorter);
}

TEST(GenEmployeesTest, ProvincesLoadedTogetherShareNoNipOrNiPppk) {
  std::set<std::string> numbers;
  for (const char* province : {"33", "71", "32"}) {  // 33 and 71 share a remainder mod 38
    for (const auto& row : ReadBack(Generate(province, 5000, 1))) {
      const auto& e = row.employee();
      if (e.employee_type() == v1::EMPLOYEE_TYPE_PPNPN) continue;
      EXPECT_TRUE(numbers.insert(e.nip() + e.ni_pppk()).second) << province;
    }
  }
}

TEST(GenEmployeesTest, UnknownProvinceIsRefused) {
  std::string error;
  EXPECT_FALSE(EmployeeGenerator::Create(netra::testing::ShippedRegions(), {"33.01", 10, 1}, &error));
  EXPECT_FALSE(EmployeeGenerator::Create(netra::testing::ShippedRegions(), {"99", 10, 1}, &error));
  EXPECT_NE(error.find("unknown province"), std::string::npos);
}

class GeneratedSampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GeneratedSampleTest, EveryIdentifierIsValidUniqueAndAgreesWithThePerson) {
  const std::string province = GetParam();
  const auto& regions = netra::testing::ShippedRegions();
  auto rows = ReadBack(Generate(province, 5000, 7));
  ASSERT_EQ(rows.size(), 5000u);
  std::set<std::string> ids, niks;
  std::map<v1::EmployeeType, int> types;
  int with_nik = 0, diacritics = 0, apostrophes = 0, multi_word = 0;
  for (const auto& row : rows) {
    const auto& e = row.employee();
    SCOPED_TRACE("row " + std::to_string(row.row_number()));
    types[e.employee_type()]++;
    const absl::CivilDay birth(e.birth_date().year(), e.birth_date().month(), e.birth_date().day());
    ASSERT_EQ(birth.year(), e.birth_date().year());
    ASSERT_EQ(birth.day(), e.birth_date().day());  // a real date (CivilDay would normalise)
    const Gender gender = e.gender() == v1::GENDER_FEMALE ? Gender::kFemale : Gender::kMale;
    Violations violations;
    if (e.employee_type() == v1::EMPLOYEE_TYPE_PNS) {
      auto nip = ParseNip(e.nip(), "nip", violations);
      ASSERT_TRUE(nip);
      EXPECT_EQ(nip->birth_date, birth);
      EXPECT_EQ(nip->gender, gender);
      EXPECT_FALSE(e.rank().empty());
      EXPECT_TRUE(ids.insert(e.nip()).second) << "duplicate NIP";
    } else if (e.employee_type() == v1::EMPLOYEE_TYPE_PPPK) {
      auto ni = ParseNiPppk(e.ni_pppk(), "ni_pppk", violations);
      ASSERT_TRUE(ni);
      EXPECT_EQ(ni->birth_date, birth);
      EXPECT_EQ(ni->gender, gender);
      EXPECT_TRUE(e.rank().empty());
      EXPECT_TRUE(ids.insert(e.ni_pppk()).second) << "duplicate NI PPPK";
    } else {
      ASSERT_EQ(e.employee_type(), v1::EMPLOYEE_TYPE_PPNPN);
      EXPECT_TRUE(e.rank().empty());
      EXPECT_TRUE(ids.insert(e.agency_code() + ":" + e.agency_staff_id()).second) << "duplicate PPNPN id";
    }
    EXPECT_TRUE(violations.empty());
    if (!row.nik().empty()) {
      ++with_nik;
      auto nik = ParseNik(row.nik(), "nik", violations);
      ASSERT_TRUE(nik);
      EXPECT_TRUE(NikMatchesPerson(*nik, birth, gender));
      EXPECT_EQ(nik->province_code, province);
      const Region* district = regions.Find(nik->district_code);
      ASSERT_NE(district, nullptr) << "NIK district not in data/regions.csv";
      EXPECT_EQ(district->level, RegionLevel::kDistrict);
      EXPECT_TRUE(niks.insert(row.nik()).second) << "duplicate NIK";
    }
    const Region* work = regions.Find(e.work_region_code());
    ASSERT_NE(work, nullptr);
    EXPECT_EQ(work->level, RegionLevel::kRegency);
    EXPECT_EQ(work->parent_code, province);
    EXPECT_FALSE(e.name().empty());
    EXPECT_FALSE(e.agency_code().empty());
    EXPECT_FALSE(e.agency_name().empty());
    EXPECT_FALSE(e.unit_name().empty());
    EXPECT_FALSE(e.position().empty());
    EXPECT_FALSE(e.ppk().code().empty());
    EXPECT_TRUE(IsValidUtf8(e.name()));
    if (e.name().find('\'') != std::string::npos) ++apostrophes;
    if (e.name().find(' ') != std::string::npos) ++multi_word;
    for (unsigned char c : e.name()) {
      if (c >= 0x80) {
        ++diacritics;
        break;
      }
    }
  }
  EXPECT_GT(with_nik, 4700);  // about 97% carry a NIK
  // DOMAIN.md section 1: PNS 3.7 M : PPPK 1.1 M : PPNPN 2.2 M (52.9% : 15.7% : 31.4%).
  EXPECT_NEAR(types[v1::EMPLOYEE_TYPE_PNS] / 5000.0, 3.7 / 7.0, 0.03);
  EXPECT_NEAR(types[v1::EMPLOYEE_TYPE_PPPK] / 5000.0, 1.1 / 7.0, 0.03);
  EXPECT_NEAR(types[v1::EMPLOYEE_TYPE_PPNPN] / 5000.0, 2.2 / 7.0, 0.03);
  EXPECT_GT(multi_word, 2500);
  if (province == "32" || province == "31") {
    EXPECT_GT(diacritics, 0);
  }
  if (province != "51") {
    EXPECT_GT(apostrophes, 0);
  }
}

// Javanese, Sundanese (names with é), Balinese, Papuan and the capital's mix.
INSTANTIATE_TEST_SUITE_P(Provinces, GeneratedSampleTest, ::testing::Values("33", "32", "51", "94", "31"));

TEST(GenEmployeesTest, AgenciesAreTheProvinceAndItsKabupatenKota) {
  auto rows = ReadBack(Generate("33", 2000, 3));
  std::set<std::string> agencies;
  for (const auto& row : rows) {
    const auto& e = row.employee();
    agencies.insert(e.agency_name());
    if (e.agency_code() == "pemprov-33") {
      EXPECT_EQ(e.agency_name(), "Pemerintah Provinsi Jawa Tengah");
      EXPECT_EQ(e.ppk().code(), "gubernur:33");
    } else {
      EXPECT_EQ(e.agency_code().substr(7), e.work_region_code());  // pemkab-/pemkot-NN.NN
      EXPECT_EQ(e.ppk().region_code(), e.work_region_code());
    }
  }
  EXPECT_TRUE(agencies.count("Pemerintah Provinsi Jawa Tengah"));
  EXPECT_TRUE(agencies.count("Pemerintah Kota Semarang"));
  EXPECT_TRUE(agencies.count("Pemerintah Kabupaten Cilacap"));
  EXPECT_GT(agencies.size(), 30u);  // 35 kab/kota + the province
}

}  // namespace
}  // namespace netra::tools

// Tests for common/regions.{h,cc}: the shipped data/regions.csv and the loader's checks.
#include "common/regions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

using netra::testing::TempDir;


std::vector<std::string> Codes(const std::vector<const Region*>& regions) {
  std::vector<std::string> out;
  for (const Region* r : regions) out.push_back(r->code);
  return out;
}

TEST(ShippedRegionsTest, CountsMatchKemendagri) {
  const auto& d = netra::testing::ShippedRegions();
  EXPECT_EQ(d.CountAtLevel(RegionLevel::kProvince), 38u);
  EXPECT_EQ(d.CountAtLevel(RegionLevel::kRegency), 514u);
  EXPECT_EQ(d.CountAtLevel(RegionLevel::kDistrict), 7285u);
  EXPECT_EQ(d.size(), 38u + 514u + 7285u);
}

TEST(ShippedRegionsTest, ChildrenOfTheCountryAreTheProvincesInCodeOrder) {
  auto provinces = netra::testing::ShippedRegions().Children("");
  ASSERT_EQ(provinces.size(), 38u);
  EXPECT_EQ(provinces.front()->code, "11");
  EXPECT_EQ(provinces.front()->name, "Aceh");
  EXPECT_EQ(provinces.back()->code, "96");
  auto codes = Codes(provinces);
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
  for (const Region* p : provinces) {
    EXPECT_EQ(p->level, RegionLevel::kProvince);
    EXPECT_TRUE(p->parent_code.empty()) << p->code;
  }
}

TEST(ShippedRegionsTest, ChildrenOfJawaTengahAreItsKabupatenAndKota) {
  auto children = netra::testing::ShippedRegions().Children("33");
  ASSERT_EQ(children.size(), 35u);
  EXPECT_EQ(children.front()->code, "33.01");
  for (const Region* r : children) {
    EXPECT_EQ(r->level, RegionLevel::kRegency) << r->code;
    EXPECT_EQ(r->parent_code, "33") << r->code;
  }
  auto codes = Codes(children);
  EXPECT_NE(std::find(codes.begin(), codes.end(), "33.74"), codes.end());  // Kota Semarang
}

TEST(ShippedRegionsTest, ChildrenOfAKotaAreItsKecamatan) {
  auto children = netra::testing::ShippedRegions().Children("33.74");
  ASSERT_EQ(children.size(), 16u);
  EXPECT_EQ(children.front()->code, "33.74.01");
  EXPECT_EQ(children.front()->name, "Semarang Tengah");
  EXPECT_EQ(children.back()->code, "33.74.16");
  for (const Region* r : children) {
    EXPECT_EQ(r->level, RegionLevel::kDistrict);
    EXPECT_EQ(r->parent_code, "33.74");
  }
  // A kecamatan has no children, and neither does an unknown code.
  EXPECT_TRUE(netra::testing::ShippedRegions().Children("33.74.01").empty());
  EXPECT_TRUE(netra::testing::ShippedRegions().Children("33.98").empty());
  EXPECT_TRUE(netra::testing::ShippedRegions().Children("3").empty());
}

TEST(ShippedRegionsTest, DescendantsAtALevel) {
  const auto& d = netra::testing::ShippedRegions();
  auto districts = d.Descendants("33", RegionLevel::kDistrict);
  EXPECT_EQ(districts.size(), 576u);
  for (const Region* r : districts) EXPECT_EQ(r->code.substr(0, 3), "33.") << r->code;
  EXPECT_EQ(d.Descendants("33", RegionLevel::kRegency).size(), 35u);
  EXPECT_EQ(d.Descendants("33.74", RegionLevel::kDistrict).size(), 16u);
  EXPECT_EQ(d.Descendants("", RegionLevel::kDistrict).size(), 7285u);
  EXPECT_EQ(d.Descendants("", RegionLevel::kRegency).size(), 514u);
  // A region is not its own descendant, and nothing sits above it under it.
  EXPECT_TRUE(d.Descendants("33", RegionLevel::kProvince).empty());
  EXPECT_TRUE(d.Descendants("33.74", RegionLevel::kRegency).empty());
  // "3" is not a prefix of "33": subtrees are matched on whole code parts.
  EXPECT_TRUE(d.Descendants("3", RegionLevel::kDistrict).empty());
}

TEST(ShippedRegionsTest, FindAndProvinceOf) {
  const auto& d = netra::testing::ShippedRegions();
  const Region* semarang = d.Find("33.74");
  ASSERT_NE(semarang, nullptr);
  EXPECT_EQ(semarang->name, "Kota Semarang");
  EXPECT_EQ(semarang->level, RegionLevel::kRegency);
  EXPECT_EQ(semarang->time_zone, "Asia/Jakarta");
  EXPECT_EQ(d.Find("33.98"), nullptr);
  EXPECT_EQ(d.Find(""), nullptr);
  EXPECT_EQ(d.Find("33.7"), nullptr);

  EXPECT_EQ(d.ProvinceOf("33.74.01"), "33");
  EXPECT_EQ(d.ProvinceOf("33.74"), "33");
  EXPECT_EQ(d.ProvinceOf("33"), "33");
  EXPECT_EQ(d.ProvinceOf("33.98.01"), "");  // unknown code
  EXPECT_EQ(d.ProvinceOf(""), "");
}

TEST(ShippedRegionsTest, EveryRegionHasAnIanaTimeZoneOfIndonesia) {
  const std::set<std::string> indonesian = {"Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura"};
  const auto& d = netra::testing::ShippedRegions();
  size_t checked = 0;
  for (auto level : {RegionLevel::kProvince, RegionLevel::kRegency, RegionLevel::kDistrict}) {
    for (const Region* r : d.Descendants("", level)) {
      EXPECT_TRUE(indonesian.count(r->time_zone)) << r->code << " " << r->time_zone;
      ++checked;
    }
  }
  EXPECT_EQ(checked, d.size());
  for (const auto& name : indonesian) {
    absl::TimeZone tz;
    EXPECT_TRUE(absl::LoadTimeZone(name, &tz)) << name;
  }
  EXPECT_EQ(d.Find("94")->time_zone, "Asia/Jayapura");  // Papua
  EXPECT_EQ(d.Find("51")->time_zone, "Asia/Makassar");  // Bali
}

// ---------------------------------------------------------------------------
// Malformed files

class RegionFileTest : public ::testing::Test {
 protected:
  // Writes `text` to a file and loads it; the error (if any) lands in error_.
  std::optional<RegionDirectory> LoadText(const std::string& text) {
    std::string path = dir_.File("regions.csv");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    error_.clear();
    return RegionDirectory::Load(path, &error_);
  }

  void ExpectRejected(const std::string& text, const std::string& expected) {
    auto loaded = LoadText(text);
    EXPECT_FALSE(loaded.has_value()) << text;
    EXPECT_NE(error_.find(expected), std::string::npos) << "error: " << error_ << "\nfile:\n" << text;
  }

  TempDir dir_;
  std::string error_;
};

const char kHeader[] = "code,name,level,tz\n";

TEST_F(RegionFileTest, SmallValidFileLoadsInAnyRowOrder) {
  auto loaded = LoadText(std::string(kHeader) +
                         "33.74.01,Semarang Tengah,3,Asia/Jakarta\n"
                         "33,Jawa Tengah,1,Asia/Jakarta\n"
                         "\"33.74\",\"Kota Semarang, Ibu Kota\",2,Asia/Jakarta\n");
  ASSERT_TRUE(loaded.has_value()) << error_;
  EXPECT_EQ(loaded->size(), 3u);
  ASSERT_NE(loaded->Find("33.74"), nullptr);
  EXPECT_EQ(loaded->Find("33.74")->name, "Kota Semarang, Ibu Kota");  // RFC 4180 quoting
  EXPECT_EQ(Codes(loaded->Children("33.74")), std::vector<std::string>{"33.74.01"});
}

TEST_F(RegionFileTest, MissingFileIsAnError) {
  std::string error;
  EXPECT_FALSE(RegionDirectory::Load(dir_.File("absent.csv"), &error).has_value());
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST_F(RegionFileTest, MissingOrWrongHeaderIsRejected) {
  ExpectRejected("33,Jawa Tengah,1,Asia/Jakarta\n", "expected header");
  ExpectRejected("code,name,tz,level\n33,Jawa Tengah,Asia/Jakarta,1\n", "expected header");
  ExpectRejected("", "expected header");
}

TEST_F(RegionFileTest, WrongFieldCountIsRejectedWithTheLine) {
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1\n", "line 2: expected 4 fields");
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1,Asia/Jakarta\n33.01,Cilacap,2,Asia/Jakarta,extra\n",
                 "line 3: expected 4 fields");
}

TEST_F(RegionFileTest, LevelMustMatchTheCodeShape) {
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,2,Asia/Jakarta\n", "line 2: bad region row");
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1,Asia/Jakarta\n33.01,Cilacap,3,Asia/Jakarta\n",
                 "line 3: bad region row");
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,province,Asia/Jakarta\n", "bad region row");
}

TEST_F(RegionFileTest, BadCodesAndEmptyNamesOrZonesAreRejected) {
  ExpectRejected(std::string(kHeader) + "3,Jawa,1,Asia/Jakarta\n", "bad region row");
  ExpectRejected(std::string(kHeader) + "33-01,Jawa,2,Asia/Jakarta\n", "bad region row");
  ExpectRejected(std::string(kHeader) + "33,,1,Asia/Jakarta\n", "bad region row");
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1,\n", "bad region row");
}

TEST_F(RegionFileTest, UnknownTimeZoneIsRejected) {
  // Deadlines are computed in the region's zone; a typo must stop the start, not skew dates.
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1,Asia/Jakrta\n", "unknown time zone Asia/Jakrta");
}

TEST_F(RegionFileTest, DuplicateCodeIsRejected) {
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1,Asia/Jakarta\n33,Jateng,1,Asia/Jakarta\n",
                 "duplicate region 33");
}

TEST_F(RegionFileTest, ChildWithoutItsParentIsRejected) {
  ExpectRejected(std::string(kHeader) + "33,Jawa Tengah,1,Asia/Jakarta\n33.74.01,Semarang Tengah,3,Asia/Jakarta\n",
                 "region 33.74.01 has no parent 33.74");
  ExpectRejected(std::string(kHeader) + "33.74,Kota Semarang,2,Asia/Jakarta\n", "has no parent 33");
}

TEST_F(RegionFileTest, UnterminatedQuoteIsMalformedCsv) {
  ExpectRejected(std::string(kHeader) + "33,\"Jawa Tengah,1,Asia/Jakarta\n", "malformed CSV");
}

}  // namespace
}  // namespace netra

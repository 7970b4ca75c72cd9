// Tests for services/registry/registry.h: Registry::ListRegions over the shipped regions.
#include "services/registry/registry.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace netra::registry {
namespace {


RegionQuery Query(std::string parent, std::optional<RegionLevel> level = std::nullopt, int page_size = 0,
                  std::string token = "") {
  return RegionQuery{std::move(parent), level, page_size, std::move(token)};
}

// The one violation of an invalid result, checked for its field.
void ExpectInvalid(const Result<RegionPage>& result, const std::string& field) {
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().kind, Error::Kind::kInvalidArgument);
  bool found = false;
  for (const auto& v : result.error().violations.list()) found = found || v.field == field;
  EXPECT_TRUE(found) << "no violation on " << field;
}

TEST(ListRegionsTest, NoParentListsTheProvinces) {
  Registry registry(netra::testing::ShippedRegions());
  auto page = registry.ListRegions(Query(""));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().total_size, 38);
  ASSERT_EQ(page.value().regions.size(), 38u);  // under the default page size of 50
  EXPECT_EQ(page.value().regions.front()->code, "11");
  EXPECT_TRUE(page.value().next_page_token.empty());
}

TEST(ListRegionsTest, ParentProvinceListsItsKabupatenAndKota) {
  Registry registry(netra::testing::ShippedRegions());
  auto page = registry.ListRegions(Query("33"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().total_size, 35);
  ASSERT_EQ(page.value().regions.size(), 35u);
  for (const Region* r : page.value().regions) {
    EXPECT_EQ(r->parent_code, "33");
    EXPECT_EQ(r->level, RegionLevel::kRegency);
  }
}

TEST(ListRegionsTest, ParentKotaListsItsKecamatan) {
  Registry registry(netra::testing::ShippedRegions());
  auto page = registry.ListRegions(Query("33.74"));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().total_size, 16);
  EXPECT_EQ(page.value().regions.front()->name, "Semarang Tengah");
}

TEST(ListRegionsTest, LevelListsEveryKecamatanOfAProvinceAcrossPages) {
  Registry registry(netra::testing::ShippedRegions());
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = registry.ListRegions(Query("33", RegionLevel::kDistrict, 1000, token));
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page.value().total_size, 576);
    for (const Region* r : page.value().regions) {
      EXPECT_EQ(r->level, RegionLevel::kDistrict);
      EXPECT_EQ(r->code.substr(0, 3), "33.");
      seen.insert(r->code);
    }
    token = page.value().next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(seen.size(), 576u);
}

TEST(ListRegionsTest, PagingThroughAllKecamatanReturnsEachOnce) {
  Registry registry(netra::testing::ShippedRegions());
  std::vector<std::string> codes;
  std::string token;
  int pages = 0;
  do {
    auto page = registry.ListRegions(Query("", RegionLevel::kDistrict, 1000, token));
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page.value().total_size, 7285);
    EXPECT_LE(page.value().regions.size(), 1000u);
    for (const Region* r : page.value().regions) codes.push_back(r->code);
    token = page.value().next_page_token;
    ASSERT_LT(++pages, 20) << "paging does not end";
  } while (!token.empty());
  EXPECT_EQ(pages, 8);  // 7 full pages of 1000 and one of 285
  EXPECT_EQ(codes.size(), 7285u);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 7285u) << "duplicates across pages";
  EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
  // None missing: exactly the directory's kecamatan.
  std::vector<std::string> expected;
  for (const Region* r : netra::testing::ShippedRegions().Descendants("", RegionLevel::kDistrict)) expected.push_back(r->code);
  EXPECT_EQ(codes, expected);
}

TEST(ListRegionsTest, SmallPagesOfTheProvinces) {
  Registry registry(netra::testing::ShippedRegions());
  std::vector<std::string> codes;
  std::string token;
  int pages = 0;
  do {
    auto page = registry.ListRegions(Query("", std::nullopt, 5, token));
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page.value().regions.size(), 5u);
    for (const Region* r : page.value().regions) codes.push_back(r->code);
    token = page.value().next_page_token;
    ASSERT_LT(++pages, 20);
  } while (!token.empty());
  EXPECT_EQ(pages, 8);  // 38 = 7 * 5 + 3
  EXPECT_EQ(codes.size(), 38u);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), 38u);
}

TEST(ListRegionsTest, PageSizeAboveTheMaximumIsClamped) {
  Registry registry(netra::testing::ShippedRegions());
  auto page = registry.ListRegions(Query("", RegionLevel::kDistrict, 100000));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().regions.size(), 1000u);
  EXPECT_FALSE(page.value().next_page_token.empty());
}

TEST(ListRegionsTest, BadParentSyntaxIsInvalidOnParentCode) {
  Registry registry(netra::testing::ShippedRegions());
  for (const char* bad : {"3", "33.7", "33-74", "ab", "33.74.01.01", "00"}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(registry.ListRegions(Query(bad)), "parent_code");
  }
}

TEST(ListRegionsTest, UnknownParentIsNotFound) {
  Registry registry(netra::testing::ShippedRegions());
  auto page = registry.ListRegions(Query("33.69"));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().kind, Error::Kind::kNotFound);
  EXPECT_NE(page.error().message.find("33.69"), std::string::npos);
}

TEST(ListRegionsTest, LevelNotBelowTheParentIsInvalidOnLevel) {
  Registry registry(netra::testing::ShippedRegions());
  ExpectInvalid(registry.ListRegions(Query("33", RegionLevel::kProvince)), "level");
  ExpectInvalid(registry.ListRegions(Query("33.74", RegionLevel::kRegency)), "level");
  ExpectInvalid(registry.ListRegions(Query("33.74.01", RegionLevel::kDistrict)), "level");
}

TEST(ListRegionsTest, BadTokenIsInvalidOnPageToken) {
  Registry registry(netra::testing::ShippedRegions());
  ExpectInvalid(registry.ListRegions(Query("", std::nullopt, 0, "garbage!")), "page_token");
}

TEST(ListRegionsTest, TokenFromAnotherQueryIsInvalidOnPageToken) {
  Registry registry(netra::testing::ShippedRegions());
  auto first = registry.ListRegions(Query("", std::nullopt, 5));
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first.value().next_page_token.empty());
  ExpectInvalid(registry.ListRegions(Query("33", std::nullopt, 5, first.value().next_page_token)), "page_token");
}

TEST(ListRegionsTest, NegativePageSizeIsInvalidOnPageSize) {
  Registry registry(netra::testing::ShippedRegions());
  ExpectInvalid(registry.ListRegions(Query("", std::nullopt, -1)), "page_size");
}

}  // namespace
}  // namespace netra::registry

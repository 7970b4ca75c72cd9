// Which objects a caller may act on (common/authorize.h): the region of a
// Bawaslu, BKD or KPU office, a PPK's own, an authority's own, and the
// narrowing of list and statistics calls to the caller's region.
#include "common/authorize.h"

#include <gtest/gtest.h>

namespace netra {
namespace {

Identity As(const char* path) {
  std::string why;
  auto identity = ParseIdentityPath(path, &why);
  EXPECT_TRUE(identity) << path << ": " << why;
  return identity.value_or(Identity{});
}

bool May(const char* caller, Resource resource) { return Authorize(As(caller), resource).allowed; }

TEST(AuthorizeTest, ARegionalOfficeActsInItsRegionOnly) {
  EXPECT_TRUE(May("bawaslu/33.74", {.region_code = "33.74"}));
  EXPECT_TRUE(May("bawaslu/33.74", {.region_code = "33.74.01"}));
  EXPECT_TRUE(May("bawaslu/33", {.region_code = "33.74.01"}));
  EXPECT_TRUE(May("bawaslu/ri", {.region_code = "11.01"}));
  EXPECT_TRUE(May("bkd/33.06", {.region_code = "33.06"}));
  EXPECT_FALSE(May("bawaslu/33.06", {.region_code = "33.74"}));
  EXPECT_FALSE(May("bawaslu/33", {.region_code = "11.01"}));
  EXPECT_FALSE(May("bawaslu/33", {.region_code = "330"}));  // a prefix of the text is not a region within
  EXPECT_FALSE(May("bkd/33.74", {.region_code = "33"}));     // the province is more than the kab/kota
  const AccessDecision nowhere = Authorize(As("bawaslu/33"), {});
  EXPECT_FALSE(nowhere.allowed);  // an object that does not say where it is, is nobody's
  EXPECT_EQ(nowhere.reason, kDenyOutsideRegion);
}

TEST(AuthorizeTest, APpkActsOnWhatIsUnderItAndAnAuthorityOnWhatNamesIt) {
  EXPECT_TRUE(May("ppk/walikota:33.74", {.region_code = "33.74", .ppk_code = "walikota:33.74"}));
  const AccessDecision other = Authorize(As("ppk/bupati:33.06"), {.region_code = "33.74", .ppk_code = "walikota:33.74"});
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.reason, kDenyNotItsPpk);
  EXPECT_FALSE(May("ppk/bupati:33.06", {.region_code = "33.06"}));  // says nothing of its PPK
  EXPECT_TRUE(May("authority/bkn", {.authority_code = "BKN"}));
  EXPECT_TRUE(May("authority/bkn", {.region_code = "33.74"}));  // names no authority: the policy decides
  EXPECT_EQ(Authorize(As("authority/kasn"), {.authority_code = "BKN"}).reason, kDenyNotItsAuthority);
}

TEST(AuthorizeTest, NationalCallersAreLeftToThePolicy) {
  for (const char* caller : {"svc/complaint", "admin", "ops", "ministry/kemenpanrb"}) {
    EXPECT_TRUE(May(caller, {.region_code = "11.01", .ppk_code = "bupati:11.01", .authority_code = "BKN"})) << caller;
  }
}

// The filter a call ends up with, or the reason it is refused.
std::string Narrowed(const char* caller, Filter filter) {
  const AccessDecision decision = NarrowToScope(As(caller), &filter);
  if (!decision.allowed) return decision.reason;
  return filter.region_code + "|" + filter.ppk_code + "|" + filter.authority_code;
}

TEST(AuthorizeTest, ListsAreNarrowedToTheCallersScopeAndRefusedOutsideIt) {
  EXPECT_EQ(Narrowed("bawaslu/33.74", {}), "33.74||");
  EXPECT_EQ(Narrowed("bawaslu/33", {.region_code = "33.74"}), "33.74||");
  EXPECT_EQ(Narrowed("bawaslu/ri", {}), "||");
  EXPECT_EQ(Narrowed("bawaslu/33.06", {.region_code = "11"}), kDenyOutsideRegion);
  EXPECT_EQ(Narrowed("bawaslu/33.74", {.region_code = "33"}), kDenyOutsideRegion);  // the province from a kab/kota
  EXPECT_EQ(Narrowed("ppk/walikota:33.74", {}), "|walikota:33.74|");
  EXPECT_EQ(Narrowed("ppk/walikota:33.74", {.ppk_code = "bupati:33.06"}), kDenyNotItsPpk);
  EXPECT_EQ(Narrowed("authority/bkn", {.region_code = "11"}), "11||BKN");
  EXPECT_EQ(Narrowed("authority/bkn", {.authority_code = "KASN"}), kDenyNotItsAuthority);
  EXPECT_EQ(Narrowed("ministry/kemenpanrb", {.region_code = "11"}), "11||");
}

TEST(AuthorizeTest, TheRegionScopeIsARegionalOfficesOwnRegionAndNobodyElses) {
  // What a store filters an import's or a search's rows by (the registry's employees).
  EXPECT_EQ(RegionScope(As("bkd/33.74")), "33.74");
  EXPECT_EQ(RegionScope(As("bkd/33")), "33");
  EXPECT_EQ(RegionScope(As("kpu/33")), "33");
  EXPECT_EQ(RegionScope(As("bawaslu/33.01")), "33.01");
  for (const char* national : {"bawaslu/ri", "kpu/ri", "authority/bkn", "ppk/walikota:33.74", "svc/complaint",
                               "ministry/kemenpanrb", "admin", "ops"}) {
    EXPECT_EQ(RegionScope(As(national)), "") << national;
  }
}

TEST(AuthorizeTest, AnEmployeeIsSeenByTheOfficesOfItsRegionAndTheNationalBodies) {
  // An employee of Kabupaten Cilacap (33.01), as the registry describes it to Authorize.
  const Resource cilacap{.region_code = "33.01", .ppk_code = "bupati:33.01"};
  for (const char* may : {"bkd/33.01", "bkd/33", "bawaslu/33.01", "bawaslu/33", "bawaslu/ri", "authority/bkn",
                          "authority/kasn", "ppk/bupati:33.01", "svc/sanction"}) {
    EXPECT_TRUE(May(may, cilacap)) << may;
  }
  for (const char* may_not : {"bkd/33.74", "bkd/31", "bawaslu/33.74", "kpu/33.74", "ppk/walikota:33.74"}) {
    EXPECT_FALSE(May(may_not, cilacap)) << may_not;
  }
}

}  // namespace
}  // namespace netra

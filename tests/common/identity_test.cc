#include "common/identity.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace netra {
namespace {

constexpr std::string_view kDomain = "netra.example.go.id";

std::string Id(std::string_view path) { return "spiffe://" + std::string(kDomain) + "/" + std::string(path); }

// Every identity issue 13 names, and what it parses to.
struct Good {
  std::string path;
  IdentityKind kind;
  std::string qualifier;
};

TEST(IdentityTest, ParsesEveryKindOfTheScheme) {
  const std::vector<Good> cases = {
      {"svc/registry", IdentityKind::kService, "registry"},
      {"svc/complaint", IdentityKind::kService, "complaint"},
      {"svc/sanction", IdentityKind::kService, "sanction"},
      {"bawaslu/ri", IdentityKind::kBawaslu, "ri"},
      {"bawaslu/33", IdentityKind::kBawaslu, "33"},
      {"bawaslu/33.06", IdentityKind::kBawaslu, "33.06"},
      {"bawaslu/33.74", IdentityKind::kBawaslu, "33.74"},  // a kota
      {"authority/bkn", IdentityKind::kAuthority, "bkn"},
      {"authority/kasn", IdentityKind::kAuthority, "kasn"},
      {"ppk/bupati:33.06", IdentityKind::kPpk, "bupati:33.06"},
      {"ppk/gubernur:33", IdentityKind::kPpk, "gubernur:33"},
      {"ppk/menteri:kemendagri", IdentityKind::kPpk, "menteri:kemendagri"},
      {"ppk/WALIKOTA-SMG", IdentityKind::kPpk, "WALIKOTA-SMG"},  // the registry stores such codes as given
      {"bkd/33", IdentityKind::kBkd, "33"},
      {"bkd/33.06", IdentityKind::kBkd, "33.06"},
      {"kpu/ri", IdentityKind::kKpu, "ri"},
      {"kpu/33", IdentityKind::kKpu, "33"},
      {"kpu/33.06", IdentityKind::kKpu, "33.06"},
      {"ministry/kemenpanrb", IdentityKind::kMinistry, "kemenpanrb"},
      {"ministry/kemendagri", IdentityKind::kMinistry, "kemendagri"},
      {"admin", IdentityKind::kAdmin, ""},
      {"ops", IdentityKind::kOps, ""},
  };
  for (const auto& c : cases) {
    std::string why;
    auto identity = ParseIdentity(Id(c.path), kDomain, &why);
    ASSERT_TRUE(identity.has_value()) << c.path << ": " << why;
    EXPECT_EQ(identity->kind, c.kind) << c.path;
    EXPECT_EQ(identity->qualifier, c.qualifier) << c.path;
    EXPECT_EQ(identity->spiffe_id, Id(c.path));
    // Logs and the policy file name an identity by its path, spelled as given.
    EXPECT_EQ(identity->Label(), c.path);
  }
}

// A certificate that names anything but one identity, spelled one way, is no identity.
struct Bad {
  std::string spiffe_id;
  std::string why;  // a part of the explanation
};

TEST(IdentityTest, RefusesWhatIsNotExactlyOneIdentityOfOurDomain) {
  const std::vector<Bad> cases = {
      {"", "not a spiffe:// ID"},
      {"https://netra.example.go.id/admin", "not a spiffe:// ID"},
      {"SPIFFE://netra.example.go.id/admin", "not a spiffe:// ID"},
      {"spiffe://other.example/admin", "trust domain"},
      {"spiffe://NETRA.example.go.id/admin", "trust domain"},
      {"spiffe://netra.example.go.id.evil.example/admin", "trust domain"},
      {"spiffe://user@netra.example.go.id/admin", "trust domain"},
      {"spiffe://netra.example.go.id:443/admin", "trust domain"},
      {"spiffe://netra.example.go.id", "no path"},
      {Id(""), "empty path segment"},
      {Id("admin/"), "empty path segment"},
      {Id("/admin"), "empty path segment"},
      {Id("bawaslu//33"), "empty path segment"},
      {Id("auditor"), "unknown kind"},
      {Id("Bawaslu/33"), "kinds are lower case"},
      {Id("svc"), "needs a qualifier"},
      {Id("bawaslu"), "needs a qualifier"},
      {Id("ppk"), "needs a qualifier"},
      {Id("svc/gateway"), "registry, complaint or sanction"},
      {Id("svc/complaint/extra"), "extra path segments"},
      {Id("bawaslu/33/06"), "extra path segments"},
      {Id("admin/root"), "takes no qualifier"},
      {Id("ops/1"), "takes no qualifier"},
      {Id("bawaslu/RI"), "must be ri"},
      {Id("bawaslu/3"), "must be ri"},
      {Id("bawaslu/33.6"), "must be ri"},
      {Id("bawaslu/33.06.01"), "must be ri"},  // a kecamatan has no Bawaslu identity
      {Id("bawaslu/10"), "must be ri"},        // no province 10
      {Id("bawaslu/33.70"), "must be ri"},     // neither kabupaten (01-69) nor kota (71-99)
      {Id("bawaslu/jateng"), "must be ri"},
      {Id("kpu/33.x6"), "must be ri"},
      {Id("bkd/ri"), "must be a province code"},  // no national BKD: that is BKN, an authority
      {Id("authority/BKN"), "lower case"},
      {Id("ministry/KemenPANRB"), "lower case"},
      {Id("authority/b-k-n"), "a-z, 0-9 and _"},
      {Id("ministry/1kemen"), "a-z, 0-9 and _"},
      {Id("authority/" + std::string(33, 'a')), "a-z, 0-9 and _"},
      {Id("ppk/bupati 33.06"), "staffing authority code"},
      {Id("ppk/" + std::string(65, 'a')), "staffing authority code"},
      {Id("bawaslu/33%2E06"), "percent-encoding"},
      {Id("admin%2F"), "percent-encoding"},
      {Id("admin?x=1"), "query or fragment"},
      {Id("admin#top"), "query or fragment"},
      {Id("ppk/" + std::string(250, 'a')), "longer than 256 bytes"},
  };
  for (const auto& c : cases) {
    std::string why;
    EXPECT_FALSE(ParseIdentity(c.spiffe_id, kDomain, &why).has_value()) << c.spiffe_id;
    EXPECT_NE(why.find(c.why), std::string::npos) << c.spiffe_id << ": " << why;
  }
}

TEST(IdentityTest, NoTrustDomainConfiguredAcceptsNothing) {
  std::string why;
  EXPECT_FALSE(ParseIdentity("spiffe:///admin", "", &why).has_value());
  EXPECT_EQ(why, "no trust domain configured");
}

TEST(IdentityTest, LengthLimitIsInclusive) {
  // The registry allows 64-character PPK codes; with a long trust domain an
  // ID may reach the limit exactly.
  const std::string domain(kMaxSpiffeIdBytes - std::string("spiffe:///ppk/").size() - 64, 'd');
  const std::string id = "spiffe://" + domain + "/ppk/" + std::string(64, 'p');
  ASSERT_EQ(id.size(), kMaxSpiffeIdBytes);
  EXPECT_TRUE(ParseIdentity(id, domain, nullptr).has_value());
  EXPECT_FALSE(ParseIdentity(id + "p", domain, nullptr).has_value());
}

TEST(IdentityTest, PathAloneIsHowThePolicyNamesAnIdentity) {
  auto identity = ParseIdentityPath("bawaslu/33.06", nullptr);
  ASSERT_TRUE(identity.has_value());
  EXPECT_EQ(identity->kind, IdentityKind::kBawaslu);
  EXPECT_EQ(identity->qualifier, "33.06");
  EXPECT_EQ(identity->spiffe_id, "");
  std::string why;
  EXPECT_FALSE(ParseIdentityPath("bawaslu/33.6", &why).has_value());
  EXPECT_FALSE(why.empty());
}

TEST(IdentityTest, KindNamesRoundTrip) {
  for (auto kind : {IdentityKind::kService, IdentityKind::kBawaslu, IdentityKind::kAuthority, IdentityKind::kPpk,
                    IdentityKind::kBkd, IdentityKind::kKpu, IdentityKind::kMinistry, IdentityKind::kAdmin,
                    IdentityKind::kOps}) {
    auto name = KindName(kind);
    EXPECT_EQ(KindFromName(name), kind) << name;
  }
  EXPECT_EQ(KindName(IdentityKind::kService), "svc");
  EXPECT_FALSE(KindFromName("Svc").has_value());
  EXPECT_FALSE(KindFromName("public").has_value());  // the policy's word for "anyone", never a kind
}

}  // namespace
}  // namespace netra

#include "common/person_token.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/time/clock.h"
#include "tests/support/test_support.h"
#include "tests/support/test_tokens.h"

namespace netra {
namespace {

using json = nlohmann::json;
using testing::TestIssuer;

Identity Id(const std::string& path) {
  std::string why;
  return *ParseIdentityPath(path, &why);
}

// Two single sign-ons: Bawaslu's speaks for every Bawaslu office and must
// name the office in its token; a BKD's speaks for the Purworejo BKD only.
class PersonTokenTest : public ::testing::Test {
 protected:
  PersonTokenTest()
      : bawaslu_("https://sso.bawaslu.go.id", "b1"), bkd_("https://sso.purworejokab.go.id", "p1", TestIssuer::KeyType::kEc) {}

  std::string IssuersText() const {
    return json{{"version", 1},
                {"issuers",
                 {{{"name", "bawaslu-sso"},
                   {"issuer", bawaslu_.issuer()},
                   {"audience", "netra"},
                   {"jwks_file", "bawaslu.json"},
                   {"agencies", {"bawaslu"}},
                   {"agency_claim", "netra_agency"}},
                  {{"name", "bkd-purworejo"},
                   {"issuer", bkd_.issuer()},
                   {"audience", "netra"},
                   {"jwks_file", "bkd.json"},
                   {"agencies", {"bkd/33.06"}}}}}}
        .dump();
  }

  TokenIssuers Issuers() const {
    auto parsed = TokenIssuers::Parse(IssuersText(), [this](const std::string& f) -> std::optional<std::string> {
      if (f == "bawaslu.json") return bawaslu_.Jwks();
      if (f == "bkd.json") return bkd_.Jwks();
      return std::nullopt;
    });
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
    return std::move(parsed.value());
  }

  json OfficerClaims(const std::string& office) const {
    json claims = bawaslu_.Claims("officer-12", "netra");
    claims["netra_agency"] = office;
    claims["name"] = "Sri Rahayu";
    return claims;
  }

  TestIssuer bawaslu_, bkd_;
};

TEST_F(PersonTokenTest, AVerifiedTokenNamesThePersonUnderItsIssuer) {
  const TokenIssuers issuers = Issuers();
  auto check = issuers.Verify(bawaslu_.Mint(OfficerClaims("bawaslu/33.74")), Id("bawaslu/33.74"), absl::Now());
  ASSERT_TRUE(check.person) << check.reason << ": " << check.detail;
  EXPECT_EQ(check.person->id, "bawaslu-sso:officer-12");
  EXPECT_EQ(check.person->name, "Sri Rahayu");

  // An EC (ES256) issuer, bound to one office by the file alone.
  check = issuers.Verify(bkd_.Mint(bkd_.Claims("staf-7", "netra")), Id("bkd/33.06"), absl::Now());
  ASSERT_TRUE(check.person) << check.reason << ": " << check.detail;
  EXPECT_EQ(check.person->id, "bkd-purworejo:staf-7");
}

TEST_F(PersonTokenTest, ATokenOfAnIssuerNotBoundToTheCertificatesAgencyIsRefused) {
  const TokenIssuers issuers = Issuers();
  // The BKD's sign-on does not speak for Bawaslu, nor for another regency's BKD.
  EXPECT_EQ(issuers.Verify(bkd_.Mint(bkd_.Claims("staf-7", "netra")), Id("bawaslu/33.74"), absl::Now()).reason,
            kTokenIssuerNotBound);
  EXPECT_EQ(issuers.Verify(bkd_.Mint(bkd_.Claims("staf-7", "netra")), Id("bkd/33.74"), absl::Now()).reason,
            kTokenIssuerNotBound);
  // Bawaslu's sign-on names the office: Purworejo's officer cannot act through Semarang's system.
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(OfficerClaims("bawaslu/33.06")), Id("bawaslu/33.74"), absl::Now()).reason,
            kTokenIssuerNotBound);
  json no_office = OfficerClaims("bawaslu/33.74");
  no_office.erase("netra_agency");
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(no_office), Id("bawaslu/33.74"), absl::Now()).reason, kTokenIssuerNotBound);
  // An issuer the deployment does not know.
  TestIssuer stranger("https://sso.example.com", "x1");
  EXPECT_EQ(issuers.Verify(stranger.Mint(stranger.Claims("u", "netra")), Id("bawaslu/33.74"), absl::Now()).reason,
            kTokenIssuerUnknown);
}

TEST_F(PersonTokenTest, ExpiryNotBeforeAndAudienceAreChecked) {
  const TokenIssuers issuers = Issuers();
  const Identity office = Id("bawaslu/33.74");
  json claims = OfficerClaims("bawaslu/33.74");
  const absl::Time now = absl::Now();

  claims["exp"] = absl::ToUnixSeconds(now) - 120;  // beyond the default 60 s of skew
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), office, now).reason, kTokenExpired);
  claims["exp"] = absl::ToUnixSeconds(now) - 30;  // within it
  EXPECT_TRUE(issuers.Verify(bawaslu_.Mint(claims), office, now).person);
  claims.erase("exp");
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), office, now).reason, kTokenInvalid);
  claims["exp"] = 1e300;  // not a time: refused, not overflowed into the future
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), office, now).reason, kTokenInvalid);

  claims = OfficerClaims("bawaslu/33.74");
  claims["nbf"] = absl::ToUnixSeconds(now) + 600;
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), office, now).reason, kTokenExpired);

  claims = OfficerClaims("bawaslu/33.74");
  claims["aud"] = "another-system";
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), office, now).reason, kTokenWrongAudience);
  claims["aud"] = json::array({"another-system", "netra"});
  EXPECT_TRUE(issuers.Verify(bawaslu_.Mint(claims), office, now).person);
  claims.erase("aud");
  EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), office, now).reason, kTokenWrongAudience);
}

TEST_F(PersonTokenTest, OnlyTheIssuersKeyAndAlgorithmVerify) {
  const TokenIssuers issuers = Issuers();
  const Identity office = Id("bawaslu/33.74");
  const json claims = OfficerClaims("bawaslu/33.74");

  // Signed by another key under the same key id.
  TestIssuer impostor(bawaslu_.issuer(), "b1");
  EXPECT_EQ(issuers.Verify(impostor.Mint(claims), office, absl::Now()).reason, kTokenInvalid);
  // HS256 with the public key as the secret: the classic algorithm confusion.
  EXPECT_EQ(issuers.Verify(bawaslu_.MintHs256WithPublicKey(claims), office, absl::Now()).reason, kTokenInvalid);
  // A key id the JWKS does not hold.
  TestIssuer rotated(bawaslu_.issuer(), "b2");
  EXPECT_EQ(issuers.Verify(rotated.Mint(claims), office, absl::Now()).reason, kTokenInvalid);

  // The claims changed after signing (another office, another person).
  const std::string token = bawaslu_.Mint(claims);
  const std::string forged_claims = bawaslu_.Mint(OfficerClaims("bawaslu/33.06"));
  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string spliced = token.substr(0, dot1) + forged_claims.substr(forged_claims.find('.'), forged_claims.rfind('.') - forged_claims.find('.')) + token.substr(dot2);
  EXPECT_EQ(issuers.Verify(spliced, Id("bawaslu/33.06"), absl::Now()).reason, kTokenInvalid);

  // Unsigned ("alg": "none") and malformed tokens.
  const std::string unsigned_token = token.substr(0, dot2 + 1);
  EXPECT_EQ(issuers.Verify(unsigned_token, office, absl::Now()).reason, kTokenInvalid);
  for (std::string_view junk : {"", "a.b", "a.b.c", "....", "eyJ.eyJ.sig"}) {
    EXPECT_EQ(issuers.Verify(junk, office, absl::Now()).reason, kTokenInvalid) << junk;
  }
  EXPECT_EQ(issuers.Verify(std::string(kMaxTokenBytes + 1, 'a'), office, absl::Now()).reason, kTokenInvalid);
}

TEST_F(PersonTokenTest, TheSubjectMustBeAPlainIdentifier) {
  const TokenIssuers issuers = Issuers();
  json claims = OfficerClaims("bawaslu/33.74");
  for (const std::string& sub : std::vector<std::string>{"", "has space", "line\nbreak", std::string(97, 'a')}) {
    claims["sub"] = sub;
    EXPECT_EQ(issuers.Verify(bawaslu_.Mint(claims), Id("bawaslu/33.74"), absl::Now()).reason, kTokenInvalid) << sub;
  }
}

TEST_F(PersonTokenTest, WhoMustSendAToken) {
  const TokenIssuers issuers = Issuers();
  EXPECT_TRUE(issuers.SpeaksFor(Id("bawaslu/ri")));
  EXPECT_TRUE(issuers.SpeaksFor(Id("bkd/33.06")));
  EXPECT_FALSE(issuers.SpeaksFor(Id("bkd/33.74")));
  EXPECT_FALSE(issuers.SpeaksFor(Id("svc/complaint")));
  EXPECT_FALSE(issuers.SpeaksFor(Id("ppk/bupati:33.06")));
}

TEST_F(PersonTokenTest, AFileWithMistakesIsRefusedWithEachOne) {
  const auto read = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto parsed = TokenIssuers::Parse(R"({"version": 1, "issuers": [{"name": "x y", "agencies": ["nobody"]}], "extra": 1})", read);
  ASSERT_FALSE(parsed.ok());
  std::set<std::string> fields;
  for (const auto& v : parsed.error().violations.list()) fields.insert(v.field);
  for (const char* field : {"extra", "issuers[0].name", "issuers[0].issuer", "issuers[0].audience",
                            "issuers[0].jwks_file", "issuers[0].agencies[0]"}) {
    EXPECT_TRUE(fields.count(field)) << field;
  }
  EXPECT_FALSE(TokenIssuers::Parse("{", read).ok());
  EXPECT_FALSE(TokenIssuers::Parse(R"({"version": 2})", read).ok());

  // A JWKS with a key too weak, or of HMAC, is refused rather than trusted.
  const auto jwks = [](std::string keys) {
    return [keys](const std::string&) -> std::optional<std::string> { return keys; };
  };
  const std::string one = R"({"version": 1, "issuers": [{"name": "a", "issuer": "https://a", "audience": "netra",
                             "jwks_file": "a.json", "agencies": ["bawaslu"]}]})";
  EXPECT_FALSE(TokenIssuers::Parse(one, jwks(R"({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})")).ok());
  EXPECT_FALSE(TokenIssuers::Parse(one, jwks(R"({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]})")).ok());
  EXPECT_FALSE(TokenIssuers::Parse(one, jwks(R"({"keys": []})")).ok());
}

TEST_F(PersonTokenTest, NewKeysOnDiskAreUsedWithoutARestart) {
  testing::TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir.File(name + ".tmp")) << text;
    std::filesystem::rename(dir.File(name + ".tmp"), dir.File(name));
  };
  write("bawaslu.json", bawaslu_.Jwks());
  write("bkd.json", bkd_.Jwks());
  write("issuers.json", IssuersText());
  std::string error;
  auto tokens = PersonTokens::Load(dir.File("issuers.json"), &error);
  ASSERT_TRUE(tokens) << error;
  const Identity office = Id("bawaslu/33.74");
  ASSERT_TRUE(tokens->Verify(bawaslu_.Mint(OfficerClaims("bawaslu/33.74")), office, absl::Now()).person);

  // The sign-on rotates its key: the new one verifies once its JWKS is on disk.
  TestIssuer rotated(bawaslu_.issuer(), "b2");
  const std::string token = rotated.Mint(OfficerClaims("bawaslu/33.74"));
  EXPECT_FALSE(tokens->Verify(token, office, absl::Now()).person);
  write("bawaslu.json", rotated.Jwks());
  EXPECT_TRUE(testing::WaitUntil([&] { return tokens->Verify(token, office, absl::Now()).person.has_value(); },
                                 std::chrono::seconds(10)));
}

}  // namespace
}  // namespace netra

#include "common/person_token.h"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/escaping.h"
#include "common/log.h"

namespace netra {
namespace {

using json = nlohmann::json;

std::atomic<PersonTokens*> current{nullptr};

// One public key of an issuer, as libjwt takes it (PEM), and the one
// algorithm it verifies. The algorithm comes from the key, never from the
// token: a token saying HS256 must not make libjwt treat the public key as an
// HMAC secret.
struct VerificationKey {
  std::string kid;
  jwt_alg_t alg = JWT_ALG_NONE;
  std::string pem;
};

std::optional<std::string> Base64Url(const json& value) {
  std::string out;
  if (!value.is_string() || !absl::WebSafeBase64Unescape(value.get<std::string>(), &out) || out.empty()) {
    return std::nullopt;
  }
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

// The public key a JWK describes, as PEM; nullopt when OpenSSL will not build it.
std::optional<std::string> PublicKeyPem(const char* type, OSSL_PARAM_BLD* build) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* raw = nullptr;
  const bool built = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                     EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(raw);
  if (!built) return std::nullopt;
  BIO* bio = BIO_new(BIO_s_mem());
  std::optional<std::string> pem;
  if (bio && PEM_write_bio_PUBKEY(bio, key.get()) == 1) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    pem.emplace(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  return pem;
}

// A JWK of a signing key (RSA, or EC on P-256/384/521), or a description of what is wrong.
Result<VerificationKey> KeyFromJwk(const json& jwk) {
  auto bad = [](std::string why) {
    Violations v;
    v.Add("jwk", ViolationReason::kInvalidFormat, std::move(why));
    return Error::Invalid(std::move(v));
  };
  if (!jwk.is_object()) return bad("a key is not an object");
  VerificationKey key;
  if (jwk.contains("kid")) {
    if (!jwk["kid"].is_string()) return bad("kid is not a string");
    key.kid = jwk["kid"].get<std::string>();
  }
  if (jwk.contains("use") && jwk["use"] != "sig") return bad("key " + key.kid + " is not a signing key");
  const std::string kty = jwk.value("kty", "");
  const std::string alg = jwk.contains("alg") && jwk["alg"].is_string() ? jwk["alg"].get<std::string>() : "";
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  std::optional<std::string> pem;
  if (kty == "RSA") {
    key.alg = alg.empty() ? JWT_ALG_RS256 : jwt_str_alg(alg.c_str());
    if (key.alg != JWT_ALG_RS256 && key.alg != JWT_ALG_RS384 && key.alg != JWT_ALG_RS512) {
      OSSL_PARAM_BLD_free(build);
      return bad("key " + key.kid + ": an RSA key signs RS256, RS384 or RS512");
    }
    auto n = Base64Url(jwk.value("n", json())), e = Base64Url(jwk.value("e", json()));
    if (n && e && n->size() >= 256) {  // at least 2048 bits
      BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr);
      BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr);
      if (OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
          OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1) {
        pem = PublicKeyPem("RSA", build);
      }
      BN_free(bn_n);
      BN_free(bn_e);
    }
  } else if (kty == "EC") {
    struct Curve {
      const char* group;
      jwt_alg_t alg;
      size_t coordinate_bytes;  // RFC 7518: x and y are always this long
    };
    static const std::map<std::string, Curve> curves = {{"P-256", {"prime256v1", JWT_ALG_ES256, 32}},
                                                        {"P-384", {"secp384r1", JWT_ALG_ES384, 48}},
                                                        {"P-521", {"secp521r1", JWT_ALG_ES512, 66}}};
    auto curve = curves.find(jwk.value("crv", ""));
    auto x = Base64Url(jwk.value("x", json())), y = Base64Url(jwk.value("y", json()));
    if (curve == curves.end() || !x || !y || x->size() != curve->second.coordinate_bytes ||
        y->size() != curve->second.coordinate_bytes) {
      OSSL_PARAM_BLD_free(build);
      return bad("key " + key.kid + ": an EC key needs crv P-256, P-384 or P-521 and x, y");
    }
    key.alg = curve->second.alg;
    if (!alg.empty() && jwt_str_alg(alg.c_str()) != key.alg) {
      OSSL_PARAM_BLD_free(build);
      return bad("key " + key.kid + ": alg does not match its curve");
    }
    const std::string point = std::string(1, '\x04') + *x + *y;
    if (OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, curve->second.group, 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) == 1) {
      pem = PublicKeyPem("EC", build);
    }
  } else {
    OSSL_PARAM_BLD_free(build);
    return bad("key " + key.kid + ": kty must be RSA or EC");
  }
  OSSL_PARAM_BLD_free(build);
  if (!pem) return bad("key " + key.kid + " is not a valid public key (RSA keys: at least 2048 bits)");
  key.pem = std::move(*pem);
  return key;
}

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};

// A subject goes into actor ids, histories and logs: a plain, bounded identifier.
bool PlainIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 96) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@')) return false;
  }
  return true;
}

bool PlainName(std::string_view s) {
  if (s.size() > 200) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

TokenCheck Refused(std::string_view reason, std::string detail) { return TokenCheck{std::nullopt, std::string(reason), std::move(detail)}; }

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

struct TokenIssuers::Issuer {
  std::string name, issuer, audience, jwks_file, agency_claim;
  std::vector<std::pair<IdentityKind, std::string>> agencies;  // kind, qualifier (empty: every one)
  std::vector<VerificationKey> keys;

  bool SpeaksFor(const Identity& caller) const {
    for (const auto& [kind, qualifier] : agencies) {
      if (kind == caller.kind && (qualifier.empty() || qualifier == caller.qualifier)) return true;
    }
    return false;
  }
};

TokenIssuers::TokenIssuers() = default;
TokenIssuers::~TokenIssuers() = default;
TokenIssuers::TokenIssuers(TokenIssuers&&) noexcept = default;
TokenIssuers& TokenIssuers::operator=(TokenIssuers&&) noexcept = default;

Result<TokenIssuers> TokenIssuers::Parse(std::string_view json_text,
                                         const std::function<std::optional<std::string>(const std::string&)>& read_file) {
  Violations v;
  json doc;
  try {
    doc = json::parse(json_text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    v.Add("", ViolationReason::kInvalidFormat, std::string("not JSON: ") + e.what());
    return Error::Invalid(std::move(v));
  }
  if (!doc.is_object() || doc.value("version", 0) != 1) {
    v.Add("version", ViolationReason::kUnsupported, "an object with \"version\": 1");
    return Error::Invalid(std::move(v));
  }
  for (const auto& [k, unused] : doc.items()) {
    if (k != "version" && k != "issuers" && k != "clock_skew_seconds") v.Add(k, ViolationReason::kUnsupported, "unknown key");
  }
  TokenIssuers out;
  if (doc.contains("clock_skew_seconds")) {
    const auto& skew = doc["clock_skew_seconds"];
    if (!skew.is_number_integer() || skew.get<int>() < 0 || skew.get<int>() > 300) {
      v.Add("clock_skew_seconds", ViolationReason::kOutOfRange, "0 to 300");
    } else {
      out.clock_skew_ = absl::Seconds(skew.get<int>());
    }
  }
  const json issuers = doc.value("issuers", json::array());
  if (!issuers.is_array()) {
    v.Add("issuers", ViolationReason::kInvalidFormat, "a list");
    return Error::Invalid(std::move(v));
  }
  for (size_t i = 0; i < issuers.size(); ++i) {
    const std::string at = "issuers[" + std::to_string(i) + "]";
    const json& entry = issuers[i];
    auto issuer = std::make_unique<Issuer>();
    auto text = [&](const char* key, std::string* field, bool required) {
      if (entry.contains(key) && entry[key].is_string() && !entry[key].get<std::string>().empty()) {
        *field = entry[key].get<std::string>();
      } else if (required || entry.contains(key)) {
        v.Add(at + "." + key, ViolationReason::kRequired, "a non-empty string");
      }
    };
    if (!entry.is_object()) {
      v.Add(at, ViolationReason::kInvalidFormat, "an object");
      continue;
    }
    text("name", &issuer->name, true);
    text("issuer", &issuer->issuer, true);
    text("audience", &issuer->audience, true);
    text("jwks_file", &issuer->jwks_file, true);
    text("agency_claim", &issuer->agency_claim, false);
    if (!issuer->name.empty() && !PlainIdentifier(issuer->name)) {
      v.Add(at + ".name", ViolationReason::kInvalidFormat, "letters, digits, '.', '_', '-'");
    }
    for (const auto& other : out.issuers_) {
      if (other->issuer == issuer->issuer) v.Add(at + ".issuer", ViolationReason::kInconsistent, "named twice");
    }
    const json agencies = entry.value("agencies", json());
    if (!agencies.is_array() || agencies.empty()) v.Add(at + ".agencies", ViolationReason::kRequired, "a non-empty list");
    for (size_t j = 0; agencies.is_array() && j < agencies.size(); ++j) {
      const std::string name = agencies[j].is_string() ? agencies[j].get<std::string>() : "";
      std::string why;
      if (auto kind = KindFromName(name)) {
        issuer->agencies.emplace_back(*kind, "");
      } else if (auto identity = ParseIdentityPath(name, &why); identity && !name.empty()) {
        issuer->agencies.emplace_back(identity->kind, identity->qualifier);
      } else {
        v.Add(at + ".agencies[" + std::to_string(j) + "]", ViolationReason::kInvalidFormat, "an identity kind or path: " + why);
      }
    }
    if (!issuer->jwks_file.empty()) {
      auto jwks_text = read_file(issuer->jwks_file);
      json jwks;
      try {
        if (jwks_text) jwks = json::parse(*jwks_text);
      } catch (const json::exception&) {
      }
      if (!jwks_text || !jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array() || jwks["keys"].empty()) {
        v.Add(at + ".jwks_file", ViolationReason::kInvalidFormat, issuer->jwks_file + ": not a readable JWKS with keys");
      } else {
        for (const auto& jwk : jwks["keys"]) {
          auto key = KeyFromJwk(jwk);
          if (!key.ok()) {
            v.Add(at + ".jwks_file", ViolationReason::kInvalidFormat,
                  issuer->jwks_file + ": " + key.error().violations.list().front().description);
          } else {
            issuer->keys.push_back(std::move(key.value()));
          }
        }
      }
    }
    out.issuers_.push_back(std::move(issuer));
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  return out;
}

bool TokenIssuers::SpeaksFor(const Identity& caller) const {
  for (const auto& issuer : issuers_) {
    if (issuer->SpeaksFor(caller)) return true;
  }
  return false;
}

std::vector<std::string> TokenIssuers::KeyFiles() const {
  std::vector<std::string> files;
  for (const auto& issuer : issuers_) files.push_back(issuer->jwks_file);
  return files;
}

TokenCheck TokenIssuers::Verify(std::string_view token, const Identity& caller, absl::Time now) const {
  if (token.size() > kMaxTokenBytes) return Refused(kTokenInvalid, "longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  if (dot1 == std::string_view::npos || dot1 == dot2 || token.find('.', dot1 + 1) != dot2) {
    return Refused(kTokenInvalid, "not a signed JWT (three parts)");
  }
  const std::string header_part(token.substr(0, dot1)), claims_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
  // The header and the claims are read before the signature is checked only
  // to choose the key: nothing from them is trusted until libjwt verified it.
  json header, claims;
  std::string text;
  try {
    if (!absl::WebSafeBase64Unescape(header_part, &text)) return Refused(kTokenInvalid, "header is not base64url");
    header = json::parse(text);
    if (!absl::WebSafeBase64Unescape(claims_part, &text)) return Refused(kTokenInvalid, "claims are not base64url");
    claims = json::parse(text);
  } catch (const json::exception&) {
    return Refused(kTokenInvalid, "header or claims are not JSON");
  }
  if (!header.is_object() || !claims.is_object() || !claims.contains("iss") || !claims["iss"].is_string()) {
    return Refused(kTokenInvalid, "no iss claim");
  }
  const std::string iss = claims["iss"].get<std::string>();
  const Issuer* issuer = nullptr;
  for (const auto& candidate : issuers_) {
    if (candidate->issuer == iss) issuer = candidate.get();
  }
  if (!issuer) return Refused(kTokenIssuerUnknown, "iss " + iss.substr(0, 200));
  if (!issuer->SpeaksFor(caller)) return Refused(kTokenIssuerNotBound, issuer->name + " does not speak for " + caller.Label());

  const std::string kid = header.contains("kid") && header["kid"].is_string() ? header["kid"].get<std::string>() : "";
  const std::string alg = header.contains("alg") && header["alg"].is_string() ? header["alg"].get<std::string>() : "";
  const VerificationKey* key = nullptr;
  for (const auto& candidate : issuer->keys) {
    if (candidate.kid == kid || (kid.empty() && issuer->keys.size() == 1)) key = &candidate;
  }
  if (!key) return Refused(kTokenInvalid, issuer->name + " has no key " + kid.substr(0, 64));
  if (jwt_str_alg(alg.c_str()) != key->alg) return Refused(kTokenInvalid, "alg " + alg.substr(0, 16) + " is not the key's");

  jwt_t* raw = nullptr;
  const std::string token_text(token);
  const int rc = jwt_decode(&raw, token_text.c_str(), reinterpret_cast<const unsigned char*>(key->pem.data()),
                            static_cast<int>(key->pem.size()));
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  if (rc != 0 || !jwt || jwt_get_alg(jwt.get()) != key->alg) return Refused(kTokenInvalid, "signature not verified");

  // Verified: the claims decoded above are the signed ones.
  const auto seconds = [&](const char* name) -> std::optional<int64_t> {
    // Integers only: a float or an out-of-range number is no time (and no overflow below).
    if (!claims.contains(name) || !claims[name].is_number_integer()) return std::nullopt;
    return claims[name].get<int64_t>();
  };
  const int64_t now_s = absl::ToUnixSeconds(now), skew = absl::ToInt64Seconds(clock_skew_);
  const auto exp = seconds("exp");
  if (!exp) return Refused(kTokenInvalid, "no exp claim");
  if (*exp < now_s - skew) return Refused(kTokenExpired, "expired at " + std::to_string(*exp));
  if (auto nbf = seconds("nbf"); nbf && *nbf > now_s + skew) {
    return Refused(kTokenExpired, "not valid before " + std::to_string(*nbf));
  }

  bool audience = false;
  if (claims.contains("aud")) {
    const json& aud = claims["aud"];
    if (aud.is_string()) audience = aud == issuer->audience;
    if (aud.is_array()) {
      for (const auto& a : aud) audience = audience || (a.is_string() && a == issuer->audience);
    }
  }
  if (!audience) return Refused(kTokenWrongAudience, "aud does not name " + issuer->audience);

  if (!issuer->agency_claim.empty()) {
    const json agency = claims.value(issuer->agency_claim, json());
    if (!agency.is_string() || agency.get<std::string>() != caller.Label()) {
      return Refused(kTokenIssuerNotBound, "the token's " + issuer->agency_claim + " is not " + caller.Label());
    }
  }
  const std::string sub = claims.value("sub", json()).is_string() ? claims["sub"].get<std::string>() : "";
  if (!PlainIdentifier(sub)) return Refused(kTokenInvalid, "sub is missing or not a plain identifier of at most 96 chars");
  Person person{issuer->name + ":" + sub, ""};
  if (claims.contains("name") && claims["name"].is_string() && PlainName(claims["name"].get<std::string>())) {
    person.name = claims["name"].get<std::string>();
  }
  return TokenCheck{std::move(person), "", ""};
}

// ---- PersonTokens -------------------------------------------------------

void SetPersonTokens(PersonTokens* tokens) { current.store(tokens, std::memory_order_release); }
PersonTokens* CurrentPersonTokens() { return current.load(std::memory_order_acquire); }

PersonTokens::PersonTokens(std::string issuers_file) : issuers_file_(std::move(issuers_file)) {}

PersonTokens::~PersonTokens() {
  if (watcher_) watcher_->Stop();
}

std::unique_ptr<PersonTokens> PersonTokens::Load(const std::string& issuers_file, std::string* error) {
  std::unique_ptr<PersonTokens> tokens(new PersonTokens(issuers_file));
  if (!tokens->Reload(error)) return nullptr;
  tokens->watcher_ = std::make_unique<PeriodicWorker>("token issuers reload", std::chrono::seconds(2), [raw = tokens.get()] {
    const auto mtimes = raw->ModificationTimes();
    {
      std::lock_guard lock(raw->mutex_);
      if (mtimes == raw->loaded_mtimes_) return;
    }
    std::string why;
    if (!raw->Reload(&why)) log::Error("token issuers not reloaded; the ones in force stay", {{"error", why}});
  });
  tokens->watcher_->Start(PeriodicWorker::First::kAfterPeriod);
  return tokens;
}

std::map<std::string, std::filesystem::file_time_type> PersonTokens::ModificationTimes() const {
  std::vector<std::string> files{issuers_file_};
  {
    std::lock_guard lock(mutex_);
    if (issuers_) {
      for (const auto& f : issuers_->KeyFiles()) files.push_back((std::filesystem::path(issuers_file_).parent_path() / f).string());
    }
  }
  std::map<std::string, std::filesystem::file_time_type> mtimes;
  for (const auto& f : files) {
    std::error_code ec;
    mtimes[f] = std::filesystem::last_write_time(f, ec);
  }
  return mtimes;
}

bool PersonTokens::Reload(std::string* error) {
  // Taken before reading: a file changed while it is read differs next time and is read again.
  auto mtimes = ModificationTimes();
  auto text = ReadFile(issuers_file_);
  if (!text) {
    *error = "cannot read the token issuers file " + issuers_file_;
    return false;
  }
  const auto dir = std::filesystem::path(issuers_file_).parent_path();
  auto parsed = TokenIssuers::Parse(*text, [&](const std::string& f) { return ReadFile((dir / f).string()); });
  if (!parsed.ok()) {
    *error = "token issuers " + issuers_file_ + ": " + parsed.error().message;
    for (const auto& v : parsed.error().violations.list()) *error += "; " + v.field + ": " + v.description;
    return false;
  }
  auto issuers = std::make_shared<const TokenIssuers>(std::move(parsed.value()));
  bool first;
  {
    std::lock_guard lock(mutex_);
    first = issuers_ == nullptr;
    issuers_ = std::move(issuers);
    loaded_mtimes_ = std::move(mtimes);
  }
  if (!first) log::Info("token issuers reloaded", {{"file", issuers_file_}});
  return true;
}

bool PersonTokens::SpeaksFor(const Identity& caller) const {
  std::shared_ptr<const TokenIssuers> issuers;
  {
    std::lock_guard lock(mutex_);
    issuers = issuers_;
  }
  return issuers->SpeaksFor(caller);
}

TokenCheck PersonTokens::Verify(std::string_view token, const Identity& caller, absl::Time now) const {
  std::shared_ptr<const TokenIssuers> issuers;
  {
    std::lock_guard lock(mutex_);
    issuers = issuers_;
  }
  return issuers->Verify(token, caller, now);
}

}  // namespace netra

#include "tests/support/test_tokens.h"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "absl/strings/escaping.h"

namespace netra::testing {
namespace {

std::string Pem(EVP_PKEY* key, bool private_key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (private_key) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

std::string Base64Url(const std::string& bytes) {
  std::string out;
  absl::WebSafeBase64Escape(bytes, &out);
  return out;
}

// `width` 0: as few bytes as the number needs (RSA); else exactly that many,
// zero-padded, as RFC 7518 wants EC coordinates.
std::string BignumParam(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("no key parameter");
  std::string bytes(static_cast<size_t>(width ? width : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  BN_free(bn);
  return bytes;
}

std::string Sign(const nlohmann::json& claims, const std::string& kid, jwt_alg_t alg, const std::string& key) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims.dump().c_str());
  if (!kid.empty()) jwt_add_header(jwt, "kid", kid.c_str());
  if (jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()), static_cast<int>(key.size())) != 0) {
    jwt_free(jwt);
    throw std::runtime_error("libjwt refused the key");
  }
  char* encoded = jwt_encode_str(jwt);
  jwt_free(jwt);
  if (!encoded) throw std::runtime_error("libjwt could not sign");
  std::string token(encoded);
  free(encoded);
  return token;
}

}  // namespace

struct TestIssuer::Key {
  EVP_PKEY* pkey = nullptr;
  KeyType type;
  ~Key() { EVP_PKEY_free(pkey); }
};

TestIssuer::TestIssuer(std::string issuer, std::string kid, KeyType type)
    : issuer_(std::move(issuer)), kid_(std::move(kid)), key_(std::make_unique<Key>()) {
  key_->type = type;
  key_->pkey = type == KeyType::kRsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (!key_->pkey) throw std::runtime_error("key generation failed");
}

TestIssuer::~TestIssuer() = default;

std::string TestIssuer::Jwks() const {
  nlohmann::json jwk{{"kid", kid_}, {"use", "sig"}};
  if (key_->type == KeyType::kRsa) {
    jwk["kty"] = "RSA";
    jwk["alg"] = "RS256";
    jwk["n"] = Base64Url(BignumParam(key_->pkey, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = Base64Url(BignumParam(key_->pkey, OSSL_PKEY_PARAM_RSA_E));
  } else {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = Base64Url(BignumParam(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    jwk["y"] = Base64Url(BignumParam(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  return nlohmann::json{{"keys", {jwk}}}.dump();
}

nlohmann::json TestIssuer::Claims(const std::string& sub, const std::string& audience) const {
  return {{"iss", issuer_}, {"sub", sub}, {"aud", audience}, {"exp", std::time(nullptr) + 3600}};
}

std::string TestIssuer::Mint(nlohmann::json claims) const {
  if (!claims.contains("iss")) claims["iss"] = issuer_;
  return Sign(claims, kid_, key_->type == KeyType::kRsa ? JWT_ALG_RS256 : JWT_ALG_ES256, Pem(key_->pkey, true));
}

std::string TestIssuer::MintHs256WithPublicKey(nlohmann::json claims) const {
  if (!claims.contains("iss")) claims["iss"] = issuer_;
  return Sign(claims, kid_, JWT_ALG_HS256, Pem(key_->pkey, false));
}

}  // namespace netra::testing

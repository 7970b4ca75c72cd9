// A token issuer for tests: a real key pair, its JWKS, and JWTs signed with
// libjwt, the way an agency's single sign-on would issue them
// (common/person_token.h).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace netra::testing {

class TestIssuer {
 public:
  enum class KeyType { kRsa, kEc };
  // `issuer`: the iss claim; `kid`: the key's id in the JWKS.
  TestIssuer(std::string issuer, std::string kid, KeyType type = KeyType::kRsa);
  ~TestIssuer();

  const std::string& issuer() const { return issuer_; }
  // {"keys": [this key]}.
  std::string Jwks() const;
  // The claims given (iss is added unless present), signed with this key and
  // its algorithm (RS256 or ES256), kid in the header.
  std::string Mint(nlohmann::json claims) const;
  // Claims of a valid token for `sub` and `audience`, expiring in an hour.
  nlohmann::json Claims(const std::string& sub, const std::string& audience) const;
  // A token whose header says HS256 and whose "secret" is this key's public
  // PEM: what an attacker who knows the public key can make.
  std::string MintHs256WithPublicKey(nlohmann::json claims) const;

 private:
  struct Key;
  std::string issuer_, kid_;
  std::unique_ptr<Key> key_;
};

}  // namespace netra::testing

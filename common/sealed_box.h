// Values sealed at rest (issue 13, whistle-blower protection): AES-256-GCM
// (OpenSSL EVP) under one of the deployment's keys, each sealed value naming
// its key so that keys can be rotated: the first key seals, every configured
// key opens. The caller's associated data (e.g. the complaint id) is bound
// into the tag, so a sealed value cannot be moved to another record.
// Key files hold exactly 32 raw bytes (`head -c 32 /dev/urandom`); a key's id
// is derived from the key itself, so it can never be mislabelled.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netra {

struct SealedValue {
  std::string key_id;      // which key sealed it (SealedBox::KeyIdOf)
  std::string nonce;       // 12 random bytes, never reused under a key
  std::string ciphertext;  // as long as the plaintext
  std::string tag;         // 16 bytes over the ciphertext and the associated data
};

class SealedBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;

  // `keys`: at least one, each kKeyBytes long (LoadKey checks); keys[0] seals.
  explicit SealedBox(const std::vector<std::string>& keys);
  ~SealedBox();
  SealedBox(const SealedBox&) = delete;
  SealedBox& operator=(const SealedBox&) = delete;

  // 16 hex digits naming `key` (a hash of it: it reveals nothing of the key).
  static std::string KeyIdOf(std::string_view key);
  // Reads a key file: exactly kKeyBytes bytes. nullopt with *error otherwise;
  // the message never contains the key.
  static std::optional<std::string> LoadKey(const std::string& path, std::string* error);

  const std::string& sealing_key_id() const { return sealing_key_id_; }
  bool HasKey(std::string_view key_id) const { return keys_.count(std::string(key_id)) > 0; }

  // Seals `plaintext` under the sealing key, bound to `aad`.
  SealedValue Seal(std::string_view plaintext, std::string_view aad) const;
  // The plaintext; nullopt when the key id is not configured or the value,
  // its tag or `aad` is not what was sealed.
  std::optional<std::string> Open(const SealedValue& sealed, std::string_view aad) const;

  // HMAC-SHA256 of `data` under a subkey of key `key_id` for `purpose` (one
  // key, several unrelated uses); nullopt when the key id is not configured.
  std::optional<std::string> Mac(std::string_view key_id, std::string_view purpose, std::string_view data) const;

 private:
  std::map<std::string, std::string, std::less<>> keys_;  // key id -> key
  std::string sealing_key_id_;
};

}  // namespace netra

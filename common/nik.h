// Keyed hashing of NIKs (DOMAIN.md §2; UU 27/2022): the registry keeps only
// HMAC-SHA256(key, the 16 ASCII digits) so that records can be matched (e.g.
// party-membership screening) without a clear NIK ever being stored. The key
// comes from configuration (--nik-key-file); it is never logged.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace netra {

class NikHasher {
 public:
  static constexpr size_t kMinKeyBytes = 32;
  static constexpr size_t kHashBytes = 32;

  // `key` must hold at least kMinKeyBytes bytes (LoadKey checks this).
  explicit NikHasher(std::string key);

  // The 32-byte HMAC-SHA256 of `nik` (the caller has validated its 16 digits).
  std::string Hash(std::string_view nik) const;

  // Reads a key file: the whole content is the key (binary is fine). nullopt
  // with *error when it cannot be read or is shorter than kMinKeyBytes; the
  // message never contains the key.
  static std::optional<std::string> LoadKey(const std::string& path, std::string* error);

 private:
  // HMAC's two SHA-256 states after the key's inner and outer pad, computed
  // once: OpenSSL's one-shot HMAC() looks SHA-256 up and builds them again on
  // every call (an import hashes a NIK per row). Shared by copies; read-only.
  struct Pads;
  std::shared_ptr<const Pads> pads_;
};

}  // namespace netra

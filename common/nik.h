// Keyed hashing of NIKs (DOMAIN.md §2; UU 27/2022): the registry keeps only
// HMAC-SHA256(key, the 16 ASCII digits) so that records can be matched (e.g.
// party-membership screening) without a clear NIK ever being stored. The key
// comes from configuration (--nik-key-file); it is never logged.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/keyed_hash.h"

namespace netra {

class NikHasher {
 public:
  static constexpr size_t kMinKeyBytes = 32;
  static constexpr size_t kHashBytes = KeyedHash::kHashBytes;

  // `key` must hold at least kMinKeyBytes bytes (LoadKey checks this).
  explicit NikHasher(std::string key);

  // The 32-byte HMAC-SHA256 of `nik` (the caller has validated its 16 digits).
  std::string Hash(std::string_view nik) const;

  // Reads a key file: the whole content is the key (binary is fine). nullopt
  // with *error when it cannot be read or is shorter than kMinKeyBytes; the
  // message never contains the key.
  static std::optional<std::string> LoadKey(const std::string& path, std::string* error);

 private:
  KeyedHash hmac_;
};

}  // namespace netra

// HMAC-SHA-256 under a deployment secret, written once for every keyed hash:
// NIKs (nik.h) and the record keys of published statistics
// (services/complaint/disclosure.h). The key is never logged.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace netra {

class KeyedHash {
 public:
  static constexpr size_t kHashBytes = 32;

  explicit KeyedHash(std::string key);

  // The 32-byte HMAC-SHA256 of `bytes`.
  std::string Of(std::string_view bytes) const;

  // Reads a key file: the whole content is the key (binary is fine). nullopt
  // with *error when it cannot be read or holds fewer than `min_bytes`; `what`
  // names the key in the message, which never contains the key.
  static std::optional<std::string> LoadKey(const std::string& path, size_t min_bytes, std::string_view what,
                                            std::string* error);

 private:
  // HMAC's two SHA-256 states after the key's inner and outer pad, computed
  // once: OpenSSL's one-shot HMAC() looks SHA-256 up and builds them again on
  // every call (an import hashes a NIK per row). Shared by copies; read-only.
  struct Pads;
  std::shared_ptr<const Pads> pads_;
};

}  // namespace netra

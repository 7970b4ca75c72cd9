#include "common/nik.h"

#include <utility>

namespace netra {

NikHasher::NikHasher(std::string key) : hmac_(std::move(key)) {}

std::string NikHasher::Hash(std::string_view nik) const { return hmac_.Of(nik); }

std::optional<std::string> NikHasher::LoadKey(const std::string& path, std::string* error) {
  if (path.empty()) {
    *error = "required: a file holding the NIK hashing key (at least " + std::to_string(kMinKeyBytes) + " bytes)";
    return std::nullopt;
  }
  return KeyedHash::LoadKey(path, kMinKeyBytes, "the NIK key", error);
}

}  // namespace netra

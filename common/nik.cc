#include "common/nik.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <iterator>

namespace netra {

std::string NikHasher::Hash(std::string_view nik) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(nik.data()),
       nik.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::optional<std::string> NikHasher::LoadKey(const std::string& path, std::string* error) {
  if (path.empty()) {
    *error = "required: a file holding the NIK hashing key (at least " + std::to_string(kMinKeyBytes) + " bytes)";
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  std::string key((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (key.size() < kMinKeyBytes) {
    *error = path + " holds " + std::to_string(key.size()) + " bytes; the NIK key needs at least " +
             std::to_string(kMinKeyBytes);
    return std::nullopt;
  }
  return key;
}

}  // namespace netra

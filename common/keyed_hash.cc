#include "common/keyed_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <utility>

#include "common/digest.h"

namespace netra {

struct KeyedHash::Pads {
  EVP_MD_CTX* inner = EVP_MD_CTX_new();
  EVP_MD_CTX* outer = EVP_MD_CTX_new();
  ~Pads() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
  }
};

KeyedHash::KeyedHash(std::string key) {
  // HMAC-SHA256 as RFC 2104 defines it: a key longer than SHA-256's 64-byte
  // block is hashed first, then zero-padded to the block.
  constexpr size_t kBlock = 64;
  if (key.size() > kBlock) key = Sha256::Of({key});
  key.resize(kBlock, '\0');
  auto pads = std::make_shared<Pads>();
  std::string pad(kBlock, '\0');
  for (auto [ctx, byte] : {std::pair{pads->inner, 0x36}, std::pair{pads->outer, 0x5c}}) {
    for (size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<char>(key[i] ^ byte);
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx, pad.data(), pad.size());
  }
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  pads_ = std::move(pads);
}

std::string KeyedHash::Of(std::string_view bytes) const {
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> scratch(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_MD_CTX* ctx = scratch.get();
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX_copy_ex(ctx, pads_->inner);
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
  EVP_DigestFinal_ex(ctx, inner, &length);
  std::string out(kHashBytes, '\0');
  EVP_MD_CTX_copy_ex(ctx, pads_->outer);
  EVP_DigestUpdate(ctx, inner, length);
  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &length);
  return out;
}

std::optional<std::string> KeyedHash::LoadKey(const std::string& path, size_t min_bytes, std::string_view what,
                                              std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  std::string key((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (key.size() < min_bytes) {
    *error = path + " holds " + std::to_string(key.size()) + " bytes; " + std::string(what) + " needs at least " +
             std::to_string(min_bytes);
    OPENSSL_cleanse(key.data(), key.size());
    return std::nullopt;
  }
  return key;
}

}  // namespace netra

#include "common/sealed_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "common/digest.h"
#include "common/random.h"

namespace netra {
namespace {

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)>;

CipherContext NewContext() { return CipherContext(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free); }

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string Hmac(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(data), data.size(), Bytes(out), &length);
  return out;
}

}  // namespace

SealedBox::SealedBox(const std::vector<std::string>& keys) {
  if (keys.empty()) throw std::invalid_argument("SealedBox needs at least one key");
  for (const std::string& key : keys) {
    if (key.size() != kKeyBytes) throw std::invalid_argument("a sealing key is 32 bytes");
    keys_.emplace(KeyIdOf(key), key);
  }
  sealing_key_id_ = KeyIdOf(keys.front());
}

SealedBox::~SealedBox() {
  for (auto& [id, key] : keys_) OPENSSL_cleanse(key.data(), key.size());
}

std::string SealedBox::KeyIdOf(std::string_view key) {
  return HexOf(Sha256::Of({"netra sealing key id\n", key})).substr(0, 16);
}

std::optional<std::string> SealedBox::LoadKey(const std::string& path, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  std::string key((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (key.size() != kKeyBytes) {
    *error = path + " holds " + std::to_string(key.size()) + " bytes; an AES-256 key is exactly " +
             std::to_string(kKeyBytes) + " (head -c 32 /dev/urandom)";
    OPENSSL_cleanse(key.data(), key.size());
    return std::nullopt;
  }
  return key;
}

SealedValue SealedBox::Seal(std::string_view plaintext, std::string_view aad) const {
  SealedValue out;
  out.key_id = sealing_key_id_;
  out.nonce = RandomBytes(kNonceBytes);  // random 96-bit nonces: far below 2^32 seals per key
  out.ciphertext.resize(plaintext.size());
  out.tag.resize(kTagBytes);
  const std::string& key = keys_.find(sealing_key_id_)->second;
  auto ctx = NewContext();
  int length = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(out.nonce)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), Bytes(out.ciphertext), &length, Bytes(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), nullptr, &length) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, Bytes(out.tag)) == 1;
  // Nothing unsealed may be stored in its place: a failing cipher is a broken process.
  if (!ok) throw std::runtime_error("AES-256-GCM sealing failed");
  return out;
}

std::optional<std::string> SealedBox::Open(const SealedValue& sealed, std::string_view aad) const {
  auto key = keys_.find(sealed.key_id);
  if (key == keys_.end() || sealed.nonce.size() != kNonceBytes || sealed.tag.size() != kTagBytes) return std::nullopt;
  std::string plaintext(sealed.ciphertext.size(), '\0');
  std::string tag = sealed.tag;
  auto ctx = NewContext();
  int length = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key->second), Bytes(sealed.nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), Bytes(plaintext), &length, Bytes(sealed.ciphertext),
                        static_cast<int>(sealed.ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &length) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return std::nullopt;
  }
  return plaintext;
}

std::optional<std::string> SealedBox::Mac(std::string_view key_id, std::string_view purpose,
                                          std::string_view data) const {
  auto key = keys_.find(key_id);
  if (key == keys_.end()) return std::nullopt;
  std::string subkey = Hmac(key->second, std::string("netra subkey\n") + std::string(purpose));
  std::string out = Hmac(subkey, data);
  OPENSSL_cleanse(subkey.data(), subkey.size());
  return out;
}

}  // namespace netra

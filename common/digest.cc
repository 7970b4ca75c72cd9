#include "common/digest.h"

#include <openssl/evp.h>

#include <cassert>
#include <initializer_list>

namespace netra {

namespace {
// Fetched once: with EVP_sha256() every (re)initialisation looks the
// implementation up again, a cost per digest where digests are per row.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Only allocation can fail here; without a context nothing can be hashed.
  assert(ctx_ != nullptr);
  EVP_DigestInit_ex(ctx_, Sha256Md(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256& Sha256::Update(std::string_view bytes) {
  EVP_DigestUpdate(ctx_, bytes.data(), bytes.size());
  return *this;
}

std::string Sha256::Finish() {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &length);
  out.resize(length);
  EVP_DigestInit_ex(ctx_, Sha256Md(), nullptr);
  return out;
}

std::string Sha256::Of(std::initializer_list<std::string_view> parts) {
  Sha256 sha;
  for (std::string_view part : parts) sha.Update(part);
  return sha.Finish();
}

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace netra

// SHA-256 for everything that is not a keyed NIK hash (nik.h): history
// chains, evidence content addresses, idempotency request hashes, signed
// document digests.
#pragma once

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace netra {

// Streaming SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Update(std::string_view bytes);
  // The 32 raw bytes; the object is then reset for a new digest.
  std::string Finish();

  // One-shot over the concatenation of `parts`.
  static std::string Of(std::initializer_list<std::string_view> parts);

 private:
  evp_md_ctx_st* ctx_;
};

// Lower-case hex of raw bytes.
std::string HexOf(std::string_view bytes);

}  // namespace netra

// Randomness from the operating system's CSPRNG (OpenSSL RAND_bytes), once
// for the tree: identifiers and tracking codes that must not be guessed.
#pragma once

#include <cstddef>
#include <string>

namespace netra {

// `count` random bytes. Aborts when the CSPRNG fails: there is nothing safe
// to hand out instead, and no caller could recover.
std::string RandomBytes(size_t count);
// `count` random bytes as lower-case hex (2 * count characters).
std::string RandomHex(size_t count);

}  // namespace netra

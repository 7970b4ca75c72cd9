// `netractl hash-niks`: HMAC-SHA256 of clear NIKs under the registry's NIK
// key (common/nik.h, the same --nik-key-file), computed on the operator's machine so that party-membership lists
// reach the registry without a clear NIK crossing the network.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/nik.h"

namespace netra::tools {

// A NIK as DOMAIN.md section 2 defines it (ParseNik), without saying why not.
bool IsValidNik(std::string_view text);

// Lower-case hex of the NIK's HMAC-SHA256 under the registry's key (the
// form `netractl hash-niks` writes).
std::string NikHmacHex(const NikHasher& hasher, std::string_view nik);

struct HashNiksResult {
  int64_t hashed = 0;
  int64_t invalid = 0;
  std::string error;  // the input cannot be read as a whole (malformed CSV)
};

// Two input forms, told apart by the first record:
//  * a CSV whose header has a `nik` column: written out again with that
//    column renamed `nik_hmac` and each NIK replaced by its hex HMAC, the
//    other columns (party, region, role, ...) as they were;
//  * otherwise one NIK per line: one hex HMAC per line.
// A NIK that is not valid (ParseNik) is skipped and reported on `problems`
// as "line N: not a valid NIK" (CSV: "record N"); the NIK itself never is.
HashNiksResult HashNiks(std::istream& in, std::ostream& out, std::ostream& problems, const NikHasher& hasher);

}  // namespace netra::tools

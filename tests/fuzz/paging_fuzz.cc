// Page tokens (common/paging.h): any token a client sends decodes or is a
// violation; a token we issue decodes to its key under its own scope.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/paging.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  std::string scope = input.ConsumeRandomLengthString(64);
  std::string key = input.ConsumeRandomLengthString(256);
  std::string token = input.ConsumeRemainingBytesAsString();

  netra::Violations v;
  auto decoded = netra::DecodePageToken(token, "page_token", v, scope);
  NETRA_FUZZ_CHECK(decoded.has_value() == v.empty());

  netra::Violations none;
  auto round_trip = netra::DecodePageToken(netra::EncodePageToken(key, scope), "page_token", none, scope);
  NETRA_FUZZ_CHECK(round_trip.has_value() && *round_trip == key && none.empty());
  return 0;
}

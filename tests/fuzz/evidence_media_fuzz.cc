// Evidence media detection (services/complaint/evidence.h) over the first
// bytes of any upload: always one of the documented types.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "services/complaint/evidence.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::set<std::string, std::less<>> kTypes = {
      "image/jpeg", "image/png",       "image/gif",  "image/webp",
      "application/pdf", "video/mp4", "video/quicktime", "text/plain", "application/octet-stream"};
  std::string_view head(reinterpret_cast<const char*>(data), size);
  NETRA_FUZZ_CHECK(kTypes.count(netra::complaint::DetectMediaType(head)) == 1);
  return 0;
}

// The complaint service's intake validation, from the bytes a member of the
// public sends (SubmitComplaintRequest, mapped as the handler maps it) to the domain's verdict, against the
// shipped regions and violation catalog. Text fields may hold any bytes.
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"
#include "netra/v1/complaint.pb.h"
#include "services/complaint/complaint_proto.h"
#include "services/complaint/intake.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netra::complaint;
  static const ViolationCodes codes =
      ViolationCodes::FromCatalogJson(netra::fuzz::ReadSourceFile("data/violation_catalog.json")).value();
  // A fixed "now", so that a crash reproduces whatever the day.
  static const absl::Time now = absl::FromUnixSeconds(1709251200);  // 2024-03-01
  netra::v1::SubmitComplaintRequest request;
  if (!netra::fuzz::ParseRequest(request, data, static_cast<int>(size))) return 0;
  netra::Violations v = ValidateSubmission(ToCommand(request), netra::fuzz::ShippedRegions(), codes, now);
  for (const auto& violation : v.list()) NETRA_FUZZ_CHECK(violation.description.size() < 4096);
  return 0;
}

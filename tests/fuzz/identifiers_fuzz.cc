// The identifier checks that see a client's text first: NIP, NI PPPK, NIK and
// region codes (common/identifiers.h), calendar dates, and the public
// tracking code of a complaint. Each either decodes or adds a violation,
// never both, never neither.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "common/identifiers.h"
#include "services/complaint/intake.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

// Decoded xor reported.
template <typename Parsed>
void CheckVerdict(const Parsed& parsed, const netra::Violations& v) {
  NETRA_FUZZ_CHECK(parsed.has_value() == v.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netra;
  FuzzedDataProvider input(data, size);
  const absl::CivilDay today(2024, 3, 1);  // fixed, so that a crash reproduces whatever the day
  const int year = input.ConsumeIntegral<int>(), month = input.ConsumeIntegral<int>(),
            day = input.ConsumeIntegral<int>();
  const std::string text = input.ConsumeRemainingBytesAsString();
  {
    Violations v;
    auto nip = ParseNip(text, "nip", v, today);
    CheckVerdict(nip, v);
    if (nip) NETRA_FUZZ_CHECK(nip->serial >= 1 && nip->serial <= 999 && nip->birth_date <= today);
  }
  {
    Violations v;
    auto ni = ParseNiPppk(text, "ni_pppk", v, today);
    CheckVerdict(ni, v);
    if (ni) NETRA_FUZZ_CHECK(ni->agreement_count >= 0 && ni->agreement_count <= 99);
  }
  {
    Violations v;
    auto nik = ParseNik(text, "nik", v, today);
    CheckVerdict(nik, v);
    if (nik) {
      NETRA_FUZZ_CHECK(nik->birth_month >= 1 && nik->birth_month <= 12 && nik->birth_day >= 1 &&
                       nik->birth_day <= 31 && nik->serial >= 1 && nik->serial <= 9999);
    }
  }
  {
    Violations v;
    CheckVerdict(ParseRegionCode(text, "region_code", v), v);
  }
  {
    Violations v;
    auto calendar_day = CheckDate(Date{year, month, day}, "date", v);
    CheckVerdict(calendar_day, v);
    if (calendar_day) NETRA_FUZZ_CHECK(calendar_day->year() == year && calendar_day->day() == day);
  }
  if (complaint::IsWellFormedTrackingCode(text)) NETRA_FUZZ_CHECK(text.size() == complaint::kTrackingCodeLength);
  return 0;
}

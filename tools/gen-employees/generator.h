// A synthetic but realistic employee data set of one province, in the CSV of
// `netractl import employees` (issue 3, "Bulk import"): valid NIP / NI PPPK /
// NIK, region codes of that province, Indonesian names, the PNS : PPPK :
// PPNPN mix of DOMAIN.md section 1 (3.7 M : 1.1 M : 2.2 M), the province's and
// its kabupaten/kota governments as agencies with their usual units.
//
// Deterministic: the same options give byte-identical output on any machine
// and any day (its own PRNG; dates are relative to a fixed reference day).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/regions.h"

namespace netra::tools {

struct GeneratorOptions {
  std::string province;  // "33"
  int64_t count = 0;     // data rows
  uint64_t seed = 1;
};

// Every generated date lies before this day, so the output is valid whenever
// it is imported.
inline constexpr int kReferenceYear = 2025;

class EmployeeGenerator {
 public:
  // Fails (error text) on an unknown province or one without kab/kota or
  // kecamatan, or a count outside 0..50,000,000.
  static std::unique_ptr<EmployeeGenerator> Create(const RegionDirectory& regions, const GeneratorOptions& options,
                                                   std::string* error);
  ~EmployeeGenerator();

  // The header line (CRLF-terminated), all columns in canonical order.
  static std::string HeaderLine();
  // Appends the next data row (CRLF-terminated) to `out`; false once
  // options.count rows have been produced.
  bool AppendNextRow(std::string& out);

 private:
  struct State;
  explicit EmployeeGenerator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace netra::tools

// netractl's CSV reader and the employee CSV on top of it, over any bytes a
// file may hold: the first record as the header, every later one converted
// to an import row (or its problems). Small chunks are not needed: the
// reader's chunk is larger than libFuzzer's inputs, so records crossing a
// chunk are covered by the unit tests instead.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_support.h"
#include "tools/netractl/csv.h"
#include "tools/netractl/employee_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netra::tools;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  CsvReader reader(in);
  std::vector<std::string> fields;
  if (!reader.Next(&fields)) {
    NETRA_FUZZ_CHECK(reader.record_number() >= 0);
    return 0;
  }
  std::string error;
  auto header = EmployeeCsvHeader::Parse(fields, &error);
  NETRA_FUZZ_CHECK(header.has_value() == error.empty());
  int64_t last = reader.record_number();
  while (reader.Next(&fields)) {
    NETRA_FUZZ_CHECK(reader.record_number() > last);
    last = reader.record_number();
    if (!header) continue;
    netra::v1::EmployeeImportRow row;
    netra::Violations problems;
    bool converted = ConvertEmployeeRecord(*header, fields, last - 1, &row, &problems);
    NETRA_FUZZ_CHECK(converted == problems.empty());
    // What the client sends must serialize: protobuf refuses invalid UTF-8 in a string.
    if (converted) NETRA_FUZZ_CHECK(row.IsInitialized() && !row.SerializeAsString().empty());
  }
  NETRA_FUZZ_CHECK(reader.bytes_read() <= size);
  return 0;
}

// netractl import employees FILE.csv: streams an employee CSV to
// RegistryService.ImportEmployees without holding the file in memory
// (csv_import.h), and what every CSV import shares.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tools/netractl/csv.h"
#include "tools/netractl/csv_import.h"
#include "tools/netractl/employee_csv.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {

FileCheck CheckCsvFile(const std::string& path, const CsvHeaderCheck& header_ok) {
  FileCheck check;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    check.error = "cannot read " + path;
    return check;
  }
  tools::CsvReader reader(in);
  std::vector<std::string> fields;
  if (!reader.Next(&fields)) {
    check.error = reader.error().empty() ? "the file is empty: a header row is required"
                                         : "record 1 (the header): " + reader.error();
    return check;
  }
  if (!header_ok(fields, &check.error)) return check;
  while (reader.Next(&fields)) ++check.data_records;
  if (!reader.error().empty()) {
    // Row numbers count data records, the header being row 0.
    check.error = "row " + std::to_string(reader.record_number() - 1) + ": " + reader.error() +
                  "; nothing was sent";
  }
  return check;
}

Progress::Progress(int64_t total)
    : total_(total), enabled_(isatty(STDERR_FILENO) == 1), start_(Clock::now()) {}

void Progress::Update(int64_t done, bool final) {
  if (!enabled_) return;
  auto now = Clock::now();
  if (!final && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  int percent = total_ > 0 ? static_cast<int>(done * 100 / total_) : 100;
  std::string bar(static_cast<size_t>(percent / 4), '#');
  bar.resize(25, ' ');
  std::fprintf(stderr, "\r[%s] %3d%% %lld/%lld rows sent, %.0f rows/s ", bar.c_str(), percent,
               static_cast<long long>(done), static_cast<long long>(total_), rate);
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

std::string SourceName(const std::string& path) {
  auto slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.size() > 200 || !tools::IsValidUtf8(name)) name = "netractl import";
  return name;
}

std::string RowsReceivedMismatch(int64_t sent, int64_t received) {
  if (sent == received) return {};
  return "the registry received " + std::to_string(received) + " rows but " + std::to_string(sent) +
         " were sent; check the file and run the import again";
}

int ReportImport(const google::protobuf::Message& response, int64_t received, int64_t rejected,
                 const ImportOptions& import, const ImportTally& tally) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tally.start).count();
  auto summary = nlohmann::ordered_json::parse(ToJson(response, true));
  summary["request_id"] = tally.request_id;
  summary["file"] = import.file;
  summary["rows_in_file"] = tally.data_records;
  summary["client_rejected"] = tally.client_rejected;
  summary["client_row_errors"] = tally.client_errors;
  summary["client_row_errors_truncated"] = tally.client_rejected > static_cast<int64_t>(tally.client_errors.size());
  summary["elapsed_seconds"] = std::round(seconds * 1000) / 1000;
  summary["rows_per_second"] = seconds > 0 ? static_cast<int64_t>(static_cast<double>(tally.data_records) / seconds) : 0;
  const std::string mismatch = RowsReceivedMismatch(tally.rows_sent, received);
  if (!mismatch.empty()) summary["rows_received_mismatch"] = mismatch;
  std::cout << summary.dump(2) << "\n";
  if (!mismatch.empty()) return 1;
  return rejected > 0 || tally.client_rejected > 0 ? kExitPartial : 0;
}

int ImportEmployees(const Options& options, const ImportOptions& import) {
  std::optional<tools::EmployeeCsvHeader> header;
  auto stub = v1::RegistryService::NewStub(MakeChannel(options.registry, nullptr));
  CsvImportKind<v1::ImportEmployeesRequest, v1::ImportEmployeesResponse> kind;
  kind.name = "employees";
  kind.parse_header = [&](const std::vector<std::string>& names, std::string* error) {
    header = tools::EmployeeCsvHeader::Parse(names, error);
    return header.has_value();
  };
  kind.add = [&](const std::vector<std::string>& fields, int64_t row_number, v1::ImportEmployeesRequest& batch,
                 Violations* problems) {
    // Converted into the batch's next row: a cleared row of the last batch, whose strings keep their memory.
    if (!tools::ConvertEmployeeRecord(*header, fields, row_number, batch.add_rows(), problems)) {
      batch.mutable_rows()->RemoveLast();
      return false;
    }
    return true;
  };
  kind.records = [](const v1::ImportEmployeesRequest& batch) { return batch.rows_size(); };
  kind.open = [&](grpc::ClientContext* context, v1::ImportEmployeesResponse* response) {
    return stub->ImportEmployees(context, response);
  };
  kind.received = [](const v1::ImportEmployeesResponse& r) { return r.rows_received(); };
  kind.rejected = [](const v1::ImportEmployeesResponse& r) { return r.rejected(); };
  return RunCsvImport(options, import, kind);
}

}  // namespace netra::netractl

// netractl import employees|party-members FILE.csv: streams an employee CSV
// to RegistryService.ImportEmployees without holding the file in memory
// (csv_import.h); the flags of both imports, and what every CSV import shares.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "tools/netractl/csv.h"
#include "tools/netractl/csv_import.h"
#include "tools/netractl/employee_csv.h"
#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

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
  auto stub = RegistryStub(options);
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

namespace {

// The flags both imports take after their own; `what` names a file's records in the help.
void AddImportFlags(CLI::App& command, ImportOptions& o, const std::string& what) {
  command.add_option("--batch-size", o.batch_size, what + " per stream message")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  command.add_option("--request-id", o.request_id, "Idempotency key (default: derived from the file's SHA-256)");
  command.add_option("--max-row-errors", o.max_row_errors, "Row errors to report at most")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  command.add_option("--deadline-minutes", o.deadline_minutes, "Bound on the whole import")
      ->capture_default_str()->check(CLI::Range(1, 24 * 60));
}

}  // namespace

void AddImportCommands(CLI::App& app, Commands& commands) {
  auto* import = app.add_subcommand("import", "Bulk loads");
  import->require_subcommand(1);

  auto employees = std::make_shared<ImportOptions>();
  auto* import_employees = import->add_subcommand(
      "employees", "Stream an employee CSV (columns: README) to ImportEmployees; JSON summary on stdout");
  import_employees->add_option("file", employees->file, "The CSV file")->required()->check(CLI::ExistingFile);
  AddImportFlags(*import_employees, *employees, "Rows");
  commands.On(import_employees, [employees](const Options& o) { return ImportEmployees(o, *employees); });

  auto members = std::make_shared<ImportOptions>();
  auto* import_members = import->add_subcommand(
      "party-members", "Stream a party member list (CSV, columns: README) to ImportPartyMembers; JSON summary");
  import_members->add_option("file", members->file, "The CSV file")->required()->check(CLI::ExistingFile);
  import_members->add_option("--hash-with-key", members->hash_with_key,
                             "The registry's NIK key file: hash the clear `nik` column here before sending")
      ->check(CLI::ExistingFile);
  AddImportFlags(*import_members, *members, "Records");
  commands.On(import_members, [members](const Options& o) { return ImportPartyMembers(o, *members); });
}

}  // namespace netra::netractl

// netractl import employees FILE.csv: streams an employee CSV to
// RegistryService.ImportEmployees without holding the file in memory.
//
// Two passes over the file: the first hashes it (the default request_id, so
// that re-running the same file is idempotent) and checks that it is CSV at
// all, with a usable header; a file that fails is refused before anything is
// sent. The second converts and streams the rows in batches.
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
#include "tools/netractl/employee_csv.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {
namespace {

using Clock = std::chrono::steady_clock;

// Keeps a message well under the channel's 8 MiB limit whatever the fields hold.
constexpr size_t kMaxBatchBytes = 4 << 20;

struct FileCheck {
  int64_t data_records = 0;
  std::string error;  // refuses the whole file
};

// Pass 1: well-formed CSV and a usable header; counts the data records.
FileCheck CheckFile(const std::string& path) {
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
  if (!tools::EmployeeCsvHeader::Parse(fields, &check.error)) return check;
  while (reader.Next(&fields)) ++check.data_records;
  if (!reader.error().empty()) {
    // Row numbers count data records, the header being row 0.
    check.error = "row " + std::to_string(reader.record_number() - 1) + ": " + reader.error() +
                  "; nothing was sent";
  }
  return check;
}

class Progress {
 public:
  explicit Progress(int64_t total) : total_(total), enabled_(isatty(STDERR_FILENO) == 1), start_(Clock::now()) {}

  void Update(int64_t done, bool final = false) {
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

 private:
  int64_t total_;
  bool enabled_;
  Clock::time_point start_, last_{};
};

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.size() > 200 || !tools::IsValidUtf8(name)) name = "netractl import";
  return name;
}

}  // namespace

int ImportEmployees(const Options& options, const ImportOptions& import) {
  const auto start = Clock::now();
  std::string request_id = import.request_id;
  if (request_id.empty()) {
    std::string digest = FileSha256(import.file);
    if (digest.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + import.file);
    request_id = "import-employees:sha256:" + digest;
  }
  FileCheck check = CheckFile(import.file);
  if (!check.error.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": " + check.error);

  std::ifstream in(import.file, std::ios::binary);
  tools::CsvReader reader(in);
  std::vector<std::string> fields;
  std::string error;
  if (!reader.Next(&fields)) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": the file changed while importing");
  auto header = tools::EmployeeCsvHeader::Parse(fields, &error);
  if (!header) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": " + error);

  auto stub = v1::RegistryService::NewStub(MakeChannel(options.registry, nullptr));
  auto context = MakeClientContext(std::chrono::minutes(import.deadline_minutes));
  if (!options.actor.empty()) context->AddMetadata("x-netra-actor", options.actor);
  v1::ImportEmployeesResponse response;
  auto writer = stub->ImportEmployees(context.get(), &response);

  v1::ImportEmployeesRequest batch;
  batch.set_request_id(request_id);
  batch.set_source_name(BaseName(import.file));
  batch.set_max_row_errors(import.max_row_errors);
  size_t batch_bytes = 0;
  int64_t rows_sent = 0, client_rejected = 0;
  nlohmann::ordered_json client_errors = nlohmann::ordered_json::array();
  bool stream_ok = true, first = true;
  Progress progress(check.data_records);

  auto send = [&]() {
    if (!stream_ok || (!first && batch.rows_size() == 0)) return;
    stream_ok = writer->Write(batch);
    if (stream_ok) rows_sent += batch.rows_size();
    first = false;
    batch.Clear();
    batch_bytes = 0;
    progress.Update(rows_sent);
  };

  while (stream_ok && reader.Next(&fields)) {
    const int64_t row_number = reader.record_number() - 1;  // the header is row 0
    auto row = tools::ConvertEmployeeRecord(*header, fields, row_number);
    if (!row.ok()) {
      if (static_cast<int>(client_errors.size()) < import.max_row_errors) {
        client_errors.push_back(nlohmann::ordered_json::parse(
            ToJson(tools::ToRowError(row_number, row.error().violations))));
      }
      ++client_rejected;
      continue;
    }
    for (const auto& field : fields) batch_bytes += field.size() + 4;
    *batch.add_rows() = std::move(row.value());
    if (batch.rows_size() >= import.batch_size || batch_bytes >= kMaxBatchBytes) send();
  }
  if (!reader.error().empty() && stream_ok) {
    // The file changed since pass 1: stop without completing the import, so
    // the request_id is not remembered for a partial file.
    context->TryCancel();
    (void)writer->Finish();
    return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": row " + std::to_string(reader.record_number() - 1) +
                                             ": " + reader.error() + " (the file changed during the import)");
  }
  send();  // the last partial batch, or the only message of a file without valid rows
  if (stream_ok) writer->WritesDone();
  grpc::Status status = writer->Finish();
  progress.Update(rows_sent, true);
  if (!status.ok()) return Fail(status);

  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto summary = nlohmann::ordered_json::parse(ToJson(response, true));
  summary["request_id"] = request_id;
  summary["file"] = import.file;
  summary["rows_in_file"] = check.data_records;
  summary["client_rejected"] = client_rejected;
  summary["client_row_errors"] = client_errors;
  summary["client_row_errors_truncated"] = client_rejected > static_cast<int64_t>(client_errors.size());
  summary["elapsed_seconds"] = std::round(seconds * 1000) / 1000;
  summary["rows_per_second"] = seconds > 0 ? static_cast<int64_t>(static_cast<double>(check.data_records) / seconds) : 0;
  std::cout << summary.dump(2) << "\n";
  return response.rejected() > 0 || client_rejected > 0 ? kExitPartial : 0;
}

}  // namespace netra::netractl

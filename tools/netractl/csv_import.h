// The streaming of a CSV file to a client-streaming import RPC, the same for
// every kind of record (`netractl import employees`, `import party-members`):
//
// Two passes over the file: the first hashes it (the default request_id, so
// that re-running the same file is idempotent) and checks that it is CSV at
// all, with a usable header; a file that fails is refused before anything is
// sent. The second converts the records and streams them in batches; a record
// the client cannot convert is skipped and reported, never sent.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/client.h"
#include "common/validation.h"
#include "tools/netractl/csv.h"
#include "tools/netractl/employee_csv.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {

// What one kind of import supplies. Request must have request_id,
// source_name and max_row_errors fields (read from the first message).
template <class Request, class Response>
struct CsvImportKind {
  std::string name;  // default request_id: "import-<name>:sha256:<the file's SHA-256>"
  // Reads the header row (in both passes; `add` uses the last one read).
  CsvHeaderCheck parse_header;
  // Converts one data record into `batch`; false with the client-side problems.
  std::function<bool(const std::vector<std::string>& fields, int64_t row_number, Request& batch,
                     Violations* problems)>
      add;
  std::function<int(const Request& batch)> records;  // in the batch
  std::function<std::unique_ptr<grpc::ClientWriter<Request>>(grpc::ClientContext*, Response*)> open;
  std::function<int64_t(const Response&)> received, rejected;  // as the server counted them
};

// What the client counted, for the summary (import_command.cc).
struct ImportTally {
  std::string request_id;
  int64_t data_records = 0, rows_sent = 0, client_rejected = 0;
  nlohmann::ordered_json client_errors = nlohmann::ordered_json::array();
  std::chrono::steady_clock::time_point start;
};
// Prints the response as JSON with the client's counts; the exit code: 1 when
// the server did not receive every row sent, 3 with rejected rows, else 0.
int ReportImport(const google::protobuf::Message& response, int64_t received, int64_t rejected,
                 const ImportOptions& import, const ImportTally& tally);

template <class Request, class Response>
int RunCsvImport(const Options& options, const ImportOptions& import, const CsvImportKind<Request, Response>& kind) {
  // Keeps a message well under the channel's 8 MiB limit whatever the fields hold.
  constexpr size_t kMaxBatchBytes = 4 << 20;
  ImportTally tally;
  tally.start = std::chrono::steady_clock::now();
  tally.request_id = import.request_id;
  if (tally.request_id.empty()) {
    std::string digest = FileSha256(import.file);
    if (digest.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + import.file);
    tally.request_id = "import-" + kind.name + ":sha256:" + digest;
  }
  FileCheck check = CheckCsvFile(import.file, kind.parse_header);
  if (!check.error.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": " + check.error);
  tally.data_records = check.data_records;

  std::ifstream in(import.file, std::ios::binary);
  tools::CsvReader reader(in);
  std::vector<std::string> fields;
  std::string error;
  if (!reader.Next(&fields) || !kind.parse_header(fields, &error)) {
    return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": the file changed while importing");
  }

  auto context = MakeClientContext(std::chrono::minutes(import.deadline_minutes));
  NamePerson(options, context.get());
  Response response;
  auto writer = kind.open(context.get(), &response);

  Request batch;
  batch.set_request_id(tally.request_id);
  batch.set_source_name(SourceName(import.file));
  batch.set_max_row_errors(import.max_row_errors);
  size_t batch_bytes = 0;
  bool stream_ok = true, first = true;
  Progress progress(check.data_records);
  auto send = [&]() {
    if (!stream_ok || (!first && kind.records(batch) == 0)) return;
    stream_ok = writer->Write(batch);
    if (stream_ok) tally.rows_sent += kind.records(batch);
    first = false;
    batch.Clear();
    batch_bytes = 0;
    progress.Update(tally.rows_sent);
  };

  while (stream_ok && reader.Next(&fields)) {
    const int64_t row_number = reader.record_number() - 1;  // the header is row 0
    Violations problems;
    if (!kind.add(fields, row_number, batch, &problems)) {
      if (static_cast<int>(tally.client_errors.size()) < import.max_row_errors) {
        tally.client_errors.push_back(
            nlohmann::ordered_json::parse(ToJson(tools::ToRowError(row_number, problems))));
      }
      ++tally.client_rejected;
      continue;
    }
    for (const auto& field : fields) batch_bytes += field.size() + 4;
    if (kind.records(batch) >= import.batch_size || batch_bytes >= kMaxBatchBytes) send();
  }
  if (!reader.error().empty() && stream_ok) {
    // The file changed since pass 1: stop without completing the import, so
    // the request_id is not remembered for a partial file.
    context->TryCancel();
    (void)writer->Finish();
    return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, import.file + ": row " +
                                                             std::to_string(reader.record_number() - 1) + ": " +
                                                             reader.error() + " (the file changed during the import)");
  }
  send();  // the last partial batch, or the only message of a file without valid rows
  if (stream_ok) writer->WritesDone();
  grpc::Status status = writer->Finish();
  progress.Update(tally.rows_sent, true);
  if (!status.ok()) return Fail(status);
  return ReportImport(response, kind.received(response), kind.rejected(response), import, tally);
}

}  // namespace netra::netractl

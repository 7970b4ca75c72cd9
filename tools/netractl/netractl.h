// What the netractl commands share: connection options, JSON output and the
// printing of failed calls. Each group of commands lives in a *_command.cc.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace netra::netractl {

struct Options {
  std::string registry = "127.0.0.1:50051";
  std::string complaint = "127.0.0.1:50052";
  std::string sanction = "127.0.0.1:50053";
  std::string actor;
  int timeout_ms = 10000;
};

// Exit codes: 0 success, 1 failure (printed on stderr as JSON), 2 usage,
// 3 done but some input records were rejected or skipped.
inline constexpr int kExitPartial = 3;

// Protobuf JSON with the proto field names; `all_fields` prints zero values too.
std::string ToJson(const google::protobuf::Message& message, bool all_fields = false);
// Prints a failed call's status and any machine-readable details; returns 1.
int Fail(const grpc::Status& status);
// Prints a local problem (a file that cannot be used) like a failed call; returns 1.
int FailLocal(grpc::StatusCode code, const std::string& message);
// A client context with the --timeout-ms deadline and the actor metadata.
std::unique_ptr<grpc::ClientContext> Context(const Options& options);
// Lower-case hex SHA-256 of a file's bytes, read in chunks; empty on a read error.
std::string FileSha256(const std::string& path);

// netractl import employees|party-members FILE.csv
struct ImportOptions {
  std::string file;
  std::string request_id;  // empty: derived from the file's SHA-256
  int batch_size = 2000;
  int max_row_errors = 100;
  int deadline_minutes = 120;
  std::string hash_with_key;  // party-members: key file to hash a clear `nik` column locally
};
int ImportEmployees(const Options& options, const ImportOptions& import);
int ImportPartyMembers(const Options& options, const ImportOptions& import);

// netractl import party-members, party-matches list|resolve (party_command.cc):
// AddPartyCommands adds the subcommands before parsing; RunPartyCommand runs
// the one chosen, nullopt when none of them was.
void AddPartyCommands(CLI::App& app, CLI::App& import);
std::optional<int> RunPartyCommand(const Options& options);

// netractl cases get|list|compliance|act (case_command.cc), the same way.
void AddCaseCommands(CLI::App& app);
std::optional<int> RunCaseCommand(const Options& options);

// netractl outbox list|retry (outbox_command.cc), the same way.
void AddOutboxCommands(CLI::App& app);
std::optional<int> RunOutboxCommand(const Options& options);

// netractl complaint upload|get|history|act (complaint_command.cc); `complaint`
// is the command group (it also holds `status`, in main.cc).
void AddComplaintCommands(CLI::App& complaint);
std::optional<int> RunComplaintCommand(const Options& options);

// The `act` commands: sends one request read as protobuf JSON from `file`
// through `call(stub, context, request, response)` and prints the response,
// so that every field of the API is reachable without a flag per field.
template <class Request, class Response, class Stub, class Call>
int SendJsonRequest(const Options& options, const std::string& file, Stub& stub, Call call) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + file);
  Request request;
  auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &request);
  if (!parsed.ok()) {
    return FailLocal(grpc::StatusCode::INVALID_ARGUMENT,
                     "not a " + request.GetTypeName() + " in JSON: " + std::string(parsed.message()));
  }
  Response response;
  auto context = Context(options);
  auto status = call(stub, context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

// What the CSV imports share (import_command.cc). Pass 1 over a file: it is
// well-formed CSV with a header that `header_ok` accepts; counts the data
// records. A file that fails is refused before anything is sent.
using CsvHeaderCheck = std::function<bool(const std::vector<std::string>& names, std::string* error)>;
struct FileCheck {
  int64_t data_records = 0;
  std::string error;  // refuses the whole file
};
FileCheck CheckCsvFile(const std::string& path, const CsvHeaderCheck& header_ok);
// The import's source_name: the file's base name.
std::string SourceName(const std::string& path);
// The server's count of rows received against the rows sent: empty when they
// agree, else a warning for the summary (rows lost or duplicated on the way).
std::string RowsReceivedMismatch(int64_t sent, int64_t received);

// A progress bar on stderr (rows sent, rows/s) when stderr is a terminal.
class Progress {
 public:
  explicit Progress(int64_t total);
  void Update(int64_t done, bool final = false);

 private:
  using Clock = std::chrono::steady_clock;
  int64_t total_;
  bool enabled_;
  Clock::time_point start_, last_{};
};

// netractl hash-niks FILE
int HashNiks(const std::string& file, const std::string& key_file, const std::string& out_file);

// netractl elections upsert|get|list
int UpsertElection(const Options& options, const std::string& file, int64_t expected_version,
                   std::string request_id);
int GetElection(const Options& options, const std::string& election_id);
int ListElections(const Options& options, const std::string& type, const std::string& region_code, int page_size,
                  bool all_pages);

// netractl employees get|search
int GetEmployee(const Options& options, const std::string& employee_id);
struct EmployeeSearch {
  std::string name, region_code, agency_code, type;
  int page_size = 0;
  std::string page_token;
};
int SearchEmployees(const Options& options, const EmployeeSearch& search);

}  // namespace netra::netractl

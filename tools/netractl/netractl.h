// What the netractl commands share: connection options, JSON output, the
// printing of failed calls, and the one way a command is wired. Each group of
// commands lives in a *_command.cc with an Add<Group>Commands(app, commands)
// that adds its subcommands and says with `Commands::On` what each runs;
// main.cc lists the groups, parses, and runs the one chosen.
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
#include <utility>
#include <vector>

#include "common/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netra::netractl {

struct Options {
  std::string registry = "127.0.0.1:50051";
  std::string complaint = "127.0.0.1:50052";
  std::string sanction = "127.0.0.1:50053";
  std::string actor;
  // --token-file: a JWT naming the person (common/person_token.h), sent as
  // authorization: Bearer; read once at start.
  std::string token_file, token;
  int timeout_ms = 10000;
  // Who netractl is: a certificate of the deployment's CA (common/tls.h).
  TlsFiles tls;
  bool plaintext = false;
  std::string identity, identity_dir = ".netra/pki";  // --identity NAME: DIR/NAME.pem, .key, DIR/ca.pem
  // --public: a member of the public on a public listener (no client
  // certificate; the server's host name is verified against --tls-ca).
  bool public_caller = false;
};

// Exit codes: 0 success, 1 failure (printed on stderr as JSON), 2 usage,
// 3 done but some input records were rejected or skipped.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitPartial = 3;

// Protobuf JSON with the proto field names; `all_fields` prints zero values too.
std::string ToJson(const google::protobuf::Message& message, bool all_fields = false);
// Prints a failed call's status and any machine-readable details; returns 1.
int Fail(const grpc::Status& status);
// Prints a local problem (a file that cannot be used) like a failed call; returns 1.
int FailLocal(grpc::StatusCode code, const std::string& message);
// A client context with the --timeout-ms deadline and who is acting.
std::unique_ptr<grpc::ClientContext> Context(const Options& options);
// Who is acting, on any context: the person's token, or the person as asserted.
void NamePerson(const Options& options, grpc::ClientContext* context);
// Lower-case hex SHA-256 of a file's bytes, read in chunks; empty on a read error.
std::string FileSha256(const std::string& path);

// The commands of one command line. A group's flags live in a struct that its
// run functions share (held by them, so it outlives the parse that fills it).
class Commands {
 public:
  using Run = std::function<int(const Options&)>;
  // What `command` does when the command line chose it.
  void On(CLI::App* command, Run run);
  // After parsing: the exit code of the chosen command, kExitUsage if none was.
  int RunChosen() const;

  Options options;  // the global flags (main.cc)

 private:
  std::vector<std::pair<CLI::App*, Run>> commands_;
};

// The groups, in the order of `netractl --help`.
void AddServerCommands(CLI::App& app, Commands& commands);     // health, reflect (server_command.cc)
void AddRegionCommands(CLI::App& app, Commands& commands);     // regions list
void AddViolationCommands(CLI::App& app, Commands& commands);  // violations list (case_command.cc)
void AddComplaintCommands(CLI::App& app, Commands& commands);  // complaint status|upload|get|history|act
void AddImportCommands(CLI::App& app, Commands& commands);     // import employees|party-members
void AddPartyCommands(CLI::App& app, Commands& commands);      // party-matches list|resolve
void AddCaseCommands(CLI::App& app, Commands& commands);       // cases get|list|compliance|act
void AddOutboxCommands(CLI::App& app, Commands& commands);     // outbox list|retry
void AddHashNikCommands(CLI::App& app, Commands& commands);    // hash-niks
void AddEmployeeCommands(CLI::App& app, Commands& commands);   // employees get|search
void AddElectionCommands(CLI::App& app, Commands& commands);   // elections upsert|get|list
void AddAccessLogCommands(CLI::App& app, Commands& commands);  // access-log (access_log_command.cc)
void AddStoreCommands(CLI::App& app, Commands& commands);      // store copy (offline, no service called)

// Prints a unary call's response as JSON on stdout and returns 0, or its
// failure as Fail does; `all_fields` as for ToJson.
int PrintReply(const grpc::Status& status, const google::protobuf::Message& response, bool all_fields = false);

// netractl import employees|party-members FILE.csv (import_command.cc, party_command.cc)
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
  return PrintReply(call(stub, context.get(), request, &response), response);
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

}  // namespace netra::netractl

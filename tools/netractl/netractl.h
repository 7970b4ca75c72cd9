// What the netractl commands share: connection options, JSON output and the
// printing of failed calls. Each group of commands lives in a *_command.cc.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>

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

// netractl import employees FILE.csv
struct ImportOptions {
  std::string file;
  std::string request_id;  // empty: derived from the file's SHA-256
  int batch_size = 2000;
  int max_row_errors = 100;
  int deadline_minutes = 120;
};
int ImportEmployees(const Options& options, const ImportOptions& import);

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

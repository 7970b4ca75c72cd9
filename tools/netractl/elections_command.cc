// netractl elections upsert|get|list.
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <iostream>

#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {
namespace {

constexpr std::streamsize kMaxElectionFileBytes = 1 << 20;

std::unique_ptr<v1::RegistryService::Stub> Registry(const Options& options) {
  return v1::RegistryService::NewStub(MakeChannel(options.registry, nullptr));
}

}  // namespace

int UpsertElection(const Options& options, const std::string& file, int64_t expected_version,
                   std::string request_id) {
  std::ifstream in(file, std::ios::binary);
  std::string text(static_cast<size_t>(kMaxElectionFileBytes) + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad() || (!in.eof() && !in)) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + file);
  if (in.gcount() > kMaxElectionFileBytes) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, file + ": larger than 1 MiB");
  text.resize(static_cast<size_t>(in.gcount()));

  v1::UpsertElectionRequest request;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;  // a misspelt field is an error, not silently dropped
  auto parsed = google::protobuf::util::JsonStringToMessage(text, request.mutable_election(), parse);
  if (!parsed.ok()) {
    return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, file + ": not a netra.v1.Election in JSON: " + std::string(parsed.message()));
  }
  if (request_id.empty()) {
    // The same file at the same expected version is the same request.
    request_id = "upsert-election:sha256:" + FileSha256(file).substr(0, 48) + ":v" + std::to_string(expected_version);
  }
  request.set_request_id(request_id);
  request.set_expected_version(expected_version);
  v1::UpsertElectionResponse response;
  auto context = Context(options);
  auto status = Registry(options)->UpsertElection(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

int GetElection(const Options& options, const std::string& election_id) {
  v1::GetElectionRequest request;
  request.set_election_id(election_id);
  v1::GetElectionResponse response;
  auto context = Context(options);
  auto status = Registry(options)->GetElection(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

int ListElections(const Options& options, const std::string& type, const std::string& region_code, int page_size,
                  bool all_pages) {
  v1::ListElectionsRequest request;
  if (type == "pemilu") request.set_type(v1::ELECTION_TYPE_PEMILU);
  if (type == "pilkada") request.set_type(v1::ELECTION_TYPE_PILKADA);
  request.set_region_code(region_code);
  request.set_page_size(page_size);
  auto stub = Registry(options);
  v1::ListElectionsResponse all;
  while (true) {
    v1::ListElectionsResponse response;
    auto context = Context(options);
    auto status = stub->ListElections(context.get(), request, &response);
    if (!status.ok()) return Fail(status);
    if (!all_pages) {
      std::cout << ToJson(response);
      return 0;
    }
    all.mutable_elections()->MergeFrom(response.elections());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::cout << ToJson(all);
  return 0;
}

}  // namespace netra::netractl

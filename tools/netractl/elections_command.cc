// netractl elections upsert|get|list: elections and their deadline rules.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

constexpr std::streamsize kMaxElectionFileBytes = 1 << 20;

struct ElectionFlags {
  std::string file, request_id, election_id, type, region_code;
  int64_t expected_version = 0;
  int page_size = 0;
  bool all_pages = false;
};

int UpsertElection(const Options& options, const ElectionFlags& c) {
  const std::string& file = c.file;
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
  // The same file at the same expected version is the same request.
  request.set_request_id(!c.request_id.empty() ? c.request_id
                                               : "upsert-election:sha256:" + FileSha256(file).substr(0, 48) + ":v" +
                                                     std::to_string(c.expected_version));
  request.set_expected_version(c.expected_version);
  v1::UpsertElectionResponse response;
  auto context = Context(options);
  return PrintReply(RegistryStub(options)->UpsertElection(context.get(), request, &response), response);
}

int GetElection(const Options& options, const ElectionFlags& c) {
  v1::GetElectionRequest request;
  request.set_election_id(c.election_id);
  v1::GetElectionResponse response;
  auto context = Context(options);
  return PrintReply(RegistryStub(options)->GetElection(context.get(), request, &response), response);
}

int ListElections(const Options& options, const ElectionFlags& c) {
  v1::ListElectionsRequest request;
  if (c.type == "pemilu") request.set_type(v1::ELECTION_TYPE_PEMILU);
  if (c.type == "pilkada") request.set_type(v1::ELECTION_TYPE_PILKADA);
  request.set_region_code(c.region_code);
  request.set_page_size(c.page_size);
  auto stub = RegistryStub(options);
  v1::ListElectionsResponse all;
  while (true) {
    v1::ListElectionsResponse response;
    auto context = Context(options);
    auto status = stub->ListElections(context.get(), request, &response);
    if (!status.ok() || !c.all_pages) return PrintReply(status, response);
    all.mutable_elections()->MergeFrom(response.elections());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::cout << ToJson(all);
  return 0;
}

}  // namespace

void AddElectionCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<ElectionFlags>();
  ElectionFlags& c = *shared;
  auto* elections = app.add_subcommand("elections", "Elections and their deadline rules");
  elections->require_subcommand(1);
  auto* upsert = elections->add_subcommand("upsert", "Create or update an election from its JSON form");
  upsert->add_option("file", c.file, "netra.v1.Election as protobuf JSON")->required()->check(CLI::ExistingFile);
  upsert->add_option("--expected-version", c.expected_version, "0: create only; N: update only if the stored version is N")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  upsert->add_option("--request-id", c.request_id,
                     "Idempotency key (default: derived from the file's SHA-256 and the version)");
  auto* get = elections->add_subcommand("get", "One election by id");
  get->add_option("election_id", c.election_id, "The election's id")->required();
  auto* list = elections->add_subcommand("list", "Elections, newest voting day first");
  list->add_option("--type", c.type, "pemilu or pilkada")->check(CLI::IsMember({"pemilu", "pilkada"}));
  list->add_option("--region", c.region_code, "Only elections covering this region code");
  list->add_option("--page-size", c.page_size, "Elections per page");
  list->add_flag("--all", c.all_pages, "Fetch every page");
  commands.On(upsert, [shared](const Options& o) { return UpsertElection(o, *shared); });
  commands.On(get, [shared](const Options& o) { return GetElection(o, *shared); });
  commands.On(list, [shared](const Options& o) { return ListElections(o, *shared); });
}

}  // namespace netra::netractl

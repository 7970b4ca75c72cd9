// What every netractl command shares (netractl.h): JSON output, the printing
// of failed calls, client contexts, and the wiring of commands.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/client.h"
#include "common/metrics.h"
#include "netra/v1/errors.pb.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {

std::string ToJson(const google::protobuf::Message& message, bool all_fields) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  options.always_print_primitive_fields = all_fields;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

int Fail(const grpc::Status& status) {
  nlohmann::ordered_json out;
  out["code"] = netra::GrpcCodeName(status.error_code());
  out["message"] = status.error_message();
  // Every detail a server can send (BadRequest, PreconditionFailure,
  // ResourceInfo, VersionConflict, RetryInfo, ...) is printed by its type, so a
  // detail added to the API later needs no change here.
  netra::v1::ErrorStatus details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      const std::string type = any.type_url().substr(any.type_url().rfind('/') + 1);
      const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
      if (!descriptor) {
        out["details"].push_back({{"@type", any.type_url()}});
        continue;
      }
      std::unique_ptr<google::protobuf::Message> detail(
          google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
      if (!any.UnpackTo(detail.get())) continue;
      auto json = nlohmann::ordered_json::parse(ToJson(*detail), nullptr, false);
      if (json.is_discarded()) continue;
      nlohmann::ordered_json typed = {{"@type", type}};
      typed.update(json);
      out["details"].push_back(std::move(typed));
    }
  }
  std::cerr << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return 1;
}

int FailLocal(grpc::StatusCode code, const std::string& message) {
  nlohmann::ordered_json out;
  out["code"] = netra::GrpcCodeName(code);
  out["message"] = message;
  std::cerr << out.dump(2) << "\n";
  return 1;
}

int PrintReply(const grpc::Status& status, const google::protobuf::Message& response, bool all_fields) {
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response, all_fields);
  return 0;
}

void NamePerson(const Options& o, grpc::ClientContext* context) {
  if (!o.token.empty()) context->AddMetadata("authorization", "Bearer " + o.token);
  if (!o.actor.empty()) context->AddMetadata("x-netra-actor", o.actor);
}

std::unique_ptr<grpc::ClientContext> Context(const Options& o) {
  auto context = netra::MakeClientContext(std::chrono::milliseconds(o.timeout_ms));
  NamePerson(o, context.get());
  return context;
}

std::string FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) return {};
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(context.get(), chunk.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

void Commands::On(CLI::App* command, Run run) { commands_.emplace_back(command, std::move(run)); }

int Commands::RunChosen() const {
  for (const auto& [command, run] : commands_) {
    if (*command) return run(options);
  }
  return kExitUsage;
}

}  // namespace netra::netractl

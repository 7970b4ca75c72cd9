// netractl: the operator's command line for Netra. Prints JSON on stdout;
// errors (with the server's field violations) as JSON on stderr, exit code 1
// (exit codes: netractl.h).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "common/client.h"
#include "common/metrics.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tools/netractl/netractl.h"

#ifndef NETRA_VERSION
#define NETRA_VERSION "0.0.0-dev"
#endif

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

std::unique_ptr<grpc::ClientContext> Context(const Options& o) {
  auto context = netra::MakeClientContext(std::chrono::milliseconds(o.timeout_ms));
  if (!o.actor.empty()) context->AddMetadata("x-netra-actor", o.actor);
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

}  // namespace netra::netractl

namespace {

using namespace std::chrono_literals;
using namespace netra::netractl;

netra::v1::RegionLevel ParseLevel(const std::string& text) {
  if (text == "province") return netra::v1::REGION_LEVEL_PROVINCE;
  if (text == "regency") return netra::v1::REGION_LEVEL_REGENCY;
  if (text == "district") return netra::v1::REGION_LEVEL_DISTRICT;
  return netra::v1::REGION_LEVEL_UNSPECIFIED;
}

// `only`: check just the server at this address, reported as "server" (a container's health check).
int Health(const Options& o, int wait_seconds, const std::string& only) {
  struct Target {
    const char* name;
    std::string address;
  };
  std::vector<Target> targets = {{"registry", o.registry}, {"complaint", o.complaint}, {"sanction", o.sanction}};
  if (!only.empty()) targets = {{"server", only}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  bool all_serving = true;
  std::string out = "{";
  for (const auto& target : targets) {
    auto channel = netra::MakeChannel(target.address, nullptr);
    netra::HealthStatus status;
    // Poll until serving or the wait is over (each check is itself bounded).
    while (true) {
      status = netra::CheckHealth(*channel, "", 1000ms);
      if (status == netra::HealthStatus::kServing || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(200ms);
    }
    const char* text = status == netra::HealthStatus::kServing      ? "SERVING"
                       : status == netra::HealthStatus::kNotServing ? "NOT_SERVING"
                                                                     : "UNREACHABLE";
    all_serving = all_serving && status == netra::HealthStatus::kServing;
    out += std::string(out.size() > 1 ? ", " : "") + "\"" + target.name + "\": \"" + text + "\"";
  }
  std::cout << out << "}\n";
  return all_serving ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"netractl " NETRA_VERSION ": the operator's command line for Netra. Output is JSON."};
  app.set_version_flag("--version", NETRA_VERSION);
  app.require_subcommand(1);
  app.add_option("--registry", o.registry, "Registry service HOST:PORT[,...]")->envname("NETRA_REGISTRY")->capture_default_str();
  app.add_option("--complaint", o.complaint, "Complaint service HOST:PORT[,...]")->envname("NETRA_COMPLAINT")->capture_default_str();
  app.add_option("--sanction", o.sanction, "Sanction service HOST:PORT[,...]")->envname("NETRA_SANCTION")->capture_default_str();
  app.add_option("--actor", o.actor, "Who is acting (sent as x-netra-actor)")->envname("NETRA_ACTOR");
  app.add_option("--timeout-ms", o.timeout_ms, "Deadline of each call")->capture_default_str()->check(CLI::Range(1, 3600000));

  int wait_seconds = 0;
  auto* health = app.add_subcommand("health", "Report whether each service is SERVING");
  health->add_option("--wait", wait_seconds, "Keep checking up to this many seconds until all serve")->check(CLI::Range(0, 600));
  std::string health_address;
  health->add_option("--address", health_address, "Check only the server at HOST:PORT (container health checks)");

  auto* reflect = app.add_subcommand("reflect", "List the gRPC services each server exposes through reflection");

  auto* regions = app.add_subcommand("regions", "Indonesian regions (province, kabupaten/kota, kecamatan)");
  regions->require_subcommand(1);
  auto* regions_list = regions->add_subcommand("list", "List regions under a parent");
  std::string parent, level;
  bool all_pages = false;
  int page_size = 0;
  regions_list->add_option("--parent", parent, "Parent region code (empty: the provinces)");
  regions_list->add_option("--level", level, "province, regency or district: every region of that level under parent")
      ->check(CLI::IsMember({"province", "regency", "district"}));
  regions_list->add_option("--page-size", page_size, "Regions per page");
  regions_list->add_flag("--all", all_pages, "Fetch every page");

  auto* violations = app.add_subcommand("violations", "The violation catalog");
  violations->require_subcommand(1);
  auto* violations_list = violations->add_subcommand("list", "List violation types with their sanctions");
  std::string category, employee_type;
  violations_list->add_option("--category", category, "ethics or discipline")->check(CLI::IsMember({"ethics", "discipline"}));
  violations_list->add_option("--employee-type", employee_type, "pns, pppk or ppnpn")
      ->check(CLI::IsMember({"pns", "pppk", "ppnpn"}));
  int violations_page_size = 1000;
  violations_list->add_option("--page-size", violations_page_size, "Violation types to list")->capture_default_str();

  auto* complaint = app.add_subcommand("complaint", "Complaints");
  complaint->require_subcommand(1);
  auto* complaint_status = complaint->add_subcommand("status", "Public status of a complaint by tracking code");
  std::string tracking_code;
  complaint_status->add_option("tracking_code", tracking_code, "The reporter's tracking code")->required();
  AddComplaintCommands(*complaint);

  auto* import = app.add_subcommand("import", "Bulk loads");
  import->require_subcommand(1);
  auto* import_employees = import->add_subcommand(
      "employees", "Stream an employee CSV (columns: README) to ImportEmployees; JSON summary on stdout");
  ImportOptions import_options;
  import_employees->add_option("file", import_options.file, "The CSV file")->required()->check(CLI::ExistingFile);
  import_employees->add_option("--batch-size", import_options.batch_size, "Rows per stream message")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  import_employees->add_option("--request-id", import_options.request_id,
                               "Idempotency key (default: derived from the file's SHA-256)");
  import_employees->add_option("--max-row-errors", import_options.max_row_errors, "Row errors to report at most")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  import_employees->add_option("--deadline-minutes", import_options.deadline_minutes, "Bound on the whole import")
      ->capture_default_str()->check(CLI::Range(1, 24 * 60));

  AddPartyCommands(app, *import);
  AddCaseCommands(app);
  AddOutboxCommands(app);

  auto* hash_niks = app.add_subcommand(
      "hash-niks", "HMAC-SHA256 (hex) of clear NIKs, one per line or a CSV `nik` column, under the registry's key");
  std::string nik_file, nik_key_file, hash_out;
  hash_niks->add_option("file", nik_file, "Clear NIKs: one per line, or a CSV with a `nik` column")
      ->required()->check(CLI::ExistingFile);
  hash_niks->add_option("--nik-key-file", nik_key_file, "The registry's NIK key file")
      ->required()->envname("NETRA_NIK_KEY_FILE");
  hash_niks->add_option("--out", hash_out, "Output file (default: stdout)");

  auto* employees = app.add_subcommand("employees", "Employees in the registry");
  employees->require_subcommand(1);
  auto* employees_get = employees->add_subcommand("get", "One employee by id (NIP, NI PPPK or AGENCY:STAFF_ID)");
  std::string employee_id;
  employees_get->add_option("employee_id", employee_id, "The employee's id")->required();
  auto* employees_search = employees->add_subcommand("search", "Search by name prefix, region, agency and type");
  EmployeeSearch search;
  employees_search->add_option("--name", search.name, "Name tokens, prefix match, case and diacritics ignored");
  employees_search->add_option("--region", search.region_code, "Province NN or kab/kota NN.NN");
  employees_search->add_option("--agency", search.agency_code, "Agency code");
  employees_search->add_option("--type", search.type, "pns, pppk or ppnpn")->check(CLI::IsMember({"pns", "pppk", "ppnpn"}));
  employees_search->add_option("--page-size", search.page_size, "Employees per page");
  employees_search->add_option("--page-token", search.page_token, "Token of the page to fetch");

  auto* elections = app.add_subcommand("elections", "Elections and their deadline rules");
  elections->require_subcommand(1);
  auto* elections_upsert = elections->add_subcommand("upsert", "Create or update an election from its JSON form");
  std::string election_file, election_request_id, election_id, election_type, election_region;
  int64_t expected_version = 0;
  elections_upsert->add_option("file", election_file, "netra.v1.Election as protobuf JSON")
      ->required()->check(CLI::ExistingFile);
  elections_upsert->add_option("--expected-version", expected_version,
                               "0: create only; N: update only if the stored version is N")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  elections_upsert->add_option("--request-id", election_request_id,
                               "Idempotency key (default: derived from the file's SHA-256 and the version)");
  auto* elections_get = elections->add_subcommand("get", "One election by id");
  elections_get->add_option("election_id", election_id, "The election's id")->required();
  auto* elections_list = elections->add_subcommand("list", "Elections, newest voting day first");
  elections_list->add_option("--type", election_type, "pemilu or pilkada")->check(CLI::IsMember({"pemilu", "pilkada"}));
  elections_list->add_option("--region", election_region, "Only elections covering this region code");
  int elections_page_size = 0;
  bool elections_all = false;
  elections_list->add_option("--page-size", elections_page_size, "Elections per page");
  elections_list->add_flag("--all", elections_all, "Fetch every page");

  CLI11_PARSE(app, argc, argv);

  if (*import_employees) return ImportEmployees(o, import_options);
  if (auto code = RunPartyCommand(o)) return *code;
  if (auto code = RunCaseCommand(o)) return *code;
  if (auto code = RunComplaintCommand(o)) return *code;
  if (auto code = RunOutboxCommand(o)) return *code;
  if (*hash_niks) return HashNiks(nik_file, nik_key_file, hash_out);
  if (*employees_get) return GetEmployee(o, employee_id);
  if (*employees_search) return SearchEmployees(o, search);
  if (*elections_upsert) return UpsertElection(o, election_file, expected_version, election_request_id);
  if (*elections_get) return GetElection(o, election_id);
  if (*elections_list) return ListElections(o, election_type, election_region, elections_page_size, elections_all);

  if (*health) return Health(o, wait_seconds, health_address);

  if (*reflect) {
    nlohmann::ordered_json out;
    for (auto [name, address] : {std::pair{"registry", o.registry}, {"complaint", o.complaint}, {"sanction", o.sanction}}) {
      auto services = netra::ListServicesByReflection(netra::MakeChannel(address, nullptr),
                                                      std::chrono::milliseconds(o.timeout_ms));
      out[name] = services ? nlohmann::json(*services) : nlohmann::json("UNREACHABLE");
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }

  if (*regions_list) {
    auto stub = netra::v1::RegistryService::NewStub(netra::MakeChannel(o.registry, nullptr));
    netra::v1::ListRegionsRequest request;
    request.set_parent_code(parent);
    request.set_level(ParseLevel(level));
    request.set_page_size(page_size);
    netra::v1::ListRegionsResponse all;
    while (true) {
      netra::v1::ListRegionsResponse response;
      auto context = Context(o);
      auto status = stub->ListRegions(context.get(), request, &response);
      if (!status.ok()) return Fail(status);
      if (!all_pages) {
        std::cout << ToJson(response);
        return 0;
      }
      all.mutable_regions()->MergeFrom(response.regions());
      all.set_total_size(response.total_size());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    std::cout << ToJson(all);
    return 0;
  }

  if (*violations_list) {
    auto stub = netra::v1::SanctionService::NewStub(netra::MakeChannel(o.sanction, nullptr));
    netra::v1::ListViolationTypesRequest request;
    if (category == "ethics") request.set_category(netra::v1::VIOLATION_CATEGORY_ETHICS);
    if (category == "discipline") request.set_category(netra::v1::VIOLATION_CATEGORY_DISCIPLINE);
    if (employee_type == "pns") request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PNS);
    if (employee_type == "pppk") request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PPPK);
    if (employee_type == "ppnpn") request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PPNPN);
    request.set_page_size(violations_page_size);
    netra::v1::ListViolationTypesResponse response;
    auto context = Context(o);
    auto status = stub->ListViolationTypes(context.get(), request, &response);
    if (!status.ok()) return Fail(status);
    std::cout << ToJson(response);
    return 0;
  }

  if (*complaint_status) {
    auto stub = netra::v1::ComplaintService::NewStub(netra::MakeChannel(o.complaint, nullptr));
    netra::v1::GetComplaintStatusRequest request;
    request.set_tracking_code(tracking_code);
    netra::v1::GetComplaintStatusResponse response;
    auto context = Context(o);
    auto status = stub->GetComplaintStatus(context.get(), request, &response);
    if (!status.ok()) return Fail(status);
    std::cout << ToJson(response);
    return 0;
  }
  return 2;
}

// netra-loadgen: a closed-loop gRPC load generator for Netra's services.
//
//   netra-loadgen --target 127.0.0.1:50051 --rpc ListRegions --concurrency 16 --duration 10
//
// Keeps --concurrency calls in flight (callback client API) over --channels
// channels (netra::MakeChannel's settings, one TCP connection each), for
// --duration seconds and/or --requests calls after --warmup seconds, then
// prints one JSON object with throughput, errors by status code and latency
// percentiles.
//
// Adding an RPC: write one function returning a StartCall (see ListRegions
// below) and add it to kRpcs.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/channel.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/tls.h"
#include "echo.grpc.pb.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tools/loadgen/driver.h"

namespace {

using netra::loadgen::Done;
using netra::loadgen::StartCall;
using Channels = std::vector<std::shared_ptr<grpc::Channel>>;

// A StartCall for unary method `call` of `Service`, sending `request` (shared,
// read-only) on every call; one stub per channel.
template <class Service, class Response, class Request, class Call>
StartCall Unary(const Channels& channels, Request request, Call call) {
  auto stubs = std::make_shared<std::vector<std::unique_ptr<typename Service::Stub>>>();
  for (const auto& channel : channels) stubs->push_back(Service::NewStub(channel));
  auto shared_request = std::make_shared<const Request>(std::move(request));
  return [stubs, shared_request, call](size_t channel, grpc::ClientContext* context, Done done) {
    auto response = std::make_shared<Response>();
    call((*stubs)[channel].get(), context, shared_request.get(), response.get(),
         [response, done = std::move(done)](grpc::Status status) { done(status); });
  };
}

// The request for one RPC: `json` (proto3 JSON of the request message) if
// given, otherwise `fallback`.
template <class Request>
bool ParseRequest(const std::string& json, const std::string& fallback, Request* request, std::string* error) {
  const std::string& text = json.empty() ? fallback : json;
  if (text.empty()) return true;
  auto status = google::protobuf::util::JsonStringToMessage(text, request);
  if (!status.ok()) {
    *error = "--request is not a valid " + request->GetTypeName() + ": " + std::string(status.message());
    return false;
  }
  return true;
}

using RpcFactory = std::optional<StartCall> (*)(const Channels&, const std::string& request_json, std::string* error);

// --- the RPCs: one function each -------------------------------------------

// RegistryService/ListRegions; default request: the 38 provinces.
std::optional<StartCall> ListRegions(const Channels& channels, const std::string& json, std::string* error) {
  netra::v1::ListRegionsRequest request;
  if (!ParseRequest(json, "", &request, error)) return std::nullopt;
  return Unary<netra::v1::RegistryService, netra::v1::ListRegionsResponse>(
      channels, std::move(request), [](auto* stub, auto* context, auto* req, auto* resp, auto done) {
        stub->async()->ListRegions(context, req, resp, std::move(done));
      });
}

// SanctionService/ListViolationTypes; default request: the first page of the catalog.
std::optional<StartCall> ListViolationTypes(const Channels& channels, const std::string& json, std::string* error) {
  netra::v1::ListViolationTypesRequest request;
  if (!ParseRequest(json, "", &request, error)) return std::nullopt;
  return Unary<netra::v1::SanctionService, netra::v1::ListViolationTypesResponse>(
      channels, std::move(request), [](auto* stub, auto* context, auto* req, auto* resp, auto done) {
        stub->async()->ListViolationTypes(context, req, resp, std::move(done));
      });
}

// ComplaintService/GetComplaintStatus; default request: a well-formed tracking
// code that no complaint has (the service answers NOT_FOUND after a cache and
// store lookup).
std::optional<StartCall> GetComplaintStatus(const Channels& channels, const std::string& json, std::string* error) {
  netra::v1::GetComplaintStatusRequest request;
  if (!ParseRequest(json, R"({"tracking_code":"ZZZZZZZZZZ"})", &request, error)) return std::nullopt;
  return Unary<netra::v1::ComplaintService, netra::v1::GetComplaintStatusResponse>(
      channels, std::move(request), [](auto* stub, auto* context, auto* req, auto* resp, auto done) {
        stub->async()->GetComplaintStatus(context, req, resp, std::move(done));
      });
}

// RegistryService/GetEmployee; give the id with --request '{"employee_id":"..."}'
// (the same id every call: a warm-cache read after the first).
std::optional<StartCall> GetEmployee(const Channels& channels, const std::string& json, std::string* error) {
  netra::v1::GetEmployeeRequest request;
  if (!ParseRequest(json, "", &request, error)) return std::nullopt;
  return Unary<netra::v1::RegistryService, netra::v1::GetEmployeeResponse>(
      channels, std::move(request), [](auto* stub, auto* context, auto* req, auto* resp, auto done) {
        stub->async()->GetEmployee(context, req, resp, std::move(done));
      });
}

// RegistryService/SearchEmployees; default request: name prefix "sit", first page of 50.
std::optional<StartCall> SearchEmployees(const Channels& channels, const std::string& json, std::string* error) {
  netra::v1::SearchEmployeesRequest request;
  if (!ParseRequest(json, R"({"name_query":"sit"})", &request, error)) return std::nullopt;
  return Unary<netra::v1::RegistryService, netra::v1::SearchEmployeesResponse>(
      channels, std::move(request), [](auto* stub, auto* context, auto* req, auto* resp, auto done) {
        stub->async()->SearchEmployees(context, req, resp, std::move(done));
      });
}

// netra.bench.EchoService/Echo, the bare baseline served by
// `netra-bench-server-modes --serve MODE`.
std::optional<StartCall> Echo(const Channels& channels, const std::string& json, std::string* error) {
  netra::bench::EchoRequest request;
  if (!ParseRequest(json, R"({"key":"1"})", &request, error)) return std::nullopt;
  return Unary<netra::bench::EchoService, netra::bench::EchoResponse>(
      channels, std::move(request), [](auto* stub, auto* context, auto* req, auto* resp, auto done) {
        stub->async()->Echo(context, req, resp, std::move(done));
      });
}

struct Rpc {
  const char* name;
  const char* service;
  RpcFactory make;
};
constexpr Rpc kRpcs[] = {
    {"ListRegions", "netra-registry", &ListRegions},
    {"ListViolationTypes", "netra-sanction", &ListViolationTypes},
    {"GetEmployee", "netra-registry", &GetEmployee},
    {"SearchEmployees", "netra-registry", &SearchEmployees},
    {"GetComplaintStatus", "netra-complaint", &GetComplaintStatus},
    {"Echo", "netra-bench-server-modes --serve", &Echo},
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netra-loadgen: closed-loop gRPC load against one Netra service; prints one JSON object"};
  std::string target, rpc_name, request_json;
  netra::loadgen::LoadOptions options;
  options.duration_seconds = 0;
  options.warmup_seconds = 1;
  int deadline_ms = 5000;
  bool allow_remote = false;
  std::string rpc_list;
  for (const auto& rpc : kRpcs) rpc_list += std::string(rpc_list.empty() ? "" : ", ") + rpc.name + " (" + rpc.service + ")";

  app.add_option("--target", target, "Service address HOST:PORT (loopback unless --allow-remote)")->required();
  app.add_option("--rpc", rpc_name, "RPC to call: " + rpc_list)->required();
  app.add_option("--request", request_json, "Request message as proto3 JSON (default: a per-RPC typical request)");
  app.add_option("--concurrency,-c", options.concurrency, "Calls in flight")->default_val(1)->check(CLI::Range(1, 100000));
  app.add_option("--channels", options.channels, "gRPC channels (calls are spread over them)")
      ->default_val(1)
      ->check(CLI::Range(1, 1024));
  app.add_option("--duration", options.duration_seconds,
                 "Measured seconds after warm-up (default 10 when --requests is not given)")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--requests,-n", options.requests, "Stop after this many measured calls")->check(CLI::Range(0L, 1L << 40));
  app.add_option("--warmup", options.warmup_seconds, "Seconds of load before measuring")
      ->default_val(1)
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--deadline-ms", deadline_ms, "Deadline of each call")->default_val(5000)->check(CLI::Range(1, 600000));
  app.add_flag("--allow-remote", allow_remote, "Allow a non-loopback --target");
  netra::ClientTlsFlags tls;
  tls.Add(app);
  CLI11_PARSE(app, argc, argv);
  if (std::string tls_error; !tls.Apply(&tls_error)) {
    std::cerr << "netra-loadgen: " << tls_error << "\n";
    return 2;
  }

  if (options.duration_seconds <= 0 && options.requests <= 0) options.duration_seconds = 10;
  options.deadline = std::chrono::milliseconds(deadline_ms);

  const Rpc* rpc = nullptr;
  for (const auto& candidate : kRpcs) {
    if (rpc_name == candidate.name) rpc = &candidate;
  }
  if (!rpc) {
    std::cerr << "netra-loadgen: unknown --rpc " << rpc_name << "; known: " << rpc_list << "\n";
    return 2;
  }
  std::string error;
  for (const auto& part : netra::SplitList(target)) {
    netra::HostPort hp;
    if (!netra::ParseHostPort(part, &hp, &error)) {
      std::cerr << "netra-loadgen: --target: " << error << "\n";
      return 2;
    }
    if (!allow_remote && !IsLoopback(hp.host)) {
      std::cerr << "netra-loadgen: --target " << part << " is not a loopback address (pass --allow-remote)\n";
      return 2;
    }
  }

  if (options.channels > 1 && netra::SplitList(target).size() > 1) {
    std::cerr << "netra-loadgen: --channels > 1 needs a single --target address\n";
    return 2;
  }
  Channels channels = netra::loadgen::MakeChannels(target, options.channels);
  auto start = rpc->make(channels, request_json, &error);
  if (!start) {
    std::cerr << "netra-loadgen: " << error << "\n";
    return 2;
  }
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      std::cerr << "netra-loadgen: cannot connect to " << target << " within 5 s\n";
      return 1;
    }
  }

  auto result = netra::loadgen::RunLoad(options, *start);
  nlohmann::ordered_json out;
  out["rpc"] = rpc->name;
  out["target"] = target;
  out["concurrency"] = options.concurrency;
  out["channels"] = options.channels;
  out["warmup_s"] = options.warmup_seconds;
  auto figures = netra::loadgen::ResultJson(result);
  for (auto& [key, value] : figures.items()) out[key] = value;
  std::cout << out.dump() << std::endl;
  return result.calls > 0 ? 0 : 1;
}

#include "common/metrics.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

namespace netra {

const char* GrpcCodeName(int code) {
  static const char* const kNames[] = {
      "OK",           "Canceled",          "Unknown",   "InvalidArgument", "DeadlineExceeded", "NotFound",
      "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
      "Unimplemented", "Internal",         "Unavailable", "DataLoss",     "Unauthenticated"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "Unknown";
  return kNames[code];
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

namespace {

// The kind the API declares, where the method is known: a client stream that
// the server reads as raw bytes (common/request_stream.h) is registered with
// gRPC as bidirectional, and dashboards should not see it change kind.
const char* TypeName(const char* method, grpc::experimental::ServerRpcInfo::Type type) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  std::string name = method && *method == '/' ? method + 1 : "";
  std::replace(name.begin(), name.end(), '/', '.');
  if (const auto* declared = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name)) {
    type = declared->client_streaming() ? (declared->server_streaming() ? T::BIDI_STREAMING : T::CLIENT_STREAMING)
                                        : (declared->server_streaming() ? T::SERVER_STREAMING : T::UNARY);
  }
  switch (type) {
    case T::UNARY: return "unary";
    case T::CLIENT_STREAMING: return "client_stream";
    case T::SERVER_STREAMING: return "server_stream";
    case T::BIDI_STREAMING: return "bidi_stream";
  }
  return "unknown";
}

const char* TypeName(grpc::experimental::ClientRpcInfo::Type type) {
  using T = grpc::experimental::ClientRpcInfo::Type;
  switch (type) {
    case T::UNARY: return "unary";
    case T::CLIENT_STREAMING: return "client_stream";
    case T::SERVER_STREAMING: return "server_stream";
    case T::BIDI_STREAMING: return "bidi_stream";
    default: return "unknown";
  }
}

// Splits "/netra.v1.RegistryService/ListRegions" into service and method.
void SplitMethod(const char* full, std::string* service, std::string* method) {
  std::string_view text = full ? full : "";
  if (!text.empty() && text.front() == '/') text.remove_prefix(1);
  auto slash = text.find('/');
  *service = std::string(text.substr(0, slash));
  *method = slash == std::string_view::npos ? "" : std::string(text.substr(slash + 1));
}

// One interceptor instance per call; records when the call started and how it ended.
class RpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(const Metrics::GrpcFamilies& families, const char* full_method, const char* type,
                        bool server)
      : families_(families), server_(server), start_(std::chrono::steady_clock::now()) {
    SplitMethod(full_method, &service_, &method_);
    type_ = type;
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using H = grpc::experimental::InterceptionHookPoints;
    // A server call has started once its metadata arrived; a client call once it is sent.
    if (methods->QueryInterceptionHookPoint(server_ ? H::POST_RECV_INITIAL_METADATA : H::PRE_SEND_INITIAL_METADATA)) {
      families_.started->Add(Labels()).Increment();
    }
    if (methods->QueryInterceptionHookPoint(H::POST_RECV_MESSAGE)) families_.msg_received->Add(Labels()).Increment();
    if (methods->QueryInterceptionHookPoint(H::PRE_SEND_MESSAGE)) families_.msg_sent->Add(Labels()).Increment();
    if (server_ && methods->QueryInterceptionHookPoint(H::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus().error_code());
    }
    if (!server_ && methods->QueryInterceptionHookPoint(H::POST_RECV_STATUS)) {
      // POST_ hooks run after the operation completed, so the status is already filled in.
      grpc::Status* status = methods->GetRecvStatus();
      Finish(status ? status->error_code() : grpc::StatusCode::UNKNOWN);
    }
    methods->Proceed();
  }

 private:
  std::map<std::string, std::string> Labels() const {
    return {{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_type", type_}};
  }

  void Finish(grpc::StatusCode code) {
    if (finished_) return;
    finished_ = true;
    auto labels = Labels();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    families_.handling_seconds->Add(labels, LatencyBuckets()).Observe(seconds);
    labels["grpc_code"] = GrpcCodeName(code);
    families_.handled->Add(labels).Increment();
  }

  const Metrics::GrpcFamilies& families_;
  bool server_;
  std::chrono::steady_clock::time_point start_;
  std::string service_, method_, type_;
  bool finished_ = false;
};

class ServerFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerFactory(const Metrics::GrpcFamilies& families) : families_(families) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetricsInterceptor(families_, info->method(), TypeName(info->method(), info->type()), true);
  }

 private:
  const Metrics::GrpcFamilies& families_;
};

class ClientFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ClientFactory(const Metrics::GrpcFamilies& families) : families_(families) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(grpc::experimental::ClientRpcInfo* info) override {
    return new RpcMetricsInterceptor(families_, info->method(), TypeName(info->type()), false);
  }

 private:
  const Metrics::GrpcFamilies& families_;
};

Metrics::GrpcFamilies MakeFamilies(prometheus::Registry& registry, const std::string& side) {
  auto counter = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildCounter().Name("grpc_" + side + "_" + name).Help(help + " on the " + side + ".").Register(registry);
  };
  Metrics::GrpcFamilies f;
  f.started = counter("started_total", "Total number of RPCs started");
  f.handled = counter("handled_total", "Total number of RPCs completed, regardless of success or failure,");
  f.msg_received = counter("msg_received_total", "Total number of RPC stream messages received");
  f.msg_sent = counter("msg_sent_total", "Total number of gRPC stream messages sent");
  f.handling_seconds = &prometheus::BuildHistogram()
                            .Name("grpc_" + side + "_handling_seconds")
                            .Help("Histogram of response latency (seconds) of gRPC calls on the " + side + ".")
                            .Register(registry);
  return f;
}

}  // namespace

Metrics::Metrics(const std::string& service, const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::BuildGauge()
      .Name("netra_build_info")
      .Help("Build of this Netra process; always 1.")
      .Register(*registry_)
      .Add({{"service", service}, {"version", version}})
      .Set(1);
  server_ = MakeFamilies(*registry_, "server");
  client_ = MakeFamilies(*registry_, "client");
}

namespace {
// Exposers left running (see ~Metrics), kept reachable so that a leak checker
// (./dev test --sanitize address) does not fail the process at exit.
void Abandon(std::unique_ptr<prometheus::Exposer> exposer) {
  static std::mutex mu;
  static auto* abandoned = new std::vector<std::unique_ptr<prometheus::Exposer>>();
  std::lock_guard lock(mu);
  abandoned->push_back(std::move(exposer));
}
}  // namespace

Metrics::~Metrics() {
  // The embedded web server (civetweb) needs up to a second to notice it is
  // being stopped; a process that is exiting does not need it stopped, so the
  // exposer is left to the operating system instead of delaying every shutdown.
  if (exposer_) Abandon(std::move(exposer_));
}

bool Metrics::Serve(const HostPort& address, std::string* error) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address.ToString());
    exposer_->RegisterCollectable(registry_);
    return true;
  } catch (const std::exception& e) {
    *error = std::string("cannot serve metrics on ") + address.ToString() + ": " + e.what();
    return false;
  }
}

int Metrics::bound_port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Metrics::ServerInterceptorFactory() {
  return std::make_unique<ServerFactory>(server_);
}

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> Metrics::ClientInterceptorFactory() {
  return std::make_unique<ClientFactory>(client_);
}

}  // namespace netra

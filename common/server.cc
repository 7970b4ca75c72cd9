#include "common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>

#include <chrono>

#include "common/log.h"
#include "common/rpc.h"

namespace netra {
namespace {

// Fills in a useful message where the generated base class answers
// UNIMPLEMENTED for an RPC of the v1 API that this build does not serve yet.
class UnimplementedMessageInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit UnimplementedMessageInterceptor(const char* method) : method_(method ? method : "") {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::UNIMPLEMENTED,
            method_ + " is part of the netra.v1 API but is not implemented in this release yet"));
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
};

class UnimplementedMessageFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new UnimplementedMessageInterceptor(info->method());
  }
};

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> UnimplementedMessageInterceptorFactory() {
  return std::make_unique<UnimplementedMessageFactory>();
}

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ServiceRunner::ServiceRunner(const ServiceConfig& config, Metrics& metrics) : config_(config), metrics_(metrics) {
  std::map<std::string, int> delays;
  for (const auto& fault : config.fault_delays) {
    auto eq = fault.find('=');
    delays[fault.substr(0, eq)] = std::stoi(fault.substr(eq + 1));  // validated in config
  }
  SetFaultDelays(delays);
}

ServiceRunner::~ServiceRunner() = default;

void ServiceRunner::AddService(grpc::Service* service) { services_.push_back(service); }

bool ServiceRunner::Start(std::string* error) {
  if (!metrics_.Serve(config_.metrics_listen, error)) return false;

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen.ToString(), grpc::InsecureServerCredentials(), &grpc_port_);
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.SetMaxSendMessageSize(config_.max_message_bytes);
  // Keepalive: find dead peers behind NATs and load balancers within a minute,
  // and let clients ping us every 10 s without being told to go away.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A handler thread that finishes goes back to polling instead of exiting
  // (the default keeps 2 pollers), so a burst of calls that block on one group
  // commit does not create and destroy a thread per call.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  for (auto* service : services_) builder.RegisterService(service);

  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics_.ServerInterceptorFactory());
  interceptors.push_back(UnimplementedMessageInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port_ == 0) {
    *error = "cannot listen for gRPC on " + config_.listen.ToString();
    return false;
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  log::Info("serving", {{"grpc", config_.listen.host + ":" + std::to_string(grpc_port_)},
                        {"metrics", config_.metrics_listen.host + ":" + std::to_string(metrics_.bound_port())}});
  return true;
}

int ServiceRunner::WaitForShutdown() {
  sigset_t set = ShutdownSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"drain_seconds", std::to_string(config_.drain_seconds)}});
  if (server_) {
    // Tell probes first so load balancers stop sending, then stop accepting and
    // give in-flight calls the drain bound before cancelling what is left.
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(config_.drain_seconds));
    server_->Wait();
  }
  log::Info("stopped");
  return 0;
}

}  // namespace netra

// ---------------------------------------------------------------------------

#include <filesystem>

#include "common/redis.h"
#include "common/sqlite.h"

#ifndef NETRA_VERSION
#define NETRA_VERSION "0.0.0-dev"
#endif

namespace netra {

int RunService(int argc, char** argv, const ServiceDefinition& definition, std::span<const Migration> migrations,
               const ServiceSetup& setup) {
  BlockShutdownSignals();
  ServiceConfig config;
  if (auto exit_code = ParseServiceConfig(argc, argv, definition, &config)) return *exit_code;
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log_level, &level);
  log::Init(config.service, level);
  log::Info("starting", {{"version", NETRA_VERSION}});

  Metrics metrics(config.service, NETRA_VERSION);
  std::string error;
  auto redis_options = ParseRedisUrl(config.redis_url, &error);  // validated in config
  redis_options->key_prefix = "netra:" + config.deployment + ":";
  RedisClient redis(*redis_options, metrics.registry());

  auto store_url = ParseStoreUrl(config.store_url, &error);
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(store_url->path).parent_path(), ignored);
  DatabaseOptions store_options;
  store_options.metrics = &metrics.registry();
  auto store = Database::Open(store_url->path, migrations, &error, store_options);
  if (!store) {
    log::Error("cannot open store", {{"store", config.store_url}, {"error", error}});
    return 1;
  }

  ServiceEnvironment env{config, metrics, redis, *store};
  ServiceParts parts;
  if (!setup(env, parts, &error)) {
    log::Error("start-up failed", {{"error", error}});
    return 1;
  }
  ServiceRunner runner(config, metrics);
  for (auto* service : parts.services()) runner.AddService(service);
  if (!runner.Start(&error)) {
    log::Error("start-up failed", {{"error", error}});
    return 1;
  }
  return runner.WaitForShutdown();
}

}  // namespace netra

#include "common/server.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>

#include <chrono>

#include "common/access_control.h"
#include "common/log.h"
#include "common/rpc.h"
#include "common/store.h"
#include "common/tls.h"
#include "grpc/health/v1/health.pb.h"

namespace netra {
namespace {

// Fills in a useful message where the generated base class answers
// UNIMPLEMENTED for an RPC of the v1 API that this build does not serve yet,
// turns gRPC's INTERNAL for an unparsable request into INVALID_ARGUMENT, and
// keeps every status message under kMaxStatusMessageBytes, whoever made it.
class UnimplementedMessageInterceptor : public grpc::experimental::Interceptor {
 public:
  UnimplementedMessageInterceptor(const char* method, const std::string& unimplemented)
      : method_(method ? method : ""), unimplemented_(unimplemented) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method_ + unimplemented_));
      } else if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty()) {
        // gRPC's answer to a request it could not parse (our own INTERNAL
        // always says where to look): the client's mistake, not ours.
        methods->ModifySendStatus(InvalidArgument("", ViolationReason::kInvalidFormat,
                                                  "the request is not a valid protobuf message for " + method_));
      } else if (status.error_message().size() > kMaxStatusMessageBytes) {
        methods->ModifySendStatus(grpc::Status(status.error_code(), BoundedText(status.error_message()),
                                               status.error_details()));
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  const std::string& unimplemented_;
};

class UnimplementedMessageFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit UnimplementedMessageFactory(std::string unimplemented) : unimplemented_(std::move(unimplemented)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new UnimplementedMessageInterceptor(info->method(), unimplemented_);
  }

 private:
  const std::string unimplemented_;
};

constexpr char kNotImplementedYet[] = " is part of the netra.v1 API but is not implemented in this release yet";

// Libraries write their own complaints as plain text on stderr; here they
// become JSON lines like the service's own, so a log pipeline never meets a
// line it cannot parse.
void LibraryLog(gpr_log_func_args* args) {
  const log::Level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? log::Level::kError
                           : args->severity == GPR_LOG_SEVERITY_INFO ? log::Level::kInfo
                                                                     : log::Level::kDebug;
  log::Write(level, BoundedText(args->message ? args->message : ""),
             {{"library", "grpc"}, {"source", std::string(args->file ? args->file : "") + ":" + std::to_string(args->line)}});
}

void ProtobufLog(google::protobuf::LogLevel level, const char* file, int line, const std::string& message) {
  log::Write(level >= google::protobuf::LOGLEVEL_ERROR     ? log::Level::kError
             : level == google::protobuf::LOGLEVEL_WARNING ? log::Level::kWarn
                                                           : log::Level::kInfo,
             BoundedText(message), {{"library", "protobuf"}, {"source", std::string(file) + ":" + std::to_string(line)}});
}

// Takes reflection off a server: gRPC's reflection library adds its plugin to
// every ServerBuilder once it is linked (a static initializer). Without
// --reflection it comes off the main listener; it never serves a public one,
// which must not describe the internal API.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return dynamic_cast<grpc::reflection::ProtoServerReflectionPlugin*>(plugin.get()) != nullptr;
    });
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
  return std::make_unique<UnimplementedMessageFactory>(kNotImplementedYet);
}

void RouteLibraryLogs() {
  gpr_set_log_function(LibraryLog);
  google::protobuf::SetLogHandler(ProtobufLog);
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
  SetMaxFieldViolations(config.max_field_violations);
  SetTrustDomain(config.tls.trust_domain);
}

ServiceRunner::~ServiceRunner() {
  SetAccessControl(nullptr);
  SetPersonTokens(nullptr);
}

void ServiceRunner::AddService(grpc::Service* service) { services_.push_back(service); }

void ServiceRunner::Configure(grpc::ServerBuilder& builder, grpc::ResourceQuota& quota,
                              const std::string& unimplemented) const {
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.SetMaxSendMessageSize(config_.max_message_bytes);
  // Keepalive: find dead peers behind NATs and load balancers within a minute,
  // and let clients ping us every 10 s without being told to go away.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Limits (docs/design.md, "Server limits"): one connection cannot hold more
  // than its share of calls; past the thread or memory quota a call is refused
  // with RESOURCE_EXHAUSTED instead of growing the process; and connections are
  // recycled so that clients spread over replicas started after them.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, config_.max_concurrent_streams);
  if (config_.max_connection_age_seconds > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, config_.max_connection_age_seconds * 1000);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, config_.max_connection_age_grace_seconds * 1000);
  }
  quota.SetMaxThreads(config_.max_handler_threads);
  quota.Resize(static_cast<size_t>(config_.max_server_memory_mb) << 20);
  builder.SetResourceQuota(quota);
  // A handler thread that finishes goes back to polling instead of exiting
  // (the default keeps 2 pollers), so a burst of calls that block on one group
  // commit does not create and destroy a thread per call.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics_.ServerInterceptorFactory());
  interceptors.push_back(std::make_unique<UnimplementedMessageFactory>(unimplemented));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
}

void ServiceRunner::AddListener(ExtraListener listener) { extras_.push_back(Extra{std::move(listener), nullptr, 0}); }

bool ServiceRunner::Start(std::string* error) {
  if (!metrics_.Serve(config_.metrics_listen, error)) return false;

  grpc::EnableDefaultHealthCheckService(true);
  if (config_.reflection) {
    // gRPC's health service encodes its messages without protobuf, so nothing
    // would put grpc.health.v1 in the descriptor pool and reflection could not
    // describe it (`buf curl --list-methods` fails on it). health.proto,
    // compiled into netra_proto, does once linked in: this use keeps it linked.
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  }
  grpc::ServerBuilder builder;
  // A caller proves who it is with a certificate of the deployment's CA, and
  // each handler asks the access policy first (CallScope):
  // without a certificate only the public methods answer (the rest
  // UNAUTHENTICATED), with a certificate the CA did not sign (or revoked, or
  // expired) there is no connection.
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!config_.plaintext) {
    credentials = ServerTlsCredentials(config_.tls, ClientCertificates::kVerifiedIfPresented);
    access_control_ = AccessControl::Load(config_.access_policy, config_.service, metrics_.registry(), error);
    if (!access_control_) return false;
    SetAccessControl(access_control_.get());
    if (!config_.token_issuers.empty()) {
      person_tokens_ = PersonTokens::Load(config_.token_issuers, error);
      if (!person_tokens_) return false;
      SetPersonTokens(person_tokens_.get());
    }
  }
  if (!config_.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  builder.AddListeningPort(config_.listen.ToString(), credentials, &grpc_port_);
  grpc::ResourceQuota quota("netra-server");
  Configure(builder, quota, kNotImplementedYet);
  for (auto* service : services_) builder.RegisterService(service);

  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port_ == 0) {
    *error = "cannot listen for gRPC on " + config_.listen.ToString();
    return false;
  }
  for (Extra& extra : extras_) {
    grpc::ServerBuilder extra_builder;
    extra_builder.SetOption(std::make_unique<WithoutReflection>());
    extra_builder.AddListeningPort(extra.listener.address.ToString(), extra.listener.credentials, &extra.port);
    grpc::ResourceQuota extra_quota("netra-server-" + extra.listener.name);
    Configure(extra_builder, extra_quota, " is not served on the " + extra.listener.name + " listener");
    for (auto* service : extra.listener.services) extra_builder.RegisterService(service);
    extra.server = extra_builder.BuildAndStart();
    if (!extra.server || extra.port == 0) {
      *error = "cannot listen for gRPC (" + extra.listener.name + ") on " + extra.listener.address.ToString();
      return false;
    }
    extra.server->GetHealthCheckService()->SetServingStatus(true);
    log::Info("serving", {{"listener", extra.listener.name},
                          {"grpc", extra.listener.address.host + ":" + std::to_string(extra.port)}});
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  log::Info("serving", {{"grpc", config_.listen.host + ":" + std::to_string(grpc_port_)},
                        {"transport", config_.plaintext ? "plaintext" : "mtls"},
                        {"reflection", config_.reflection ? "on" : "off"},
                        {"identity", config_.spiffe_id},
                        {"metrics", config_.metrics_listen.host + ":" + std::to_string(metrics_.bound_port())}});
  if (config_.plaintext) {
    log::Warn("plaintext for development: no caller is authenticated and the access policy is not enforced", {});
  }
  return true;
}

void ServiceRunner::SetServing(bool serving) {
  for (auto& extra : extras_) {
    if (extra.server) extra.server->GetHealthCheckService()->SetServingStatus(serving);
  }
  if (server_) server_->GetHealthCheckService()->SetServingStatus(serving);
}

void ServiceRunner::WatchStore(Database& store) {
  store_watch_ = std::make_unique<PeriodicWorker>("store health", std::chrono::milliseconds(1000), [this, &store] {
    bool up = true;
    try {
      store.Read([](Connection& c) { c.Prepare("SELECT 1").Step(); });
    } catch (const StoreError& e) {
      up = false;
      if (store_up_) log::Error("store unreachable; health NOT_SERVING until it answers", {{"error", e.what()}});
    }
    if (up && !store_up_) log::Info("store reachable again; health SERVING");
    if (up != store_up_) SetServing(up);
    store_up_ = up;
  });
  store_watch_->Start(PeriodicWorker::First::kAfterPeriod);
}

int ServiceRunner::WaitForShutdown() {
  sigset_t set = ShutdownSignals();
  int signal_number = 0;
  sigwait(&set, &signal_number);
  if (store_watch_) store_watch_->Stop();  // it must not report SERVING during the drain
  log::Info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"drain_seconds", std::to_string(config_.drain_seconds)}});
  // Tell probes first so load balancers stop sending, then stop accepting and
  // give in-flight calls the drain bound (one for all listeners) before
  // cancelling what is left.
  std::vector<grpc::Server*> servers;
  for (auto& extra : extras_) {
    if (extra.server) servers.push_back(extra.server.get());
  }
  if (server_) servers.push_back(server_.get());
  for (auto* server : servers) server->GetHealthCheckService()->SetServingStatus(false);
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(config_.drain_seconds);
  for (auto* server : servers) server->Shutdown(deadline);
  for (auto* server : servers) server->Wait();
  log::Info("stopped");
  return 0;
}

}  // namespace netra

// ---------------------------------------------------------------------------

#include <filesystem>

#include "common/client.h"
#include "common/redis.h"
#include "common/store.h"

#ifndef NETRA_VERSION
#define NETRA_VERSION "0.0.0-dev"
#endif

namespace netra {

int RunService(int argc, char** argv, const ServiceDefinition& definition, std::span<const Migration> migrations,
               const ServiceSetup& setup) {
  BlockShutdownSignals();
  RouteLibraryLogs();
  ServiceConfig config;
  if (auto exit_code = ParseServiceConfig(argc, argv, definition, &config)) return *exit_code;
  log::Level level = log::Level::kInfo;
  log::ParseLevel(config.log_level, &level);
  log::Init(config.service, level);
  log::Info("starting", {{"version", NETRA_VERSION}});
  // Peers are called as this service, with its certificate.
  SetChannelCredentials(config.plaintext ? grpc::InsecureChannelCredentials() : ChannelTlsCredentials(config.tls));

  Metrics metrics(config.service, NETRA_VERSION);
  std::string error;
  auto redis_options = ParseRedisUrl(config.redis_url, &error);  // validated in config
  redis_options->password = config.redis_password;
  redis_options->key_prefix = "netra:" + config.deployment + ":";
  RedisClient redis(*redis_options, metrics.registry());

  auto store_url = ParseStoreUrl(config.store_url, &error);
  if (store_url->scheme == "sqlite") {
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(store_url->path).parent_path(), ignored);
  }
  DatabaseOptions store_options;
  store_options.metrics = &metrics.registry();
  store_options.password_file = config.store_password_file;
  auto store = Database::Open(*store_url, migrations, &error, store_options);
  if (!store) {
    // The error names the store; the URL is not logged (a PostgreSQL one may hold a password).
    log::Error("cannot open store", {{"error", error}});
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
  if (config.public_listener.listen && !parts.public_services().empty()) {
    // Server-authenticated TLS; a client certificate is asked for but not
    // required, so that an edge proxy can name itself (one the CA did not
    // sign gets no connection).
    runner.AddListener(ExtraListener{
        "public", *config.public_listener.listen,
        config.plaintext ? grpc::InsecureServerCredentials()
                         : ServerTlsCredentials(config.public_listener.tls, ClientCertificates::kVerifiedIfPresented),
        parts.public_services()});
  }
  if (!runner.Start(&error)) {
    log::Error("start-up failed", {{"error", error}});
    return 1;
  }
  if (store->dialect() == Dialect::kPostgres) runner.WatchStore(*store);
  return runner.WaitForShutdown();
}

}  // namespace netra

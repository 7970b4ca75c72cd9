// Process bootstrap shared by the three services: gRPC server with health,
// reflection (only with --reflection), keepalive, message limits and metrics; /metrics endpoint;
// graceful shutdown on SIGTERM/SIGINT.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/access_control.h"
#include "common/config.h"
#include "common/person_token.h"
#include "common/metrics.h"
#include "common/periodic.h"

namespace grpc {
class ResourceQuota;
class ServerBuilder;
class ServerCredentials;
class Service;
}  // namespace grpc

namespace netra {

class AccessControl;

// Fills in a message naming the method (and saying it is not implemented in
// this release yet) where a generated base class answers UNIMPLEMENTED with
// none. ServiceRunner installs it; exposed so that tests can too.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> UnimplementedMessageInterceptorFactory();

// gRPC's and protobuf's own log lines become JSON lines of the service log.
void RouteLibraryLogs();

// Call first in main, before any thread exists, so that SIGTERM/SIGINT are
// delivered to WaitForShutdown rather than killing the process mid-call.
void BlockShutdownSignals();

// A listener besides the main one: its own port, credentials and services
// (the complaint service's public intake), with the main one's limits,
// keepalive, metrics and drain. No reflection there; health, yes.
struct ExtraListener {
  std::string name;  // for logs: "public"
  HostPort address;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::vector<grpc::Service*> services;
};

class Database;

class ServiceRunner {
 public:
  ServiceRunner(const ServiceConfig& config, Metrics& metrics);
  ~ServiceRunner();

  // Services must outlive the runner. Register all before Start.
  void AddService(grpc::Service* service);
  void AddListener(ExtraListener listener);

  // Binds gRPC and /metrics and reports SERVING. Call once the store is open and
  // migrated: until then the process has no port and probes see it as not ready.
  bool Start(std::string* error);
  int grpc_port() const { return grpc_port_; }
  // The bound port of AddListener's listener number `index`.
  int extra_port(size_t index) const { return extras_.at(index).port; }

  // After Start, for a store on a server (PostgreSQL): asks it every second
  // and reports NOT_SERVING while it does not answer, SERVING again once it
  // does (the pool reconnects by itself), so probes and load balancers send
  // calls elsewhere during an outage. `store` must outlive the runner.
  void WatchStore(Database& store);

  // Blocks until SIGTERM or SIGINT, then drains: health NOT_SERVING, no new
  // calls, in-flight calls get --drain-seconds to finish. Returns the exit code.
  int WaitForShutdown();

 private:
  const ServiceConfig& config_;
  Metrics& metrics_;
  // The options every listener shares; `unimplemented` ends the message of an
  // UNIMPLEMENTED answer that has none.
  void Configure(grpc::ServerBuilder& builder, grpc::ResourceQuota& quota, const std::string& unimplemented) const;

  struct Extra {
    ExtraListener listener;
    std::unique_ptr<grpc::Server> server;
    int port = 0;
  };
  std::vector<grpc::Service*> services_;
  std::vector<Extra> extras_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<AccessControl> access_control_;
  std::unique_ptr<PersonTokens> person_tokens_;
  int grpc_port_ = 0;
  void SetServing(bool serving);
  std::unique_ptr<PeriodicWorker> store_watch_;  // stopped before the drain reports NOT_SERVING
  bool store_up_ = true;                         // the watch's thread only
};

}  // namespace netra

// ---------------------------------------------------------------------------
// The whole life of a service process, written once for the three services.

namespace netra {

class Database;
class RedisClient;
struct Migration;

// What a service's setup may use. All of it outlives the services it builds.
struct ServiceEnvironment {
  const ServiceConfig& config;
  Metrics& metrics;
  RedisClient& redis;
  Database& store;
};

// What a service's setup builds: objects kept alive until shutdown, and the
// gRPC services to register.
class ServiceParts {
 public:
  ServiceParts() = default;
  ServiceParts(const ServiceParts&) = delete;
  ServiceParts& operator=(const ServiceParts&) = delete;
  // Newest first: an object kept later may use the ones kept before it (a
  // background thread stops before what it calls is gone).
  ~ServiceParts() {
    while (!kept_.empty()) kept_.pop_back();
  }

  template <class T>
  T* Keep(std::unique_ptr<T> object) {
    T* raw = object.get();
    kept_.push_back(std::shared_ptr<T>(std::move(object)));
    return raw;
  }
  void Serve(grpc::Service* service) { services_.push_back(service); }
  const std::vector<grpc::Service*>& services() const { return services_; }
  // Served on the public listener only (when --public-listen is given): what
  // a member of the public may call, and nothing of the internal API.
  void ServePublic(grpc::Service* service) { public_services_.push_back(service); }
  const std::vector<grpc::Service*>& public_services() const { return public_services_; }

 private:
  std::vector<std::shared_ptr<void>> kept_;
  std::vector<grpc::Service*> services_, public_services_;
};

using ServiceSetup = std::function<bool(const ServiceEnvironment& env, ServiceParts& parts, std::string* error)>;

// Parses config (exit 2 if bad), opens and migrates the store, connects to
// Redis, runs `setup`, serves until SIGTERM/SIGINT and drains. Returns the
// process exit code: 0 after a clean shutdown, 1 if start-up failed.
int RunService(int argc, char** argv, const ServiceDefinition& definition, std::span<const Migration> migrations,
               const ServiceSetup& setup);

}  // namespace netra

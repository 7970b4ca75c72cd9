// Process metrics: one Prometheus registry per process, served on /metrics,
// plus the gRPC server and client interceptors that record RED metrics under
// the go-grpc-prometheus names existing dashboards expect.
#pragma once

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/config.h"

namespace netra {

// Name of a gRPC status code as go-grpc-prometheus spells it ("OK", "InvalidArgument", ...).
const char* GrpcCodeName(int code);

class Metrics {
 public:
  Metrics(const std::string& service, const std::string& version);
  ~Metrics();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  // Serves /metrics on `address`; returns false with *error when it cannot bind.
  bool Serve(const HostPort& address, std::string* error);
  // The port actually bound (useful when configured with port 0).
  int bound_port() const;

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ServerInterceptorFactory();
  std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> ClientInterceptorFactory();

  struct GrpcFamilies {
    prometheus::Family<prometheus::Counter>* started;
    prometheus::Family<prometheus::Counter>* handled;
    prometheus::Family<prometheus::Histogram>* handling_seconds;
    prometheus::Family<prometheus::Counter>* msg_received;
    prometheus::Family<prometheus::Counter>* msg_sent;
  };

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  GrpcFamilies server_{}, client_{};
};

// Buckets from 100 µs to 10 s, fine enough below a millisecond for cache hits.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace netra

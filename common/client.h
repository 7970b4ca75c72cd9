// Channels to peer services: round-robin over every address given, retries of
// UNAVAILABLE with backoff, client-side RED metrics, and per-call deadlines.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <optional>
#include <vector>
#include <memory>
#include <string>

#include "common/metrics.h"

namespace netra {

// `target` is "host:port[,host:port...]". A single host name is resolved by DNS
// and every address it returns is used (Kubernetes headless services); several
// addresses are balanced round-robin. Metrics may be null (e.g. in netractl).
// `credentials` null: the process's own (SetChannelCredentials).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, Metrics* metrics,
                                           int max_message_bytes = 8 << 20,
                                           std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

// The credentials channels present unless told otherwise: a process has one
// identity, set once at start (common/tls.h). Plaintext until set.
void SetChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> credentials);
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials();

// A context whose deadline is `timeout` from now; every outgoing call gets one,
// so a slow peer never holds a handler thread forever.
std::unique_ptr<grpc::ClientContext> MakeClientContext(std::chrono::milliseconds timeout,
                                                       const std::string& request_id = {});

}  // namespace netra

namespace netra {

// grpc.health.v1.Health/Check for `service` ("" = the whole server).
enum class HealthStatus { kServing, kNotServing, kUnknownService, kUnreachable };
HealthStatus CheckHealth(grpc::Channel& channel, const std::string& service, std::chrono::milliseconds timeout);

}  // namespace netra

namespace netra {

// The services a server lists through gRPC server reflection
// (grpc.reflection.v1alpha), or nullopt when it cannot be asked.
std::optional<std::vector<std::string>> ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                                                  std::chrono::milliseconds timeout);

}  // namespace netra

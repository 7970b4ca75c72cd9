#include "common/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <mutex>

#include "common/config.h"

namespace netra {
namespace {

// Retries are safe here because every mutating RPC of netra.v1 is idempotent
// on its request_id; only UNAVAILABLE (nothing was processed) is retried.
constexpr char kServiceConfig[] = R"({
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})";

bool IsIpLiteral(const std::string& host, bool* v6) {
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    *v6 = true;
    return true;
  }
  return false;
}

// Resolves a host name once (for a list of several names, which has no gRPC URI form).
void Resolve(const HostPort& hp, std::string* v4, std::string* v6) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(hp.host.c_str(), nullptr, &hints, &result) != 0) return;
  for (addrinfo* ai = result; ai; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    bool is_v6 = ai->ai_family == AF_INET6;
    const void* addr = is_v6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr)
                             : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr);
    if (!inet_ntop(ai->ai_family, addr, text, sizeof text)) continue;
    std::string& list = is_v6 ? *v6 : *v4;
    list += (list.empty() ? "" : ",") + HostPort{text, hp.port}.ToString();
  }
  freeaddrinfo(result);
}

// gRPC target URI for the list: dns:/// for one name (re-resolved as DNS
// changes, e.g. a Kubernetes headless service), otherwise ipv4:/ipv6: with one
// subchannel per address; names in a list of several are resolved once here.
std::string TargetUri(const std::string& target) {
  auto parts = SplitList(target);
  if (parts.empty()) return target;
  std::string v4, v6;
  for (const auto& part : parts) {
    HostPort hp;
    std::string error;
    bool is_v6 = false;
    if (!ParseHostPort(part, &hp, &error)) return part;  // let gRPC report the bad target
    if (IsIpLiteral(hp.host, &is_v6)) {
      std::string& list = is_v6 ? v6 : v4;
      list += (list.empty() ? "" : ",") + hp.ToString();
    } else if (parts.size() == 1) {
      return "dns:///" + part;
    } else {
      Resolve(hp, &v4, &v6);
    }
  }
  if (!v4.empty() && v6.empty()) return "ipv4:" + v4;
  if (v4.empty() && !v6.empty()) return "ipv6:" + v6;
  return "ipv4:" + v4;  // mixed families: keep the IPv4 ones
}

}  // namespace

namespace {
std::mutex credentials_mutex;
std::shared_ptr<grpc::ChannelCredentials>& ProcessCredentials() {
  static auto* credentials = new std::shared_ptr<grpc::ChannelCredentials>(grpc::InsecureChannelCredentials());
  return *credentials;
}
}  // namespace

void SetChannelCredentials(std::shared_ptr<grpc::ChannelCredentials> credentials) {
  std::lock_guard lock(credentials_mutex);
  ProcessCredentials() = std::move(credentials);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials() {
  std::lock_guard lock(credentials_mutex);
  return ProcessCredentials();
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, Metrics* metrics, int max_message_bytes,
                                           std::shared_ptr<grpc::ChannelCredentials> credentials) {
  if (!credentials) credentials = ChannelCredentials();
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(kServiceConfig);
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  // Reconnect quickly after a peer restarts instead of backing off for up to 2 minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // Several replicas named by one host name (localhost:50152,localhost:50162) become an
  // ipv4: list, whose authority would be the list itself: the server's certificate
  // names the host, so that is the authority (TLS hostname check and SNI).
  if (auto parts = SplitList(target); parts.size() > 1) {
    HostPort first;
    std::string error;
    bool is_v6 = false;
    bool one_name = ParseHostPort(parts[0], &first, &error) && !IsIpLiteral(first.host, &is_v6);
    for (const auto& part : parts) {
      HostPort hp;
      one_name = one_name && ParseHostPort(part, &hp, &error) && hp.host == first.host;
    }
    if (one_name) args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, first.ToString());
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (metrics) interceptors.push_back(metrics->ClientInterceptorFactory());
  return grpc::experimental::CreateCustomChannelWithInterceptors(TargetUri(target), credentials,
                                                                 args, std::move(interceptors));
}

std::unique_ptr<grpc::ClientContext> MakeClientContext(std::chrono::milliseconds timeout,
                                                       const std::string& request_id) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!request_id.empty()) context->AddMetadata("x-request-id", request_id);
  return context;
}

}  // namespace netra

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <future>

#include "grpc/health/v1/health.pb.h"

namespace netra {

HealthStatus CheckHealth(grpc::Channel& channel, const std::string& service, std::chrono::milliseconds timeout) {
  grpc::health::v1::HealthCheckRequest request;
  if (service.size() < 128) request.set_service(service);
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  auto context = MakeClientContext(timeout);
  std::promise<grpc::Status> done;
  stub.UnaryCall(context.get(), "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return HealthStatus::kUnknownService;
  if (!status.ok()) return HealthStatus::kUnreachable;
  std::vector<grpc::Slice> slices;
  response_buffer.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  grpc::health::v1::HealthCheckResponse response;
  if (!response.ParseFromString(bytes)) return HealthStatus::kNotServing;
  if (response.status() == grpc::health::v1::HealthCheckResponse::SERVING) return HealthStatus::kServing;
  if (response.status() == grpc::health::v1::HealthCheckResponse::SERVICE_UNKNOWN) return HealthStatus::kUnknownService;
  return HealthStatus::kNotServing;
}

}  // namespace netra

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/completion_queue.h>

namespace netra {
namespace {

// Reads length-delimited field `field` from every occurrence in `bytes`.
std::vector<std::string> LengthDelimitedFields(const std::string& bytes, uint32_t field) {
  std::vector<std::string> out;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    uint32_t number = tag >> 3, wire_type = tag & 7;
    if (wire_type == 2) {
      uint32_t length;
      std::string value;
      if (!in.ReadVarint32(&length) || !in.ReadString(&value, static_cast<int>(length))) break;
      if (number == field) out.push_back(std::move(value));
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel,
                                                                  std::chrono::milliseconds timeout) {
  // ServerReflectionRequest{list_services: ""} is field 7, empty string. The
  // response's list_services_response (field 6) holds services (field 1),
  // each with a name (field 1). Hand-encoded for the same reason as CheckHealth.
  const std::string request("\x3a\x00", 2);
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto context = MakeClientContext(timeout);
  auto deadline = std::chrono::system_clock::now() + timeout;
  auto call = stub.PrepareCall(context.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&](auto&& start) {
    start();
    void* tag;
    bool ok = false;
    return cq.AsyncNext(&tag, &ok, deadline) == grpc::CompletionQueue::GOT_EVENT && ok;
  };
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1), in;
  grpc::Status status;
  bool ok = step([&] { call->StartCall(nullptr); }) && step([&] { call->Write(out, nullptr); }) &&
            step([&] { call->Read(&in, nullptr); }) && step([&] { call->WritesDone(nullptr); });
  step([&] { call->Finish(&status, nullptr); });
  cq.Shutdown();
  void* tag;
  bool ignored;
  while (cq.Next(&tag, &ignored)) {
  }
  if (!ok) return std::nullopt;
  std::vector<grpc::Slice> slices;
  in.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  std::vector<std::string> names;
  for (const auto& list : LengthDelimitedFields(bytes, 6)) {
    for (const auto& service : LengthDelimitedFields(list, 1)) {
      for (auto& name : LengthDelimitedFields(service, 1)) names.push_back(std::move(name));
    }
  }
  return names;
}

}  // namespace netra

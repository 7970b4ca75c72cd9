// The address of the client a public intake call comes from, which the
// rate limits count by (docs/security.md, "Public intake").
#pragma once

#include <grpcpp/server_context.h>

#include <string>
#include <string_view>

namespace netra::complaint {

// "ipv4:127.0.0.1:5555" -> "127.0.0.1"; "ipv6:[::1]:5555" -> "::1".
std::string PeerAddress(std::string_view peer);

// The connection's own address, unless the connection is the configured edge
// proxy's: then the last entry of x-forwarded-for, the address the proxy
// itself accepted the client from. Earlier entries are what the client wrote
// and prove nothing, and the header from anyone else is ignored, so no caller
// can choose the budget it spends.
class ClientAddress {
 public:
  // `edge_identity`: the edge proxy's SPIFFE ID (--public-edge-identity);
  // empty: no proxy is trusted.
  explicit ClientAddress(std::string edge_identity = {}) : edge_identity_(std::move(edge_identity)) {}
  std::string Of(const grpc::ServerContext& context) const;

 private:
  std::string edge_identity_;
};

// The last entry of an x-forwarded-for value, if it is an IPv4 or IPv6
// address (as the proxy writes it, without port), else empty.
std::string LastForwardedAddress(std::string_view header);

}  // namespace netra::complaint

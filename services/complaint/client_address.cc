#include "services/complaint/client_address.h"

#include <arpa/inet.h>
#include <grpc/grpc_security_constants.h>

namespace netra::complaint {

std::string PeerAddress(std::string_view peer) {
  std::string_view address = peer.substr(peer.find(':') + 1);
  if (!address.empty() && address[0] == '[') return std::string(address.substr(1, address.find(']') - 1));
  return std::string(address.substr(0, address.rfind(':')));
}

std::string LastForwardedAddress(std::string_view header) {
  std::string_view last = header.substr(header.rfind(',') + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  if (last.empty() || last.size() >= INET6_ADDRSTRLEN) return {};
  const std::string text(last);
  unsigned char bytes[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, text.c_str(), bytes) != 1 && inet_pton(AF_INET6, text.c_str(), bytes) != 1) return {};
  return text;
}

std::string ClientAddress::Of(const grpc::ServerContext& context) const {
  std::string peer = PeerAddress(context.peer());
  if (edge_identity_.empty()) return peer;
  const auto auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return peer;
  const auto ids = auth->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
  if (ids.size() != 1 || std::string_view(ids[0].data(), ids[0].size()) != edge_identity_) return peer;
  const auto& metadata = context.client_metadata();
  const auto range = metadata.equal_range("x-forwarded-for");
  // Several headers are one list in order; the last one is the proxy's.
  if (range.first == range.second) return peer;
  auto last = range.first;
  for (auto it = range.first; it != range.second; ++it) last = it;
  std::string forwarded = LastForwardedAddress(std::string_view(last->second.data(), last->second.size()));
  return forwarded.empty() ? peer : forwarded;
}

}  // namespace netra::complaint

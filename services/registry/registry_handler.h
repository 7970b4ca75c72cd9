// gRPC face of the registry: translates netra.v1 messages to the domain and back.
#pragma once

#include "netra/v1/registry.grpc.pb.h"
#include "services/registry/registry.h"

namespace netra::registry {

class RegistryHandler final : public netra::v1::RegistryService::Service {
 public:
  explicit RegistryHandler(const Registry& registry) : registry_(registry) {}

  grpc::Status ListRegions(grpc::ServerContext* context, const netra::v1::ListRegionsRequest* request,
                           netra::v1::ListRegionsResponse* response) override;

 private:
  const Registry& registry_;
};

}  // namespace netra::registry

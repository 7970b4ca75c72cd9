// gRPC face of the sanction service: translates netra.v1 messages to the domain and back.
#pragma once

#include "netra/v1/sanction.grpc.pb.h"
#include "services/sanction/sanctions.h"

namespace netra::sanction {

class SanctionHandler final : public netra::v1::SanctionService::Service {
 public:
  explicit SanctionHandler(const Sanctions& sanctions) : sanctions_(sanctions) {}

  grpc::Status ListViolationTypes(grpc::ServerContext* context, const netra::v1::ListViolationTypesRequest* request,
                                  netra::v1::ListViolationTypesResponse* response) override;

 private:
  const Sanctions& sanctions_;
};

// Domain -> API. Exposed for tests that keep the two enumerations in step.
void ToProto(const ViolationType& type, netra::v1::ViolationType* out);

}  // namespace netra::sanction

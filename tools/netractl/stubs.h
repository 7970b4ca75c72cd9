// The services' stubs, over channels to the addresses of the global flags.
#pragma once

#include <memory>
#include <string>

#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/outbox.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {

inline std::unique_ptr<v1::RegistryService::Stub> RegistryStub(const Options& options) {
  return v1::RegistryService::NewStub(MakeChannel(options.registry, nullptr));
}

inline std::unique_ptr<v1::ComplaintService::Stub> ComplaintStub(const Options& options) {
  return v1::ComplaintService::NewStub(MakeChannel(options.complaint, nullptr));
}

inline std::unique_ptr<v1::SanctionService::Stub> SanctionStub(const Options& options) {
  return v1::SanctionService::NewStub(MakeChannel(options.sanction, nullptr));
}

// The outbox admin of the complaint or the sanction service (both serve one).
inline std::unique_ptr<v1::OutboxAdminService::Stub> OutboxAdminStub(const std::string& address) {
  return v1::OutboxAdminService::NewStub(MakeChannel(address, nullptr));
}

}  // namespace netra::netractl

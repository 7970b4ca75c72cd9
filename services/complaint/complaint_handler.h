// gRPC face of the complaint service: translates netra.v1 messages to the domain and back.
#pragma once

#include "netra/v1/complaint.grpc.pb.h"
#include "services/complaint/complaints.h"

namespace netra::complaint {

class ComplaintHandler final : public netra::v1::ComplaintService::Service {
 public:
  explicit ComplaintHandler(const Complaints& complaints) : complaints_(complaints) {}

  grpc::Status GetComplaintStatus(grpc::ServerContext* context, const netra::v1::GetComplaintStatusRequest* request,
                                  netra::v1::GetComplaintStatusResponse* response) override;

 private:
  const Complaints& complaints_;
};

}  // namespace netra::complaint

// What the complaint service serves on its public listener (--public-listen):
// SubmitComplaint, UploadEvidence and GetComplaintStatus, handled exactly as
// on the internal listener. Every other RPC of ComplaintService answers
// UNIMPLEMENTED there (the generated base class), and no other service is
// registered on it: the internal API cannot be reached from the public side.
#pragma once

#include "netra/v1/complaint.grpc.pb.h"
#include "services/complaint/complaint_handler.h"

namespace netra::complaint {

class PublicIntakeHandler final : public netra::v1::ComplaintService::Service {
 public:
  explicit PublicIntakeHandler(ComplaintHandler& handler);

  grpc::Status SubmitComplaint(grpc::ServerContext* context, const netra::v1::SubmitComplaintRequest* request,
                               netra::v1::SubmitComplaintResponse* response) override {
    return handler_.SubmitComplaint(context, request, response);
  }
  grpc::Status GetComplaintStatus(grpc::ServerContext* context, const netra::v1::GetComplaintStatusRequest* request,
                                  netra::v1::GetComplaintStatusResponse* response) override {
    return handler_.GetComplaintStatus(context, request, response);
  }
  grpc::Status UploadEvidenceStream(grpc::ServerContext* context,
                                    RequestStream<netra::v1::UploadEvidenceRequest>* reader,
                                    netra::v1::UploadEvidenceResponse* response) {
    return handler_.UploadEvidenceStream(context, reader, response);
  }

 private:
  ComplaintHandler& handler_;
};

}  // namespace netra::complaint

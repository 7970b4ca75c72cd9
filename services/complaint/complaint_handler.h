// gRPC face of the complaint service: each RPC maps its netra.v1 request to
// a command or query (complaint_proto.h), calls Complaints and maps the answer
// back, or the error to its status. The peers are in peers.h.
#pragma once

#include <memory>

#include "common/access_log.h"
#include "common/nik.h"
#include "common/request_stream.h"
#include "common/rpc.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "services/complaint/client_address.h"
#include "services/complaint/complaints.h"
#include "services/complaint/evidence.h"

namespace netra::complaint {

class ComplaintHandler final : public netra::v1::ComplaintService::Service {
 public:
  // `client_address` says which address the intake rate limits count a call against.
  // `access_log` records every reveal of a reporter (RevealReporter).
  ComplaintHandler(Complaints& complaints, EvidenceStore& evidence, const NikHasher& nik_hasher,
                   AccessLog& access_log, ClientAddress client_address = ClientAddress())
      : complaints_(complaints), evidence_(evidence), nik_hasher_(nik_hasher), access_log_(access_log),
        client_address_(std::move(client_address)) {
    ServeClientStream(this, "netra.v1.ComplaintService.UploadEvidence", &ComplaintHandler::UploadEvidenceStream,
                      &ComplaintHandler::MarkMethodStreamed);
  }

  grpc::Status SubmitComplaint(grpc::ServerContext* context, const netra::v1::SubmitComplaintRequest* request,
                               netra::v1::SubmitComplaintResponse* response) override;
  // A client stream, served through ServeClientStream (common/request_stream.h).
  grpc::Status UploadEvidenceStream(grpc::ServerContext* context, RequestStream<netra::v1::UploadEvidenceRequest>* reader,
                                    netra::v1::UploadEvidenceResponse* response);
  grpc::Status GetComplaint(grpc::ServerContext* context, const netra::v1::GetComplaintRequest* request,
                            netra::v1::GetComplaintResponse* response) override;
  grpc::Status GetComplaintStatus(grpc::ServerContext* context, const netra::v1::GetComplaintStatusRequest* request,
                                  netra::v1::GetComplaintStatusResponse* response) override;
  grpc::Status ListComplaints(grpc::ServerContext* context, const netra::v1::ListComplaintsRequest* request,
                              netra::v1::ListComplaintsResponse* response) override;
  grpc::Status TransitionComplaint(grpc::ServerContext* context, const netra::v1::TransitionComplaintRequest* request,
                                   netra::v1::TransitionComplaintResponse* response) override;
  grpc::Status GetComplaintHistory(grpc::ServerContext* context, const netra::v1::GetComplaintHistoryRequest* request,
                                   netra::v1::GetComplaintHistoryResponse* response) override;
  grpc::Status VerifyComplaintHistory(grpc::ServerContext* context,
                                      const netra::v1::VerifyComplaintHistoryRequest* request,
                                      netra::v1::VerifyComplaintHistoryResponse* response) override;
  grpc::Status RecordOutcome(grpc::ServerContext* context, const netra::v1::RecordOutcomeRequest* request,
                             netra::v1::RecordOutcomeResponse* response) override;
  grpc::Status GetComplaintStats(grpc::ServerContext* context, const netra::v1::GetComplaintStatsRequest* request,
                                 netra::v1::GetComplaintStatsResponse* response) override;
  grpc::Status RevealReporter(grpc::ServerContext* context, const netra::v1::RevealReporterRequest* request,
                              netra::v1::RevealReporterResponse* response) override;
  grpc::Status ListReporterReads(grpc::ServerContext* context, const netra::v1::ListReporterReadsRequest* request,
                                 netra::v1::ListReporterReadsResponse* response) override;

 private:
  // PERMISSION_DENIED when the complaint is outside the caller's region; OK
  // when it is inside, or cannot be read (the call itself then says why).
  grpc::Status AuthorizeComplaint(const CallScope& scope, const std::string& complaint_id);

  Complaints& complaints_;
  EvidenceStore& evidence_;
  const NikHasher& nik_hasher_;
  AccessLog& access_log_;
  const ClientAddress client_address_;
};

}  // namespace netra::complaint

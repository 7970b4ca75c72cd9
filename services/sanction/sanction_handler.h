// gRPC face of the sanction service: translates netra.v1 messages to the domain and back.
#pragma once

#include "common/rpc.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "services/sanction/sanctions.h"

namespace netra::sanction {

class SanctionHandler final : public netra::v1::SanctionService::Service {
 public:
  explicit SanctionHandler(Sanctions& sanctions) : sanctions_(sanctions) {}

  grpc::Status ListViolationTypes(grpc::ServerContext* context, const netra::v1::ListViolationTypesRequest* request,
                                  netra::v1::ListViolationTypesResponse* response) override;
  grpc::Status PutViolationCatalog(grpc::ServerContext* context, const netra::v1::PutViolationCatalogRequest* request,
                                   netra::v1::PutViolationCatalogResponse* response) override;
  grpc::Status OpenCase(grpc::ServerContext* context, const netra::v1::OpenCaseRequest* request,
                        netra::v1::OpenCaseResponse* response) override;
  grpc::Status IssueRecommendation(grpc::ServerContext* context, const netra::v1::IssueRecommendationRequest* request,
                                   netra::v1::IssueRecommendationResponse* response) override;
  grpc::Status RecordDecision(grpc::ServerContext* context, const netra::v1::RecordDecisionRequest* request,
                              netra::v1::RecordDecisionResponse* response) override;
  grpc::Status RecordAppeal(grpc::ServerContext* context, const netra::v1::RecordAppealRequest* request,
                            netra::v1::RecordAppealResponse* response) override;
  grpc::Status GetCase(grpc::ServerContext* context, const netra::v1::GetCaseRequest* request,
                       netra::v1::GetCaseResponse* response) override;
  grpc::Status ListCases(grpc::ServerContext* context, const netra::v1::ListCasesRequest* request,
                         netra::v1::ListCasesResponse* response) override;
  grpc::Status GetComplianceReport(grpc::ServerContext* context, const netra::v1::GetComplianceReportRequest* request,
                                   netra::v1::GetComplianceReportResponse* response) override;

 private:
  Sanctions& sanctions_;
};

// Domain -> API. Exposed for tests that keep the two enumerations in step.
void ToProto(const ViolationType& type, netra::v1::ViolationType* out);
// `queued` (one per notification, nullopt = delivered) may be null: all pending.
void ToProto(const Case& c, const std::vector<std::optional<QueuedNotice>>* queued, int64_t now_us,
             netra::v1::Case* out);
// API -> domain commands, which the domain validates (the request fuzzer of
// tests/fuzz starts here too).
OpenCaseCommand ToCommand(const netra::v1::OpenCaseRequest& request);
RecommendCommand ToCommand(const netra::v1::IssueRecommendationRequest& request);
DecisionCommand ToCommand(const netra::v1::RecordDecisionRequest& request);
AppealCommand ToCommand(const netra::v1::RecordAppealRequest& request);
// API -> the catalog file's spelling, which ParseCatalog validates (field
// paths are the request's: "violation_types[3].sanctions[1].level").
std::string CatalogJson(const netra::v1::PutViolationCatalogRequest& request);

}  // namespace netra::sanction

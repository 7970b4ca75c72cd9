// gRPC face of the registry: translates netra.v1 messages to the domain and back.
#pragma once

#include "common/access_log.h"
#include "common/nik.h"
#include "common/request_stream.h"
#include "common/store.h"
#include "common/rpc.h"
#include "netra/v1/registry.grpc.pb.h"
#include "services/registry/elections.h"
#include "services/registry/employees.h"
#include "services/registry/party_screening.h"
#include "services/registry/prevention.h"
#include "services/registry/registry.h"

namespace prometheus {
class Counter;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace netra::registry {

class RegistryHandler final : public netra::v1::RegistryService::Service {
 public:
  RegistryHandler(const Registry& registry, Elections& elections, EmployeeDirectory& employees,
                  Prevention& prevention, PartyScreening& party_screening, const NikHasher& nik_hasher,
                  AccessLog& access_log, prometheus::Registry& metrics);

  grpc::Status ListRegions(grpc::ServerContext* context, const netra::v1::ListRegionsRequest* request,
                           netra::v1::ListRegionsResponse* response) override;

  // Employees (employee_handler.cc).
  grpc::Status GetEmployee(grpc::ServerContext* context, const netra::v1::GetEmployeeRequest* request,
                           netra::v1::GetEmployeeResponse* response) override;
  grpc::Status BatchGetEmployees(grpc::ServerContext* context, const netra::v1::BatchGetEmployeesRequest* request,
                                 netra::v1::BatchGetEmployeesResponse* response) override;
  grpc::Status SearchEmployees(grpc::ServerContext* context, const netra::v1::SearchEmployeesRequest* request,
                               netra::v1::SearchEmployeesResponse* response) override;
  grpc::Status UpsertEmployee(grpc::ServerContext* context, const netra::v1::UpsertEmployeeRequest* request,
                              netra::v1::UpsertEmployeeResponse* response) override;
  // Client streams, served through ServeClientStream (common/request_stream.h).
  grpc::Status ImportEmployeesStream(grpc::ServerContext* context,
                                     RequestStream<netra::v1::ImportEmployeesRequest>* reader,
                                     netra::v1::ImportEmployeesResponse* response);
  grpc::Status SetDisciplinaryStatus(grpc::ServerContext* context,
                                     const netra::v1::SetDisciplinaryStatusRequest* request,
                                     netra::v1::SetDisciplinaryStatusResponse* response) override;

  // The access log of personal-data reads (access_log_handler.cc).
  grpc::Status ListPersonalDataReads(grpc::ServerContext* context,
                                     const netra::v1::ListPersonalDataReadsRequest* request,
                                     netra::v1::ListPersonalDataReadsResponse* response) override;

  // Elections (election_handler.cc).
  grpc::Status UpsertElection(grpc::ServerContext* context, const netra::v1::UpsertElectionRequest* request,
                              netra::v1::UpsertElectionResponse* response) override;
  grpc::Status GetElection(grpc::ServerContext* context, const netra::v1::GetElectionRequest* request,
                           netra::v1::GetElectionResponse* response) override;
  grpc::Status ListElections(grpc::ServerContext* context, const netra::v1::ListElectionsRequest* request,
                             netra::v1::ListElectionsResponse* response) override;

  // Pledges (prevention_handler.cc).
  grpc::Status RecordPledge(grpc::ServerContext* context, const netra::v1::RecordPledgeRequest* request,
                            netra::v1::RecordPledgeResponse* response) override;
  grpc::Status GetPledgeCoverage(grpc::ServerContext* context, const netra::v1::GetPledgeCoverageRequest* request,
                                 netra::v1::GetPledgeCoverageResponse* response) override;

  // Party-membership screening (party_handler.cc).
  grpc::Status ImportPartyMembersStream(grpc::ServerContext* context,
                                        RequestStream<netra::v1::ImportPartyMembersRequest>* reader,
                                        netra::v1::ImportPartyMembersResponse* response);
  grpc::Status ListPartyMembershipMatches(grpc::ServerContext* context,
                                          const netra::v1::ListPartyMembershipMatchesRequest* request,
                                          netra::v1::ListPartyMembershipMatchesResponse* response) override;
  grpc::Status ResolvePartyMembershipMatch(grpc::ServerContext* context,
                                           const netra::v1::ResolvePartyMembershipMatchRequest* request,
                                           netra::v1::ResolvePartyMembershipMatchResponse* response) override;

 private:
  // How a client-streamed import (ImportEmployees, ImportPartyMembers) ends
  // before its own result, if it does: INVALID_ARGUMENT for an empty stream,
  // CANCELLED for one the client broke off (what was committed stays), and
  // for a request_id of a completed import its stored response (or
  // INVALID_ARGUMENT when the content differs). nullopt: go on and finish.
  // A BKD writes only employees that work, and are on file as working, in its region.
  grpc::Status AuthorizeWrite(const CallScope& scope, const netra::v1::Employee& incoming);
  static std::optional<grpc::Status> EndOfImportStream(
      const grpc::ServerContext& context, bool empty, int64_t received,
      const std::optional<std::pair<std::string, std::string>>& earlier, const std::string& request_hash,
      google::protobuf::Message* response);

  const Registry& registry_;
  Elections& elections_;
  EmployeeDirectory& employees_;
  Prevention& prevention_;
  PartyScreening& party_screening_;
  const NikHasher& nik_hasher_;
  AccessLog& access_log_;
  // netra_import_rows_total{result}: inserted, updated, unchanged, rejected.
  prometheus::Counter *import_inserted_, *import_updated_, *import_unchanged_, *import_rejected_;
  // netra_party_matches_total{province,result}, created on first use per province.
  prometheus::Family<prometheus::Counter>* party_matches_;
};

// Where an employee is and whom it is under, as Authorize (common/authorize.h)
// reads it: the work region, and the staffing authority.
Resource ResourceOf(const Employee& employee);
// What a caller outside an employee's region hears of it: the same as for an
// id that names nobody (docs/security.md).
Error EmployeeNotFound(const std::string& employee_id);

// API -> domain; enum numbers a client sent outside the domain's pass through
// for ValidateElection to reject. Exposed for the request fuzzer (tests/fuzz).
Election FromProto(const netra::v1::Election& in);

}  // namespace netra::registry

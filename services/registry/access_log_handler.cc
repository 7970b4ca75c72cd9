// RegistryHandler's access-log query: who was shown which employee record
// (common/access_log.h), for the people who run the deployment.
#include "common/access_log.h"
#include "common/rpc.h"
#include "services/registry/registry_handler.h"

namespace netra::registry {

grpc::Status RegistryHandler::ListPersonalDataReads(grpc::ServerContext* context,
                                                    const netra::v1::ListPersonalDataReadsRequest* request,
                                                    netra::v1::ListPersonalDataReadsResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ListPersonalDataReads");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return AnswerPersonalDataReads(access_log_, kSubjectEmployee, request->employee_id(), *request, response);
}

}  // namespace netra::registry

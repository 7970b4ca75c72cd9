// RegistryHandler's access-log query: who was shown which employee record
// (common/access_log.h), for the people who run the deployment.
#include <google/protobuf/util/time_util.h>

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
  PersonalDataReadQuery query;
  if (!request->employee_id().empty()) {
    query.subject_type = std::string(kSubjectEmployee);
    query.subject_id = request->employee_id();
  }
  query.caller = request->caller();
  query.page_size = request->page_size();
  query.page_token = request->page_token();
  auto page = access_log_.List(query);
  if (!page.ok()) return ToStatus(page.error());
  for (const PersonalDataRead& r : page.value().reads) {
    auto* out = response->add_reads();
    *out->mutable_read_time() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(r.read_micros);
    out->set_caller(r.caller);
    out->set_actor(r.actor);
    out->set_method(r.method);
    out->set_subject_type(r.subject_type);
    out->set_subject_id(r.subject_id);
    out->set_request_id(r.request_id);
  }
  response->set_next_page_token(page.value().next_page_token);
  return grpc::Status::OK;
}

}  // namespace netra::registry

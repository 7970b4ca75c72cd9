#include "services/complaint/complaint_handler.h"

#include <google/protobuf/util/time_util.h>

#include "common/rpc.h"

namespace netra::complaint {

grpc::Status ComplaintHandler::GetComplaintStatus(grpc::ServerContext* context,
                                                  const netra::v1::GetComplaintStatusRequest* request,
                                                  netra::v1::GetComplaintStatusResponse* response) {
  CallScope scope(*context, "GetComplaintStatus");
  auto status = complaints_.GetPublicStatus(request->tracking_code());
  if (!status.ok()) return ToStatus(status.error());
  using google::protobuf::util::TimeUtil;
  response->set_tracking_code(status.value().tracking_code);
  response->set_status(static_cast<netra::v1::ComplaintStatus>(status.value().status));
  *response->mutable_received_time() = TimeUtil::MicrosecondsToTimestamp(status.value().received_micros);
  *response->mutable_last_update_time() = TimeUtil::MicrosecondsToTimestamp(status.value().updated_micros);
  return grpc::Status::OK;
}

}  // namespace netra::complaint

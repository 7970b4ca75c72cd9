#include "common/peer_status.h"

#include "common/metrics.h"
#include "netra/v1/errors.pb.h"

namespace netra {
namespace {

constexpr size_t kMaxPeerMessage = 300;

// The peer's PreconditionFailure detail, when it sent one.
bool ReadPrecondition(const grpc::Status& status, v1::PreconditionFailure* out) {
  v1::ErrorStatus details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return false;
  for (const auto& any : details.details()) {
    if (any.UnpackTo(out)) return true;
  }
  return false;
}

}  // namespace

bool IsTransient(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return false;
    default:
      return true;
  }
}

std::string DescribePeerStatus(const grpc::Status& status) {
  std::string message = status.error_message();
  if (message.size() > kMaxPeerMessage) message = message.substr(0, kMaxPeerMessage) + "...";
  return std::string(GrpcCodeName(status.error_code())) + ": " + message;
}

OutboxDispatcher::Delivery DeliveryOf(const grpc::Status& status, std::string_view rpc) {
  if (status.ok()) return OutboxDispatcher::Delivery::Ok();
  std::string why = std::string(rpc) + ": " + DescribePeerStatus(status);
  if (IsTransient(status.error_code())) return OutboxDispatcher::Delivery::Failed(std::move(why));
  return OutboxDispatcher::Delivery::Refused(std::move(why));
}

Error FromPeerStatus(const grpc::Status& status, const PeerCall& call) {
  const std::string said = std::string(call.peer) + " answered " + DescribePeerStatus(status);
  if (IsTransient(status.error_code())) return Error::Unavailable(said);
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return Error::NotFound(std::string(call.resource_type), std::string(call.resource_name));
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE: {
      Violations v;
      v.Add(std::string(call.field), ViolationReason::kInvalidFormat,
            std::string(call.peer) + " rejected " + std::string(call.resource_type) + ": " +
                status.error_message().substr(0, kMaxPeerMessage));
      return Error::Invalid(std::move(v));
    }
    case grpc::StatusCode::ALREADY_EXISTS:
      return Error::AlreadyExists(std::string(call.resource_type), std::string(call.resource_name));
    case grpc::StatusCode::FAILED_PRECONDITION: {
      v1::PreconditionFailure detail;
      if (!ReadPrecondition(status, &detail)) detail.set_attempted_action(said);
      return Error::Precondition(detail.current_state(), detail.attempted_action(),
                                 {detail.allowed_actions().begin(), detail.allowed_actions().end()});
    }
    default:
      return Error::Internal(said + " (a deployment fault: the peer will not take this call from us)");
  }
}

}  // namespace netra

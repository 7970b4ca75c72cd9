// OutboxAdminService (proto/netra/v1/outbox.proto): operators list failed
// background deliveries and retry one, e.g. after fixing what made a peer
// refuse it. One implementation, registered by every service with an outbox.
#pragma once

#include "common/outbox.h"
#include "netra/v1/outbox.grpc.pb.h"

namespace netra {

class OutboxAdminHandler final : public v1::OutboxAdminService::Service {
 public:
  // `dispatcher` is woken after a retry so that it is attempted at once.
  OutboxAdminHandler(Database& db, OutboxDispatcher& dispatcher) : db_(db), dispatcher_(dispatcher) {}

  grpc::Status ListFailedDeliveries(grpc::ServerContext* context, const v1::ListFailedDeliveriesRequest* request,
                                    v1::ListFailedDeliveriesResponse* response) override;
  grpc::Status RetryDelivery(grpc::ServerContext* context, const v1::RetryDeliveryRequest* request,
                             v1::RetryDeliveryResponse* response) override;

 private:
  Database& db_;
  OutboxDispatcher& dispatcher_;
};

}  // namespace netra

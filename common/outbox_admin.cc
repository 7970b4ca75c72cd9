#include "common/outbox_admin.h"

#include <google/protobuf/util/time_util.h>

#include <charconv>

#include "common/paging.h"
#include "common/rpc.h"
#include "common/store.h"

namespace netra {
namespace {

using google::protobuf::util::TimeUtil;

constexpr PageLimits kPageLimits{50, 1000};
constexpr int kMaxKindChars = 100;

void ToProto(const FailedDelivery& f, v1::FailedDelivery* out) {
  out->set_delivery_id(f.id);
  out->set_kind(f.kind);
  out->set_key(f.dedupe_key);
  out->set_attempts(f.attempts);
  out->set_last_error(f.last_error);
  out->set_refused(f.refused_us > 0);
  if (f.refused_us > 0) *out->mutable_refuse_time() = TimeUtil::MicrosecondsToTimestamp(f.refused_us);
  if (f.next_attempt_us != kOutboxParked) {
    *out->mutable_next_attempt_time() = TimeUtil::MicrosecondsToTimestamp(f.next_attempt_us);
  }
  *out->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(f.created_us);
}

}  // namespace

grpc::Status OutboxAdminHandler::ListFailedDeliveries(grpc::ServerContext* context,
                                                      const v1::ListFailedDeliveriesRequest* request,
                                                      v1::ListFailedDeliveriesResponse* response) {
  CallScope scope(*context, netra::v1::OutboxAdminService::service_full_name(), "ListFailedDeliveries");
  if (!scope.access().ok()) return scope.access();
  Violations v;
  CheckText(request->kind(), "kind", false, kMaxKindChars, v);
  const int size = PageSize(request->page_size(), kPageLimits, "page_size", v);
  // The token is bound to the filters: another kind or refused_only refuses it.
  const std::string scope_key = request->kind() + (request->refused_only() ? "\x1f" "refused" : "\x1f" "all");
  auto after = DecodePageToken(request->page_token(), "page_token", v, scope_key);
  int64_t after_id = 0;
  if (after && !after->empty()) {
    auto [end, ec] = std::from_chars(after->data(), after->data() + after->size(), after_id);
    if (ec != std::errc() || end != after->data() + after->size() || after_id < 0) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a page token of this list");
    }
  }
  if (!v.empty()) return InvalidArgument(v);
  return GuardStore("list failed deliveries", [&] {
    auto page = db_.Read([&](Connection& conn) {
      return netra::ListFailedDeliveries(conn, request->kind(), request->refused_only(), after_id, size + 1);
    });
    const bool more = page.size() > static_cast<size_t>(size);
    if (more) page.resize(size);
    for (const auto& f : page) ToProto(f, response->add_deliveries());
    if (more) response->set_next_page_token(EncodePageToken(std::to_string(page.back().id), scope_key));
    return grpc::Status::OK;
  });
}

grpc::Status OutboxAdminHandler::RetryDelivery(grpc::ServerContext* context, const v1::RetryDeliveryRequest* request,
                                               v1::RetryDeliveryResponse* response) {
  CallScope scope(*context, netra::v1::OutboxAdminService::service_full_name(), "RetryDelivery");
  if (!scope.access().ok()) return scope.access();
  if (request->delivery_id() <= 0) {
    return InvalidArgument("delivery_id", ViolationReason::kRequired, "a delivery id from ListFailedDeliveries");
  }
  return GuardStore("retry delivery", [&] {
    auto retried = db_.Write([&](Connection& conn) -> std::optional<FailedDelivery> {
      if (!RetryOutbox(conn, request->delivery_id())) return std::nullopt;
      auto stmt = conn.Prepare(
          "SELECT id, kind, dedupe_key, attempts, last_error, refused_us, next_attempt_us, created_us FROM outbox "
          "WHERE id = ?1");
      stmt.Bind(1, request->delivery_id());
      if (!stmt.Step()) return std::nullopt;
      return FailedDelivery{stmt.ColumnInt64(0), stmt.ColumnText(1), stmt.ColumnText(2),
                            static_cast<int>(stmt.ColumnInt64(3)), stmt.ColumnText(4), stmt.ColumnInt64(5),
                            stmt.ColumnInt64(6), stmt.ColumnInt64(7)};
    });
    if (!retried) return NotFound("delivery " + std::to_string(request->delivery_id()) + " is not queued");
    log::Info("delivery retried by an operator", {{"kind", retried->kind},
                                                  {"outbox_id", std::to_string(retried->id)},
                                                  {"key", retried->dedupe_key},
                                                  {"actor", scope.caller().actor}});
    ToProto(*retried, response->mutable_delivery());
    dispatcher_.Wake();
    return grpc::Status::OK;
  });
}

}  // namespace netra

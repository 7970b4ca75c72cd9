// netractl outbox list|retry: background deliveries between services that
// failed, and an operator's retry of one (OutboxAdminService, served by the
// complaint and sanction services).
//
//   netractl outbox list --service sanction --refused
//   netractl outbox retry --service complaint DELIVERY_ID
#include <CLI/CLI.hpp>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct OutboxFlags {
  std::string service = "complaint", kind, page_token;
  bool refused = false;
  int page_size = 0;
  int64_t delivery_id = 0;
};

std::unique_ptr<v1::OutboxAdminService::Stub> Admin(const Options& o, const OutboxFlags& c) {
  return OutboxAdminStub(c.service == "sanction" ? o.sanction : o.complaint);
}

int RunList(const Options& o, const OutboxFlags& c) {
  v1::ListFailedDeliveriesRequest request;
  request.set_kind(c.kind);
  request.set_refused_only(c.refused);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  v1::ListFailedDeliveriesResponse response;
  auto context = Context(o);
  return PrintReply(Admin(o, c)->ListFailedDeliveries(context.get(), request, &response), response);
}

int RunRetry(const Options& o, const OutboxFlags& c) {
  v1::RetryDeliveryRequest request;
  request.set_delivery_id(c.delivery_id);
  v1::RetryDeliveryResponse response;
  auto context = Context(o);
  return PrintReply(Admin(o, c)->RetryDelivery(context.get(), request, &response), response);
}

}  // namespace

void AddOutboxCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<OutboxFlags>();
  OutboxFlags& c = *shared;
  auto* outbox = app.add_subcommand("outbox", "Failed deliveries between services, and retrying them");
  outbox->require_subcommand(1);
  auto* list = outbox->add_subcommand("list", "Queued deliveries that failed at least once, oldest first");
  auto* retry = outbox->add_subcommand("retry", "Attempt one delivery now (a refused one is no longer parked)");
  for (auto* sub : {list, retry}) {
    sub->add_option("--service", c.service, "Whose outbox: complaint (forwarding) or sanction (outcomes, statuses)")
        ->check(CLI::IsMember({"complaint", "sanction"}))
        ->capture_default_str();
  }
  list->add_option("--kind", c.kind, "Only this kind, e.g. sanction.open_case");
  list->add_flag("--refused", c.refused, "Only deliveries the other service refused (parked)");
  list->add_option("--page-size", c.page_size, "Deliveries per page");
  list->add_option("--page-token", c.page_token, "Page token from the previous page");
  retry->add_option("delivery_id", c.delivery_id, "delivery_id from `outbox list`")
      ->required()
      ->check(CLI::PositiveNumber);
  commands.On(list, [shared](const Options& o) { return RunList(o, *shared); });
  commands.On(retry, [shared](const Options& o) { return RunRetry(o, *shared); });
}

}  // namespace netra::netractl

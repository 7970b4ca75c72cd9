// netractl outbox list|retry: background deliveries between services that
// failed, and an operator's retry of one (OutboxAdminService, served by the
// complaint and sanction services).
//
//   netractl outbox list --service sanction --refused
//   netractl outbox retry --service complaint DELIVERY_ID
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/client.h"
#include "netra/v1/outbox.grpc.pb.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {
namespace {

struct OutboxCommandLine {
  CLI::App *list = nullptr, *retry = nullptr;
  std::string service = "complaint", kind, page_token;
  bool refused = false;
  int page_size = 0;
  int64_t delivery_id = 0;
};

OutboxCommandLine& CommandLine() {
  static OutboxCommandLine line;
  return line;
}

std::unique_ptr<v1::OutboxAdminService::Stub> Admin(const Options& o, const OutboxCommandLine& c) {
  return v1::OutboxAdminService::NewStub(MakeChannel(c.service == "sanction" ? o.sanction : o.complaint, nullptr));
}

int RunList(const Options& o, const OutboxCommandLine& c) {
  v1::ListFailedDeliveriesRequest request;
  request.set_kind(c.kind);
  request.set_refused_only(c.refused);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  v1::ListFailedDeliveriesResponse response;
  auto context = Context(o);
  auto status = Admin(o, c)->ListFailedDeliveries(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

int RunRetry(const Options& o, const OutboxCommandLine& c) {
  v1::RetryDeliveryRequest request;
  request.set_delivery_id(c.delivery_id);
  v1::RetryDeliveryResponse response;
  auto context = Context(o);
  auto status = Admin(o, c)->RetryDelivery(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

}  // namespace

void AddOutboxCommands(CLI::App& app) {
  OutboxCommandLine& c = CommandLine();
  auto* outbox = app.add_subcommand("outbox", "Failed deliveries between services, and retrying them");
  outbox->require_subcommand(1);
  c.list = outbox->add_subcommand("list", "Queued deliveries that failed at least once, oldest first");
  c.retry = outbox->add_subcommand("retry", "Attempt one delivery now (a refused one is no longer parked)");
  for (auto* sub : {c.list, c.retry}) {
    sub->add_option("--service", c.service, "Whose outbox: complaint (forwarding) or sanction (outcomes, statuses)")
        ->check(CLI::IsMember({"complaint", "sanction"}))
        ->capture_default_str();
  }
  c.list->add_option("--kind", c.kind, "Only this kind, e.g. sanction.open_case");
  c.list->add_flag("--refused", c.refused, "Only deliveries the other service refused (parked)");
  c.list->add_option("--page-size", c.page_size, "Deliveries per page");
  c.list->add_option("--page-token", c.page_token, "Page token from the previous page");
  c.retry->add_option("delivery_id", c.delivery_id, "delivery_id from `outbox list`")
      ->required()
      ->check(CLI::PositiveNumber);
}

std::optional<int> RunOutboxCommand(const Options& options) {
  const OutboxCommandLine& c = CommandLine();
  if (c.list && *c.list) return RunList(options, c);
  if (c.retry && *c.retry) return RunRetry(options, c);
  return std::nullopt;
}

}  // namespace netra::netractl

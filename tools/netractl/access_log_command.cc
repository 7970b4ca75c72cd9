// netractl access-log: who was shown an employee's record, and what a caller
// read (RegistryService.ListPersonalDataReads; admin and ops identities).
//
//   netractl --identity ops access-log --employee 198503152010012001
//   netractl --identity ops access-log --caller bkd/33.06 --page-size 50
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct AccessLogFlags {
  std::string employee_id, caller, page_token;
  int page_size = 0;
};

int ListReads(const Options& options, const AccessLogFlags& c) {
  // One of them at least; both narrow to one caller's reads of one person.
  if (c.employee_id.empty() && c.caller.empty()) {
    std::cerr << "access-log: give --employee, --caller or both\n";
    return kExitUsage;
  }
  v1::ListPersonalDataReadsRequest request;
  request.set_employee_id(c.employee_id);
  request.set_caller(c.caller);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  v1::ListPersonalDataReadsResponse response;
  auto context = Context(options);
  return PrintReply(RegistryStub(options)->ListPersonalDataReads(context.get(), request, &response), response);
}

}  // namespace

void AddAccessLogCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<AccessLogFlags>();
  AccessLogFlags& c = *shared;
  auto* list =
      app.add_subcommand("access-log", "Who was shown an employee's record, or what a caller read (newest first)");
  list->add_option("--employee", c.employee_id, "Reads of this employee (NIP, NI PPPK or AGENCY:STAFF_ID)");
  list->add_option("--caller", c.caller, "Reads by this caller, e.g. bkd/33.06 or svc/complaint");
  list->add_option("--page-size", c.page_size, "Reads per page (default 100, at most 1000)");
  list->add_option("--page-token", c.page_token, "Token of the page to fetch (same --employee/--caller)");
  commands.On(list, [shared](const Options& o) { return ListReads(o, *shared); });
}

}  // namespace netra::netractl

// netractl access-log: who was shown an employee's record or a complaint's
// reporter, and what a caller was shown (admin and ops identities). Employee
// reads are logged by the registry (ListPersonalDataReads), reporter reveals
// by the complaint service (ListReporterReads).
//
//   netractl --identity ops access-log --employee 198503152010012001
//   netractl --identity ops access-log --caller bkd/33.06 --page-size 50
//   netractl --identity ops access-log --reporter c-0123456789abcdef
//   netractl --identity ops access-log --reporters --caller bawaslu/33.74
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct AccessLogFlags {
  std::string employee_id, complaint_id, caller, page_token;
  bool reporters = false;  // the complaint service's log of reporter reveals
  int page_size = 0;
};

// The request of either log, but its subject (the employee or complaint id).
template <class Request>
Request ReadsRequest(const AccessLogFlags& c) {
  Request request;
  request.set_caller(c.caller);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  return request;
}

int ListReads(const Options& options, const AccessLogFlags& c) {
  // One of them at least; both narrow to one caller's reads of one person.
  if (c.employee_id.empty() && c.complaint_id.empty() && c.caller.empty()) {
    std::cerr << "access-log: give --employee, --reporter or --caller\n";
    return kExitUsage;
  }
  auto context = Context(options);
  if (c.reporters || !c.complaint_id.empty()) {
    auto request = ReadsRequest<v1::ListReporterReadsRequest>(c);
    request.set_complaint_id(c.complaint_id);
    v1::ListReporterReadsResponse response;
    return PrintReply(ComplaintStub(options)->ListReporterReads(context.get(), request, &response), response);
  }
  auto request = ReadsRequest<v1::ListPersonalDataReadsRequest>(c);
  request.set_employee_id(c.employee_id);
  v1::ListPersonalDataReadsResponse response;
  return PrintReply(RegistryStub(options)->ListPersonalDataReads(context.get(), request, &response), response);
}

}  // namespace

void AddAccessLogCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<AccessLogFlags>();
  AccessLogFlags& c = *shared;
  auto* list =
      app.add_subcommand("access-log", "Who was shown an employee's record or a reporter, or what a caller read (newest first)");
  auto* employee = list->add_option("--employee", c.employee_id, "Reads of this employee (NIP, NI PPPK or AGENCY:STAFF_ID)");
  auto* reporter = list->add_option("--reporter", c.complaint_id, "Reveals of this complaint's reporter (complaint id)");
  list->add_flag("--reporters", c.reporters, "With --caller: the reporter reveals it was shown, not the employee records");
  employee->excludes(reporter);
  list->add_option("--caller", c.caller, "Reads by this caller, e.g. bkd/33.06 or svc/complaint");
  list->add_option("--page-size", c.page_size, "Reads per page (default 100, at most 1000)");
  list->add_option("--page-token", c.page_token, "Token of the page to fetch (same --employee/--caller)");
  commands.On(list, [shared](const Options& o) { return ListReads(o, *shared); });
}

}  // namespace netra::netractl

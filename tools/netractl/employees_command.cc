// netractl employees get|search: employees in the registry.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct EmployeeFlags {
  std::string employee_id;
  std::string name, region_code, agency_code, type;  // search
  int page_size = 0;
  std::string page_token;
};

// Both print a blank line after the JSON, as they always have.
int PrintEmployeeReply(const grpc::Status& status, const google::protobuf::Message& response) {
  const int code = PrintReply(status, response);
  if (code == 0) std::cout << "\n";
  return code;
}

int GetEmployee(const Options& options, const EmployeeFlags& c) {
  v1::GetEmployeeRequest request;
  request.set_employee_id(c.employee_id);
  v1::GetEmployeeResponse response;
  auto context = Context(options);
  return PrintEmployeeReply(RegistryStub(options)->GetEmployee(context.get(), request, &response), response);
}

int SearchEmployees(const Options& options, const EmployeeFlags& c) {
  v1::SearchEmployeesRequest request;
  request.set_name_query(c.name);
  request.set_region_code(c.region_code);
  request.set_agency_code(c.agency_code);
  if (c.type == "pns") request.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
  if (c.type == "pppk") request.set_employee_type(v1::EMPLOYEE_TYPE_PPPK);
  if (c.type == "ppnpn") request.set_employee_type(v1::EMPLOYEE_TYPE_PPNPN);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  v1::SearchEmployeesResponse response;
  auto context = Context(options);
  return PrintEmployeeReply(RegistryStub(options)->SearchEmployees(context.get(), request, &response), response);
}

}  // namespace

void AddEmployeeCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<EmployeeFlags>();
  EmployeeFlags& c = *shared;
  auto* employees = app.add_subcommand("employees", "Employees in the registry");
  employees->require_subcommand(1);
  auto* get = employees->add_subcommand("get", "One employee by id (NIP, NI PPPK or AGENCY:STAFF_ID)");
  get->add_option("employee_id", c.employee_id, "The employee's id")->required();
  auto* search = employees->add_subcommand("search", "Search by name prefix, region, agency and type");
  search->add_option("--name", c.name, "Name tokens, prefix match, case and diacritics ignored");
  search->add_option("--region", c.region_code, "Province NN or kab/kota NN.NN");
  search->add_option("--agency", c.agency_code, "Agency code");
  search->add_option("--type", c.type, "pns, pppk or ppnpn")->check(CLI::IsMember({"pns", "pppk", "ppnpn"}));
  search->add_option("--page-size", c.page_size, "Employees per page");
  search->add_option("--page-token", c.page_token, "Token of the page to fetch");
  commands.On(get, [shared](const Options& o) { return GetEmployee(o, *shared); });
  commands.On(search, [shared](const Options& o) { return SearchEmployees(o, *shared); });
}

}  // namespace netra::netractl

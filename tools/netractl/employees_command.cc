// netractl employees get|search
#include <iostream>

#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {

int GetEmployee(const Options& options, const std::string& employee_id) {
  auto stub = netra::v1::RegistryService::NewStub(MakeChannel(options.registry, nullptr));
  netra::v1::GetEmployeeRequest request;
  request.set_employee_id(employee_id);
  netra::v1::GetEmployeeResponse response;
  auto status = stub->GetEmployee(Context(options).get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response) << "\n";
  return 0;
}

int SearchEmployees(const Options& options, const EmployeeSearch& search) {
  auto stub = netra::v1::RegistryService::NewStub(MakeChannel(options.registry, nullptr));
  netra::v1::SearchEmployeesRequest request;
  request.set_name_query(search.name);
  request.set_region_code(search.region_code);
  request.set_agency_code(search.agency_code);
  if (search.type == "pns") request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PNS);
  if (search.type == "pppk") request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PPPK);
  if (search.type == "ppnpn") request.set_employee_type(netra::v1::EMPLOYEE_TYPE_PPNPN);
  request.set_page_size(search.page_size);
  request.set_page_token(search.page_token);
  netra::v1::SearchEmployeesResponse response;
  auto status = stub->SearchEmployees(Context(options).get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response) << "\n";
  return 0;
}

}  // namespace netra::netractl

#include "services/sanction/sanction_handler.h"

#include "common/rpc.h"

namespace netra::sanction {

void ToProto(const ViolationType& type, netra::v1::ViolationType* out) {
  // Domain enumerations are numbered as their proto counterparts.
  out->set_code(type.code);
  out->set_category(static_cast<netra::v1::ViolationCategory>(type.category));
  out->set_title_id(type.title_id);
  out->set_title_en(type.title_en);
  out->set_legal_basis(type.legal_basis);
  out->set_certainty(static_cast<netra::v1::Certainty>(type.certainty));
  out->set_note(type.note);
  for (const auto& rule : type.sanctions) {
    auto* r = out->add_sanctions();
    r->set_employee_type(static_cast<netra::v1::EmployeeType>(rule.employee_type));
    r->set_level(static_cast<netra::v1::SanctionLevel>(rule.level));
    for (auto form : rule.forms) r->add_forms(static_cast<netra::v1::SanctionForm>(form));
  }
}

grpc::Status SanctionHandler::ListViolationTypes(grpc::ServerContext* context,
                                                 const netra::v1::ListViolationTypesRequest* request,
                                                 netra::v1::ListViolationTypesResponse* response) {
  CallScope scope(*context, "ListViolationTypes");
  ViolationTypeFilter filter;
  Violations violations;
  if (request->category() != netra::v1::VIOLATION_CATEGORY_UNSPECIFIED) {
    if (netra::v1::ViolationCategory_IsValid(request->category())) {
      filter.category = static_cast<ViolationCategory>(request->category());
    } else {
      violations.Add("category", ViolationReason::kOutOfRange, "unknown violation category");
    }
  }
  if (request->employee_type() != netra::v1::EMPLOYEE_TYPE_UNSPECIFIED) {
    if (netra::v1::EmployeeType_IsValid(request->employee_type())) {
      filter.employee_type = static_cast<EmployeeType>(request->employee_type());
    } else {
      violations.Add("employee_type", ViolationReason::kOutOfRange, "unknown employee type");
    }
  }
  if (!violations.empty()) return InvalidArgument(violations);
  filter.page_size = request->page_size();
  filter.page_token = request->page_token();

  auto catalog = sanctions_.catalog();
  auto page = netra::sanction::ListViolationTypes(*catalog, filter);
  if (!page.ok()) return ToStatus(page.error());
  for (const auto& type : page.value().violation_types) ToProto(type, response->add_violation_types());
  response->set_catalog_version(catalog->version);
  response->set_next_page_token(page.value().next_page_token);
  return grpc::Status::OK;
}

}  // namespace netra::sanction

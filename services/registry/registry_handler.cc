#include "services/registry/registry_handler.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "common/rpc.h"

namespace netra::registry {

RegistryHandler::RegistryHandler(const Registry& registry, Elections& elections, EmployeeDirectory& employees,
                                 Prevention& prevention, PartyScreening& party_screening,
                                 const NikHasher& nik_hasher, AccessLog& access_log, prometheus::Registry& metrics)
    : registry_(registry),
      elections_(elections),
      employees_(employees),
      prevention_(prevention),
      party_screening_(party_screening),
      nik_hasher_(nik_hasher),
      access_log_(access_log) {
  ServeClientStream(this, "netra.v1.RegistryService.ImportEmployees", &RegistryHandler::ImportEmployeesStream,
                    &RegistryHandler::MarkMethodStreamed);
  ServeClientStream(this, "netra.v1.RegistryService.ImportPartyMembers", &RegistryHandler::ImportPartyMembersStream,
                    &RegistryHandler::MarkMethodStreamed);
  auto& rows = prometheus::BuildCounter()
                   .Name("netra_import_rows_total")
                   .Help("Employee import rows by result (inserted, updated, unchanged, rejected)")
                   .Register(metrics);
  import_inserted_ = &rows.Add({{"result", "inserted"}});
  import_updated_ = &rows.Add({{"result", "updated"}});
  import_unchanged_ = &rows.Add({{"result", "unchanged"}});
  import_rejected_ = &rows.Add({{"result", "rejected"}});
  party_matches_ = &prometheus::BuildCounter()
                        .Name("netra_party_matches_total")
                        .Help("Party-membership matches found and resolved, by the employee's province and result "
                              "(matched, confirmed, identity_misuse)")
                        .Register(metrics);
}

std::optional<grpc::Status> RegistryHandler::EndOfImportStream(
    const grpc::ServerContext& context, bool empty, int64_t received,
    const std::optional<std::pair<std::string, std::string>>& earlier, const std::string& request_hash,
    google::protobuf::Message* response) {
  if (empty) return InvalidArgument("request_id", ViolationReason::kRequired, "is required (the stream was empty)");
  if (context.IsCancelled()) {
    log::Warn("import cut off", {{"rows_received", std::to_string(received)}});
    return grpc::Status(grpc::StatusCode::CANCELLED, "import cancelled by the client");
  }
  if (!earlier) return std::nullopt;
  if (earlier->first != request_hash) {
    return InvalidArgument("request_id", ViolationReason::kInconsistent, "was used before with different request content");
  }
  if (!response->ParseFromString(earlier->second)) return InternalError("internal error; see the service log");
  return grpc::Status::OK;
}

grpc::Status RegistryHandler::ListRegions(grpc::ServerContext* context, const netra::v1::ListRegionsRequest* request,
                                          netra::v1::ListRegionsResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ListRegions");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  RegionQuery query;
  query.parent_code = request->parent_code();
  if (request->level() != netra::v1::REGION_LEVEL_UNSPECIFIED) {
    if (!netra::v1::RegionLevel_IsValid(request->level())) {
      return InvalidArgument("level", ViolationReason::kOutOfRange, "unknown region level");
    }
    query.level = static_cast<RegionLevel>(request->level());
  }
  query.page_size = request->page_size();
  query.page_token = request->page_token();
  auto page = registry_.ListRegions(query);
  if (!page.ok()) return ToStatus(page.error());
  for (const Region* region : page.value().regions) {
    auto* out = response->add_regions();
    out->set_code(region->code);
    out->set_name(region->name);
    out->set_level(static_cast<netra::v1::RegionLevel>(region->level));
    out->set_parent_code(region->parent_code);
    out->set_time_zone(region->time_zone);
  }
  response->set_next_page_token(page.value().next_page_token);
  response->set_total_size(page.value().total_size);
  return grpc::Status::OK;
}

}  // namespace netra::registry

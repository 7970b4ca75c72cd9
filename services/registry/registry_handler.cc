#include "services/registry/registry_handler.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "common/rpc.h"

namespace netra::registry {

RegistryHandler::RegistryHandler(const Registry& registry, Elections& elections, EmployeeDirectory& employees,
                                 Prevention& prevention, const NikHasher& nik_hasher, prometheus::Registry& metrics)
    : registry_(registry),
      elections_(elections),
      employees_(employees),
      prevention_(prevention),
      nik_hasher_(nik_hasher) {
  auto& rows = prometheus::BuildCounter()
                   .Name("netra_import_rows_total")
                   .Help("Employee import rows by result (inserted, updated, unchanged, rejected)")
                   .Register(metrics);
  import_inserted_ = &rows.Add({{"result", "inserted"}});
  import_updated_ = &rows.Add({{"result", "updated"}});
  import_unchanged_ = &rows.Add({{"result", "unchanged"}});
  import_rejected_ = &rows.Add({{"result", "rejected"}});
}

grpc::Status RegistryHandler::ListRegions(grpc::ServerContext* context, const netra::v1::ListRegionsRequest* request,
                                          netra::v1::ListRegionsResponse* response) {
  CallScope scope(*context, "ListRegions");
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

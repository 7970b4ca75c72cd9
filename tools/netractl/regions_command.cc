// netractl regions list: Indonesian regions from the registry.
//
//   netractl regions list                        -> the provinces
//   netractl regions list --parent 33 --level district --all
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct RegionFlags {
  std::string parent, level;
  int page_size = 0;
  bool all_pages = false;
};

v1::RegionLevel ParseLevel(const std::string& text) {
  if (text == "province") return v1::REGION_LEVEL_PROVINCE;
  if (text == "regency") return v1::REGION_LEVEL_REGENCY;
  if (text == "district") return v1::REGION_LEVEL_DISTRICT;
  return v1::REGION_LEVEL_UNSPECIFIED;
}

int ListRegions(const Options& o, const RegionFlags& c) {
  auto stub = RegistryStub(o);
  v1::ListRegionsRequest request;
  request.set_parent_code(c.parent);
  request.set_level(ParseLevel(c.level));
  request.set_page_size(c.page_size);
  v1::ListRegionsResponse all;
  while (true) {
    v1::ListRegionsResponse response;
    auto context = Context(o);
    auto status = stub->ListRegions(context.get(), request, &response);
    if (!status.ok() || !c.all_pages) return PrintReply(status, response);
    all.mutable_regions()->MergeFrom(response.regions());
    all.set_total_size(response.total_size());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::cout << ToJson(all);
  return 0;
}

}  // namespace

void AddRegionCommands(CLI::App& app, Commands& commands) {
  auto c = std::make_shared<RegionFlags>();
  auto* regions = app.add_subcommand("regions", "Indonesian regions (province, kabupaten/kota, kecamatan)");
  regions->require_subcommand(1);
  auto* list = regions->add_subcommand("list", "List regions under a parent");
  list->add_option("--parent", c->parent, "Parent region code (empty: the provinces)");
  list->add_option("--level", c->level, "province, regency or district: every region of that level under parent")
      ->check(CLI::IsMember({"province", "regency", "district"}));
  list->add_option("--page-size", c->page_size, "Regions per page");
  list->add_flag("--all", c->all_pages, "Fetch every page");
  commands.On(list, [c](const Options& o) { return ListRegions(o, *c); });
}

}  // namespace netra::netractl

#include "common/authorize.h"

#include "absl/strings/ascii.h"

namespace netra {
namespace {

bool Regional(IdentityKind kind) {
  return kind == IdentityKind::kBawaslu || kind == IdentityKind::kBkd || kind == IdentityKind::kKpu;
}

AccessDecision Deny(std::string_view reason) { return {false, std::string(reason)}; }

}  // namespace

bool RegionWithin(std::string_view region_code, std::string_view scope) {
  if (scope.empty() || scope == "ri") return true;
  return region_code == scope || (region_code.size() > scope.size() && region_code.starts_with(scope) &&
                                  region_code[scope.size()] == '.');
}

AccessDecision Authorize(const Identity& caller, const Resource& resource) {
  if (Regional(caller.kind)) {
    if (resource.region_code.empty() || !RegionWithin(resource.region_code, caller.qualifier)) {
      return Deny(kDenyOutsideRegion);
    }
    return {true, ""};
  }
  if (caller.kind == IdentityKind::kPpk) {
    if (resource.ppk_code != caller.qualifier) return Deny(kDenyNotItsPpk);
    return {true, ""};
  }
  if (caller.kind == IdentityKind::kAuthority && !resource.authority_code.empty() &&
      absl::AsciiStrToLower(std::string(resource.authority_code)) != caller.qualifier) {
    return Deny(kDenyNotItsAuthority);
  }
  return {true, ""};
}

AccessDecision NarrowToScope(const Identity& caller, Filter* filter) {
  if (const std::string region = RegionScope(caller); !region.empty()) {
    if (filter->region_code.empty()) filter->region_code = region;
    if (!RegionWithin(filter->region_code, region)) return Deny(kDenyOutsideRegion);
  } else if (caller.kind == IdentityKind::kPpk) {
    if (filter->ppk_code.empty()) filter->ppk_code = caller.qualifier;
    if (filter->ppk_code != caller.qualifier) return Deny(kDenyNotItsPpk);
  } else if (caller.kind == IdentityKind::kAuthority) {
    // Stored as the election names it ("BKN"); the identity spells it in lower case.
    if (filter->authority_code.empty()) filter->authority_code = absl::AsciiStrToUpper(caller.qualifier);
    if (absl::AsciiStrToLower(filter->authority_code) != caller.qualifier) return Deny(kDenyNotItsAuthority);
  }
  return {true, ""};
}

std::string RegionScope(const Identity& caller) {
  return Regional(caller.kind) && caller.qualifier != "ri" ? caller.qualifier : std::string();
}

}  // namespace netra

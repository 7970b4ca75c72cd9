// Page size and page token handling shared by every List RPC.
//
// A page token is the opaque, URL-safe encoding of the last key returned, so
// paging stays stable while rows are inserted concurrently (keyset paging). It
// is bound to the request's filters (`scope`): a token replayed with other
// filters is refused rather than silently skipping or repeating rows.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/validation.h"

namespace netra {

struct PageLimits {
  int default_size = 50;
  int max_size = 1000;
};

// 0 means the default; negative is a violation; above the maximum is clamped
// (AIP-158: servers may return fewer results than asked).
int PageSize(int requested, const PageLimits& limits, std::string_view field, Violations& out);

std::string EncodePageToken(std::string_view last_key, std::string_view scope = {});
// Empty token -> empty key (first page). A token we did not issue, or issued
// for another scope, is a violation.
std::optional<std::string> DecodePageToken(std::string_view token, std::string_view field, Violations& out,
                                           std::string_view scope = {});

}  // namespace netra

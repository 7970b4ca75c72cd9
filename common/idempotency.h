// Idempotency records, one shape for every service: a mutating request names
// itself by (method, request_id) and a hash of its content; its response is
// recorded with the change it made, so a retry (to any replica) gets the first
// response back and a request_id reused for other content is refused.
//
// Plain C++ (no store, no gRPC): domains and handlers build these; the store
// reads and writes them (FindRequestRecord/ReplayRequest/RecordRequest in
// common/sqlite.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace netra {

// What identifies a mutating request for retries.
struct RequestKey {
  std::string method;        // the RPC, e.g. "UpsertEmployee"
  std::string request_id;    // chosen by the client
  std::string request_hash;  // fingerprint of the request's content
};

// A request's key and how to encode, from its outcome, the response kept for
// its retries.
template <class... Outcome>
struct Idempotency : RequestKey {
  std::function<std::string(const Outcome&...)> encode;
};

// What a request_id recorded earlier holds.
struct RequestRecord {
  std::string request_hash;
  std::string response;
};

// The error for a request_id used before for a request with other content.
inline Error ReusedRequestId() {
  Violations v;
  v.Add("request_id", ViolationReason::kInconsistent, "was used before with different request content");
  return Error::Invalid(std::move(v));
}

// The first response when `recorded` is the same request as `request_hash`
// (a retry), else ReusedRequestId().
inline Result<std::string> ReplayOf(RequestRecord recorded, std::string_view request_hash) {
  if (recorded.request_hash != request_hash) return ReusedRequestId();
  return std::move(recorded.response);
}

}  // namespace netra

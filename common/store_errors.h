// Store failures as gRPC statuses, written once: a handler body that calls a
// store read which throws (rather than returning a Result) runs inside
// GuardStore. The mapping itself is StoreFailure (common/sqlite.h) followed by
// ToStatus (common/rpc.h): UNAVAILABLE when retrying can help, else INTERNAL
// with the cause in the log only.
#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

#include "common/rpc.h"
#include "common/sqlite.h"

namespace netra {

template <class Fn>
grpc::Status GuardStore(std::string_view operation, Fn&& fn) {
  try {
    return fn();
  } catch (const StoreError& e) {
    return ToStatus(StoreFailure(e, operation));
  }
}

}  // namespace netra

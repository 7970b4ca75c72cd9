#include "common/store_error.h"

#include "common/log.h"

namespace netra {

Error StoreFailure(const StoreError& error, std::string_view operation) {
  log::Error("store operation failed", {{"operation", std::string(operation)}, {"error", error.what()}});
  if (error.IsUnavailable()) return Error::Unavailable("the store is unavailable; retry later");
  return Error::Internal("store failure; see the service log");
}

Error CorruptRecord(std::string_view cause, std::string_view operation) {
  log::Error("corrupt stored record", {{"operation", std::string(operation)}, {"error", std::string(cause)}});
  return Error::Internal("corrupt stored record; see the service log");
}

}  // namespace netra

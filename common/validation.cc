#include "common/validation.h"

namespace netra {

std::string_view ReasonName(ViolationReason reason) {
  switch (reason) {
    case ViolationReason::kRequired: return "REQUIRED";
    case ViolationReason::kInvalidFormat: return "INVALID_FORMAT";
    case ViolationReason::kOutOfRange: return "OUT_OF_RANGE";
    case ViolationReason::kTooLong: return "TOO_LONG";
    case ViolationReason::kNotFound: return "NOT_FOUND";
    case ViolationReason::kInconsistent: return "INCONSISTENT";
    case ViolationReason::kUnsupported: return "UNSUPPORTED";
  }
  return "UNSPECIFIED";
}

}  // namespace netra

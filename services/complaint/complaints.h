// The complaint service's domain: reports of partisan acts by civil servants,
// carried through Bawaslu's handling up to forwarding. Plain C++; the store and
// the cache are reached through small interfaces, never gRPC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/redis.h"
#include "common/result.h"
#include "services/complaint/complaint_store.h"

namespace netra::complaint {

// Public tracking codes: 10 characters from an alphabet without look-alikes
// (no 0/O, 1/I/L), ~49 bits from a CSPRNG, so codes cannot be guessed.
inline constexpr std::string_view kTrackingAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr size_t kTrackingCodeLength = 10;
bool IsWellFormedTrackingCode(std::string_view code);
std::string NewTrackingCode();

class Complaints {
 public:
  Complaints(ComplaintStore& store, Cache& status_cache) : store_(store), status_cache_(status_cache) {}

  // The public view of a complaint by its tracking code: status and dates only,
  // nothing about the reporter or the reported person. Lower-case input is accepted.
  Result<PublicStatus> GetPublicStatus(std::string_view tracking_code) const;

 private:
  ComplaintStore& store_;
  Cache& status_cache_;
};

}  // namespace netra::complaint

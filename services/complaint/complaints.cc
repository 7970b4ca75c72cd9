#include "services/complaint/complaints.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace netra::complaint {
namespace {

constexpr std::chrono::seconds kStatusCacheTtl{30};

std::string EncodeStatus(const PublicStatus& s) {
  return nlohmann::json{{"s", static_cast<int>(s.status)}, {"r", s.received_micros}, {"u", s.updated_micros}}.dump();
}

std::optional<PublicStatus> DecodeStatus(const std::string& code, const std::string& text) {
  // Whatever is in Redis is checked before use: get<>() on a value of the wrong type would throw.
  auto json = nlohmann::json::parse(text, nullptr, false);
  auto integer = [&json](const char* key) { return json.contains(key) && json[key].is_number_integer(); };
  if (json.is_discarded() || !json.is_object() || !integer("s") || !integer("r") || !integer("u")) return std::nullopt;
  int64_t status = json["s"].get<int64_t>();
  if (status < 1 || status > static_cast<int64_t>(ComplaintStatus::kDismissed)) return std::nullopt;
  return PublicStatus{code, static_cast<ComplaintStatus>(status), json["r"].get<int64_t>(), json["u"].get<int64_t>()};
}

}  // namespace

bool IsWellFormedTrackingCode(std::string_view code) {
  return code.size() == kTrackingCodeLength &&
         std::all_of(code.begin(), code.end(), [](char c) { return kTrackingAlphabet.find(c) != std::string_view::npos; });
}

std::string NewTrackingCode() {
  std::string code;
  // Rejection sampling keeps every character equally likely.
  const unsigned limit = 256 - 256 % kTrackingAlphabet.size();
  while (code.size() < kTrackingCodeLength) {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no randomness: nothing safe to hand out
    for (unsigned char b : bytes) {
      if (b < limit && code.size() < kTrackingCodeLength) code += kTrackingAlphabet[b % kTrackingAlphabet.size()];
    }
  }
  return code;
}

Result<PublicStatus> Complaints::GetPublicStatus(std::string_view tracking_code) const {
  std::string code(tracking_code.substr(0, 64));
  std::transform(code.begin(), code.end(), code.begin(), [](unsigned char c) { return std::toupper(c); });
  if (code.empty()) {
    Violations v;
    v.Add("tracking_code", ViolationReason::kRequired, "is required");
    return Error::Invalid(std::move(v));
  }
  if (!IsWellFormedTrackingCode(code)) {
    Violations v;
    v.Add("tracking_code", ViolationReason::kInvalidFormat,
          "must be 10 characters from " + std::string(kTrackingAlphabet));
    return Error::Invalid(std::move(v));
  }
  // The public lookup is the hottest read: cache first, then the store.
  auto cached = status_cache_.GetOrLoad("complaint:status:" + code, kStatusCacheTtl, [&]() -> std::optional<std::string> {
    auto found = store_.FindPublicStatus(code);
    if (!found) return std::nullopt;
    return EncodeStatus(*found);
  });
  if (cached) {
    if (auto status = DecodeStatus(code, *cached)) return *status;
    // A corrupt cache entry must not hide the record: answer from the store.
    if (auto found = store_.FindPublicStatus(code)) return *found;
  }
  return Error::NotFound("tracking_code", code, "no complaint has tracking code " + code);
}

}  // namespace netra::complaint

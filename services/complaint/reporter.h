// Whistle-blower protection in the complaint domain (issue 13): the
// reporter's identity is sealed in every answer but RevealReporter's, a
// reveal is recorded with its reason, and the reporter's own actions
// (COMPLETE, WITHDRAW) need the receipt secret SubmitComplaint handed out.
// Plain C++ over complaint.h; the sealing itself is common/sealed_box.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "common/sealed_box.h"
#include "common/validation.h"
#include "services/complaint/complaint.h"

namespace netra::complaint {

// Whistle-blower protection: removes the reporter's identity (name, address,
// contact, organization, NIK and its hash) from an answer; kind, hidden and
// NIK-on-file stay. Every answer but RevealReporter's is sealed.
void SealReporter(Complaint& complaint);
Violations ValidateReveal(const RevealCommand& command);

// What the complaint's history records of a reveal: the entry's actor says
// who (agency and person), its time when, the payload why. The complaint
// itself does not change (a reveal is a read).
struct Disclosure {
  std::string event_type;
  nlohmann::json payload;
};
// A reveal of `current`'s reporter as `actor` asked (validated: ValidateReveal).
Disclosure ApplyReveal(const Complaint& current, const RevealCommand& command);

// Receipt secrets (the reporter's proof for COMPLETE and WITHDRAW):
// kReceiptLength characters of kTrackingAlphabet (~119 bits) from
// HMAC(subkey "complaint receipt" of a reporter key, complaint id || salt).
inline constexpr size_t kReceiptLength = 24;
// A new receipt for `complaint_id` under the box's sealing key, with a fresh
// salt; *secret is what the reporter is given, the result what is kept.
ReceiptOnFile IssueReceipt(const SealedBox& box, std::string_view complaint_id, std::string* secret);
// The secret of a receipt on file, derived again (a retried submission);
// nullopt when none was issued or its key is no longer configured.
std::optional<std::string> ReceiptSecret(const SealedBox& box, const ReceiptOnFile& receipt,
                                         std::string_view complaint_id);
// Whether `secret` (any case) is the receipt on file, in constant time.
bool ReceiptMatches(const ReceiptOnFile& receipt, std::string_view secret);

}  // namespace netra::complaint

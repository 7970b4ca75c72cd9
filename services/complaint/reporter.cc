#include "services/complaint/reporter.h"

#include <cctype>

#include "common/digest.h"
#include "common/random.h"
#include "services/complaint/intake.h"

namespace netra::complaint {

void SealReporter(Complaint& c) {
  Reporter& r = c.reporter;
  r.name.clear();
  r.address.clear();
  r.contact.clear();
  r.organization.clear();
  r.nik.clear();
  r.nik_hash.clear();
  r.sealed = true;
}

Violations ValidateReveal(const RevealCommand& r) {
  Violations v;
  CheckId(r.complaint_id, "complaint_id", true, v);
  CheckText(r.reason, "reason", true, kMaxReasonChars, v);
  return v;
}

Disclosure ApplyReveal(const Complaint& current, const RevealCommand& command) {
  // The reason is the requester's words about why, never the identity itself.
  return Disclosure{"complaint.reporter_revealed",
                    {{"reason", command.reason}, {"identity_hidden", current.reporter.identity_hidden}}};
}

namespace {

std::string ReceiptText(const std::string& mac) {
  std::string out;
  for (size_t i = 0; i < kReceiptLength; ++i) {
    out += kTrackingAlphabet[static_cast<unsigned char>(mac[i]) % kTrackingAlphabet.size()];
  }
  return out;
}

std::optional<std::string> DeriveReceipt(const SealedBox& box, const std::string& key_id, const std::string& salt,
                                         std::string_view complaint_id) {
  auto mac = box.Mac(key_id, "complaint receipt", std::string(complaint_id) + '\n' + salt);
  if (!mac) return std::nullopt;
  return ReceiptText(*mac);
}

std::string UpperCase(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace

ReceiptOnFile IssueReceipt(const SealedBox& box, std::string_view complaint_id, std::string* secret) {
  ReceiptOnFile receipt{box.sealing_key_id(), RandomBytes(16), ""};
  *secret = *DeriveReceipt(box, receipt.key_id, receipt.salt, complaint_id);  // the sealing key is configured
  receipt.hash = Sha256::Of({*secret});
  return receipt;
}

std::optional<std::string> ReceiptSecret(const SealedBox& box, const ReceiptOnFile& receipt,
                                         std::string_view complaint_id) {
  if (receipt.hash.empty()) return std::nullopt;
  return DeriveReceipt(box, receipt.key_id, receipt.salt, complaint_id);
}

bool ReceiptMatches(const ReceiptOnFile& receipt, std::string_view secret) {
  if (receipt.hash.size() != 32) return false;
  const std::string given = Sha256::Of({UpperCase(secret)});
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ receipt.hash[i]);
  return diff == 0;
}

}  // namespace netra::complaint

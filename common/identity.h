// Who is calling: the identity an authenticated caller's certificate names in
// its URI SAN, as a SPIFFE ID of the deployment's trust domain (issue 13,
// docs/security.md):
//
//   spiffe://<trust-domain>/svc/registry|complaint|sanction   a Netra service
//   spiffe://<trust-domain>/bawaslu/ri|NN|NN.NN               Bawaslu RI, a province's, a kab/kota's
//   spiffe://<trust-domain>/authority/<code>                  a recommending authority (bkn, kasn)
//   spiffe://<trust-domain>/ppk/<ppk code>                    a staffing authority (bupati:33.06)
//   spiffe://<trust-domain>/bkd/NN|NN.NN                      a regional staffing office
//   spiffe://<trust-domain>/kpu/ri|NN|NN.NN                   an election commission
//   spiffe://<trust-domain>/ministry/<code>                   a ministry (kemenpanrb, kemendagri)
//   spiffe://<trust-domain>/admin, .../ops                    the deployment's administrator, operator
//
// The parser is strict: a certificate names exactly one of these, spelled one
// way, so that the identity a policy or an access log names is the one that
// called. It only reads the text; the TLS layer has verified the certificate.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace netra {

enum class IdentityKind {
  kService,    // "svc": another Netra service
  kBawaslu,    // "bawaslu": the election supervisory body, RI or regional
  kAuthority,  // "authority": the recommending authority (KASN until 2024, BKN since)
  kPpk,        // "ppk": a staffing authority (Pejabat Pembina Kepegawaian)
  kBkd,        // "bkd": a regional staffing office (BKD/BKPSDM)
  kKpu,        // "kpu": the election commission (party-membership data)
  kMinistry,   // "ministry": a ministry (KemenPANRB, Kemendagri)
  kAdmin,      // "admin": the deployment's administrator
  kOps,        // "ops": the deployment's operator
};

// The kind as it is spelled in a SPIFFE ID and in the access policy: "bawaslu".
std::string_view KindName(IdentityKind kind);
// The kind spelled `name` ("bawaslu"), or nullopt; exact, lower case.
std::optional<IdentityKind> KindFromName(std::string_view name);

struct Identity {
  IdentityKind kind = IdentityKind::kAdmin;
  // What the kind is qualified by, as spelled in the ID: "33.06", "ri", "bkn",
  // "bupati:33.06", "complaint"; empty for admin and ops.
  std::string qualifier;
  // The whole SPIFFE ID, for logs; empty when parsed from a path alone.
  std::string spiffe_id;

  // The kind and qualifier, as in the policy file and in logs: "bawaslu/33.06", "admin".
  std::string Label() const;
};

// SPIFFE IDs longer than this are refused unread (the longest real one is under 100).
inline constexpr size_t kMaxSpiffeIdBytes = 256;

// The identity `spiffe_id` names in `trust_domain` (lower case, e.g.
// "netra.example.go.id"), or nullopt with *why saying what is wrong: another
// trust domain, an unknown kind, a missing, malformed or superfluous
// qualifier, an extra or empty path segment, percent-encoding, a query or
// fragment, capitals where codes are lower case, more than kMaxSpiffeIdBytes.
//
// Qualifiers: svc: registry, complaint or sanction; bawaslu and kpu: "ri", a
// province "NN" or a kab/kota "NN.NN" (shape and range as ParseRegionCode);
// bkd: "NN" or "NN.NN"; authority and ministry: 1-32 of [a-z0-9_] from a
// letter (authority/bkn is the recommending authority code BKN, lower case);
// ppk: a staffing authority code as the registry stores it (1-64 of
// [A-Za-z0-9._:-], e.g. "bupati:33.06"), kept as spelled since it must equal
// the employee's StaffingAuthority.code.
std::optional<Identity> ParseIdentity(std::string_view spiffe_id, std::string_view trust_domain, std::string* why);

// The same for the path alone ("bawaslu/33.06", "admin"): how the access
// policy names one identity. spiffe_id stays empty.
std::optional<Identity> ParseIdentityPath(std::string_view path, std::string* why);

}  // namespace netra

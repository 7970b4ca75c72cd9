// Who may call each RPC: the per-method access policy, read from a file
// (deploy/access-policy.json) and denying whatever it does not name (issue 13).
//
//   {
//     "version": 1,
//     "methods": {
//       // comments are allowed
//       "netra.v1.RegistryService/GetEmployee": ["bawaslu", "bkd", "svc/complaint"],
//       "netra.v1.ComplaintService/SubmitComplaint": ["public"]
//     }
//   }
//
// An entry is a kind ("bawaslu": any Bawaslu office), a kind and qualifier
// matched exactly ("svc/sanction", "bawaslu/ri"; spelled as identity.h
// parses them), or "public" alone: anyone, also a caller without a
// certificate. The policy decides by method only; which region or case a
// caller may act on is Authorize's job.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/identity.h"
#include "common/result.h"

namespace netra {

// Why a call is refused: stable codes, the `reason` label of
// netra_authz_denied_total and the reason in the status details.
inline constexpr std::string_view kDenyNoRule = "NO_RULE";                           // the file names no such method
inline constexpr std::string_view kDenyUnauthenticated = "UNAUTHENTICATED";          // no identity, method not public
inline constexpr std::string_view kDenyIdentityNotAllowed = "IDENTITY_NOT_ALLOWED";  // no entry names the caller

struct AccessDecision {
  bool allowed = false;
  std::string reason;  // empty when allowed, else one of the kDeny codes
};

// Immutable after Parse; safe to share across threads (a reload parses a new one).
class AccessPolicy {
 public:
  // The policy in `json_text`, or Invalid with a violation per problem, its
  // field the key at fault ("methods.netra.v1.X/Y[2]"): malformed JSON, a
  // duplicate key, an unknown top-level key, a version other than 1, a
  // method not spelled "netra.v1.Service/Method", an empty or non-list rule,
  // an unknown kind or a malformed entry, "public" beside other entries, an
  // entry twice.
  static Result<AccessPolicy> Parse(std::string_view json_text);

  // Whether `caller` (null: no certificate) may call `full_method`
  // ("netra.v1.RegistryService/GetEmployee"; gRPC's leading '/' is accepted).
  AccessDecision Check(std::string_view full_method, const Identity* caller) const;

  // Every method the policy names, sorted.
  std::vector<std::string> Methods() const;

 private:
  struct Entry {
    IdentityKind kind;
    std::string qualifier;  // empty: every identity of the kind
  };
  struct Rule {
    bool is_public = false;
    std::vector<Entry> entries;
  };
  std::map<std::string, Rule, std::less<>> rules_;
};

}  // namespace netra

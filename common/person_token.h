// The person acting for an agency, from a signed token (issue 13,
// docs/security.md "The person acting").
//
// The certificate says which agency's system calls; that system usually acts
// for one of its staff. When the deployment configures token issuers, the
// person comes from a JWT in `authorization: Bearer ...`, verified with
// Debian's libjwt against the issuer's public keys (a JWKS file per issuer),
// and bound to the certificate: an issuer speaks only for the agencies the
// file names, optionally only for the one its agency claim names.
//
//   {
//     "version": 1,
//     "issuers": [{
//       "name": "bawaslu-sso",                       // short; prefixes the person's id
//       "issuer": "https://sso.bawaslu.go.id",       // the iss claim, exactly
//       "audience": "netra",                         // must be in the aud claim
//       "jwks_file": "jwks/bawaslu.json",            // relative to this file
//       "agencies": ["bawaslu"],                     // as the access policy names callers
//       "agency_claim": "netra_agency"               // optional: must equal the caller, "bawaslu/33.74"
//     }],
//     "clock_skew_seconds": 60                       // optional, 0-300
//   }
//
// An agency some issuer speaks for must send a token; one no issuer speaks
// for names its person in x-netra-actor, recorded as its own unverified
// assertion (Actor kind ASSERTED_PERSON).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/identity.h"
#include "common/periodic.h"
#include "common/result.h"

namespace netra {

// Why a token is refused: the reason of the UNAUTHENTICATED status and the
// `reason` label of netra_authz_denied_total.
inline constexpr std::string_view kTokenRequired = "TOKEN_REQUIRED";                // an issuer speaks for the caller; no token
inline constexpr std::string_view kTokenInvalid = "TOKEN_INVALID";                  // malformed, bad signature, unknown key, bad claims
inline constexpr std::string_view kTokenExpired = "TOKEN_EXPIRED";                  // past exp, or before nbf
inline constexpr std::string_view kTokenWrongAudience = "TOKEN_WRONG_AUDIENCE";     // aud does not name this deployment
inline constexpr std::string_view kTokenIssuerUnknown = "TOKEN_ISSUER_UNKNOWN";     // iss is no configured issuer
inline constexpr std::string_view kTokenIssuerNotBound = "TOKEN_ISSUER_NOT_BOUND";  // the issuer does not speak for this caller

// Tokens longer than this are refused unread.
inline constexpr size_t kMaxTokenBytes = 8192;

// A person a token names.
struct Person {
  std::string id;    // "<issuer name>:<sub>", e.g. "bawaslu-sso:officer-12"; never a NIK
  std::string name;  // the token's name claim, if any
};

struct TokenCheck {
  std::optional<Person> person;  // set when verified
  std::string reason;            // else one of the kToken codes
  std::string detail;            // for the log line only
};

// The issuers file and the keys it names: immutable once parsed.
class TokenIssuers {
 public:
  // `read_file` reads a JWKS file named in the text (its path resolved by the caller).
  static Result<TokenIssuers> Parse(std::string_view json_text,
                                    const std::function<std::optional<std::string>(const std::string&)>& read_file);
  ~TokenIssuers();
  TokenIssuers(TokenIssuers&&) noexcept;
  TokenIssuers& operator=(TokenIssuers&&) noexcept;

  // Whether some issuer speaks for `caller`: it must then send a token.
  bool SpeaksFor(const Identity& caller) const;
  // `token` (the bearer value) checked for `caller` at `now`.
  TokenCheck Verify(std::string_view token, const Identity& caller, absl::Time now) const;
  // The JWKS files the issuers name, to watch for changes.
  std::vector<std::string> KeyFiles() const;

 private:
  struct Issuer;
  TokenIssuers();
  std::vector<std::unique_ptr<Issuer>> issuers_;
  absl::Duration clock_skew_ = absl::Seconds(60);
};

// The issuers file as a service holds it: read at start, read again (with its
// key files) whenever one of them changes; a broken new version is logged and
// the one in force stays.
class PersonTokens {
 public:
  static std::unique_ptr<PersonTokens> Load(const std::string& issuers_file, std::string* error);
  ~PersonTokens();

  bool SpeaksFor(const Identity& caller) const;
  TokenCheck Verify(std::string_view token, const Identity& caller, absl::Time now) const;

 private:
  explicit PersonTokens(std::string issuers_file);
  bool Reload(std::string* error);
  std::map<std::string, std::filesystem::file_time_type> ModificationTimes() const;

  const std::string issuers_file_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TokenIssuers> issuers_;
  std::map<std::string, std::filesystem::file_time_type> loaded_mtimes_;
  std::unique_ptr<PeriodicWorker> watcher_;
};

// The issuers every call's person is checked against (set once at start;
// none: every person is the agency's assertion).
void SetPersonTokens(PersonTokens* tokens);
PersonTokens* CurrentPersonTokens();

}  // namespace netra

#include "common/identity.h"

#include <array>
#include <utility>
#include <vector>

#include "common/identifiers.h"
#include "common/validation.h"

namespace netra {
namespace {

constexpr std::string_view kScheme = "spiffe://";
constexpr size_t kMaxCodeChars = 32;
constexpr size_t kMaxPpkCodeChars = 64;  // the registry's limit on StaffingAuthority.code

constexpr std::array<std::pair<IdentityKind, std::string_view>, 9> kKinds = {{
    {IdentityKind::kService, "svc"},
    {IdentityKind::kBawaslu, "bawaslu"},
    {IdentityKind::kAuthority, "authority"},
    {IdentityKind::kPpk, "ppk"},
    {IdentityKind::kBkd, "bkd"},
    {IdentityKind::kKpu, "kpu"},
    {IdentityKind::kMinistry, "ministry"},
    {IdentityKind::kAdmin, "admin"},
    {IdentityKind::kOps, "ops"},
}};

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool HasUpper(std::string_view text) {
  for (char c : text) {
    if (IsUpper(c)) return true;
  }
  return false;
}

bool Fail(std::string* why, std::string message) {
  if (why) *why = std::move(message);
  return false;
}

std::nullopt_t Refuse(std::string* why, std::string message) {
  Fail(why, std::move(message));
  return std::nullopt;
}

// "ri" (for kinds that have a national office), a province or a kab/kota code.
bool CheckRegionQualifier(std::string_view q, bool national, std::string* why) {
  if (national && q == "ri") return true;
  Violations ignored;
  auto level = ParseRegionCode(q, "qualifier", ignored);
  if (level == RegionLevel::kProvince || level == RegionLevel::kRegency) return true;
  return Fail(why, std::string(national ? "must be ri, " : "must be ") +
                       "a province code NN or a kab/kota code NN.NN, not '" + std::string(q) + "'");
}

// authority/ministry codes: lower case so that one body has one spelling.
bool CheckLowerCode(std::string_view q, std::string* why) {
  if (HasUpper(q)) return Fail(why, "codes are lower case: '" + std::string(q) + "'");
  bool ok = !q.empty() && q.size() <= kMaxCodeChars && IsLower(q[0]);
  for (char c : q) ok = ok && (IsLower(c) || IsDigit(c) || c == '_');
  if (ok) return true;
  return Fail(why, "must be 1-32 of a-z, 0-9 and _ starting with a letter, not '" + std::string(q) + "'");
}

// The registry's StaffingAuthority.code: a PPK's identity names the code its
// employees' records carry, so it accepts exactly what the registry stores.
bool CheckPpkCode(std::string_view q, std::string* why) {
  bool ok = !q.empty() && q.size() <= kMaxPpkCodeChars;
  for (char c : q) {
    ok = ok && (IsLower(c) || IsUpper(c) || IsDigit(c) || c == '.' || c == '_' || c == ':' || c == '-');
  }
  if (ok) return true;
  return Fail(why, "must be a staffing authority code: 1-64 of A-Z, a-z, 0-9 and ._:- (e.g. bupati:33.06)");
}

bool CheckQualifier(IdentityKind kind, std::string_view q, std::string* why) {
  switch (kind) {
    case IdentityKind::kService:
      if (q == "registry" || q == "complaint" || q == "sanction") return true;
      return Fail(why, "svc must be registry, complaint or sanction, not '" + std::string(q) + "'");
    case IdentityKind::kBawaslu:
    case IdentityKind::kKpu:
      return CheckRegionQualifier(q, /*national=*/true, why);
    case IdentityKind::kBkd:
      return CheckRegionQualifier(q, /*national=*/false, why);
    case IdentityKind::kAuthority:
    case IdentityKind::kMinistry:
      return CheckLowerCode(q, why);
    case IdentityKind::kPpk:
      return CheckPpkCode(q, why);
    case IdentityKind::kAdmin:
    case IdentityKind::kOps:
      break;
  }
  return Fail(why, std::string(KindName(kind)) + " takes no qualifier");
}

}  // namespace

std::string_view KindName(IdentityKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<IdentityKind> KindFromName(std::string_view name) {
  for (const auto& [k, n] : kKinds) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string Identity::Label() const {
  std::string out(KindName(kind));
  if (!qualifier.empty()) out += "/" + qualifier;
  return out;
}

std::optional<Identity> ParseIdentityPath(std::string_view path, std::string* why) {
  std::vector<std::string_view> segments;
  for (size_t start = 0, slash = 0; slash != std::string_view::npos; start = slash + 1) {
    slash = path.find('/', start);
    segments.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
  }
  for (auto segment : segments) {
    if (segment.empty()) return Refuse(why, "empty path segment");
  }
  auto kind = KindFromName(segments[0]);
  if (!kind) {
    return Refuse(why, "unknown kind '" + std::string(segments[0]) + "'" +
                           (HasUpper(segments[0]) ? " (kinds are lower case)" : ""));
  }
  const bool qualified = *kind != IdentityKind::kAdmin && *kind != IdentityKind::kOps;
  const size_t expected = qualified ? 2 : 1;
  if (segments.size() < expected) {
    return Refuse(why, std::string(segments[0]) + " needs a qualifier (" + std::string(segments[0]) + "/...)");
  }
  if (segments.size() > expected) {
    if (!qualified) return Refuse(why, std::string(segments[0]) + " takes no qualifier");
    return Refuse(why, "extra path segments after " + std::string(segments[0]) + "/" + std::string(segments[1]));
  }
  Identity identity;
  identity.kind = *kind;
  if (qualified) {
    if (!CheckQualifier(*kind, segments[1], why)) return std::nullopt;
    identity.qualifier = std::string(segments[1]);
  }
  return identity;
}

std::optional<Identity> ParseIdentity(std::string_view spiffe_id, std::string_view trust_domain, std::string* why) {
  if (spiffe_id.size() > kMaxSpiffeIdBytes) {
    return Refuse(why, "longer than " + std::to_string(kMaxSpiffeIdBytes) + " bytes");
  }
  if (trust_domain.empty()) return Refuse(why, "no trust domain configured");
  if (spiffe_id.substr(0, kScheme.size()) != kScheme) return Refuse(why, "not a spiffe:// ID");
  // One spelling per identity: an escaped or decorated path would name the
  // same caller two ways (and could slip past a literal comparison).
  for (char c : spiffe_id) {
    if (c == '%') return Refuse(why, "percent-encoding is not allowed");
    if (c == '?' || c == '#') return Refuse(why, "a query or fragment is not allowed");
  }
  std::string_view rest = spiffe_id.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view domain = rest.substr(0, slash);
  if (domain != trust_domain) {
    return Refuse(why, "trust domain '" + std::string(domain) + "' is not " + std::string(trust_domain));
  }
  if (slash == std::string_view::npos) return Refuse(why, "no path after the trust domain");
  auto identity = ParseIdentityPath(rest.substr(slash + 1), why);
  if (!identity) return std::nullopt;
  identity->spiffe_id = std::string(spiffe_id);
  return identity;
}

}  // namespace netra

#include "common/access_policy.h"

#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace netra {
namespace {

using json = nlohmann::json;

constexpr std::string_view kPublic = "public";
constexpr std::string_view kPackage = "netra.v1.";
constexpr size_t kMaxMethodChars = 200;

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// "netra.v1.RegistryService/GetEmployee": a rule for anything else could never apply.
bool IsMethodName(std::string_view name) {
  if (name.size() > kMaxMethodChars || name.substr(0, kPackage.size()) != kPackage) return false;
  name.remove_prefix(kPackage.size());
  size_t slash = name.find('/');
  return slash != std::string_view::npos && IsIdentifier(name.substr(0, slash)) &&
         IsIdentifier(name.substr(slash + 1));
}

// nlohmann keeps the last of two equal keys without a word; in a policy the
// first would silently stop applying, so every object's keys are checked.
json ParseRejectingDuplicateKeys(std::string_view text, Violations& out) {
  std::vector<std::set<std::string>> open;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open.emplace_back();
    if (event == json::parse_event_t::object_end) open.pop_back();
    if (event == json::parse_event_t::key && !open.empty()) {
      auto key = parsed.get<std::string>();
      if (!open.back().insert(key).second) {
        out.Add(depth == 2 ? Path("methods", key) : key, ViolationReason::kInconsistent, "duplicate key");
      }
    }
    return true;
  };
  try {
    return json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    out.Add("policy", ViolationReason::kInvalidFormat, e.what());
    return json();
  }
}

}  // namespace

Result<AccessPolicy> AccessPolicy::Parse(std::string_view json_text) {
  Violations out;
  json doc = ParseRejectingDuplicateKeys(json_text, out);
  if (!out.empty()) return Error::Invalid(std::move(out));
  if (!doc.is_object()) {
    out.Add("policy", ViolationReason::kInvalidFormat, "must be a JSON object");
    return Error::Invalid(std::move(out));
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "version" && key != "methods") out.Add(key, ViolationReason::kUnsupported, "unknown key");
  }
  auto version = doc.find("version");
  if (version == doc.end()) {
    out.Add("version", ViolationReason::kRequired, "is required (1)");
  } else if (!version->is_number_integer() || version->get<int64_t>() != 1) {
    out.Add("version", ViolationReason::kUnsupported, "must be 1");
  }
  auto methods = doc.find("methods");
  if (methods == doc.end() || !methods->is_object() || methods->empty()) {
    out.Add("methods", ViolationReason::kRequired, "must be an object naming at least one method");
    return Error::Invalid(std::move(out));
  }

  AccessPolicy policy;
  for (const auto& [method, list] : methods->items()) {
    const std::string field = Path("methods", method);
    if (!IsMethodName(method)) {
      out.Add(field, ViolationReason::kInvalidFormat, "must be a method name: netra.v1.Service/Method");
    }
    if (!list.is_array() || list.empty()) {
      out.Add(field, ViolationReason::kRequired, "must list at least one identity (deny by default needs no rule)");
      continue;
    }
    Rule rule;
    std::set<std::string> seen;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string entry_field = field + "[" + std::to_string(i) + "]";
      if (!list[i].is_string()) {
        out.Add(entry_field, ViolationReason::kInvalidFormat, "must be a string");
        continue;
      }
      const auto text = list[i].get<std::string>();
      if (!seen.insert(text).second) {
        out.Add(entry_field, ViolationReason::kInconsistent, "'" + text + "' is listed twice");
        continue;
      }
      if (text == kPublic) {
        // Beside "public" any other entry would read as a restriction it is not.
        if (list.size() > 1) out.Add(entry_field, ViolationReason::kInconsistent, "public must stand alone");
        rule.is_public = true;
        continue;
      }
      std::string why;
      if (text.find('/') == std::string::npos) {
        auto kind = KindFromName(text);
        if (!kind) {
          out.Add(entry_field, ViolationReason::kInvalidFormat, "unknown kind '" + text + "'");
          continue;
        }
        rule.entries.push_back({*kind, ""});
      } else if (auto identity = ParseIdentityPath(text, &why)) {
        rule.entries.push_back({identity->kind, identity->qualifier});
      } else {
        out.Add(entry_field, ViolationReason::kInvalidFormat, "'" + text + "': " + why);
      }
    }
    policy.rules_.emplace(method, std::move(rule));
  }
  if (!out.empty()) return Error::Invalid(std::move(out));
  return policy;
}

AccessDecision AccessPolicy::Check(std::string_view full_method, const Identity* caller) const {
  if (!full_method.empty() && full_method[0] == '/') full_method.remove_prefix(1);
  auto it = rules_.find(full_method);
  if (it == rules_.end()) return {false, std::string(kDenyNoRule)};
  const Rule& rule = it->second;
  if (rule.is_public) return {true, ""};
  if (!caller) return {false, std::string(kDenyUnauthenticated)};
  for (const auto& entry : rule.entries) {
    if (entry.kind == caller->kind && (entry.qualifier.empty() || entry.qualifier == caller->qualifier)) {
      return {true, ""};
    }
  }
  return {false, std::string(kDenyIdentityNotAllowed)};
}

std::vector<std::string> AccessPolicy::Methods() const {
  std::vector<std::string> out;
  out.reserve(rules_.size());
  for (const auto& [method, rule] : rules_) out.push_back(method);
  return out;
}

}  // namespace netra

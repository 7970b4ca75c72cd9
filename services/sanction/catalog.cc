#include "services/sanction/catalog.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "common/paging.h"

namespace netra::sanction {
namespace {

constexpr std::array<std::string_view, 2> kCategories = {"ETHICS", "DISCIPLINE"};
constexpr std::array<std::string_view, 6> kLevels = {"MORAL",  "LIGHT",     "MODERATE",
                                                     "SEVERE", "DISMISSAL", "CASE_BY_CASE"};
constexpr std::array<std::string_view, 4> kCertainties = {"CONFIRMED", "DISPUTED", "UNCONFIRMED", "CASE_BY_CASE"};
constexpr std::array<std::string_view, kSanctionFormCount> kForms = {
    "MORAL_CLOSED_STATEMENT", "MORAL_OPEN_STATEMENT",     "VERBAL_REPRIMAND",   "WRITTEN_REPRIMAND",
    "WRITTEN_DISSATISFACTION", "ALLOWANCE_CUT_6_MONTHS",  "ALLOWANCE_CUT_9_MONTHS",
    "ALLOWANCE_CUT_12_MONTHS", "DEMOTION_12_MONTHS",      "NON_MANAGERIAL_12_MONTHS",
    "HONOURABLE_DISMISSAL",    "DISHONOURABLE_DISMISSAL", "CONTRACT_TERMINATION",
    "CONTRACT_DISHONOURABLE_TERMINATION"};
constexpr std::array<std::string_view, 3> kEmployeeTypes = {"PNS", "PPPK", "PPNPN"};

constexpr size_t kMaxTypes = 500;
constexpr size_t kMaxText = 4000;

template <class Enum, size_t N>
std::string_view NameOf(const std::array<std::string_view, N>& names, Enum value) {
  int index = static_cast<int>(value) - 1;
  return index >= 0 && index < static_cast<int>(N) ? names[index] : "UNSPECIFIED";
}

// Reads an enum spelled as in the file from `value` (null when absent), reported at `field`;
// adds a violation and returns nullopt otherwise.
template <class Enum, size_t N>
std::optional<Enum> ReadEnumValue(const nlohmann::json* value, const std::string& field,
                                  const std::array<std::string_view, N>& names, Violations& out) {
  if (value == nullptr || !value->is_string()) {
    out.Add(field, ViolationReason::kRequired, "must be one of the listed spellings");
    return std::nullopt;
  }
  auto text = value->get<std::string>();
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i + 1);
  }
  std::string allowed;
  for (auto name : names) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  out.Add(field, ViolationReason::kUnsupported, "unknown value; expected one of " + allowed);
  return std::nullopt;
}

// The same for member `key` of `object`, reported at path.key.
template <class Enum, size_t N>
std::optional<Enum> ReadEnum(const nlohmann::json& object, const char* key, const std::array<std::string_view, N>& names,
                             const std::string& path, Violations& out) {
  auto it = object.find(key);
  return ReadEnumValue<Enum>(it == object.end() ? nullptr : &*it, Path(path, key), names, out);
}

std::string ReadText(const nlohmann::json& object, const char* key, bool required, const std::string& path,
                     Violations& out) {
  std::string field = Path(path, key);
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) out.Add(field, ViolationReason::kRequired, "is required");
    return {};
  }
  if (!it->is_string()) {
    out.Add(field, ViolationReason::kInvalidFormat, "must be a string");
    return {};
  }
  auto text = it->get<std::string>();
  if (required && text.empty()) out.Add(field, ViolationReason::kRequired, "must not be empty");
  if (text.size() > kMaxText) out.Add(field, ViolationReason::kTooLong, "at most 4000 bytes");
  return text;
}

std::optional<SanctionRule> ReadRule(const nlohmann::json& rule, const std::string& path, Violations& out) {
  if (!rule.is_object()) {
    out.Add(path, ViolationReason::kInvalidFormat, "must be an object");
    return std::nullopt;
  }
  auto type = ReadEnum<EmployeeType>(rule, "employee_type", kEmployeeTypes, path, out);
  auto level = ReadEnum<SanctionLevel>(rule, "level", kLevels, path, out);
  SanctionRule result{type.value_or(EmployeeType::kPns), level.value_or(SanctionLevel::kCaseByCase), {}};
  auto forms = rule.find("forms");
  if (forms == rule.end() || !forms->is_array() || forms->empty()) {
    out.Add(Path(path, "forms"), ViolationReason::kRequired, "must list at least one sanction form");
  } else {
    std::set<SanctionForm> seen;
    for (size_t i = 0; i < forms->size(); ++i) {
      std::string field = Path(path, "forms") + "[" + std::to_string(i) + "]";
      const auto& item = (*forms)[i];
      auto form = ReadEnumValue<SanctionForm>(&item, field, kForms, out);
      if (!form) continue;
      if (!seen.insert(*form).second) {
        out.Add(field, ViolationReason::kInconsistent, "form listed twice");
        continue;
      }
      result.forms.push_back(*form);
    }
  }
  // A rule with a bad level still names its employee type, so the caller does not also
  // report that type as missing (the catalog is rejected for the level anyway).
  if (!type) return std::nullopt;
  return result;
}

bool IsWellFormedCode(std::string_view code) {
  size_t letters = 0;
  while (letters < code.size() && code[letters] >= 'A' && code[letters] <= 'Z') ++letters;
  std::string_view number = code.substr(letters);
  return letters >= 1 && letters <= 4 && !number.empty() && number.size() <= 4 && number[0] != '0' &&
         std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Natural order of codes: "B2" before "B10", as in the decree's annex.
bool CodeLess(std::string_view a, std::string_view b) {
  auto split = [](std::string_view code) {
    size_t digits = code.find_first_of("0123456789");
    if (digits == std::string_view::npos) digits = code.size();
    std::string_view number = code.substr(digits);
    while (number.size() > 1 && number.front() == '0') number.remove_prefix(1);
    return std::tuple(code.substr(0, digits), number.size(), number);
  };
  return split(a) < split(b);
}

}  // namespace

std::string_view Name(ViolationCategory v) { return NameOf(kCategories, v); }
std::string_view Name(SanctionLevel v) { return NameOf(kLevels, v); }
std::string_view Name(Certainty v) { return NameOf(kCertainties, v); }
std::string_view Name(SanctionForm v) { return NameOf(kForms, v); }
std::string_view Name(EmployeeType v) { return NameOf(kEmployeeTypes, v); }

const SanctionRule* ViolationType::RuleFor(EmployeeType type) const {
  for (const auto& rule : sanctions) {
    if (rule.employee_type == type) return &rule;
  }
  return nullptr;
}

const ViolationType* ViolationCatalog::Find(std::string_view code) const {
  auto it = std::lower_bound(violation_types.begin(), violation_types.end(), code,
                             [](const ViolationType& t, std::string_view c) { return CodeLess(t.code, c); });
  return it != violation_types.end() && it->code == code ? &*it : nullptr;
}

Result<ViolationCatalog> ParseCatalog(std::string_view json) {
  Violations out;
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    out.Add("catalog", ViolationReason::kInvalidFormat, "not a JSON object");
    return Error::Invalid(std::move(out));
  }
  ViolationCatalog catalog;
  catalog.version = ReadText(doc, "version", true, "", out);
  catalog.source = ReadText(doc, "source", false, "", out);
  if (catalog.version.size() > 64) out.Add("version", ViolationReason::kTooLong, "at most 64 bytes");
  auto types = doc.find("violation_types");
  if (types == doc.end() || !types->is_array() || types->empty()) {
    out.Add("violation_types", ViolationReason::kRequired, "must list at least one violation type");
    return Error::Invalid(std::move(out));
  }
  if (types->size() > kMaxTypes) {
    out.Add("violation_types", ViolationReason::kTooLong, "at most 500 violation types");
    return Error::Invalid(std::move(out));
  }
  std::set<std::string> codes;
  for (size_t i = 0; i < types->size(); ++i) {
    std::string path = "violation_types[" + std::to_string(i) + "]";
    const auto& item = (*types)[i];
    if (!item.is_object()) {
      out.Add(path, ViolationReason::kInvalidFormat, "must be an object");
      continue;
    }
    ViolationType type;
    type.code = ReadText(item, "code", true, path, out);
    if (!type.code.empty() && !IsWellFormedCode(type.code)) {
      // One spelling per code ("B2", never "B02"), so natural order and lookups are unambiguous.
      out.Add(Path(path, "code"), ViolationReason::kInvalidFormat,
              "must be 1-4 capital letters and a number without leading zeros, e.g. B13");
    }
    if (!type.code.empty() && !codes.insert(type.code).second) {
      out.Add(Path(path, "code"), ViolationReason::kInconsistent, "duplicate code " + type.code);
    }
    auto category = ReadEnum<ViolationCategory>(item, "category", kCategories, path, out);
    type.title_id = ReadText(item, "title_id", true, path, out);
    type.title_en = ReadText(item, "title_en", true, path, out);
    type.legal_basis = ReadText(item, "legal_basis", true, path, out);
    auto certainty = ReadEnum<Certainty>(item, "certainty", kCertainties, path, out);
    type.note = ReadText(item, "note", false, path, out);
    type.category = category.value_or(ViolationCategory::kEthics);
    type.certainty = certainty.value_or(Certainty::kConfirmed);

    std::string sanctions_path = Path(path, "sanctions");
    auto sanctions = item.find("sanctions");
    if (sanctions == item.end() || !sanctions->is_array()) {
      out.Add(sanctions_path, ViolationReason::kRequired, "must list a rule for each of PNS, PPPK and PPNPN");
    } else {
      std::set<EmployeeType> covered;
      for (size_t j = 0; j < sanctions->size(); ++j) {
        std::string rule_path = sanctions_path + "[" + std::to_string(j) + "]";
        auto rule = ReadRule((*sanctions)[j], rule_path, out);
        if (!rule) continue;
        if (!covered.insert(rule->employee_type).second) {
          out.Add(Path(rule_path, "employee_type"), ViolationReason::kInconsistent,
                  "employee type " + std::string(Name(rule->employee_type)) + " has two rules");
          continue;
        }
        type.sanctions.push_back(std::move(*rule));
      }
      for (auto employee_type : {EmployeeType::kPns, EmployeeType::kPppk, EmployeeType::kPpnpn}) {
        if (!covered.count(employee_type)) {
          out.Add(sanctions_path, ViolationReason::kRequired,
                  "no rule for employee type " + std::string(Name(employee_type)));
        }
      }
    }
    catalog.violation_types.push_back(std::move(type));
  }
  if (!out.empty()) return Error::Invalid(std::move(out));
  std::sort(catalog.violation_types.begin(), catalog.violation_types.end(),
            [](const ViolationType& a, const ViolationType& b) { return CodeLess(a.code, b.code); });
  return catalog;
}

Result<ViolationTypePage> ListViolationTypes(const ViolationCatalog& catalog, const ViolationTypeFilter& filter) {
  Violations violations;
  int page_size = PageSize(filter.page_size, PageLimits{50, 1000}, "page_size", violations);
  std::string scope = std::to_string(filter.category ? static_cast<int>(*filter.category) : 0) + "|" +
                      std::to_string(filter.employee_type ? static_cast<int>(*filter.employee_type) : 0);
  auto after = DecodePageToken(filter.page_token, "page_token", violations, scope);
  if (!violations.empty()) return Error::Invalid(std::move(violations));
  ViolationTypePage page;
  const ViolationType* last = nullptr;
  bool more = false;
  for (const auto& type : catalog.violation_types) {
    if (!after->empty() && !CodeLess(*after, type.code)) continue;
    if (filter.category && type.category != *filter.category) continue;
    if (static_cast<int>(page.violation_types.size()) == page_size) {
      more = true;
      break;
    }
    ViolationType copy = type;
    if (filter.employee_type) {
      std::erase_if(copy.sanctions, [&](const SanctionRule& r) { return r.employee_type != *filter.employee_type; });
    }
    page.violation_types.push_back(std::move(copy));
    last = &type;
  }
  if (more && last) page.next_page_token = EncodePageToken(last->code, scope);
  return page;
}

}  // namespace netra::sanction

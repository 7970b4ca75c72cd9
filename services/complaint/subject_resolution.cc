// Who a report is about: the reported person matched against the registry
// (ResolveSubject, by the rules of SubjectMatching) and the key reports are
// clustered on (SubjectKey). Declared in intake.h; the rules are in
// docs/complaint-workflow.md ("Who the report is about").
#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/names.h"
#include "services/complaint/intake.h"

namespace netra::complaint {
namespace {

// Whether a region code is `prefix` or lies within it ("33.74.01" in "33.74").
bool InRegion(std::string_view code, std::string_view prefix) {
  return prefix.empty() || code == prefix ||
         (code.size() > prefix.size() && code.substr(0, prefix.size()) == prefix && code[prefix.size()] == '.');
}

}  // namespace

Result<SubjectMatching> SubjectMatching::FromJson(std::string_view json) {
  SubjectMatching out;
  Violations v;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_object()) {
    v.Add("", ViolationReason::kInvalidFormat, "is not a JSON object");
    return Error::Invalid(std::move(v));
  }
  auto number = [&](const char* field, double& into, double low, double high) {
    if (!parsed.contains(field)) return;
    const auto& value = parsed[field];
    if (!value.is_number() || value.get<double>() < low || value.get<double>() > high) {
      v.Add(field, ViolationReason::kOutOfRange, "must be a number from " + std::to_string(low) + " to " +
                                                     std::to_string(high));
    } else {
      into = value.get<double>();
    }
  };
  double limit = out.search_limit, kept = out.max_candidates;
  number("search_limit", limit, 1, 100);
  number("max_candidates", kept, 1, 50);
  out.search_limit = static_cast<int>(limit);
  out.max_candidates = static_cast<int>(kept);
  if (parsed.contains("scores")) {
    const auto& scores = parsed["scores"];
    if (!scores.is_object()) {
      v.Add("scores", ViolationReason::kInvalidFormat, "must be an object");
    } else {
      auto score = [&](const char* field, double& into) {
        if (!scores.contains(field)) return;
        if (!scores[field].is_number() || scores[field].get<double>() < 0 || scores[field].get<double>() > 1) {
          v.Add(std::string("scores.") + field, ViolationReason::kOutOfRange, "must be a number from 0 to 1");
        } else {
          into = scores[field].get<double>();
        }
      };
      score("full_name", out.full_name);
      score("name_spelling", out.name_spelling);
      score("name_spacing", out.name_spacing);
      score("partial_name", out.partial_name);
      score("agency", out.agency);
      score("region", out.region);
    }
  }
  if (parsed.contains("name_alone_resolves")) {
    if (!parsed["name_alone_resolves"].is_boolean()) {
      v.Add("name_alone_resolves", ViolationReason::kInvalidFormat, "must be true or false");
    } else {
      out.name_alone_resolves = parsed["name_alone_resolves"].get<bool>();
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  return out;
}

namespace {

std::string WithoutSpaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

// How a registry name meets the reported one (both folded), strongest first.
SubjectMatch NameMatch(const std::string& reported, const std::string& theirs) {
  if (theirs == reported) return SubjectMatch::kFullName;
  const std::string reported_spelling = SpellingKey(reported), their_spelling = SpellingKey(theirs);
  if (their_spelling == reported_spelling) return SubjectMatch::kNameSpelling;
  if (WithoutSpaces(theirs) == WithoutSpaces(reported) ||
      WithoutSpaces(their_spelling) == WithoutSpaces(reported_spelling)) {
    return SubjectMatch::kNameSpacing;
  }
  return SubjectMatch::kPartialName;
}

// The kab/kota of a region code ("33.74.01" -> "33.74"): the registry knows
// where employees work to that level.
std::string RegencyOf(const std::string& code) { return code.size() > 5 ? code.substr(0, 5) : code; }

}  // namespace

SubjectResolution ResolveSubject(const Subject& subject, Directory& directory, absl::Time now,
                                 const SubjectMatching& rules) {
  SubjectResolution out;
  out.resolve_time = now;
  if (!subject.employee_number.empty()) {
    auto found = directory.FindEmployee(subject.employee_number);
    if (found.ok()) {
      out.status = ResolutionStatus::kResolvedByNumber;
      out.employee = found.value();
    } else {
      // An outage leaves it pending (resolved later); a number the registry
      // does not know or rejects is not found.
      const auto kind = found.error().kind;
      out.status = kind == Error::Kind::kNotFound || kind == Error::Kind::kInvalidArgument
                       ? ResolutionStatus::kNotFound
                       : ResolutionStatus::kPending;
      out.needs_review = true;
    }
    return out;
  }
  if (subject.name.empty()) return out;  // a missing requirement, not a resolution problem
  const std::string name = FoldName(subject.name);
  const std::string agency = FoldName(subject.agency_name);
  const std::string region = RegencyOf(subject.region_code);

  // Everyone the registry finds by the name's words, anywhere (a match in
  // another region is a candidate too), and within the region (so that a
  // common name's people there are not cut off by the limit).
  std::vector<EmployeeRef> found;
  bool registry_down = false;
  auto search = [&](const std::string& query, const std::string& in_region) {
    auto result = directory.SearchEmployees(query, in_region, rules.search_limit);
    if (!result.ok()) {
      registry_down = true;
      return;
    }
    for (auto& e : result.value()) {
      const bool seen = std::any_of(found.begin(), found.end(),
                                    [&](const EmployeeRef& f) { return f.employee_id == e.employee_id; });
      if (!seen) found.push_back(std::move(e));
    }
  };
  search(subject.name, "");
  if (!region.empty()) search(subject.name, region);
  // Two neighbouring words written as one ("Nur Aini" for "Nuraini"): the
  // registry indexes joined words, so asking with them joined finds those.
  const std::vector<std::string> words = absl::StrSplit(name, ' ', absl::SkipEmpty());
  const bool whole_name_found = std::any_of(found.begin(), found.end(), [&](const EmployeeRef& e) {
    return NameMatch(name, FoldName(e.name)) != SubjectMatch::kPartialName;
  });
  for (size_t i = 0; !whole_name_found && !registry_down && i + 1 < words.size() && i < 4; ++i) {
    std::string joined;
    for (size_t j = 0; j < words.size(); ++j) joined += (j == 0 ? "" : (j == i + 1 ? "" : " ")) + words[j];
    search(joined, "");
  }
  if (registry_down) {
    out.status = ResolutionStatus::kPending;
    out.needs_review = true;
    return out;
  }

  std::vector<SubjectCandidate> candidates;
  int full_in_scope = 0;
  const EmployeeRef* resolved = nullptr;
  for (const EmployeeRef& e : found) {
    SubjectCandidate candidate{e, 0, {}};
    const SubjectMatch name_match = NameMatch(name, FoldName(e.name));
    candidate.matched.push_back(name_match);
    switch (name_match) {
      case SubjectMatch::kFullName: candidate.score = rules.full_name; break;
      case SubjectMatch::kNameSpelling: candidate.score = rules.name_spelling; break;
      case SubjectMatch::kNameSpacing: candidate.score = rules.name_spacing; break;
      default: candidate.score = rules.partial_name; break;
    }
    const std::string their_agency = FoldName(e.agency_name);
    const bool agency_agrees = !agency.empty() && !their_agency.empty() &&
                               (their_agency.find(agency) != std::string::npos ||
                                agency.find(their_agency) != std::string::npos);
    const bool region_agrees = !region.empty() && InRegion(e.work_region_code, region);
    if (agency_agrees) candidate.matched.push_back(SubjectMatch::kAgency), candidate.score += rules.agency;
    if (region_agrees) candidate.matched.push_back(SubjectMatch::kRegion), candidate.score += rules.region;
    const bool in_scope = (agency.empty() || agency_agrees) && (region.empty() || region_agrees);
    if (name_match == SubjectMatch::kFullName && in_scope) ++full_in_scope, resolved = &e;
    candidates.push_back(std::move(candidate));
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  if (candidates.size() > static_cast<size_t>(rules.max_candidates)) candidates.resize(rules.max_candidates);
  // A wrong person must never be picked silently: only one whole-name match
  // within what the report says of agency and region resolves.
  const bool scoped = !agency.empty() || !region.empty() || rules.name_alone_resolves;
  if (candidates.empty()) {
    out.status = ResolutionStatus::kNotFound;
    out.needs_review = true;
  } else if (full_in_scope == 1 && scoped) {
    out.status = ResolutionStatus::kResolvedByName;
    out.employee = *resolved;
  } else {
    out.status = ResolutionStatus::kAmbiguous;
    out.needs_review = true;
  }
  out.candidates = std::move(candidates);
  return out;
}

bool Unresolved(const SubjectResolution& r) {
  return r.status == ResolutionStatus::kPending || r.status == ResolutionStatus::kNotFound;
}

std::string SubjectKey(const Subject& subject, const SubjectResolution& resolution) {
  if (resolution.employee && !resolution.employee->employee_id.empty()) return "e:" + resolution.employee->employee_id;
  if (!subject.employee_number.empty()) return "e:" + subject.employee_number;
  if (!subject.name.empty()) return "n:" + FoldName(subject.name) + "|" + subject.region_code;
  return "";
}

std::string RefoldedSubjectKey(std::string_view stored_key) {
  // "n:<folded name>|<region code>"; region codes hold no '|'.
  const size_t bar = stored_key.rfind('|');
  if (stored_key.substr(0, 2) != "n:" || bar == std::string_view::npos) return std::string(stored_key);
  return "n:" + FoldName(stored_key.substr(2, bar - 2)) + std::string(stored_key.substr(bar));
}

std::string SubjectMatchingMarkdown(const SubjectMatching& rules) {
  auto number = [](double x) { return absl::StrFormat("%g", x); };
  auto listed = [](std::span<const std::string_view> words) {
    std::string out;
    for (auto w : words) out += (out.empty() ? "`" : ", `") + std::string(w) + "`";
    return out;
  };
  std::string spellings;
  for (const auto& rule : kOldSpellings) {
    spellings += (spellings.empty() ? "" : ", ") + std::string(rule.old_spelling) + " -> " + std::string(rule.eyd);
  }
  return "\n"
         "## Who the report is about\n"
         "\n"
         "Names are compared in one normal form, the registry's search index and this service alike\n"
         "(`FoldName`, `common/names.h`): Unicode NFKC, case folded and combining marks removed\n"
         "(utf8proc), so composed, decomposed, full-width and compatibility forms meet;\n"
         "apostrophes removed (\"Ma'ruf\", \"Ma\u2019ruf\", \"Ma`ruf\" are \"maruf\"); every other character that\n"
         "is not a letter or digit separates words (\"Nur-Aini\" is \"nur aini\"); titles before the name\n"
         "(" + listed(kNameTitles) + ", written with or without dots; a one-letter one only with its dot) and degrees after it\n"
         "(" + listed(kNameDegrees) + ") removed, never the last word.\n"
         "A second key, the spelling key (`SpellingKey`), writes old Indonesian spellings as EYD\n"
         "(" + spellings + ") and j and y as one letter, so Soekarno meets Sukarno, Djoko Joko and\n"
         "Tjahjo Cahyo. The registry indexes each name's words, their spelling keys and each two\n"
         "neighbouring words joined (\"Nuraini\" finds \"Nur Aini\"); a query's word matches the start of\n"
         "any of them, in its own form or its spelling key.\n"
         "\n"
         "A subject given by number is resolved when the registry has the number. A subject given\n"
         "by name is looked up in the registry (everywhere and within the report's region, at most\n"
         "" + std::to_string(rules.search_limit) + " each; again with two words joined when no whole name was found) and\n"
         "every employee found is scored: the name's match (whole name " + number(rules.full_name) + ", the same in the other\n"
         "spelling " + number(rules.name_spelling) + " or spacing " + number(rules.name_spacing) + ", some words only " +
         number(rules.partial_name) + ") plus the agency (" + number(rules.agency) + ", when\n"
         "the report's agency name and the employee's contain one another) plus the region (" + number(rules.region) + ",\n"
         "the employee works in the report's kab/kota). The subject is resolved by name only when\n"
         "exactly one employee's whole name matches within the reported agency and region (those\n"
         "named in the report; " + std::string(rules.name_alone_resolves ? "a name alone, with neither, may resolve" : "a name alone, with neither, never resolves") + ").\n"
         "Anything weaker (some words of the name, the other spelling or spacing, another agency or\n"
         "region, two people of the same name) leaves the subject AMBIGUOUS with its candidates (at\n"
         "most " + std::to_string(rules.max_candidates) + ", best first, each with its score and `matched`) and the complaint flagged\n"
         "(`needs_subject_review`); a person confirms one with `COMPLAINT_ACTION_RESOLVE_SUBJECT`,\n"
         "recorded in the history with the actor, the status it replaced and whether the employee was\n"
         "a candidate. The numbers are data: `data/subject_matching.json`, read at start.\n";
}

}  // namespace netra::complaint

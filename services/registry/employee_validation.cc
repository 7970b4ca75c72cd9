// Validation of employees: field checks, the canonical content hash, and
// EmployeeDirectory's Validate/Prepare. The directory's operations are in
// employees.cc.
#include "services/registry/employee_validation.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "absl/container/inlined_vector.h"
#include "common/digest.h"
#include "common/names.h"

namespace netra::registry {

using namespace employee_fields;

namespace employee_fields {

bool IsCodeChar(char c, std::string_view extra) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         extra.find(c) != std::string_view::npos;
}

bool AllCodeChars(std::string_view text, std::string_view extra) {
  for (char c : text) {
    if (!IsCodeChar(c, extra)) return false;
  }
  return true;
}

// A code field: `min`..`max` ASCII characters of [A-Za-z0-9] plus `extra`.
void CheckCode(Violations& v, const std::string& field, std::string_view text, size_t min, size_t max,
               std::string_view extra) {
  if (text.empty()) {
    if (min > 0) v.Add(field, ViolationReason::kRequired, "is required");
    return;
  }
  if (text.size() > max) {
    v.Add(field, ViolationReason::kTooLong, "must be at most " + std::to_string(max) + " characters");
  } else if (!AllCodeChars(text, extra)) {
    v.Add(field, ViolationReason::kInvalidFormat,
          "may contain only A-Z, a-z, 0-9 and " + std::string(extra));
  }
}

// A text field of an employee: one line of text (no control characters).
void CheckLine(Violations& v, const std::string& field, std::string_view text, size_t max, bool required) {
  CheckText(text, field, required, static_cast<int>(max), v, ControlCharacters::kRefused);
}

std::optional<absl::CivilDay> CheckDate(Violations& v, const std::string& field, const DateValue& date,
                                        bool required, std::optional<absl::CivilDay> not_after) {
  if (date.empty()) {
    if (required) v.Add(field, ViolationReason::kRequired, "is required");
    return std::nullopt;
  }
  const absl::CivilDay day(date.year, date.month, date.day);
  if (date.year < 1900 || date.year > 9999 || date.month < 1 || date.month > 12 || date.day < 1 ||
      day.year() != date.year || day.month() != date.month || day.day() != date.day) {
    v.Add(field, ViolationReason::kOutOfRange, "is not a real calendar date from the year 1900 on");
    return std::nullopt;
  }
  if (not_after && day > *not_after) {
    v.Add(field, ViolationReason::kOutOfRange, "must not be in the future");
    return std::nullopt;
  }
  return day;
}

}  // namespace employee_fields

namespace {

bool IsRank(std::string_view rank) {
  static constexpr std::array<std::string_view, 17> kRanks = {
      "I/a",   "I/b",   "I/c",   "I/d",   "II/a", "II/b", "II/c", "II/d", "III/a",
      "III/b", "III/c", "III/d", "IV/a",  "IV/b", "IV/c", "IV/d", "IV/e"};
  for (auto r : kRanks) {
    if (r == rank) return true;
  }
  return false;
}

std::optional<Gender> ToGender(int gender) {
  if (gender == 1) return Gender::kMale;
  if (gender == 2) return Gender::kFemale;
  return std::nullopt;
}

// What a client supplies, in one canonical string: equal strings mean an
// upsert would change nothing (output-only fields and the NIK excluded). The
// stored hashes are SHA-256 of exactly these bytes. Built in a per-thread
// buffer and hashed by a per-thread context: an import hashes every row.
std::string ContentHash(const Employee& e) {
  thread_local std::string s;
  thread_local Sha256 sha;
  s.clear();
  auto add = [](std::string_view part) {
    char digits[24];
    s.append(digits, std::to_chars(digits, digits + sizeof digits, part.size()).ptr);
    s += ':';
    s += part;
  };
  auto add_number = [&add](int64_t number) {
    char digits[24];
    add(std::string_view(digits, std::to_chars(digits, digits + sizeof digits, number).ptr - digits));
  };
  add_number(e.employee_type);
  add(e.nip);
  add(e.ni_pppk);
  add(e.agency_staff_id);
  add(e.name);
  add_number(e.gender);
  add_number(e.birth_date.year * 10000 + e.birth_date.month * 100 + e.birth_date.day);
  for (const auto* field : {&e.agency_code, &e.agency_name, &e.unit_code, &e.unit_name, &e.position, &e.rank,
                            &e.work_region_code, &e.ppk.code, &e.ppk.name, &e.ppk.region_code}) {
    add(*field);
  }
  add_number(static_cast<int>(e.employment_status));
  return sha.Update(s).Finish();
}

// The field paths of an employee under one prefix ("employee" ->
// "employee.nip"), for the checks that run on every row whether or not they
// find a problem; built once per prefix and thread, not per row.
struct EmployeePaths {
  explicit EmployeePaths(std::string_view p)
      : prefix(p), nip(Path(p, "nip")), ni_pppk(Path(p, "ni_pppk")), agency_staff_id(Path(p, "agency_staff_id")),
        name(Path(p, "name")), birth_date(Path(p, "birth_date")), agency_code(Path(p, "agency_code")),
        agency_name(Path(p, "agency_name")), unit_code(Path(p, "unit_code")), unit_name(Path(p, "unit_name")),
        position(Path(p, "position")), work_region_code(Path(p, "work_region_code")), ppk_code(Path(p, "ppk.code")),
        ppk_name(Path(p, "ppk.name")), ppk_region_code(Path(p, "ppk.region_code")) {}
  std::string prefix, nip, ni_pppk, agency_staff_id, name, birth_date, agency_code, agency_name, unit_code,
      unit_name, position, work_region_code, ppk_code, ppk_name, ppk_region_code;
};

const EmployeePaths& PathsUnder(const std::string& prefix) {
  thread_local std::optional<EmployeePaths> last;
  if (!last || last->prefix != prefix) last.emplace(prefix);
  return *last;
}

}  // namespace

void CheckEmployeeId(Violations& v, const std::string& field, const std::string& id) {
  if (id.empty()) {
    v.Add(field, ViolationReason::kRequired, "is required");
    return;
  }
  auto colon = id.find(':');
  bool ok;
  if (colon == std::string::npos) {
    ok = id.size() == 18 && AllCodeChars(id, "") && id.find_first_not_of("0123456789") == std::string::npos;
  } else {
    std::string_view agency(id.data(), colon), staff(id.data() + colon + 1, id.size() - colon - 1);
    ok = !agency.empty() && agency.size() <= kMaxCode && AllCodeChars(agency, "._-") && !staff.empty() &&
         staff.size() <= kMaxCode && AllCodeChars(staff, "._/-");
  }
  if (!ok) {
    v.Add(field, ViolationReason::kInvalidFormat,
          "must be an 18-digit NIP / NI PPPK or <agency_code>:<agency_staff_id>");
  }
}

std::optional<size_t> CountCodePoints(std::string_view text) {
  const int count = Utf8Length(text, ControlCharacters::kRefused);
  if (count < 0) return std::nullopt;
  return static_cast<size_t>(count);
}

namespace {
// Appends the words of a folded name to `words`: runs of letters, digits and
// non-ASCII bytes; anything else separates them.
template <typename Words>
void SplitNameWords(std::string_view name_key, Words& words) {
  auto token_char = [](char c) { return static_cast<unsigned char>(c) >= 0x80 || IsCodeChar(c, ""); };
  for (size_t i = 0; i < name_key.size();) {
    if (!token_char(name_key[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < name_key.size() && token_char(name_key[end])) ++end;
    words.push_back(name_key.substr(i, end - i));
    i = end;
  }
}
}  // namespace

std::vector<std::string> NameTokens(std::string_view name_key) {
  std::vector<std::string_view> words;
  SplitNameWords(name_key, words);
  std::vector<std::string> tokens;
  auto add = [&](std::string token) {
    if (tokens.size() < kMaxNameTokens && std::find(tokens.begin(), tokens.end(), token) == tokens.end()) {
      tokens.push_back(std::move(token));
    }
  };
  for (std::string_view word : words) add(std::string(word));
  for (std::string_view word : words) add(SpellingKey(word));
  for (size_t i = 0; i + 1 < words.size(); ++i) add(std::string(words[i]) + std::string(words[i + 1]));
  return tokens;
}

bool NameKeyMatches(std::string_view name_key, std::span<const std::string> prefixes) {
  if (prefixes.empty()) return true;
  const auto tokens = NameTokens(name_key);
  return std::all_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
    const std::string spelled = SpellingKey(prefix);
    return std::any_of(tokens.begin(), tokens.end(),
                       [&](const std::string& t) { return t.starts_with(prefix) || t.starts_with(spelled); });
  });
}

NameMatcher::NameMatcher(std::span<const std::string> prefixes) : prefixes_(prefixes.begin(), prefixes.end()) {
  for (const auto& prefix : prefixes_) spelled_.push_back(SpellingKey(prefix));
}

bool NameMatcher::operator()(std::string_view name_key) const {
  if (prefixes_.empty()) return true;
  absl::InlinedVector<std::string_view, 8> words;
  SplitNameWords(name_key, words);
  // NameTokens keeps at most kMaxNameTokens of a name's 3n - 1 tokens: a
  // name that long is tested on exactly those.
  if (3 * words.size() > kMaxNameTokens) return NameKeyMatches(name_key, prefixes_);
  // Whether the two words joined start with `p`, without joining them.
  auto joined_starts = [](std::string_view a, std::string_view b, std::string_view p) {
    if (p.size() <= a.size()) return a.starts_with(p);
    return p.starts_with(a) && b.starts_with(p.substr(a.size()));
  };
  for (size_t k = 0; k < prefixes_.size(); ++k) {
    const std::string_view prefix = prefixes_[k], spelled = spelled_[k];
    auto starts = [&](std::string_view token) { return token.starts_with(prefix) || token.starts_with(spelled); };
    bool found = std::any_of(words.begin(), words.end(), starts);
    for (size_t i = 0; !found && i + 1 < words.size(); ++i) {
      found = joined_starts(words[i], words[i + 1], prefix) || joined_starts(words[i], words[i + 1], spelled);
    }
    for (size_t i = 0; !found && i < words.size(); ++i) {
      found = SpellingKeyStartsWith(words[i], prefix) || SpellingKeyStartsWith(words[i], spelled);
    }
    if (!found) return false;
  }
  return true;
}

std::string EmployeeDirectory::DeriveId(const Employee& e) {
  switch (e.employee_type) {
    case static_cast<int>(EmployeeType::kPns): return e.nip;
    case static_cast<int>(EmployeeType::kPppk): return e.ni_pppk;
    case static_cast<int>(EmployeeType::kPpnpn): return e.agency_code + ":" + e.agency_staff_id;
  }
  return {};
}

Violations EmployeeDirectory::ValidateRequestId(const std::string& request_id, const std::string& field) {
  Violations v;
  CheckCode(v, field, request_id, 1, 128, "._:-");
  return v;
}

Violations EmployeeDirectory::Validate(Employee& e, const std::string& nik, const std::string& prefix,
                                       const std::string& nik_field) const {
  Violations v;
  const auto path = [&prefix](std::string_view child) { return Path(prefix, child); };  // for problems only
  const EmployeePaths& paths = PathsUnder(prefix);
  const absl::CivilDay today = TodayUtc();

  // Identifier matching the type, and what it says about the person.
  std::optional<absl::CivilDay> id_birth;
  std::optional<Gender> id_gender;
  bool id_ok = false;
  const bool type_known = e.employee_type >= 1 && e.employee_type <= 3;
  if (e.employee_type == 0) {
    v.Add(path("employee_type"), ViolationReason::kRequired, "is required");
  } else if (!type_known) {
    v.Add(path("employee_type"), ViolationReason::kOutOfRange, "unknown employee type");
  }
  if (type_known) {
    const auto type = static_cast<EmployeeType>(e.employee_type);
    struct Slot {
      EmployeeType type;
      const std::string* value;
      const char* name;
    };
    const Slot slots[] = {{EmployeeType::kPns, &e.nip, "nip"},
                          {EmployeeType::kPppk, &e.ni_pppk, "ni_pppk"},
                          {EmployeeType::kPpnpn, &e.agency_staff_id, "agency_staff_id"}};
    for (const auto& slot : slots) {
      if (slot.type != type && !slot.value->empty()) {
        v.Add(path(slot.name), ViolationReason::kInconsistent,
              std::string("does not identify this employee_type; use ") + slots[e.employee_type - 1].name);
      }
    }
    if (type == EmployeeType::kPns) {
      if (auto info = ParseNip(e.nip, paths.nip, v, today)) {
        id_birth = info->birth_date, id_gender = info->gender, id_ok = true;
      }
    } else if (type == EmployeeType::kPppk) {
      if (auto info = ParseNiPppk(e.ni_pppk, paths.ni_pppk, v, today)) {
        id_birth = info->birth_date, id_gender = info->gender, id_ok = true;
      }
    } else {
      size_t before = v.size();
      CheckCode(v, paths.agency_staff_id, e.agency_staff_id, 1, kMaxCode, "._/-");
      id_ok = v.size() == before;
    }
  }

  CheckLine(v, paths.name, e.name, kMaxName, true);
  auto gender = ToGender(e.gender);
  if (e.gender == 0) {
    v.Add(path("gender"), ViolationReason::kRequired, "is required");
  } else if (!gender) {
    v.Add(path("gender"), ViolationReason::kOutOfRange, "unknown gender");
  } else if (id_gender && *id_gender != *gender) {
    v.Add(path("gender"), ViolationReason::kInconsistent, "does not agree with the gender digit of the identifier");
  }
  auto birth = CheckDate(v, paths.birth_date, e.birth_date, true, today);
  if (birth && id_birth && *birth != *id_birth) {
    v.Add(paths.birth_date, ViolationReason::kInconsistent, "does not agree with the birth date in the identifier");
  }

  size_t before_agency = v.size();
  CheckCode(v, paths.agency_code, e.agency_code, 1, kMaxCode, "._-");
  const bool agency_ok = v.size() == before_agency;
  CheckLine(v, paths.agency_name, e.agency_name, kMaxText, true);
  CheckCode(v, paths.unit_code, e.unit_code, 0, kMaxUnitCode, "._-");
  CheckLine(v, paths.unit_name, e.unit_name, kMaxText, false);
  CheckLine(v, paths.position, e.position, kMaxText, false);
  if (!e.rank.empty()) {
    if (type_known && e.employee_type != static_cast<int>(EmployeeType::kPns)) {
      v.Add(path("rank"), ViolationReason::kInconsistent, "only a PNS has a rank");
    } else if (!IsRank(e.rank)) {
      v.Add(path("rank"), ViolationReason::kInvalidFormat, "must be one of I/a..I/d, II/a..II/d, III/a..III/d, IV/a..IV/e");
    }
  }

  const std::string& region_field = paths.work_region_code;
  if (auto level = ParseRegionCode(e.work_region_code, region_field, v)) {
    if (*level != RegionLevel::kRegency) {
      v.Add(region_field, ViolationReason::kInvalidFormat, "must be a kabupaten/kota code NN.NN");
    } else if (!regions_.Find(e.work_region_code)) {
      v.Add(region_field, ViolationReason::kNotFound, "no such kabupaten/kota in the region data");
    }
  }
  const int status = static_cast<int>(e.employment_status);
  if (status < 0 || status > 4) v.Add(path("employment_status"), ViolationReason::kOutOfRange, "unknown employment status");

  if (!e.ppk.code.empty() || !e.ppk.name.empty() || !e.ppk.region_code.empty()) {
    CheckCode(v, paths.ppk_code, e.ppk.code, 1, kMaxPpkCode, "._:-");
    CheckLine(v, paths.ppk_name, e.ppk.name, kMaxText, false);
    if (!e.ppk.region_code.empty()) {
      const std::string& field = paths.ppk_region_code;
      if (auto level = ParseRegionCode(e.ppk.region_code, field, v)) {
        if (*level == RegionLevel::kDistrict) {
          v.Add(field, ViolationReason::kInvalidFormat, "must be a province NN or kabupaten/kota NN.NN code");
        } else if (!regions_.Find(e.ppk.region_code)) {
          v.Add(field, ViolationReason::kNotFound, "no such region in the region data");
        }
      }
    }
  }

  if (!nik.empty()) {
    if (auto info = ParseNik(nik, nik_field, v, today)) {
      if (birth && gender && !NikMatchesPerson(*info, *birth, *gender)) {
        v.Add(nik_field, ViolationReason::kInconsistent,
              "the birth date or gender in the NIK does not agree with birth_date and gender");
      }
    }
  }

  if (id_ok && (e.employee_type != static_cast<int>(EmployeeType::kPpnpn) || agency_ok)) e.employee_id = DeriveId(e);
  return v;
}

std::variant<EmployeeWrite, Violations> EmployeeDirectory::Prepare(Employee employee, const std::string& nik,
                                                                   const std::string& prefix,
                                                                   const std::string& nik_field,
                                                                   std::string nik_hmac) const {
  EmployeeWrite write;
  write.employee = std::move(employee);
  Violations v = PrepareInPlace(write, nik, prefix, nik_field, std::move(nik_hmac));
  if (!v.empty()) return v;
  return write;
}

Violations EmployeeDirectory::PrepareInPlace(EmployeeWrite& write, const std::string& nik, const std::string& prefix,
                                             const std::string& nik_field, std::string nik_hmac) const {
  Employee& employee = write.employee;
  employee.employee_id.clear();
  Violations v = Validate(employee, nik, prefix, nik_field);
  if (!v.empty()) return v;
  if (employee.employment_status == EmploymentStatus::kUnspecified) employee.employment_status = EmploymentStatus::kActive;
  write.content_hash = ContentHash(employee);
  write.name_key = FoldName(employee.name);
  write.nik_hmac.clear();
  if (!nik.empty()) write.nik_hmac = nik_hmac.empty() ? nik_hasher_.Hash(nik) : std::move(nik_hmac);
  return v;
}

}  // namespace netra::registry

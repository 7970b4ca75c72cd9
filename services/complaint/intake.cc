#include "services/complaint/intake.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "common/digest.h"
#include "common/log.h"
#include "common/random.h"
#include "services/complaint/reporter.h"

namespace netra::complaint {
namespace {

// The range of google.protobuf.Timestamp: 0001-01-01 to 9999-12-31.
const absl::Time kFirstInstant = absl::FromUnixSeconds(-62135596800);
const absl::Time kEndOfInstants = absl::FromUnixSeconds(253402300800);

bool IsLowerHex(std::string_view s, size_t length) {
  return s.size() == length &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool OnlyIdChars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

bool InRegion(std::string_view code, std::string_view prefix) {
  return prefix.empty() || code == prefix ||
         (code.size() > prefix.size() && code.substr(0, prefix.size()) == prefix && code[prefix.size()] == '.');
}

// A region the act or subject refers to: well-formed, kab/kota or kecamatan, and existing.
void CheckRegion(std::string_view code, const std::string& field, const RegionDirectory& regions, bool allow_province,
                 Violations& v) {
  if (code.empty()) return;
  Violations format;
  auto level = ParseRegionCode(code, field, format);
  if (!level) {
    v.Append(format);
  } else if (*level == RegionLevel::kProvince && !allow_province) {
    v.Add(field, ViolationReason::kOutOfRange, "must be a kab/kota (NN.NN) or kecamatan (NN.NN.NN)");
  } else if (!regions.Find(code)) {
    v.Add(field, ViolationReason::kNotFound, "region " + std::string(code) + " does not exist");
  }
}

void CheckReporter(const Reporter& r, const std::string& prefix, bool amendment, Violations& v) {
  if (!amendment) {
    const int kind = static_cast<int>(r.kind);
    if (kind == 0) {
      v.Add(Path(prefix, "kind"), ViolationReason::kRequired, "is required");
    } else if (kind < 0 || kind > kLastReporterKind) {
      v.Add(Path(prefix, "kind"), ViolationReason::kOutOfRange, "is not a known reporter kind");
    }
    if (!r.nik.empty()) {
      Violations nik;  // the parser's descriptions never echo the NIK
      ParseNik(r.nik, Path(prefix, "nik"), nik);
      v.Append(nik);
    }
  }
  CheckText(r.name, Path(prefix, "name"), false, kMaxNameChars, v);
  CheckText(r.address, Path(prefix, "address"), false, kMaxAddressChars, v);
  CheckText(r.contact, Path(prefix, "contact"), false, kMaxNameChars, v);
  CheckText(r.organization, Path(prefix, "organization"), false, kMaxNameChars, v);
}

void CheckSubject(const Subject& s, const std::string& prefix, const RegionDirectory& regions, Violations& v) {
  const std::string& number = s.employee_number;
  const std::string field = Path(prefix, "employee_number");
  if (!number.empty()) {
    if (std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      Violations as_nip, as_pppk;
      bool ok = ParseNip(number, field, as_nip).has_value() || ParseNiPppk(number, field, as_pppk).has_value();
      if (!ok) v.Add(field, ViolationReason::kInvalidFormat, "is neither a valid NIP nor a valid NI PPPK (18 digits)");
    } else {
      CheckId(number, field, false, v);  // a PPNPN's registry id "<agency_code>:<agency_staff_id>"
    }
  }
  CheckText(s.name, Path(prefix, "name"), false, kMaxNameChars, v);
  CheckText(s.agency_name, Path(prefix, "agency_name"), false, kMaxNameChars, v);
  CheckText(s.position, Path(prefix, "position"), false, kMaxNameChars, v);
  CheckRegion(s.region_code, Path(prefix, "region_code"), regions, true, v);
}

void CheckViolationCodes(const std::vector<std::string>& list, const std::string& field, const ViolationCodes& codes,
                         bool required, Violations& v) {
  if (list.empty()) {
    if (required) v.Add(field, ViolationReason::kRequired, "needs at least one violation code");
    return;
  }
  if (list.size() > static_cast<size_t>(kMaxViolationCodes)) {
    v.Add(field, ViolationReason::kTooLong, "holds more than 20 codes");
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = field + "[" + std::to_string(i) + "]";
    const std::string& code = list[i];
    if (code.empty() || code.size() > 16 || !OnlyIdChars(code)) {
      v.Add(path, ViolationReason::kInvalidFormat, "is not a violation code");
    } else if (!codes.Contains(code)) {
      v.Add(path, ViolationReason::kNotFound, "violation code " + code + " is not in the catalog");
    } else if (!seen.insert(code).second) {
      v.Add(path, ViolationReason::kInconsistent, "repeats violation code " + code);
    }
  }
}

void CheckAct(const Act& a, const std::string& prefix, const RegionDirectory& regions, const ViolationCodes& codes,
              absl::Time now, bool amendment, Violations& v) {
  if (!amendment) {
    const std::string field = Path(prefix, "election_id");
    if (a.election_id.empty()) {
      v.Add(field, ViolationReason::kRequired, "is required");
    } else if (a.election_id.size() > 64 || !std::all_of(a.election_id.begin(), a.election_id.end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
               })) {
      v.Add(field, ViolationReason::kInvalidFormat, "must be 1-64 characters of a-z, 0-9 and '-'");
    }
  }
  CheckViolationCodes(a.violation_codes, Path(prefix, "violation_codes"), codes, !amendment, v);
  const size_t before = v.size();
  CheckInstant(a.occurred_time, Path(prefix, "occurred_time"), now, v);
  CheckInstant(a.known_time, Path(prefix, "known_time"), now, v);
  // Their order is checked only when each is fine on its own (one problem, one violation).
  if (v.size() == before && a.occurred_time && a.known_time && *a.known_time < *a.occurred_time) {
    v.Add(Path(prefix, "known_time"), ViolationReason::kInconsistent, "is before occurred_time");
  }
  CheckRegion(a.region_code, Path(prefix, "region_code"), regions, false, v);
  CheckText(a.place, Path(prefix, "place"), false, kMaxPlaceChars, v);
  CheckText(a.description, Path(prefix, "description"), false, kMaxDescriptionChars, v);
  if (a.source_urls.size() > static_cast<size_t>(kMaxSourceUrls)) {
    v.Add(Path(prefix, "source_urls"), ViolationReason::kTooLong, "holds more than 20 URLs");
  } else {
    for (size_t i = 0; i < a.source_urls.size(); ++i) {
      const std::string path = Path(prefix, "source_urls") + "[" + std::to_string(i) + "]";
      const std::string& url = a.source_urls[i];
      Violations text;
      CheckText(url, path, true, kMaxUrlChars, text);
      if (!text.empty()) {
        v.Append(text);
      } else if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        v.Add(path, ViolationReason::kInvalidFormat, "must be an http:// or https:// URL");
      }
    }
  }
}

void CheckEvidenceIds(const std::vector<std::string>& ids, const std::string& field, Violations& v) {
  if (ids.size() > static_cast<size_t>(kMaxEvidence)) {
    v.Add(field, ViolationReason::kTooLong, "a complaint holds at most 50 pieces of evidence");
    return;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!IsLowerHex(ids[i], 64)) {
      v.Add(field + "[" + std::to_string(i) + "]", ViolationReason::kInvalidFormat,
            "is not an evidence id (64 lower-case hex characters)");
    }
  }
}

absl::TimeZone ZoneOf(const Region* region) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(region ? region->time_zone : "Asia/Jakarta", &zone)) absl::LoadTimeZone("Asia/Jakarta", &zone);
  return zone;
}

}  // namespace

// ---------------------------------------------------------------------------
// Tracking codes

bool IsWellFormedTrackingCode(std::string_view code) {
  return code.size() == kTrackingCodeLength &&
         std::all_of(code.begin(), code.end(), [](char c) { return kTrackingAlphabet.find(c) != std::string_view::npos; });
}

std::string NewTrackingCode() {
  std::string code;
  code.reserve(kTrackingCodeLength);
  // Rejection sampling keeps every character equally likely (16 bytes give 10
  // characters with probability > 0.9999; the loop covers the rest).
  const unsigned limit = 256 - 256 % kTrackingAlphabet.size();
  while (code.size() < kTrackingCodeLength) {
    for (unsigned char b : RandomBytes(16)) {
      if (b < limit && code.size() < kTrackingCodeLength) code += kTrackingAlphabet[b % kTrackingAlphabet.size()];
    }
  }
  return code;
}

std::string NewComplaintId() {
  return "c-" + RandomHex(12);  // 96 random bits: no collision to guard against
}

// ---------------------------------------------------------------------------
// Catalog codes

Result<ViolationCodes> ViolationCodes::FromCatalogJson(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  std::map<std::string, std::string, std::less<>> categories;
  if (!json.is_discarded() && json.is_object() && json.contains("violation_types") &&
      json["violation_types"].is_array()) {
    for (const auto& type : json["violation_types"]) {
      if (!type.is_object() || !type.contains("code") || !type["code"].is_string()) continue;
      std::string category = type.contains("category") && type["category"].is_string()
                                 ? type["category"].get<std::string>()
                                 : std::string("unknown");
      std::transform(category.begin(), category.end(), category.begin(), [](unsigned char c) { return std::tolower(c); });
      if (category != "ethics" && category != "discipline") category = "unknown";
      categories[type["code"].get<std::string>()] = category;
    }
  }
  if (categories.empty()) return Error::Internal("the violation catalog has no violation types");
  return ViolationCodes(std::move(categories));
}

std::string ViolationCodes::CategoryOf(const std::vector<std::string>& codes) const {
  std::string category;
  for (const auto& code : codes) {
    auto it = categories_.find(code);
    std::string c = it == categories_.end() ? "unknown" : it->second;
    if (category.empty()) category = c;
    if (category != c) return "unknown";
  }
  return category.empty() ? "unknown" : category;
}

ViolationCatalogSource::ViolationCatalogSource(ViolationCodes shipped, Fetch fetch, std::chrono::milliseconds ttl)
    : fetch_(std::move(fetch)), ttl_(ttl), current_(std::make_shared<const ViolationCodes>(std::move(shipped))) {}

std::shared_ptr<const ViolationCodes> ViolationCatalogSource::Current() {
  std::unique_lock lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!fetch_ || fetching_ || now - checked_ < ttl_) return current_;
  fetching_ = true;
  lock.unlock();
  std::optional<ViolationCodes> fetched;
  try {
    fetched = fetch_();
  } catch (const std::exception& e) {
    log::Warn("violation catalog fetch failed", {{"error", e.what()}});
  }
  lock.lock();
  fetching_ = false;
  checked_ = now;
  if (fetched) {
    current_ = std::make_shared<const ViolationCodes>(std::move(*fetched));
    if (std::exchange(failing_, false)) log::Info("violation catalog fetched again");
  } else if (!std::exchange(failing_, true)) {
    log::Warn("violation catalog cannot be fetched (redis and the sanction service); keeping the last one");
  }
  return current_;
}

// ---------------------------------------------------------------------------
// Rules

void CheckId(std::string_view id, const std::string& field, bool required, Violations& v) {
  if (id.empty()) {
    if (required) v.Add(field, ViolationReason::kRequired, "is required");
  } else if (id.size() > 128) {
    v.Add(field, ViolationReason::kTooLong, "is longer than 128 characters");
  } else if (!OnlyIdChars(id)) {
    v.Add(field, ViolationReason::kInvalidFormat, "may hold only A-Z, a-z, 0-9 and . _ : -");
  }
}

void CheckInstant(const std::optional<absl::Time>& t, const std::string& field, absl::Time now, Violations& v) {
  if (!t) return;
  if (*t == kMalformedInstant || *t < kFirstInstant || *t >= kEndOfInstants) {
    v.Add(field, ViolationReason::kInvalidFormat, "is not a valid timestamp");
  } else if (*t > now + absl::Minutes(5)) {  // clocks of clients drift a little
    v.Add(field, ViolationReason::kOutOfRange, "is in the future");
  }
}

Violations ValidateSubmission(const SubmitCommand& r, const RegionDirectory& regions, const ViolationCodes& codes,
                              absl::Time now) {
  Violations v;
  if (r.request_bytes > kMaxRequestBytes) {
    v.Add("", ViolationReason::kTooLong, "the request is larger than 1 MiB");
    return v;
  }
  CheckRequestId(r.request_id, "request_id", v);
  const int channel = static_cast<int>(r.channel);
  if (channel < 0 || channel > kLastIntakeChannel) v.Add("channel", ViolationReason::kOutOfRange, "is not a known channel");
  CheckReporter(r.reporter, "reporter", false, v);
  CheckSubject(r.subject, "subject", regions, v);
  CheckAct(r.act, "act", regions, codes, now, false, v);
  CheckEvidenceIds(r.evidence_ids, "evidence_ids", v);
  return v;
}

Violations ValidateTransition(const TransitionCommand& r, const RegionDirectory& regions, const ViolationCodes& codes,
                              absl::Time now) {
  Violations v;
  CheckRequestId(r.request_id, "request_id", v);
  CheckId(r.complaint_id, "complaint_id", true, v);
  const Action action = r.action;
  const int number = static_cast<int>(action);
  if (number == 0) {
    v.Add("action", ViolationReason::kRequired, "is required");
  } else if (number < 0 || number > kLastTransitionAction) {
    v.Add("action", ViolationReason::kOutOfRange, "is not a known action");
  }
  const bool reason_required = action == Action::kReject || action == Action::kDismiss ||
                               action == Action::kWithdraw || action == Action::kExtendHandling ||
                               action == Action::kRequestCompletion;
  CheckText(r.reason, "reason", reason_required, kMaxReasonChars, v);
  if (r.expected_version <= 0) v.Add("expected_version", ViolationReason::kRequired, "is required: the version last read");
  if (action == Action::kComplete) {
    const Amendment& a = r.amendment;
    CheckReporter(a.reporter, "amendment.reporter", true, v);
    CheckSubject(a.subject, "amendment.subject", regions, v);
    CheckAct(a.act, "amendment.act", regions, codes, now, true, v);
    CheckEvidenceIds(a.add_evidence_ids, "amendment.add_evidence_ids", v);
  }
  if (action == Action::kForward) {
    CheckViolationCodes(r.forward.violation_codes, "forward.violation_codes", codes, false, v);
    CheckText(r.forward.review_summary, "forward.review_summary", true, kMaxDescriptionChars, v);
    CheckText(r.forward.review_document_number, "forward.review_document_number", false, kMaxNameChars, v);
  }
  if (action == Action::kResolveSubject) CheckId(r.subject_employee_id, "subject_employee_id", true, v);
  if (action == Action::kComplete || action == Action::kWithdraw) {
    // Whether it is this complaint's is the workflow's to say (ApplyTransition).
    if (r.receipt.empty()) {
      v.Add("receipt", ViolationReason::kRequired, "the reporter's receipt secret is required for this action");
    } else if (r.receipt.size() != kReceiptLength ||
               !std::all_of(r.receipt.begin(), r.receipt.end(), [](char ch) {
                 return kTrackingAlphabet.find(static_cast<char>(std::toupper(static_cast<unsigned char>(ch)))) !=
                        std::string_view::npos;
               })) {
      v.Add("receipt", ViolationReason::kInvalidFormat, "is not a receipt secret (24 characters)");
    }
  }
  return v;
}

Violations ValidateOutcome(const OutcomeCommand& r) {
  Violations v;
  CheckRequestId(r.request_id, "request_id", v);
  CheckId(r.complaint_id, "complaint_id", true, v);
  CheckId(r.case_id, "case_id", true, v);
  if (r.outcome == 0) {
    v.Add("outcome", ViolationReason::kRequired, "is required");
  } else if (r.outcome < 0 || r.outcome > kLastCaseOutcome) {
    v.Add("outcome", ViolationReason::kOutOfRange, "is not a known outcome");
  }
  if (r.level < 0 || r.level > kLastSanctionLevel) v.Add("level", ViolationReason::kOutOfRange, "is not a known level");
  if (r.outcome == kSanctionedOutcome && r.level == 0) v.Add("level", ViolationReason::kRequired, "is required for a sanction");
  if (r.forms.size() > 14) v.Add("forms", ViolationReason::kTooLong, "holds more than 14 forms");
  for (size_t i = 0; i < r.forms.size() && i < 14; ++i) {
    if (r.forms[i] <= 0 || r.forms[i] > kLastSanctionForm) {
      v.Add("forms[" + std::to_string(i) + "]", ViolationReason::kOutOfRange, "is not a known sanction form");
    }
  }
  CheckText(r.decree_number, "decree_number", true, kMaxNameChars, v);
  CheckText(r.decided_by, "decided_by", false, kMaxNameChars, v);
  if (!r.decree_date) {
    v.Add("decree_date", ViolationReason::kRequired, "is required");
  } else if (Violations date_problems; !CheckDate(*r.decree_date, "decree_date", date_problems)) {
    // One violation on the field, as this RPC has always reported it.
    v.Add("decree_date", ViolationReason::kInvalidFormat, "is not a calendar day");
  }
  if (r.case_version < 0) v.Add("case_version", ViolationReason::kOutOfRange, "must not be negative");
  if (r.expected_version < 0) v.Add("expected_version", ViolationReason::kOutOfRange, "must not be negative");
  return v;
}

std::vector<Requirement> MissingRequirements(const Complaint& c) {
  std::vector<Requirement> out;
  if (c.reporter.name.empty()) out.push_back(Requirement::kReporterName);
  // A finding is Bawaslu's own: its office is known.
  if (c.reporter.address.empty() && c.reporter.kind != ReporterKind::kBawasluFinding) {
    out.push_back(Requirement::kReporterAddress);
  }
  if (c.subject.employee_number.empty() && c.subject.name.empty()) out.push_back(Requirement::kSubject);
  if (!c.act.occurred_time) out.push_back(Requirement::kOccurredTime);
  if (c.act.region_code.empty() || c.act.place.empty()) out.push_back(Requirement::kPlace);
  if (c.act.description.empty()) out.push_back(Requirement::kDescription);
  if (c.evidence.empty()) out.push_back(Requirement::kEvidence);
  return out;
}

std::optional<Deadline> RuleDeadline(absl::Time event, const DeadlineRule& rule, const ElectionTerms& election,
                                     const Region* region) {
  if (rule.days <= 0) return std::nullopt;
  std::vector<absl::CivilDay> days_off;
  const std::string region_code = region ? region->code : "";
  for (const auto& holiday : election.holidays) {
    // A holiday of "33" covers "33", "33.01" and "33.01.02"; an empty region: nationwide.
    if (holiday.region_code.empty() || InRegion(region_code, holiday.region_code)) days_off.push_back(holiday.day);
  }
  return ComputeDeadline(event, rule, ZoneOf(region), HolidayCalendar(std::move(days_off)));
}

std::optional<Deadline> ReportDeadline(const Complaint& c, const ElectionTerms& election, const Region* region) {
  const absl::Time known = c.act.known_time.value_or(c.received_time);
  const bool finding = c.reporter.kind == ReporterKind::kBawasluFinding;
  if (!finding && election.quiet_period_report_window_hours > 0 && election.quiet_period_start && election.voting_day) {
    const absl::TimeZone zone = ZoneOf(region);
    const absl::CivilDay day = LocalDay(known, zone);
    if (day >= *election.quiet_period_start && day <= *election.voting_day) {
      // 1x24 h during the quiet period and voting: an exact instant, not a day (no rule).
      const absl::Time due = known + absl::Hours(election.quiet_period_report_window_hours);
      return Deadline{LocalDay(due, zone), due, zone.name(), DeadlineRule{0, DayCounting::kUnspecified}};
    }
  }
  return RuleDeadline(known, finding ? election.finding_window : election.report_window, election, region);
}

Error RegistryFailure(const Error& error, const std::string& field, const std::string& what) {
  if (error.kind == Error::Kind::kNotFound) {
    Violations v;
    v.Add(field, ViolationReason::kNotFound, what + " does not exist");
    return Error::Invalid(std::move(v));
  }
  if (error.kind == Error::Kind::kInvalidArgument) {
    Violations v;
    for (const auto& violation : error.violations.list()) v.Add(field, violation.reason, violation.description);
    return Error::Invalid(std::move(v));
  }
  return error;
}

NewReport BuildReport(const SubmitCommand& command, std::vector<Evidence> evidence, SubjectResolution resolution,
                      const ElectionTerms& election, const RegionDirectory& regions, const ViolationCodes& codes,
                      absl::Time now) {
  NewReport out;
  Complaint& c = out.complaint;
  c.complaint_id = NewComplaintId();
  c.tracking_code = NewTrackingCode();
  c.channel = command.channel == IntakeChannel::kUnspecified ? IntakeChannel::kPublicPortal : command.channel;
  c.reporter = command.reporter;
  c.reporter.nik.clear();
  c.reporter.sealed = false;
  c.reporter.nik_on_file = !command.reporter.nik.empty();
  c.subject = command.subject;
  c.act = command.act;
  c.evidence = std::move(evidence);
  c.received_time = now;
  c.update_time = now;
  c.version = 1;
  c.subject_resolution = std::move(resolution);

  const Region* region = regions.Find(c.act.region_code);
  c.missing_requirements = MissingRequirements(c);
  if (auto report = ReportDeadline(c, election, region)) {
    c.deadlines.report = *report;
    c.late = report->due_time < now;
  }
  if (c.missing_requirements.empty()) {
    c.status = Status::kReceived;
  } else {
    c.status = Status::kIncomplete;
    c.deadlines.completion = RuleDeadline(now, election.completion, election, region);
  }
  out.subject_key = SubjectKey(c.subject, c.subject_resolution);
  out.violation_codes = c.act.violation_codes;
  std::sort(out.violation_codes.begin(), out.violation_codes.end());
  out.province = regions.ProvinceOf(c.act.region_code);
  if (out.province.empty()) out.province = "unknown";
  out.category = codes.CategoryOf(c.act.violation_codes);
  return out;
}

}  // namespace netra::complaint

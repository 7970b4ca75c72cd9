#include "services/complaint/complaints.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/rand.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "common/digest.h"
#include "common/identifiers.h"
#include "common/log.h"
#include "common/paging.h"
#include "netra/v1/sanction.pb.h"
#include "absl/strings/numbers.h"

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;

constexpr std::chrono::seconds kStatusCacheTtl{30};
constexpr std::chrono::hours kRequestCacheTtl{24};
constexpr int kMaxCandidates = 10;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(ts));
}
google::protobuf::Timestamp Stamp(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(Micros(t)); }

std::string EncodeStatus(const PublicStatus& s) {
  return nlohmann::json{{"s", static_cast<int>(s.status)}, {"r", s.received_micros}, {"u", s.updated_micros}}.dump();
}

std::optional<PublicStatus> DecodeStatus(const std::string& code, const std::string& text) {
  // Whatever is in Redis is checked before use: get<>() on a value of the wrong type would throw.
  auto json = nlohmann::json::parse(text, nullptr, false);
  auto integer = [&json](const char* key) { return json.contains(key) && json[key].is_number_integer(); };
  if (json.is_discarded() || !json.is_object() || !integer("s") || !integer("r") || !integer("u")) return std::nullopt;
  int64_t status = json["s"].get<int64_t>();
  if (status < 1 || status > v1::COMPLAINT_STATUS_DISMISSED) return std::nullopt;
  return PublicStatus{code, static_cast<Status>(status), json["r"].get<int64_t>(), json["u"].get<int64_t>()};
}

Error ReusedRequestId() {
  Violations v;
  v.Add("request_id", ViolationReason::kInconsistent, "was used before with different request content");
  return Error::Invalid(std::move(v));
}

// The first answer to a submission under the same request_id, if its content
// (request_hash) was the same; INVALID_ARGUMENT on request_id if not.
Result<v1::SubmitComplaintResponse> ReplaySubmission(const std::string& recorded_hash, const std::string& response,
                                                     const std::string& request_hash) {
  if (recorded_hash != request_hash) return ReusedRequestId();
  v1::SubmitComplaintResponse out;
  out.ParseFromString(response);
  return out;
}

// The first response recorded under a request id (Transition and RecordOutcome
// responses have the same shape: field 1 is the complaint), or nullopt.
std::optional<Result<v1::Complaint>> Replay(ComplaintStore& store, std::string_view method,
                                            const std::string& request_id, const std::string& request_hash) {
  auto recorded = store.FindRequest(method, request_id);
  if (!recorded) return std::nullopt;
  if (recorded->request_hash != request_hash) return Result<v1::Complaint>(ReusedRequestId());
  v1::TransitionComplaintResponse response;
  response.ParseFromString(recorded->response);
  return Result<v1::Complaint>(response.complaint());
}

bool ValidTimestamp(const google::protobuf::Timestamp& ts) {
  return ts.seconds() >= TimeUtil::kTimestampMinSeconds && ts.seconds() <= TimeUtil::kTimestampMaxSeconds &&
         ts.nanos() >= 0 && ts.nanos() < 1000000000;
}

bool IsLowerHex(std::string_view s, size_t length) {
  return s.size() == length &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool OnlyIdChars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

// An id of a resource the client refers to: 1-128 chars of [A-Za-z0-9._:-].
void CheckId(std::string_view id, const std::string& field, bool required, Violations& v) {
  if (id.empty()) {
    if (required) v.Add(field, ViolationReason::kRequired, "is required");
  } else if (id.size() > 128) {
    v.Add(field, ViolationReason::kTooLong, "is longer than 128 characters");
  } else if (!OnlyIdChars(id)) {
    v.Add(field, ViolationReason::kInvalidFormat, "may hold only A-Z, a-z, 0-9 and . _ : -");
  }
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

void CheckTime(const google::protobuf::Timestamp& ts, bool set, const std::string& field, absl::Time now,
               Violations& v) {
  if (!set) return;
  if (!ValidTimestamp(ts)) {
    v.Add(field, ViolationReason::kInvalidFormat, "is not a valid timestamp");
  } else if (TimeOf(ts) > now + absl::Minutes(5)) {  // clocks of clients drift a little
    v.Add(field, ViolationReason::kOutOfRange, "is in the future");
  }
}

void CheckReporter(const v1::Reporter& r, const std::string& prefix, bool amendment, Violations& v) {
  if (!amendment) {
    if (r.kind() == v1::REPORTER_KIND_UNSPECIFIED) {
      v.Add(Path(prefix, "kind"), ViolationReason::kRequired, "is required");
    } else if (!v1::ReporterKind_IsValid(r.kind())) {
      v.Add(Path(prefix, "kind"), ViolationReason::kOutOfRange, "is not a known reporter kind");
    }
    if (!r.nik().empty()) {
      Violations nik;  // the parser's descriptions never echo the NIK
      ParseNik(r.nik(), Path(prefix, "nik"), nik);
      v.Append(nik);
    }
  }
  CheckText(r.name(), Path(prefix, "name"), false, kMaxNameChars, v);
  CheckText(r.address(), Path(prefix, "address"), false, kMaxAddressChars, v);
  CheckText(r.contact(), Path(prefix, "contact"), false, kMaxNameChars, v);
  CheckText(r.organization(), Path(prefix, "organization"), false, kMaxNameChars, v);
}

void CheckSubject(const v1::Subject& s, const std::string& prefix, const RegionDirectory& regions, Violations& v) {
  const std::string& number = s.employee_number();
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
  CheckText(s.name(), Path(prefix, "name"), false, kMaxNameChars, v);
  CheckText(s.agency_name(), Path(prefix, "agency_name"), false, kMaxNameChars, v);
  CheckText(s.position(), Path(prefix, "position"), false, kMaxNameChars, v);
  CheckRegion(s.region_code(), Path(prefix, "region_code"), regions, true, v);
}

void CheckViolationCodes(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& field,
                         const ViolationCodes& codes, bool required, Violations& v) {
  if (list.empty()) {
    if (required) v.Add(field, ViolationReason::kRequired, "needs at least one violation code");
    return;
  }
  if (list.size() > kMaxViolationCodes) {
    v.Add(field, ViolationReason::kTooLong, "holds more than 20 codes");
    return;
  }
  std::set<std::string> seen;
  for (int i = 0; i < list.size(); ++i) {
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

void CheckAct(const v1::Act& a, const std::string& prefix, const RegionDirectory& regions, const ViolationCodes& codes,
              absl::Time now, bool amendment, Violations& v) {
  if (!amendment) {
    const std::string field = Path(prefix, "election_id");
    if (a.election_id().empty()) {
      v.Add(field, ViolationReason::kRequired, "is required");
    } else if (a.election_id().size() > 64 || !std::all_of(a.election_id().begin(), a.election_id().end(), [](char c) {
                 return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
               })) {
      v.Add(field, ViolationReason::kInvalidFormat, "must be 1-64 characters of a-z, 0-9 and '-'");
    }
  }
  CheckViolationCodes(a.violation_codes(), Path(prefix, "violation_codes"), codes, !amendment, v);
  const size_t before = v.size();
  CheckTime(a.occurred_time(), a.has_occurred_time(), Path(prefix, "occurred_time"), now, v);
  CheckTime(a.known_time(), a.has_known_time(), Path(prefix, "known_time"), now, v);
  // Their order is checked only when each is fine on its own (one problem, one violation).
  if (v.size() == before && a.has_occurred_time() && a.has_known_time() &&
      TimeOf(a.known_time()) < TimeOf(a.occurred_time())) {
    v.Add(Path(prefix, "known_time"), ViolationReason::kInconsistent, "is before occurred_time");
  }
  CheckRegion(a.region_code(), Path(prefix, "region_code"), regions, false, v);
  CheckText(a.place(), Path(prefix, "place"), false, kMaxPlaceChars, v);
  CheckText(a.description(), Path(prefix, "description"), false, kMaxDescriptionChars, v);
  if (a.source_urls_size() > kMaxSourceUrls) {
    v.Add(Path(prefix, "source_urls"), ViolationReason::kTooLong, "holds more than 20 URLs");
  } else {
    for (int i = 0; i < a.source_urls_size(); ++i) {
      const std::string path = Path(prefix, "source_urls") + "[" + std::to_string(i) + "]";
      const std::string& url = a.source_urls(i);
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

void CheckEvidenceIds(const google::protobuf::RepeatedPtrField<std::string>& ids, const std::string& field,
                      int already, Violations& v) {
  if (ids.size() + already > kMaxEvidence) {
    v.Add(field, ViolationReason::kTooLong, "a complaint holds at most 50 pieces of evidence");
    return;
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (!IsLowerHex(ids[i], 64)) {
      v.Add(field + "[" + std::to_string(i) + "]", ViolationReason::kInvalidFormat,
            "is not an evidence id (64 lower-case hex characters)");
    }
  }
}

v1::Deadline ToProto(const Deadline& d) {
  v1::Deadline out;
  out.mutable_due_date()->set_year(static_cast<int32_t>(d.due_date.year()));
  out.mutable_due_date()->set_month(d.due_date.month());
  out.mutable_due_date()->set_day(d.due_date.day());
  *out.mutable_due_time() = Stamp(d.due_time);
  out.set_time_zone(d.time_zone);
  out.mutable_rule()->set_days(d.rule.days);
  out.mutable_rule()->set_counting(static_cast<v1::DayCounting>(d.rule.counting));
  return out;
}

absl::CivilDay DayOf(const v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }

absl::TimeZone ZoneOf(const Region* region) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(region ? region->time_zone : "Asia/Jakarta", &zone)) absl::LoadTimeZone("Asia/Jakarta", &zone);
  return zone;
}

v1::EmployeeRef RefOf(const v1::Employee& e) {
  v1::EmployeeRef ref;
  ref.set_employee_id(e.employee_id());
  ref.set_employee_type(e.employee_type());
  ref.set_name(e.name());
  ref.set_agency_code(e.agency_code());
  ref.set_agency_name(e.agency_name());
  ref.set_unit_name(e.unit_name());
  ref.set_position(e.position());
  ref.set_work_region_code(e.work_region_code());
  *ref.mutable_ppk() = e.ppk();
  ref.set_registry_version(e.version());
  return ref;
}

// A change of `current` by `actor`: its next version, stamped `now`.
ComplaintChange NextChange(const v1::Complaint& current, Actor actor, std::string event_type, absl::Time now) {
  ComplaintChange change;
  change.complaint_id = current.complaint_id();
  change.expected_version = current.version();
  change.actor = std::move(actor);
  change.now_us = Micros(now);
  change.event_type = std::move(event_type);
  change.updated = current;
  change.updated.set_version(current.version() + 1);
  *change.updated.mutable_update_time() = Stamp(now);
  return change;
}

// A change the service makes itself.
ComplaintChange SystemChange(const v1::Complaint& current, const std::string& actor_id, std::string event_type,
                             absl::Time now) {
  return NextChange(current, Actor{actor_id, Actor::Kind::kSystem, "", ""}, std::move(event_type), now);
}

bool Unresolved(const v1::SubjectResolution& r) {
  return r.status() == v1::SUBJECT_RESOLUTION_STATUS_PENDING || r.status() == v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND;
}

bool InRegion(std::string_view code, std::string_view prefix) {
  return prefix.empty() || code == prefix ||
         (code.size() > prefix.size() && code.substr(0, prefix.size()) == prefix && code[prefix.size()] == '.');
}

Error Missing(const std::string& field, const std::string& what) {
  Violations v;
  v.Add(field, ViolationReason::kNotFound, what);
  return Error::Invalid(std::move(v));
}

// The registry's failure to give what the caller named in `field`: an id it
// does not know is a violation on that field, one it rejects keeps the
// registry's reason, and anything else keeps its kind (peer_status.h), so a
// refusal is never reported as an outage.
Error RegistryFailure(const Error& error, const std::string& field, const std::string& what) {
  if (error.kind == Error::Kind::kNotFound) return Missing(field, what + " does not exist");
  if (error.kind == Error::Kind::kInvalidArgument) {
    Violations v;
    for (const auto& violation : error.violations.list()) v.Add(field, violation.reason, violation.description);
    return Error::Invalid(std::move(v));
  }
  return error;
}

// Applies a reporter's completion: non-empty fields replace, nothing is cleared.
void Amend(v1::Complaint& c, const v1::ComplaintAmendment& a) {
  auto set = [](std::string* target, const std::string& value) {
    if (!value.empty()) *target = value;
  };
  set(c.mutable_reporter()->mutable_name(), a.reporter().name());
  set(c.mutable_reporter()->mutable_address(), a.reporter().address());
  set(c.mutable_reporter()->mutable_contact(), a.reporter().contact());
  set(c.mutable_reporter()->mutable_organization(), a.reporter().organization());
  set(c.mutable_subject()->mutable_employee_number(), a.subject().employee_number());
  set(c.mutable_subject()->mutable_name(), a.subject().name());
  set(c.mutable_subject()->mutable_agency_name(), a.subject().agency_name());
  set(c.mutable_subject()->mutable_region_code(), a.subject().region_code());
  set(c.mutable_subject()->mutable_position(), a.subject().position());
  v1::Act* act = c.mutable_act();
  if (!a.act().violation_codes().empty()) *act->mutable_violation_codes() = a.act().violation_codes();
  if (a.act().has_occurred_time()) *act->mutable_occurred_time() = a.act().occurred_time();
  if (a.act().has_known_time()) *act->mutable_known_time() = a.act().known_time();
  set(act->mutable_region_code(), a.act().region_code());
  set(act->mutable_place(), a.act().place());
  set(act->mutable_description(), a.act().description());
  if (!a.act().source_urls().empty()) *act->mutable_source_urls() = a.act().source_urls();
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
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no randomness: nothing safe to hand out
    for (unsigned char b : bytes) {
      if (b < limit && code.size() < kTrackingCodeLength) code += kTrackingAlphabet[b % kTrackingAlphabet.size()];
    }
  }
  return code;
}

std::string NewComplaintId() {
  unsigned char bytes[12];  // 96 random bits: no collision to guard against
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
  return "c-" + HexOf(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
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

std::string ViolationCodes::CategoryOf(const google::protobuf::RepeatedPtrField<std::string>& codes) const {
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

Violations ValidateSubmission(const v1::SubmitComplaintRequest& r, const RegionDirectory& regions,
                              const ViolationCodes& codes, absl::Time now) {
  Violations v;
  if (r.ByteSizeLong() > kMaxRequestBytes) {
    v.Add("", ViolationReason::kTooLong, "the request is larger than 1 MiB");
    return v;
  }
  CheckRequestId(r.request_id(), "request_id", v);
  if (!v1::IntakeChannel_IsValid(r.channel())) v.Add("channel", ViolationReason::kOutOfRange, "is not a known channel");
  CheckReporter(r.reporter(), "reporter", false, v);
  CheckSubject(r.subject(), "subject", regions, v);
  CheckAct(r.act(), "act", regions, codes, now, false, v);
  CheckEvidenceIds(r.evidence_ids(), "evidence_ids", 0, v);
  return v;
}

std::vector<v1::ComplaintRequirement> MissingRequirements(const v1::Complaint& c) {
  std::vector<v1::ComplaintRequirement> out;
  if (c.reporter().name().empty()) out.push_back(v1::COMPLAINT_REQUIREMENT_REPORTER_NAME);
  // A finding is Bawaslu's own: its office is known.
  if (c.reporter().address().empty() && c.reporter().kind() != v1::REPORTER_KIND_BAWASLU_FINDING) {
    out.push_back(v1::COMPLAINT_REQUIREMENT_REPORTER_ADDRESS);
  }
  if (c.subject().employee_number().empty() && c.subject().name().empty()) {
    out.push_back(v1::COMPLAINT_REQUIREMENT_SUBJECT);
  }
  if (!c.act().has_occurred_time()) out.push_back(v1::COMPLAINT_REQUIREMENT_OCCURRED_TIME);
  if (c.act().region_code().empty() || c.act().place().empty()) out.push_back(v1::COMPLAINT_REQUIREMENT_PLACE);
  if (c.act().description().empty()) out.push_back(v1::COMPLAINT_REQUIREMENT_DESCRIPTION);
  if (c.evidence().empty()) out.push_back(v1::COMPLAINT_REQUIREMENT_EVIDENCE);
  return out;
}

std::optional<v1::Deadline> RuleDeadline(absl::Time event, const v1::DeadlineRule& rule, const v1::Election& election,
                                         const Region* region) {
  if (rule.days() <= 0) return std::nullopt;
  std::vector<absl::CivilDay> days_off;
  const std::string region_code = region ? region->code : "";
  for (const auto& holiday : election.holidays()) {
    // A holiday of "33" covers "33", "33.01" and "33.01.02"; an empty region: nationwide.
    if (holiday.region_code().empty() || InRegion(region_code, holiday.region_code())) {
      days_off.push_back(DayOf(holiday.date()));
    }
  }
  DeadlineRule r{rule.days(), static_cast<DayCounting>(rule.counting())};
  return ToProto(ComputeDeadline(event, r, ZoneOf(region), HolidayCalendar(std::move(days_off))));
}

std::optional<v1::Deadline> ReportDeadline(const v1::Complaint& c, const v1::Election& election, const Region* region) {
  const absl::Time known = TimeOf(c.act().has_known_time() ? c.act().known_time() : c.received_time());
  const auto& rules = election.rules();
  const bool finding = c.reporter().kind() == v1::REPORTER_KIND_BAWASLU_FINDING;
  if (!finding && rules.quiet_period_report_window_hours() > 0 && election.has_quiet_period_start_date() &&
      election.has_voting_date()) {
    const absl::TimeZone zone = ZoneOf(region);
    const absl::CivilDay day = LocalDay(known, zone);
    if (day >= DayOf(election.quiet_period_start_date()) && day <= DayOf(election.voting_date())) {
      // 1x24 h during the quiet period and voting: an exact instant, not a day.
      const absl::Time due = known + absl::Hours(rules.quiet_period_report_window_hours());
      v1::Deadline out;
      const absl::CivilDay due_day = LocalDay(due, zone);
      out.mutable_due_date()->set_year(static_cast<int32_t>(due_day.year()));
      out.mutable_due_date()->set_month(due_day.month());
      out.mutable_due_date()->set_day(due_day.day());
      *out.mutable_due_time() = Stamp(due);
      out.set_time_zone(zone.name());
      return out;
    }
  }
  return RuleDeadline(known, finding ? rules.finding_window() : rules.report_window(), election, region);
}

std::string FoldName(std::string_view name) {
  std::string out;
  bool space = false;
  for (unsigned char c : name) {
    if (std::isspace(c) || c == '.' || c == ',') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

v1::SubjectResolution ResolveSubject(const v1::Subject& subject, RegistryPort& registry, absl::Time now) {
  v1::SubjectResolution out;
  *out.mutable_resolve_time() = Stamp(now);
  if (!subject.employee_number().empty()) {
    auto found = registry.FindEmployee(subject.employee_number());
    if (found.ok()) {
      out.set_status(v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NUMBER);
      *out.mutable_employee() = RefOf(found.value());
    } else {
      // An outage leaves it pending (resolved later); a number the registry
      // does not know or rejects is not found.
      const auto kind = found.error().kind;
      out.set_status(kind == Error::Kind::kNotFound || kind == Error::Kind::kInvalidArgument
                         ? v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND
                         : v1::SUBJECT_RESOLUTION_STATUS_PENDING);
      out.set_needs_review(true);
    }
    return out;
  }
  if (subject.name().empty()) return out;  // a missing requirement, not a resolution problem
  auto found = registry.SearchEmployees(subject.name(), subject.region_code(), 50);
  if (!found.ok()) {
    out.set_status(v1::SUBJECT_RESOLUTION_STATUS_PENDING);
    out.set_needs_review(true);
    return out;
  }
  const std::string name = FoldName(subject.name());
  const std::string agency = FoldName(subject.agency_name());
  std::vector<v1::SubjectCandidate> candidates;
  for (const v1::Employee& e : found.value()) {
    // Name 0.6 (exact) or 0.3 (token prefixes, as the registry matched);
    // agency 0.3 when the names contain one another; region 0.1.
    double score = FoldName(e.name()) == name ? 0.6 : 0.3;
    const std::string their_agency = FoldName(e.agency_name());
    if (!agency.empty() && (their_agency.find(agency) != std::string::npos || agency.find(their_agency) != std::string::npos)) {
      score += 0.3;
    }
    if (!subject.region_code().empty() && InRegion(e.work_region_code(), subject.region_code())) score += 0.1;
    v1::SubjectCandidate candidate;
    *candidate.mutable_employee() = RefOf(e);
    candidate.set_score(score);
    candidates.push_back(std::move(candidate));
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.score() > b.score(); });
  if (candidates.size() > static_cast<size_t>(kMaxCandidates)) candidates.resize(kMaxCandidates);
  for (const auto& c : candidates) *out.add_candidates() = c;
  // Resolved only when exactly one candidate matches the name exactly and no
  // other comes as close: a wrong person must never be picked silently.
  const bool unique_best = !candidates.empty() && candidates[0].score() >= 0.6 &&
                           (candidates.size() == 1 || candidates[1].score() < candidates[0].score());
  if (candidates.empty()) {
    out.set_status(v1::SUBJECT_RESOLUTION_STATUS_NOT_FOUND);
    out.set_needs_review(true);
  } else if (unique_best) {
    out.set_status(v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NAME);
    *out.mutable_employee() = candidates[0].employee();
  } else {
    out.set_status(v1::SUBJECT_RESOLUTION_STATUS_AMBIGUOUS);
    out.set_needs_review(true);
  }
  return out;
}

std::string SubjectKey(const v1::Subject& subject, const v1::SubjectResolution& resolution) {
  if (resolution.has_employee() && !resolution.employee().employee_id().empty()) {
    return "e:" + resolution.employee().employee_id();
  }
  if (!subject.employee_number().empty()) return "e:" + subject.employee_number();
  if (!subject.name().empty()) return "n:" + FoldName(subject.name()) + "|" + subject.region_code();
  return "";
}

void RedactReporter(v1::Complaint& c, bool reveal_hidden_identity) {
  v1::Reporter* r = c.mutable_reporter();
  r->clear_nik();
  if (r->identity_hidden() && !reveal_hidden_identity) {
    r->clear_name();
    r->clear_address();
    r->clear_contact();
    r->clear_organization();
    r->set_redacted(true);
  }
}

// ---------------------------------------------------------------------------
// Complaints

struct Complaints::Metrics {
  prometheus::Family<prometheus::Counter>* received = nullptr;
  prometheus::Family<prometheus::Gauge>* open = nullptr;
  prometheus::Family<prometheus::Counter>* clusters = nullptr;
  prometheus::Family<prometheus::Counter>* rate_limited = nullptr;
  prometheus::Family<prometheus::Histogram>* stage_seconds = nullptr;
  std::atomic<bool> limits_failing_open{false};
  std::set<std::pair<std::string, std::string>> open_seen;  // only the refresh thread touches it
};

Complaints::Complaints(ComplaintStore& store, Cache& status_cache, RedisClient& redis, RegistryPort& registry,
                       const RegionDirectory& regions, ViolationCatalogSource& catalog, const NikHasher& nik_hasher,
                       ComplaintSettings settings, prometheus::Registry* metrics)
    : store_(store),
      status_cache_(status_cache),
      redis_(redis),
      registry_(registry),
      regions_(regions),
      catalog_(catalog),
      nik_hasher_(nik_hasher),
      settings_(settings),
      metrics_(std::make_unique<Metrics>()) {
  if (!metrics) return;
  metrics_->received = &prometheus::BuildCounter()
                            .Name("netra_complaints_received_total")
                            .Help("Complaints received, by province of the act and violation category")
                            .Register(*metrics);
  metrics_->open = &prometheus::BuildGauge()
                        .Name("netra_complaints_open")
                        .Help("Complaints not yet in a terminal state, by province and status (from the store)")
                        .Register(*metrics);
  metrics_->clusters = &prometheus::BuildCounter()
                            .Name("netra_complaint_clusters_total")
                            .Help("Near-duplicate clusters opened, by province")
                            .Register(*metrics);
  metrics_->rate_limited = &prometheus::BuildCounter()
                                .Name("netra_intake_rate_limited_total")
                                .Help("Public calls refused by a rate limit, by limit (contact, peer: submissions; status_peer: status lookups)")
                                .Register(*metrics);
  // Every series exists from the start, so a dashboard shows 0 rather than "No data".
  for (const char* limit : {"contact", "peer", "status_peer"}) metrics_->rate_limited->Add({{"limit", limit}});
  metrics_->stage_seconds = &prometheus::BuildHistogram()
                                 .Name("netra_stage_seconds")
                                 .Help("Time spent in a workflow stage, observed when it is left")
                                 .Register(*metrics);
}

Complaints::~Complaints() = default;

std::optional<RateLimited> Complaints::CheckStatusLimit(std::string_view peer) {
  if (peer.empty()) return std::nullopt;
  return CheckLimits({{"status_peer", "complaint:rate:status:" + std::string(peer), settings_.status_peer_limit,
                       settings_.status_peer_window}});
}

std::optional<Result<v1::SubmitComplaintResponse>> Complaints::EarlierSubmission(const std::string& request_id,
                                                                                const std::string& request_hash) {
  if (request_id.empty()) return std::nullopt;
  if (auto cached = redis_.Get("complaint:request:SubmitComplaint:" + request_id); cached && cached->size() > 32) {
    return ReplaySubmission(cached->substr(0, 32), cached->substr(32), request_hash);
  }
  if (auto recorded = store_.FindRequest("SubmitComplaint", request_id)) {
    return ReplaySubmission(recorded->request_hash, recorded->response, request_hash);
  }
  return std::nullopt;
}

std::optional<RateLimited> Complaints::CheckIntakeLimits(std::string_view contact, std::string_view peer) {
  std::vector<Limit> limits;
  // The contact is personal data: only its hash names the counter.
  if (!contact.empty()) {
    limits.push_back({"contact", "complaint:rate:contact:" + HexOf(Sha256::Of({FoldName(contact)})).substr(0, 32),
                      settings_.contact_limit, settings_.contact_window});
  }
  if (!peer.empty()) {
    limits.push_back({"peer", "complaint:rate:peer:" + std::string(peer), settings_.peer_limit, settings_.peer_window});
  }
  return CheckLimits(limits);
}

std::optional<RateLimited> Complaints::CheckLimits(const std::vector<Limit>& limits) {
  for (const Limit& limit : limits) {
    if (limit.max <= 0) continue;
    auto count = redis_.Incr(limit.key, 1, limit.window);
    if (!count) {
      // Fail open: intake matters more than the limit; netra_redis_up shows why.
      if (!metrics_->limits_failing_open.exchange(true)) log::Warn("intake rate limits off: redis unavailable");
      return std::nullopt;
    }
    if (metrics_->limits_failing_open.exchange(false)) log::Info("intake rate limits on again");
    if (*count > limit.max) {
      if (metrics_->rate_limited) metrics_->rate_limited->Add({{"limit", limit.name}}).Increment();
      auto ttl = redis_.Command({"PTTL", redis_.Key(limit.key)});
      auto retry = std::chrono::milliseconds(ttl.is_integer() && ttl.integer > 0 ? ttl.integer : 1000);
      return RateLimited{limit.name, retry};
    }
  }
  return std::nullopt;
}

Result<v1::SubmitComplaintResponse> Complaints::Submit(const v1::SubmitComplaintRequest& request,
                                                       const std::string& request_hash, const Actor& actor,
                                                       absl::Time now) {
  const auto codes = catalog_.Current();
  Violations v = ValidateSubmission(request, regions_, *codes, now);
  if (!v.empty()) return Error::Invalid(std::move(v));

  const std::string request_key = "complaint:request:SubmitComplaint:" + request.request_id();
  // A retry is answered from Redis before any registry call (any replica). The
  // store's record is checked inside the write transaction, and here only
  // when the registry cannot answer (a retry must not fail for that).
  if (auto cached = redis_.Get(request_key); cached && cached->size() > 32) {
    return ReplaySubmission(cached->substr(0, 32), cached->substr(32), request_hash);
  }

  const v1::Act& act = request.act();
  auto election = registry_.FindElection(act.election_id());
  if (!election.ok()) {
    if (auto recorded = store_.FindRequest("SubmitComplaint", request.request_id())) {
      return ReplaySubmission(recorded->request_hash, recorded->response, request_hash);
    }
    return RegistryFailure(election.error(), "act.election_id", "election " + act.election_id());
  }
  std::vector<std::string> evidence_ids(request.evidence_ids().begin(), request.evidence_ids().end());
  std::vector<v1::Evidence> evidence;
  {
    Violations unknown;
    for (size_t i = 0; i < evidence_ids.size(); ++i) {
      auto e = FindEvidence(evidence_ids[i]);
      if (!e) {
        unknown.Add("evidence_ids[" + std::to_string(i) + "]", ViolationReason::kNotFound,
                    "evidence " + evidence_ids[i] + " was not uploaded");
      } else if (std::none_of(evidence.begin(), evidence.end(),
                              [&](const v1::Evidence& x) { return x.evidence_id() == e->evidence_id(); })) {
        evidence.push_back(*e);
      }
    }
    if (!unknown.empty()) return Error::Invalid(std::move(unknown));
  }

  NewComplaint in;
  v1::Complaint& c = in.record;
  c.set_complaint_id(NewComplaintId());
  c.set_tracking_code(NewTrackingCode());
  c.set_channel(request.channel() == v1::INTAKE_CHANNEL_UNSPECIFIED ? v1::INTAKE_CHANNEL_PUBLIC_PORTAL
                                                                     : request.channel());
  *c.mutable_reporter() = request.reporter();
  c.mutable_reporter()->clear_nik();
  c.mutable_reporter()->clear_redacted();
  c.mutable_reporter()->set_nik_on_file(!request.reporter().nik().empty());
  *c.mutable_subject() = request.subject();
  *c.mutable_act() = act;
  for (auto& e : evidence) *c.add_evidence() = e;
  *c.mutable_received_time() = Stamp(now);
  *c.mutable_subject_resolution() = ResolveSubject(request.subject(), registry_, now);

  const Region* region = regions_.Find(act.region_code());
  const auto missing = MissingRequirements(c);
  for (auto m : missing) c.add_missing_requirements(m);
  if (auto report = ReportDeadline(c, election.value(), region)) {
    *c.mutable_deadlines()->mutable_report() = *report;
    c.set_late(TimeOf(report->due_time()) < now);
  }
  if (missing.empty()) {
    c.set_status(v1::COMPLAINT_STATUS_RECEIVED);
  } else {
    c.set_status(v1::COMPLAINT_STATUS_INCOMPLETE);
    if (auto due = RuleDeadline(now, election.value().rules().completion(), election.value(), region)) {
      *c.mutable_deadlines()->mutable_completion() = *due;
    }
  }

  in.subject_key = SubjectKey(c.subject(), c.subject_resolution());
  in.violation_codes.assign(act.violation_codes().begin(), act.violation_codes().end());
  std::sort(in.violation_codes.begin(), in.violation_codes.end());
  in.province = regions_.ProvinceOf(act.region_code());
  if (in.province.empty()) in.province = "unknown";
  in.category = codes->CategoryOf(act.violation_codes());
  if (!request.reporter().nik().empty()) in.reporter_nik_hash = nik_hasher_.Hash(request.reporter().nik());
  if (Unresolved(c.subject_resolution())) {
    in.subject_retry_us = Micros(now + absl::FromChrono(settings_.subject_retry_interval));
  }

  const auto window = std::chrono::duration_cast<std::chrono::microseconds>(settings_.cluster_window).count();
  std::string province = in.province, category = in.category;
  auto stored = store_.InsertSubmission(request.request_id(), request_hash, std::move(in), Micros(now) - window, actor,
                                        Micros(now));
  if (!stored.ok()) return stored.error();
  Submission& s = stored.value();
  v1::SubmitComplaintResponse response;
  response.set_joined_existing_cluster(s.joined_existing_cluster);
  *response.mutable_complaint() = std::move(s.complaint);
  if (s.replayed) return response;

  redis_.Set(request_key, request_hash + s.response, kRequestCacheTtl);
  if (metrics_->received) {
    metrics_->received->Add({{"province", province}, {"category", category}}).Increment();
    if (!s.joined_existing_cluster) metrics_->clusters->Add({{"province", province}}).Increment();
  }
  return response;
}

std::optional<v1::Evidence> Complaints::FindEvidence(const std::string& evidence_id) {
  constexpr size_t kMaxKept = 10000;
  {
    std::lock_guard lock(evidence_mu_);
    if (auto it = evidence_.find(evidence_id); it != evidence_.end()) return it->second;
  }
  auto found = store_.FindEvidence(evidence_id);
  if (found) {
    std::lock_guard lock(evidence_mu_);
    if (evidence_.size() >= kMaxKept) evidence_.clear();
    evidence_.emplace(evidence_id, *found);
  }
  return found;
}

Result<v1::Complaint> Complaints::ApplyChange(const ComplaintChange& change) {
  auto applied = store_.Apply(change);
  if (!applied.ok()) return applied.error();
  ObserveApplied(applied.value());
  if (!change.outbox_kind.empty() && on_message_queued_) on_message_queued_();
  return applied.value().complaint;
}

void Complaints::ObserveApplied(const AppliedChange& applied) {
  for (const auto& code : applied.tracking_codes) status_cache_.Invalidate("complaint:status:" + code);
  if (!metrics_->stage_seconds) return;
  // 1 minute to 90 days.
  static const prometheus::Histogram::BucketBoundaries kBuckets = {60,     600,     3600,    6 * 3600, 86400,
                                                                   2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400,
                                                                   30 * 86400, 60 * 86400, 90 * 86400};
  for (const auto& stage : applied.stages_left) {
    metrics_->stage_seconds->Add({{"lifecycle", "complaint"}, {"stage", StatusLabel(stage.stage)}}, kBuckets)
        .Observe(stage.seconds);
  }
}

Result<v1::Complaint> Complaints::Transition(const v1::TransitionComplaintRequest& request,
                                             const std::string& request_hash, const Actor& actor, absl::Time now) {
  using A = v1::ComplaintAction;
  Violations v;
  CheckRequestId(request.request_id(), "request_id", v);
  CheckId(request.complaint_id(), "complaint_id", true, v);
  const A action = request.action();
  if (action == v1::COMPLAINT_ACTION_UNSPECIFIED) {
    v.Add("action", ViolationReason::kRequired, "is required");
  } else if (!v1::ComplaintAction_IsValid(action)) {
    v.Add("action", ViolationReason::kOutOfRange, "is not a known action");
  }
  const bool reason_required = action == v1::COMPLAINT_ACTION_REJECT || action == v1::COMPLAINT_ACTION_DISMISS ||
                               action == v1::COMPLAINT_ACTION_WITHDRAW ||
                               action == v1::COMPLAINT_ACTION_EXTEND_HANDLING ||
                               action == v1::COMPLAINT_ACTION_REQUEST_COMPLETION;
  CheckText(request.reason(), "reason", reason_required, kMaxReasonChars, v);
  if (request.expected_version() <= 0) {
    v.Add("expected_version", ViolationReason::kRequired, "is required: the version last read");
  }
  if (action == v1::COMPLAINT_ACTION_COMPLETE) {
    const auto& a = request.amendment();
    CheckReporter(a.reporter(), "amendment.reporter", true, v);
    CheckSubject(a.subject(), "amendment.subject", regions_, v);
    CheckAct(a.act(), "amendment.act", regions_, *catalog_.Current(), now, true, v);
    CheckEvidenceIds(a.add_evidence_ids(), "amendment.add_evidence_ids", 0, v);
  }
  if (action == v1::COMPLAINT_ACTION_FORWARD) {
    CheckViolationCodes(request.forward().violation_codes(), "forward.violation_codes", *catalog_.Current(), false, v);
    CheckText(request.forward().review_summary(), "forward.review_summary", true, kMaxDescriptionChars, v);
    CheckText(request.forward().review_document_number(), "forward.review_document_number", false, kMaxNameChars, v);
  }
  if (action == v1::COMPLAINT_ACTION_RESOLVE_SUBJECT) CheckId(request.subject_employee_id(), "subject_employee_id", true, v);
  if (!v.empty()) return Error::Invalid(std::move(v));

  if (auto replayed = Replay(store_, "TransitionComplaint", request.request_id(), request_hash)) return *replayed;

  auto row = store_.Find(request.complaint_id());
  if (!row) return Error::NotFound("complaint", request.complaint_id());
  const v1::Complaint& current = row->record;
  if (current.version() != request.expected_version()) {
    return Error::Aborted("complaint", current.complaint_id(), request.expected_version(), current.version());
  }
  const Action act = static_cast<Action>(action);
  const Status from = current.status();
  const bool member = !current.cluster().is_primary();
  auto refused = [&](std::vector<std::string> allowed) {
    return Error::Precondition(StatusName(from), ActionName(act), std::move(allowed));
  };
  if (member && act != Action::kWithdraw && act != Action::kResolveSubject) {
    // The cluster is handled on its primary; a member may only leave it or have its subject resolved.
    std::vector<std::string> allowed;
    for (const auto& name : AllowedActions(from)) {
      if (name == ActionName(Action::kWithdraw) || name == ActionName(Action::kResolveSubject)) allowed.push_back(name);
    }
    Error e = refused(std::move(allowed));
    e.message = "complaint " + current.complaint_id() + " is a member of cluster " + current.cluster().cluster_id() +
                "; act on its primary " + current.cluster().primary_complaint_id();
    return e;
  }
  auto next = NextStatus(from, act);
  if (!next) return refused(AllowedActions(from));

  ComplaintChange change = NextChange(current, actor, "complaint.transitioned", now);
  change.method = "TransitionComplaint";
  change.request_id = request.request_id();
  change.request_hash = request_hash;
  change.status_changed = *next != from;
  change.cascade_to_cluster = !member;
  v1::Complaint& u = change.updated;
  u.set_status(*next);
  u.set_status_reason(request.reason());
  change.payload = {{"action", ActionName(act)},
                    {"from", StatusLabel(from)},
                    {"to", StatusLabel(*next)},
                    {"reason", request.reason()}};

  std::optional<v1::Election> election;
  auto need_election = [&]() -> Result<bool> {
    auto e = registry_.FindElection(current.act().election_id());
    if (!e.ok()) return e.error();  // the registry's answer as is (peer_status.h): not always an outage
    election = e.value();
    return true;
  };
  const Region* region = regions_.Find(current.act().region_code());

  switch (act) {
    case Action::kRequestCompletion: {
      if (auto ok = need_election(); !ok.ok()) return ok.error();
      u.clear_missing_requirements();
      for (auto m : MissingRequirements(u)) u.add_missing_requirements(m);
      u.mutable_deadlines()->clear_completion();
      if (auto due = RuleDeadline(now, election->rules().completion(), *election, region)) {
        *u.mutable_deadlines()->mutable_completion() = *due;
      }
      break;
    }
    case Action::kComplete: {
      const auto& a = request.amendment();
      Amend(u, a);
      std::vector<std::string> add(a.add_evidence_ids().begin(), a.add_evidence_ids().end());
      Violations unknown;
      for (size_t i = 0; i < add.size(); ++i) {
        auto e = FindEvidence(add[i]);
        if (!e) {
          unknown.Add("amendment.add_evidence_ids[" + std::to_string(i) + "]", ViolationReason::kNotFound,
                      "evidence " + add[i] + " was not uploaded");
        } else if (std::none_of(u.evidence().begin(), u.evidence().end(),
                                [&](const v1::Evidence& x) { return x.evidence_id() == e->evidence_id(); })) {
          *u.add_evidence() = *e;
        }
      }
      if (u.evidence_size() > kMaxEvidence) {
        unknown.Add("amendment.add_evidence_ids", ViolationReason::kTooLong, "a complaint holds at most 50 pieces of evidence");
      }
      if (u.act().has_occurred_time() && u.act().has_known_time() &&
          TimeOf(u.act().known_time()) < TimeOf(u.act().occurred_time())) {
        unknown.Add("amendment.act.known_time", ViolationReason::kInconsistent, "is before occurred_time");
      }
      if (!unknown.empty()) return Error::Invalid(std::move(unknown));
      auto missing = MissingRequirements(u);
      if (!missing.empty()) {
        // Still incomplete: nothing is stored, the reporter learns what is missing.
        Violations still;
        for (auto m : missing) {
          still.Add("amendment", ViolationReason::kRequired,
                    "still missing: " + v1::ComplaintRequirement_Name(m));
        }
        return Error::Invalid(std::move(still));
      }
      u.clear_missing_requirements();
      u.mutable_deadlines()->clear_completion();
      if (!request.amendment().subject().employee_number().empty() || !request.amendment().subject().name().empty()) {
        *u.mutable_subject_resolution() = ResolveSubject(u.subject(), registry_, now);
      }
      change.payload["amended"] = true;
      break;
    }
    case Action::kRegister: {
      if (auto ok = need_election(); !ok.ok()) return ok.error();
      change.registered_us = Micros(now);
      auto* d = u.mutable_deadlines();
      d->clear_completion();
      if (auto due = RuleDeadline(now, election->rules().initial_review(), *election, region)) {
        *d->mutable_initial_review() = *due;
      }
      if (auto due = RuleDeadline(now, election->rules().handling(), *election, region)) *d->mutable_handling() = *due;
      break;
    }
    case Action::kExtendHandling: {
      if (auto ok = need_election(); !ok.ok()) return ok.error();
      if (u.deadlines().handling_extended() || election->rules().handling_extended().days() <= 0) {
        std::vector<std::string> allowed = AllowedActions(from);
        std::erase(allowed, ActionName(Action::kExtendHandling));
        Error e = refused(std::move(allowed));
        e.message = u.deadlines().handling_extended() ? "the handling deadline was already extended"
                                                      : "the election allows no extension";
        return e;
      }
      auto due = RuleDeadline(absl::FromUnixMicros(row->registered_us), election->rules().handling_extended(),
                              *election, region);
      *u.mutable_deadlines()->mutable_handling() = *due;
      u.mutable_deadlines()->set_handling_extended(true);
      break;
    }
    case Action::kWithdraw:
      change.leave_cluster = true;
      change.cascade_to_cluster = false;  // the report leaves; the cluster carries on
      break;
    case Action::kForward: {
      if (!current.subject_resolution().has_employee()) {
        std::vector<std::string> allowed = AllowedActions(from);
        std::erase(allowed, ActionName(Action::kForward));
        Error e = refused(std::move(allowed));
        e.message = "the subject is not resolved to a registry employee; resolve it first";
        return e;
      }
      auto* f = u.mutable_forwarding();
      f->set_status(v1::FORWARDING_STATUS_PENDING);
      if (request.forward().violation_codes().empty()) {
        *f->mutable_violation_codes() = current.act().violation_codes();
      } else {
        *f->mutable_violation_codes() = request.forward().violation_codes();
      }
      f->set_review_summary(request.forward().review_summary());
      f->set_review_document_number(request.forward().review_document_number());
      *f->mutable_request_time() = Stamp(now);
      // The case is opened by the outbox, committed with this change: never
      // lost, and OpenCase is idempotent on the complaint, so never doubled.
      v1::OpenCaseRequest open;
      open.set_request_id(current.complaint_id() + "/open");
      open.set_complaint_id(current.complaint_id());
      ComplaintFilter members;
      members.cluster_id = current.cluster().cluster_id();
      for (const auto& m : store_.List(members, "", 10001)) {
        if (m.complaint_id() != current.complaint_id()) open.add_related_complaint_ids(m.complaint_id());
      }
      open.set_employee_id(current.subject_resolution().employee().employee_id());
      open.set_election_id(current.act().election_id());
      *open.mutable_violation_codes() = f->violation_codes();
      open.set_review_summary(f->review_summary());
      open.set_review_document_number(f->review_document_number());
      change.outbox_kind = std::string(kForwardingOutboxKind);
      change.outbox_key = current.complaint_id();
      change.outbox_payload = open.SerializeAsString();
      change.payload["violation_codes"] = f->violation_codes();
      break;
    }
    case Action::kResolveSubject: {
      auto employee = registry_.FindEmployee(request.subject_employee_id());
      if (!employee.ok()) {
        return RegistryFailure(employee.error(), "subject_employee_id", "employee " + request.subject_employee_id());
      }
      auto* r = u.mutable_subject_resolution();
      r->set_status(v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_PERSON);
      *r->mutable_employee() = RefOf(employee.value());
      r->set_needs_review(false);
      *r->mutable_resolve_time() = Stamp(now);
      change.payload["employee_id"] = request.subject_employee_id();
      change.subject_retry_us = 0;
      break;
    }
    default:
      break;
  }
  return ApplyChange(change);
}

int Complaints::RetryUnresolvedSubjects(absl::Time now, int limit) {
  int changed = 0;
  for (const std::string& id : store_.DueSubjectRetries(Micros(now), limit)) {
    auto row = store_.Find(id);
    if (!row) continue;
    const v1::Complaint& current = row->record;
    if (IsTerminal(current.status()) || !Unresolved(current.subject_resolution())) {
      store_.ScheduleSubjectRetry(id, 0);  // handled meanwhile (e.g. resolved by a person)
      continue;
    }
    v1::SubjectResolution resolution = ResolveSubject(current.subject(), registry_, now);
    // Back off with age: a report a week old is not looked up every minute.
    const absl::Duration age = now - TimeOf(current.received_time());
    const absl::Duration wait = std::min(std::max(absl::FromChrono(settings_.subject_retry_interval), age / 4),
                                         absl::Hours(24));
    const int64_t next = Unresolved(resolution) ? Micros(now + wait) : 0;
    if (resolution.status() == current.subject_resolution().status()) {
      store_.ScheduleSubjectRetry(id, next);
      continue;
    }
    ComplaintChange change = SystemChange(current, "system:subject-resolver", "complaint.subject_resolved", now);
    change.payload = {{"from", v1::SubjectResolutionStatus_Name(current.subject_resolution().status())},
                      {"to", v1::SubjectResolutionStatus_Name(resolution.status())},
                      {"retry", true}};
    if (resolution.has_employee()) change.payload["employee_id"] = resolution.employee().employee_id();
    change.subject_retry_us = next;
    *change.updated.mutable_subject_resolution() = std::move(resolution);
    // A concurrent change (ABORTED) leaves it due: the next pass tries again.
    if (ApplyChange(change).ok()) ++changed;
  }
  return changed;
}

Result<v1::Complaint> Complaints::MarkForwarded(const std::string& complaint_id, const std::string& case_id,
                                                absl::Time now) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto row = store_.Find(complaint_id);
    if (!row) return Error::NotFound("complaint", complaint_id);
    // Delivered twice: one effect.
    if (row->record.forwarding().status() == v1::FORWARDING_STATUS_DONE) return row->record;
    ComplaintChange change = SystemChange(row->record, "system:forwarding", "complaint.forwarded", now);
    change.payload = {{"case_id", case_id}};
    v1::Complaint& u = change.updated;
    u.mutable_forwarding()->set_status(v1::FORWARDING_STATUS_DONE);
    u.mutable_forwarding()->set_case_id(case_id);
    *u.mutable_forwarding()->mutable_done_time() = Stamp(now);
    auto applied = ApplyChange(change);
    if (applied.ok() || applied.error().kind != Error::Kind::kAborted) return applied;
  }
  return Error::Unavailable("complaint " + complaint_id + " kept changing; forwarding will be recorded on retry");
}

Result<v1::Complaint> Complaints::RecordOutcome(const v1::RecordOutcomeRequest& request,
                                                const std::string& request_hash, const Actor& actor, absl::Time now) {
  Violations v;
  CheckRequestId(request.request_id(), "request_id", v);
  CheckId(request.complaint_id(), "complaint_id", true, v);
  CheckId(request.case_id(), "case_id", true, v);
  if (request.outcome() == v1::CASE_OUTCOME_UNSPECIFIED) {
    v.Add("outcome", ViolationReason::kRequired, "is required");
  } else if (!v1::CaseOutcome_IsValid(request.outcome())) {
    v.Add("outcome", ViolationReason::kOutOfRange, "is not a known outcome");
  }
  if (!v1::SanctionLevel_IsValid(request.level())) v.Add("level", ViolationReason::kOutOfRange, "is not a known level");
  if (request.outcome() == v1::CASE_OUTCOME_SANCTIONED && request.level() == v1::SANCTION_LEVEL_UNSPECIFIED) {
    v.Add("level", ViolationReason::kRequired, "is required for a sanction");
  }
  if (request.forms_size() > 14) v.Add("forms", ViolationReason::kTooLong, "holds more than 14 forms");
  for (int i = 0; i < request.forms_size() && i < 14; ++i) {
    if (!v1::SanctionForm_IsValid(request.forms(i)) || request.forms(i) == v1::SANCTION_FORM_UNSPECIFIED) {
      v.Add("forms[" + std::to_string(i) + "]", ViolationReason::kOutOfRange, "is not a known sanction form");
    }
  }
  CheckText(request.decree_number(), "decree_number", true, kMaxNameChars, v);
  CheckText(request.decided_by(), "decided_by", false, kMaxNameChars, v);
  const auto& d = request.decree_date();
  if (!request.has_decree_date()) {
    v.Add("decree_date", ViolationReason::kRequired, "is required");
  } else if (const absl::CivilDay day(d.year(), d.month(), d.day());
             d.year() < 1900 || d.year() > 9999 || day.year() != d.year() || day.month() != d.month() ||
             day.day() != d.day()) {
    v.Add("decree_date", ViolationReason::kInvalidFormat, "is not a calendar day");
  }
  if (request.case_version() < 0) v.Add("case_version", ViolationReason::kOutOfRange, "must not be negative");
  if (request.expected_version() < 0) v.Add("expected_version", ViolationReason::kOutOfRange, "must not be negative");
  if (!v.empty()) return Error::Invalid(std::move(v));

  if (auto replayed = Replay(store_, "RecordOutcome", request.request_id(), request_hash)) return *replayed;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto row = store_.Find(request.complaint_id());
    if (!row) return Error::NotFound("complaint", request.complaint_id());
    const v1::Complaint& current = row->record;
    if (request.expected_version() > 0 && request.expected_version() != current.version()) {
      return Error::Aborted("complaint", current.complaint_id(), request.expected_version(), current.version());
    }
    const Status from = current.status();
    auto next = NextStatus(from, Action::kRecordOutcome);
    if (!next) return Error::Precondition(StatusName(from), ActionName(Action::kRecordOutcome), AllowedActions(from));
    const std::string& forwarded_case = current.forwarding().case_id();
    if (!forwarded_case.empty() && forwarded_case != request.case_id()) {
      Violations other;
      other.Add("case_id", ViolationReason::kInconsistent,
                "complaint " + current.complaint_id() + " was forwarded as case " + forwarded_case);
      return Error::Invalid(std::move(other));
    }
    // An outcome from an older case version than the recorded one changes nothing.
    if (current.has_outcome() && request.case_version() <= current.outcome().case_version()) return current;

    ComplaintChange change = NextChange(current, actor, "complaint.outcome_recorded", now);
    change.method = "RecordOutcome";
    change.request_id = request.request_id();
    change.request_hash = request_hash;
    change.status_changed = *next != from;
    change.cascade_to_cluster = true;
    v1::Complaint& u = change.updated;
    u.set_status(*next);
    if (forwarded_case.empty()) {
      // OpenCase succeeded but its answer was not recorded yet: the case exists, the sanction service says so.
      u.mutable_forwarding()->set_status(v1::FORWARDING_STATUS_DONE);
      u.mutable_forwarding()->set_case_id(request.case_id());
      *u.mutable_forwarding()->mutable_done_time() = Stamp(now);
    }
    auto* o = u.mutable_outcome();
    o->set_case_id(request.case_id());
    o->set_outcome(request.outcome());
    o->set_level(request.level());
    *o->mutable_forms() = request.forms();
    o->set_decree_number(request.decree_number());
    *o->mutable_decree_date() = request.decree_date();
    o->set_decided_by(request.decided_by());
    o->set_case_version(request.case_version());
    *o->mutable_record_time() = Stamp(now);
    change.payload = {{"case_id", request.case_id()},
                      {"outcome", v1::CaseOutcome_Name(request.outcome())},
                      {"decree_number", request.decree_number()},
                      {"case_version", request.case_version()},
                      {"from", StatusLabel(from)},
                      {"to", StatusLabel(*next)}};
    auto applied = ApplyChange(change);
    // A concurrent change (the forwarding being recorded) moved the version: read again.
    if (applied.ok() || applied.error().kind != Error::Kind::kAborted || request.expected_version() > 0) {
      return applied;
    }
  }
  return Error::Unavailable("complaint " + request.complaint_id() + " kept changing; retry");
}

Result<v1::Complaint> Complaints::Get(std::string_view complaint_id) {
  Violations v;
  CheckId(complaint_id, "complaint_id", true, v);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto row = store_.Find(std::string(complaint_id));
  if (!row) return Error::NotFound("complaint", std::string(complaint_id));
  v1::Complaint c = std::move(row->record);
  if (c.forwarding().status() == v1::FORWARDING_STATUS_PENDING) {
    if (auto queued = store_.ForwardingAttempts(c.complaint_id())) {
      auto* f = c.mutable_forwarding();
      f->set_attempts(queued->attempts);
      f->set_last_error(queued->last_error);
      if (queued->refused_us > 0) {
        f->set_status(v1::FORWARDING_STATUS_REFUSED);
        *f->mutable_refuse_time() = Stamp(absl::FromUnixMicros(queued->refused_us));
      }
    }
  }
  return c;
}

Result<v1::ListComplaintsResponse> Complaints::List(const v1::ListComplaintsRequest& r) {
  Violations v;
  if (!r.region_code().empty()) {
    Violations format;
    if (!ParseRegionCode(r.region_code(), "region_code", format)) v.Append(format);
  }
  if (r.statuses_size() > 10) v.Add("statuses", ViolationReason::kTooLong, "holds more than 10 statuses");
  for (int i = 0; i < r.statuses_size() && i < 10; ++i) {
    if (r.statuses(i) == v1::COMPLAINT_STATUS_UNSPECIFIED || !v1::ComplaintStatus_IsValid(r.statuses(i))) {
      v.Add("statuses[" + std::to_string(i) + "]", ViolationReason::kOutOfRange, "is not a complaint status");
    }
  }
  CheckId(r.election_id(), "election_id", false, v);
  CheckId(r.violation_code(), "violation_code", false, v);
  CheckId(r.cluster_id(), "cluster_id", false, v);
  CheckTime(r.received_after(), r.has_received_after(), "received_after", absl::InfiniteFuture(), v);
  CheckTime(r.received_before(), r.has_received_before(), "received_before", absl::InfiniteFuture(), v);
  const int page_size = PageSize(r.page_size(), PageLimits{}, "page_size", v);
  v1::ListComplaintsRequest scope = r;
  scope.clear_page_size();
  scope.clear_page_token();
  // Binds a page token to its filter (same binary, no maps: the bytes are stable).
  const std::string scope_hash = Sha256::Of({scope.SerializeAsString()});
  auto after = DecodePageToken(r.page_token(), "page_token", v, scope_hash);
  if (!v.empty()) return Error::Invalid(std::move(v));

  ComplaintFilter f;
  f.region_prefix = r.region_code();
  for (int s : r.statuses()) f.statuses.push_back(s);
  f.election_id = r.election_id();
  f.violation_code = r.violation_code();
  f.cluster_id = r.cluster_id();
  if (r.has_received_after()) f.received_after_us = TimeUtil::TimestampToMicroseconds(r.received_after());
  if (r.has_received_before()) f.received_before_us = TimeUtil::TimestampToMicroseconds(r.received_before());
  f.primaries_only = r.primaries_only();
  f.needs_subject_review = r.needs_subject_review();
  auto rows = store_.List(f, *after, page_size + 1);
  v1::ListComplaintsResponse out;
  const bool more = rows.size() > static_cast<size_t>(page_size);
  if (more) rows.resize(page_size);
  for (auto& c : rows) *out.add_complaints() = std::move(c);
  if (more) {
    const auto& last = out.complaints(out.complaints_size() - 1);
    out.set_next_page_token(EncodePageToken(
        std::to_string(TimeUtil::TimestampToMicroseconds(last.received_time())) + ":" + last.complaint_id(),
        scope_hash));
  }
  return out;
}

Result<v1::GetComplaintHistoryResponse> Complaints::History(const v1::GetComplaintHistoryRequest& r) {
  Violations v;
  CheckId(r.complaint_id(), "complaint_id", true, v);
  const int page_size = PageSize(r.page_size(), PageLimits{}, "page_size", v);
  auto after = DecodePageToken(r.page_token(), "page_token", v, r.complaint_id());
  int64_t after_sequence = 0;
  if (after && !after->empty()) {
    if (!absl::SimpleAtoi(absl::string_view(after->data(), after->size()), &after_sequence)) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a page token issued by this service");
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  if (!store_.Find(r.complaint_id())) return Error::NotFound("complaint", r.complaint_id());
  auto entries = store_.History(r.complaint_id(), after_sequence, page_size + 1);
  v1::GetComplaintHistoryResponse out;
  const bool more = entries.size() > static_cast<size_t>(page_size);
  if (more) entries.resize(page_size);
  for (const auto& e : entries) ToProto(e, out.add_entries());
  if (more) out.set_next_page_token(EncodePageToken(std::to_string(entries.back().sequence), r.complaint_id()));
  return out;
}

Result<HistoryVerification> Complaints::Verify(std::string_view complaint_id) {
  Violations v;
  CheckId(complaint_id, "complaint_id", true, v);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto row = store_.Find(std::string(complaint_id));
  if (!row) return Error::NotFound("complaint", std::string(complaint_id));
  auto entries = store_.History(std::string(complaint_id), 0, 0);
  return VerifyHistory(entries, row->head);
}

Result<v1::GetComplaintStatsResponse> Complaints::Stats(const v1::GetComplaintStatsRequest& r, absl::Time now) {
  Violations v;
  std::optional<RegionLevel> scope_level;
  if (!r.region_code().empty()) {
    Violations format;
    scope_level = ParseRegionCode(r.region_code(), "region_code", format);
    if (!scope_level) {
      v.Append(format);
    } else if (*scope_level == RegionLevel::kDistrict) {
      v.Add("region_code", ViolationReason::kOutOfRange, "must be a province or a kab/kota");
    } else if (!regions_.Find(r.region_code())) {
      v.Add("region_code", ViolationReason::kNotFound, "region " + r.region_code() + " does not exist");
    }
  }
  RegionLevel group = RegionLevel::kProvince;
  if (r.group_by() == v1::REGION_LEVEL_REGENCY) group = RegionLevel::kRegency;
  if (r.group_by() == v1::REGION_LEVEL_DISTRICT || !v1::RegionLevel_IsValid(r.group_by())) {
    v.Add("group_by", ViolationReason::kUnsupported, "must be PROVINCE or REGENCY");
  } else if (r.group_by() == v1::REGION_LEVEL_UNSPECIFIED && scope_level) {
    group = RegionLevel::kRegency;  // the level below a province; a kab/kota is its own only group
  }
  CheckId(r.election_id(), "election_id", false, v);
  CheckTime(r.received_after(), r.has_received_after(), "received_after", absl::InfiniteFuture(), v);
  CheckTime(r.received_before(), r.has_received_before(), "received_before", absl::InfiniteFuture(), v);
  if (r.min_count() < 0) v.Add("min_count", ViolationReason::kOutOfRange, "must not be negative");
  if (!v.empty()) return Error::Invalid(std::move(v));

  const int min_count = std::max(r.min_count(), settings_.stats_min_count);
  const int64_t after = r.has_received_after() ? TimeUtil::TimestampToMicroseconds(r.received_after()) : 0;
  const int64_t before = r.has_received_before() ? TimeUtil::TimestampToMicroseconds(r.received_before()) : 0;
  const size_t key_length = group == RegionLevel::kProvince ? 2 : 5;
  struct Tally {
    int64_t total = 0;
    std::map<int, int64_t> by_status;
    std::map<std::string, int64_t> by_violation;
    std::map<int, std::vector<int64_t>> stages;
  };
  std::map<std::string, Tally> regions;
  Tally total;
  for (const StatRow& row : store_.StatRows(r.region_code(), r.election_id(), after, before)) {
    Tally& t = regions[row.region_code.substr(0, key_length)];
    for (Tally* x : {&t, &total}) {
      ++x->total;
      ++x->by_status[row.status];
      size_t start = 1;
      for (size_t comma; (comma = row.violation_codes.find(',', start)) != std::string::npos; start = comma + 1) {
        ++x->by_violation[row.violation_codes.substr(start, comma - start)];
      }
    }
  }
  for (const StageRow& row : store_.StageRows(r.region_code(), r.election_id(), after, before)) {
    regions[row.region_code.substr(0, key_length)].stages[row.stage].push_back(row.seconds);
    total.stages[row.stage].push_back(row.seconds);
  }
  auto count = [min_count](int64_t n, v1::StatCount* out) {
    const bool suppressed = n > 0 && n < min_count;
    out->set_count(suppressed ? 0 : n);
    out->set_suppressed(suppressed);
  };
  auto fill = [&](Tally& t, v1::RegionComplaintStats* out) {
    const bool suppressed = t.total > 0 && t.total < min_count;
    out->set_total(suppressed ? 0 : t.total);
    out->set_total_suppressed(suppressed);
    for (const auto& [status, n] : t.by_status) {
      auto* c = out->add_by_status();
      c->set_key(StatusName(static_cast<Status>(status)));
      count(n, c);
    }
    for (const auto& [code, n] : t.by_violation) {
      auto* c = out->add_by_violation();
      c->set_key(code);
      count(n, c);
    }
    for (auto& [stage, seconds] : t.stages) {
      auto* s = out->add_stage_times();
      s->set_stage(static_cast<Status>(stage));
      const int64_t n = static_cast<int64_t>(seconds.size());
      if (n < min_count) {
        s->set_suppressed(true);
        continue;
      }
      std::sort(seconds.begin(), seconds.end());
      // A named reference: clang before 16 cannot capture a structured binding.
      const auto& sorted = seconds;
      auto pct = [&](double p) {
        google::protobuf::Duration d;
        d.set_seconds(sorted[std::min<size_t>(sorted.size() - 1, static_cast<size_t>(p * (n - 1) + 0.5))]);
        return d;
      };
      s->set_sample_count(n);
      *s->mutable_p50() = pct(0.5);
      *s->mutable_p90() = pct(0.9);
      *s->mutable_p99() = pct(0.99);
    }
  };
  v1::GetComplaintStatsResponse out;
  fill(total, out.mutable_total());
  for (auto& [code, tally] : regions) {
    auto* region = out.add_regions();
    region->set_region_code(code);
    if (const Region* known = regions_.Find(code)) region->set_region_name(known->name);
    fill(tally, region);
  }
  out.set_min_count(min_count);
  *out.mutable_compute_time() = Stamp(now);
  return out;
}

void Complaints::RefreshOpenGauge() {
  if (!metrics_->open) return;
  // A series seen before and now empty is set to 0, not left at its last count.
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  for (const auto& key : metrics_->open_seen) counts[key] = 0;
  for (const auto& [province, status, n] : store_.OpenCounts()) counts[{province, StatusLabel(status)}] = n;
  for (const auto& [key, n] : counts) {
    metrics_->open->Add({{"province", key.first}, {"status", key.second}}).Set(static_cast<double>(n));
    metrics_->open_seen.insert(key);
  }
}

Result<std::string> Complaints::CheckedTrackingCode(std::string_view tracking_code) const {
  std::string code(tracking_code.substr(0, 64));
  std::transform(code.begin(), code.end(), code.begin(), [](unsigned char c) { return std::toupper(c); });
  Violations v;
  if (code.empty()) {
    v.Add("tracking_code", ViolationReason::kRequired, "is required");
  } else if (!IsWellFormedTrackingCode(code)) {
    v.Add("tracking_code", ViolationReason::kInvalidFormat, "must be 10 characters from " + std::string(kTrackingAlphabet));
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  return code;
}

Result<PublicStatus> Complaints::GetPublicStatus(std::string_view tracking_code) const {
  auto checked = CheckedTrackingCode(tracking_code);
  if (!checked.ok()) return checked.error();
  const std::string& code = checked.value();
  // The public lookup is the hottest read: cache first, then the store.
  auto cached = status_cache_.GetOrLoad("complaint:status:" + code, kStatusCacheTtl, [&]() -> std::optional<std::string> {
    auto found = store_.FindPublicStatus(code);
    if (!found) return std::nullopt;
    return EncodeStatus(*found);
  });
  if (cached) {
    if (auto status = DecodeStatus(code, *cached)) return *status;
    // A corrupt cache entry must not hide the record: answer from the store.
    if (auto found = store_.FindPublicStatus(code)) return *found;
  }
  return Error::NotFound("tracking_code", code, "no complaint has tracking code " + code);
}

Result<PublicView> Complaints::GetPublicView(std::string_view tracking_code) const {
  auto status = GetPublicStatus(tracking_code);
  if (!status.ok()) return status.error();
  PublicView view{status.value(), std::nullopt, {}};
  // Only an incomplete report has more to show (what to supply, by when): read the record then.
  if (status.value().status == v1::COMPLAINT_STATUS_INCOMPLETE) {
    if (auto record = store_.FindByTrackingCode(status.value().tracking_code)) {
      if (record->deadlines().has_completion()) view.completion = record->deadlines().completion();
      for (int m : record->missing_requirements()) view.missing.push_back(static_cast<v1::ComplaintRequirement>(m));
    }
  }
  return view;
}

}  // namespace netra::complaint

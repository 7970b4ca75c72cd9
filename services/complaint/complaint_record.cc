#include "services/complaint/complaint_record.h"

#include <sqlite3.h>

#include "absl/time/civil_time.h"
#include "common/sqlite.h"
#include "netra/storage/v1/complaint_record.pb.h"

namespace netra::complaint {
namespace {

namespace pb = netra::storage::v1;

int64_t Us(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time AtUs(int64_t us) { return absl::FromUnixMicros(us); }

template <class Setter>
void SetOptionalTime(const std::optional<absl::Time>& t, Setter set) {
  if (t) set(Us(*t));
}
std::optional<absl::Time> OptionalTime(bool present, int64_t us) {
  return present ? std::optional<absl::Time>(AtUs(us)) : std::nullopt;
}

// Fails the decode the way a malformed row does.
[[noreturn]] void Corrupt(std::string_view what) {
  throw SqliteError(SQLITE_CORRUPT, "malformed stored " + std::string(what));
}

absl::CivilDay DayOf(const std::string& text) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) Corrupt("day \"" + text + "\"");
  return day;
}

void ToRecord(const std::optional<Deadline>& d, pb::Deadline* out) {
  out->set_due_date(absl::FormatCivilTime(d->due_date));
  out->set_due_us(Us(d->due_time));
  out->set_time_zone(d->time_zone);
  out->set_days(d->rule.days);
  out->set_counting(static_cast<int>(d->rule.counting));
}
std::optional<Deadline> DeadlineOf(bool present, const pb::Deadline& d) {
  if (!present) return std::nullopt;
  return Deadline{DayOf(d.due_date()), AtUs(d.due_us()), d.time_zone(),
                  DeadlineRule{d.days(), static_cast<DayCounting>(d.counting())}};
}

void ToRecord(const EmployeeRef& e, pb::Employee* out) {
  out->set_employee_id(e.employee_id);
  out->set_employee_type(e.employee_type);
  out->set_name(e.name);
  out->set_agency_code(e.agency_code);
  out->set_agency_name(e.agency_name);
  out->set_unit_name(e.unit_name);
  out->set_position(e.position);
  out->set_work_region_code(e.work_region_code);
  out->set_ppk_code(e.ppk.code);
  out->set_ppk_name(e.ppk.name);
  out->set_ppk_region_code(e.ppk.region_code);
  out->set_registry_version(e.registry_version);
}
EmployeeRef EmployeeOf(const pb::Employee& e) {
  return EmployeeRef{e.employee_id(),   e.employee_type(),
                     e.name(),          e.agency_code(),
                     e.agency_name(),   e.unit_name(),
                     e.position(),      e.work_region_code(),
                     {e.ppk_code(), e.ppk_name(), e.ppk_region_code()},
                     e.registry_version()};
}

void ToRecord(const ClusterInfo& c, pb::Cluster* out) {
  out->set_cluster_id(c.cluster_id);
  out->set_primary_complaint_id(c.primary_complaint_id);
  out->set_member_count(c.member_count);
  out->set_is_primary(c.is_primary);
}
ClusterInfo ClusterOf(const pb::Cluster& c) {
  return {c.cluster_id(), c.primary_complaint_id(), c.member_count(), c.is_primary()};
}

void ToRecord(const Complaint& c, pb::ComplaintRecord& r) {
  r.set_complaint_id(c.complaint_id);
  r.set_tracking_code(c.tracking_code);
  r.set_status(static_cast<int>(c.status));
  r.set_channel(static_cast<int>(c.channel));
  pb::Reporter& reporter = *r.mutable_reporter();
  reporter.set_kind(static_cast<int>(c.reporter.kind));
  // Never the identity in clear: SealedIdentity adds it, sealed, to a stored row.
  reporter.set_identity_hidden(c.reporter.identity_hidden);
  reporter.set_nik_on_file(c.reporter.nik_on_file);
  pb::Subject& subject = *r.mutable_subject();
  subject.set_employee_number(c.subject.employee_number);
  subject.set_name(c.subject.name);
  subject.set_agency_name(c.subject.agency_name);
  subject.set_region_code(c.subject.region_code);
  subject.set_position(c.subject.position);
  const SubjectResolution& res = c.subject_resolution;
  pb::SubjectResolution& resolution = *r.mutable_subject_resolution();
  resolution.set_status(static_cast<int>(res.status));
  if (res.employee) ToRecord(*res.employee, resolution.mutable_employee());
  for (const auto& candidate : res.candidates) {
    pb::Candidate& out = *resolution.add_candidates();
    ToRecord(candidate.employee, out.mutable_employee());
    out.set_score(candidate.score);
    for (SubjectMatch m : candidate.matched) out.add_matched(static_cast<int>(m));
  }
  resolution.set_needs_review(res.needs_review);
  SetOptionalTime(res.resolve_time, [&](int64_t us) { resolution.set_resolve_us(us); });
  pb::Act& act = *r.mutable_act();
  act.set_election_id(c.act.election_id);
  for (const auto& code : c.act.violation_codes) act.add_violation_codes(code);
  SetOptionalTime(c.act.occurred_time, [&](int64_t us) { act.set_occurred_us(us); });
  SetOptionalTime(c.act.known_time, [&](int64_t us) { act.set_known_us(us); });
  act.set_region_code(c.act.region_code);
  act.set_place(c.act.place);
  act.set_description(c.act.description);
  for (const auto& url : c.act.source_urls) act.add_source_urls(url);
  for (const Evidence& e : c.evidence) {
    pb::Evidence& out = *r.add_evidence();
    out.set_evidence_id(e.evidence_id);
    out.set_sha256(e.sha256);
    out.set_size_bytes(e.size_bytes);
    out.set_media_type(e.media_type);
    out.set_file_name(e.file_name);
    out.set_upload_us(Us(e.upload_time));
  }
  for (Requirement m : c.missing_requirements) r.add_missing_requirements(static_cast<int>(m));
  r.set_late(c.late);
  if (c.deadlines.report) ToRecord(c.deadlines.report, r.mutable_report_deadline());
  if (c.deadlines.completion) ToRecord(c.deadlines.completion, r.mutable_completion_deadline());
  if (c.deadlines.initial_review) ToRecord(c.deadlines.initial_review, r.mutable_initial_review_deadline());
  if (c.deadlines.handling) ToRecord(c.deadlines.handling, r.mutable_handling_deadline());
  r.set_handling_extended(c.deadlines.handling_extended);
  if (!(c.cluster == ClusterInfo{})) ToRecord(c.cluster, r.mutable_cluster());
  const Forwarding& f = c.forwarding;
  pb::Forwarding& forwarding = *r.mutable_forwarding();
  forwarding.set_status(static_cast<int>(f.status));
  forwarding.set_case_id(f.case_id);
  for (const auto& code : f.violation_codes) forwarding.add_violation_codes(code);
  forwarding.set_review_summary(f.review_summary);
  forwarding.set_review_document_number(f.review_document_number);
  SetOptionalTime(f.request_time, [&](int64_t us) { forwarding.set_request_us(us); });
  SetOptionalTime(f.done_time, [&](int64_t us) { forwarding.set_done_us(us); });
  SetOptionalTime(f.refuse_time, [&](int64_t us) { forwarding.set_refuse_us(us); });
  forwarding.set_attempts(f.attempts);
  forwarding.set_last_error(f.last_error);
  if (c.outcome) {
    const Outcome& o = *c.outcome;
    pb::Outcome& outcome = *r.mutable_outcome();
    outcome.set_case_id(o.case_id);
    outcome.set_outcome(o.outcome);
    outcome.set_level(o.level);
    for (int form : o.forms) outcome.add_forms(form);
    outcome.set_decree_number(o.decree_number);
    if (!o.decree_date.empty()) outcome.set_decree_date(o.decree_date.Iso());
    outcome.set_decided_by(o.decided_by);
    outcome.set_case_version(o.case_version);
    outcome.set_record_us(Us(o.record_time));
  }
  r.set_status_reason(c.status_reason);
  r.set_version(c.version);
  r.set_received_us(Us(c.received_time));
  r.set_updated_us(Us(c.update_time));
  r.set_history_head_sequence(c.history_head_sequence);
  if (!c.receipt.hash.empty()) {
    pb::Receipt& receipt = *r.mutable_receipt();
    receipt.set_key_id(c.receipt.key_id);
    receipt.set_salt(c.receipt.salt);
    receipt.set_hash(c.receipt.hash);
  }
}

Complaint FromRecord(const pb::ComplaintRecord& r) {
  Complaint c;
  c.complaint_id = r.complaint_id();
  c.tracking_code = r.tracking_code();
  c.status = static_cast<Status>(r.status());
  c.channel = static_cast<IntakeChannel>(r.channel());
  const pb::Reporter& reporter = r.reporter();
  c.reporter.kind = static_cast<ReporterKind>(reporter.kind());
  // In clear only in a record from before sealing (the store seals those when it opens).
  c.reporter.name = reporter.name();
  c.reporter.address = reporter.address();
  c.reporter.contact = reporter.contact();
  c.reporter.organization = reporter.organization();
  c.reporter.identity_hidden = reporter.identity_hidden();
  c.reporter.nik_on_file = reporter.nik_on_file();
  const pb::Subject& s = r.subject();
  c.subject = {s.employee_number(), s.name(), s.agency_name(), s.region_code(), s.position()};
  const pb::SubjectResolution& res = r.subject_resolution();
  c.subject_resolution.status = static_cast<ResolutionStatus>(res.status());
  if (res.has_employee()) c.subject_resolution.employee = EmployeeOf(res.employee());
  for (const auto& candidate : res.candidates()) {
    auto& added = c.subject_resolution.candidates.emplace_back(
        SubjectCandidate{EmployeeOf(candidate.employee()), candidate.score(), {}});
    for (int m : candidate.matched()) {
      if (m > 0 && m <= kLastSubjectMatch) added.matched.push_back(static_cast<SubjectMatch>(m));
    }
  }
  c.subject_resolution.needs_review = res.needs_review();
  c.subject_resolution.resolve_time = OptionalTime(res.has_resolve_us(), res.resolve_us());
  const pb::Act& a = r.act();
  c.act.election_id = a.election_id();
  c.act.violation_codes.assign(a.violation_codes().begin(), a.violation_codes().end());
  c.act.occurred_time = OptionalTime(a.has_occurred_us(), a.occurred_us());
  c.act.known_time = OptionalTime(a.has_known_us(), a.known_us());
  c.act.region_code = a.region_code();
  c.act.place = a.place();
  c.act.description = a.description();
  c.act.source_urls.assign(a.source_urls().begin(), a.source_urls().end());
  for (const auto& e : r.evidence()) {
    c.evidence.push_back(
        {e.evidence_id(), e.sha256(), e.size_bytes(), e.media_type(), e.file_name(), AtUs(e.upload_us())});
  }
  for (int m : r.missing_requirements()) c.missing_requirements.push_back(static_cast<Requirement>(m));
  c.late = r.late();
  c.deadlines.report = DeadlineOf(r.has_report_deadline(), r.report_deadline());
  c.deadlines.completion = DeadlineOf(r.has_completion_deadline(), r.completion_deadline());
  c.deadlines.initial_review = DeadlineOf(r.has_initial_review_deadline(), r.initial_review_deadline());
  c.deadlines.handling = DeadlineOf(r.has_handling_deadline(), r.handling_deadline());
  c.deadlines.handling_extended = r.handling_extended();
  if (r.has_cluster()) c.cluster = ClusterOf(r.cluster());
  const pb::Forwarding& f = r.forwarding();
  c.forwarding.status = static_cast<ForwardingStatus>(f.status());
  c.forwarding.case_id = f.case_id();
  c.forwarding.violation_codes.assign(f.violation_codes().begin(), f.violation_codes().end());
  c.forwarding.review_summary = f.review_summary();
  c.forwarding.review_document_number = f.review_document_number();
  c.forwarding.request_time = OptionalTime(f.has_request_us(), f.request_us());
  c.forwarding.done_time = OptionalTime(f.has_done_us(), f.done_us());
  c.forwarding.refuse_time = OptionalTime(f.has_refuse_us(), f.refuse_us());
  c.forwarding.attempts = f.attempts();
  c.forwarding.last_error = f.last_error();
  if (r.has_outcome()) {
    const pb::Outcome& o = r.outcome();
    Outcome out;
    out.case_id = o.case_id();
    out.outcome = o.outcome();
    out.level = o.level();
    out.forms.assign(o.forms().begin(), o.forms().end());
    out.decree_number = o.decree_number();
    if (!o.decree_date().empty()) {
      const absl::CivilDay day = DayOf(o.decree_date());
      out.decree_date = {static_cast<int>(day.year()), day.month(), day.day()};
    }
    out.decided_by = o.decided_by();
    out.case_version = o.case_version();
    out.record_time = AtUs(o.record_us());
    c.outcome = std::move(out);
  }
  c.status_reason = r.status_reason();
  c.version = r.version();
  c.received_time = AtUs(r.received_us());
  c.update_time = AtUs(r.updated_us());
  c.history_head_sequence = r.history_head_sequence();
  if (r.has_receipt()) c.receipt = {r.receipt().key_id(), r.receipt().salt(), r.receipt().hash()};
  return c;
}

void OpenIdentity(const pb::SealedValue& sealed, const SealedBox& box, Complaint& c) {
  // The error names the complaint and the key, never anything sealed.
  auto opened = box.Open({sealed.key_id(), sealed.nonce(), sealed.ciphertext(), sealed.tag()}, c.complaint_id);
  pb::ReporterIdentity identity;
  if (!opened || !identity.ParseFromString(*opened)) {
    throw SqliteError(SQLITE_CORRUPT, "the reporter identity of complaint " + c.complaint_id +
                                          " does not open: reporter key " + sealed.key_id() +
                                          (box.HasKey(sealed.key_id()) ? " refuses it (altered or moved)"
                                                                       : " is not configured (--reporter-key-file)"));
  }
  c.reporter.name = identity.name();
  c.reporter.address = identity.address();
  c.reporter.contact = identity.contact();
  c.reporter.organization = identity.organization();
  c.reporter.nik_hash = identity.nik_hash();
}

Complaint ParseComplaint(std::string_view bytes, std::string_view what, const SealedBox* box) {
  pb::ComplaintRecord record;
  // Every complaint we write has its id; bytes without one are not ours.
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || record.complaint_id().empty()) {
    Corrupt(what);
  }
  Complaint c = FromRecord(record);
  if (box && record.reporter().has_sealed_identity()) OpenIdentity(record.reporter().sealed_identity(), *box, c);
  return c;
}

}  // namespace

std::string EncodeComplaint(const Complaint& complaint) {
  pb::ComplaintRecord record;
  ToRecord(complaint, record);
  return record.SerializeAsString();
}

std::string SealedIdentity(const Complaint& c, const SealedBox& box) {
  pb::ReporterIdentity identity;
  identity.set_name(c.reporter.name);
  identity.set_address(c.reporter.address);
  identity.set_contact(c.reporter.contact);
  identity.set_organization(c.reporter.organization);
  identity.set_nik_hash(c.reporter.nik_hash);
  const SealedValue v = box.Seal(identity.SerializeAsString(), c.complaint_id);
  pb::ComplaintRecord record;
  pb::SealedValue& out = *record.mutable_reporter()->mutable_sealed_identity();
  out.set_key_id(v.key_id);
  out.set_nonce(v.nonce);
  out.set_ciphertext(v.ciphertext);
  out.set_tag(v.tag);
  return record.SerializeAsString();
}

Complaint DecodeComplaint(std::string_view record, const SealedBox* box) {
  return ParseComplaint(record, "complaint", box);
}

std::string EncodeAnswer(const RecordedAnswer& answer) {
  return EncodeAnswer(EncodeComplaint(answer.complaint), answer.complaint.status, answer.complaint.cluster,
                      answer.joined_existing_cluster);
}

std::string EncodeAnswer(std::string_view encoded_complaint, Status status, const ClusterInfo& cluster, bool joined) {
  pb::RecordedAnswer answer;
  answer.set_complaint(encoded_complaint.data(), encoded_complaint.size());
  answer.set_status(static_cast<int>(status));
  ToRecord(cluster, answer.mutable_cluster());
  answer.set_joined_existing_cluster(joined);
  return answer.SerializeAsString();
}

RecordedAnswer DecodeAnswer(std::string_view bytes) {
  pb::RecordedAnswer answer;
  if (!answer.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) Corrupt("answer");
  RecordedAnswer out{ParseComplaint(answer.complaint(), "answer's complaint", nullptr),
                     answer.joined_existing_cluster()};
  // The answer's status and cluster; the complaint's own are a stored row's.
  out.complaint.status = static_cast<Status>(answer.status());
  out.complaint.cluster = ClusterOf(answer.cluster());
  return out;
}

}  // namespace netra::complaint

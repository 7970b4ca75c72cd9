#include "services/complaint/complaint_proto.h"

#include <google/protobuf/util/time_util.h>

namespace netra::complaint {
namespace {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;

// The domain's enumerations are numbered as netra.v1's.
static_assert(static_cast<int>(Status::kDismissed) == v1::ComplaintStatus_MAX);
static_assert(kLastTransitionAction == v1::ComplaintAction_MAX);
static_assert(kLastIntakeChannel == v1::IntakeChannel_MAX);
static_assert(kLastReporterKind == v1::ReporterKind_MAX);
static_assert(static_cast<int>(ResolutionStatus::kPending) == v1::SubjectResolutionStatus_MAX);
static_assert(kLastSubjectMatch == v1::SubjectMatch_MAX);
static_assert(static_cast<int>(Requirement::kEvidence) == v1::ComplaintRequirement_MAX);
static_assert(static_cast<int>(ForwardingStatus::kRefused) == v1::ForwardingStatus_MAX);
static_assert(kLastCaseOutcome == v1::CaseOutcome_MAX && kSanctionedOutcome == v1::CASE_OUTCOME_SANCTIONED);
static_assert(kLastSanctionLevel == v1::SanctionLevel_MAX && kLastSanctionForm == v1::SanctionForm_MAX);

google::protobuf::Timestamp Stamp(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }

// A client's timestamp as sent; nanos out of range make it kMalformedInstant
// (seconds out of range are the domain's to report).
absl::Time InstantOf(const google::protobuf::Timestamp& ts) {
  if (ts.nanos() < 0 || ts.nanos() >= 1000000000) return kMalformedInstant;
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::optional<absl::Time> OptionalInstant(bool set, const google::protobuf::Timestamp& ts) {
  if (!set) return std::nullopt;
  return InstantOf(ts);
}

absl::CivilDay DayOf(const v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }

void SetDate(absl::CivilDay day, v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

DeadlineRule RuleOf(const v1::DeadlineRule& rule) {
  return DeadlineRule{rule.days(), static_cast<DayCounting>(rule.counting())};
}

std::optional<Deadline> DeadlineOf(bool set, const v1::Deadline& d) {
  if (!set) return std::nullopt;
  return Deadline{DayOf(d.due_date()), InstantOf(d.due_time()), d.time_zone(),
                  d.has_rule() ? RuleOf(d.rule()) : DeadlineRule{0, DayCounting::kUnspecified}};
}

void ToProto(const EmployeeRef& e, v1::EmployeeRef* out) {
  out->set_employee_id(e.employee_id);
  out->set_employee_type(static_cast<v1::EmployeeType>(e.employee_type));
  out->set_name(e.name);
  out->set_agency_code(e.agency_code);
  out->set_agency_name(e.agency_name);
  out->set_unit_name(e.unit_name);
  out->set_position(e.position);
  out->set_work_region_code(e.work_region_code);
  out->mutable_ppk()->set_code(e.ppk.code);  // always present, as the registry's own employee has it
  out->mutable_ppk()->set_name(e.ppk.name);
  out->mutable_ppk()->set_region_code(e.ppk.region_code);
  out->set_registry_version(e.registry_version);
}

EmployeeRef FromProto(const v1::EmployeeRef& e) {
  return EmployeeRef{e.employee_id(),    e.employee_type(), e.name(),      e.agency_code(), e.agency_name(),
                     e.unit_name(),      e.position(),      e.work_region_code(),
                     StaffingAuthority{e.ppk().code(), e.ppk().name(), e.ppk().region_code()}, e.registry_version()};
}

Reporter FromProto(const v1::Reporter& r) {
  Reporter out;
  out.kind = static_cast<ReporterKind>(r.kind());
  out.name = r.name();
  out.address = r.address();
  out.contact = r.contact();
  out.organization = r.organization();
  out.nik = r.nik();
  out.identity_hidden = r.identity_hidden();
  out.nik_on_file = r.nik_on_file();
  out.sealed = r.sealed();
  return out;
}

Subject FromProto(const v1::Subject& s) {
  return Subject{s.employee_number(), s.name(), s.agency_name(), s.region_code(), s.position()};
}

Act FromProto(const v1::Act& a) {
  Act out;
  out.election_id = a.election_id();
  out.violation_codes.assign(a.violation_codes().begin(), a.violation_codes().end());
  out.occurred_time = OptionalInstant(a.has_occurred_time(), a.occurred_time());
  out.known_time = OptionalInstant(a.has_known_time(), a.known_time());
  out.region_code = a.region_code();
  out.place = a.place();
  out.description = a.description();
  out.source_urls.assign(a.source_urls().begin(), a.source_urls().end());
  return out;
}

void ToProto(const StatCount& c, v1::StatCount* out) {
  out->set_key(c.key);
  out->set_count(c.count);
  out->set_suppressed(c.suppressed);
}

google::protobuf::Duration Seconds(int64_t seconds) {
  google::protobuf::Duration d;
  d.set_seconds(seconds);
  return d;
}

void ToProto(const RegionStats& r, v1::RegionComplaintStats* out) {
  if (!r.region_code.empty()) out->set_region_code(r.region_code);
  if (!r.region_name.empty()) out->set_region_name(r.region_name);
  out->set_total(r.total);
  out->set_total_suppressed(r.total_suppressed);
  for (const auto& c : r.by_status) ToProto(c, out->add_by_status());
  for (const auto& c : r.by_violation) ToProto(c, out->add_by_violation());
  for (const StageTime& s : r.stage_times) {
    auto* t = out->add_stage_times();
    t->set_stage(static_cast<v1::ComplaintStatus>(s.stage));
    if (s.suppressed) {
      t->set_suppressed(true);
      continue;
    }
    t->set_sample_count(s.sample_count);
    *t->mutable_p50() = Seconds(s.p50_seconds);
    *t->mutable_p90() = Seconds(s.p90_seconds);
    *t->mutable_p99() = Seconds(s.p99_seconds);
  }
}

}  // namespace

v1::Deadline ToProto(const Deadline& d) {
  v1::Deadline out;
  SetDate(d.due_date, out.mutable_due_date());
  *out.mutable_due_time() = Stamp(d.due_time);
  out.set_time_zone(d.time_zone);
  // A rule-based deadline names its rule; the quiet period's hour window has none.
  if (d.rule.days > 0) {
    out.mutable_rule()->set_days(d.rule.days);
    out.mutable_rule()->set_counting(static_cast<v1::DayCounting>(d.rule.counting));
  }
  return out;
}

void ToProto(const Evidence& e, v1::Evidence* out) {
  out->set_evidence_id(e.evidence_id);
  out->set_sha256(e.sha256);
  out->set_size_bytes(e.size_bytes);
  out->set_media_type(e.media_type);
  out->set_file_name(e.file_name);
  *out->mutable_upload_time() = Stamp(e.upload_time);
}

Evidence FromProto(const v1::Evidence& e) {
  return Evidence{e.evidence_id(), e.sha256(), e.size_bytes(), e.media_type(), e.file_name(), InstantOf(e.upload_time())};
}

void ToProto(const Reporter& reporter, v1::Reporter* r) {
  r->set_kind(static_cast<v1::ReporterKind>(reporter.kind));
  r->set_name(reporter.name);
  r->set_address(reporter.address);
  r->set_contact(reporter.contact);
  r->set_organization(reporter.organization);
  r->set_identity_hidden(reporter.identity_hidden);
  r->set_nik_on_file(reporter.nik_on_file);
  r->set_sealed(reporter.sealed);
  r->set_redacted(reporter.sealed);  // the older clients' name for it
}

void ToProto(const Complaint& c, v1::Complaint* out) {
  out->set_complaint_id(c.complaint_id);
  out->set_tracking_code(c.tracking_code);
  out->set_status(static_cast<v1::ComplaintStatus>(c.status));
  out->set_channel(static_cast<v1::IntakeChannel>(c.channel));
  ToProto(c.reporter, out->mutable_reporter());
  auto* s = out->mutable_subject();
  s->set_employee_number(c.subject.employee_number);
  s->set_name(c.subject.name);
  s->set_agency_name(c.subject.agency_name);
  s->set_region_code(c.subject.region_code);
  s->set_position(c.subject.position);
  const SubjectResolution& sr = c.subject_resolution;
  auto* res = out->mutable_subject_resolution();
  res->set_status(static_cast<v1::SubjectResolutionStatus>(sr.status));
  if (sr.employee) ToProto(*sr.employee, res->mutable_employee());
  for (const auto& candidate : sr.candidates) {
    auto* x = res->add_candidates();
    ToProto(candidate.employee, x->mutable_employee());
    x->set_score(candidate.score);
    for (SubjectMatch m : candidate.matched) x->add_matched(static_cast<v1::SubjectMatch>(m));
  }
  res->set_needs_review(sr.needs_review);
  if (sr.resolve_time) *res->mutable_resolve_time() = Stamp(*sr.resolve_time);
  auto* act = out->mutable_act();
  act->set_election_id(c.act.election_id);
  for (const auto& code : c.act.violation_codes) act->add_violation_codes(code);
  if (c.act.occurred_time) *act->mutable_occurred_time() = Stamp(*c.act.occurred_time);
  if (c.act.known_time) *act->mutable_known_time() = Stamp(*c.act.known_time);
  act->set_region_code(c.act.region_code);
  act->set_place(c.act.place);
  act->set_description(c.act.description);
  for (const auto& url : c.act.source_urls) act->add_source_urls(url);
  for (const auto& e : c.evidence) ToProto(e, out->add_evidence());
  for (Requirement m : c.missing_requirements) out->add_missing_requirements(static_cast<v1::ComplaintRequirement>(m));
  out->set_late(c.late);
  const ComplaintDeadlines& d = c.deadlines;
  if (d.report || d.completion || d.initial_review || d.handling || d.handling_extended) {
    auto* dl = out->mutable_deadlines();
    if (d.report) *dl->mutable_report() = ToProto(*d.report);
    if (d.completion) *dl->mutable_completion() = ToProto(*d.completion);
    if (d.initial_review) *dl->mutable_initial_review() = ToProto(*d.initial_review);
    if (d.handling) *dl->mutable_handling() = ToProto(*d.handling);
    dl->set_handling_extended(d.handling_extended);
  }
  auto* cl = out->mutable_cluster();
  cl->set_cluster_id(c.cluster.cluster_id);
  cl->set_primary_complaint_id(c.cluster.primary_complaint_id);
  cl->set_member_count(c.cluster.member_count);
  cl->set_is_primary(c.cluster.is_primary);
  const Forwarding& f = c.forwarding;
  if (f.status != ForwardingStatus::kUnspecified) {
    auto* fw = out->mutable_forwarding();
    fw->set_status(static_cast<v1::ForwardingStatus>(f.status));
    fw->set_case_id(f.case_id);
    for (const auto& code : f.violation_codes) fw->add_violation_codes(code);
    fw->set_review_summary(f.review_summary);
    fw->set_review_document_number(f.review_document_number);
    if (f.request_time) *fw->mutable_request_time() = Stamp(*f.request_time);
    if (f.done_time) *fw->mutable_done_time() = Stamp(*f.done_time);
    if (f.refuse_time) *fw->mutable_refuse_time() = Stamp(*f.refuse_time);
    fw->set_attempts(f.attempts);
    fw->set_last_error(f.last_error);
  }
  if (c.outcome) {
    const Outcome& o = *c.outcome;
    auto* oc = out->mutable_outcome();
    oc->set_case_id(o.case_id);
    oc->set_outcome(static_cast<v1::CaseOutcome>(o.outcome));
    oc->set_level(static_cast<v1::SanctionLevel>(o.level));
    for (int form : o.forms) oc->add_forms(static_cast<v1::SanctionForm>(form));
    oc->set_decree_number(o.decree_number);
    oc->mutable_decree_date()->set_year(o.decree_date.year);
    oc->mutable_decree_date()->set_month(o.decree_date.month);
    oc->mutable_decree_date()->set_day(o.decree_date.day);
    oc->set_decided_by(o.decided_by);
    oc->set_case_version(o.case_version);
    *oc->mutable_record_time() = Stamp(o.record_time);
  }
  out->set_status_reason(c.status_reason);
  out->set_version(c.version);
  *out->mutable_received_time() = Stamp(c.received_time);
  *out->mutable_update_time() = Stamp(c.update_time);
  out->set_history_head_sequence(c.history_head_sequence);
}

Complaint FromProto(const v1::Complaint& p) {
  Complaint c;
  c.complaint_id = p.complaint_id();
  c.tracking_code = p.tracking_code();
  c.status = static_cast<Status>(p.status());
  c.channel = static_cast<IntakeChannel>(p.channel());
  c.reporter = FromProto(p.reporter());
  c.subject = FromProto(p.subject());
  const auto& sr = p.subject_resolution();
  c.subject_resolution.status = static_cast<ResolutionStatus>(sr.status());
  if (sr.has_employee()) c.subject_resolution.employee = FromProto(sr.employee());
  for (const auto& candidate : sr.candidates()) {
    auto& added = c.subject_resolution.candidates.emplace_back(
        SubjectCandidate{FromProto(candidate.employee()), candidate.score(), {}});
    for (int m : candidate.matched()) {
      if (m > 0 && m <= kLastSubjectMatch) added.matched.push_back(static_cast<SubjectMatch>(m));
    }
  }
  c.subject_resolution.needs_review = sr.needs_review();
  c.subject_resolution.resolve_time = OptionalInstant(sr.has_resolve_time(), sr.resolve_time());
  c.act = FromProto(p.act());
  for (const auto& e : p.evidence()) c.evidence.push_back(FromProto(e));
  for (int m : p.missing_requirements()) c.missing_requirements.push_back(static_cast<Requirement>(m));
  c.late = p.late();
  const auto& d = p.deadlines();
  c.deadlines.report = DeadlineOf(d.has_report(), d.report());
  c.deadlines.completion = DeadlineOf(d.has_completion(), d.completion());
  c.deadlines.initial_review = DeadlineOf(d.has_initial_review(), d.initial_review());
  c.deadlines.handling = DeadlineOf(d.has_handling(), d.handling());
  c.deadlines.handling_extended = d.handling_extended();
  c.cluster = {p.cluster().cluster_id(), p.cluster().primary_complaint_id(), p.cluster().member_count(),
               p.cluster().is_primary()};
  if (p.has_forwarding()) {
    const auto& f = p.forwarding();
    Forwarding& out = c.forwarding;
    out.status = static_cast<ForwardingStatus>(f.status());
    out.case_id = f.case_id();
    out.violation_codes.assign(f.violation_codes().begin(), f.violation_codes().end());
    out.review_summary = f.review_summary();
    out.review_document_number = f.review_document_number();
    out.request_time = OptionalInstant(f.has_request_time(), f.request_time());
    out.done_time = OptionalInstant(f.has_done_time(), f.done_time());
    out.refuse_time = OptionalInstant(f.has_refuse_time(), f.refuse_time());
    out.attempts = f.attempts();
    out.last_error = f.last_error();
  }
  if (p.has_outcome()) {
    const auto& o = p.outcome();
    Outcome out;
    out.case_id = o.case_id();
    out.outcome = o.outcome();
    out.level = o.level();
    out.forms.assign(o.forms().begin(), o.forms().end());
    out.decree_number = o.decree_number();
    out.decree_date = {o.decree_date().year(), o.decree_date().month(), o.decree_date().day()};
    out.decided_by = o.decided_by();
    out.case_version = o.case_version();
    out.record_time = InstantOf(o.record_time());
    c.outcome = std::move(out);
  }
  c.status_reason = p.status_reason();
  c.version = p.version();
  c.received_time = InstantOf(p.received_time());
  c.update_time = InstantOf(p.update_time());
  c.history_head_sequence = p.history_head_sequence();
  return c;
}

SubmitCommand ToCommand(const v1::SubmitComplaintRequest& r) {
  SubmitCommand out;
  out.request_id = r.request_id();
  out.channel = static_cast<IntakeChannel>(r.channel());
  out.reporter = FromProto(r.reporter());
  out.subject = FromProto(r.subject());
  out.act = FromProto(r.act());
  out.evidence_ids.assign(r.evidence_ids().begin(), r.evidence_ids().end());
  out.request_bytes = r.ByteSizeLong();
  return out;
}

TransitionCommand ToCommand(const v1::TransitionComplaintRequest& r) {
  TransitionCommand out;
  out.request_id = r.request_id();
  out.complaint_id = r.complaint_id();
  out.action = static_cast<Action>(r.action());
  out.reason = r.reason();
  out.expected_version = r.expected_version();
  const auto& a = r.amendment();
  out.amendment.reporter = FromProto(a.reporter());
  out.amendment.subject = FromProto(a.subject());
  out.amendment.act = FromProto(a.act());
  out.amendment.add_evidence_ids.assign(a.add_evidence_ids().begin(), a.add_evidence_ids().end());
  out.forward.violation_codes.assign(r.forward().violation_codes().begin(), r.forward().violation_codes().end());
  out.forward.review_summary = r.forward().review_summary();
  out.forward.review_document_number = r.forward().review_document_number();
  out.subject_employee_id = r.subject_employee_id();
  out.receipt = r.receipt();
  return out;
}

RevealCommand ToCommand(const v1::RevealReporterRequest& r) { return RevealCommand{r.complaint_id(), r.reason()}; }

OutcomeCommand ToCommand(const v1::RecordOutcomeRequest& r) {
  OutcomeCommand out;
  out.request_id = r.request_id();
  out.complaint_id = r.complaint_id();
  out.case_id = r.case_id();
  out.outcome = r.outcome();
  out.level = r.level();
  out.forms.assign(r.forms().begin(), r.forms().end());
  out.decree_number = r.decree_number();
  if (r.has_decree_date()) {
    out.decree_date = Date{r.decree_date().year(), r.decree_date().month(), r.decree_date().day()};
  }
  out.decided_by = r.decided_by();
  out.case_version = r.case_version();
  out.expected_version = r.expected_version();
  return out;
}

ListQuery ToQuery(const v1::ListComplaintsRequest& r) {
  ListQuery out;
  out.region_code = r.region_code();
  out.statuses.assign(r.statuses().begin(), r.statuses().end());
  out.election_id = r.election_id();
  out.violation_code = r.violation_code();
  out.cluster_id = r.cluster_id();
  out.received_after = OptionalInstant(r.has_received_after(), r.received_after());
  out.received_before = OptionalInstant(r.has_received_before(), r.received_before());
  out.primaries_only = r.primaries_only();
  out.needs_subject_review = r.needs_subject_review();
  out.page_size = r.page_size();
  out.page_token = r.page_token();
  // The same binary always encodes a message without maps the same way.
  v1::ListComplaintsRequest scope = r;
  scope.clear_page_size();
  scope.clear_page_token();
  out.scope = scope.SerializeAsString();
  return out;
}

HistoryQuery ToQuery(const v1::GetComplaintHistoryRequest& r) {
  return HistoryQuery{r.complaint_id(), r.page_size(), r.page_token()};
}

StatsQuery ToQuery(const v1::GetComplaintStatsRequest& r) {
  StatsQuery out;
  out.region_code = r.region_code();
  out.group_by = r.group_by();
  out.election_id = r.election_id();
  out.received_after = OptionalInstant(r.has_received_after(), r.received_after());
  out.received_before = OptionalInstant(r.has_received_before(), r.received_before());
  out.min_count = r.min_count();
  return out;
}

void ToProto(const ComplaintPage& page, v1::ListComplaintsResponse* out) {
  for (const Complaint& c : page.complaints) ToProto(c, out->add_complaints());
  out->set_next_page_token(page.next_page_token);
}

void ToProto(const HistoryPage& page, v1::GetComplaintHistoryResponse* out) {
  for (const auto& e : page.entries) ToProto(e, out->add_entries());
  out->set_next_page_token(page.next_page_token);
}

void ToProto(const ComplaintStats& stats, v1::GetComplaintStatsResponse* out) {
  ToProto(stats.total, out->mutable_total());
  for (const RegionStats& region : stats.regions) ToProto(region, out->add_regions());
  out->set_min_count(stats.min_count);
  *out->mutable_compute_time() = Stamp(stats.compute_time);
}

void ToProto(const PublicView& view, v1::GetComplaintStatusResponse* out) {
  out->set_tracking_code(view.status.tracking_code);
  out->set_status(static_cast<v1::ComplaintStatus>(view.status.status));
  *out->mutable_received_time() = TimeUtil::MicrosecondsToTimestamp(view.status.received_micros);
  *out->mutable_last_update_time() = TimeUtil::MicrosecondsToTimestamp(view.status.updated_micros);
  if (view.completion) *out->mutable_completion_deadline() = ToProto(*view.completion);
  for (Requirement m : view.missing) out->add_missing_requirements(static_cast<v1::ComplaintRequirement>(m));
}

EmployeeRef FromProto(const v1::Employee& e) {
  return EmployeeRef{e.employee_id(),    e.employee_type(), e.name(),      e.agency_code(), e.agency_name(),
                     e.unit_name(),      e.position(),      e.work_region_code(),
                     StaffingAuthority{e.ppk().code(), e.ppk().name(), e.ppk().region_code()}, e.version()};
}

ElectionTerms FromProto(const v1::Election& e) {
  ElectionTerms out;
  out.election_id = e.election_id();
  const auto& rules = e.rules();
  out.report_window = RuleOf(rules.report_window());
  out.finding_window = RuleOf(rules.finding_window());
  out.completion = RuleOf(rules.completion());
  out.initial_review = RuleOf(rules.initial_review());
  out.handling = RuleOf(rules.handling());
  out.handling_extended = RuleOf(rules.handling_extended());
  out.quiet_period_report_window_hours = rules.quiet_period_report_window_hours();
  if (e.has_quiet_period_start_date()) out.quiet_period_start = DayOf(e.quiet_period_start_date());
  if (e.has_voting_date()) out.voting_day = DayOf(e.voting_date());
  for (const auto& holiday : e.holidays()) out.holidays.push_back({DayOf(holiday.date()), holiday.region_code()});
  return out;
}

}  // namespace netra::complaint

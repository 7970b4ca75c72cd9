// RegistryHandler's election RPCs: netra.v1 messages <-> the Elections domain.
#include "absl/time/clock.h"
#include "common/rpc.h"
#include "services/registry/registry_handler.h"

namespace netra::registry {
namespace {

// Domain enumerations are numbered as their proto counterparts; values a
// client sent outside them are passed through for the domain to reject.
std::optional<Date> FromProto(bool present, const netra::v1::Date& date) {
  if (!present) return std::nullopt;
  return Date{date.year(), date.month(), date.day()};
}

DeadlineRule FromProto(const netra::v1::DeadlineRule& rule) {
  return DeadlineRule{rule.days(), static_cast<DayCounting>(rule.counting())};
}

}  // namespace

Election FromProto(const netra::v1::Election& in) {
  Election e;
  e.election_id = in.election_id();
  e.name = in.name();
  e.type = static_cast<ElectionType>(in.type());
  e.scope_region_code = in.scope_region_code();
  e.voting_date = FromProto(in.has_voting_date(), in.voting_date());
  e.campaign_start_date = FromProto(in.has_campaign_start_date(), in.campaign_start_date());
  e.campaign_end_date = FromProto(in.has_campaign_end_date(), in.campaign_end_date());
  e.quiet_period_start_date = FromProto(in.has_quiet_period_start_date(), in.quiet_period_start_date());
  e.quiet_period_end_date = FromProto(in.has_quiet_period_end_date(), in.quiet_period_end_date());
  e.candidates_fixed_date = FromProto(in.has_candidates_fixed_date(), in.candidates_fixed_date());
  const auto& r = in.rules();
  e.rules.report_window = FromProto(r.report_window());
  e.rules.quiet_period_report_window_hours = r.quiet_period_report_window_hours();
  e.rules.finding_window = FromProto(r.finding_window());
  e.rules.completion = FromProto(r.completion());
  e.rules.initial_review = FromProto(r.initial_review());
  e.rules.handling = FromProto(r.handling());
  e.rules.handling_extended = FromProto(r.handling_extended());
  e.rules.ppk_decision = FromProto(r.ppk_decision());
  e.rules.escalation_warning = FromProto(r.escalation_warning());
  e.rules.escalation_reprimand = FromProto(r.escalation_reprimand());
  e.rules.escalation_data_block = FromProto(r.escalation_data_block());
  e.recommending_authority = {in.recommending_authority().code(), in.recommending_authority().name()};
  e.holidays.reserve(std::min(in.holidays_size(), kMaxHolidays + 1));
  for (const auto& h : in.holidays()) {
    e.holidays.push_back(Holiday{Date{h.date().year(), h.date().month(), h.date().day()}, h.name(),
                                 static_cast<HolidayKind>(h.kind()), h.region_code()});
  }
  return e;
}

namespace {

void ToProto(const std::optional<Date>& date, netra::v1::Date* (netra::v1::Election::*mutable_date)(),
             netra::v1::Election* out) {
  if (!date) return;
  auto* d = (out->*mutable_date)();
  d->set_year(date->year);
  d->set_month(date->month);
  d->set_day(date->day);
}

void ToProto(const DeadlineRule& rule, netra::v1::DeadlineRule* out) {
  out->set_days(rule.days);
  out->set_counting(static_cast<netra::v1::DayCounting>(rule.counting));
}

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

void ToProto(const Election& e, netra::v1::Election* out) {
  using V1 = netra::v1::Election;
  out->set_election_id(e.election_id);
  out->set_name(e.name);
  out->set_type(static_cast<netra::v1::ElectionType>(e.type));
  out->set_scope_region_code(e.scope_region_code);
  ToProto(e.voting_date, &V1::mutable_voting_date, out);
  ToProto(e.campaign_start_date, &V1::mutable_campaign_start_date, out);
  ToProto(e.campaign_end_date, &V1::mutable_campaign_end_date, out);
  ToProto(e.quiet_period_start_date, &V1::mutable_quiet_period_start_date, out);
  ToProto(e.quiet_period_end_date, &V1::mutable_quiet_period_end_date, out);
  ToProto(e.candidates_fixed_date, &V1::mutable_candidates_fixed_date, out);
  auto* r = out->mutable_rules();
  ToProto(e.rules.report_window, r->mutable_report_window());
  r->set_quiet_period_report_window_hours(e.rules.quiet_period_report_window_hours);
  ToProto(e.rules.finding_window, r->mutable_finding_window());
  ToProto(e.rules.completion, r->mutable_completion());
  ToProto(e.rules.initial_review, r->mutable_initial_review());
  ToProto(e.rules.handling, r->mutable_handling());
  ToProto(e.rules.handling_extended, r->mutable_handling_extended());
  ToProto(e.rules.ppk_decision, r->mutable_ppk_decision());
  ToProto(e.rules.escalation_warning, r->mutable_escalation_warning());
  ToProto(e.rules.escalation_reprimand, r->mutable_escalation_reprimand());
  ToProto(e.rules.escalation_data_block, r->mutable_escalation_data_block());
  out->mutable_recommending_authority()->set_code(e.recommending_authority.code);
  out->mutable_recommending_authority()->set_name(e.recommending_authority.name);
  for (const Holiday& h : e.holidays) {
    auto* holiday = out->add_holidays();
    holiday->mutable_date()->set_year(h.date.year);
    holiday->mutable_date()->set_month(h.date.month);
    holiday->mutable_date()->set_day(h.date.day);
    holiday->set_name(h.name);
    holiday->set_kind(static_cast<netra::v1::HolidayKind>(h.kind));
    holiday->set_region_code(h.region_code);
  }
  out->set_version(e.version);
  ToProto(e.create_time, out->mutable_create_time());
  ToProto(e.update_time, out->mutable_update_time());
}

}  // namespace

grpc::Status RegistryHandler::UpsertElection(grpc::ServerContext* context,
                                             const netra::v1::UpsertElectionRequest* request,
                                             netra::v1::UpsertElectionResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "UpsertElection");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  if (!request->has_election()) {
    Violations violations;
    CheckRequestId(request->request_id(), "request_id", violations);
    violations.Add("election", ViolationReason::kRequired, "is required");
    return InvalidArgument(violations);
  }
  UpsertElectionCommand command{request->request_id(), FromProto(request->election()), request->expected_version()};
  auto outcome = elections_.Upsert(command, absl::Now());
  if (!outcome.ok()) return ToStatus(outcome.error());
  static constexpr const char* kChange[] = {"", "created", "updated", "unchanged"};
  log::Info("election upserted", {{"election_id", outcome.value().election.election_id},
                                  {"version", std::to_string(outcome.value().election.version)},
                                  {"result", kChange[static_cast<int>(outcome.value().result)]}});
  ToProto(outcome.value().election, response->mutable_election());
  response->set_result(static_cast<netra::v1::UpsertResult>(outcome.value().result));
  return grpc::Status::OK;
}

grpc::Status RegistryHandler::GetElection(grpc::ServerContext* context, const netra::v1::GetElectionRequest* request,
                                          netra::v1::GetElectionResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "GetElection");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  auto election = elections_.Get(request->election_id());
  if (!election.ok()) return ToStatus(election.error());
  ToProto(election.value(), response->mutable_election());
  return grpc::Status::OK;
}

grpc::Status RegistryHandler::ListElections(grpc::ServerContext* context,
                                            const netra::v1::ListElectionsRequest* request,
                                            netra::v1::ListElectionsResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ListElections");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  ElectionQuery query{static_cast<ElectionType>(request->type()), request->region_code(), request->page_size(),
                      request->page_token()};
  auto page = elections_.List(query);
  if (!page.ok()) return ToStatus(page.error());
  for (const Election& election : page.value().elections) ToProto(election, response->add_elections());
  response->set_next_page_token(page.value().next_page_token);
  return grpc::Status::OK;
}

}  // namespace netra::registry

#include "services/sanction/peers.h"

#include <nlohmann/json.hpp>

#include "common/client.h"
#include "common/peer_status.h"
#include "common/redis.h"

namespace netra::sanction {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kPeerDeadline{5000};

DeadlineRule RuleFrom(const netra::v1::DeadlineRule& rule) {
  return DeadlineRule{rule.days(), static_cast<DayCounting>(rule.counting())};
}

void SetDate(const std::string& iso, netra::v1::Date* out) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(iso, &day)) return;
  out->set_year(static_cast<int>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

}  // namespace

EmployeeSnapshot FromProto(const netra::v1::Employee& e) {
  EmployeeSnapshot s;
  s.employee_id = e.employee_id();
  s.employee_type = static_cast<EmployeeType>(e.employee_type());
  s.name = e.name();
  s.agency_code = e.agency_code();
  s.agency_name = e.agency_name();
  s.unit_name = e.unit_name();
  s.position = e.position();
  s.work_region_code = e.work_region_code();
  s.ppk = StaffingAuthority{e.ppk().code(), e.ppk().name(), e.ppk().region_code()};
  s.registry_version = e.version();
  return s;
}

ElectionTerms FromProto(const netra::v1::Election& e) {
  ElectionTerms t;
  t.election_id = e.election_id();
  t.authority = RecommendingAuthority{e.recommending_authority().code(), e.recommending_authority().name()};
  t.ppk_decision = RuleFrom(e.rules().ppk_decision());
  t.escalation = {RuleFrom(e.rules().escalation_warning()), RuleFrom(e.rules().escalation_reprimand()),
                  RuleFrom(e.rules().escalation_data_block())};
  for (const auto& h : e.holidays()) {
    t.holidays.push_back({absl::CivilDay(h.date().year(), h.date().month(), h.date().day()), h.region_code()});
  }
  return t;
}

Result<EmployeeSnapshot> RegistryDirectory::FindEmployee(const std::string& employee_id) {
  // The case's PPK and authority come from this record, and they decide who may
  // act on the case (common/authorize.h): the registry's own answer, not Redis's copy.
  auto found = registry_.FindEmployeeInRegistry(employee_id);
  if (!found.ok()) return found.error();
  auto type = found.value().employee_type();
  if (type < netra::v1::EMPLOYEE_TYPE_PNS || type > netra::v1::EMPLOYEE_TYPE_PPNPN) {
    return Error::Internal("registry returned an employee without a type");
  }
  return FromProto(found.value());
}

Result<ElectionTerms> RegistryDirectory::FindElection(const std::string& election_id) {
  auto found = registry_.FindElection(election_id);
  if (!found.ok()) return found.error();
  return FromProto(found.value());
}

Result<ForwardedComplaint> ComplaintServiceRecords::FindComplaint(const std::string& complaint_id) {
  if (!complaint_) return Error::Unavailable("no complaint service configured (--complaint)");
  netra::v1::GetComplaintRequest request;
  request.set_complaint_id(complaint_id);
  netra::v1::GetComplaintResponse response;
  auto context = MakeClientContext(kPeerDeadline);
  const grpc::Status status = complaint_->GetComplaint(context.get(), request, &response);
  if (!status.ok()) return FromPeerStatus(status, {"complaint", "complaint", complaint_id, "complaint_id"});
  const netra::v1::Complaint& c = response.complaint();
  ForwardedComplaint found;
  found.complaint_id = c.complaint_id();
  found.status = netra::v1::ComplaintStatus_Name(c.status());
  found.forwarded =
      c.status() == netra::v1::COMPLAINT_STATUS_FORWARDED || c.status() == netra::v1::COMPLAINT_STATUS_CLOSED;
  found.employee_id = c.subject_resolution().employee().employee_id();
  found.election_id = c.act().election_id();
  found.violation_codes.assign(c.forwarding().violation_codes().begin(), c.forwarding().violation_codes().end());
  return found;
}

namespace {

// A case's notices to one peer go in the order the case made them.
std::string CaseOf(const OutboxMessage& message) {
  json p = json::parse(message.payload, nullptr, /*allow_exceptions=*/false);
  return p.is_object() && p.contains("case_id") && p["case_id"].is_string() ? p["case_id"].get<std::string>()
                                                                             : message.dedupe_key;
}

}  // namespace

void HandleNotifications(OutboxDispatcher& dispatcher, RegistryClient& registry,
                         std::shared_ptr<netra::v1::ComplaintService::Stub> complaint) {
  dispatcher.Handle(std::string(kOutcomeKind), [complaint](const OutboxMessage& message) {
    if (!complaint) return OutboxDispatcher::Delivery::Failed("no complaint service configured (--complaint)");
    json p = json::parse(message.payload);
    netra::v1::RecordOutcomeRequest request;
    request.set_request_id(p.at("request_id").get<std::string>());
    request.set_complaint_id(p.at("complaint_id").get<std::string>());
    request.set_case_id(p.at("case_id").get<std::string>());
    request.set_outcome(static_cast<netra::v1::CaseOutcome>(p.value("outcome", 0)));
    request.set_level(static_cast<netra::v1::SanctionLevel>(p.value("level", 0)));
    for (int form : p.value("forms", std::vector<int>{})) request.add_forms(static_cast<netra::v1::SanctionForm>(form));
    request.set_decree_number(p.value("reference_number", ""));
    SetDate(p.value("reference_date", ""), request.mutable_decree_date());
    request.set_decided_by(p.value("decided_by", ""));
    request.set_case_version(p.at("case_version").get<int64_t>());
    netra::v1::RecordOutcomeResponse response;
    auto context = MakeClientContext(kPeerDeadline, request.request_id());
    return DeliveryOf(complaint->RecordOutcome(context.get(), request, &response), "RecordOutcome");
  }, CaseOf);
  dispatcher.Handle(std::string(kStatusKind), [&registry](const OutboxMessage& message) {
    json p = json::parse(message.payload);
    netra::v1::SetDisciplinaryStatusRequest request;
    request.set_request_id(p.at("request_id").get<std::string>());
    request.set_employee_id(p.at("employee_id").get<std::string>());
    request.set_case_id(p.at("case_id").get<std::string>());
    auto state = static_cast<netra::v1::DisciplinaryState>(p.at("state").get<int>());
    request.set_state(state);
    if (state == netra::v1::DISCIPLINARY_STATE_UNDER_SANCTION) {
      request.set_level(static_cast<netra::v1::SanctionLevel>(p.value("level", 0)));
      for (int form : p.value("forms", std::vector<int>{})) {
        request.add_forms(static_cast<netra::v1::SanctionForm>(form));
      }
      request.set_decree_number(p.value("reference_number", ""));
      SetDate(p.value("reference_date", ""), request.mutable_decree_date());
      SetDate(p.value("end_date", ""), request.mutable_end_date());
      if (request.end_date().year() == 0) request.clear_end_date();
    }
    request.set_source_sequence(p.at("source_sequence").get<int64_t>());
    netra::v1::SetDisciplinaryStatusResponse response;
    auto context = MakeClientContext(kPeerDeadline, request.request_id());
    return DeliveryOf(registry.stub().SetDisciplinaryStatus(context.get(), request, &response),
                      "SetDisciplinaryStatus");
  }, CaseOf);
}

bool ConnectPeers(const ServiceEnvironment& env, ServiceParts& parts, Peers* peers, std::string* error) {
  if (env.config.registry_target.empty()) {
    *error = "--registry is required (cases look up employees and elections)";
    return false;
  }
  auto* employees = parts.Keep(std::make_unique<Cache>(env.redis, "employee", env.metrics.registry()));
  peers->registry = parts.Keep(
      std::make_unique<RegistryClient>(*employees, MakeChannel(env.config.registry_target, &env.metrics)));
  peers->directory = parts.Keep(std::make_unique<RegistryDirectory>(*peers->registry));
  if (!env.config.complaint_target.empty()) {
    peers->complaint = netra::v1::ComplaintService::NewStub(MakeChannel(env.config.complaint_target, &env.metrics));
  }
  peers->complaints = parts.Keep(std::make_unique<ComplaintServiceRecords>(peers->complaint));
  return true;
}

OutboxDispatcher* NotificationOutbox(const ServiceEnvironment& env, ServiceParts& parts, const Peers& peers) {
  // A claim outlives the longest delivery (kPeerDeadline) with room to spare,
  // and no more: a replica killed mid-delivery delays the retry by it.
  OutboxOptions options;
  options.claim_lease = 2 * kPeerDeadline;
  auto* outbox = parts.Keep(std::make_unique<OutboxDispatcher>(env.store, &env.metrics.registry(), options));
  HandleNotifications(*outbox, *peers.registry, peers.complaint);
  return outbox;
}

}  // namespace netra::sanction

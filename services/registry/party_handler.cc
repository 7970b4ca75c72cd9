// RegistryHandler's party-membership screening RPCs: netra.v1 messages <->
// PartyScreening. NIK hashes go in and never come out: no response, log line
// or error description carries one.
#include <google/protobuf/util/time_util.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "absl/time/clock.h"
#include "common/rpc.h"
#include "services/registry/employee_cache.h"
#include "services/registry/registry_handler.h"

namespace netra::registry {
namespace {

using google::protobuf::util::TimeUtil;

void ToProto(const PartyMatch& m, netra::v1::PartyMembershipMatch* out) {
  out->set_match_id(m.match_id());
  auto* ref = out->mutable_employee();
  ref->set_employee_id(m.employee_id);
  if (m.employee) {
    netra::v1::Employee e;
    registry::ToProto(*m.employee, &e);
    ref->set_employee_type(e.employee_type());
    ref->set_name(e.name());
    ref->set_agency_code(e.agency_code());
    ref->set_agency_name(e.agency_name());
    ref->set_unit_name(e.unit_name());
    ref->set_position(e.position());
    ref->set_work_region_code(e.work_region_code());
    *ref->mutable_ppk() = e.ppk();
    ref->set_registry_version(e.version());
  }
  out->set_party_code(m.party_code);
  out->set_party_name(m.party_name);
  out->set_party_region_code(m.party_region_code);
  out->set_role(static_cast<netra::v1::PartyRole>(m.role));
  out->set_status(static_cast<netra::v1::PartyMembershipMatchStatus>(m.status));
  out->set_statement_reference(m.statement_reference);
  if (m.statement_date) {
    out->mutable_statement_date()->set_year(m.statement_date->year);
    out->mutable_statement_date()->set_month(m.statement_date->month);
    out->mutable_statement_date()->set_day(m.statement_date->day);
  }
  out->set_note(m.note);
  if (m.status != MatchStatus::kOpen) {
    out->mutable_resolved_by()->set_id(m.resolved_by);
    out->mutable_resolved_by()->set_kind(netra::v1::ACTOR_KIND_PERSON);
    *out->mutable_resolve_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(m.resolve_time));
  }
  *out->mutable_match_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(m.match_time));
  out->set_source_name(m.source_name);
  out->set_version(m.version);
}

// The employees whose record a list of matches shows (those still on file).
std::vector<std::string> ShownEmployees(std::span<const PartyMatch> matches) {
  std::vector<std::string> ids;
  for (const PartyMatch& m : matches) {
    if (m.employee) ids.push_back(m.employee_id);
  }
  return ids;
}

}  // namespace

grpc::Status RegistryHandler::ImportPartyMembersStream(grpc::ServerContext* context,
                                                       RequestStream<netra::v1::ImportPartyMembersRequest>* reader,
                                                       netra::v1::ImportPartyMembersResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ImportPartyMembers");
  if (!scope.access().ok()) return scope.access();
  return GuardStore("ImportPartyMembers", [&]() -> grpc::Status {
    netra::v1::ImportPartyMembersRequest message;
    std::unique_ptr<PartyImport> import;
    std::optional<std::pair<std::string, std::string>> earlier;  // a completed import with this request_id
    std::string request_id;
    RequestHash hash;
    bool first = true;
    while (reader->Read(&message)) {
      if (first) {
        first = false;
        request_id = message.request_id();
        Violations v;
        CheckRequestId(request_id, "request_id", v);
        auto started = party_screening_.StartImport(message.source_name(), message.max_row_errors(), absl::Now());
        if (!started.ok()) v.Append(started.error().violations);
        if (!v.empty()) return InvalidArgument(v);
        import = std::move(started.value());
        import->ConfineTo(scope.RegionScope());  // a regional KPU's list holds its own region's records
        auto found = party_screening_.FindImport(request_id);
        if (!found.ok()) return ToStatus(found.error());
        earlier = std::move(found.value());
        hash.Add(request_id);
        hash.Add(message.source_name());
        hash.Add(std::to_string(message.max_row_errors()));
        log::Info("party member import started",
                  {{"source", message.source_name()}, {"replay", earlier ? "yes" : "no"}});
      }
      if (message.records_size() > PartyScreening::kMaxRecordsPerMessage) {
        return InvalidArgument("records", ViolationReason::kTooLong, "at most 10,000 records per message");
      }
      for (auto& record : *message.mutable_records()) {
        hash.Add(DeterministicBytes(record));
        if (earlier) continue;  // a retry of a completed import: answered from its record below
        PartyMember member{record.row_number(),           std::move(*record.mutable_nik_hmac()),
                           record.party_code(),           record.party_name(),
                           record.region_code(),          static_cast<PartyRole>(record.role())};
        if (auto error = import->Add(std::move(member))) return ToStatus(*error);
      }
    }
    if (!reader->status().ok()) return reader->status();
    const std::string request_hash = hash.Finish();
    if (auto end = EndOfImportStream(*context, first, import ? import->summary().received : 0, earlier, request_hash,
                                     response)) {
      return *end;
    }
    auto summary = import->Finish();
    if (!summary.ok()) return ToStatus(summary.error());
    const PartyImportSummary& s = summary.value();
    if (s.outside_region > 0) scope.Refused(kDenyOutsideRegion);
    response->set_records_received(s.received);
    response->set_accepted(s.accepted);
    response->set_rejected(s.rejected);
    response->set_matched(s.matched);
    response->set_new_matches(s.new_matches);
    for (const RowError& error : s.row_errors) {
      auto* out = response->add_row_errors();
      out->set_row_number(error.row_number);
      AddFieldViolations(error.violations, out->mutable_violations());
    }
    response->set_row_errors_truncated(s.row_errors_truncated);
    auto recorded = party_screening_.RecordImport(request_id, request_hash, response->SerializeAsString());
    if (!recorded.ok()) return ToStatus(recorded.error());
    for (const auto& [province, n] : s.new_by_province) {
      party_matches_->Add({{"province", province.empty() ? "unknown" : province}, {"result", "matched"}})
          .Increment(static_cast<double>(n));
    }
    log::Info("party member import finished", {{"received", std::to_string(s.received)},
                                               {"accepted", std::to_string(s.accepted)},
                                               {"rejected", std::to_string(s.rejected)},
                                               {"matched", std::to_string(s.matched)},
                                               {"new_matches", std::to_string(s.new_matches)}});
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::ListPartyMembershipMatches(grpc::ServerContext* context,
                                                         const netra::v1::ListPartyMembershipMatchesRequest* request,
                                                         netra::v1::ListPartyMembershipMatchesResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ListPartyMembershipMatches");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("ListPartyMembershipMatches", [&] {
    Filter filter{.region_code = request->region_code()};
    if (auto denied = scope.NarrowToScope(&filter); !denied.ok()) return denied;
    MatchQuery query{static_cast<MatchStatus>(request->status()), filter.region_code, request->agency_code(),
                     request->party_code(), request->page_size(), request->page_token()};
    auto page = party_screening_.List(query);
    if (!page.ok()) return ToStatus(page.error());
    if (auto refused = access_log_.Record(scope, kSubjectEmployee, ShownEmployees(page.value().matches));
        !refused.ok()) {
      return refused;
    }
    for (const PartyMatch& m : page.value().matches) ToProto(m, response->add_matches());
    response->set_next_page_token(page.value().next_page_token);
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::ResolvePartyMembershipMatch(grpc::ServerContext* context,
                                                          const netra::v1::ResolvePartyMembershipMatchRequest* request,
                                                          netra::v1::ResolvePartyMembershipMatchResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ResolvePartyMembershipMatch");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("ResolvePartyMembershipMatch", [&] {
    // The employee's own BKD resolves; to another, the match does not exist.
    if (scope.Enforced()) {
      // A malformed id is left to Resolve, which reports it with the request's other problems.
      auto found = party_screening_.Find(request->match_id());
      if (!found.ok() && found.error().kind != Error::Kind::kInvalidArgument) return ToStatus(found.error());
      if (found.ok() && (!found.value().employee || !scope.Sees(ResourceOf(*found.value().employee)))) {
        return ToStatus(Error::NotFound("party membership match", request->match_id()));
      }
    }
    ResolveMatchCommand command;
    command.request_id = request->request_id();
    command.match_id = request->match_id();
    command.resolution = static_cast<MatchStatus>(request->resolution());
    command.statement_reference = request->statement_reference();
    if (request->has_statement_date()) {
      const auto& d = request->statement_date();
      command.statement_date = Date{d.year(), d.month(), d.day()};
    }
    command.note = request->note();
    command.expected_version = request->expected_version();
    auto match = party_screening_.Resolve(command, scope.caller().actor, absl::Now());
    if (!match.ok()) return ToStatus(match.error());
    const PartyMatch& m = match.value().match;
    if (!match.value().replayed) {
      const std::string province = m.employee ? m.employee->work_region_code.substr(0, 2) : "unknown";
      party_matches_
          ->Add({{"province", province},
                 {"result", m.status == MatchStatus::kConfirmedMember ? "confirmed" : "identity_misuse"}})
          .Increment();
      // A confirmed membership is a discipline case (catalog B5) for the
      // complaint flow; until that flow takes it, this line and the match record it.
      log::Info("party membership match resolved",
                {{"match_id", m.match_id()}, {"status", std::string(MatchStatusName(m.status))}});
    }
    if (auto refused = access_log_.Record(scope, kSubjectEmployee, ShownEmployees(std::span<const PartyMatch>(&m, 1)));
        !refused.ok()) {
      return refused;
    }
    ToProto(m, response->mutable_match());
    return grpc::Status::OK;
  });
}

}  // namespace netra::registry

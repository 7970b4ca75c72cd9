// RegistryHandler's prevention RPCs: netra.v1 messages <-> the Prevention domain.
#include "absl/time/clock.h"
#include "common/rpc.h"
#include "services/registry/registry_handler.h"

namespace netra::registry {
namespace {

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

void ToProto(const Pledge& p, netra::v1::Pledge* out) {
  out->set_pledge_id(p.pledge_id);
  out->set_employee_id(p.employee_id);
  out->set_election_id(p.election_id);
  out->set_kind(static_cast<netra::v1::PledgeKind>(p.kind));
  out->mutable_signed_date()->set_year(p.signed_date.year);
  out->mutable_signed_date()->set_month(p.signed_date.month);
  out->mutable_signed_date()->set_day(p.signed_date.day);
  out->set_document_sha256(p.document_sha256);
  out->set_document_reference(p.document_reference);
  out->mutable_recorded_by()->set_id(p.recorded_by);
  out->mutable_recorded_by()->set_kind(netra::v1::ACTOR_KIND_PERSON);
  ToProto(p.record_time, out->mutable_record_time());
}

void ToProto(const Coverage& c, netra::v1::PledgeCoverage* out) {
  out->set_group_key(c.group_key);
  out->set_group_name(c.group_name);
  out->set_employees(c.employees);
  out->set_pledged(c.pledged);
  out->set_ratio(c.ratio);
}

}  // namespace

grpc::Status RegistryHandler::RecordPledge(grpc::ServerContext* context, const netra::v1::RecordPledgeRequest* request,
                                           netra::v1::RecordPledgeResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "RecordPledge");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  // A BKD records its own region's pledges; another region's employee is
  // answered as one that does not exist.
  if (scope.Enforced()) {
    auto denied = GuardStore("RecordPledge", [&] {
      auto employee = employees_.Get(request->employee_id());
      if (employee.ok() && !scope.Sees(ResourceOf(employee.value()))) {
        return ToStatus(EmployeeNotFound(request->employee_id()));
      }
      return grpc::Status::OK;
    });
    if (!denied.ok()) return denied;
  }
  RecordPledgeCommand command;
  command.request_id = request->request_id();
  Pledge& p = command.pledge;
  p.employee_id = request->employee_id();
  p.election_id = request->election_id();
  p.kind = static_cast<PledgeKind>(request->kind());
  command.has_signed_date = request->has_signed_date();
  p.signed_date = Date{request->signed_date().year(), request->signed_date().month(), request->signed_date().day()};
  p.document_sha256 = request->document_sha256();
  p.document_reference = request->document_reference();
  auto pledge = prevention_.RecordPledge(command, scope.caller().actor, absl::Now());
  if (!pledge.ok()) return ToStatus(pledge.error());
  log::Info("pledge recorded", {{"pledge_id", pledge.value().pledge_id}, {"election_id", pledge.value().election_id}});
  ToProto(pledge.value(), response->mutable_pledge());
  return grpc::Status::OK;
}

grpc::Status RegistryHandler::GetPledgeCoverage(grpc::ServerContext* context,
                                                const netra::v1::GetPledgeCoverageRequest* request,
                                                netra::v1::GetPledgeCoverageResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "GetPledgeCoverage");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  // Counts of a regional office's own region only.
  Filter filter{.region_code = request->region_code()};
  if (auto denied = scope.NarrowToScope(&filter); !denied.ok()) return denied;
  CoverageQuery query{request->election_id(),
                      filter.region_code,
                      request->agency_code(),
                      request->unit_code(),
                      static_cast<CoverageGrouping>(request->group_by()),
                      static_cast<PledgeKind>(request->kind()),
                      request->page_size(),
                      request->page_token()};
  auto report = prevention_.GetCoverage(query);
  if (!report.ok()) return ToStatus(report.error());
  ToProto(report.value().total, response->mutable_total());
  for (const Coverage& c : report.value().groups) ToProto(c, response->add_groups());
  response->set_next_page_token(report.value().next_page_token);
  return grpc::Status::OK;
}

}  // namespace netra::registry

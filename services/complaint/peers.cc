#include "services/complaint/peers.h"

#include <map>

#include "absl/time/clock.h"
#include "common/client.h"
#include "common/log.h"
#include "common/peer_status.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "services/complaint/complaint_proto.h"

namespace netra::complaint {

namespace v1 = netra::v1;

Result<EmployeeRef> RegistryDirectory::FindEmployee(std::string_view employee_id) {
  auto found = client_.FindEmployee(employee_id);
  if (!found.ok()) return found.error();
  return FromProto(found.value());
}

Result<ElectionTerms> RegistryDirectory::FindElection(std::string_view election_id) {
  auto found = client_.FindElection(election_id);
  if (!found.ok()) return found.error();
  return FromProto(found.value());
}

Result<std::vector<EmployeeRef>> RegistryDirectory::SearchEmployees(std::string_view name,
                                                                    std::string_view region_code, int limit) {
  v1::SearchEmployeesRequest request;
  request.set_name_query(std::string(name));
  request.set_region_code(std::string(region_code));
  request.set_page_size(limit);
  v1::SearchEmployeesResponse response;
  auto context = MakeClientContext(std::chrono::milliseconds(2000));
  grpc::Status status = client_.stub().SearchEmployees(context.get(), request, &response);
  if (!status.ok()) return FromPeerStatus(status, {"registry", "employee search", name, "subject.name"});
  std::vector<EmployeeRef> out;
  for (const auto& e : response.employees()) out.push_back(FromProto(e));
  return out;
}

std::string OpenCaseMessage(const ForwardingRequest& f) {
  v1::OpenCaseRequest open;
  open.set_request_id(f.complaint_id + "/open");
  open.set_complaint_id(f.complaint_id);
  for (const auto& id : f.related_complaint_ids) open.add_related_complaint_ids(id);
  open.set_employee_id(f.employee_id);
  open.set_election_id(f.election_id);
  for (const auto& code : f.violation_codes) open.add_violation_codes(code);
  open.set_review_summary(f.review_summary);
  open.set_review_document_number(f.review_document_number);
  return open.SerializeAsString();
}

OutboxDispatcher::Handler ForwardingDelivery(Complaints& complaints, std::shared_ptr<grpc::Channel> sanction) {
  auto stub = std::shared_ptr<v1::SanctionService::Stub>(v1::SanctionService::NewStub(std::move(sanction)));
  return [&complaints, stub](const OutboxMessage& message) {
    v1::OpenCaseRequest request;
    if (!request.ParseFromString(message.payload)) return OutboxDispatcher::Delivery::Refused("unreadable payload");
    v1::OpenCaseResponse response;
    auto context = MakeClientContext(std::chrono::milliseconds(5000), request.request_id());
    context->AddMetadata("x-netra-actor", "svc:netra-complaint");
    grpc::Status status = stub->OpenCase(context.get(), request, &response);
    if (!status.ok()) return DeliveryOf(status, "OpenCase");  // an outage is retried, a refusal parked
    auto marked = complaints.MarkForwarded(request.complaint_id(), response.case_record().case_id(), absl::Now());
    if (!marked.ok()) return OutboxDispatcher::Delivery::Failed("recording the case: " + marked.error().message);
    return OutboxDispatcher::Delivery::Ok();
  };
}

ViolationCatalogSource::Fetch SanctionCatalogFetch(RedisClient& redis, std::shared_ptr<grpc::Channel> sanction) {
  auto stub = std::shared_ptr<v1::SanctionService::Stub>(v1::SanctionService::NewStub(std::move(sanction)));
  return [&redis, stub]() -> std::optional<ViolationCodes> {
    if (auto json = redis.Get(kViolationCatalogKey)) {
      auto codes = ViolationCodes::FromCatalogJson(*json);
      if (codes.ok()) return std::move(codes.value());
      log::Warn("unreadable violation catalog in redis; asking the sanction service",
                {{"error", codes.error().message}});
    }
    std::map<std::string, std::string, std::less<>> categories;
    v1::ListViolationTypesRequest request;
    request.set_page_size(1000);
    std::string version;
    for (int page = 0; page < 100; ++page) {
      v1::ListViolationTypesResponse response;
      auto context = MakeClientContext(std::chrono::milliseconds(1000));
      if (!stub->ListViolationTypes(context.get(), request, &response).ok()) return std::nullopt;
      if (page > 0 && response.catalog_version() != version) return std::nullopt;  // replaced while paging
      version = response.catalog_version();
      for (const auto& type : response.violation_types()) {
        categories[type.code()] = type.category() == v1::VIOLATION_CATEGORY_ETHICS       ? "ethics"
                                  : type.category() == v1::VIOLATION_CATEGORY_DISCIPLINE ? "discipline"
                                                                                          : "unknown";
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    if (categories.empty()) return std::nullopt;
    return ViolationCodes(std::move(categories));
  };
}

bool ConnectPeers(const ServiceEnvironment& env, ServiceParts& parts, Peers* peers, std::string* /*error*/) {
  auto* employees = parts.Keep(std::make_unique<Cache>(env.redis, "registry_employee", env.metrics.registry()));
  peers->registry = parts.Keep(
      std::make_unique<RegistryClient>(*employees, MakeChannel(env.config.registry_target, &env.metrics)));
  peers->directory = parts.Keep(std::make_unique<RegistryDirectory>(*peers->registry));
  peers->sanction = MakeChannel(env.config.sanction_target, &env.metrics);
  return true;
}

OutboxDispatcher* ForwardingOutbox(const ServiceEnvironment& env, ServiceParts& parts, const Peers& peers,
                                   Complaints& complaints) {
  auto* outbox = parts.Keep(std::make_unique<OutboxDispatcher>(env.store, &env.metrics.registry()));
  outbox->Handle(std::string(kForwardingOutboxKind), ForwardingDelivery(complaints, peers.sanction));
  return outbox;
}

}  // namespace netra::complaint

// The employee RPCs of RegistryHandler: netra.v1 messages <-> EmployeeDirectory.
#include <prometheus/counter.h>

#include <unordered_set>

#include "absl/strings/escaping.h"
#include "common/rpc.h"
#include "common/store.h"
#include "services/registry/employee_cache.h"
#include "services/registry/registry_handler.h"

namespace netra::registry {
namespace {

netra::v1::UpsertResult ToProto(UpsertResult result) { return static_cast<netra::v1::UpsertResult>(result); }

// A NIK enters a request hash only as its HMAC, so that the stored
// idempotency hash says nothing about it.
std::string NikPiece(const NikHasher& hasher, const std::string& nik) { return nik.empty() ? "" : hasher.Hash(nik); }

void ToProto(const RowError& error, netra::v1::RowError* out) {
  out->set_row_number(error.row_number);
  out->set_employee_id(error.employee_id);
  AddFieldViolations(error.violations, out->mutable_violations());
}

}  // namespace

Resource ResourceOf(const Employee& employee) {
  return Resource{.region_code = employee.work_region_code, .ppk_code = employee.ppk.code};
}

Error EmployeeNotFound(const std::string& employee_id) { return Error::NotFound("employee", employee_id); }

grpc::Status RegistryHandler::GetEmployee(grpc::ServerContext* context, const netra::v1::GetEmployeeRequest* request,
                                          netra::v1::GetEmployeeResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "GetEmployee");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("GetEmployee", [&] {
    auto employee = employees_.Get(request->employee_id());
    if (!employee.ok()) return ToStatus(employee.error());
    if (!scope.Sees(ResourceOf(employee.value()))) return ToStatus(EmployeeNotFound(request->employee_id()));
    if (auto refused = access_log_.Record(scope, kSubjectEmployee, {employee.value().employee_id}); !refused.ok()) {
      return refused;
    }
    registry::ToProto(employee.value(), response->mutable_employee());
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::BatchGetEmployees(grpc::ServerContext* context,
                                                const netra::v1::BatchGetEmployeesRequest* request,
                                                netra::v1::BatchGetEmployeesResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "BatchGetEmployees");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("BatchGetEmployees", [&] {
    std::vector<std::string> ids(request->employee_ids().begin(), request->employee_ids().end());
    auto result = employees_.BatchGet(ids);
    if (!result.ok()) return ToStatus(result.error());
    // Employees outside the caller's region are listed as missing, like ids
    // that name nobody, in the request's order.
    std::unordered_set<std::string> missing(result.value().missing_ids.begin(), result.value().missing_ids.end());
    std::vector<const Employee*> shown;
    std::vector<std::string> shown_ids;
    for (const auto& e : result.value().employees) {
      if (scope.Sees(ResourceOf(e))) {
        shown.push_back(&e);
        shown_ids.push_back(e.employee_id);
      } else {
        missing.insert(e.employee_id);
      }
    }
    if (auto refused = access_log_.Record(scope, kSubjectEmployee, shown_ids); !refused.ok()) return refused;
    for (const Employee* e : shown) registry::ToProto(*e, response->add_employees());
    for (const auto& id : ids) {
      if (missing.erase(id)) response->add_missing_ids(id);
    }
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::SearchEmployees(grpc::ServerContext* context,
                                              const netra::v1::SearchEmployeesRequest* request,
                                              netra::v1::SearchEmployeesResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "SearchEmployees");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("SearchEmployees", [&] {
    Filter filter{.region_code = request->region_code()};
    if (auto denied = scope.NarrowToScope(&filter); !denied.ok()) return denied;
    EmployeeSearch search{request->name_query(), filter.region_code, request->agency_code(),
                          request->employee_type(), request->page_size(), request->page_token()};
    auto page = employees_.Search(search);
    if (!page.ok()) return ToStatus(page.error());
    std::vector<std::string> shown_ids;
    for (const auto& e : page.value().employees) shown_ids.push_back(e.employee_id);
    if (auto refused = access_log_.Record(scope, kSubjectEmployee, shown_ids); !refused.ok()) return refused;
    for (const auto& e : page.value().employees) registry::ToProto(e, response->add_employees());
    response->set_next_page_token(page.value().next_page_token);
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::UpsertEmployee(grpc::ServerContext* context,
                                             const netra::v1::UpsertEmployeeRequest* request,
                                             netra::v1::UpsertEmployeeResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "UpsertEmployee");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("UpsertEmployee", [&] {
    if (auto denied = AuthorizeWrite(scope, request->employee()); !denied.ok()) return denied;
    UpsertRequest upsert{FromProto(request->employee()), request->nik(), request->expected_version()};
    netra::v1::UpsertEmployeeRequest hashed = *request;
    hashed.clear_nik();
    RequestHash hash;
    hash.Add(DeterministicBytes(hashed));
    hash.Add(NikPiece(nik_hasher_, request->nik()));
    Idempotency idempotency{{"UpsertEmployee", request->request_id(), hash.Finish()},
                            [](const Employee& e, UpsertResult result) {
                              netra::v1::UpsertEmployeeResponse stored;
                              registry::ToProto(e, stored.mutable_employee());
                              stored.set_result(ToProto(result));
                              return stored.SerializeAsString();
                            }};
    auto outcome = employees_.Upsert(upsert, idempotency);
    if (!outcome.ok()) return ToStatus(outcome.error());
    if (outcome.value().replayed) {
      if (!response->ParseFromString(*outcome.value().replayed)) {
        return InternalError("internal error; the operators have the details in the service log");
      }
      return grpc::Status::OK;
    }
    registry::ToProto(outcome.value().employee, response->mutable_employee());
    response->set_result(ToProto(outcome.value().result));
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::ImportEmployeesStream(grpc::ServerContext* context,
                                                    RequestStream<netra::v1::ImportEmployeesRequest>* reader,
                                                    netra::v1::ImportEmployeesResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "ImportEmployees");
  if (!scope.access().ok()) return scope.access();
  return GuardStore("ImportEmployees", [&]() -> grpc::Status {
    netra::v1::ImportEmployeesRequest message;
    std::unique_ptr<EmployeeImport> import;
    std::optional<std::pair<std::string, std::string>> earlier;  // a completed import with this request_id
    std::string request_id;
    RequestHash hash;
    int64_t rejected_reported = 0;  // committed rows are counted by the writer as batches commit
    auto report = [&](const ImportSummary& now) {
      import_rejected_->Increment(static_cast<double>(now.rejected - rejected_reported));
      rejected_reported = now.rejected;
    };
    bool first = true;
    std::string employee_bytes;  // one buffer for every row's hashed bytes
    while (reader->Read(&message)) {
      if (first) {
        first = false;
        request_id = message.request_id();
        Violations v = EmployeeDirectory::ValidateRequestId(request_id);
        if (message.source_name().size() > 800 || !CountCodePoints(message.source_name()) ||
            *CountCodePoints(message.source_name()) > 200) {
          v.Add("source_name", ViolationReason::kTooLong, "must be valid UTF-8 of at most 200 characters");
        }
        auto started = employees_.StartImport(message.max_row_errors(), [this](const ImportSummary& batch) {
          import_inserted_->Increment(static_cast<double>(batch.inserted));
          import_updated_->Increment(static_cast<double>(batch.updated));
          import_unchanged_->Increment(static_cast<double>(batch.unchanged));
        });
        if (!started.ok()) v.Append(started.error().violations);
        if (!v.empty()) return InvalidArgument(v);
        import = std::move(started.value());
        import->ConfineTo(scope.RegionScope());
        earlier = employees_.FindImport(request_id);
        hash.Add(request_id);
        hash.Add(message.source_name());
        hash.Add(std::to_string(message.max_row_errors()));
        log::Info("import started", {{"source", message.source_name()}, {"replay", earlier ? "yes" : "no"}});
      }
      if (message.rows_size() > 10000) return InvalidArgument("rows", ViolationReason::kTooLong, "at most 10,000 rows per message");
      for (const auto& row : message.rows()) {
        hash.Add(std::to_string(row.row_number()));
        DeterministicBytes(row.employee(), &employee_bytes);
        hash.Add(employee_bytes);
        std::string nik_hmac = NikPiece(nik_hasher_, row.nik());
        hash.Add(nik_hmac);
        if (earlier) continue;  // a retry of a completed import: answered from its record below
        // Copied into a reused row, not moved: the message's strings keep
        // their memory for the next message, and the row's keep theirs.
        FromProto(row.employee(), &import->NextEmployee());
        if (auto error = import->AddNext(row.row_number(), row.nik(), std::move(nik_hmac))) {
          report(import->summary());
          return ToStatus(*error);
        }
      }
      report(import->summary());
    }
    if (!reader->status().ok()) {
      if (import) report(import->summary());
      return reader->status();
    }
    if (first) return InvalidArgument("request_id", ViolationReason::kRequired, "is required (the stream was empty)");
    if (context->IsCancelled()) {
      // Batches already committed stay committed; the rest of the stream is lost.
      log::Warn("import cut off", {{"rows_received", std::to_string(import->summary().received)}});
      return grpc::Status(grpc::StatusCode::CANCELLED, "import cancelled by the client");
    }
    const std::string request_hash = hash.Finish();
    if (earlier) {
      if (earlier->first != request_hash) {
        return InvalidArgument("request_id", ViolationReason::kInconsistent,
                               "was used before with different request content");
      }
      if (!response->ParseFromString(earlier->second)) return InternalError("internal error; see the service log");
      return grpc::Status::OK;
    }
    auto summary = import->Finish();
    if (!summary.ok()) return ToStatus(summary.error());
    report(summary.value());
    const auto& s = summary.value();
    if (s.outside_region > 0) scope.Refused(kDenyOutsideRegion);
    response->set_rows_received(s.received);
    response->set_inserted(s.inserted);
    response->set_updated(s.updated);
    response->set_unchanged(s.unchanged);
    response->set_rejected(s.rejected);
    for (const auto& error : s.row_errors) ToProto(error, response->add_row_errors());
    response->set_row_errors_truncated(s.row_errors_truncated);
    employees_.RecordImport(request_id, request_hash, response->SerializeAsString());
    log::Info("import finished", {{"received", std::to_string(s.received)},
                                  {"inserted", std::to_string(s.inserted)},
                                  {"updated", std::to_string(s.updated)},
                                  {"unchanged", std::to_string(s.unchanged)},
                                  {"rejected", std::to_string(s.rejected)}});
    return grpc::Status::OK;
  });
}

grpc::Status RegistryHandler::AuthorizeWrite(const CallScope& scope, const netra::v1::Employee& incoming) {
  if (scope.RegionScope().empty()) return grpc::Status::OK;
  // Where the employee is to work; an empty region is the validation's to refuse.
  if (!incoming.work_region_code().empty()) {
    if (auto denied = scope.Authorize({.region_code = incoming.work_region_code()}); !denied.ok()) return denied;
  }
  // And where the record on file says it works: an office cannot take over
  // another region's employee (a transfer is written by the administrator).
  auto stored = employees_.Get(EmployeeDirectory::DeriveId(FromProto(incoming)));
  if (stored.ok()) return scope.Authorize(ResourceOf(stored.value()));
  const auto kind = stored.error().kind;
  if (kind == Error::Kind::kNotFound || kind == Error::Kind::kInvalidArgument) return grpc::Status::OK;
  return ToStatus(stored.error());
}

grpc::Status RegistryHandler::SetDisciplinaryStatus(grpc::ServerContext* context,
                                                    const netra::v1::SetDisciplinaryStatusRequest* request,
                                                    netra::v1::SetDisciplinaryStatusResponse* response) {
  CallScope scope(*context, netra::v1::RegistryService::service_full_name(), "SetDisciplinaryStatus");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  return GuardStore("SetDisciplinaryStatus", [&] {
    DisciplinaryUpdate update;
    update.request_id = request->request_id();
    update.employee_id = request->employee_id();
    update.expected_version = request->expected_version();
    auto& r = update.record;
    r.case_id = request->case_id();
    r.state = static_cast<DisciplinaryState>(request->state());
    r.level = request->level();
    for (int f : request->forms()) r.forms.push_back(f);
    r.decree_number = request->decree_number();
    if (request->has_decree_date()) {
      r.decree_date = {request->decree_date().year(), request->decree_date().month(), request->decree_date().day()};
    }
    if (request->has_end_date()) {
      r.end_date = {request->end_date().year(), request->end_date().month(), request->end_date().day()};
    }
    r.source_sequence = request->source_sequence();
    auto outcome = employees_.SetDisciplinaryStatus(update);
    if (!outcome.ok()) return ToStatus(outcome.error());
    registry::ToProto(outcome.value().employee, response->mutable_employee());
    response->set_changed(outcome.value().changed);
    return grpc::Status::OK;
  });
}

}  // namespace netra::registry

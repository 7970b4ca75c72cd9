#include "services/sanction/sanction_handler.h"

#include <google/protobuf/util/time_util.h>

#include <nlohmann/json.hpp>

#include "common/rpc.h"

namespace netra::sanction {
namespace {

using google::protobuf::util::TimeUtil;

void SetTime(int64_t us, google::protobuf::Timestamp* out) { *out = TimeUtil::MicrosecondsToTimestamp(us); }

void SetDate(absl::CivilDay day, netra::v1::Date* out) {
  out->set_year(static_cast<int>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

std::optional<Date> DateOf(bool present, const netra::v1::Date& d) {
  if (!present) return std::nullopt;
  return Date{d.year(), d.month(), d.day()};
}

template <class Repeated>
std::vector<int> Ints(const Repeated& values) {
  return std::vector<int>(values.begin(), values.end());
}

template <class Enum, class Repeated>
void AddForms(const std::vector<SanctionForm>& forms, Repeated* out) {
  for (auto f : forms) out->Add(static_cast<Enum>(f));
}

// A case is where its employee works, under its PPK and its recommending authority.
Resource ResourceOf(const Case& c) {
  return Resource{.region_code = c.region_code, .ppk_code = c.ppk.code, .authority_code = c.authority.code};
}

// The caller's rule on the case a change reads (its region, PPK or
// authority), asked in the change's transaction; a refusal is kept in
// *denied, which the handler answers with.
RuleOn<Case> MayAct(const CallScope& scope, grpc::Status* denied) {
  return RefusalKept<Case>([&scope](const Case& c) { return scope.Authorize(ResourceOf(c)); }, denied);
}

// A list's filter narrowed to the caller's scope (common/authorize.h), back into the query's fields.
template <class Query>
grpc::Status NarrowCases(const CallScope& scope, Query* query, std::string* authority_code) {
  Filter filter{query->region_code, query->ppk_code, authority_code ? *authority_code : std::string()};
  auto denied = scope.NarrowToScope(&filter);
  query->region_code = std::move(filter.region_code);
  query->ppk_code = std::move(filter.ppk_code);
  if (authority_code) *authority_code = std::move(filter.authority_code);
  return denied;
}

// The idempotency record of a request: its hash and how to encode the response.
template <class Response>
Idempotency MakeIdempotency(std::string method, const std::string& request_id,
                            const google::protobuf::Message& request, std::function<void(const Case&, Response*)> fill) {
  return Idempotency{std::move(method), request_id, RequestHashOf(request), [fill](const Case& c) {
                       Response response;
                       fill(c, &response);
                       return response.SerializeAsString();
                     }};
}

// The response of a change: the first one's bytes for a retry, else the case.
template <class Response>
grpc::Status Answer(Sanctions& sanctions, const Result<Mutation>& m, Response* response,
                    const std::function<void(Response*)>& extra = {}) {
  if (!m.ok()) return ToStatus(m.error());
  if (m.value().replayed) {
    if (!response->ParseFromString(*m.value().replayed)) {
      return InternalError("internal error; the operators have the details in the service log");
    }
    return grpc::Status::OK;
  }
  auto queued = sanctions.Queued(m.value().case_record);
  ToProto(m.value().case_record, queued.ok() ? &queued.value() : nullptr, sanctions.NowUs(),
          response->mutable_case_record());
  if (extra) extra(response);
  return grpc::Status::OK;
}

}  // namespace

OpenCaseCommand ToCommand(const netra::v1::OpenCaseRequest& request) {
  return OpenCaseCommand{request.request_id(),
                         request.complaint_id(),
                         {request.related_complaint_ids().begin(), request.related_complaint_ids().end()},
                         request.employee_id(),
                         request.election_id(),
                         {request.violation_codes().begin(), request.violation_codes().end()},
                         request.review_summary(),
                         request.review_document_number()};
}

RecommendCommand ToCommand(const netra::v1::IssueRecommendationRequest& request) {
  return RecommendCommand{request.request_id(),
                          request.case_id(),
                          request.expected_version(),
                          request.authority_code(),
                          request.letter_number(),
                          DateOf(request.has_letter_date(), request.letter_date()),
                          request.verdict(),
                          request.level(),
                          Ints(request.forms()),
                          request.summary()};
}

DecisionCommand ToCommand(const netra::v1::RecordDecisionRequest& request) {
  return DecisionCommand{request.request_id(),
                         request.case_id(),
                         request.expected_version(),
                         request.decree_number(),
                         DateOf(request.has_decree_date(), request.decree_date()),
                         request.outcome(),
                         request.level(),
                         Ints(request.forms()),
                         request.decided_by(),
                         DateOf(request.has_effective_date(), request.effective_date()),
                         DateOf(request.has_end_date(), request.end_date()),
                         request.note()};
}

AppealCommand ToCommand(const netra::v1::RecordAppealRequest& request) {
  AppealCommand command;
  command.request_id = request.request_id();
  command.case_id = request.case_id();
  command.expected_version = request.expected_version();
  command.appeal_id = request.appeal_id();
  if (request.has_filing()) {
    const auto& f = request.filing();
    command.filing = AppealCommand::Filing{f.kind(), DateOf(f.has_filed_date(), f.filed_date()), f.filed_with(),
                                           f.reference_number(), f.grounds()};
  }
  if (request.has_result()) {
    const auto& r = request.result();
    command.result = AppealCommand::Result{r.decision(), DateOf(r.has_decision_date(), r.decision_date()),
                                           r.document_number(), r.level(), Ints(r.forms()), r.note()};
  }
  return command;
}

void ToProto(const ViolationType& type, netra::v1::ViolationType* out) {
  // Domain enumerations are numbered as their proto counterparts.
  out->set_code(type.code);
  out->set_category(static_cast<netra::v1::ViolationCategory>(type.category));
  out->set_title_id(type.title_id);
  out->set_title_en(type.title_en);
  out->set_legal_basis(type.legal_basis);
  out->set_certainty(static_cast<netra::v1::Certainty>(type.certainty));
  out->set_note(type.note);
  for (const auto& rule : type.sanctions) {
    auto* r = out->add_sanctions();
    r->set_employee_type(static_cast<netra::v1::EmployeeType>(rule.employee_type));
    r->set_level(static_cast<netra::v1::SanctionLevel>(rule.level));
    for (auto form : rule.forms) r->add_forms(static_cast<netra::v1::SanctionForm>(form));
  }
}

std::string CatalogJson(const netra::v1::PutViolationCatalogRequest& request) {
  nlohmann::json types = nlohmann::json::array();
  for (const auto& t : request.violation_types()) {
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& r : t.sanctions()) {
      nlohmann::json forms = nlohmann::json::array();
      for (int f : r.forms()) forms.push_back(std::string(Name(static_cast<SanctionForm>(f))));
      rules.push_back({{"employee_type", std::string(Name(static_cast<EmployeeType>(r.employee_type())))},
                       {"level", std::string(Name(static_cast<SanctionLevel>(r.level())))},
                       {"forms", std::move(forms)}});
    }
    types.push_back({{"code", t.code()},
                     {"category", std::string(Name(static_cast<ViolationCategory>(t.category())))},
                     {"title_id", t.title_id()},
                     {"title_en", t.title_en()},
                     {"legal_basis", t.legal_basis()},
                     {"certainty", std::string(Name(static_cast<Certainty>(t.certainty())))},
                     {"note", t.note()},
                     {"sanctions", std::move(rules)}});
  }
  nlohmann::json doc{{"version", request.catalog_version()}, {"violation_types", std::move(types)}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ToProto(const Case& c, const std::vector<std::optional<QueuedNotice>>* queued, int64_t now_us,
             netra::v1::Case* out) {
  out->set_case_id(c.case_id);
  out->set_complaint_id(c.complaint_id);
  for (const auto& id : c.related_complaint_ids) out->add_related_complaint_ids(id);
  out->set_election_id(c.election_id);
  auto* e = out->mutable_employee();
  e->set_employee_id(c.employee.employee_id);
  e->set_employee_type(static_cast<netra::v1::EmployeeType>(c.employee.employee_type));
  e->set_name(c.employee.name);
  e->set_agency_code(c.employee.agency_code);
  e->set_agency_name(c.employee.agency_name);
  e->set_unit_name(c.employee.unit_name);
  e->set_position(c.employee.position);
  e->set_work_region_code(c.employee.work_region_code);
  e->mutable_ppk()->set_code(c.employee.ppk.code);
  e->mutable_ppk()->set_name(c.employee.ppk.name);
  e->mutable_ppk()->set_region_code(c.employee.ppk.region_code);
  e->set_registry_version(c.employee.registry_version);
  out->mutable_ppk()->set_code(c.ppk.code);
  out->mutable_ppk()->set_name(c.ppk.name);
  out->mutable_ppk()->set_region_code(c.ppk.region_code);
  out->set_region_code(c.region_code);
  for (const auto& code : c.violation_codes) out->add_violation_codes(code);
  out->set_catalog_version(c.catalog_version);
  auto* p = out->mutable_proposed();
  p->set_level(static_cast<netra::v1::SanctionLevel>(c.proposed.level));
  AddForms<netra::v1::SanctionForm>(c.proposed.forms, p->mutable_forms());
  p->set_basis_violation_code(c.proposed.basis_code);
  p->set_certainty(static_cast<netra::v1::Certainty>(c.proposed.certainty));
  p->set_needs_decision(c.proposed.needs_decision);
  p->set_rationale(c.proposed.rationale);
  out->mutable_recommending_authority()->set_code(c.authority.code);
  out->mutable_recommending_authority()->set_name(c.authority.name);
  out->set_status(static_cast<netra::v1::CaseStatus>(c.status));
  out->set_review_summary(c.review_summary);
  out->set_review_document_number(c.review_document_number);
  if (c.recommendation) {
    const auto& r = *c.recommendation;
    auto* o = out->mutable_recommendation();
    o->set_authority_code(r.authority_code);
    o->set_letter_number(r.letter_number);
    SetDate(r.letter_date, o->mutable_letter_date());
    o->set_verdict(static_cast<netra::v1::RecommendationVerdict>(r.verdict));
    if (r.verdict == Verdict::kViolation) o->set_level(static_cast<netra::v1::SanctionLevel>(r.level));
    AddForms<netra::v1::SanctionForm>(r.forms, o->mutable_forms());
    o->set_summary(r.summary);
    ToProto(r.recorded_by, o->mutable_recorded_by());
    SetTime(r.record_us, o->mutable_record_time());
  }
  if (c.ppk_deadline) {
    const auto& d = *c.ppk_deadline;
    auto* o = out->mutable_ppk_deadline();
    SetDate(d.due_date, o->mutable_due_date());
    SetTime(d.due_us, o->mutable_due_time());
    o->set_time_zone(d.time_zone);
    o->mutable_rule()->set_days(d.rule.days);
    o->mutable_rule()->set_counting(static_cast<netra::v1::DayCounting>(d.rule.counting));
  }
  if (c.decision) {
    const auto& d = *c.decision;
    auto* o = out->mutable_decision();
    o->set_decree_number(d.decree_number);
    SetDate(d.decree_date, o->mutable_decree_date());
    o->set_outcome(static_cast<netra::v1::CaseOutcome>(d.outcome));
    if (d.outcome == CaseOutcome::kSanctioned) o->set_level(static_cast<netra::v1::SanctionLevel>(d.level));
    AddForms<netra::v1::SanctionForm>(d.forms, o->mutable_forms());
    o->set_matches_recommendation(d.matches_recommendation);
    o->set_on_time(d.on_time);
    o->set_decided_by(d.decided_by);
    if (d.effective_date) SetDate(*d.effective_date, o->mutable_effective_date());
    if (d.end_date) SetDate(*d.end_date, o->mutable_end_date());
    o->set_note(d.note);
    ToProto(d.recorded_by, o->mutable_recorded_by());
    SetTime(d.record_us, o->mutable_record_time());
  }
  for (const auto& a : c.appeals) {
    auto* o = out->add_appeals();
    o->set_appeal_id(a.appeal_id);
    auto* f = o->mutable_filing();
    f->set_kind(static_cast<netra::v1::AppealKind>(a.filing.kind));
    SetDate(a.filing.filed_date, f->mutable_filed_date());
    f->set_filed_with(a.filing.filed_with);
    f->set_reference_number(a.filing.reference_number);
    f->set_grounds(a.filing.grounds);
    SetTime(a.file_us, o->mutable_file_record_time());
    if (a.result) {
      auto* r = o->mutable_result();
      r->set_decision(static_cast<netra::v1::AppealDecision>(a.result->decision));
      SetDate(a.result->decision_date, r->mutable_decision_date());
      r->set_document_number(a.result->document_number);
      if (a.result->decision == AppealDecision::kAmended) {
        r->set_level(static_cast<netra::v1::SanctionLevel>(a.result->level));
      }
      AddForms<netra::v1::SanctionForm>(a.result->forms, r->mutable_forms());
      r->set_note(a.result->note);
      SetTime(a.result_us, o->mutable_result_record_time());
    }
  }
  if (c.effective_sanction) {
    auto* o = out->mutable_effective_sanction();
    o->set_outcome(static_cast<netra::v1::CaseOutcome>(c.effective_sanction->outcome));
    if (c.effective_sanction->outcome == CaseOutcome::kSanctioned) {
      o->set_level(static_cast<netra::v1::SanctionLevel>(c.effective_sanction->level));
    }
    AddForms<netra::v1::SanctionForm>(c.effective_sanction->forms, o->mutable_forms());
  }
  out->set_overdue(c.Overdue(now_us));
  out->set_escalation_level(static_cast<netra::v1::EscalationLevel>(c.escalation_level));
  for (const auto& s : c.escalations) {
    auto* o = out->add_escalations();
    o->set_level(static_cast<netra::v1::EscalationLevel>(s.level));
    SetTime(s.escalate_us, o->mutable_escalate_time());
    o->set_working_days_overdue(s.working_days_overdue);
    o->set_notice_reference(s.notice_reference);
  }
  if (int64_t next = c.NextEscalationUs()) SetTime(next, out->mutable_next_escalation_time());
  for (size_t i = 0; i < c.notifications.size(); ++i) {
    const auto& n = c.notifications[i];
    auto* o = out->add_notifications();
    o->set_target(static_cast<netra::v1::NotificationTarget>(n.target));
    o->set_case_version(n.case_version);
    bool pending = !queued || (i < queued->size() && (*queued)[i].has_value());
    o->set_status(pending ? netra::v1::DELIVERY_STATUS_PENDING : netra::v1::DELIVERY_STATUS_DELIVERED);
    if (queued && i < queued->size() && (*queued)[i]) {
      const QueuedNotice& q = *(*queued)[i];
      o->set_attempts(q.attempts);
      o->set_last_error(q.last_error);
      if (q.refused_us > 0) {
        o->set_status(netra::v1::DELIVERY_STATUS_REFUSED);
        SetTime(q.refused_us, o->mutable_refuse_time());
      }
    }
  }
  out->set_version(c.version);
  SetTime(c.open_us, out->mutable_open_time());
  SetTime(c.update_us, out->mutable_update_time());
  out->set_history_head_sequence(c.history_head.sequence);
}

grpc::Status SanctionHandler::ListViolationTypes(grpc::ServerContext* context,
                                                 const netra::v1::ListViolationTypesRequest* request,
                                                 netra::v1::ListViolationTypesResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "ListViolationTypes");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  ViolationTypeFilter filter;
  Violations violations;
  if (request->category() != netra::v1::VIOLATION_CATEGORY_UNSPECIFIED) {
    if (netra::v1::ViolationCategory_IsValid(request->category())) {
      filter.category = static_cast<ViolationCategory>(request->category());
    } else {
      violations.Add("category", ViolationReason::kOutOfRange, "unknown violation category");
    }
  }
  if (request->employee_type() != netra::v1::EMPLOYEE_TYPE_UNSPECIFIED) {
    if (netra::v1::EmployeeType_IsValid(request->employee_type())) {
      filter.employee_type = static_cast<EmployeeType>(request->employee_type());
    } else {
      violations.Add("employee_type", ViolationReason::kOutOfRange, "unknown employee type");
    }
  }
  if (!violations.empty()) return InvalidArgument(violations);
  filter.page_size = request->page_size();
  filter.page_token = request->page_token();

  auto catalog = sanctions_.catalog();
  auto page = netra::sanction::ListViolationTypes(*catalog, filter);
  if (!page.ok()) return ToStatus(page.error());
  for (const auto& type : page.value().violation_types) ToProto(type, response->add_violation_types());
  response->set_catalog_version(catalog->version);
  response->set_next_page_token(page.value().next_page_token);
  return grpc::Status::OK;
}

grpc::Status SanctionHandler::PutViolationCatalog(grpc::ServerContext* context,
                                                  const netra::v1::PutViolationCatalogRequest* request,
                                                  netra::v1::PutViolationCatalogResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "PutViolationCatalog");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  PutCatalogCommand command{request->request_id(), request->catalog_version(), request->expected_catalog_version(),
                            CatalogJson(*request), request->validate_only()};
  auto put = sanctions_.PutCatalog(command);
  if (!put.ok()) return ToStatus(put.error());
  response->set_catalog_version(put.value().catalog_version);
  response->set_violation_type_count(put.value().violation_type_count);
  if (put.value().effective_us) SetTime(put.value().effective_us, response->mutable_effective_time());
  return grpc::Status::OK;
}

grpc::Status SanctionHandler::OpenCase(grpc::ServerContext* context, const netra::v1::OpenCaseRequest* request,
                                       netra::v1::OpenCaseResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "OpenCase");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  OpenCaseCommand command = ToCommand(*request);
  int64_t now = sanctions_.NowUs();
  auto idempotency = MakeIdempotency<netra::v1::OpenCaseResponse>(
      "OpenCase", request->request_id(), *request, [now](const Case& c, netra::v1::OpenCaseResponse* r) {
        ToProto(c, nullptr, now, r->mutable_case_record());
        r->set_created(true);
      });
  auto m = sanctions_.OpenCase(command, ActorOf(scope.caller()), idempotency);
  bool created = m.ok() && m.value().created;
  return Answer<netra::v1::OpenCaseResponse>(sanctions_, m, response,
                                             [&](netra::v1::OpenCaseResponse* r) { r->set_created(created); });
}

grpc::Status SanctionHandler::IssueRecommendation(grpc::ServerContext* context,
                                                  const netra::v1::IssueRecommendationRequest* request,
                                                  netra::v1::IssueRecommendationResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "IssueRecommendation");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  RecommendCommand command = ToCommand(*request);
  int64_t now = sanctions_.NowUs();
  auto idempotency = MakeIdempotency<netra::v1::IssueRecommendationResponse>(
      "IssueRecommendation", request->request_id(), *request,
      [now](const Case& c, netra::v1::IssueRecommendationResponse* r) { ToProto(c, nullptr, now, r->mutable_case_record()); });
  grpc::Status denied;
  auto m = sanctions_.IssueRecommendation(command, ActorOf(scope.caller()), idempotency, MayAct(scope, &denied));
  if (!denied.ok()) return denied;
  return Answer(sanctions_, m, response);
}

grpc::Status SanctionHandler::RecordDecision(grpc::ServerContext* context,
                                             const netra::v1::RecordDecisionRequest* request,
                                             netra::v1::RecordDecisionResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "RecordDecision");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  DecisionCommand command = ToCommand(*request);
  int64_t now = sanctions_.NowUs();
  auto idempotency = MakeIdempotency<netra::v1::RecordDecisionResponse>(
      "RecordDecision", request->request_id(), *request,
      [now](const Case& c, netra::v1::RecordDecisionResponse* r) { ToProto(c, nullptr, now, r->mutable_case_record()); });
  grpc::Status denied;
  auto m = sanctions_.RecordDecision(command, ActorOf(scope.caller()), idempotency, MayAct(scope, &denied));
  if (!denied.ok()) return denied;
  return Answer(sanctions_, m, response);
}

grpc::Status SanctionHandler::RecordAppeal(grpc::ServerContext* context, const netra::v1::RecordAppealRequest* request,
                                           netra::v1::RecordAppealResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "RecordAppeal");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  AppealCommand command = ToCommand(*request);
  std::string appeal_id;
  int64_t now = sanctions_.NowUs();
  auto idempotency = MakeIdempotency<netra::v1::RecordAppealResponse>(
      "RecordAppeal", request->request_id(), *request, [now, &appeal_id](const Case& c, netra::v1::RecordAppealResponse* r) {
        ToProto(c, nullptr, now, r->mutable_case_record());
        r->set_appeal_id(appeal_id);
      });
  grpc::Status denied;
  auto m = sanctions_.RecordAppeal(command, ActorOf(scope.caller()), idempotency, &appeal_id, MayAct(scope, &denied));
  if (!denied.ok()) return denied;
  return Answer<netra::v1::RecordAppealResponse>(sanctions_, m, response,
                                                 [&](netra::v1::RecordAppealResponse* r) { r->set_appeal_id(appeal_id); });
}

grpc::Status SanctionHandler::GetCase(grpc::ServerContext* context, const netra::v1::GetCaseRequest* request,
                                      netra::v1::GetCaseResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "GetCase");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  auto view = sanctions_.GetCase(request->case_id(), request->complaint_id());
  if (!view.ok()) return ToStatus(view.error());
  if (auto denied = scope.Authorize(ResourceOf(view.value().case_record)); !denied.ok()) return denied;
  int64_t now = sanctions_.NowUs();
  ToProto(view.value().case_record, &view.value().queued, now, response->mutable_case_record());
  for (const auto& entry : view.value().history) netra::ToProto(entry, response->add_history());
  netra::ToProto(view.value().verification, now, response->mutable_history_verification());
  return grpc::Status::OK;
}

grpc::Status SanctionHandler::ListCases(grpc::ServerContext* context, const netra::v1::ListCasesRequest* request,
                                        netra::v1::ListCasesResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "ListCases");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  CaseQuery query{request->region_code(),
                  Ints(request->statuses()),
                  request->has_overdue() ? std::optional(request->overdue()) : std::nullopt,
                  request->election_id(),
                  request->ppk_code(),
                  request->authority_code(),
                  request->min_escalation_level(),
                  request->page_size(),
                  request->page_token()};
  if (auto denied = NarrowCases(scope, &query, &query.authority_code); !denied.ok()) return denied;
  auto page = sanctions_.ListCases(query);
  if (!page.ok()) return ToStatus(page.error());
  int64_t now = sanctions_.NowUs();
  for (const auto& view : page.value().cases) {
    auto queued = sanctions_.Queued(view.case_record);
    ToProto(view.case_record, queued.ok() ? &queued.value() : nullptr, now, response->add_cases());
  }
  response->set_next_page_token(page.value().next_page_token);
  return grpc::Status::OK;
}

grpc::Status SanctionHandler::GetComplianceReport(grpc::ServerContext* context,
                                                  const netra::v1::GetComplianceReportRequest* request,
                                                  netra::v1::GetComplianceReportResponse* response) {
  CallScope scope(*context, netra::v1::SanctionService::service_full_name(), "GetComplianceReport");
  if (!scope.access().ok()) return scope.access();
  if (auto bad = CheckRequestText(*request); !bad.ok()) return bad;
  ComplianceQuery query{request->region_code(),
                        request->election_id(),
                        request->ppk_code(),
                        request->group_by(),
                        DateOf(request->has_from_date(), request->from_date()),
                        DateOf(request->has_to_date(), request->to_date()),
                        request->page_size(),
                        request->page_token()};
  if (auto denied = NarrowCases(scope, &query, nullptr); !denied.ok()) return denied;
  auto report = sanctions_.Compliance(query);
  if (!report.ok()) return ToStatus(report.error());
  auto fill = [](const ComplianceRow& row, netra::v1::ComplianceRow* out) {
    out->set_group_key(row.group_key);
    out->set_group_name(row.group_name);
    out->set_recommended(row.recommended);
    out->set_decided(row.decided);
    out->set_decided_on_time(row.decided_on_time);
    out->set_decided_late(row.decided_late);
    out->set_pending(row.pending);
    out->set_overdue(row.overdue);
    out->set_escalated(row.escalated);
    out->set_data_blocked(row.data_blocked);
    out->set_decided_as_recommended(row.decided_as_recommended);
    out->set_median_days_to_decision(row.median_days_to_decision);
    out->set_median_working_days_to_decision(row.median_working_days_to_decision);
  };
  fill(report.value().total, response->mutable_total());
  for (const auto& row : report.value().rows) fill(row, response->add_rows());
  response->set_next_page_token(report.value().next_page_token);
  SetTime(report.value().compute_us, response->mutable_compute_time());
  return grpc::Status::OK;
}

}  // namespace netra::sanction

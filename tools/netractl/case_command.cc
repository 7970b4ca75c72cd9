// netractl cases get|list|compliance|act, violations list: the sanction
// service's cases and its violation catalog.
//
//   netractl cases get CASE_ID            (or --complaint COMPLAINT_ID)
//   netractl cases list --region 33 --status recommended --overdue
//   netractl cases compliance --group-by province
//   netractl cases act RecordDecision decision.json
//   netractl violations list --category ethics --employee-type pns
//
// `act` sends one request given as protobuf JSON (OpenCase,
// IssueRecommendation, RecordDecision, RecordAppeal, PutViolationCatalog), so
// every field the API has is reachable without a flag per field.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "tools/netractl/netractl.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

struct CaseFlags {
  std::string case_id, complaint_id;
  std::string region, election, ppk, status, group_by = "ppk", page_token;
  bool overdue = false;
  int page_size = 0;
  std::string rpc, file;
};

struct ViolationFlags {
  std::string category, employee_type;
  int page_size = 1000;
};

int RunAct(const Options& o, const CaseFlags& c) {
  using S = v1::SanctionService::Stub;
  auto stub = SanctionStub(o);
  if (c.rpc == "OpenCase") {
    return SendJsonRequest<v1::OpenCaseRequest, v1::OpenCaseResponse>(
        o, c.file, *stub, [](S& s, auto* ctx, const auto& req, auto* resp) { return s.OpenCase(ctx, req, resp); });
  }
  if (c.rpc == "IssueRecommendation") {
    return SendJsonRequest<v1::IssueRecommendationRequest, v1::IssueRecommendationResponse>(
        o, c.file, *stub,
        [](S& s, auto* ctx, const auto& req, auto* resp) { return s.IssueRecommendation(ctx, req, resp); });
  }
  if (c.rpc == "RecordDecision") {
    return SendJsonRequest<v1::RecordDecisionRequest, v1::RecordDecisionResponse>(
        o, c.file, *stub, [](S& s, auto* ctx, const auto& req, auto* resp) { return s.RecordDecision(ctx, req, resp); });
  }
  if (c.rpc == "RecordAppeal") {
    return SendJsonRequest<v1::RecordAppealRequest, v1::RecordAppealResponse>(
        o, c.file, *stub, [](S& s, auto* ctx, const auto& req, auto* resp) { return s.RecordAppeal(ctx, req, resp); });
  }
  return SendJsonRequest<v1::PutViolationCatalogRequest, v1::PutViolationCatalogResponse>(
      o, c.file, *stub,
      [](S& s, auto* ctx, const auto& req, auto* resp) { return s.PutViolationCatalog(ctx, req, resp); });
}

int RunGet(const Options& o, const CaseFlags& c) {
  v1::GetCaseRequest request;
  request.set_case_id(c.case_id);
  request.set_complaint_id(c.complaint_id);
  v1::GetCaseResponse response;
  auto context = Context(o);
  return PrintReply(SanctionStub(o)->GetCase(context.get(), request, &response), response);
}

int RunList(const Options& o, const CaseFlags& c) {
  v1::ListCasesRequest request;
  request.set_region_code(c.region);
  request.set_election_id(c.election);
  request.set_ppk_code(c.ppk);
  if (!c.status.empty()) {
    v1::CaseStatus status;
    std::string name = "CASE_STATUS_" + c.status;
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (!v1::CaseStatus_Parse(name, &status)) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "unknown status " + c.status);
    request.add_statuses(status);
  }
  if (c.overdue) request.set_overdue(true);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  v1::ListCasesResponse response;
  auto context = Context(o);
  return PrintReply(SanctionStub(o)->ListCases(context.get(), request, &response), response);
}

int RunCompliance(const Options& o, const CaseFlags& c) {
  v1::GetComplianceReportRequest request;
  request.set_region_code(c.region);
  request.set_election_id(c.election);
  request.set_ppk_code(c.ppk);
  request.set_group_by(c.group_by == "province" ? v1::COMPLIANCE_GROUPING_PROVINCE
                       : c.group_by == "regency" ? v1::COMPLIANCE_GROUPING_REGENCY
                                                 : v1::COMPLIANCE_GROUPING_PPK);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  v1::GetComplianceReportResponse response;
  auto context = Context(o);
  return PrintReply(SanctionStub(o)->GetComplianceReport(context.get(), request, &response), response, true);
}

int ListViolations(const Options& o, const ViolationFlags& c) {
  v1::ListViolationTypesRequest request;
  if (c.category == "ethics") request.set_category(v1::VIOLATION_CATEGORY_ETHICS);
  if (c.category == "discipline") request.set_category(v1::VIOLATION_CATEGORY_DISCIPLINE);
  if (c.employee_type == "pns") request.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
  if (c.employee_type == "pppk") request.set_employee_type(v1::EMPLOYEE_TYPE_PPPK);
  if (c.employee_type == "ppnpn") request.set_employee_type(v1::EMPLOYEE_TYPE_PPNPN);
  request.set_page_size(c.page_size);
  v1::ListViolationTypesResponse response;
  auto context = Context(o);
  return PrintReply(SanctionStub(o)->ListViolationTypes(context.get(), request, &response), response);
}

}  // namespace

void AddViolationCommands(CLI::App& app, Commands& commands) {
  auto c = std::make_shared<ViolationFlags>();
  auto* violations = app.add_subcommand("violations", "The violation catalog");
  violations->require_subcommand(1);
  auto* list = violations->add_subcommand("list", "List violation types with their sanctions");
  list->add_option("--category", c->category, "ethics or discipline")->check(CLI::IsMember({"ethics", "discipline"}));
  list->add_option("--employee-type", c->employee_type, "pns, pppk or ppnpn")
      ->check(CLI::IsMember({"pns", "pppk", "ppnpn"}));
  list->add_option("--page-size", c->page_size, "Violation types to list")->capture_default_str();
  commands.On(list, [c](const Options& o) { return ListViolations(o, *c); });
}

void AddCaseCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<CaseFlags>();
  CaseFlags& c = *shared;
  auto* cases = app.add_subcommand("cases", "Cases in the sanction service");
  cases->require_subcommand(1);
  auto* get = cases->add_subcommand("get", "One case with its history and the history's verification");
  get->add_option("case_id", c.case_id, "The case id");
  get->add_option("--complaint", c.complaint_id, "The complaint the case was opened from, instead");
  auto* list = cases->add_subcommand("list", "Cases, oldest opened first");
  auto* compliance = cases->add_subcommand("compliance", "Compliance per PPK, province or kab/kota");
  for (auto* sub : {list, compliance}) {
    sub->add_option("--region", c.region, "Region code prefix (NN or NN.NN)");
    sub->add_option("--election", c.election, "Election id");
    sub->add_option("--ppk", c.ppk, "PPK code");
    sub->add_option("--page-size", c.page_size, "Items per page");
    sub->add_option("--page-token", c.page_token, "Page token from the previous page");
  }
  list->add_option("--status", c.status, "open, recommended, decided, appealed or no_violation");
  list->add_flag("--overdue", c.overdue, "Only cases past the PPK's due date");
  compliance->add_option("--group-by", c.group_by, "ppk, province or regency")
      ->check(CLI::IsMember({"ppk", "province", "regency"}));
  auto* act = cases->add_subcommand("act", "Send one request given as protobuf JSON");
  act->add_option("rpc", c.rpc, "The RPC")
      ->required()
      ->check(CLI::IsMember({"OpenCase", "IssueRecommendation", "RecordDecision", "RecordAppeal", "PutViolationCatalog"}));
  act->add_option("file", c.file, "The request as protobuf JSON")->required()->check(CLI::ExistingFile);
  commands.On(get, [shared](const Options& o) { return RunGet(o, *shared); });
  commands.On(list, [shared](const Options& o) { return RunList(o, *shared); });
  commands.On(compliance, [shared](const Options& o) { return RunCompliance(o, *shared); });
  commands.On(act, [shared](const Options& o) { return RunAct(o, *shared); });
}

}  // namespace netra::netractl

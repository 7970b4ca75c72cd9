// netractl cases get|list|compliance|act: the sanction service's cases.
//
//   netractl cases get CASE_ID            (or --complaint COMPLAINT_ID)
//   netractl cases list --region 33 --status recommended --overdue
//   netractl cases compliance --group-by province
//   netractl cases act RecordDecision decision.json
//
// `act` sends one request given as protobuf JSON (OpenCase,
// IssueRecommendation, RecordDecision, RecordAppeal, PutViolationCatalog), so
// every field the API has is reachable without a flag per field.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/client.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {
namespace {

struct CaseCommandLine {
  CLI::App *get = nullptr, *list = nullptr, *compliance = nullptr, *act = nullptr;
  std::string case_id, complaint_id;
  std::string region, election, ppk, status, group_by = "ppk", page_token;
  bool overdue = false;
  int page_size = 0;
  std::string rpc, file;
};

CaseCommandLine& CommandLine() {
  static CaseCommandLine line;
  return line;
}

std::unique_ptr<v1::SanctionService::Stub> Sanction(const Options& options) {
  return v1::SanctionService::NewStub(MakeChannel(options.sanction, nullptr));
}

int RunAct(const Options& o, const CaseCommandLine& c) {
  using S = v1::SanctionService::Stub;
  auto stub = Sanction(o);
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

int RunGet(const Options& o, const CaseCommandLine& c) {
  v1::GetCaseRequest request;
  request.set_case_id(c.case_id);
  request.set_complaint_id(c.complaint_id);
  v1::GetCaseResponse response;
  auto context = Context(o);
  auto status = Sanction(o)->GetCase(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

int RunList(const Options& o, const CaseCommandLine& c) {
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
  auto status = Sanction(o)->ListCases(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response);
  return 0;
}

int RunCompliance(const Options& o, const CaseCommandLine& c) {
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
  auto status = Sanction(o)->GetComplianceReport(context.get(), request, &response);
  if (!status.ok()) return Fail(status);
  std::cout << ToJson(response, true);
  return 0;
}

}  // namespace

void AddCaseCommands(CLI::App& app) {
  CaseCommandLine& c = CommandLine();
  auto* cases = app.add_subcommand("cases", "Cases in the sanction service");
  cases->require_subcommand(1);
  c.get = cases->add_subcommand("get", "One case with its history and the history's verification");
  c.get->add_option("case_id", c.case_id, "The case id");
  c.get->add_option("--complaint", c.complaint_id, "The complaint the case was opened from, instead");
  c.list = cases->add_subcommand("list", "Cases, oldest opened first");
  c.compliance = cases->add_subcommand("compliance", "Compliance per PPK, province or kab/kota");
  for (auto* sub : {c.list, c.compliance}) {
    sub->add_option("--region", c.region, "Region code prefix (NN or NN.NN)");
    sub->add_option("--election", c.election, "Election id");
    sub->add_option("--ppk", c.ppk, "PPK code");
    sub->add_option("--page-size", c.page_size, "Items per page");
    sub->add_option("--page-token", c.page_token, "Page token from the previous page");
  }
  c.list->add_option("--status", c.status, "open, recommended, decided, appealed or no_violation");
  c.list->add_flag("--overdue", c.overdue, "Only cases past the PPK's due date");
  c.compliance->add_option("--group-by", c.group_by, "ppk, province or regency")
      ->check(CLI::IsMember({"ppk", "province", "regency"}));
  c.act = cases->add_subcommand("act", "Send one request given as protobuf JSON");
  c.act->add_option("rpc", c.rpc, "The RPC")
      ->required()
      ->check(CLI::IsMember({"OpenCase", "IssueRecommendation", "RecordDecision", "RecordAppeal", "PutViolationCatalog"}));
  c.act->add_option("file", c.file, "The request as protobuf JSON")->required()->check(CLI::ExistingFile);
}

std::optional<int> RunCaseCommand(const Options& options) {
  const CaseCommandLine& c = CommandLine();
  if (c.get && *c.get) return RunGet(options, c);
  if (c.list && *c.list) return RunList(options, c);
  if (c.compliance && *c.compliance) return RunCompliance(options, c);
  if (c.act && *c.act) return RunAct(options, c);
  return std::nullopt;
}

}  // namespace netra::netractl

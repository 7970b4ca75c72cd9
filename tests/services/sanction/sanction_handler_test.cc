// SanctionHandler in-process: the real handler over Sanctions on a real,
// migrated store (SQLite and PostgreSQL), served by a gRPC server inside the test process. The
// registry is the domain's Directory port, here a fake with one employee and
// one election. Each RPC's request reaches the domain and the case comes back
// with every field mapped; each domain error leaves as its status with its
// details.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/redis.h"
#include "common/store.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "services/sanction/case_store.h"
#include "services/sanction/cases.h"
#include "services/sanction/sanction_handler.h"
#include "services/sanction/sanction_store.h"
#include "services/sanction/sanctions.h"
#include "tests/common/store_backends.h"
#include "tests/services/sanction/sanction_test_support.h"
#include "tests/support/grpc_test_server.h"
#include "tests/support/test_support.h"

namespace netra::sanction {
namespace {

using netra::testing::CallContext;
using netra::testing::DetailOf;
using netra::testing::FieldPaths;
using netra::testing::SameMessage;

constexpr char kNip[] = "198503122010011001";

// The registry, as the domain's port.
class OneEmployeeDirectory final : public Directory {
 public:
  Result<EmployeeSnapshot> FindEmployee(const std::string& id) override {
    if (id != kNip) return Error::NotFound("employee", id);
    return CilacapTeacher();
  }
  Result<ElectionTerms> FindElection(const std::string& id) override {
    if (id != "pemilu-2024") return Error::NotFound("election", id);
    return Pemilu2024();
  }
};

void SetDate(int year, int month, int day, v1::Date* out) {
  out->set_year(year);
  out->set_month(month);
  out->set_day(day);
}

// On both backends (Backends/SanctionHandlerTest.*/Sqlite and .../Postgres).
class SanctionHandlerTest : public SanctionsOnStoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartSanctions(directory_, [this] { return now_; }));
    handler_ = std::make_unique<SanctionHandler>(*sanctions_);
    server_ = std::make_unique<netra::testing::InProcessServer>(std::initializer_list<grpc::Service*>{handler_.get()});
    stub_ = v1::SanctionService::NewStub(server_->channel());
  }
  // The server, then the domain it serves.
  void TearDown() override {
    stub_.reset();
    server_.reset();
    handler_.reset();
    SanctionsOnStoreTest::TearDown();
  }

  static v1::OpenCaseRequest OpenRequest(const std::string& complaint_id) {
    v1::OpenCaseRequest request;
    request.set_request_id("forward:" + complaint_id);
    request.set_complaint_id(complaint_id);
    request.add_related_complaint_ids(complaint_id + "-dup");
    request.set_employee_id(kNip);
    request.set_election_id("pemilu-2024");
    request.add_violation_codes("B2");
    request.set_review_summary("Ikut kampanye terbuka");
    request.set_review_document_number("KAJIAN/33.01/7");
    return request;
  }

  v1::Case Open(const std::string& complaint_id) {
    v1::OpenCaseResponse response;
    auto status = stub_->OpenCase(CallContext("svc:complaint").get(), OpenRequest(complaint_id), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_record();
  }

  static v1::IssueRecommendationRequest RecommendRequest(const v1::Case& c) {
    v1::IssueRecommendationRequest request;
    request.set_request_id("recommend:" + c.case_id());
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_authority_code("BKN");
    request.set_letter_number("B-123/2024");
    SetDate(2024, 3, 4, request.mutable_letter_date());
    request.set_verdict(v1::RECOMMENDATION_VERDICT_VIOLATION);
    request.set_level(v1::SANCTION_LEVEL_SEVERE);
    request.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
    request.set_summary("Terbukti");
    return request;
  }

  v1::Case Recommend(const v1::Case& c) {
    v1::IssueRecommendationResponse response;
    auto status = stub_->IssueRecommendation(CallContext("bkn/analis-1").get(), RecommendRequest(c), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.case_record();
  }

  static v1::RecordDecisionRequest DecisionRequest(const v1::Case& c) {
    v1::RecordDecisionRequest request;
    request.set_request_id("decide:" + c.case_id());
    request.set_case_id(c.case_id());
    request.set_expected_version(c.version());
    request.set_decree_number("SK-9/2024");
    SetDate(2024, 3, 20, request.mutable_decree_date());
    request.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
    request.set_level(v1::SANCTION_LEVEL_SEVERE);
    request.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
    request.set_decided_by("Bupati Cilacap");
    SetDate(2024, 4, 1, request.mutable_effective_date());
    SetDate(2025, 3, 31, request.mutable_end_date());
    request.set_note("Sesuai rekomendasi");
    return request;
  }

  OneEmployeeDirectory directory_;
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2024, 3, 4, 10, 0, 0), absl::UTCTimeZone());
  std::unique_ptr<SanctionHandler> handler_;
  std::unique_ptr<netra::testing::InProcessServer> server_;
  std::unique_ptr<v1::SanctionService::Stub> stub_;
};

NETRA_STORE_BACKENDS(SanctionHandlerTest);

TEST_P(SanctionHandlerTest, OpenCaseThenGetCaseMapsEveryField) {
  v1::OpenCaseResponse opened;
  auto status = stub_->OpenCase(CallContext("svc:complaint").get(), OpenRequest("c-1"), &opened);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(opened.created());
  const v1::Case& c = opened.case_record();
  EXPECT_FALSE(c.case_id().empty());
  EXPECT_EQ(c.complaint_id(), "c-1");
  EXPECT_EQ(std::vector<std::string>(c.related_complaint_ids().begin(), c.related_complaint_ids().end()),
            std::vector<std::string>{"c-1-dup"});
  EXPECT_EQ(c.election_id(), "pemilu-2024");
  EXPECT_EQ(c.employee().employee_id(), kNip);
  EXPECT_EQ(c.employee().employee_type(), v1::EMPLOYEE_TYPE_PNS);
  EXPECT_EQ(c.employee().name(), "Budi Santoso");
  EXPECT_EQ(c.employee().agency_code(), "PEMKAB-CLP");
  EXPECT_EQ(c.employee().agency_name(), "Pemerintah Kabupaten Cilacap");
  EXPECT_EQ(c.employee().unit_name(), "Dinas Pendidikan");
  EXPECT_EQ(c.employee().position(), "Guru Ahli Muda");
  EXPECT_EQ(c.employee().work_region_code(), "33.01");
  EXPECT_EQ(c.employee().ppk().code(), "bupati:33.01");
  EXPECT_EQ(c.employee().registry_version(), 3);
  EXPECT_EQ(c.ppk().code(), "bupati:33.01");
  EXPECT_EQ(c.ppk().name(), "Bupati Cilacap");
  EXPECT_EQ(c.ppk().region_code(), "33.01");
  EXPECT_EQ(c.region_code(), "33.01");
  ASSERT_EQ(c.violation_codes_size(), 1);
  EXPECT_EQ(c.violation_codes(0), "B2");
  EXPECT_EQ(c.catalog_version(), "skb-2022.1");
  EXPECT_EQ(c.proposed().level(), v1::SANCTION_LEVEL_SEVERE);
  EXPECT_EQ(c.proposed().basis_violation_code(), "B2");
  EXPECT_EQ(c.proposed().forms_size(), 3);
  EXPECT_FALSE(c.proposed().rationale().empty());
  EXPECT_EQ(c.recommending_authority().code(), "BKN");
  EXPECT_EQ(c.recommending_authority().name(), "Badan Kepegawaian Negara");
  EXPECT_EQ(c.status(), v1::CASE_STATUS_OPEN);
  EXPECT_EQ(c.review_summary(), "Ikut kampanye terbuka");
  EXPECT_EQ(c.review_document_number(), "KAJIAN/33.01/7");
  EXPECT_FALSE(c.has_recommendation());
  EXPECT_FALSE(c.has_ppk_deadline());
  EXPECT_FALSE(c.overdue());
  EXPECT_EQ(c.version(), 1);

  v1::GetCaseRequest by_id;
  by_id.set_case_id(c.case_id());
  v1::GetCaseResponse got;
  ASSERT_TRUE(stub_->GetCase(CallContext().get(), by_id, &got).ok());
  EXPECT_TRUE(SameMessage(c, got.case_record()));
  ASSERT_EQ(got.history_size(), 1);
  EXPECT_EQ(got.history(0).sequence(), 1);
  EXPECT_EQ(got.history(0).actor().id(), "svc:complaint");
  EXPECT_TRUE(got.history_verification().intact());
  EXPECT_EQ(got.history_verification().entries_checked(), 1);

  v1::GetCaseRequest by_complaint;
  by_complaint.set_complaint_id("c-1");
  v1::GetCaseResponse same;
  ASSERT_TRUE(stub_->GetCase(CallContext().get(), by_complaint, &same).ok());
  EXPECT_EQ(same.case_record().case_id(), c.case_id());
}

TEST_P(SanctionHandlerTest, OpenCaseIsIdempotentAndRefusesBadOrUnknownInput) {
  const v1::Case first = Open("c-1");
  // Forwarded again (another request, the same complaint): the same case, not created.
  v1::OpenCaseRequest again = OpenRequest("c-1");
  again.set_request_id("forward:c-1:retry");
  v1::OpenCaseResponse response;
  ASSERT_TRUE(stub_->OpenCase(CallContext().get(), again, &response).ok());
  EXPECT_FALSE(response.created());
  EXPECT_EQ(response.case_record().case_id(), first.case_id());

  v1::OpenCaseRequest bad = OpenRequest("c-2");
  bad.clear_complaint_id();
  bad.add_violation_codes("Z9");
  auto invalid = stub_->OpenCase(CallContext().get(), bad, &response);
  ASSERT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(invalid), (std::vector<std::string>{"complaint_id", "violation_codes[1]"}));

  v1::OpenCaseRequest not_utf8 = OpenRequest("c-2");
  not_utf8.set_review_summary("Ikut kampanye \xc3\x28");
  auto text = stub_->OpenCase(CallContext().get(), not_utf8, &response);
  EXPECT_EQ(text.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(text), std::vector<std::string>{"review_summary"});

  // An employee the registry does not know is the client's mistake, on its field.
  v1::OpenCaseRequest stranger = OpenRequest("c-3");
  stranger.set_employee_id("198001012005011002");
  auto unknown = stub_->OpenCase(CallContext().get(), stranger, &response);
  ASSERT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto bad_request = DetailOf<v1::BadRequest>(unknown);
  ASSERT_TRUE(bad_request);
  ASSERT_EQ(bad_request->field_violations_size(), 1);
  EXPECT_EQ(bad_request->field_violations(0).field(), "employee_id");
  EXPECT_EQ(bad_request->field_violations(0).reason(), v1::FieldViolation::REASON_NOT_FOUND);

  v1::GetCaseRequest get;
  get.set_complaint_id("c-3");
  v1::GetCaseResponse got;
  EXPECT_EQ(stub_->GetCase(CallContext().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(SanctionHandlerTest, RecommendationMapsItsFieldsAndTheDeadline) {
  const v1::Case opened = Open("c-1");
  v1::IssueRecommendationResponse response;
  auto status = stub_->IssueRecommendation(CallContext("bkn/analis-1").get(), RecommendRequest(opened), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Case& c = response.case_record();
  EXPECT_EQ(c.status(), v1::CASE_STATUS_RECOMMENDED);
  EXPECT_EQ(c.version(), 2);
  const auto& r = c.recommendation();
  EXPECT_EQ(r.authority_code(), "BKN");
  EXPECT_EQ(r.letter_number(), "B-123/2024");
  EXPECT_EQ(r.letter_date().day(), 4);
  EXPECT_EQ(r.verdict(), v1::RECOMMENDATION_VERDICT_VIOLATION);
  EXPECT_EQ(r.level(), v1::SANCTION_LEVEL_SEVERE);
  ASSERT_EQ(r.forms_size(), 1);
  EXPECT_EQ(r.forms(0), v1::SANCTION_FORM_DEMOTION_12_MONTHS);
  EXPECT_EQ(r.summary(), "Terbukti");
  EXPECT_EQ(r.recorded_by().id(), "bkn/analis-1");
  EXPECT_GT(r.record_time().seconds(), 0);
  // 14 working days from Tue 5 March 2024, skipping weekends: Fri 22 March.
  EXPECT_EQ(c.ppk_deadline().rule().days(), 14);
  EXPECT_EQ(c.ppk_deadline().rule().counting(), v1::DAY_COUNTING_WORKING_DAYS);
  EXPECT_EQ(c.ppk_deadline().due_date().month(), 3);
  EXPECT_EQ(c.ppk_deadline().due_date().day(), 22);
  EXPECT_EQ(c.ppk_deadline().time_zone(), "Asia/Jakarta");
  EXPECT_TRUE(c.has_next_escalation_time());

  // The retry answers the first response.
  v1::IssueRecommendationResponse retried;
  ASSERT_TRUE(stub_->IssueRecommendation(CallContext().get(), RecommendRequest(opened), &retried).ok());
  EXPECT_TRUE(SameMessage(response, retried));
}

TEST_P(SanctionHandlerTest, StaleVersionIsAbortedAndIllegalActionNamesTheAllowedOnes) {
  const v1::Case opened = Open("c-1");
  v1::IssueRecommendationRequest stale = RecommendRequest(opened);
  stale.set_expected_version(4);
  v1::IssueRecommendationResponse response;
  auto aborted = stub_->IssueRecommendation(CallContext().get(), stale, &response);
  ASSERT_EQ(aborted.error_code(), grpc::StatusCode::ABORTED);
  auto conflict = DetailOf<v1::VersionConflict>(aborted);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->resource_type(), "case");
  EXPECT_EQ(conflict->resource_id(), opened.case_id());
  EXPECT_EQ(conflict->expected_version(), 4);
  EXPECT_EQ(conflict->current_version(), 1);

  // A decision before any recommendation.
  v1::RecordDecisionResponse decided;
  auto early = stub_->RecordDecision(CallContext().get(), DecisionRequest(opened), &decided);
  ASSERT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  auto precondition = DetailOf<v1::PreconditionFailure>(early);
  ASSERT_TRUE(precondition);
  EXPECT_EQ(precondition->current_state(), "CASE_STATUS_OPEN");
  EXPECT_EQ(precondition->attempted_action(), "RecordDecision");
  EXPECT_FALSE(precondition->allowed_actions().empty());

  v1::RecordDecisionRequest bad = DecisionRequest(Recommend(opened));
  bad.set_decree_number("");
  bad.clear_decree_date();
  auto invalid = stub_->RecordDecision(CallContext().get(), bad, &decided);
  ASSERT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto paths = FieldPaths(invalid);
  for (const char* path : {"decree_number", "decree_date"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end()) << path << " in " << ::testing::PrintToString(paths);
  }
}

TEST_P(SanctionHandlerTest, DecisionAndAppealMapEveryField) {
  const v1::Case recommended = Recommend(Open("c-1"));
  now_ += absl::Hours(24 * 21);  // 25 March: the decree of 20 March is no longer in the future
  v1::RecordDecisionResponse decided;
  auto status = stub_->RecordDecision(CallContext("bupati-clp/sekda").get(), DecisionRequest(recommended), &decided);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Case& c = decided.case_record();
  EXPECT_EQ(c.status(), v1::CASE_STATUS_DECIDED);
  const auto& d = c.decision();
  EXPECT_EQ(d.decree_number(), "SK-9/2024");
  EXPECT_EQ(d.decree_date().day(), 20);
  EXPECT_EQ(d.outcome(), v1::CASE_OUTCOME_SANCTIONED);
  EXPECT_EQ(d.level(), v1::SANCTION_LEVEL_SEVERE);
  ASSERT_EQ(d.forms_size(), 1);
  EXPECT_TRUE(d.matches_recommendation());
  EXPECT_TRUE(d.on_time());
  EXPECT_EQ(d.decided_by(), "Bupati Cilacap");
  EXPECT_EQ(d.effective_date().month(), 4);
  EXPECT_EQ(d.end_date().year(), 2025);
  EXPECT_EQ(d.note(), "Sesuai rekomendasi");
  EXPECT_EQ(d.recorded_by().id(), "bupati-clp/sekda");
  EXPECT_EQ(c.effective_sanction().outcome(), v1::CASE_OUTCOME_SANCTIONED);
  EXPECT_EQ(c.effective_sanction().level(), v1::SANCTION_LEVEL_SEVERE);
  // The decision is to be told to the complaint and registry services.
  ASSERT_GE(c.notifications_size(), 1);
  for (const auto& n : c.notifications()) EXPECT_EQ(n.status(), v1::DELIVERY_STATUS_PENDING);

  v1::RecordAppealRequest appeal;
  appeal.set_request_id("appeal:1");
  appeal.set_case_id(c.case_id());
  appeal.set_expected_version(c.version());
  auto* filing = appeal.mutable_filing();
  filing->set_kind(v1::APPEAL_KIND_OBJECTION);
  SetDate(2024, 3, 25, filing->mutable_filed_date());
  filing->set_filed_with("Bupati Cilacap");
  filing->set_reference_number("KEB/1/2024");
  filing->set_grounds("Tidak hadir di kampanye");
  v1::RecordAppealResponse appealed;
  status = stub_->RecordAppeal(CallContext().get(), appeal, &appealed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(appealed.appeal_id().empty());
  const v1::Case& a = appealed.case_record();
  EXPECT_EQ(a.status(), v1::CASE_STATUS_APPEALED);
  ASSERT_EQ(a.appeals_size(), 1);
  EXPECT_EQ(a.appeals(0).appeal_id(), appealed.appeal_id());
  EXPECT_EQ(a.appeals(0).filing().kind(), v1::APPEAL_KIND_OBJECTION);
  EXPECT_EQ(a.appeals(0).filing().filed_date().day(), 25);
  EXPECT_EQ(a.appeals(0).filing().filed_with(), "Bupati Cilacap");
  EXPECT_EQ(a.appeals(0).filing().reference_number(), "KEB/1/2024");
  EXPECT_EQ(a.appeals(0).filing().grounds(), "Tidak hadir di kampanye");
  EXPECT_FALSE(a.appeals(0).has_result());

  // Its retry answers the same appeal id.
  v1::RecordAppealResponse retried;
  ASSERT_TRUE(stub_->RecordAppeal(CallContext().get(), appeal, &retried).ok());
  EXPECT_EQ(retried.appeal_id(), appealed.appeal_id());
}

TEST_P(SanctionHandlerTest, ListCasesAndComplianceMapTheirFilters) {
  Recommend(Open("c-1"));
  Open("c-2");

  v1::ListCasesRequest list;
  list.set_region_code("33");
  list.add_statuses(v1::CASE_STATUS_RECOMMENDED);
  list.set_election_id("pemilu-2024");
  list.set_ppk_code("bupati:33.01");
  v1::ListCasesResponse listed;
  ASSERT_TRUE(stub_->ListCases(CallContext().get(), list, &listed).ok());
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).complaint_id(), "c-1");
  list.set_overdue(true);
  ASSERT_TRUE(stub_->ListCases(CallContext().get(), list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);
  list.clear_overdue();
  list.set_page_token("garbage");
  auto bad = stub_->ListCases(CallContext().get(), list, &listed);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(bad), std::vector<std::string>{"page_token"});

  v1::GetComplianceReportRequest report;
  report.set_region_code("33");
  report.set_group_by(v1::COMPLIANCE_GROUPING_PPK);
  v1::GetComplianceReportResponse compliance;
  ASSERT_TRUE(stub_->GetComplianceReport(CallContext().get(), report, &compliance).ok());
  EXPECT_EQ(compliance.total().recommended(), 1);
  EXPECT_EQ(compliance.total().pending(), 1);
  EXPECT_EQ(compliance.total().decided(), 0);
  ASSERT_EQ(compliance.rows_size(), 1);
  EXPECT_EQ(compliance.rows(0).group_key(), "bupati:33.01");
  EXPECT_EQ(compliance.rows(0).group_name(), "Bupati Cilacap");
  EXPECT_GT(compliance.compute_time().seconds(), 0);
}

TEST_P(SanctionHandlerTest, ViolationTypesAreFilteredAndTheCatalogReplaced) {
  v1::ListViolationTypesRequest list;
  list.set_category(v1::VIOLATION_CATEGORY_DISCIPLINE);
  list.set_employee_type(v1::EMPLOYEE_TYPE_PPPK);
  list.set_page_size(1000);
  v1::ListViolationTypesResponse discipline;
  ASSERT_TRUE(stub_->ListViolationTypes(CallContext().get(), list, &discipline).ok());
  EXPECT_EQ(discipline.catalog_version(), "skb-2022.1");
  ASSERT_GT(discipline.violation_types_size(), 0);
  for (const auto& type : discipline.violation_types()) {
    EXPECT_EQ(type.category(), v1::VIOLATION_CATEGORY_DISCIPLINE) << type.code();
    EXPECT_FALSE(type.title_id().empty()) << type.code();
    EXPECT_FALSE(type.legal_basis().empty()) << type.code();
  }
  list.set_category(static_cast<v1::ViolationCategory>(9));
  list.set_employee_type(static_cast<v1::EmployeeType>(9));
  auto bad_filter = stub_->ListViolationTypes(CallContext().get(), list, &discipline);
  EXPECT_EQ(bad_filter.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(bad_filter), (std::vector<std::string>{"category", "employee_type"}));

  // The whole catalog, sent back under a new version, replaces it.
  v1::ListViolationTypesRequest all;
  all.set_page_size(1000);
  v1::ListViolationTypesResponse current;
  ASSERT_TRUE(stub_->ListViolationTypes(CallContext().get(), all, &current).ok());
  v1::PutViolationCatalogRequest put;
  put.set_request_id("catalog-2");
  put.set_catalog_version("skb-2022.2");
  put.set_expected_catalog_version("skb-2022.1");
  *put.mutable_violation_types() = current.violation_types();
  v1::PutViolationCatalogResponse stored;
  auto status = stub_->PutViolationCatalog(CallContext().get(), put, &stored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stored.catalog_version(), "skb-2022.2");
  EXPECT_EQ(stored.violation_type_count(), current.violation_types_size());
  EXPECT_GT(stored.effective_time().seconds(), 0);
  v1::PutViolationCatalogResponse retried;
  ASSERT_TRUE(stub_->PutViolationCatalog(CallContext().get(), put, &retried).ok());
  EXPECT_TRUE(SameMessage(stored, retried)) << "the same version with the same content is a retry";
  v1::ListViolationTypesResponse replaced;
  ASSERT_TRUE(stub_->ListViolationTypes(CallContext().get(), all, &replaced).ok());
  EXPECT_EQ(replaced.catalog_version(), "skb-2022.2");
  replaced.clear_catalog_version();
  current.clear_catalog_version();
  EXPECT_TRUE(SameMessage(current, replaced)) << "the catalog maps both ways unchanged";

  // A stale expected version; a version used before; a bad type (validated only).
  put.set_catalog_version("skb-2022.3");
  auto stale = stub_->PutViolationCatalog(CallContext().get(), put, &stored);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  put.set_catalog_version("skb-2022.1");
  put.set_expected_catalog_version("skb-2022.2");
  EXPECT_EQ(stub_->PutViolationCatalog(CallContext().get(), put, &stored).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  put.set_catalog_version("skb-2022.4");
  put.set_validate_only(true);
  put.mutable_violation_types(1)->mutable_sanctions(0)->set_level(v1::SANCTION_LEVEL_UNSPECIFIED);
  auto invalid = stub_->PutViolationCatalog(CallContext().get(), put, &stored);
  ASSERT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto paths = FieldPaths(invalid);
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths[0].rfind("violation_types[1].sanctions[0]", 0), 0u) << paths[0];
}

}  // namespace
}  // namespace netra::sanction

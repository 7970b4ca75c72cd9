// Cases against real netra-registry, netra-complaint and netra-sanction
// processes, a real Redis and real SQLite files: the bad input of issue 5 is
// refused with clear errors and changes nothing, OpenCase is idempotent and
// opens a case only for a complaint really forwarded (issue 13), and a decision
// reaches the registry through the outbox. Two replicas on one store (SQLite
// and PostgreSQL): sanction_replicas_test.cc.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <map>

#include "absl/time/clock.h"
#include "common/authorize.h"
#include "common/client.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/integration/forwarding.h"
#include "tests/integration/netra_stack.h"
#include "tests/integration/sanction_cases_fixture.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;
namespace v1 = netra::v1;

TEST_F(SanctionCasesTest, OpenCaseIsValidatedAndIdempotentOnTheComplaint) {
  StartSanction();
  auto complaint_service = Sanction(kComplaintService);
  v1::OpenCaseRequest bad;
  bad.set_request_id("bad");
  bad.set_employee_id("199001012020011999");  // well-formed, not in the registry
  bad.set_election_id("pemilu-2024");
  bad.add_violation_codes("B99");
  v1::OpenCaseResponse response;
  auto status = complaint_service->OpenCase(Context().get(), bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::vector<std::string>{"complaint_id", "violation_codes[0]"}));
  bad.set_complaint_id("complaint-x");
  bad.set_violation_codes(0, "B2");
  status = complaint_service->OpenCase(Context().get(), bad, &response);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"employee_id"});

  v1::OpenCaseResponse first, again, other;
  status = complaint_service->OpenCase(Context().get(), Forwarded(1), &first);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message() << stack_.log(Service::kSanction);
  EXPECT_FALSE(first.created());  // the complaint service's forwarding opened it
  EXPECT_EQ(first.case_record().complaint_id(), Forwarded(1).complaint_id());
  EXPECT_EQ(first.case_record().status(), v1::CASE_STATUS_OPEN);
  EXPECT_EQ(first.case_record().proposed().level(), v1::SANCTION_LEVEL_SEVERE);
  EXPECT_EQ(first.case_record().recommending_authority().code(), authority_);
  EXPECT_EQ(first.case_record().ppk().code(), "walikota:33.74");
  EXPECT_FALSE(first.case_record().catalog_version().empty());
  ASSERT_TRUE(complaint_service->OpenCase(Context().get(), Forwarded(1), &again).ok());  // the same request, retried
  EXPECT_EQ(again.case_record().case_id(), first.case_record().case_id());
  auto forwarded_again = Forwarded(1);
  forwarded_again.set_request_id("another-forwarding");
  ASSERT_TRUE(complaint_service->OpenCase(Context().get(), forwarded_again, &other).ok());
  EXPECT_FALSE(other.created());
  EXPECT_EQ(other.case_record().case_id(), first.case_record().case_id());
  EXPECT_EQ(Get(first.case_record().case_id()).history_size(), 1);
}

// OpenCase is the complaint service's alone (the policy), and even from it
// only for a complaint it holds and forwarded, as forwarded: a forged one is
// FAILED_PRECONDITION with the reason and opens nothing.
TEST_F(SanctionCasesTest, AForgedOpenCaseIsRefusedAndOpensNothing) {
  StartSanction();
  auto complaint_service = Sanction(kComplaintService);
  auto refused = [&](const v1::OpenCaseRequest& request, const std::string& why) {
    v1::OpenCaseResponse response;
    auto status = complaint_service->OpenCase(Context().get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
    EXPECT_NE(status.error_message().find(why), std::string::npos) << status.error_message();
  };
  auto no_case = [&](const std::string& complaint_id) {
    v1::GetCaseRequest get;
    get.set_complaint_id(complaint_id);
    v1::GetCaseResponse found;
    return sanction_->GetCase(Context().get(), get, &found).error_code() == grpc::StatusCode::NOT_FOUND;
  };
  // A complaint the complaint service does not hold.
  refused(OpenRequest(0), "is not held by the complaint service");
  EXPECT_TRUE(no_case(OpenRequest(0).complaint_id()));
  // One it holds, registered but not forwarded.
  const v1::Complaint registered = forwarder_.Report("registered-only", SemarangEmployee(0).nip(), "pemilu-2024",
                                                     {"B2", "A4"}, v1::COMPLAINT_STATUS_REGISTERED);
  ASSERT_EQ(registered.status(), v1::COMPLAINT_STATUS_REGISTERED);
  v1::OpenCaseRequest early = OpenRequest(0);
  early.set_complaint_id(registered.complaint_id());
  refused(early, "is COMPLAINT_STATUS_REGISTERED, not forwarded");
  EXPECT_TRUE(no_case(registered.complaint_id()));
  // One it forwarded, but about another employee and for other violations.
  v1::OpenCaseRequest other = Forwarded(1);
  other.set_request_id("forged-other");
  other.set_employee_id(employee_ids_[2]);
  other.clear_violation_codes();
  other.add_violation_codes("B2");
  refused(other, "was forwarded with another employee_id, violation_codes");
  // The forwarded complaint's own case is untouched.
  EXPECT_EQ(Get(Open(1).case_id()).case_record().employee().employee_id(), employee_ids_[1]);
}

// The registry's answer about an employee id keeps its meaning across the
// sanction service: an id it rejects is INVALID_ARGUMENT on employee_id with
// its reason, one it does not know is INVALID_ARGUMENT "not in the
// registry", and only a registry that cannot be reached is UNAVAILABLE.
// Redis is a cache, and a value read from it never grants a permission: an
// employee snapshot forged there (naming another regency's Bupati as PPK) does
// not choose who decides the case opened on that employee.
TEST_F(SanctionCasesTest, AForgedEmployeeSnapshotInRedisDoesNotChooseTheCasesPpk) {
  StartSanction();
  v1::GetEmployeeRequest get;
  get.set_employee_id(employee_ids_[0]);
  v1::GetEmployeeResponse got;
  ASSERT_TRUE(registry_->GetEmployee(Context().get(), get, &got).ok());
  v1::Employee forged = got.employee();
  forged.mutable_ppk()->set_code("bupati:33.06");
  forged.mutable_ppk()->set_region_code("33.06");
  ASSERT_EQ(stack_.redis().RunAs(RedisServer::kTestUser, {"SET", "netra:test:registry:employee:" + employee_ids_[0],
                                                          forged.SerializeAsString()}),
            "OK");
  const v1::Case opened = Open(0);
  EXPECT_EQ(opened.ppk().code(), "walikota:33.74");
  v1::GetCaseRequest request;
  request.set_case_id(opened.case_id());
  v1::GetCaseResponse response;
  EXPECT_EQ(Sanction("ppk/bupati:33.06")->GetCase(Context().get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SanctionCasesTest, TheRegistrysAnswerKeepsItsMeaningThroughOpenCase) {
  StartSanction();
  auto open = [&](const std::string& employee_id, int n) {
    auto request = OpenRequest(n);
    request.set_employee_id(employee_id);
    v1::OpenCaseResponse response;
    return Sanction(kComplaintService)->OpenCase(Context().get(), request, &response);
  };
  auto rejected = open("12345", 40);  // the registry: not a NIP, NI PPPK or AGENCY:STAFF_ID
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << rejected.error_message();
  EXPECT_EQ(ViolatedFields(rejected), std::vector<std::string>{"employee_id"});
  EXPECT_NE(rejected.error_message().find("registry rejected"), std::string::npos) << rejected.error_message();
  auto unknown = open("199001012020011999", 41);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << unknown.error_message();
  EXPECT_EQ(ViolatedFields(unknown), std::vector<std::string>{"employee_id"});

  ASSERT_TRUE(stack_.Stop(Service::kRegistry).has_value());
  auto down = open("199001012020011998", 42);  // not cached: the registry must be asked
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
}

TEST_F(SanctionCasesTest, PutViolationCatalogIsValidatedVersionedAndCasesKeepTheirVersion) {
  StartSanction();
  v1::Case before = Open(5);
  v1::ListViolationTypesResponse listed;
  ASSERT_TRUE(sanction_->ListViolationTypes(Context().get(), v1::ListViolationTypesRequest(), &listed).ok());
  const std::string shipped = listed.catalog_version();

  // BKN, a signatory of the joint decree still in office, replaces the catalog.
  auto bkn = Sanction("authority/bkn");
  v1::PutViolationCatalogRequest put;
  put.set_request_id("catalog-2");
  put.set_catalog_version("skb-2022.2");
  put.set_expected_catalog_version(shipped);
  for (const auto& t : listed.violation_types()) *put.add_violation_types() = t;
  auto bad = put;
  bad.mutable_violation_types(1)->mutable_sanctions(0)->set_level(static_cast<v1::SanctionLevel>(42));
  bad.mutable_violation_types(2)->mutable_sanctions()->RemoveLast();
  bad.mutable_violation_types(3)->set_code("A1");
  v1::PutViolationCatalogResponse response;
  auto status = bkn->PutViolationCatalog(Context().get(), bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::vector<std::string>{"violation_types[1].sanctions[0].level",
                                                              "violation_types[2].sanctions",
                                                              "violation_types[3].code"}));
  // B3 becomes berat for PNS (DOMAIN.md: sources disagree) in the new version.
  for (auto& t : *put.mutable_violation_types()) {
    if (t.code() == "B3") t.mutable_sanctions(0)->set_level(v1::SANCTION_LEVEL_SEVERE);
  }
  status = bkn->PutViolationCatalog(Context().get(), put, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.catalog_version(), "skb-2022.2");
  EXPECT_TRUE(bkn->PutViolationCatalog(Context().get(), put, &response).ok());  // a retry
  auto stale = put;
  stale.set_catalog_version("skb-2022.3");
  EXPECT_EQ(bkn->PutViolationCatalog(Context().get(), stale, &response).error_code(), grpc::StatusCode::ABORTED);

  EXPECT_EQ(Get(before.case_id()).case_record().catalog_version(), shipped);
  EXPECT_EQ(Open(6).catalog_version(), "skb-2022.2");
  // A restart keeps the catalog put through the API.
  ASSERT_EQ(stack_.Stop(Service::kSanction), 0);
  StartSanction();
  // The channel may still be backing off from the stopped process: wait for the new one.
  auto after_restart = Context();
  after_restart->set_wait_for_ready(true);
  const grpc::Status listed_again =
      sanction_->ListViolationTypes(after_restart.get(), v1::ListViolationTypesRequest(), &listed);
  ASSERT_TRUE(listed_again.ok()) << listed_again.error_code() << " " << listed_again.error_message();
  EXPECT_EQ(listed.catalog_version(), "skb-2022.2");
}

// A PPK acts on its own employees' cases, an authority on the cases under it, Bawaslu on its
// region's (docs/security.md): another regency's Bupati can neither decide, read nor list a
// Kota Semarang case, and another authority cannot recommend on it, nor get the recommendation's
// answer by sending its request again.
TEST_F(SanctionCasesTest, OnlyTheCasesPpkAndAuthorityActOnIt) {
  StartSanction();
  const v1::Case opened = Open(0);
  v1::Case c = Recommend(opened);
  auto refused = [](const grpc::Status& status, std::string_view reason) {
    return status.error_code() == grpc::StatusCode::PERMISSION_DENIED && status.error_message().starts_with(reason);
  };
  auto purworejo = Sanction("ppk/bupati:33.06");
  v1::RecordDecisionResponse decided;
  auto status = purworejo->RecordDecision(Context().get(), DecisionRequest(c), &decided);
  EXPECT_TRUE(refused(status, kDenyNotItsPpk)) << status.error_message();
  v1::GetCaseRequest get;
  get.set_case_id(c.case_id());
  v1::GetCaseResponse got;
  status = purworejo->GetCase(Context().get(), get, &got);
  EXPECT_TRUE(refused(status, kDenyNotItsPpk)) << status.error_message();
  v1::ListCasesRequest list;
  v1::ListCasesResponse listed;
  ASSERT_TRUE(purworejo->ListCases(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 0);  // its own cases only
  list.set_ppk_code("walikota:33.74");  // Kota Semarang's
  status = purworejo->ListCases(Context().get(), list, &listed);
  EXPECT_TRUE(refused(status, kDenyNotItsPpk)) << status.error_message();

  const std::string other_authority = authority_ == "BKN" ? "authority/kasn" : "authority/bkn";
  v1::IssueRecommendationResponse recommended;
  status = Sanction(other_authority)->IssueRecommendation(Context().get(), RecommendRequest(c), &recommended);
  EXPECT_TRUE(refused(status, kDenyNotItsAuthority)) << status.error_message();
  // A request id is no key to the case: the recommendation made, sent again word for word by
  // the other authority, is refused, not answered with its first answer.
  status = Sanction(other_authority)->IssueRecommendation(Context().get(), RecommendRequest(opened), &recommended);
  EXPECT_TRUE(refused(status, kDenyNotItsAuthority)) << status.error_message();
  EXPECT_FALSE(recommended.has_case_record());
  status = Sanction("bawaslu/33.06")->GetCase(Context().get(), get, &got);
  EXPECT_TRUE(refused(status, kDenyOutsideRegion)) << status.error_message();

  // The case's own PPK reads it and finds it in its list; nothing above changed it.
  auto semarang = Sanction(kSemarangPpk);
  ASSERT_TRUE(semarang->GetCase(Context().get(), get, &got).ok());
  EXPECT_EQ(got.case_record().status(), v1::CASE_STATUS_RECOMMENDED);
  list.Clear();
  ASSERT_TRUE(semarang->ListCases(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 1);
}

TEST_F(SanctionCasesTest, BadDecisionsChangeNothingAndTheDecisionReachesTheRegistry) {
  StartSanction();
  v1::Case c = Open(0);

  auto foreign = RecommendRequest(c);
  foreign.set_authority_code(authority_ == "BKN" ? "KASN" : "BKN");
  v1::IssueRecommendationResponse recommended;
  auto status = sanction_->IssueRecommendation(Context().get(), foreign, &recommended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"authority_code"});

  c = Recommend(c);
  ASSERT_EQ(c.status(), v1::CASE_STATUS_RECOMMENDED);
  EXPECT_TRUE(c.has_ppk_deadline());
  EXPECT_EQ(c.ppk_deadline().time_zone(), "Asia/Jakarta");

  auto ppk = Sanction(kSemarangPpk);
  v1::RecordDecisionResponse decided;
  auto unknown = DecisionRequest(c);
  unknown.set_case_id("case-unknown");
  EXPECT_EQ(ppk->RecordDecision(Context().get(), unknown, &decided).error_code(), grpc::StatusCode::NOT_FOUND);

  auto early = DecisionRequest(c);
  absl::CivilDay before = absl::CivilDay(c.recommendation().letter_date().year(), c.recommendation().letter_date().month(),
                                         c.recommendation().letter_date().day()) - 1;
  early.mutable_decree_date()->set_year(static_cast<int>(before.year()));
  early.mutable_decree_date()->set_month(before.month());
  early.mutable_decree_date()->set_day(before.day());
  status = ppk->RecordDecision(Context().get(), early, &decided);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"decree_date"});

  auto wrong_form = DecisionRequest(c);
  wrong_form.add_forms(v1::SANCTION_FORM_CONTRACT_DISHONOURABLE_TERMINATION);  // PPPK only
  status = ppk->RecordDecision(Context().get(), wrong_form, &decided);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"forms[1]"});

  auto stale = DecisionRequest(c);
  stale.set_expected_version(1);
  EXPECT_EQ(ppk->RecordDecision(Context().get(), stale, &decided).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Get(c.case_id()).case_record().version(), c.version());  // nothing changed

  status = ppk->RecordDecision(Context().get(), DecisionRequest(c), &decided);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(decided.case_record().status(), v1::CASE_STATUS_DECIDED);
  EXPECT_TRUE(decided.case_record().decision().matches_recommendation());
  EXPECT_TRUE(decided.case_record().decision().on_time());

  auto twice = DecisionRequest(decided.case_record());
  twice.set_request_id("decide-again");
  status = ppk->RecordDecision(Context().get(), twice, &decided);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // The registry hears of it through the outbox.
  const std::string employee = c.employee().employee_id();
  EXPECT_TRUE(WaitUntil([&] { return RegistryEmployee(employee).disciplinary_state() ==
                                     v1::DISCIPLINARY_STATE_UNDER_SANCTION; }, 20s, 50ms));
  auto view = Get(c.case_id());
  EXPECT_TRUE(view.history_verification().intact());
  EXPECT_EQ(view.history_size(), 3);
  auto registry_delivered = [&] {
    auto current = Get(c.case_id());
    for (const auto& n : current.case_record().notifications()) {
      if (n.target() == v1::NOTIFICATION_TARGET_REGISTRY_STATUS) return n.status() == v1::DELIVERY_STATUS_DELIVERED;
    }
    return false;
  };
  EXPECT_TRUE(WaitUntil(registry_delivered, 10s, 50ms));
  // The complaint side (RecordOutcome) is queued; the complaint service is not
  // running here, so it stays pending and is retried (end-to-end tests cover it).
}

}  // namespace
}  // namespace netra::testing

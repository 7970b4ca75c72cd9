// A deployment moved from SQLite to PostgreSQL with `netractl store copy`:
// the three services stopped, each store copied into a database of its own,
// and the services started again on PostgreSQL answer as before: the cases and
// complaints with their histories intact, a retry of a request answered
// before the move gets its first answer, and new changes go through.
#include <gtest/gtest.h>

#include "netra/v1/complaint.grpc.pb.h"

#include "tests/integration/sanction_cases_fixture.h"
#include "tests/support/pg_server.h"

namespace netra::testing {
namespace {

class StoreMoveTest : public SanctionCasesTest {
 protected:
  // netractl store copy of `service`'s SQLite store into a new PostgreSQL
  // database; the service uses that database from now on.
  void Move(Service service) {
    PgServer& pg = SharedPgServer();
    const std::string name = "moved_" + NetraStack::Name(service);
    ASSERT_NE(pg.CreateDatabase(name), "") << pg.log();
    const std::string from = stack_.StoreFlags(service).at(0).substr(std::string("--store=").size());
    const std::string to = pg.Url(name, name, /*with_passfile=*/false);
    const std::string log = stack_.dir().File("copy-" + NetraStack::Name(service) + ".log");
    Subprocess copy({std::string(NETRA_BINARY_DIR) + "/netractl", "store", "copy", "--service", NetraStack::Name(service),
                     from, to, "--to-password-file", pg.password_file()},
                    log);
    const auto status = copy.Wait(120s);
    ASSERT_EQ(status, 0) << ReadFile(log);
    EXPECT_NE(ReadFile(log).find("\"ok\": true"), std::string::npos) << ReadFile(log);
    stack_.UseStore(service, to, pg.password_file());
  }

  // The complaint as Bawaslu Kota Semarang reads it, and whether its history verifies.
  std::pair<v1::Complaint, bool> Complaint(const std::string& id) {
    auto stub = v1::ComplaintService::NewStub(stack_.channel(Service::kComplaint));
    v1::GetComplaintRequest get;
    get.set_complaint_id(id);
    v1::GetComplaintResponse got;
    auto status = stub->GetComplaint(Context().get(), get, &got);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::VerifyComplaintHistoryRequest verify;
    verify.set_complaint_id(id);
    v1::VerifyComplaintHistoryResponse verified;
    status = stub->VerifyComplaintHistory(Context().get(), verify, &verified);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {got.complaint(), verified.verification().intact()};
  }
};

TEST_F(StoreMoveTest, ADeploymentMovedToPostgresqlAnswersAsBefore) {
  StartSanction();
  const v1::Case first = Open(0);
  const v1::Case recommended = Recommend(first);
  const v1::Case opened = Open(1);
  const std::string complaint_id = forwarded_.at(0);
  const auto [complaint_before, intact_before] = Complaint(complaint_id);
  ASSERT_TRUE(intact_before);

  for (Service s : {Service::kSanction, Service::kComplaint, Service::kRegistry}) ASSERT_EQ(stack_.Stop(s), 0);
  for (Service s : {Service::kRegistry, Service::kComplaint, Service::kSanction}) ASSERT_NO_FATAL_FAILURE(Move(s));
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  ASSERT_TRUE(stack_.Start(Service::kComplaint));
  StartSanction();

  // Read as before, histories intact.
  auto moved = Get(recommended.case_id());
  EXPECT_EQ(moved.case_record().status(), v1::CASE_STATUS_RECOMMENDED);
  EXPECT_EQ(moved.case_record().version(), recommended.version());
  EXPECT_TRUE(moved.history_verification().intact());
  const auto [complaint_after, intact_after] = Complaint(complaint_id);
  EXPECT_EQ(complaint_after.status(), complaint_before.status());
  EXPECT_EQ(complaint_after.version(), complaint_before.version());
  EXPECT_TRUE(intact_after);
  EXPECT_EQ(RegistryEmployee(employee_ids_[0]).nip(), SemarangEmployee(0).nip());
  // The recommendation retried: its first answer, not a second change.
  v1::IssueRecommendationResponse retried;
  auto status = sanction_->IssueRecommendation(Context().get(), RecommendRequest(first), &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.case_record().version(), recommended.version());
  // New changes on the moved stores.
  EXPECT_EQ(Recommend(opened).status(), v1::CASE_STATUS_RECOMMENDED);
  EXPECT_TRUE(Get(opened.case_id()).history_verification().intact());
}

}  // namespace
}  // namespace netra::testing

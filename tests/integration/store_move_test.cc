// A deployment moved from SQLite to PostgreSQL with `netractl store copy`:
// the three services stopped, each store copied into a database of its own,
// and the services started again on PostgreSQL answer as before: the cases and
// complaints with their histories intact, a retry of a request answered
// before the move gets its first answer, and new changes go through.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "netra/v1/complaint.grpc.pb.h"

#include "common/store.h"
#include "services/registry/registry_store.h"
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

  // netractl store copy of the stopped registry's store into a new database:
  // its exit status and output.
  std::pair<std::optional<int>, std::string> CopyRegistry(const std::string& database) {
    PgServer& pg = SharedPgServer();
    EXPECT_NE(pg.CreateDatabase(database), "") << pg.log();
    const std::string from = stack_.StoreFlags(Service::kRegistry).at(0).substr(std::string("--store=").size());
    const std::string log = stack_.dir().File("copy-" + database + ".log");
    Subprocess copy({std::string(NETRA_BINARY_DIR) + "/netractl", "store", "copy", "--service", "registry", from,
                     pg.Url(database, database, /*with_passfile=*/false), "--to-password-file", pg.password_file()},
                    log);
    const auto status = copy.Wait(120s);
    return {status, ReadFile(log)};
  }

  // Who was shown `employee_id` (the access log, as the operators ask it),
  // newest first: "caller method time".
  std::vector<std::string> ReadsOf(const std::string& employee_id) {
    v1::ListPersonalDataReadsRequest request;
    request.set_employee_id(employee_id);
    v1::ListPersonalDataReadsResponse response;
    auto status = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, "ops"))
                      ->ListPersonalDataReads(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const auto& r : response.reads()) {
      out.push_back(r.caller() + " " + r.method() + " " + std::to_string(r.read_time().seconds()) + "." +
                    std::to_string(r.read_time().nanos()));
    }
    return out;
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
  const std::vector<std::string> reads_before = ReadsOf(employee_ids_[0]);
  ASSERT_FALSE(reads_before.empty());

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
  // The access log moved too (on PostgreSQL its index of people is built from
  // the calls): the reads before the move, then the one just made.
  const std::vector<std::string> reads_after = ReadsOf(employee_ids_[0]);
  ASSERT_GT(reads_after.size(), reads_before.size());
  EXPECT_TRUE(std::equal(reads_before.begin(), reads_before.end(), reads_after.end() - reads_before.size()));
  // The recommendation retried: its first answer, not a second change.
  v1::IssueRecommendationResponse retried;
  auto status = sanction_->IssueRecommendation(Context().get(), RecommendRequest(first), &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.case_record().version(), recommended.version());
  // New changes on the moved stores.
  EXPECT_EQ(Recommend(opened).status(), v1::CASE_STATUS_RECOMMENDED);
  EXPECT_TRUE(Get(opened.case_id()).history_verification().intact());
}

// The source is only read: a store this build's service has not upgraded, or
// one with an import cut off, is refused as it is, and nothing reaches the target.
TEST_F(StoreMoveTest, ASourceTheServiceHasNotMadeReadyIsRefusedAndLeftAsItWas) {
  ASSERT_EQ(stack_.Stop(Service::kRegistry), 0);
  const std::string path = stack_.dir().File("registry.db");
  std::string error;
  auto source = Database::Open(StoreUrl{"sqlite", path}, registry::kMigrations, &error);
  ASSERT_NE(source, nullptr) << error;
  const int64_t latest = std::end(registry::kMigrations)[-1].version;
  const int64_t earlier = std::end(registry::kMigrations)[-2].version;
  auto migrations = [&] {  // the version the store is at
    return source->Read([](Connection& c) {
      auto s = c.Prepare("SELECT max(version) FROM schema_migrations");
      s.Step();
      return s.ColumnInt64(0);
    });
  };
  ASSERT_EQ(migrations(), latest);

  // An import cut off: the registry's own start finishes its indexes.
  source->Write([](Connection& c) { c.Exec("INSERT INTO employee_bulk_load (id, tokens_rowid) VALUES (1, 0)"); });
  auto [status, output] = CopyRegistry("not_after_a_cut_import");
  EXPECT_NE(status, 0) << output;
  EXPECT_NE(output.find("a bulk load of employees is open"), std::string::npos) << output;
  source->Write([](Connection& c) { c.Exec("DELETE FROM employee_bulk_load"); });

  // A store as an earlier build left it (its last migration not yet applied).
  source->Write([](Connection& c) {
    c.Prepare("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)").Run();
  });
  std::tie(status, output) = CopyRegistry("not_from_an_earlier_build");
  EXPECT_NE(status, 0) << output;
  EXPECT_NE(output.find("at schema version " + std::to_string(earlier) + "; this build's is " +
                        std::to_string(latest) + ": start this build's service"),
            std::string::npos)
      << output;
  EXPECT_EQ(migrations(), earlier) << "the source was migrated";
  EXPECT_EQ(SharedPgServer().AdminValue("not_from_an_earlier_build",
                                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"),
            "0");
}

}  // namespace
}  // namespace netra::testing

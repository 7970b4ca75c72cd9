// Elections against a real netra-registry process and a real SQLite file:
// the demo's Pemilu 2024 and Pilkada 2024 files load as they are, versions
// and request ids behave as the API says, and everything survives a restart.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "common/client.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

netra::v1::Election DemoElection(const std::string& file) {
  netra::v1::Election election;
  std::string json = ReadFile(std::string(NETRA_SOURCE_DIR) + "/deploy/local/elections/" + file);
  EXPECT_FALSE(json.empty()) << file;
  auto status = google::protobuf::util::JsonStringToMessage(json, &election);
  EXPECT_TRUE(status.ok()) << file << ": " << status.ToString();
  return election;
}

netra::v1::ErrorStatus Details(const grpc::Status& status) {
  netra::v1::ErrorStatus details;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
  return details;
}

std::map<std::string, netra::v1::FieldViolation::Reason> Violations(const grpc::Status& status) {
  std::map<std::string, netra::v1::FieldViolation::Reason> out;
  const netra::v1::ErrorStatus details = Details(status);
  for (const auto& any : details.details()) {
    netra::v1::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) out.emplace(v.field(), v.reason());
    }
  }
  return out;
}

class RegistryElectionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(stack_.Start(Service::kRegistry)); }

  // As the registry's usual caller, a BKD, who reads elections; the administrator writes them.
  std::unique_ptr<netra::v1::RegistryService::Stub> Stub(
      const std::string& identity = NetraStack::DefaultCaller(Service::kRegistry)) {
    return netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, identity));
  }

  grpc::Status Upsert(const netra::v1::Election& election, int64_t expected_version, const std::string& request_id,
                      netra::v1::UpsertElectionResponse* response) {
    netra::v1::UpsertElectionRequest request;
    request.set_request_id(request_id);
    *request.mutable_election() = election;
    request.set_expected_version(expected_version);
    return Stub(kAdmin)->UpsertElection(MakeClientContext(10s).get(), request, response);
  }

  netra::v1::Election Get(const std::string& id, grpc::Status* status_out = nullptr) {
    netra::v1::GetElectionRequest request;
    request.set_election_id(id);
    netra::v1::GetElectionResponse response;
    auto status = Stub()->GetElection(MakeClientContext(10s).get(), request, &response);
    if (status_out) *status_out = status;
    else EXPECT_TRUE(status.ok()) << status.error_message();
    return response.election();
  }

  std::vector<std::string> ListIds(netra::v1::ElectionType type, const std::string& region) {
    netra::v1::ListElectionsRequest request;
    request.set_type(type);
    request.set_region_code(region);
    netra::v1::ListElectionsResponse response;
    auto status = Stub()->ListElections(MakeClientContext(10s).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const auto& e : response.elections()) ids.push_back(e.election_id());
    return ids;
  }

  void LoadDemo() {
    for (const char* file : {"pemilu-2024.json", "pilkada-2024.json"}) {
      netra::v1::UpsertElectionResponse response;
      auto status = Upsert(DemoElection(file), 0, std::string("demo:") + file, &response);
      ASSERT_TRUE(status.ok()) << file << ": " << status.error_message() << " " << Details(status).DebugString();
      EXPECT_EQ(response.result(), netra::v1::UPSERT_RESULT_CREATED);
      EXPECT_EQ(response.election().version(), 1);
    }
  }

  NetraStack stack_;
};

TEST_F(RegistryElectionsTest, TheDemoElectionsLoadAndReadBackWithTheirRules) {
  LoadDemo();
  netra::v1::Election pemilu = Get("pemilu-2024");
  EXPECT_EQ(pemilu.type(), netra::v1::ELECTION_TYPE_PEMILU);
  EXPECT_EQ(pemilu.voting_date().year(), 2024);
  EXPECT_EQ(pemilu.voting_date().month(), 2);
  EXPECT_EQ(pemilu.voting_date().day(), 14);
  EXPECT_EQ(pemilu.candidates_fixed_date().day(), 13);
  EXPECT_EQ(pemilu.recommending_authority().code(), "KASN");
  EXPECT_EQ(pemilu.rules().ppk_decision().days(), 14);
  EXPECT_EQ(pemilu.rules().ppk_decision().counting(), netra::v1::DAY_COUNTING_WORKING_DAYS);
  EXPECT_EQ(pemilu.rules().handling_extended().days(), 14);
  EXPECT_EQ(pemilu.holidays_size(), DemoElection("pemilu-2024.json").holidays_size());
  EXPECT_EQ(pemilu.version(), 1);
  EXPECT_GT(pemilu.create_time().seconds(), 0);

  netra::v1::Election pilkada = Get("pilkada-2024");
  EXPECT_EQ(pilkada.recommending_authority().code(), "BKN");
  EXPECT_EQ(pilkada.rules().handling().days(), 3);

  // Both are national, so they cover a kab/kota; newest voting day first.
  EXPECT_EQ(ListIds(netra::v1::ELECTION_TYPE_UNSPECIFIED, "33.74"),
            (std::vector<std::string>{"pilkada-2024", "pemilu-2024"}));
  EXPECT_EQ(ListIds(netra::v1::ELECTION_TYPE_PEMILU, ""), (std::vector<std::string>{"pemilu-2024"}));
}

TEST_F(RegistryElectionsTest, VersionsAndRequestIdsBehaveAsTheApiSays) {
  LoadDemo();
  netra::v1::Election pemilu = DemoElection("pemilu-2024.json");
  netra::v1::UpsertElectionResponse response;

  // A retry of the first request returns its first result, changing nothing.
  ASSERT_TRUE(Upsert(pemilu, 0, "demo:pemilu-2024.json", &response).ok());
  EXPECT_EQ(response.result(), netra::v1::UPSERT_RESULT_CREATED);
  EXPECT_EQ(response.election().version(), 1);

  auto exists = Upsert(pemilu, 0, "create-again", &response);
  EXPECT_EQ(exists.error_code(), grpc::StatusCode::ALREADY_EXISTS);

  pemilu.set_name("Pemilihan Umum Serentak 2024");
  auto stale = Upsert(pemilu, 5, "stale", &response);
  ASSERT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  bool has_conflict = false;
  const netra::v1::ErrorStatus details = Details(stale);
  for (const auto& any : details.details()) {
    netra::v1::VersionConflict conflict;
    if (any.UnpackTo(&conflict)) {
      has_conflict = true;
      EXPECT_EQ(conflict.resource_type(), "election");
      EXPECT_EQ(conflict.expected_version(), 5);
      EXPECT_EQ(conflict.current_version(), 1);
    }
  }
  EXPECT_TRUE(has_conflict);

  ASSERT_TRUE(Upsert(pemilu, 1, "rename", &response).ok());
  EXPECT_EQ(response.result(), netra::v1::UPSERT_RESULT_UPDATED);
  EXPECT_EQ(response.election().version(), 2);
  ASSERT_TRUE(Upsert(pemilu, 2, "rename-again", &response).ok());
  EXPECT_EQ(response.result(), netra::v1::UPSERT_RESULT_UNCHANGED);

  auto reused = Upsert(pemilu, 2, "rename", &response);
  ASSERT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Violations(reused)["request_id"], netra::v1::FieldViolation::REASON_INCONSISTENT);
  EXPECT_EQ(Get("pemilu-2024").name(), "Pemilihan Umum Serentak 2024");
}

TEST_F(RegistryElectionsTest, BadInputIsRejectedWithFieldPathsAndStoresNothing) {
  netra::v1::Election bad = DemoElection("pilkada-2024.json");
  bad.set_election_id("pilkada-2030");
  bad.set_scope_region_code("33.98");
  bad.mutable_voting_date()->set_month(2);
  bad.mutable_voting_date()->set_day(30);
  bad.mutable_rules()->mutable_report_window()->set_days(-7);
  bad.mutable_holidays(1)->mutable_date()->set_month(13);
  netra::v1::UpsertElectionResponse response;
  auto status = Upsert(bad, 0, "bad-1", &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = Violations(status);
  EXPECT_EQ(violations["election.scope_region_code"], netra::v1::FieldViolation::REASON_NOT_FOUND);
  EXPECT_EQ(violations["election.voting_date.day"], netra::v1::FieldViolation::REASON_OUT_OF_RANGE);
  EXPECT_EQ(violations["election.rules.report_window.days"], netra::v1::FieldViolation::REASON_OUT_OF_RANGE);
  EXPECT_EQ(violations["election.holidays[1].date.month"], netra::v1::FieldViolation::REASON_OUT_OF_RANGE);

  netra::v1::UpsertElectionRequest empty;
  auto missing = Stub(kAdmin)->UpsertElection(MakeClientContext(10s).get(), empty, &response);
  ASSERT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Violations(missing)["election"], netra::v1::FieldViolation::REASON_REQUIRED);
  EXPECT_EQ(Violations(missing)["request_id"], netra::v1::FieldViolation::REASON_REQUIRED);

  grpc::Status get_status;
  Get("pilkada-2030", &get_status);
  EXPECT_EQ(get_status.error_code(), grpc::StatusCode::NOT_FOUND);
  Get("Pilkada 2030", &get_status);
  EXPECT_EQ(get_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(ListIds(netra::v1::ELECTION_TYPE_UNSPECIFIED, "").empty());
}

TEST_F(RegistryElectionsTest, ElectionsSurviveARestartOfTheService) {
  LoadDemo();
  netra::v1::Election before = Get("pilkada-2024");
  ASSERT_EQ(stack_.Stop(Service::kRegistry), 0);
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  netra::v1::Election after = Get("pilkada-2024");
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(ListIds(netra::v1::ELECTION_TYPE_UNSPECIFIED, "").size(), 2u);
  // The request ids survive too: the demo load is idempotent across restarts.
  netra::v1::UpsertElectionResponse response;
  ASSERT_TRUE(Upsert(DemoElection("pilkada-2024.json"), 0, "demo:pilkada-2024.json", &response).ok());
  EXPECT_EQ(response.election().version(), 1);
}

}  // namespace
}  // namespace netra::testing

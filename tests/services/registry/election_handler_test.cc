// RegistryHandler's election and pledge RPCs in-process (registry_handler_fixture.h):
// proto <-> domain both ways, and each domain error as its status.
#include <gtest/gtest.h>

#include "common/digest.h"
#include "tests/services/registry/registry_handler_fixture.h"

namespace netra::registry::testing {
namespace {

using ElectionHandlerTest = RegistryHandlerTest;

// UpsertElection answers times with nanoseconds, the store keeps microseconds:
// a read, or a retry answered from the store, has them cut to the microsecond.
v1::Election CutToMicros(v1::Election e) {
  for (auto* time : {e.mutable_create_time(), e.mutable_update_time()}) time->set_nanos(time->nanos() / 1000 * 1000);
  return e;
}

TEST_F(ElectionHandlerTest, UpsertThenGetMapsEveryField) {
  const v1::Election sent = DemoElection("pemilu-2024.json");
  v1::UpsertElectionResponse created;
  auto status = UpsertElection(sent, "create", 0, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.result(), v1::UPSERT_RESULT_CREATED);
  EXPECT_EQ(created.election().version(), 1);
  EXPECT_GT(created.election().create_time().seconds(), 0);
  EXPECT_GT(created.election().update_time().seconds(), 0);

  // Everything the client set comes back as sent; the server adds the
  // version and times, and the rules the file leaves out as empty (zero days:
  // the service's defaults apply).
  v1::Election expected = sent;
  expected.mutable_rules()->mutable_escalation_warning();
  expected.mutable_rules()->mutable_escalation_reprimand();
  expected.mutable_rules()->mutable_escalation_data_block();
  v1::Election stored = created.election();
  stored.clear_version();
  stored.clear_create_time();
  stored.clear_update_time();
  EXPECT_TRUE(SameMessage(expected, stored));

  v1::GetElectionRequest get;
  get.set_election_id("pemilu-2024");
  v1::GetElectionResponse got;
  ASSERT_TRUE(stub_->GetElection(CallContext().get(), get, &got).ok());
  EXPECT_TRUE(SameMessage(CutToMicros(created.election()), got.election()));

  v1::ListElectionsRequest list;
  list.set_type(v1::ELECTION_TYPE_PEMILU);
  list.set_region_code("33.01");
  v1::ListElectionsResponse listed;
  ASSERT_TRUE(stub_->ListElections(CallContext().get(), list, &listed).ok());
  ASSERT_EQ(listed.elections_size(), 1);
  EXPECT_TRUE(SameMessage(CutToMicros(created.election()), listed.elections(0)));
  list.set_type(v1::ELECTION_TYPE_PILKADA);
  ASSERT_TRUE(stub_->ListElections(CallContext().get(), list, &listed).ok());
  EXPECT_EQ(listed.elections_size(), 0);
}

TEST_F(ElectionHandlerTest, VersionsAndRequestIdsMapToTheirStatuses) {
  v1::Election election = DemoElection("pemilu-2024.json");
  v1::UpsertElectionResponse created, response;
  ASSERT_TRUE(UpsertElection(election, "create", 0, &created).ok());

  ASSERT_TRUE(UpsertElection(election, "create", 0, &response).ok());
  EXPECT_EQ(response.result(), v1::UPSERT_RESULT_CREATED) << "a retry answers the first response";
  EXPECT_TRUE(SameMessage(CutToMicros(created.election()), response.election()));
  EXPECT_EQ(UpsertElection(election, "create-again", 0, &response).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  election.set_name("Pemilihan Umum Serentak 2024");
  auto stale = UpsertElection(election, "stale", 5, &response);
  ASSERT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  auto conflict = DetailOf<v1::VersionConflict>(stale);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->resource_type(), "election");
  EXPECT_EQ(conflict->resource_id(), "pemilu-2024");
  EXPECT_EQ(conflict->expected_version(), 5);
  EXPECT_EQ(conflict->current_version(), 1);

  auto reused = UpsertElection(election, "create", 1, &response);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(reused), std::vector<std::string>{"request_id"});

  ASSERT_TRUE(UpsertElection(election, "update", 1, &response).ok());
  EXPECT_EQ(response.result(), v1::UPSERT_RESULT_UPDATED);
  EXPECT_EQ(response.election().version(), 2);
  EXPECT_EQ(response.election().name(), "Pemilihan Umum Serentak 2024");
}

TEST_F(ElectionHandlerTest, BadElectionIsRefusedWithFieldPathsAndUnknownIsNotFound) {
  v1::Election election = DemoElection("pemilu-2024.json");
  election.set_election_id("Pemilu 2024!");
  election.set_type(static_cast<v1::ElectionType>(9));
  election.mutable_voting_date()->set_month(13);
  v1::UpsertElectionResponse response;
  auto status = UpsertElection(election, "bad", 0, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto paths = FieldPaths(status);
  for (const char* path : {"election.election_id", "election.type", "election.voting_date.month"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end()) << path << " in " << ::testing::PrintToString(paths);
  }

  v1::GetElectionRequest get;
  get.set_election_id("pemilu-2029");
  v1::GetElectionResponse got;
  auto missing = stub_->GetElection(CallContext().get(), get, &got);
  ASSERT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  auto resource = DetailOf<v1::ResourceInfo>(missing);
  ASSERT_TRUE(resource);
  EXPECT_EQ(resource->resource_type(), "election");
  EXPECT_EQ(resource->resource_name(), "pemilu-2029");
}

TEST_F(ElectionHandlerTest, PledgeIsRecordedWithEveryFieldAndCounted) {
  v1::UpsertElectionResponse election;
  ASSERT_TRUE(UpsertElection(DemoElection("pemilu-2024.json"), "pemilu", 0, &election).ok());
  ASSERT_TRUE(Upsert(Pns(1), "e1").ok());
  ASSERT_TRUE(Upsert(Pns(2), "e2").ok());

  v1::RecordPledgeRequest request;
  request.set_request_id("pledge-1");
  request.set_employee_id(Pns(1).nip());
  request.set_election_id("pemilu-2024");
  request.set_kind(v1::PLEDGE_KIND_IKRAR);
  request.mutable_signed_date()->set_year(2024);
  request.mutable_signed_date()->set_month(1);
  request.mutable_signed_date()->set_day(8);
  const std::string document = Sha256::Of({"ikrar netralitas ASN"});
  request.set_document_sha256(document);
  request.set_document_reference("800/45/2024");
  v1::RecordPledgeResponse recorded;
  auto status = stub_->RecordPledge(CallContext("bkd-clp/operator-1").get(), request, &recorded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Pledge& p = recorded.pledge();
  EXPECT_FALSE(p.pledge_id().empty());
  EXPECT_EQ(p.employee_id(), Pns(1).nip());
  EXPECT_EQ(p.election_id(), "pemilu-2024");
  EXPECT_EQ(p.kind(), v1::PLEDGE_KIND_IKRAR);
  EXPECT_EQ(p.signed_date().day(), 8);
  EXPECT_EQ(p.document_sha256(), document);
  EXPECT_EQ(p.document_reference(), "800/45/2024");
  EXPECT_EQ(p.recorded_by().id(), "bkd-clp/operator-1");
  EXPECT_GT(p.record_time().seconds(), 0);

  v1::GetPledgeCoverageRequest coverage;
  coverage.set_election_id("pemilu-2024");
  coverage.set_region_code("33.01");
  coverage.set_group_by(v1::PLEDGE_COVERAGE_GROUPING_AGENCY);
  v1::GetPledgeCoverageResponse report;
  ASSERT_TRUE(stub_->GetPledgeCoverage(CallContext().get(), coverage, &report).ok());
  EXPECT_EQ(report.total().employees(), 2);
  EXPECT_EQ(report.total().pledged(), 1);
  EXPECT_DOUBLE_EQ(report.total().ratio(), 0.5);
  ASSERT_EQ(report.groups_size(), 1);
  EXPECT_EQ(report.groups(0).group_key(), "PEMKAB-CLP");
  EXPECT_EQ(report.groups(0).pledged(), 1);

  request.set_request_id("pledge-2");
  request.set_election_id("pemilu-2029");
  auto unknown = stub_->RecordPledge(CallContext().get(), request, &recorded);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);

  request.set_election_id("pemilu-2024");
  request.set_employee_id("no such id");
  request.clear_signed_date();
  auto bad = stub_->RecordPledge(CallContext().get(), request, &recorded);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto paths = FieldPaths(bad);
  for (const char* path : {"employee_id", "signed_date"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end()) << path << " in " << ::testing::PrintToString(paths);
  }
}

}  // namespace
}  // namespace netra::registry::testing

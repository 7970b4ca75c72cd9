// RegistryHandler's party-membership screening RPCs in-process
// (registry_handler_fixture.h): a keyed-hash member list in, matches out with
// every field mapped, and each domain error as its status.
#include <gtest/gtest.h>

#include "tests/services/registry/registry_handler_fixture.h"

namespace netra::registry::testing {
namespace {

class PartyHandlerTest : public RegistryHandlerTest {
 protected:
  // Imports one member list: Pns(1)'s NIK as an officer of PDIP, and an NIK
  // that is no employee's.
  v1::ImportPartyMembersResponse ImportList(const std::string& request_id, grpc::Status* status) {
    v1::ImportPartyMembersRequest message;
    message.set_request_id(request_id);
    message.set_source_name("sipol-pdip.csv");
    message.set_max_row_errors(10);
    auto* officer = message.add_records();
    officer->set_row_number(1);
    officer->set_nik_hmac(nik_hasher_.Hash(Nik(1)));
    officer->set_party_code("PDIP");
    officer->set_party_name("Partai Demokrasi Indonesia Perjuangan");
    officer->set_region_code("33.01");
    officer->set_role(v1::PARTY_ROLE_OFFICER);
    auto* stranger = message.add_records();
    stranger->set_row_number(2);
    stranger->set_nik_hmac(nik_hasher_.Hash(Nik(28)));
    stranger->set_party_code("PDIP");
    auto* broken = message.add_records();
    broken->set_row_number(3);
    broken->set_nik_hmac("short");
    broken->set_party_code("PDIP");

    v1::ImportPartyMembersResponse response;
    auto context = CallContext();
    auto writer = stub_->ImportPartyMembers(context.get(), &response);
    writer->Write(message);
    writer->WritesDone();
    *status = writer->Finish();
    return response;
  }

  v1::PartyMembershipMatch OnlyMatch() {
    v1::ListPartyMembershipMatchesRequest request;
    request.set_status(v1::PARTY_MEMBERSHIP_MATCH_STATUS_OPEN);
    request.set_region_code("33.01");
    request.set_agency_code("PEMKAB-CLP");
    request.set_party_code("PDIP");
    v1::ListPartyMembershipMatchesResponse response;
    auto status = stub_->ListPartyMembershipMatches(CallContext().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.matches_size(), 1);
    return response.matches_size() > 0 ? response.matches(0) : v1::PartyMembershipMatch();
  }

  grpc::Status Resolve(const v1::ResolvePartyMembershipMatchRequest& request,
                       v1::ResolvePartyMembershipMatchResponse* response) {
    return stub_->ResolvePartyMembershipMatch(CallContext("bkd-clp/operator-2").get(), request, response);
  }
};

TEST_F(PartyHandlerTest, ImportCountsMatchesAndListMapsEveryField) {
  ASSERT_TRUE(Upsert(Pns(1), "e1", 0, nullptr, Nik(1)).ok());
  grpc::Status status;
  auto imported = ImportList("sipol-1", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.records_received(), 3);
  EXPECT_EQ(imported.accepted(), 2);
  EXPECT_EQ(imported.rejected(), 1);
  EXPECT_EQ(imported.matched(), 1);
  EXPECT_EQ(imported.new_matches(), 1);
  ASSERT_EQ(imported.row_errors_size(), 1);
  EXPECT_EQ(imported.row_errors(0).row_number(), 3);
  ASSERT_GE(imported.row_errors(0).violations_size(), 1);
  EXPECT_EQ(imported.row_errors(0).violations(0).field(), "nik_hmac");

  // A retry is answered from the import's record.
  auto again = ImportList("sipol-1", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.SerializeAsString(), imported.SerializeAsString());

  const v1::PartyMembershipMatch m = OnlyMatch();
  EXPECT_FALSE(m.match_id().empty());
  EXPECT_EQ(m.employee().employee_id(), Pns(1).nip());
  EXPECT_EQ(m.employee().employee_type(), v1::EMPLOYEE_TYPE_PNS);
  EXPECT_EQ(m.employee().name(), "Siti Rahayu");
  EXPECT_EQ(m.employee().agency_code(), "PEMKAB-CLP");
  EXPECT_EQ(m.employee().agency_name(), "Pemerintah Kabupaten Cilacap");
  EXPECT_EQ(m.employee().unit_name(), "Dinas Kesehatan");
  EXPECT_EQ(m.employee().position(), "Analis Kebijakan");
  EXPECT_EQ(m.employee().work_region_code(), "33.01");
  EXPECT_EQ(m.employee().ppk().code(), "bupati:33.01");
  EXPECT_EQ(m.employee().registry_version(), 1);
  EXPECT_EQ(m.party_code(), "PDIP");
  EXPECT_EQ(m.party_name(), "Partai Demokrasi Indonesia Perjuangan");
  EXPECT_EQ(m.party_region_code(), "33.01");
  EXPECT_EQ(m.role(), v1::PARTY_ROLE_OFFICER);
  EXPECT_EQ(m.status(), v1::PARTY_MEMBERSHIP_MATCH_STATUS_OPEN);
  EXPECT_EQ(m.source_name(), "sipol-pdip.csv");
  EXPECT_GT(m.match_time().seconds(), 0);
  EXPECT_FALSE(m.has_resolved_by());
  EXPECT_EQ(m.version(), 1);
}

TEST_F(PartyHandlerTest, ResolveMapsTheResolutionAndItsErrors) {
  ASSERT_TRUE(Upsert(Pns(1), "e1", 0, nullptr, Nik(1)).ok());
  grpc::Status status;
  ImportList("sipol-1", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::PartyMembershipMatch open = OnlyMatch();

  v1::ResolvePartyMembershipMatchRequest request;
  request.set_request_id("resolve-1");
  request.set_match_id(open.match_id());
  request.set_resolution(v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE);
  request.set_note("NIK dipakai tanpa izin");
  request.set_expected_version(1);
  v1::ResolvePartyMembershipMatchResponse response;
  // Identity misuse needs the employee's signed statement.
  auto missing = Resolve(request, &response);
  ASSERT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto paths = FieldPaths(missing);
  for (const char* path : {"statement_reference", "statement_date"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end()) << path << " in " << ::testing::PrintToString(paths);
  }

  request.set_statement_reference("SP/01/2024");
  request.mutable_statement_date()->set_year(2024);
  request.mutable_statement_date()->set_month(1);
  request.mutable_statement_date()->set_day(15);
  request.set_expected_version(3);
  auto stale = Resolve(request, &response);
  ASSERT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  auto conflict = DetailOf<v1::VersionConflict>(stale);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->resource_id(), open.match_id());
  EXPECT_EQ(conflict->current_version(), 1);

  request.set_expected_version(1);
  auto resolved = Resolve(request, &response);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  const auto& m = response.match();
  EXPECT_EQ(m.status(), v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE);
  EXPECT_EQ(m.statement_reference(), "SP/01/2024");
  EXPECT_EQ(m.statement_date().day(), 15);
  EXPECT_EQ(m.note(), "NIK dipakai tanpa izin");
  EXPECT_EQ(m.resolved_by().id(), "bkd-clp/operator-2");
  EXPECT_GT(m.resolve_time().seconds(), 0);
  EXPECT_EQ(m.version(), 2);

  // A resolved match takes no other resolution; an unknown one is not found.
  request.set_request_id("resolve-2");
  request.set_resolution(v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER);
  request.clear_statement_reference();
  request.clear_statement_date();
  request.set_expected_version(2);
  auto twice = Resolve(request, &response);
  ASSERT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  auto precondition = DetailOf<v1::PreconditionFailure>(twice);
  ASSERT_TRUE(precondition);
  EXPECT_EQ(precondition->attempted_action(), "PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER");
  EXPECT_EQ(precondition->current_state(), "PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE");
  EXPECT_TRUE(precondition->allowed_actions().empty());

  request.set_request_id("resolve-3");
  request.set_match_id("pm-999");
  request.set_expected_version(0);
  EXPECT_EQ(Resolve(request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace netra::registry::testing

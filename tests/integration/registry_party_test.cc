// Party-membership screening against a real netra-registry process (real
// Redis, real SQLite): ImportPartyMembers with good and bad records, matching
// in both directions, ListPartyMembershipMatches with filters and pages,
// ResolvePartyMembershipMatch both ways and its refusals, and that no NIK or
// NIK hash leaves the registry in a response or a log line.
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "common/client.h"
#include "common/nik.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(30s); }

// The provincial BKD of Jawa Tengah: its region holds Semarang (33.74) and Cilacap (33.01).
constexpr char kJatengBkd[] = "bkd/33";

// NIKs of men born 1990-07-21 registered in Semarang Tengah (33.74.01).
std::string Nik(int serial) {
  char nik[17];
  std::snprintf(nik, sizeof nik, "337401210790%04d", serial);
  return nik;
}

// A PPNPN ("<agency>:<id>") born 1990-07-21, male, as Nik() expects.
netra::v1::Employee Ppnpn(const std::string& id, const std::string& agency, const std::string& region) {
  netra::v1::Employee e;
  e.set_employee_type(netra::v1::EMPLOYEE_TYPE_PPNPN);
  e.set_agency_staff_id(id);
  e.set_name("Tenaga " + id);
  e.set_gender(netra::v1::GENDER_MALE);
  e.mutable_birth_date()->set_year(1990);
  e.mutable_birth_date()->set_month(7);
  e.mutable_birth_date()->set_day(21);
  e.set_agency_code(agency);
  e.set_agency_name("Pemerintah " + agency);
  e.set_work_region_code(region);
  return e;
}

netra::v1::PartyMemberRecord Record(int64_t row, const std::string& nik_hmac, const std::string& party,
                                    const std::string& region = "33.74") {
  netra::v1::PartyMemberRecord r;
  r.set_row_number(row);
  r.set_nik_hmac(nik_hmac);
  r.set_party_code(party);
  r.set_party_name("Partai " + party);
  r.set_region_code(region);
  r.set_role(netra::v1::PARTY_ROLE_MEMBER);
  return r;
}

class RegistryPartyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    stub_ = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kJatengBkd));
    std::string error;
    auto key = NikHasher::LoadKey(stack_.nik_key_file(), &error);
    ASSERT_TRUE(key) << error;
    hasher_ = std::make_unique<NikHasher>(*key);
    Upsert(Ppnpn("P1", "PEMKOT-SMG", "33.74"), Nik(1));
    Upsert(Ppnpn("P2", "PEMKAB-CLP", "33.01"), Nik(2));
    Upsert(Ppnpn("P3", "PEMPROV-DKI", "31.71"), Nik(3));
    Upsert(Ppnpn("P4", "PEMKOT-SMG", "33.74"), "");
  }

  void Upsert(const netra::v1::Employee& e, const std::string& nik) {
    netra::v1::UpsertEmployeeRequest request;
    request.set_request_id("emp-" + e.agency_staff_id() + (nik.empty() ? "" : "-with-nik"));
    *request.mutable_employee() = e;
    request.set_nik(nik);
    netra::v1::UpsertEmployeeResponse response;
    auto status = As("bkd/" + e.work_region_code())->UpsertEmployee(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string Hash(const std::string& nik) const { return hasher_->Hash(nik); }

  std::unique_ptr<netra::v1::RegistryService::Stub> As(const std::string& identity) {
    return netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, identity));
  }

  // One import in messages of `per_message` records, as KPU RI uploads its register; a BKD
  // (stub_: Jawa Tengah's, whose region holds P1 and P2, not Jakarta's P3) follows the matches up.
  grpc::Status Import(const std::string& request_id, const std::vector<netra::v1::PartyMemberRecord>& records,
                      netra::v1::ImportPartyMembersResponse* response, size_t per_message = 2) {
    auto context = Context();
    auto kpu = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kNationalKpu));
    auto writer = kpu->ImportPartyMembers(context.get(), response);
    netra::v1::ImportPartyMembersRequest message;
    message.set_request_id(request_id);
    message.set_source_name("SIPOL 2024-01-05");
    for (size_t i = 0; i < records.size(); ++i) {
      *message.add_records() = records[i];
      if (message.records_size() == static_cast<int>(per_message) || i + 1 == records.size()) {
        if (!writer->Write(message)) break;
        message.Clear();
      }
    }
    writer->WritesDone();
    return writer->Finish();
  }

  netra::v1::ListPartyMembershipMatchesResponse List(netra::v1::ListPartyMembershipMatchesRequest request = {},
                                                     netra::v1::RegistryService::Stub* stub = nullptr) {
    netra::v1::ListPartyMembershipMatchesResponse response;
    auto status = (stub ? stub : stub_.get())->ListPartyMembershipMatches(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Resolve(const std::string& request_id, const std::string& match_id,
                       netra::v1::PartyMembershipMatchStatus resolution, int64_t expected_version,
                       netra::v1::ResolvePartyMembershipMatchResponse* response, bool with_statement = true) {
    netra::v1::ResolvePartyMembershipMatchRequest request;
    request.set_request_id(request_id);
    request.set_match_id(match_id);
    request.set_resolution(resolution);
    request.set_expected_version(expected_version);
    if (resolution == netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE && with_statement) {
      request.set_statement_reference("800/17/BKPSDM/2024");
      request.mutable_statement_date()->set_year(2024);
      request.mutable_statement_date()->set_month(1);
      request.mutable_statement_date()->set_day(15);
    }
    return stub_->ResolvePartyMembershipMatch(Context().get(), request, response);
  }

  // Neither a NIK of the test nor its hash (raw or hex) appears in `text`.
  void ExpectNoNik(const std::string& text) const {
    for (int serial : {1, 2, 3, 9}) {
      EXPECT_EQ(text.find(Nik(serial)), std::string::npos) << "NIK " << serial << " leaked";
      EXPECT_EQ(text.find(Hash(Nik(serial))), std::string::npos) << "NIK hash " << serial << " leaked";
      EXPECT_EQ(text.find(absl::BytesToHexString(Hash(Nik(serial)))), std::string::npos)
          << "NIK hash (hex) " << serial << " leaked";
    }
  }

  NetraStack stack_;
  std::unique_ptr<netra::v1::RegistryService::Stub> stub_;
  std::unique_ptr<NikHasher> hasher_;
};

TEST_F(RegistryPartyTest, ImportKeepsGoodRecordsReportsBadOnesAndMatchesEmployees) {
  std::string short_hash = Hash(Nik(7));
  short_hash.pop_back();
  netra::v1::ImportPartyMembersResponse response;
  const std::vector<netra::v1::PartyMemberRecord> records = {
      Record(1, Hash(Nik(1)), "PDIP"),          Record(2, Hash(Nik(2)), "GOLKAR"),
      Record(3, Hash(Nik(9)), "PKB"),           Record(4, short_hash, "PKS"),
      Record(5, Hash(Nik(8)), "NASDEM", "33.98"), Record(6, Hash(Nik(6)), "")};
  auto status = Import("sipol-1", records, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.records_received(), 6);
  EXPECT_EQ(response.accepted(), 3);
  EXPECT_EQ(response.rejected(), 3);
  EXPECT_EQ(response.matched(), 2);
  EXPECT_EQ(response.new_matches(), 2);
  ASSERT_EQ(response.row_errors_size(), 3);
  const std::pair<int64_t, const char*> expected[] = {{4, "nik_hmac"}, {5, "region_code"}, {6, "party_code"}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response.row_errors(i).row_number(), expected[i].first);
    ASSERT_EQ(response.row_errors(i).violations_size(), 1);
    EXPECT_EQ(response.row_errors(i).violations(0).field(), expected[i].second);
  }
  ExpectNoNik(response.SerializeAsString());

  // A retry of the completed import is answered from its record; other content under its id is refused.
  netra::v1::ImportPartyMembersResponse retry;
  ASSERT_TRUE(Import("sipol-1", records, &retry, 4).ok());
  EXPECT_EQ(retry.SerializeAsString(), response.SerializeAsString());
  auto reused = Import("sipol-1", {Record(1, Hash(Nik(1)), "PAN")}, &retry);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(reused), std::vector<std::string>{"request_id"});
  // A bad first message refuses the stream and stores nothing.
  netra::v1::ImportPartyMembersResponse ignored;
  auto bad = Import("bad id!", {Record(1, Hash(Nik(3)), "PAN")}, &ignored);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(bad), std::vector<std::string>{"request_id"});

  auto matches = List();
  ASSERT_EQ(matches.matches_size(), 2);
  EXPECT_EQ(matches.matches(0).employee().employee_id(), "PEMKOT-SMG:P1");
  EXPECT_EQ(matches.matches(0).employee().name(), "Tenaga P1");
  EXPECT_EQ(matches.matches(0).party_code(), "PDIP");
  EXPECT_EQ(matches.matches(0).status(), netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_OPEN);
  EXPECT_EQ(matches.matches(0).version(), 1);
  EXPECT_EQ(matches.matches(0).source_name(), "SIPOL 2024-01-05");
  EXPECT_EQ(matches.matches(1).employee().employee_id(), "PEMKAB-CLP:P2");
  ExpectNoNik(matches.SerializeAsString());

  // An employee stored after the list with a listed NIK is matched as well,
  // and followed up by Jakarta's BKD.
  Upsert(Ppnpn("P9", "PEMPROV-DKI", "31.71"), Nik(9));
  EXPECT_EQ(List().matches_size(), 2);
  auto after = List({}, As("bkd/31.71").get());
  ASSERT_EQ(after.matches_size(), 1);
  EXPECT_EQ(after.matches(0).employee().employee_id(), "PEMPROV-DKI:P9");
  EXPECT_EQ(after.matches(0).party_code(), "PKB");

  const std::string metrics = stack_.metrics(Service::kRegistry);
  EXPECT_EQ(MetricValue(metrics, "netra_party_matches_total", {{"province", "33"}, {"result", "matched"}}), 2)
      << metrics;
  ExpectNoNik(stack_.log(Service::kRegistry));
}

TEST_F(RegistryPartyTest, MatchesAreListedByFilterInPages) {
  netra::v1::ImportPartyMembersResponse response;
  ASSERT_TRUE(Import("sipol-2",
                     {Record(1, Hash(Nik(1)), "PDIP"), Record(2, Hash(Nik(2)), "PDIP"),
                      Record(3, Hash(Nik(3)), "GOLKAR"), Record(4, Hash(Nik(1)), "GOLKAR")},
                     &response)
                  .ok());
  ASSERT_EQ(response.new_matches(), 4);

  netra::v1::ListPartyMembershipMatchesRequest request;
  request.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto response = List(request);
    for (const auto& m : response.matches()) seen.push_back(m.match_id());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen.size(), 3u);  // Jawa Tengah's; Jakarta's match is not its BKD's to see

  netra::v1::ListPartyMembershipMatchesRequest filtered;
  filtered.set_region_code("33");
  filtered.set_party_code("PDIP");
  EXPECT_EQ(List(filtered).matches_size(), 2);
  filtered.set_agency_code("PEMKAB-CLP");
  ASSERT_EQ(List(filtered).matches_size(), 1);
  filtered.Clear();
  filtered.set_region_code("31.71");
  auto jakarta = As("bkd/31.71");
  ASSERT_EQ(List(filtered, jakarta.get()).matches_size(), 1);
  EXPECT_EQ(List(filtered, jakarta.get()).matches(0).party_code(), "GOLKAR");
  netra::v1::ListPartyMembershipMatchesResponse refused;
  EXPECT_EQ(stub_->ListPartyMembershipMatches(Context().get(), filtered, &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // a filter outside the caller's region

  netra::v1::ListPartyMembershipMatchesRequest bad;
  bad.set_region_code("33.98");
  bad.set_page_size(-1);
  bad.set_status(static_cast<netra::v1::PartyMembershipMatchStatus>(9));
  netra::v1::ListPartyMembershipMatchesResponse ignored;
  auto status = stub_->ListPartyMembershipMatches(Context().get(), bad, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::vector<std::string>{"status", "region_code", "page_size"}));
}

TEST_F(RegistryPartyTest, AMatchIsResolvedOnceAsMemberOrAsIdentityMisuse) {
  netra::v1::ImportPartyMembersResponse imported;
  ASSERT_TRUE(Import("sipol-3", {Record(1, Hash(Nik(1)), "PDIP"), Record(2, Hash(Nik(2)), "GOLKAR")}, &imported).ok());
  auto matches = List();
  ASSERT_EQ(matches.matches_size(), 2);
  const std::string member = matches.matches(0).match_id(), misused = matches.matches(1).match_id();

  netra::v1::ResolvePartyMembershipMatchResponse confirmed, retry, misuse, ignored;
  auto status = Resolve("res-1", member, netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER, 1, &confirmed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(confirmed.match().status(), netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER);
  EXPECT_EQ(confirmed.match().version(), 2);
  EXPECT_TRUE(confirmed.match().has_resolve_time());
  ASSERT_TRUE(Resolve("res-1", member, netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER, 1, &retry).ok());
  EXPECT_EQ(retry.match().version(), 2);

  // Resolved is final: the refusal says the state, the action and that nothing is allowed.
  status = Resolve("res-2", member, netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE, 0, &ignored);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  netra::v1::ErrorStatus details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  netra::v1::PreconditionFailure failure;
  ASSERT_TRUE(details.details_size() == 1 && details.details(0).UnpackTo(&failure));
  EXPECT_EQ(failure.current_state(), "PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER");
  EXPECT_EQ(failure.attempted_action(), "PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE");
  EXPECT_EQ(failure.allowed_actions_size(), 0);

  // Identity misuse needs the signed statement; a stale version is ABORTED.
  status = Resolve("res-3", misused, netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE, 1, &ignored, false);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), (std::vector<std::string>{"statement_reference", "statement_date"}));
  status = Resolve("res-4", misused, netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE, 5, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  status = Resolve("res-5", "pm-999", netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER, 0, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);

  status = Resolve("res-6", misused, netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE, 1, &misuse);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(misuse.match().statement_reference(), "800/17/BKPSDM/2024");
  EXPECT_EQ(misuse.match().statement_date().day(), 15);

  // Committed means durable: the same states after a restart.
  ASSERT_TRUE(stack_.Stop(Service::kRegistry).has_value());
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  stub_ = As(kJatengBkd);
  netra::v1::ListPartyMembershipMatchesRequest open;
  open.set_status(netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_OPEN);
  EXPECT_EQ(List(open).matches_size(), 0);
  netra::v1::ListPartyMembershipMatchesRequest misuses;
  misuses.set_status(netra::v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE);
  auto stored = List(misuses);
  ASSERT_EQ(stored.matches_size(), 1);
  EXPECT_EQ(stored.matches(0).match_id(), misused);
  EXPECT_EQ(stored.matches(0).version(), 2);
  ExpectNoNik(stack_.log(Service::kRegistry));
}

}  // namespace
}  // namespace netra::testing

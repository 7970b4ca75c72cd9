// Names in every form, through real processes (netra-registry and
// netra-complaint over mTLS, real Redis and SQLite): the registry's search
// finds a person however the name is written (Unicode forms, apostrophes,
// hyphens, old spellings, titles), and the complaint service resolves a
// reported person by itself only on one whole-name match within the reported
// agency and region; anything weaker waits for a person, who is recorded.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/complaint_stack_fixture.h"

namespace netra::testing {
namespace {

class SubjectNamesTest : public ComplaintStackTest {
 protected:
  // Registers SemarangEmployee(n) under `name` (Pemerintah Kota Semarang, 33.74).
  std::string AddEmployee(int n, const std::string& name, const std::string& agency_code = "PEMKOT-SMG",
                          const std::string& agency_name = "Pemerintah Kota Semarang") {
    v1::UpsertEmployeeRequest request;
    request.set_request_id("names-" + std::to_string(n));
    *request.mutable_employee() = SemarangEmployee(n);
    request.mutable_employee()->set_name(name);
    request.mutable_employee()->set_agency_code(agency_code);
    request.mutable_employee()->set_agency_name(agency_name);
    v1::UpsertEmployeeResponse response;
    auto status = Registry()->UpsertEmployee(MakeClientContext(10s).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.employee().employee_id();
  }

  std::unique_ptr<v1::RegistryService::Stub> Registry() {
    return v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
  }

  // The names the registry's search gives for `query`.
  std::set<std::string> Found(const std::string& query) {
    v1::SearchEmployeesRequest request;
    request.set_name_query(query);
    v1::SearchEmployeesResponse response;
    auto status = Registry()->SearchEmployees(MakeClientContext(10s).get(), request, &response);
    EXPECT_TRUE(status.ok()) << query << ": " << status.error_message();
    std::set<std::string> names;
    for (const auto& e : response.employees()) names.insert(e.name());
    return names;
  }

  v1::Complaint SubmitAbout(const std::string& request_id, const std::string& name, const std::string& agency) {
    auto request = Request(request_id, evidence_);
    request.mutable_subject()->clear_employee_number();
    request.mutable_subject()->set_name(name);
    request.mutable_subject()->set_agency_name(agency);
    request.mutable_subject()->set_region_code("33.74");
    v1::SubmitComplaintResponse response;
    auto status = Submit(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.complaint();
  }

  std::string evidence_;
};

TEST_F(SubjectNamesTest, TheRegistryFindsANameInEveryForm) {
  AddEmployee(11, "D\xC3\xA9" "d\xC3\xA9 Ma'ruf");            // Dédé Ma'ruf, composed
  AddEmployee(12, "Siti Nur-Aini");
  AddEmployee(13, "Soekarno Djojohadikoesoemo");
  AddEmployee(14, "Tjahjo Kumolo");
  AddEmployee(15, "H. Ahmad Fauzi, S.Pd., M.Si.");
  AddEmployee(16, "Joko Susilo");
  const std::string dede = "D\xC3\xA9" "d\xC3\xA9 Ma'ruf";

  EXPECT_EQ(Found("De\xCC\x81" "de\xCC\x81"), std::set<std::string>{dede});                // NFD
  EXPECT_EQ(Found("\xEF\xBC\xA4\xEF\xBD\x85\xEF\xBD\x84\xEF\xBD\x85"), std::set<std::string>{dede});  // Ｄｅｄｅ
  for (const char* apostrophe : {"Maruf", "Ma\xE2\x80\x99ruf", "Ma`ruf", "MA'RUF"}) {
    EXPECT_EQ(Found(apostrophe), std::set<std::string>{dede}) << apostrophe;
  }
  for (const char* spacing : {"Siti Nur Aini", "Siti Nur-Aini", "Siti Nuraini", "nuraini"}) {
    EXPECT_EQ(Found(spacing), std::set<std::string>{"Siti Nur-Aini"}) << spacing;
  }
  EXPECT_EQ(Found("Sukarno"), std::set<std::string>{"Soekarno Djojohadikoesoemo"});
  EXPECT_EQ(Found("Sukarno Joyohadikusumo"), std::set<std::string>{"Soekarno Djojohadikoesoemo"});
  EXPECT_EQ(Found("Cahyo Kumolo"), std::set<std::string>{"Tjahjo Kumolo"});
  EXPECT_EQ(Found("Djoko"), std::set<std::string>{"Joko Susilo"});
  EXPECT_EQ(Found("Drs. Ahmad Fauzi, M.M."), std::set<std::string>{"H. Ahmad Fauzi, S.Pd., M.Si."});
  EXPECT_EQ(Found("Ahmad Fauzi"), std::set<std::string>{"H. Ahmad Fauzi, S.Pd., M.Si."});
}

TEST_F(SubjectNamesTest, OnlyAWholeNameWithinTheAgencyResolvesAndAPersonConfirmsTheRest) {
  evidence_ = Evidence();
  const std::string fauzan = AddEmployee(21, "Muhammad Rizky Fauzan Xaverius");
  AddEmployee(22, "Budi Santoso");
  AddEmployee(23, "Dewi Lestari", "DINKES-SMG", "Dinas Kesehatan Kota Semarang");
  AddEmployee(24, "Soekarno Hadi");

  // A partial name: a candidate with what matched, flagged; never resolved.
  v1::Complaint partial = SubmitAbout("partial", "Muhammad Xaverius", "Pemerintah Kota Semarang");
  const auto& resolution = partial.subject_resolution();
  EXPECT_EQ(resolution.status(), v1::SUBJECT_RESOLUTION_STATUS_AMBIGUOUS);
  EXPECT_TRUE(resolution.needs_review());
  EXPECT_FALSE(resolution.has_employee());
  ASSERT_EQ(resolution.candidates_size(), 1);
  EXPECT_EQ(resolution.candidates(0).employee().employee_id(), fauzan);
  EXPECT_NEAR(resolution.candidates(0).score(), 0.7, 1e-9);
  ASSERT_EQ(resolution.candidates(0).matched_size(), 3);
  EXPECT_EQ(resolution.candidates(0).matched(0), v1::SUBJECT_MATCH_PARTIAL_NAME);
  EXPECT_EQ(resolution.candidates(0).matched(1), v1::SUBJECT_MATCH_AGENCY);
  EXPECT_EQ(resolution.candidates(0).matched(2), v1::SUBJECT_MATCH_REGION);
  v1::ListComplaintsRequest review;
  review.set_needs_subject_review(true);
  v1::ListComplaintsResponse listed;
  ASSERT_TRUE(Stub()->ListComplaints(Context().get(), review, &listed).ok());
  ASSERT_EQ(listed.complaints_size(), 1);
  EXPECT_EQ(listed.complaints(0).complaint_id(), partial.complaint_id());

  // A person confirms the candidate: recorded with who did it.
  v1::TransitionComplaintRequest confirm;
  confirm.set_request_id("confirm-partial");
  confirm.set_complaint_id(partial.complaint_id());
  confirm.set_action(v1::COMPLAINT_ACTION_RESOLVE_SUBJECT);
  confirm.set_subject_employee_id(fauzan);
  confirm.set_expected_version(partial.version());
  v1::TransitionComplaintResponse confirmed;
  auto status = Stub()->TransitionComplaint(Context().get(), confirm, &confirmed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(confirmed.complaint().subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_PERSON);
  EXPECT_EQ(confirmed.complaint().subject_resolution().employee().employee_id(), fauzan);
  EXPECT_FALSE(confirmed.complaint().subject_resolution().needs_review());
  v1::GetComplaintHistoryRequest history;
  history.set_complaint_id(partial.complaint_id());
  v1::GetComplaintHistoryResponse entries;
  ASSERT_TRUE(Stub()->GetComplaintHistory(Context().get(), history, &entries).ok());
  ASSERT_GE(entries.entries_size(), 2);
  const auto& last = entries.entries(entries.entries_size() - 1);
  EXPECT_EQ(last.actor().id(), "officer-1");
  EXPECT_EQ(last.actor().organization(), "bawaslu/33.74");
  EXPECT_NE(last.payload_json().find(fauzan), std::string::npos) << last.payload_json();
  EXPECT_NE(last.payload_json().find("\"was_candidate\":true"), std::string::npos) << last.payload_json();
  EXPECT_NE(last.payload_json().find("AMBIGUOUS"), std::string::npos) << last.payload_json();

  // The whole name, however written, within the agency: resolved.
  v1::Complaint whole = SubmitAbout("whole", "Drs. BUDI  SANTOSO, S.H.", "Pemerintah Kota Semarang");
  EXPECT_EQ(whole.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_RESOLVED_BY_NAME);
  EXPECT_FALSE(whole.subject_resolution().needs_review());
  // The whole name in another agency than the report says: a candidate.
  v1::Complaint elsewhere = SubmitAbout("elsewhere", "Dewi Lestari", "Pemerintah Kota Semarang");
  EXPECT_EQ(elsewhere.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_AMBIGUOUS);
  ASSERT_EQ(elsewhere.subject_resolution().candidates_size(), 1);
  EXPECT_EQ(elsewhere.subject_resolution().candidates(0).matched(0), v1::SUBJECT_MATCH_FULL_NAME);
  // The name in the other spelling: a candidate.
  v1::Complaint spelled = SubmitAbout("spelled", "Sukarno Hadi", "Pemerintah Kota Semarang");
  EXPECT_EQ(spelled.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_AMBIGUOUS);
  ASSERT_GE(spelled.subject_resolution().candidates_size(), 1);
  EXPECT_EQ(spelled.subject_resolution().candidates(0).matched(0), v1::SUBJECT_MATCH_NAME_SPELLING);
  // The same whole name twice in the agency: ambiguous.
  AddEmployee(25, "Budi Santoso");
  v1::Complaint twice = SubmitAbout("twice", "Budi Santoso", "Pemerintah Kota Semarang");
  EXPECT_EQ(twice.subject_resolution().status(), v1::SUBJECT_RESOLUTION_STATUS_AMBIGUOUS);
  EXPECT_EQ(twice.subject_resolution().candidates_size(), 2);
}

}  // namespace
}  // namespace netra::testing

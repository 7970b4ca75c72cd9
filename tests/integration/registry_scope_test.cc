// Which employees each office may see and write in netra-registry (issue 13,
// docs/security.md), over mTLS against the real process: a BKD its own
// region's, Bawaslu its region's (a province its kab/kota, RI all), KPU none;
// and the access log of every answer that showed an employee record.
#include <gtest/gtest.h>

#include "absl/time/civil_time.h"
#include "common/client.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

constexpr char kSemarangBkd[] = "bkd/33.74";
constexpr char kCilacapBkd[] = "bkd/33.01";
constexpr char kOperator[] = "ops";

// A PNS of `region` born 1980-01-01 + n days (each n its own NIP).
v1::Employee Pns(int n, const std::string& name, const std::string& region) {
  const absl::CivilDay birth = absl::CivilDay(1980, 1, 1) + n;
  char nip[40];
  std::snprintf(nip, sizeof nip, "%04d%02d%02d2008011001", static_cast<int>(birth.year()), birth.month(), birth.day());
  v1::Employee e;
  e.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
  e.set_nip(nip);
  e.set_name(name);
  e.set_gender(v1::GENDER_MALE);  // the NIP's gender digit (1)
  e.mutable_birth_date()->set_year(static_cast<int>(birth.year()));
  e.mutable_birth_date()->set_month(birth.month());
  e.mutable_birth_date()->set_day(birth.day());
  e.set_agency_code(region == "33.74" ? "PEMKOT-SMG" : "PEMKAB-CLP");
  e.set_agency_name("Pemerintah Daerah");
  e.set_work_region_code(region);
  return e;
}

// The ErrorInfo reason of a refusal, as its message starts with it.
bool RefusedFor(const grpc::Status& status, const std::string& reason) {
  return status.error_code() == grpc::StatusCode::PERMISSION_DENIED && status.error_message().starts_with(reason);
}

class RegistryScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    semarang_ = Upsert(kSemarangBkd, Pns(1, "Siti Rahayu", "33.74"));
    cilacap_ = Upsert(kCilacapBkd, Pns(2, "Sri Lestari", "33.01"));
  }

  std::unique_ptr<v1::RegistryService::Stub> As(const std::string& identity) {
    return v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, identity));
  }

  grpc::Status TryUpsert(const std::string& identity, const v1::Employee& e, v1::UpsertEmployeeResponse* out) {
    v1::UpsertEmployeeRequest request;
    request.set_request_id("upsert-" + std::to_string(++requests_));
    *request.mutable_employee() = e;
    return As(identity)->UpsertEmployee(MakeClientContext(10s).get(), request, out);
  }
  std::string Upsert(const std::string& identity, const v1::Employee& e) {
    v1::UpsertEmployeeResponse response;
    auto status = TryUpsert(identity, e, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.employee().employee_id();
  }

  // GetEmployee as `identity`, optionally naming the person acting and the request.
  grpc::Status Get(const std::string& identity, const std::string& id, v1::GetEmployeeResponse* out = nullptr,
                   const std::string& actor = "", const std::string& request_id = "") {
    v1::GetEmployeeRequest request;
    request.set_employee_id(id);
    v1::GetEmployeeResponse response;
    auto context = MakeClientContext(10s);
    if (!actor.empty()) context->AddMetadata("x-netra-actor", actor);
    if (!request_id.empty()) context->AddMetadata("x-request-id", request_id);
    return As(identity)->GetEmployee(context.get(), request, out ? out : &response);
  }

  grpc::Status ListReads(const std::string& identity, v1::ListPersonalDataReadsRequest request,
                         v1::ListPersonalDataReadsResponse* out) {
    return As(identity)->ListPersonalDataReads(MakeClientContext(10s).get(), request, out);
  }
  v1::ListPersonalDataReadsResponse ReadsOf(const std::string& employee_id, const std::string& caller = "") {
    v1::ListPersonalDataReadsRequest request;
    request.set_employee_id(employee_id);
    request.set_caller(caller);
    v1::ListPersonalDataReadsResponse response;
    auto status = ListReads(kOperator, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  double Denied(const std::string& method) {
    return MetricValue(stack_.metrics(Service::kRegistry), "netra_authz_denied_total",
                       {{"method", method}, {"reason", "OUTSIDE_REGION"}})
        .value_or(0);
  }

  NetraStack stack_;
  std::string semarang_, cilacap_;
  int requests_ = 0;
};

TEST_F(RegistryScopeTest, ABkdOfAnotherRegencyCannotReadSearchOrWriteItsEmployees) {
  // Another regency's employee reads as one that does not exist.
  v1::GetEmployeeResponse got;
  const grpc::Status hidden = Get(kSemarangBkd, cilacap_);
  const grpc::Status absent = Get(kSemarangBkd, "199001012015011001");
  EXPECT_EQ(hidden.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(absent.error_code(), grpc::StatusCode::NOT_FOUND);
  auto without = [](std::string message, const std::string& id) { return message.replace(message.find(id), id.size(), "ID"); };
  EXPECT_EQ(without(hidden.error_message(), cilacap_), without(absent.error_message(), "199001012015011001"));
  EXPECT_EQ(Denied("GetEmployee"), 1);  // the operators still see the refusal
  ASSERT_TRUE(Get(kCilacapBkd, cilacap_, &got).ok());
  EXPECT_EQ(got.employee().name(), "Sri Lestari");

  v1::BatchGetEmployeesRequest batch;
  batch.add_employee_ids(cilacap_);
  batch.add_employee_ids(semarang_);
  v1::BatchGetEmployeesResponse batch_out;
  ASSERT_TRUE(As(kSemarangBkd)->BatchGetEmployees(MakeClientContext(10s).get(), batch, &batch_out).ok());
  ASSERT_EQ(batch_out.employees_size(), 1);
  EXPECT_EQ(batch_out.employees(0).employee_id(), semarang_);
  EXPECT_EQ(std::vector<std::string>(batch_out.missing_ids().begin(), batch_out.missing_ids().end()),
            std::vector<std::string>{cilacap_});

  // A search stays in the caller's region; one aimed outside it is refused, not an empty page.
  v1::SearchEmployeesRequest search;
  search.set_name_query("s");
  v1::SearchEmployeesResponse found;
  ASSERT_TRUE(As(kSemarangBkd)->SearchEmployees(MakeClientContext(10s).get(), search, &found).ok());
  ASSERT_EQ(found.employees_size(), 1);
  EXPECT_EQ(found.employees(0).employee_id(), semarang_);
  search.set_region_code("33.01");
  EXPECT_TRUE(RefusedFor(As(kSemarangBkd)->SearchEmployees(MakeClientContext(10s).get(), search, &found),
                         "OUTSIDE_REGION"));
  search.set_region_code("33");  // the province holds more than Semarang
  EXPECT_TRUE(RefusedFor(As(kSemarangBkd)->SearchEmployees(MakeClientContext(10s).get(), search, &found),
                         "OUTSIDE_REGION"));

  // Writes: neither another regency's employee as it is, nor moved into Semarang, nor a new one there.
  v1::UpsertEmployeeResponse ignored;
  v1::Employee theirs = Pns(2, "Sri Lestari Putri", "33.01");
  EXPECT_TRUE(RefusedFor(TryUpsert(kSemarangBkd, theirs, &ignored), "OUTSIDE_REGION"));
  theirs.set_work_region_code("33.74");
  EXPECT_TRUE(RefusedFor(TryUpsert(kSemarangBkd, theirs, &ignored), "OUTSIDE_REGION"));
  EXPECT_TRUE(RefusedFor(TryUpsert(kSemarangBkd, Pns(3, "Dewi", "33.01"), &ignored), "OUTSIDE_REGION"));
  ASSERT_TRUE(Get(kCilacapBkd, cilacap_, &got).ok());
  EXPECT_EQ(got.employee().name(), "Sri Lestari");
  EXPECT_EQ(got.employee().work_region_code(), "33.01");
  EXPECT_EQ(got.employee().version(), 1);

  // An import loads its own region's rows and rejects the others row by row.
  auto context = MakeClientContext(30s);
  v1::ImportEmployeesResponse imported;
  auto writer = As(kSemarangBkd)->ImportEmployees(context.get(), &imported);
  v1::ImportEmployeesRequest message;
  message.set_request_id("scoped-import");
  const v1::Employee rows[] = {Pns(4, "Rina", "33.74"), Pns(5, "Wati", "33.01"), theirs};  // theirs: moved to 33.74
  for (int i = 0; i < 3; ++i) {
    auto* row = message.add_rows();
    row->set_row_number(i + 1);
    *row->mutable_employee() = rows[i];
  }
  ASSERT_TRUE(writer->Write(message));
  writer->WritesDone();
  auto status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.inserted(), 1);
  EXPECT_EQ(imported.rejected(), 2);
  ASSERT_EQ(imported.row_errors_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(imported.row_errors(i).row_number(), i + 2);
    EXPECT_EQ(imported.row_errors(i).violations(0).field(), "employee.work_region_code");
    EXPECT_EQ(imported.row_errors(i).violations(0).reason(), v1::FieldViolation::REASON_OUT_OF_RANGE);
  }
  ASSERT_TRUE(Get(kCilacapBkd, cilacap_, &got).ok());
  EXPECT_EQ(got.employee().work_region_code(), "33.01");
  EXPECT_EQ(Get(kCilacapBkd, rows[1].nip()).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Denied("ImportEmployees"), 1);  // once per import
}

TEST_F(RegistryScopeTest, BawasluReadsItsRegionAuthoritiesReadAllAndKpuReadsNoEmployee) {
  for (const char* reader : {"bawaslu/33.01", "bawaslu/33", "bawaslu/ri", "authority/bkn"}) {
    EXPECT_TRUE(Get(reader, cilacap_).ok()) << reader;
  }
  for (const char* outsider : {"bawaslu/33.74", "bawaslu/31", "bkd/31.71"}) {
    EXPECT_EQ(Get(outsider, cilacap_).error_code(), grpc::StatusCode::NOT_FOUND) << outsider;
  }
  EXPECT_EQ(Get("kpu/33", cilacap_).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A regional KPU uploads its own region's members only; matches are not its to read.
  auto context = MakeClientContext(30s);
  v1::ImportPartyMembersResponse imported;
  auto writer = As("kpu/33")->ImportPartyMembers(context.get(), &imported);
  v1::ImportPartyMembersRequest message;
  message.set_request_id("kpu-33-list");
  message.set_source_name("SIPOL Jawa Tengah");
  const char* const regions[] = {"33.01", "31.71", ""};
  for (int i = 0; i < 3; ++i) {
    auto* record = message.add_records();
    record->set_row_number(i + 1);
    record->set_nik_hmac(std::string(32, static_cast<char>('a' + i)));
    record->set_party_code("PDIP");
    record->set_party_name("Partai Demokrasi Indonesia Perjuangan");
    record->set_region_code(regions[i]);
  }
  ASSERT_TRUE(writer->Write(message));
  writer->WritesDone();
  auto status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.accepted(), 1);
  ASSERT_EQ(imported.row_errors_size(), 2);
  EXPECT_EQ(imported.row_errors(0).row_number(), 2);
  EXPECT_EQ(imported.row_errors(0).violations(0).field(), "region_code");
  EXPECT_EQ(imported.row_errors(1).row_number(), 3);
  v1::ListPartyMembershipMatchesResponse matches;
  EXPECT_EQ(As("kpu/33")->ListPartyMembershipMatches(MakeClientContext(10s).get(), {}, &matches).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistryScopeTest, EveryShownRecordIsInTheAccessLogWhichSurvivesARestart) {
  ASSERT_TRUE(Get(kSemarangBkd, semarang_, nullptr, "siti.bkpsdm", "req-get-1").ok());
  v1::BatchGetEmployeesRequest batch;
  batch.add_employee_ids(semarang_);
  batch.add_employee_ids(cilacap_);
  v1::BatchGetEmployeesResponse batch_out;
  ASSERT_TRUE(As("bawaslu/33")->BatchGetEmployees(MakeClientContext(10s).get(), batch, &batch_out).ok());
  v1::SearchEmployeesRequest search;
  search.set_name_query("siti");
  v1::SearchEmployeesResponse found;
  ASSERT_TRUE(As(kSemarangBkd)->SearchEmployees(MakeClientContext(10s).get(), search, &found).ok());
  ASSERT_EQ(Get(kSemarangBkd, cilacap_).error_code(), grpc::StatusCode::NOT_FOUND);  // nothing shown, nothing logged

  // Who looked at Siti: newest first, with the agency, the person and the request.
  auto reads = ReadsOf(semarang_);
  ASSERT_EQ(reads.reads_size(), 3);
  EXPECT_EQ(reads.reads(0).method(), "netra.v1.RegistryService/SearchEmployees");
  EXPECT_EQ(reads.reads(1).caller(), "bawaslu/33");
  EXPECT_EQ(reads.reads(1).method(), "netra.v1.RegistryService/BatchGetEmployees");
  const auto& first = reads.reads(2);
  EXPECT_EQ(first.caller(), kSemarangBkd);
  EXPECT_EQ(first.actor(), "siti.bkpsdm");
  EXPECT_EQ(first.method(), "netra.v1.RegistryService/GetEmployee");
  EXPECT_EQ(first.subject_type(), "employee");
  EXPECT_EQ(first.subject_id(), semarang_);
  EXPECT_EQ(first.request_id(), "req-get-1");
  EXPECT_GT(first.read_time().seconds(), 0);
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kRegistry), "netra_access_log_entries_total"), 4);
  ASSERT_EQ(ReadsOf(cilacap_).reads_size(), 1);
  EXPECT_EQ(ReadsOf(cilacap_).reads(0).caller(), "bawaslu/33");

  // What one caller read, in pages bound to the query.
  EXPECT_EQ(ReadsOf("", kSemarangBkd).reads_size(), 2);
  v1::ListPersonalDataReadsRequest paged;
  paged.set_employee_id(semarang_);
  paged.set_page_size(2);
  v1::ListPersonalDataReadsResponse page;
  ASSERT_TRUE(ListReads(kAdmin, paged, &page).ok());
  ASSERT_EQ(page.reads_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  v1::ListPersonalDataReadsRequest elsewhere = paged;
  elsewhere.set_employee_id(cilacap_);
  elsewhere.set_page_token(page.next_page_token());
  EXPECT_EQ(ViolatedFields(ListReads(kAdmin, elsewhere, &page)), std::vector<std::string>{"page_token"});
  paged.set_page_token(page.next_page_token());
  ASSERT_TRUE(ListReads(kAdmin, paged, &page).ok());
  ASSERT_EQ(page.reads_size(), 1);
  EXPECT_EQ(page.reads(0).request_id(), "req-get-1");
  EXPECT_TRUE(page.next_page_token().empty());

  // The log is the operators' alone, and a query names someone.
  EXPECT_EQ(ListReads(kSemarangBkd, paged, &page).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ListReads("bawaslu/ri", paged, &page).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ViolatedFields(ListReads(kOperator, {}, &page)), std::vector<std::string>{"employee_id"});

  // Durable: the same answer from a restarted registry.
  ASSERT_TRUE(stack_.Stop(Service::kRegistry).has_value());
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  EXPECT_EQ(ReadsOf(semarang_).reads_size(), 3);
}

}  // namespace
}  // namespace netra::testing

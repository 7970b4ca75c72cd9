// Employees in netra-registry against real processes: the binary, a real
// redis-server and a real SQLite file, over gRPC on loopback.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "absl/time/civil_time.h"
#include "common/client.h"
#include "common/redis.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/netra_stack.h"
#include "tests/integration/registry_employees.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;
using netra::v1::Employee;

std::unique_ptr<grpc::ClientContext> Context() { return MakeClientContext(30s); }

// The NIK of Pns(n): region 33.74.01, DDMMYY of the birth date, serial 0001.
std::string NikOf(int n) {
  const absl::CivilDay birth = absl::CivilDay(1970, 1, 1) + n;
  char nik[40];
  std::snprintf(nik, sizeof nik, "337401%02d%02d%02d0001", birth.day(), birth.month(), static_cast<int>(birth.year() % 100));
  return nik;
}

class RegistryEmployeesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start(Service::kRegistry));
    stub_ = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
  }

  // A stub calling as `identity`: the registry scopes each office to its region.
  std::unique_ptr<netra::v1::RegistryService::Stub> As(const std::string& identity) {
    return netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, identity));
  }

  // Written by the employee's own BKD (the default caller is Semarang's, 33.74).
  grpc::Status Upsert(const Employee& e, const std::string& nik = "", int64_t expected_version = 0,
                      netra::v1::UpsertEmployeeResponse* out = nullptr) {
    netra::v1::UpsertEmployeeRequest request;
    request.set_request_id("upsert-" + std::to_string(++requests_));
    *request.mutable_employee() = e;
    request.set_nik(nik);
    request.set_expected_version(expected_version);
    netra::v1::UpsertEmployeeResponse response;
    return As("bkd/" + e.work_region_code())->UpsertEmployee(Context().get(), request, out ? out : &response);
  }

  netra::v1::SearchEmployeesResponse Search(netra::v1::SearchEmployeesRequest request,
                                            netra::v1::RegistryService::Stub* stub = nullptr) {
    netra::v1::SearchEmployeesResponse response;
    auto status = (stub ? stub : stub_.get())->SearchEmployees(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Streams `rows` in messages of `per_message`; returns the status (and the
  // response in *out).
  grpc::Status Import(const std::string& request_id, const std::vector<netra::v1::EmployeeImportRow>& rows,
                      size_t per_message, netra::v1::ImportEmployeesResponse* out) {
    auto context = Context();
    auto writer = stub_->ImportEmployees(context.get(), out);
    for (size_t i = 0; i < rows.size(); i += per_message) {
      netra::v1::ImportEmployeesRequest message;
      if (i == 0) {
        message.set_request_id(request_id);
        message.set_source_name("test.csv");
      }
      for (size_t k = i; k < std::min(rows.size(), i + per_message); ++k) *message.add_rows() = rows[k];
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  double ImportRows(const std::string& result) {
    return MetricValue(stack_.metrics(Service::kRegistry), "netra_import_rows_total", {{"result", result}}).value_or(0);
  }

  static std::vector<netra::v1::EmployeeImportRow> Rows(int count, int first = 0) {
    std::vector<netra::v1::EmployeeImportRow> rows;
    for (int i = first; i < first + count; ++i) {
      netra::v1::EmployeeImportRow row;
      row.set_row_number(i + 1);
      *row.mutable_employee() = Pns(i, "Pegawai " + std::to_string(i));
      row.set_nik(NikOf(i));
      rows.push_back(std::move(row));
    }
    return rows;
  }

  NetraStack stack_;
  std::unique_ptr<netra::v1::RegistryService::Stub> stub_;
  int requests_ = 0;
};

TEST_F(RegistryEmployeesTest, UpsertGetBatchAndSearchRoundTrip) {
  netra::v1::UpsertEmployeeResponse created;
  ASSERT_TRUE(Upsert(Pns(1, "Siti \xC3\x82minah"), NikOf(1), 0, &created).ok());  // Siti Âminah
  EXPECT_EQ(created.result(), netra::v1::UPSERT_RESULT_CREATED);
  EXPECT_EQ(created.employee().version(), 1);
  EXPECT_TRUE(created.employee().nik_on_file());
  const std::string siti = created.employee().employee_id();
  ASSERT_TRUE(Upsert(Pns(2, "Budi Santoso", "33.01")).ok());
  ASSERT_TRUE(Upsert(Pns(3, "Joko Widodo", "31.71", "PEMPROV-DKI")).ok());

  netra::v1::GetEmployeeRequest get;
  get.set_employee_id(siti);
  netra::v1::GetEmployeeResponse got;
  ASSERT_TRUE(stub_->GetEmployee(Context().get(), get, &got).ok());
  EXPECT_EQ(got.employee().name(), "Siti \xC3\x82minah");
  EXPECT_EQ(got.employee().work_region_code(), "33.74");
  // The NIK is nowhere in what the registry returns.
  EXPECT_EQ(got.SerializeAsString().find(NikOf(1)), std::string::npos);

  netra::v1::BatchGetEmployeesRequest batch;
  batch.add_employee_ids(siti);
  batch.add_employee_ids("199912312020121001");
  batch.add_employee_ids(siti);
  batch.add_employee_ids(Pns(2, "").nip());
  netra::v1::BatchGetEmployeesResponse batch_out;
  auto province = As("bkd/33");  // Jawa Tengah's: Semarang and Cilacap
  ASSERT_TRUE(province->BatchGetEmployees(Context().get(), batch, &batch_out).ok());
  ASSERT_EQ(batch_out.employees_size(), 2);
  EXPECT_EQ(batch_out.employees(0).employee_id(), siti);
  EXPECT_EQ(batch_out.employees(1).name(), "Budi Santoso");
  EXPECT_EQ(batch_out.missing_ids_size(), 1);

  netra::v1::SearchEmployeesRequest search;
  search.set_name_query("sit aminah");
  auto found = Search(search);
  ASSERT_EQ(found.employees_size(), 1);
  EXPECT_EQ(found.employees(0).employee_id(), siti);

  search.Clear();
  search.set_region_code("33");  // both kab/kota of Jawa Tengah, not Jakarta
  found = Search(search, As("bawaslu/ri").get());
  ASSERT_EQ(found.employees_size(), 2);
  EXPECT_EQ(found.employees(0).name(), "Budi Santoso");
  search.set_agency_code("PEMPROV-DKI");
  EXPECT_EQ(Search(search, As("bawaslu/ri").get()).employees_size(), 0);

  // Updates with the version read; a stale one is ABORTED with the versions.
  Employee renamed = got.employee();
  renamed.set_name("Siti Aminah");
  netra::v1::UpsertEmployeeResponse updated;
  ASSERT_TRUE(Upsert(renamed, "", 1, &updated).ok());
  EXPECT_EQ(updated.result(), netra::v1::UPSERT_RESULT_UPDATED);
  EXPECT_TRUE(updated.employee().nik_on_file());  // empty nik keeps the stored hash
  auto stale = Upsert(renamed, "", 1);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Upsert(renamed).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RegistryEmployeesTest, BadInputIsRejectedFieldByFieldAndNeverEchoesTheNik) {
  Employee bad = Pns(4, "Budi");
  bad.set_work_region_code("33.98");
  bad.set_nip("19700105200501100");
  const std::string nik = "3374019999990001";
  auto status = Upsert(bad, nik);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto fields = ViolatedFields(status);
  EXPECT_EQ(std::set<std::string>(fields.begin(), fields.end()),
            (std::set<std::string>{"employee.nip", "employee.work_region_code", "nik"}));
  EXPECT_EQ(status.error_message().find(nik), std::string::npos);
  EXPECT_EQ(status.error_details().find(nik), std::string::npos);
  EXPECT_EQ(stack_.log(Service::kRegistry).find(nik), std::string::npos);

  netra::v1::UpsertEmployeeRequest no_id;
  *no_id.mutable_employee() = Pns(5, "Budi");
  netra::v1::UpsertEmployeeResponse response;
  EXPECT_EQ(ViolatedFields(stub_->UpsertEmployee(Context().get(), no_id, &response)),
            std::vector<std::string>{"request_id"});

  netra::v1::BatchGetEmployeesRequest too_many;
  for (int i = 0; i < 1001; ++i) too_many.add_employee_ids("199912312020121001");
  netra::v1::BatchGetEmployeesResponse batch;
  EXPECT_EQ(stub_->BatchGetEmployees(Context().get(), too_many, &batch).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryEmployeesTest, PagingIsStableUnderConcurrentInserts) {
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(Upsert(Pns(100 + i, "Budi " + std::to_string(1000 + i))).ok());
  std::atomic<bool> stop = false;
  std::atomic<int> inserted = 0;
  std::thread writer([&] {
    auto stub = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry));
    for (int i = 0; !stop && i < 200; ++i) {
      netra::v1::UpsertEmployeeRequest request;
      request.set_request_id("concurrent-" + std::to_string(i));
      // Names that sort before, among and after the ones being paged.
      *request.mutable_employee() = Pns(1000 + i, "Budi " + std::to_string(999 + (i % 45)) + "x");
      netra::v1::UpsertEmployeeResponse response;
      if (stub->UpsertEmployee(Context().get(), request, &response).ok()) ++inserted;
    }
  });
  netra::v1::SearchEmployeesRequest search;
  search.set_name_query("budi");
  search.set_page_size(7);
  std::set<std::string> seen;
  std::set<std::string> originals;
  int pages = 0;
  do {
    auto page = Search(search);
    for (const auto& e : page.employees()) {
      EXPECT_TRUE(seen.insert(e.employee_id()).second) << "returned twice: " << e.name();
      if (e.name().back() != 'x') originals.insert(e.employee_id());
    }
    search.set_page_token(page.next_page_token());
    ++pages;
    // Let inserts land between pages.
    const int before = inserted;
    WaitUntil([&] { return inserted > before + 2 || inserted >= 200; }, 2s, 1ms);
  } while (!search.page_token().empty() && pages < 200);
  stop = true;
  writer.join();
  EXPECT_EQ(originals.size(), 40u);  // nothing present from the start was skipped
}

TEST_F(RegistryEmployeesTest, ImportKeepsGoodRowsAndReportsBadOnes) {
  auto rows = Rows(10);
  rows[3].mutable_employee()->set_work_region_code("33.98");    // unknown region
  // (Invalid UTF-8 cannot cross the wire in a proto3 string; the domain tests cover it.)
  rows[5].mutable_employee()->set_agency_code("PEMKOT SMG");      // a space in a code
  rows[6].mutable_employee()->set_position(std::string(201, 'x'));  // oversize
  rows[7].set_nik("337401999999");                               // malformed NIK
  auto twice = rows[0];
  twice.set_row_number(11);  // the same NIP again
  rows.push_back(twice);
  netra::v1::ImportEmployeesResponse response;
  auto status = Import("import-mixed", rows, 4, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.rows_received(), 11);
  EXPECT_EQ(response.inserted(), 6);
  EXPECT_EQ(response.rejected(), 5);
  ASSERT_EQ(response.row_errors_size(), 5);
  const std::pair<int64_t, std::string> expected[] = {{4, "employee.work_region_code"}, {6, "employee.agency_code"},
                                                     {7, "employee.position"}, {8, "nik"}, {11, "employee.nip"}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(response.row_errors(i).row_number(), expected[i].first);
    EXPECT_EQ(response.row_errors(i).violations(0).field(), expected[i].second);
  }
  EXPECT_EQ(response.row_errors(4).violations(0).reason(), netra::v1::FieldViolation::REASON_INCONSISTENT);
  EXPECT_EQ(response.SerializeAsString().find("337401999999"), std::string::npos);
  EXPECT_EQ(ImportRows("inserted"), 6);
  EXPECT_EQ(ImportRows("rejected"), 5);

  // The same request_id again: the first response, nothing applied twice.
  netra::v1::ImportEmployeesResponse retry;
  ASSERT_TRUE(Import("import-mixed", rows, 4, &retry).ok());
  EXPECT_EQ(retry.SerializeAsString(), response.SerializeAsString());
  EXPECT_EQ(ImportRows("inserted"), 6);
  // ... and with other content it is refused.
  rows.pop_back();
  EXPECT_EQ(ViolatedFields(Import("import-mixed", rows, 4, &retry)), std::vector<std::string>{"request_id"});
}

TEST_F(RegistryEmployeesTest, InterruptedImportKeepsCommittedBatchesAndRerunsIdempotently) {
  const auto rows = Rows(10000);
  {
    auto context = Context();
    netra::v1::ImportEmployeesResponse response;
    auto writer = stub_->ImportEmployees(context.get(), &response);
    for (int m = 0; m < 2; ++m) {  // 6,000 rows: one batch of 4,000 gets committed
      netra::v1::ImportEmployeesRequest message;
      if (m == 0) message.set_request_id("import-cut");
      for (int k = m * 3000; k < (m + 1) * 3000; ++k) *message.add_rows() = rows[k];
      ASSERT_TRUE(writer->Write(message));
    }
    ASSERT_TRUE(WaitUntil([&] { return ImportRows("inserted") >= 4000; }, 20s));
    context->TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(ImportRows("inserted"), 4000);
  netra::v1::GetEmployeeRequest get;
  get.set_employee_id(rows[0].employee().nip());
  netra::v1::GetEmployeeResponse got;
  EXPECT_TRUE(stub_->GetEmployee(Context().get(), get, &got).ok());
  EXPECT_NE(stack_.log(Service::kRegistry).find("import cut off"), std::string::npos);

  netra::v1::ImportEmployeesResponse rerun;
  ASSERT_TRUE(Import("import-full", rows, 2500, &rerun).ok());
  EXPECT_EQ(rerun.rows_received(), 10000);
  EXPECT_EQ(rerun.unchanged(), 4000);
  EXPECT_EQ(rerun.inserted(), 6000);
  EXPECT_EQ(rerun.rejected(), 0);

  netra::v1::ImportEmployeesResponse again;
  ASSERT_TRUE(Import("import-again", rows, 2500, &again).ok());
  EXPECT_EQ(again.unchanged(), 10000);
  EXPECT_EQ(again.inserted() + again.updated(), 0);
}

TEST_F(RegistryEmployeesTest, RegistryKilledDuringABulkImportFinishesItsIndexesOnRestart) {
  // "pegawai 1000" matches Pegawai 1000 and 10000..10009: 11 names, all in
  // the first three batches of 4,000 (the third opens a bulk load).
  auto search_1000 = [&] {
    netra::v1::SearchEmployeesRequest search;
    search.set_name_query("pegawai 1000");
    search.set_region_code("33");  // a province: Jawa Tengah's BKD may search it
    std::vector<std::string> names;
    const auto found = Search(search, As("bkd/33").get());
    for (const auto& e : found.employees()) names.push_back(e.name());
    return names;
  };
  std::vector<std::string> expected = {"Pegawai 1000"};
  for (int i = 10000; i < 10010; ++i) expected.push_back("Pegawai " + std::to_string(i));
  // Row n: born n % 10,000 days after 1970-01-01 (later ones are too young),
  // its NIP's serial number 1 + n / 10,000.
  auto rows = Rows(10000);
  for (int n = 10000; n < 24000; ++n) {
    netra::v1::EmployeeImportRow row;
    row.set_row_number(n + 1);
    *row.mutable_employee() = Pns(n % 10000, "Pegawai " + std::to_string(n));
    row.mutable_employee()->mutable_nip()->replace(15, 3, "00" + std::to_string(1 + n / 10000));
    rows.push_back(std::move(row));
  }
  {
    auto context = Context();
    netra::v1::ImportEmployeesResponse response;
    auto writer = stub_->ImportEmployees(context.get(), &response);
    for (int m = 0; m < 4; ++m) {
      netra::v1::ImportEmployeesRequest message;
      if (m == 0) message.set_request_id("import-killed");
      for (int k = m * 4000; k < (m + 1) * 4000; ++k) *message.add_rows() = rows[k];
      ASSERT_TRUE(writer->Write(message));
    }
    ASSERT_TRUE(WaitUntil([&] { return ImportRows("inserted") >= 12000; }, 30s));
    EXPECT_EQ(search_1000(), expected);  // exact while the indexes are missing
    ASSERT_TRUE(stack_.process(Service::kRegistry).Kill());
    context->TryCancel();
  }
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  EXPECT_NE(stack_.log(Service::kRegistry).find("finishing a bulk load"), std::string::npos);
  EXPECT_EQ(search_1000(), expected);

  netra::v1::ImportEmployeesResponse rerun;
  ASSERT_TRUE(Import("import-after-kill", rows, 4000, &rerun).ok());
  EXPECT_EQ(rerun.rows_received(), 24000);
  EXPECT_GE(rerun.unchanged(), 12000);
  EXPECT_EQ(rerun.unchanged() + rerun.inserted(), 24000);
  EXPECT_EQ(rerun.updated() + rerun.rejected(), 0);
  netra::v1::SearchEmployeesRequest search;
  search.set_name_query("pegawai 2000");
  search.set_page_size(20);
  EXPECT_EQ(Search(search).employees_size(), 11);  // 2000 and 20000..20009, written by the rerun
}

TEST_F(RegistryEmployeesTest, ImportCompletesCorrectlyWhenRedisStopsMidway) {
  const auto rows = Rows(9000);
  auto context = Context();
  netra::v1::ImportEmployeesResponse response;
  auto writer = stub_->ImportEmployees(context.get(), &response);
  netra::v1::ImportEmployeesRequest first;
  first.set_request_id("import-no-redis");
  for (int k = 0; k < 4500; ++k) *first.add_rows() = rows[k];
  ASSERT_TRUE(writer->Write(first));
  ASSERT_TRUE(WaitUntil([&] { return ImportRows("inserted") >= 4000; }, 20s));
  ASSERT_TRUE(stack_.redis().Stop());
  netra::v1::ImportEmployeesRequest second;
  for (int k = 4500; k < 9000; ++k) *second.add_rows() = rows[k];
  ASSERT_TRUE(writer->Write(second));
  writer->WritesDone();
  auto status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.inserted(), 9000);

  // Every row is there, served from the store.
  netra::v1::BatchGetEmployeesRequest batch;
  for (int k = 0; k < 9000; k += 9) batch.add_employee_ids(rows[k].employee().nip());
  netra::v1::BatchGetEmployeesResponse found;
  ASSERT_TRUE(stub_->BatchGetEmployees(Context().get(), batch, &found).ok());
  EXPECT_EQ(found.employees_size(), 1000);
  EXPECT_EQ(found.missing_ids_size(), 0);
  EXPECT_EQ(found.employees(999).name(), rows[8991].employee().name());
  netra::v1::SearchEmployeesRequest search;
  search.set_name_query("pegawai 8999");
  EXPECT_EQ(Search(search).employees_size(), 1);
}

TEST_F(RegistryEmployeesTest, SnapshotsAreWrittenThroughAndGetIsACacheHit) {
  netra::v1::UpsertEmployeeResponse created;
  ASSERT_TRUE(Upsert(Pns(7, "Dewi Lestari"), "", 0, &created).ok());
  const std::string id = created.employee().employee_id();

  // The snapshot other services read: netra:<deployment>:registry:employee:<id>.
  prometheus::Registry registry;
  RedisClient redis(stack_.redis().options(), registry);
  auto bytes = redis.Get("registry:employee:" + id);
  ASSERT_TRUE(bytes);
  Employee snapshot;
  ASSERT_TRUE(snapshot.ParseFromString(*bytes));
  EXPECT_EQ(snapshot.name(), "Dewi Lestari");
  EXPECT_EQ(snapshot.version(), 1);

  netra::v1::GetEmployeeRequest get;
  get.set_employee_id(id);
  netra::v1::GetEmployeeResponse got;
  ASSERT_TRUE(stub_->GetEmployee(Context().get(), get, &got).ok());
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kRegistry), "netra_cache_requests_total",
                        {{"cache", "employee"}, {"result", "hit"}}),
            1.0);

  // A change replaces the snapshot.
  Employee renamed = got.employee();
  renamed.set_name("Dewi Lestari Putri");
  ASSERT_TRUE(Upsert(renamed, "", 1).ok());
  ASSERT_TRUE(snapshot.ParseFromString(*redis.Get("registry:employee:" + id)));
  EXPECT_EQ(snapshot.version(), 2);

  // The sanction service's status update reaches the snapshot too (the test stands in for it).
  auto sanction_service = netra::v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kSanctionService));
  netra::v1::SetDisciplinaryStatusRequest status_request;
  status_request.set_request_id("case-9/status/3");
  status_request.set_employee_id(id);
  status_request.set_case_id("case-9");
  status_request.set_state(netra::v1::DISCIPLINARY_STATE_UNDER_SANCTION);
  status_request.set_level(netra::v1::SANCTION_LEVEL_SEVERE);
  status_request.set_source_sequence(3);
  netra::v1::SetDisciplinaryStatusResponse status_response;
  ASSERT_TRUE(sanction_service->SetDisciplinaryStatus(Context().get(), status_request, &status_response).ok());
  EXPECT_TRUE(status_response.changed());
  ASSERT_TRUE(sanction_service->SetDisciplinaryStatus(Context().get(), status_request, &status_response).ok());
  EXPECT_FALSE(status_response.changed());  // a retry changes nothing
  ASSERT_TRUE(snapshot.ParseFromString(*redis.Get("registry:employee:" + id)));
  EXPECT_EQ(snapshot.disciplinary_state(), netra::v1::DISCIPLINARY_STATE_UNDER_SANCTION);
  ASSERT_EQ(snapshot.disciplinary_records_size(), 1);
  EXPECT_EQ(snapshot.disciplinary_records(0).case_id(), "case-9");
}

TEST(RegistryConfiguration, AShortNikKeyStopsTheRegistryWithExitTwo) {
  TempDir dir;
  std::ofstream(dir.File("short.key")) << "too short";
  Subprocess process({NetraStack::BinaryPath(Service::kRegistry), "--nik-key-file=" + dir.File("short.key")},
                     dir.File("out.log"));
  EXPECT_EQ(process.Wait(10s), 2);
  const std::string out = ReadFile(dir.File("out.log"));
  EXPECT_NE(out.find("--nik-key-file"), std::string::npos) << out;
  EXPECT_EQ(out.find("too short"), std::string::npos) << "the key itself is never printed";
}

}  // namespace
}  // namespace netra::testing

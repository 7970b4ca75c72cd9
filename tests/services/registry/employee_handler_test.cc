// RegistryHandler's employee and region RPCs in-process (registry_handler_fixture.h):
// each request field reaches the domain and each domain field comes back, and
// each domain error leaves as its status with its details.
#include <gtest/gtest.h>

#include "tests/services/registry/registry_handler_fixture.h"

namespace netra::registry::testing {
namespace {

using EmployeeHandlerTest = RegistryHandlerTest;

TEST_F(EmployeeHandlerTest, UpsertThenGetMapsEveryField) {
  v1::UpsertEmployeeResponse created;
  auto status = Upsert(Pns(12), "create-12", 0, &created, Nik(12));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.result(), v1::UPSERT_RESULT_CREATED);

  const v1::Employee& e = created.employee();
  EXPECT_EQ(e.employee_id(), Pns(12).nip());
  EXPECT_EQ(e.employee_type(), v1::EMPLOYEE_TYPE_PNS);
  EXPECT_EQ(e.nip(), Pns(12).nip());
  EXPECT_EQ(e.name(), "Siti Rahayu");
  EXPECT_EQ(e.gender(), v1::GENDER_FEMALE);
  EXPECT_EQ(e.birth_date().year(), 1985);
  EXPECT_EQ(e.birth_date().month(), 3);
  EXPECT_EQ(e.birth_date().day(), 12);
  EXPECT_EQ(e.agency_code(), "PEMKAB-CLP");
  EXPECT_EQ(e.agency_name(), "Pemerintah Kabupaten Cilacap");
  EXPECT_EQ(e.unit_code(), "DINKES");
  EXPECT_EQ(e.unit_name(), "Dinas Kesehatan");
  EXPECT_EQ(e.position(), "Analis Kebijakan");
  EXPECT_EQ(e.rank(), "III/c");
  EXPECT_EQ(e.work_region_code(), "33.01");
  EXPECT_EQ(e.employment_status(), v1::EMPLOYMENT_STATUS_ACTIVE);
  EXPECT_EQ(e.ppk().code(), "bupati:33.01");
  EXPECT_EQ(e.ppk().name(), "Bupati Cilacap");
  EXPECT_EQ(e.ppk().region_code(), "33.01");
  EXPECT_EQ(e.disciplinary_state(), v1::DISCIPLINARY_STATE_NONE);
  EXPECT_TRUE(e.nik_on_file());
  EXPECT_EQ(e.version(), 1);
  EXPECT_GT(e.create_time().seconds(), 0);
  EXPECT_GT(e.update_time().seconds(), 0);

  v1::GetEmployeeRequest get;
  get.set_employee_id(e.employee_id());
  v1::GetEmployeeResponse got;
  ASSERT_TRUE(stub_->GetEmployee(CallContext().get(), get, &got).ok());
  EXPECT_TRUE(SameMessage(e, got.employee()));

  v1::BatchGetEmployeesRequest batch;
  batch.add_employee_ids(e.employee_id());
  batch.add_employee_ids(Pns(13).nip());
  v1::BatchGetEmployeesResponse both;
  ASSERT_TRUE(stub_->BatchGetEmployees(CallContext().get(), batch, &both).ok());
  ASSERT_EQ(both.employees_size(), 1);
  EXPECT_TRUE(SameMessage(e, both.employees(0)));
  EXPECT_EQ(std::vector<std::string>(both.missing_ids().begin(), both.missing_ids().end()),
            std::vector<std::string>{Pns(13).nip()});
}

TEST_F(EmployeeHandlerTest, SearchMapsItsFiltersAndPages) {
  ASSERT_TRUE(Upsert(Pns(1, "Siti Rahayu"), "a").ok());
  ASSERT_TRUE(Upsert(Pns(2, "Sitti Aminah"), "b").ok());
  ASSERT_TRUE(Upsert(Pns(3, "Budi Santoso"), "c").ok());

  v1::SearchEmployeesRequest request;
  request.set_name_query("sit");
  request.set_region_code("33");
  request.set_agency_code("PEMKAB-CLP");
  request.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
  request.set_page_size(1);
  v1::SearchEmployeesResponse first;
  ASSERT_TRUE(stub_->SearchEmployees(CallContext().get(), request, &first).ok());
  ASSERT_EQ(first.employees_size(), 1);
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  v1::SearchEmployeesResponse second;
  ASSERT_TRUE(stub_->SearchEmployees(CallContext().get(), request, &second).ok());
  ASSERT_EQ(second.employees_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  EXPECT_NE(first.employees(0).employee_id(), second.employees(0).employee_id());

  request.set_employee_type(v1::EMPLOYEE_TYPE_PPPK);
  request.clear_page_token();
  v1::SearchEmployeesResponse none;
  ASSERT_TRUE(stub_->SearchEmployees(CallContext().get(), request, &none).ok());
  EXPECT_EQ(none.employees_size(), 0);

  request.set_page_token("not a token");
  auto bad = stub_->SearchEmployees(CallContext().get(), request, &none);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(bad), std::vector<std::string>{"page_token"});
}

TEST_F(EmployeeHandlerTest, BadEmployeeIsRefusedWithFieldPathsAndNothingIsStored) {
  v1::Employee e = Pns(12);
  e.set_nip("19850312");
  e.clear_name();
  e.set_work_region_code("99.99");
  auto status = Upsert(e, "bad");
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto paths = FieldPaths(status);
  for (const char* path : {"employee.nip", "employee.name", "employee.work_region_code"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), path), paths.end()) << path << " in " << ::testing::PrintToString(paths);
  }
  // Text that is not UTF-8 is refused on its path before the domain sees it.
  auto not_utf8 = Upsert(Pns(12, "Siti \xff"), "not-utf8");
  EXPECT_EQ(not_utf8.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(not_utf8), std::vector<std::string>{"employee.name"});

  auto missing_id = Upsert(Pns(12), "");
  EXPECT_EQ(missing_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(missing_id), std::vector<std::string>{"request_id"});

  v1::GetEmployeeRequest get;
  get.set_employee_id(Pns(12).nip());
  v1::GetEmployeeResponse got;
  EXPECT_EQ(stub_->GetEmployee(CallContext().get(), get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EmployeeHandlerTest, UnknownEmployeeIsNotFoundWithItsResource) {
  v1::GetEmployeeRequest get;
  get.set_employee_id(Pns(20).nip());
  v1::GetEmployeeResponse got;
  auto status = stub_->GetEmployee(CallContext().get(), get, &got);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto resource = DetailOf<v1::ResourceInfo>(status);
  ASSERT_TRUE(resource);
  EXPECT_EQ(resource->resource_type(), "employee");
  EXPECT_EQ(resource->resource_name(), Pns(20).nip());

  get.set_employee_id("not an id");
  EXPECT_EQ(stub_->GetEmployee(CallContext().get(), get, &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EmployeeHandlerTest, VersionsAndRequestIdsMapToTheirStatuses) {
  v1::UpsertEmployeeResponse created;
  ASSERT_TRUE(Upsert(Pns(12), "create", 0, &created).ok());

  // A retry answers the first response, even though the employee now exists.
  v1::UpsertEmployeeResponse retried;
  ASSERT_TRUE(Upsert(Pns(12), "create", 0, &retried).ok());
  EXPECT_TRUE(SameMessage(created, retried));

  // The request id of another request.
  auto reused = Upsert(Pns(12, "Siti R."), "create", 1);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(reused), std::vector<std::string>{"request_id"});

  EXPECT_EQ(Upsert(Pns(12), "create-again", 0).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  auto stale = Upsert(Pns(12, "Siti R."), "update-stale", 7);
  ASSERT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  auto conflict = DetailOf<v1::VersionConflict>(stale);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->resource_type(), "employee");
  EXPECT_EQ(conflict->resource_id(), Pns(12).nip());
  EXPECT_EQ(conflict->expected_version(), 7);
  EXPECT_EQ(conflict->current_version(), 1);

  v1::UpsertEmployeeResponse updated;
  ASSERT_TRUE(Upsert(Pns(12, "Siti R."), "update", 1, &updated).ok());
  EXPECT_EQ(updated.result(), v1::UPSERT_RESULT_UPDATED);
  EXPECT_EQ(updated.employee().version(), 2);
  EXPECT_EQ(updated.employee().name(), "Siti R.");
}

// Streams `messages` to ImportEmployees and returns the status.
grpc::Status Import(v1::RegistryService::Stub& stub, const std::vector<v1::ImportEmployeesRequest>& messages,
                    v1::ImportEmployeesResponse* response) {
  auto context = CallContext();
  auto writer = stub.ImportEmployees(context.get(), response);
  for (const auto& message : messages) {
    if (!writer->Write(message)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

TEST_F(EmployeeHandlerTest, ImportCountsRowsReportsRowErrorsAndReplays) {
  v1::ImportEmployeesRequest first, second;
  first.set_request_id("import-1");
  first.set_source_name("cilacap.csv");
  first.set_max_row_errors(10);
  for (int n : {1, 2}) {
    auto* row = first.add_rows();
    row->set_row_number(n);
    *row->mutable_employee() = Pns(n);
    row->set_nik(Nik(n));
  }
  auto* bad = second.add_rows();
  bad->set_row_number(3);
  *bad->mutable_employee() = Pns(3);
  bad->mutable_employee()->clear_name();

  v1::ImportEmployeesResponse response;
  auto status = Import(*stub_, {first, second}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.rows_received(), 3);
  EXPECT_EQ(response.inserted(), 2);
  EXPECT_EQ(response.updated(), 0);
  EXPECT_EQ(response.unchanged(), 0);
  EXPECT_EQ(response.rejected(), 1);
  ASSERT_EQ(response.row_errors_size(), 1);
  EXPECT_EQ(response.row_errors(0).row_number(), 3);
  ASSERT_EQ(response.row_errors(0).violations_size(), 1);
  EXPECT_EQ(response.row_errors(0).violations(0).field(), "employee.name");
  EXPECT_FALSE(response.row_errors_truncated());

  // The same stream again is answered from its record; other content under its id is refused.
  v1::ImportEmployeesResponse replayed;
  ASSERT_TRUE(Import(*stub_, {first, second}, &replayed).ok());
  EXPECT_TRUE(SameMessage(response, replayed));
  v1::ImportEmployeesResponse refused;
  auto reused = Import(*stub_, {first}, &refused);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(reused), std::vector<std::string>{"request_id"});

  auto empty = Import(*stub_, {}, &refused);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(empty), std::vector<std::string>{"request_id"});
}

TEST_F(EmployeeHandlerTest, DisciplinaryStatusMapsTheRecordAndItsErrors) {
  ASSERT_TRUE(Upsert(Pns(12), "create").ok());
  v1::SetDisciplinaryStatusRequest request;
  request.set_request_id("case-1:decided");
  request.set_employee_id(Pns(12).nip());
  request.set_case_id("case-1");
  request.set_state(v1::DISCIPLINARY_STATE_UNDER_SANCTION);
  request.set_level(v1::SANCTION_LEVEL_MODERATE);
  request.add_forms(v1::SANCTION_FORM_ALLOWANCE_CUT_6_MONTHS);
  request.set_decree_number("800/123/2024");
  request.mutable_decree_date()->set_year(2024);
  request.mutable_decree_date()->set_month(3);
  request.mutable_decree_date()->set_day(4);
  request.mutable_end_date()->set_year(2024);
  request.mutable_end_date()->set_month(9);
  request.mutable_end_date()->set_day(4);
  request.set_source_sequence(2);
  v1::SetDisciplinaryStatusResponse response;
  auto status = stub_->SetDisciplinaryStatus(CallContext().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.changed());
  const v1::Employee& e = response.employee();
  EXPECT_EQ(e.disciplinary_state(), v1::DISCIPLINARY_STATE_UNDER_SANCTION);
  ASSERT_EQ(e.disciplinary_records_size(), 1);
  const auto& record = e.disciplinary_records(0);
  EXPECT_EQ(record.case_id(), "case-1");
  EXPECT_EQ(record.state(), v1::DISCIPLINARY_STATE_UNDER_SANCTION);
  EXPECT_EQ(record.level(), v1::SANCTION_LEVEL_MODERATE);
  ASSERT_EQ(record.forms_size(), 1);
  EXPECT_EQ(record.forms(0), v1::SANCTION_FORM_ALLOWANCE_CUT_6_MONTHS);
  EXPECT_EQ(record.decree_number(), "800/123/2024");
  EXPECT_EQ(record.decree_date().day(), 4);
  EXPECT_EQ(record.end_date().month(), 9);

  // The same notice delivered again changes nothing.
  v1::SetDisciplinaryStatusResponse again;
  ASSERT_TRUE(stub_->SetDisciplinaryStatus(CallContext().get(), request, &again).ok());
  EXPECT_FALSE(again.changed());

  request.set_employee_id(Pns(13).nip());
  request.set_request_id("case-2:decided");
  EXPECT_EQ(stub_->SetDisciplinaryStatus(CallContext().get(), request, &again).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EmployeeHandlerTest, ListRegionsMapsEveryFieldAndRefusesAnUnknownLevel) {
  v1::ListRegionsRequest request;
  request.set_parent_code("33");
  request.set_page_size(2);
  v1::ListRegionsResponse response;
  ASSERT_TRUE(stub_->ListRegions(CallContext().get(), request, &response).ok());
  ASSERT_EQ(response.regions_size(), 2);
  const auto& cilacap = response.regions(0);
  EXPECT_EQ(cilacap.code(), "33.01");
  EXPECT_EQ(cilacap.level(), v1::REGION_LEVEL_REGENCY);
  EXPECT_EQ(cilacap.parent_code(), "33");
  EXPECT_EQ(cilacap.time_zone(), "Asia/Jakarta");
  EXPECT_FALSE(cilacap.name().empty());
  EXPECT_GT(response.total_size(), 2);
  EXPECT_FALSE(response.next_page_token().empty());

  request.set_level(static_cast<v1::RegionLevel>(42));
  auto status = stub_->ListRegions(CallContext().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldPaths(status), std::vector<std::string>{"level"});
}

}  // namespace
}  // namespace netra::registry::testing

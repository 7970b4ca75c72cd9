// What the registry's handler tests share: RegistryHandler wired as
// services/registry/main.cc wires it, over a real migrated SQLite file, served
// by a gRPC server inside the test process, and valid requests to vary.
#pragma once

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/nik.h"
#include "common/redis.h"
#include "common/regions.h"
#include "common/store.h"
#include "netra/v1/registry.grpc.pb.h"
#include "services/registry/election_store.h"
#include "services/registry/elections.h"
#include "services/registry/employee_cache.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/party_screening.h"
#include "services/registry/party_screening_store.h"
#include "services/registry/prevention.h"
#include "services/registry/prevention_store.h"
#include "services/registry/registry.h"
#include "services/registry/registry_handler.h"
#include "services/registry/registry_store.h"
#include "tests/support/grpc_test_server.h"
#include "tests/support/test_support.h"

namespace netra::registry::testing {

using netra::testing::CallContext;
using netra::testing::DetailOf;
using netra::testing::FieldPaths;
using netra::testing::SameMessage;

// The registry service's parts, in main.cc's order, and the server.
class RegistryHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    db_ = Database::Open(dir_.File("registry.db"), kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    RedisOptions redis;
    redis.port = 1;  // nothing listens: the snapshot cache misses fast, reads go to the store
    redis_ = std::make_unique<RedisClient>(redis, metrics_);
    election_store_ = std::make_unique<ElectionStore>(*db_);
    elections_ = std::make_unique<Elections>(*election_store_, Regions());
    employee_store_ = std::make_unique<EmployeeStore>(*db_);
    employee_cache_ = std::make_unique<EmployeeCache>(*redis_, metrics_);
    employees_ = std::make_unique<EmployeeDirectory>(*employee_store_, *employee_cache_, Regions(), nik_hasher_);
    prevention_store_ = std::make_unique<PreventionStore>(*db_);
    prevention_ = std::make_unique<Prevention>(*prevention_store_, *elections_, Regions());
    party_store_ = std::make_unique<PartyScreeningStore>(*db_);
    party_screening_ = std::make_unique<PartyScreening>(*party_store_, *employees_, Regions());
    access_log_ = std::make_unique<AccessLog>(*db_, metrics_);
    handler_ = std::make_unique<RegistryHandler>(registry_, *elections_, *employees_, *prevention_, *party_screening_,
                                                 nik_hasher_, *access_log_, metrics_);
    server_ = std::make_unique<netra::testing::InProcessServer>(std::initializer_list<grpc::Service*>{handler_.get()});
    stub_ = v1::RegistryService::NewStub(server_->channel());
  }

  static const RegionDirectory& Regions() { return netra::testing::ShippedRegions(); }

  // A PNS with every field the API lets a client set; `n` varies its birth
  // day, so each n has its own NIP (and NIK: Nik(n)).
  static v1::Employee Pns(int n, const std::string& name = "Siti Rahayu") {
    v1::Employee e;
    e.set_employee_type(v1::EMPLOYEE_TYPE_PNS);
    e.set_nip("198503" + Two(n) + "2010012001");
    e.set_name(name);
    e.set_gender(v1::GENDER_FEMALE);
    e.mutable_birth_date()->set_year(1985);
    e.mutable_birth_date()->set_month(3);
    e.mutable_birth_date()->set_day(n);
    e.set_agency_code("PEMKAB-CLP");
    e.set_agency_name("Pemerintah Kabupaten Cilacap");
    e.set_unit_code("DINKES");
    e.set_unit_name("Dinas Kesehatan");
    e.set_position("Analis Kebijakan");
    e.set_rank("III/c");
    e.set_work_region_code("33.01");
    e.set_employment_status(v1::EMPLOYMENT_STATUS_ACTIVE);
    e.mutable_ppk()->set_code("bupati:33.01");
    e.mutable_ppk()->set_name("Bupati Cilacap");
    e.mutable_ppk()->set_region_code("33.01");
    return e;
  }
  // A woman's NIK (day + 40) born 1985-03-n, registered in 33.01.01.
  static std::string Nik(int n) { return "330101" + Two(n + 40) + "03850001"; }

  grpc::Status Upsert(const v1::Employee& e, const std::string& request_id, int64_t expected_version = 0,
                      v1::UpsertEmployeeResponse* response = nullptr, const std::string& nik = "") {
    v1::UpsertEmployeeRequest request;
    request.set_request_id(request_id);
    *request.mutable_employee() = e;
    request.set_nik(nik);
    request.set_expected_version(expected_version);
    v1::UpsertEmployeeResponse ignored;
    return stub_->UpsertEmployee(CallContext().get(), request, response ? response : &ignored);
  }

  // deploy/local/elections/<file>, as `netractl elections upsert` reads it.
  static v1::Election DemoElection(const std::string& file) {
    v1::Election election;
    const std::string json = netra::testing::ReadFile(std::string(NETRA_SOURCE_DIR) + "/deploy/local/elections/" + file);
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &election).ok()) << file;
    return election;
  }

  grpc::Status UpsertElection(const v1::Election& election, const std::string& request_id, int64_t expected_version,
                              v1::UpsertElectionResponse* response) {
    v1::UpsertElectionRequest request;
    request.set_request_id(request_id);
    *request.mutable_election() = election;
    request.set_expected_version(expected_version);
    return stub_->UpsertElection(CallContext().get(), request, response);
  }

  netra::testing::TempDir dir_;
  prometheus::Registry metrics_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<RedisClient> redis_;
  NikHasher nik_hasher_{std::string(32, 'k')};
  Registry registry_{Regions()};
  std::unique_ptr<ElectionStore> election_store_;
  std::unique_ptr<Elections> elections_;
  std::unique_ptr<EmployeeStore> employee_store_;
  std::unique_ptr<EmployeeCache> employee_cache_;
  std::unique_ptr<EmployeeDirectory> employees_;
  std::unique_ptr<PreventionStore> prevention_store_;
  std::unique_ptr<Prevention> prevention_;
  std::unique_ptr<PartyScreeningStore> party_store_;
  std::unique_ptr<PartyScreening> party_screening_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<RegistryHandler> handler_;
  std::unique_ptr<netra::testing::InProcessServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;

 private:
  static std::string Two(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }
};

}  // namespace netra::registry::testing

// What the registry's unit tests share: a snapshot cache that is not there
// (reads go to the store), a valid employee to vary, and a fixture with a
// real, migrated registry store and its employee directory.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/nik.h"
#include "common/store.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/registry_store.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra::registry::testing {

class NoSnapshots : public EmployeeSnapshots {
 public:
  std::optional<Employee> GetOrLoad(const std::string&, const std::function<std::optional<Employee>()>& load) override {
    return load();
  }
  void Changed(const Employee&) override {}
  void Invalidate(std::span<const std::string>) override {}
};

// A PPNPN (id "<agency>:<staff id>"), male, born 1985-03-12.
inline Employee Staff(std::string staff_id, std::string agency, std::string unit, std::string region,
                      EmploymentStatus status = EmploymentStatus::kActive) {
  Employee e;
  e.employee_type = 3;
  e.agency_staff_id = std::move(staff_id);
  e.name = "Pegawai " + e.agency_staff_id;
  e.gender = 1;
  e.birth_date = {1985, 3, 12};
  e.agency_code = agency;
  e.agency_name = "Nama " + agency;
  e.unit_code = unit;
  e.unit_name = "Unit " + unit;
  e.position = "Staf";
  e.work_region_code = std::move(region);
  e.employment_status = status;
  return e;
}

// A registry store with every migration, and employees in it, on the test's
// backend (NETRA_STORE_BACKENDS: SQLite and PostgreSQL).
class RegistryStoreTest : public netra::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    std::string error;
    db_ = Database::Open(NewStore(), kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    employee_store_ = std::make_unique<EmployeeStore>(*db_);
    employees_ = std::make_unique<EmployeeDirectory>(*employee_store_, snapshots_, netra::testing::ShippedRegions(),
                                                     hasher_);
  }

  // expected_version 0 creates; N updates version N. `nik` may be empty.
  void AddEmployee(const Employee& e, const std::string& nik = "", int64_t expected_version = 0) {
    ++upserts_;
    auto r = employees_->Upsert(
        UpsertRequest{e, nik, expected_version},
        Idempotency{{"UpsertEmployee", "emp-" + std::to_string(upserts_), "h" + std::to_string(upserts_)},
                    [](const Employee& stored, UpsertResult) { return stored.employee_id; }});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  std::unique_ptr<Database> db_;
  NoSnapshots snapshots_;
  NikHasher hasher_{std::string(32, 'k')};
  std::unique_ptr<EmployeeStore> employee_store_;
  std::unique_ptr<EmployeeDirectory> employees_;
  int upserts_ = 0;
};

}  // namespace netra::registry::testing

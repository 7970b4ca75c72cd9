// What the sanction service's tests share: the employee their cases are about
// (a PNS teacher of Kabupaten Cilacap, whose PPK is the Bupati), the terms a
// case takes from Pemilu 2024 at opening, and the domain on a real store.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/redis.h"
#include "common/store.h"
#include "services/sanction/case_store.h"
#include "services/sanction/cases.h"
#include "services/sanction/forwarded_complaint.h"
#include "services/sanction/sanction_store.h"
#include "services/sanction/sanctions.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra::sanction {

// The violation catalog the service ships (data/violation_catalog.json).
inline std::string ShippedCatalogText() {
  return netra::testing::ReadFile(std::string(NETRA_SOURCE_DIR) + "/data/violation_catalog.json");
}

inline EmployeeSnapshot CilacapTeacher() {
  EmployeeSnapshot e;
  e.employee_id = "198503122010011001";
  e.employee_type = EmployeeType::kPns;
  e.name = "Budi Santoso";
  e.agency_code = "PEMKAB-CLP";
  e.agency_name = "Pemerintah Kabupaten Cilacap";
  e.unit_name = "Dinas Pendidikan";
  e.position = "Guru Ahli Muda";
  e.work_region_code = "33.01";
  e.ppk = {"bupati:33.01", "Bupati Cilacap", "33.01"};
  e.registry_version = 3;
  return e;
}

inline ElectionTerms Pemilu2024() {
  ElectionTerms t;
  t.election_id = "pemilu-2024";
  t.authority = {"BKN", "Badan Kepegawaian Negara"};
  t.ppk_decision = {14, DayCounting::kWorkingDays};
  return t;
}

// Pemilu 2024 with holidays: one national (11 March), one of province 33
// (12 March), one of province 34 (13 March).
inline ElectionTerms Pemilu() {
  ElectionTerms t = Pemilu2024();
  t.holidays = {{absl::CivilDay(2024, 3, 11), ""}, {absl::CivilDay(2024, 3, 12), "33"},
                {absl::CivilDay(2024, 3, 13), "34"}};
  return t;
}

// BKN's recommendation on case-1 (expected at version 1), and the PPK's
// decision after it (version 2) with the same level and forms.
inline RecommendCommand Recommend() {
  return RecommendCommand{"r2", "case-1", 1, "BKN", "B-123/2024", Date{2024, 3, 4}, 1, 4, {9}, ""};
}
inline DecisionCommand Decide() {
  return DecisionCommand{"r3", "case-1", 2, "SK-9/2024", Date{2024, 3, 20}, 1, 4, {9}, "Bupati", {}, {}, ""};
}

// The complaint service as the domain asks it before opening a case: down
// (UNAVAILABLE) when `down`; a complaint named in `complaints` is as given
// there, or unknown (NOT_FOUND) when its status is empty; any other was
// forwarded about the teacher in Pemilu 2024 for B2, as the tests' OpenCase says.
class FakeComplaints final : public ComplaintRecords {
 public:
  std::map<std::string, ForwardedComplaint> complaints;
  bool down = false;
  Result<ForwardedComplaint> FindComplaint(const std::string& complaint_id) override {
    if (down) return Error::Unavailable("complaint service down");
    if (auto it = complaints.find(complaint_id); it != complaints.end()) {
      if (it->second.status.empty()) return Error::NotFound("complaint", complaint_id);
      return it->second;
    }
    return ForwardedComplaint{complaint_id, "COMPLAINT_STATUS_FORWARDED", true, CilacapTeacher().employee_id,
                              "pemilu-2024", {"B2"}};
  }
};

// Sanctions on a real, migrated store of the test's backend (SQLite or
// PostgreSQL; NETRA_STORE_BACKENDS), Redis out of reach (the catalog cache
// misses fast, the store answers), the shipped catalog loaded. A suite brings
// its own registry (`directory`) and clock.
class SanctionsOnStoreTest : public netra::testing::StoreBackendTest {
 protected:
  void StartSanctions(Directory& directory, std::function<absl::Time()> clock) {
    url_ = NewStore();
    db_ = MustOpen(url_, kMigrations);
    ASSERT_TRUE(db_);
    RedisOptions options;
    options.port = 1;  // nothing listens
    redis_ = std::make_unique<RedisClient>(options, metrics_);
    cache_ = std::make_unique<Cache>(*redis_, "catalog", metrics_);
    store_ = std::make_unique<SanctionStore>(*db_);
    cases_ = std::make_unique<CaseStore>(*db_);
    sanctions_ = std::make_unique<Sanctions>(*store_, *cache_, *cases_, directory, complaints_,
                                             netra::testing::ShippedRegions(), CaseRules{}, &metrics_, std::move(clock));
    ASSERT_TRUE(sanctions_->LoadCatalog(ShippedCatalogText()).ok());
  }
  // Before the suite's own members (its directory) go.
  void TearDown() override { sanctions_.reset(); }

  StoreUrl url_;
  prometheus::Registry metrics_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<SanctionStore> store_;
  std::unique_ptr<CaseStore> cases_;
  FakeComplaints complaints_;
  std::unique_ptr<Sanctions> sanctions_;
};

}  // namespace netra::sanction

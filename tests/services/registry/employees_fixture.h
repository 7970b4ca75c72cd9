// The registry's employees (services/registry/employees.h) over a real store,
// opened as a start of the registry opens it: the fixture of employees_test.cc
// and employee_batches_test.cc, and the employees they write.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/store.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/registry_store.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra::registry::testing {

// Valid identifiers of two people (see DOMAIN.md §2 for the layouts).
inline constexpr char kNipMale[] = "198503122010011001";     // born 1985-03-12, male
inline constexpr char kNikMale[] = "3374011203850001";       // born 12-03-85, male
inline constexpr char kNipFemale[] = "199001012015022003";   // born 1990-01-01, female
inline constexpr char kNikFemale[] = "3374014101900002";     // day 01 + 40: female
inline constexpr char kNiPppk[] = "198805152023012005";      // born 1988-05-15, female

// The domain's cache port, recording what was published; the real Redis side
// is covered by the integration tests.
class RecordingSnapshots : public EmployeeSnapshots {
 public:
  std::optional<Employee> GetOrLoad(const std::string&, const std::function<std::optional<Employee>()>& load) override {
    return load();
  }
  void Changed(const Employee& employee) override { changed.push_back(employee.employee_id); }
  void Invalidate(std::span<const std::string> ids) override { changed.insert(changed.end(), ids.begin(), ids.end()); }
  std::vector<std::string> changed;
};

inline Employee Pns(std::string nip = kNipMale, std::string name = "Budi Santoso") {
  Employee e;
  e.employee_type = 1;
  e.nip = std::move(nip);
  e.name = std::move(name);
  e.gender = e.nip[14] == '1' ? 1 : 2;
  e.birth_date = {std::stoi(e.nip.substr(0, 4)), std::stoi(e.nip.substr(4, 2)), std::stoi(e.nip.substr(6, 2))};
  e.agency_code = "PEMKOT-SMG";
  e.agency_name = "Pemerintah Kota Semarang";
  e.unit_name = "BKPSDM";
  e.position = "Analis Kepegawaian";
  e.rank = "III/a";
  e.work_region_code = "33.74";
  return e;
}

class EmployeesFixture : public netra::testing::StoreBackendTest {
 protected:
  void SetUp() override {
    url_ = NewStore();
    ASSERT_NO_FATAL_FAILURE(Open());
  }

  // Opens the store with every migration, as a start of the registry does.
  void Open() {
    std::string error;
    db_ = Database::Open(url_, kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    store_ = std::make_unique<EmployeeStore>(*db_);
    directory_ = std::make_unique<EmployeeDirectory>(*store_, snapshots_, netra::testing::ShippedRegions(), hasher_);
  }
  // As the process ending: nothing is finished, the file stays.
  void Close() {
    directory_.reset();
    store_.reset();
    db_.reset();
  }

  Idempotency Once(std::string request_id) {
    return Idempotency{{"UpsertEmployee", std::move(request_id), "hash-" + std::to_string(++requests_)},
                       [](const Employee& e, UpsertResult r) { return e.employee_id + "/" + std::to_string(static_cast<int>(r)); }};
  }

  Result<UpsertOutcome> Upsert(Employee e, std::string nik = "", int64_t expected_version = 0) {
    return directory_->Upsert(UpsertRequest{std::move(e), std::move(nik), expected_version},
                              Once("req-" + std::to_string(requests_ + 1)));
  }

  // The violations of an upsert that must be rejected, as "field:REASON".
  std::set<std::string> Problems(Employee e, std::string nik = "") {
    auto result = Upsert(std::move(e), std::move(nik));
    std::set<std::string> out;
    if (result.ok()) return {"<accepted>"};
    for (const auto& v : result.error().violations.list()) out.insert(v.field + ":" + std::string(ReasonName(v.reason)));
    return out;
  }

  // The token rows are exactly the distinct tokens of every employee's
  // folded name, with its current search columns.
  void ExpectTokensOfEveryName() {
    db_->Read([](Connection& c) {
      std::multiset<std::string> expected, stored;
      auto all = c.Prepare("SELECT name_key, employee_id, work_region_code, agency_code, employee_type FROM employees");
      while (all.Step()) {
        const std::string name_key = all.ColumnText(0);
        for (std::string_view token : NameTokens(name_key)) {
          expected.insert(absl::StrCat(std::string(token), "|", all.ColumnText(0), "|", all.ColumnText(1), "|", all.ColumnText(2),
                                       "|", all.ColumnText(3), "|", all.ColumnInt64(4)));
        }
      }
      auto tokens = c.Prepare(
          "SELECT token, name_key, employee_id, work_region_code, agency_code, employee_type FROM employee_name_tokens");
      while (tokens.Step()) {
        stored.insert(absl::StrCat(tokens.ColumnText(0), "|", tokens.ColumnText(1), "|", tokens.ColumnText(2), "|",
                                   tokens.ColumnText(3), "|", tokens.ColumnText(4), "|", tokens.ColumnInt64(5)));
      }
      EXPECT_EQ(stored, expected);
      EXPECT_FALSE(expected.empty());
      return 0;
    });
  }

  StoreUrl url_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<EmployeeStore> store_;
  RecordingSnapshots snapshots_;
  NikHasher hasher_{std::string(32, 'k')};
  std::unique_ptr<EmployeeDirectory> directory_;
  int requests_ = 0;
};

// The ids of every page of `search` (at most 60 pages), in order.
inline std::vector<std::string> AllPages(EmployeeDirectory& directory, EmployeeSearch search) {
  std::vector<std::string> ids;
  for (int pages = 0; pages < 60; ++pages) {
    auto page = directory.Search(search);
    EXPECT_TRUE(page.ok()) << page.error().message;
    if (!page.ok()) break;
    for (const auto& e : page.value().employees) ids.push_back(e.employee_id);
    search.page_token = page.value().next_page_token;
    if (search.page_token.empty()) break;
  }
  return ids;
}

}  // namespace netra::registry::testing

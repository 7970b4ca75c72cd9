// Tests for services/registry/employees.h over a real store, SQLite and
// PostgreSQL: validation of every field (DOMAIN.md §2), upsert semantics,
// idempotency, search and disciplinary status. Imports and bulk loads are in
// employee_batches_test.cc.
#include "services/registry/employees.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/store.h"
#include "services/registry/employee_store.h"
#include "services/registry/registry_store.h"
#include "tests/common/store_backends.h"
#include "tests/services/registry/employees_fixture.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

using testing::AllPages;
using testing::kNikFemale;
using testing::kNikMale;
using testing::kNipFemale;
using testing::kNipMale;
using testing::kNiPppk;
using testing::Pns;

// Validation, upserts, idempotency and search (imports and bulk loads: employee_batches_test.cc).
class EmployeesTest : public testing::EmployeesFixture {};

TEST_P(EmployeesTest, CreatesAPnsKeyedByItsNipAndKeepsOnlyTheNikHash) {
  auto created = Upsert(Pns(), kNikMale);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created.value().result, UpsertResult::kCreated);
  const Employee& e = created.value().employee;
  EXPECT_EQ(e.employee_id, kNipMale);
  EXPECT_EQ(e.version, 1);
  EXPECT_TRUE(e.nik_on_file);
  EXPECT_EQ(e.employment_status, EmploymentStatus::kActive);  // unspecified on input
  EXPECT_EQ(snapshots_.changed, std::vector<std::string>{kNipMale});

  auto got = directory_->Get(kNipMale);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value().name, "Budi Santoso");
  EXPECT_EQ(got.value().rank, "III/a");
  EXPECT_EQ(got.value().birth_date, (DateValue{1985, 3, 12}));

  // The database file holds the HMAC, never the clear NIK.
  auto hmac = db_->Read([](Connection& c) {
    auto s = c.Prepare("SELECT nik_hmac FROM employees");
    s.Step();
    return s.ColumnBlob(0);
  });
  EXPECT_EQ(hmac, hasher_.Hash(kNikMale));
  if (pg()) return;
  db_.reset();
  EXPECT_EQ(netra::testing::ReadFile(url_.path).find(kNikMale), std::string::npos);
  EXPECT_EQ(netra::testing::ReadFile(url_.path + "-wal").find(kNikMale), std::string::npos);
}

TEST_P(EmployeesTest, PppkAndPpnpnIdsAreDerivedFromTheirIdentifiers) {
  Employee pppk = Pns(kNiPppk);
  pppk.employee_type = 2;
  pppk.ni_pppk = kNiPppk;
  pppk.nip.clear();
  pppk.rank.clear();
  pppk.gender = 2;
  auto a = Upsert(pppk);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a.value().employee.employee_id, kNiPppk);

  Employee ppnpn = Pns();
  ppnpn.employee_type = 3;
  ppnpn.nip.clear();
  ppnpn.rank.clear();
  ppnpn.agency_staff_id = "HON/2024-17";
  auto b = Upsert(ppnpn);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b.value().employee.employee_id, "PEMKOT-SMG:HON/2024-17");
  EXPECT_TRUE(directory_->Get("PEMKOT-SMG:HON/2024-17").ok());
}

TEST_P(EmployeesTest, MalformedIdentifiersAreReportedOnTheirField) {
  EXPECT_EQ(Problems(Pns("19850312201001100")), std::set<std::string>{"employee.nip:INVALID_FORMAT"});
  auto bad_gender_digit = Pns();
  bad_gender_digit.nip = "198503122010013001";
  EXPECT_TRUE(Problems(bad_gender_digit).count("employee.nip:OUT_OF_RANGE"));
  auto no_nip = Pns();
  no_nip.nip.clear();
  EXPECT_EQ(Problems(no_nip), std::set<std::string>{"employee.nip:REQUIRED"});
  auto wrong_kind = Pns();
  wrong_kind.nip.clear();
  wrong_kind.ni_pppk = kNiPppk;
  EXPECT_TRUE(Problems(wrong_kind).count("employee.ni_pppk:INCONSISTENT"));
  EXPECT_EQ(Problems(Pns(), "33740112038500"), std::set<std::string>{"nik:INVALID_FORMAT"});
  EXPECT_EQ(Problems(Pns(), "3374011303850001"), std::set<std::string>{"nik:INCONSISTENT"});  // other birth day
  EXPECT_EQ(Problems(Pns(), kNikFemale), std::set<std::string>{"nik:INCONSISTENT"});
  auto no_type = Pns();
  no_type.employee_type = 0;
  EXPECT_TRUE(Problems(no_type).count("employee.employee_type:REQUIRED"));
  EXPECT_TRUE(directory_->Get(kNipMale).ok() == false);  // nothing was stored
}

TEST_P(EmployeesTest, GenderAndBirthDateMustAgreeWithTheNip) {
  auto e = Pns();
  e.gender = 2;
  e.birth_date = {1985, 3, 13};
  EXPECT_EQ(Problems(e), (std::set<std::string>{"employee.gender:INCONSISTENT", "employee.birth_date:INCONSISTENT"}));
  e = Pns();
  e.birth_date = {1985, 2, 30};
  EXPECT_EQ(Problems(e), std::set<std::string>{"employee.birth_date:OUT_OF_RANGE"});
}

TEST_P(EmployeesTest, WorkRegionMustBeAnExistingKabKota) {
  auto e = Pns();
  e.work_region_code = "33.98";
  EXPECT_EQ(Problems(e), std::set<std::string>{"employee.work_region_code:NOT_FOUND"});
  e.work_region_code = "33";
  EXPECT_EQ(Problems(e), std::set<std::string>{"employee.work_region_code:INVALID_FORMAT"});
  e.work_region_code = "";
  EXPECT_EQ(Problems(e), std::set<std::string>{"employee.work_region_code:REQUIRED"});
}

TEST_P(EmployeesTest, RankOnlyForPnsAndFromTheLadder) {
  auto e = Pns();
  e.rank = "V/a";
  EXPECT_EQ(Problems(e), std::set<std::string>{"employee.rank:INVALID_FORMAT"});
  e = Pns(kNiPppk);
  e.employee_type = 2;
  e.ni_pppk = kNiPppk;
  e.nip.clear();
  EXPECT_EQ(Problems(e), std::set<std::string>{"employee.rank:INCONSISTENT"});
}

TEST_P(EmployeesTest, OversizeFieldsAndInvalidUtf8AreRejected) {
  auto e = Pns();
  e.name = std::string(201, 'a');
  e.agency_code = std::string(33, 'A');
  e.position = std::string(150, 'x') + std::string(60, 'y');
  EXPECT_EQ(Problems(e), (std::set<std::string>{"employee.name:TOO_LONG", "employee.agency_code:TOO_LONG",
                                                "employee.position:TOO_LONG"}));
  e = Pns();
  e.name = "Budi \xC3\x28 Santoso";  // a broken two-byte sequence
  e.unit_name = "Unit\x01";           // a control character
  e.agency_code = "PEMKOT SMG";       // a space
  EXPECT_EQ(Problems(e), (std::set<std::string>{"employee.name:INVALID_FORMAT", "employee.unit_name:INVALID_FORMAT",
                                                "employee.agency_code:INVALID_FORMAT"}));
  // 200 code points of two bytes each are within the limit.
  e = Pns();
  std::string name;
  for (int i = 0; i < 200; ++i) name += "\xC3\xA2";  // â
  e.name = name;
  EXPECT_EQ(Problems(e), std::set<std::string>{"<accepted>"});
}

TEST_P(EmployeesTest, NoErrorTextEverContainsTheNik) {
  const std::string niks[] = {"3374011303850001", kNikFemale, "3374019903850001", "3374011203850000", "33740112038500x1"};
  for (const auto& nik : niks) {
    auto result = Upsert(Pns(), nik);
    ASSERT_FALSE(result.ok()) << nik;
    EXPECT_EQ(result.error().message.find(nik), std::string::npos);
    for (const auto& v : result.error().violations.list()) {
      EXPECT_EQ(v.description.find(nik), std::string::npos) << v.description;
      EXPECT_EQ(v.description.find(nik.substr(6, 6)), std::string::npos) << v.description;
    }
  }
  // Nor does a NIK given where an employee id belongs.
  auto got = directory_->Get(kNikMale);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(got.error().violations.list()[0].description.find(kNikMale), std::string::npos);
}

TEST_P(EmployeesTest, ExpectedVersionDecidesBetweenCreateUpdateAndConflict) {
  ASSERT_TRUE(Upsert(Pns()).ok());
  auto again = Upsert(Pns());  // 0 = create only
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::kAlreadyExists);

  auto renamed = Pns(kNipMale, "Budi Santosa");
  auto updated = Upsert(renamed, "", 1);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated.value().result, UpsertResult::kUpdated);
  EXPECT_EQ(updated.value().employee.version, 2);

  auto stale = Upsert(renamed, "", 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, Error::Kind::kAborted);
  EXPECT_EQ(stale.error().expected_version, 1);
  EXPECT_EQ(stale.error().current_version, 2);

  auto same = Upsert(renamed, "", 2);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same.value().result, UpsertResult::kUnchanged);
  EXPECT_EQ(same.value().employee.version, 2);

  auto missing = Upsert(Pns(kNipFemale), "", 3);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Error::Kind::kNotFound);
}

TEST_P(EmployeesTest, ARetriedRequestIdReturnsTheFirstResponseAndRefusesOtherContent) {
  Idempotency first{{"UpsertEmployee", "req-1", "hash-a"},
                    [](const Employee& e, UpsertResult) { return "first:" + e.employee_id; }};
  ASSERT_TRUE(directory_->Upsert({Pns(), "", 0}, first).ok());
  auto retry = directory_->Upsert({Pns(), "", 0}, first);
  ASSERT_TRUE(retry.ok());  // not ALREADY_EXISTS: the same call again
  ASSERT_TRUE(retry.value().replayed);
  EXPECT_EQ(*retry.value().replayed, std::string("first:") + kNipMale);

  Idempotency other{{"UpsertEmployee", "req-1", "hash-b"}, first.encode};
  auto reused = directory_->Upsert({Pns(kNipMale, "Other"), "", 1}, other);
  ASSERT_FALSE(reused.ok());
  ASSERT_EQ(reused.error().kind, Error::Kind::kInvalidArgument);
  EXPECT_EQ(reused.error().violations.list()[0].field, "request_id");
  EXPECT_EQ(reused.error().violations.list()[0].reason, ViolationReason::kInconsistent);
  EXPECT_EQ(directory_->Get(kNipMale).value().name, "Budi Santoso");
}

TEST_P(EmployeesTest, SearchFoldsCaseAndDiacriticsAndMatchesTokenPrefixes) {
  ASSERT_TRUE(Upsert(Pns(kNipFemale, "Siti \xC3\x82minah")).ok());  // Siti Âminah
  ASSERT_TRUE(Upsert(Pns(kNipMale, "Budi Santoso")).ok());
  EmployeeSearch search;
  search.name_query = "sit aminah";
  auto page = directory_->Search(search);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page.value().employees.size(), 1u);
  EXPECT_EQ(page.value().employees[0].employee_id, kNipFemale);
  search.name_query = "SANTO";
  EXPECT_EQ(directory_->Search(search).value().employees.size(), 1u);
  search.name_query = "antoso";  // prefixes only
  EXPECT_TRUE(directory_->Search(search).value().employees.empty());
  EXPECT_EQ(FoldName("  Siti  \xC3\x82minah "), "siti aminah");
}

TEST_P(EmployeesTest, SearchByProvinceFindsEveryKabKotaOfIt) {
  auto semarang = Pns(kNipMale);
  auto cilacap = Pns(kNipFemale, "Ani");
  cilacap.work_region_code = "33.01";
  auto jakarta = Pns("197001011995031001", "Joko");
  jakarta.work_region_code = "31.71";
  for (const auto& e : {semarang, cilacap, jakarta}) ASSERT_TRUE(Upsert(e).ok());
  EmployeeSearch search;
  search.region_code = "33";
  auto page = directory_->Search(search);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().employees.size(), 2u);
  EXPECT_EQ(page.value().employees[0].name, "Ani");  // by folded name
  search.region_code = "31.71";
  EXPECT_EQ(directory_->Search(search).value().employees.size(), 1u);
  search.region_code = "33.01.01";
  EXPECT_FALSE(directory_->Search(search).ok());
  EXPECT_FALSE(directory_->Search(EmployeeSearch{}).ok());  // at least one filter
}

TEST_P(EmployeesTest, SearchPagesAreBoundToTheirFilters) {
  for (int i = 1; i <= 5; ++i) {
    char nip[19];
    std::snprintf(nip, sizeof nip, "19850312201001100%d", i);
    ASSERT_TRUE(Upsert(Pns(nip, "Budi " + std::to_string(i))).ok());
  }
  EmployeeSearch search;
  search.name_query = "budi";
  search.page_size = 2;
  std::vector<std::string> seen;
  do {
    auto page = directory_->Search(search);
    ASSERT_TRUE(page.ok());
    for (const auto& e : page.value().employees) seen.push_back(e.name);
    search.page_token = page.value().next_page_token;
  } while (!search.page_token.empty() && seen.size() < 10);
  EXPECT_EQ(seen, (std::vector<std::string>{"Budi 1", "Budi 2", "Budi 3", "Budi 4", "Budi 5"}));

  search.page_token.clear();
  auto first = directory_->Search(search);
  search.page_token = first.value().next_page_token;
  search.region_code = "33";
  auto changed = directory_->Search(search);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().violations.list()[0].field, "page_token");
}

TEST_P(EmployeesTest, BothSearchPlansGiveTheSameRowsInTheSameOrder) {
  // Names sharing prefixes in different tokens, with diacritics and
  // punctuation, spread over regions and agencies.
  const std::vector<std::string> names = {
      "Siti Aminah",   "Siti \xC3\x82minah", "Budi Santoso",    "Santi Budiarti",  "Ahmad Sitompul",
      "Sitti Rahma",   "Dewi Sartika-Siti",  "O'Brien Sit",     "Yusuf",           "Siti",
      "Bambang Sutrisno", "Sri Sitawati",    "\xC3\x89ka Situmorang", "siti  aminah", "Ani Budi Siti"};
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string serial = std::to_string(i + 1);
    const std::string nip = "198503122010012" + std::string(3 - serial.size(), '0') + serial;
    Employee e = Pns(nip, names[i]);
    e.work_region_code = i % 3 == 0 ? "33.74" : i % 3 == 1 ? "33.01" : "31.71";
    if (i % 2 == 1) e.agency_code = "PEMKAB-CLP";
    ASSERT_TRUE(Upsert(e).ok()) << names[i];
  }
  // The merge (the default on data this small), the walk (any distinct
  // token is "many"), the walk handing over to the merge at once, and the
  // merge only for a driving prefix of at most two tokens.
  std::vector<std::unique_ptr<EmployeeStore>> stores;
  std::vector<std::unique_ptr<EmployeeDirectory>> directories;
  for (SearchPlanning planning :
       {SearchPlanning{}, SearchPlanning{0, 1000000}, SearchPlanning{0, 1}, SearchPlanning{2, 3}}) {
    stores.push_back(std::make_unique<EmployeeStore>(*db_, planning));
    directories.push_back(
        std::make_unique<EmployeeDirectory>(*stores.back(), snapshots_, netra::testing::ShippedRegions(), hasher_));
  }
  auto all_pages = AllPages;
  int non_empty = 0;
  for (std::string query : {"sit", "SITI", "si am", "budi", "s", "sitom", "eka", "\xC3\x89ka", "o brien", "zz"}) {
    for (std::string region : {"", "33", "33.74", "31.71"}) {
      for (std::string agency : {"", "PEMKAB-CLP"}) {
        for (int page_size : {1, 2, 50}) {
          EmployeeSearch search{query, region, agency, region.empty() ? 0 : 1, page_size, ""};
          auto expected = all_pages(*directories[0], search);
          non_empty += !expected.empty();
          for (size_t plan = 1; plan < directories.size(); ++plan) {
            EXPECT_EQ(all_pages(*directories[plan], search), expected)
                << "query '" << query << "' region '" << region << "' agency '" << agency << "' page size "
                << page_size << " plan " << plan;
          }
        }
      }
    }
  }
  EXPECT_GT(non_empty, 100);  // the comparison is not vacuous
  // And the merge is exact: every page equals a filter of all employees,
  // with no region, one region (the indexes led by the region) or a province.
  for (std::string query : {"sit", "si am", "s", "eka", "o brien", ""}) {
    for (std::string region : {"", "33.74", "33.01", "33"}) {
      if (query.empty() && region.empty()) continue;  // not a search
      EmployeeSearch search{query, region, "", region.empty() ? 0 : 1, 2, ""};
      std::vector<std::pair<std::string, std::string>> all;  // (folded name, id) of every match
      std::vector<std::string> prefixes;
      for (absl::string_view t : absl::StrSplit(query, ' ', absl::SkipEmpty())) {
        prefixes.push_back(FoldName(std::string(t)));
      }
      for (size_t i = 0; i < names.size(); ++i) {
        const std::string serial = std::to_string(i + 1);
        const std::string work_region = i % 3 == 0 ? "33.74" : i % 3 == 1 ? "33.01" : "31.71";
        if (!region.empty() && work_region != region && !work_region.starts_with(region + ".")) continue;
        if (NameKeyMatches(FoldName(names[i]), prefixes)) {
          all.emplace_back(FoldName(names[i]), "198503122010012" + std::string(3 - serial.size(), '0') + serial);
        }
      }
      std::sort(all.begin(), all.end());
      std::vector<std::string> expected;
      for (const auto& [key, id] : all) expected.push_back(id);
      for (size_t plan = 0; plan < directories.size(); ++plan) {
        EXPECT_EQ(all_pages(*directories[plan], search), expected)
            << "query '" << query << "' region '" << region << "' plan " << plan;
      }
    }
  }
  EXPECT_EQ(all_pages(*directories[1], EmployeeSearch{"sit", "", "", 0, 3, ""}).size(), 11u);
}

// A search reads its rows in chunks (each statement's whole result arrives
// at once on PostgreSQL): 300 names that share the driving token but not the
// second prefix come first in name order, so the matches lie chunks later.
TEST_P(EmployeesTest, ASearchFindsMatchesChunksPastRowsThatDoNotMatch) {
  int serial = 0;
  auto add = [&](const std::string& name) {
    const std::string number = std::to_string(++serial);
    ASSERT_TRUE(Upsert(Pns("198503122010012" + std::string(3 - number.size(), '0') + number, name)).ok()) << name;
  };
  for (char a = 'a'; a <= 'z' && serial < 300; ++a) {
    for (char b = 'a'; b <= 'z' && serial < 300; ++b) add(std::string("Budi A") + a + b);
  }
  for (std::string name : {"Budi Zed", "Budi Zedan", "Zed Budi"}) add(name);
  const std::vector<std::string> expected = {"198503122010012301", "198503122010012302", "198503122010012303"};
  EmployeeStore walking(*db_, SearchPlanning{0, 1000000});
  EmployeeDirectory walk(walking, snapshots_, netra::testing::ShippedRegions(), hasher_);
  for (EmployeeDirectory* directory : {directory_.get(), &walk}) {
    EXPECT_EQ(AllPages(*directory, EmployeeSearch{"budi ze", "", "", 0, 2, ""}), expected);
    EXPECT_EQ(AllPages(*directory, EmployeeSearch{"ze bu", "", "", 0, 1, ""}), expected);
  }
}

// The driving prefix starts several tokens whose first rows (more than a
// chunk of them) do not match: the merge goes on past its first chunk, token
// by token (on PostgreSQL after one statement for all of them), and finds
// each match once, with and without a region.
TEST_P(EmployeesTest, AMergeOfSeveralTokensFindsMatchesPastItsFirstChunk) {
  int serial = 0;
  auto add = [&](const std::string& name) {
    const std::string number = std::to_string(++serial);
    ASSERT_TRUE(Upsert(Pns("198503122010012" + std::string(3 - number.size(), '0') + number, name)).ok()) << name;
  };
  for (int i = 0; i < 100; ++i) add(i % 2 == 0 ? "Wahyu" : "Wati");
  for (std::string name : {"Wati Zed", "Wahyu Zed", "Zed Wahyu"}) add(name);
  for (std::string name : {"Zeb", "Zec", "Zef", "Zeg", "Zeh", "Zek"}) add(name);  // "ze" starts more tokens
  const std::vector<std::string> expected = {"198503122010012102", "198503122010012101", "198503122010012103"};
  const std::string region = directory_->Get("198503122010012001").value().work_region_code;
  for (const std::string& in : {std::string(), region}) {
    for (int page_size : {1, 2, 50}) {
      EXPECT_EQ(AllPages(*directory_, EmployeeSearch{"wa ze", in, "", 0, page_size, ""}), expected)
          << "region '" << in << "' page size " << page_size;
    }
  }
}

// A conjunction whose driving tokens have long runs of rows without the
// other prefix: the scan leaps over each run to the other prefix's next row
// (not always a match: "Bab Budiman"), reads the driving token from that row
// on (a match at the row itself: "Budi Santoso"), and stops once the other
// prefix has no row left. The driving prefix starts two tokens, each read
// from the page position: the second must not take the first's leaps
// ("Ayu Budi Santoso" lies before them). Each match is found once, in name
// order, on every page size and region.
TEST_P(EmployeesTest, AConjunctionLeapsOverRowsWithoutItsOtherPrefix) {
  std::map<std::string, std::string> ids;  // by name
  auto add = [&](const std::string& name) {
    const std::string number = std::to_string(ids.size() + 1);
    const std::string nip = "198503122010012" + std::string(3 - number.size(), '0') + number;
    ids[name] = nip;
    ASSERT_TRUE(Upsert(Pns(nip, name)).ok()) << name;
  };
  auto run_of = [&](const std::string& first, const std::string& last, int count) {  // no "budi"
    for (int i = 0; i < count; ++i) {
      add(first + static_cast<char>('a' + i / 26) + static_cast<char>('a' + i % 26) + " " + last);
    }
  };
  run_of("A", "Santoso", 200);
  for (std::string name : {"Ayu Budi Santoso", "Bab Budiman"}) add(name);
  run_of("Bb", "Santoso", 100);
  run_of("Bc", "Santi", 100);
  for (std::string name : {"Budi Santoso", "Budiono Santoso"}) add(name);
  run_of("C", "Santoso", 200);
  for (std::string name : {"Zed Budi Santi", "Zed Budi Santoso"}) add(name);
  run_of("Zz", "Santoso", 80);
  std::vector<std::string> expected, expected_zed;
  for (std::string name :
       {"Ayu Budi Santoso", "Budi Santoso", "Budiono Santoso", "Zed Budi Santi", "Zed Budi Santoso"}) {
    expected.push_back(ids.at(name));
    if (name.starts_with("Zed")) expected_zed.push_back(ids.at(name));
  }
  const std::string region = directory_->Get(expected[0]).value().work_region_code;
  for (const std::string& in : {std::string(), region, region.substr(0, 2)}) {
    for (int page_size : {1, 2, 50}) {
      for (std::string query : {"budi san", "san budi"}) {
        EXPECT_EQ(AllPages(*directory_, EmployeeSearch{query, in, "", 0, page_size, ""}), expected)
            << query << " region '" << in << "' page size " << page_size;
      }
      EXPECT_EQ(AllPages(*directory_, EmployeeSearch{"san zed bud", in, "", 0, page_size, ""}), expected_zed)
          << "region '" << in << "' page size " << page_size;
    }
  }
}

// A prefix that starts many tokens (on PostgreSQL a merge's first chunk is
// one statement for all of them): every token's employee is found, once, in
// name order, by the default plans (a merge of 26 tokens, a walk over 70) and
// by a walk that hands every token over to the merge at once.
TEST_P(EmployeesTest, APrefixOfManyTokensFindsTheEmployeesOfEachToken) {
  std::vector<std::pair<std::string, std::string>> employees;  // (name, id)
  for (int i = 0; i < 70; ++i) {
    const std::string number = std::to_string(i + 1);
    const std::string nip = "198503122010012" + std::string(3 - number.size(), '0') + number;
    // "Zebaa" ... "Zebcr": one token each, inserted in reverse name order.
    const int k = 69 - i;
    employees.emplace_back(std::string("Zeb") + static_cast<char>('a' + k / 26) + static_cast<char>('a' + k % 26), nip);
    ASSERT_TRUE(Upsert(Pns(nip, employees.back().first)).ok());
  }
  std::sort(employees.begin(), employees.end());
  EmployeeStore handing_over(*db_, SearchPlanning{0, 1});
  EmployeeDirectory walk_then_merge(handing_over, snapshots_, netra::testing::ShippedRegions(), hasher_);
  for (std::string query : {"zeba", "zeb"}) {  // 26 tokens, 70 tokens
    std::vector<std::string> expected;
    for (const auto& [name, id] : employees) {
      if (absl::AsciiStrToLower(name).starts_with(query)) expected.push_back(id);
    }
    for (EmployeeDirectory* directory : {directory_.get(), &walk_then_merge}) {
      for (int page_size : {2, 7, 50}) {  // AllPages reads at most 60 pages
        EXPECT_EQ(AllPages(*directory, EmployeeSearch{query, "", "", 0, page_size, ""}), expected)
            << query << " page size " << page_size;
      }
    }
  }
}

NETRA_STORE_BACKENDS(EmployeesTest);

TEST(NameKeyMatchesTest, EveryQueryTokenMustStartATokenOfTheFoldedName) {
  const std::vector<std::string> sit_am = {"sit", "am"};
  EXPECT_TRUE(NameKeyMatches("siti aminah", sit_am));
  EXPECT_TRUE(NameKeyMatches("aminah siti", sit_am));
  EXPECT_FALSE(NameKeyMatches("siti rahma", sit_am));
  const std::vector<std::string> brien = {"brien"};
  EXPECT_TRUE(NameKeyMatches("o'brien", brien));       // punctuation separates tokens
  EXPECT_TRUE(NameKeyMatches("dewi sartika-brien", brien));
  EXPECT_FALSE(NameKeyMatches("obrien", brien));        // prefixes only
  const std::vector<std::string> both_in_one = {"ami", "am"};
  EXPECT_TRUE(NameKeyMatches("aminah", both_in_one));  // one token may serve two prefixes
}

// The matcher a search uses answers as NameKeyMatches does, over names with
// old spellings, joined words, punctuation and one longer than its token cap.
TEST(NameMatcherTest, AgreesWithNameKeyMatches) {
  std::vector<std::string> names = {"Siti Aminah", "Soekarno Djojo", "Tjahjo Kumolo", "Nur Aini", "Nuraini",
                                    "O'Brien Sit", "Dewi Sartika-Siti", "Yusuf", "Joko Widodo", "Djoko Santoso",
                                    "\xC3\x89ka Situmorang", "a b", ""};
  std::string long_name;
  for (int i = 0; i < 50; ++i) long_name += (i ? " " : "") + std::string(1, static_cast<char>('a' + i % 26)) + "w";
  names.push_back(long_name + " zulkifli");
  const std::vector<std::vector<std::string>> queries = {
      {"sit"}, {"si", "am"}, {"sukarno"}, {"djo"}, {"yoyo"}, {"cahyo"}, {"tjah"}, {"nuraini"}, {"nura"},
      {"nur", "ai"}, {"brien"}, {"obrien"}, {"sartikas"}, {"joko", "wid"}, {"yoko"}, {"ek"}, {"ab"},
      {"zulk"}, {"aw", "zul"}, {"awbw"}, {""}, {"s", "s"}, {"x"}};
  int matched = 0;
  for (const std::string& name : names) {
    const std::string key = FoldName(name);
    for (const auto& query : queries) {
      std::vector<std::string> prefixes;
      for (const auto& word : query) prefixes.push_back(FoldName(word));
      const bool expected = NameKeyMatches(key, prefixes);
      matched += expected;
      EXPECT_EQ(NameMatcher(prefixes)(key), expected) << "'" << name << "' ~ '" << absl::StrJoin(query, " ") << "'";
    }
  }
  EXPECT_GT(matched, 20);  // both answers occur
}

TEST_P(EmployeesTest, DisciplinaryStatusFollowsTheCaseSequence) {
  ASSERT_TRUE(Upsert(Pns()).ok());
  DisciplinaryUpdate update;
  update.request_id = "case-1/status/2";
  update.employee_id = kNipMale;
  update.record.case_id = "case-1";
  update.record.state = DisciplinaryState::kUnderSanction;
  update.record.level = 4;
  update.record.forms = {9};
  update.record.source_sequence = 2;
  auto set = directory_->SetDisciplinaryStatus(update);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_TRUE(set.value().changed);
  EXPECT_EQ(set.value().employee.disciplinary_state, DisciplinaryState::kUnderSanction);
  ASSERT_EQ(set.value().employee.disciplinary_records.size(), 1u);
  EXPECT_EQ(set.value().employee.disciplinary_records[0].forms, std::vector<int>{9});
  EXPECT_EQ(set.value().employee.version, 2);

  auto repeat = directory_->SetDisciplinaryStatus(update);  // a retry
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat.value().changed);
  EXPECT_EQ(repeat.value().employee.version, 2);

  auto cleared = update;
  cleared.record.state = DisciplinaryState::kNone;
  cleared.record.source_sequence = 5;
  EXPECT_TRUE(directory_->SetDisciplinaryStatus(cleared).value().changed);
  auto late = update;  // an older event arriving late must not revive the sanction
  late.record.source_sequence = 3;
  auto after = directory_->SetDisciplinaryStatus(late);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after.value().changed);
  EXPECT_EQ(after.value().employee.disciplinary_state, DisciplinaryState::kNone);
  EXPECT_TRUE(after.value().employee.disciplinary_records.empty());

  auto blocked = update;
  blocked.record.case_id = "case-2";
  blocked.record.state = DisciplinaryState::kDataBlocked;
  blocked.record.source_sequence = 1;
  EXPECT_EQ(directory_->SetDisciplinaryStatus(blocked).value().employee.disciplinary_state,
            DisciplinaryState::kDataBlocked);

  auto unknown = update;
  unknown.employee_id = kNipFemale;
  EXPECT_EQ(directory_->SetDisciplinaryStatus(unknown).error().kind, Error::Kind::kNotFound);
  auto invalid = update;
  invalid.record.source_sequence = 0;
  invalid.record.case_id.clear();
  EXPECT_EQ(directory_->SetDisciplinaryStatus(invalid).error().violations.size(), 2u);
}

}  // namespace
}  // namespace netra::registry

// Tests for services/registry/employees.h over a real store, SQLite and
// PostgreSQL (bulk loads too, which on PostgreSQL defer only indexes): validation
// of every field (DOMAIN.md §2), upsert semantics, idempotency, search, import
// and disciplinary status.
#include "services/registry/employees.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/store.h"
#include "services/registry/employee_store.h"
#include "services/registry/registry_store.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

// Valid identifiers of two people (see DOMAIN.md §2 for the layouts).
constexpr char kNipMale[] = "198503122010011001";     // born 1985-03-12, male
constexpr char kNikMale[] = "3374011203850001";       // born 12-03-85, male
constexpr char kNipFemale[] = "199001012015022003";   // born 1990-01-01, female
constexpr char kNikFemale[] = "3374014101900002";     // day 01 + 40: female
constexpr char kNiPppk[] = "198805152023012005";      // born 1988-05-15, female

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

Employee Pns(std::string nip = kNipMale, std::string name = "Budi Santoso") {
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

class EmployeesTest : public netra::testing::StoreBackendTest {
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

// The ids of every page of `search` (at most 60 pages), in order.
std::vector<std::string> AllPages(EmployeeDirectory& directory, EmployeeSearch search) {
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
  // And the merge is exact: every page equals a filter of all employees.
  for (std::string query : {"sit", "si am", "s", "eka", "o brien"}) {
    EmployeeSearch search{query, "", "", 0, 2, ""};
    std::vector<std::pair<std::string, std::string>> all;  // (folded name, id) of every match
    std::vector<std::string> prefixes;
    for (absl::string_view t : absl::StrSplit(query, ' ')) prefixes.push_back(FoldName(std::string(t)));
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string serial = std::to_string(i + 1);
      if (NameKeyMatches(FoldName(names[i]), prefixes)) {
        all.emplace_back(FoldName(names[i]), "198503122010012" + std::string(3 - serial.size(), '0') + serial);
      }
    }
    std::sort(all.begin(), all.end());
    std::vector<std::string> expected;
    for (const auto& [key, id] : all) expected.push_back(id);
    EXPECT_EQ(all_pages(*directories[0], search), expected) << query;
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

ImportRow Row(int64_t number, Employee e, std::string nik = "") { return ImportRow{number, std::move(e), std::move(nik), ""}; }

TEST_P(EmployeesTest, ImportKeepsGoodRowsRejectsBadOnesAndTheSameEmployeeTwice) {
  auto import = directory_->StartImport(0, {}, 2);  // tiny batches: several transactions
  ASSERT_TRUE(import.ok());
  auto& run = *import.value();
  auto bad_region = Pns(kNipFemale);
  bad_region.work_region_code = "33.98";
  EXPECT_FALSE(run.Add(Row(1, Pns(kNipMale), kNikMale)));
  EXPECT_FALSE(run.Add(Row(2, bad_region)));
  EXPECT_FALSE(run.Add(Row(3, Pns(kNipMale, "Budi Lagi"))));  // the same NIP again
  EXPECT_FALSE(run.Add(Row(4, Pns("197001011995031001", "Joko"))));
  EXPECT_FALSE(run.Add(Row(5, Pns(kNipFemale, std::string(300, 'a')))));
  auto summary = run.Finish();
  ASSERT_TRUE(summary.ok());
  const auto& s = summary.value();
  EXPECT_EQ(s.received, 5);
  EXPECT_EQ(s.inserted, 2);
  EXPECT_EQ(s.rejected, 3);
  ASSERT_EQ(s.row_errors.size(), 3u);
  EXPECT_EQ(s.row_errors[0].row_number, 2);
  EXPECT_EQ(s.row_errors[0].violations.list()[0].field, "employee.work_region_code");
  EXPECT_EQ(s.row_errors[1].row_number, 3);
  EXPECT_EQ(s.row_errors[1].employee_id, kNipMale);
  EXPECT_EQ(s.row_errors[1].violations.list()[0].field, "employee.nip");
  EXPECT_EQ(s.row_errors[1].violations.list()[0].reason, ViolationReason::kInconsistent);
  EXPECT_EQ(s.row_errors[2].violations.list()[0].field, "employee.name");
  EXPECT_EQ(directory_->Get(kNipMale).value().name, "Budi Santoso");  // the first row wins

  // The same file again: every good row unchanged, nothing published.
  snapshots_.changed.clear();
  auto rerun = directory_->StartImport(0, {}, 2);
  for (auto& row : {Row(1, Pns(kNipMale), kNikMale), Row(4, Pns("197001011995031001", "Joko"))}) {
    EXPECT_FALSE(rerun.value()->Add(row));
  }
  auto again = rerun.value()->Finish();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().unchanged, 2);
  EXPECT_EQ(again.value().inserted + again.value().updated, 0);
  EXPECT_TRUE(snapshots_.changed.empty());
}

TEST_P(EmployeesTest, ImportReturnsOnlyTheFirstRowErrors) {
  auto import = directory_->StartImport(2);
  auto bad = Pns();
  bad.nip = "bad";
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(import.value()->Add(Row(i, bad)));
  auto s = import.value()->Finish().value();
  EXPECT_EQ(s.rejected, 5);
  EXPECT_EQ(s.row_errors.size(), 2u);
  EXPECT_TRUE(s.row_errors_truncated);
  EXPECT_FALSE(directory_->StartImport(10001).ok());
}

// ---- bulk loads ----------------------------------------------------------------

// Employee i of a set whose names share prefixes in different tokens, over
// three regions and two agencies.
Employee Numbered(int i) {
  static const std::vector<std::string> kNames = {
      "Siti Aminah", "Budi Santoso", "Santi Budiarti", "Ahmad Sitompul", "Sitti Rahma", "Dewi Sartika-Siti",
      "O'Brien Sit", "Sri Sitawati", "\xC3\x89ka Situmorang", "Ani Budi Siti", "Yusuf"};
  const std::string serial = std::to_string(i + 1);
  Employee e = Pns("198503122010012" + std::string(3 - serial.size(), '0') + serial,
                   kNames[static_cast<size_t>(i) % kNames.size()] + " " + std::to_string(i / 7));
  e.work_region_code = i % 3 == 0 ? "33.74" : i % 3 == 1 ? "33.01" : "31.71";
  if (i % 2 == 1) e.agency_code = "PEMKAB-CLP";
  return e;
}

TEST_P(EmployeesTest, AnImportOfManyRowsStoresIndexesAndCountsEveryOne) {
  // One batch of 300 rows (on PostgreSQL: statements of 256, 32, 8 and 4 rows).
  auto import = directory_->StartImport(0, {}, /*batch_rows=*/400);
  ASSERT_TRUE(import.ok());
  for (int i = 0; i < 300; ++i) EXPECT_FALSE(import.value()->Add(Row(i + 1, Numbered(i))));
  auto summary = import.value()->Finish();
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary.value().inserted, 300);
  ExpectTokensOfEveryName();
  EXPECT_EQ(directory_->Get(Numbered(299).nip).value().name, Numbered(299).name);

  // Again, with every 30th renamed and 5 more: each row counted as what it is.
  auto rerun = directory_->StartImport(0, {}, 400);
  for (int i = 0; i < 305; ++i) {
    Employee e = Numbered(i);
    if (i % 30 == 0) e.name = "Renamed " + std::to_string(i);
    EXPECT_FALSE(rerun.value()->Add(Row(i + 1, e)));
  }
  auto again = rerun.value()->Finish();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again.value().unchanged, 290);
  EXPECT_EQ(again.value().updated, 10);
  EXPECT_EQ(again.value().inserted, 5);
  ExpectTokensOfEveryName();
  EXPECT_EQ(AllPages(*directory_, EmployeeSearch{"renamed", "", "", 0, 4, ""}).size(), 11u);  // 10 updated, 1 new
  EXPECT_EQ(directory_->Get(Numbered(30).nip).value().version, 2);
}

// Small batches, so that several are written while later rows arrive (on
// PostgreSQL two at a time, ConcurrentBatches): every row is counted once, in
// the summary and in the per-batch reports, and every name is searchable.
TEST_P(EmployeesTest, AnImportInManySmallBatchesCountsEveryRowOnce) {
  std::atomic<int64_t> reported{0};
  auto import = directory_->StartImport(0, [&](const ImportSummary& batch) { reported += batch.inserted; },
                                        /*batch_rows=*/16);
  ASSERT_TRUE(import.ok());
  for (int i = 0; i < 300; ++i) EXPECT_FALSE(import.value()->Add(Row(i + 1, Numbered(i))));
  auto summary = import.value()->Finish();
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary.value().inserted, 300);
  EXPECT_EQ(reported.load(), 300);
  ExpectTokensOfEveryName();
  for (int i : {0, 15, 16, 17, 150, 299}) EXPECT_TRUE(directory_->Get(Numbered(i).nip).ok()) << i;
}

class BulkLoadTest : public EmployeesTest {
 protected:
  EmployeeWrite Write(Employee e) { return std::get<EmployeeWrite>(directory_->Prepare(std::move(e), "", "employee", "nik")); }

  // The indexes that a bulk load drops: those that no constraint needs.
  std::set<std::string> SecondaryIndexes() {
    return db_->Read([](Connection& c) {
      std::set<std::string> names;
      auto s = c.Prepare(
          c.dialect() == Dialect::kSqlite
              ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('employees', "
                "'employee_name_tokens') AND sql IS NOT NULL"
              : "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid IN "
                "(CAST('employees' AS regclass), CAST('employee_name_tokens' AS regclass)) AND NOT i.indisunique");
      while (s.Step()) names.insert(s.ColumnText(0));
      return names;
    });
  }

  // Every page of every search of a fixed set, as ids in order, through `directory`.
  std::vector<std::vector<std::string>> AllSearches(EmployeeDirectory& directory) {
    std::vector<std::vector<std::string>> out;
    for (std::string query : {"sit", "si am", "budi", "s", "eka", "o brien", "baru", "zz", ""}) {
      for (std::string region : {"", "33", "31.71"}) {
        for (int page_size : {2, 50}) {
          out.push_back(
              AllPages(directory, EmployeeSearch{query, region, "", query.empty() && region.empty() ? 1 : 0, page_size, ""}));
        }
      }
    }
    return out;
  }

  const std::set<std::string> kIndexes = {"employees_by_name", "employees_by_nik", "employee_name_tokens_by_token"};
};

NETRA_STORE_BACKENDS(BulkLoadTest);

TEST_P(BulkLoadTest, SearchesStayExactWhileOpenAndEveryIndexIsBackWhenFinished) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Upsert(Numbered(i)).ok());
  std::vector<EmployeeWrite> writes;
  for (int i = 10; i < 40; ++i) writes.push_back(Write(Numbered(i)));
  EXPECT_FALSE(store_->UpsertBatch(std::span(writes).first(2), /*may_open_bulk_load=*/false).bulk_opened);
  auto batch = store_->UpsertBatch(std::span(writes).subspan(2), /*may_open_bulk_load=*/true);
  ASSERT_TRUE(batch.bulk_opened);
  EXPECT_EQ(batch.results, std::vector<UpsertResult>(28, UpsertResult::kCreated));
  EXPECT_TRUE(store_->BulkLoadOpen());
  EXPECT_TRUE(SecondaryIndexes().empty());
  // While it is open: a new employee, and renames of one indexed before the
  // load and of one written by it (no tokens yet).
  ASSERT_TRUE(Upsert(Numbered(40)).ok());
  auto renamed_before = Numbered(3), renamed_during = Numbered(20);
  renamed_before.name = "Sitompul Baru";
  renamed_during.name = "Aminah Siti Baru";
  ASSERT_TRUE(Upsert(renamed_before, "", 1).ok());
  ASSERT_TRUE(Upsert(renamed_during, "", 1).ok());
  // A batch while the load is open inserts first and looks up only the ids
  // it finds taken: unchanged, changed and new rows are still told apart.
  auto renamed_in_batch = Numbered(11);
  renamed_in_batch.name = "Budi Berubah";
  std::vector<EmployeeWrite> mixed = {Write(Numbered(10)), Write(renamed_in_batch), Write(Numbered(41))};
  EXPECT_EQ(store_->UpsertBatch(mixed, true).results,
            (std::vector<UpsertResult>{UpsertResult::kUnchanged, UpsertResult::kUpdated, UpsertResult::kCreated}));
  EXPECT_EQ(directory_->Get(renamed_in_batch.nip).value().name, "Budi Berubah");
  EXPECT_EQ(directory_->Get(renamed_in_batch.nip).value().version, 2);
  const auto during = AllSearches(*directory_);
  EmployeeStore chunked(*db_, SearchPlanning{.bulk_scan_chunk = 3});  // the scan resumed every third row
  EmployeeDirectory chunked_directory(chunked, snapshots_, netra::testing::ShippedRegions(), hasher_);
  EXPECT_EQ(AllSearches(chunked_directory), during);

  store_->FinishBulkLoad();
  EXPECT_FALSE(store_->BulkLoadOpen());
  EXPECT_EQ(SecondaryIndexes(), kIndexes);
  ExpectTokensOfEveryName();
  EXPECT_EQ(AllSearches(*directory_), during);
  EmployeeStore walking(*db_, SearchPlanning{0, 1000000});  // the index-walking plan agrees too
  EmployeeDirectory walking_directory(walking, snapshots_, netra::testing::ShippedRegions(), hasher_);
  EXPECT_EQ(AllSearches(walking_directory), during);
  EXPECT_EQ(during[0].size(), 30u);  // "sit", every page: not vacuous
  store_->FinishBulkLoad();          // none open: nothing to do
}

TEST_P(BulkLoadTest, ALoadLeftOpenByACrashIsFinishedAtTheNextStart) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Upsert(Numbered(i)).ok());
  std::vector<EmployeeWrite> writes;
  for (int i = 5; i < 30; ++i) writes.push_back(Write(Numbered(i)));
  ASSERT_TRUE(store_->UpsertBatch(writes, true).bulk_opened);
  const auto during = AllSearches(*directory_);
  // The process dies: nothing finishes the load.
  Close();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(store_->BulkLoadOpen());
  EXPECT_FALSE(store_->BulkLoadOwned());
  directory_->RecoverBulkLoad();
  EXPECT_FALSE(store_->BulkLoadOpen());
  EXPECT_EQ(SecondaryIndexes(), kIndexes);
  ExpectTokensOfEveryName();
  EXPECT_EQ(AllSearches(*directory_), during);
}

TEST_P(BulkLoadTest, ALargeImportCutOffFinishesItsLoadAndARerunCountsExactly) {
  {
    auto import = directory_->StartImport(0, {}, /*batch_rows=*/4, /*bulk_min_rows=*/4);
    ASSERT_TRUE(import.ok());
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(import.value()->Add(Row(i + 1, Numbered(i))));
    EXPECT_TRUE(store_->BulkLoadOpen());  // the second batch waited for the first
    // Destroyed without Finish: the stream was cut off after 10 rows.
  }
  EXPECT_FALSE(store_->BulkLoadOpen());
  EXPECT_EQ(SecondaryIndexes(), kIndexes);
  ExpectTokensOfEveryName();
  EXPECT_TRUE(directory_->Get(Numbered(7).nip).ok());   // in the two batches handed over
  EXPECT_FALSE(directory_->Get(Numbered(8).nip).ok());  // still queued when cut off

  auto rerun = directory_->StartImport(0, {}, 4, 4);
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(rerun.value()->Add(Row(i + 1, Numbered(i))));
  auto summary = rerun.value()->Finish();
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary.value().unchanged, 8);
  EXPECT_EQ(summary.value().inserted, 22);
  EXPECT_FALSE(store_->BulkLoadOpen());
  EXPECT_EQ(SecondaryIndexes(), kIndexes);
  ExpectTokensOfEveryName();
  EXPECT_EQ(AllSearches(*directory_)[0].size(), 22u);  // "sit" finds every such name
}

// FTS5 was SQLite's.
class SqliteBulkLoadTest : public BulkLoadTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SqliteBulkLoadTest, ::testing::Values(Dialect::kSqlite),
                         netra::testing::BackendName);

TEST_P(SqliteBulkLoadTest, AStoreOfTheFts5SchemaGetsItsNameTokensAtTheNextStart) {
  // A store as migration 6 left it, with employees in the table and FTS5.
  Close();
  std::filesystem::remove(url_.path);
  std::string error;
  auto old = Database::Open(url_.path, std::span(kMigrations).first(6), &error);
  ASSERT_TRUE(old) << error;
  old->Write([](Connection& c) {
    for (int i = 0; i < 12; ++i) {
      const Employee e = Numbered(i);
      auto insert = c.Prepare(
          "INSERT INTO employees(employee_id, employee_type, agency_staff_id, name, name_key, gender, birth_date, "
          "agency_code, agency_name, unit_code, unit_name, position, rank, work_region_code, employment_status, "
          "ppk_code, ppk_name, ppk_region_code, content_hash, version, created_at, updated_at) "
          "VALUES(?1, 1, '', ?2, ?3, 1, 19850312, ?4, 'x', '', '', '', '', ?5, 1, 'p', 'p', '33', x'00', 1, 0, 0)");
      insert.Bind(1, e.nip).Bind(2, e.name).Bind(3, FoldName(e.name)).Bind(4, e.agency_code).Bind(5, e.work_region_code);
      insert.Run();
      auto fts = c.Prepare("INSERT INTO employees_fts(rowid, name) VALUES(?1, ?2)");
      fts.Bind(1, c.LastInsertRowId()).Bind(2, e.name);
      fts.Run();
    }
    return 0;
  });
  old.reset();

  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_TRUE(store_->BulkLoadOpen());  // migration 7 left the tokens to the start
  const auto before = AllSearches(*directory_);  // exact meanwhile, by scanning
  directory_->RecoverBulkLoad();
  EXPECT_FALSE(store_->BulkLoadOpen());
  EXPECT_EQ(SecondaryIndexes(), kIndexes);
  ExpectTokensOfEveryName();
  EXPECT_EQ(AllSearches(*directory_), before);
  EXPECT_EQ(before[0].size(), 9u);  // "sit", every page: 9 of the 12 names
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

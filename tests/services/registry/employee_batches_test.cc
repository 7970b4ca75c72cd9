// Tests for services/registry/employee_batches.cc through EmployeeDirectory,
// over a real store, SQLite and PostgreSQL: imports (good rows kept, bad ones
// reported, every row counted once) and the bulk loads of large ones (which on
// PostgreSQL defer only indexes): open, searched while open, finished, left
// open by a crash, cut off and re-run.
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
#include "services/registry/employees.h"
#include "services/registry/registry_store.h"
#include "tests/common/store_backends.h"
#include "tests/services/registry/employees_fixture.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

using testing::AllPages;
using testing::kNikMale;
using testing::kNipFemale;
using testing::kNipMale;
using testing::Pns;

ImportRow Row(int64_t number, Employee e, std::string nik = "") { return ImportRow{number, std::move(e), std::move(nik), ""}; }

class EmployeeImportTest : public testing::EmployeesFixture {};
NETRA_STORE_BACKENDS(EmployeeImportTest);

TEST_P(EmployeeImportTest, ImportKeepsGoodRowsRejectsBadOnesAndTheSameEmployeeTwice) {
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

TEST_P(EmployeeImportTest, ImportReturnsOnlyTheFirstRowErrors) {
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

TEST_P(EmployeeImportTest, AnImportOfManyRowsStoresIndexesAndCountsEveryOne) {
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
TEST_P(EmployeeImportTest, AnImportInManySmallBatchesCountsEveryRowOnce) {
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

class BulkLoadTest : public testing::EmployeesFixture {
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

  const std::set<std::string> kIndexes = {"employees_by_name", "employees_by_nik", "employee_name_tokens_by_token",
                                          "employees_by_region_name", "employee_name_tokens_by_region"};
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

}  // namespace
}  // namespace netra::registry

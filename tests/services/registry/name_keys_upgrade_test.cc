// A registry store written before names had one normal form (schema up to
// migration 8, name keys and tokens as that build folded them) is upgraded in
// place: migration 9's marker makes EmployeeStore rebuild every name key, and
// the bulk load it opens writes every token again before the registry serves.
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_split.h"
#include "common/names.h"
#include "common/sqlite.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/registry_store.h"
#include "tests/support/test_support.h"

namespace netra::registry {
namespace {

// Names and the keys the previous fold stored for them (ASCII and Latin
// letters lowered, diacritics of composed letters removed, punctuation kept,
// a combining mark kept as it was).
const std::pair<const char*, const char*> kStored[] = {
    {"De\xCC\x81" "de\xCC\x81 Ma'ruf", "de\xCC\x81" "de\xCC\x81 ma'ruf"},  // written decomposed
    {"Siti Nur-Aini", "siti nur-aini"},
    {"Soekarno Djojohadikoesoemo", "soekarno djojohadikoesoemo"},
    {"H. Ahmad Fauzi, S.Pd., M.Si.", "h. ahmad fauzi, s.pd., m.si."},
    {"\xEF\xBC\xA2\xEF\xBD\x95\xEF\xBD\x84\xEF\xBD\x89 Santoso", "\xEF\xBC\xA2\xEF\xBD\x95\xEF\xBD\x84\xEF\xBD\x89 santoso"},  // Ｂｕｄｉ
};

std::set<std::string> Found(EmployeeStore& store, const std::string& query) {
  EmployeeQuery q;
  q.name_prefixes = absl::StrSplit(FoldName(query), ' ', absl::SkipEmpty());
  std::set<std::string> names;
  for (const auto& e : store.Search(q)) names.insert(e.name);
  return names;
}

TEST(NameKeysUpgradeTest, AStoreOfThePreviousFoldFindsEveryoneInEveryForm) {
  netra::testing::TempDir dir;
  const std::string path = dir.File("registry.db");
  std::string error;
  {
    auto old = Database::Open(path, std::span(kMigrations).first(8), &error);
    ASSERT_TRUE(old) << error;
    EmployeeStore store(*old);
    std::vector<EmployeeWrite> writes;
    int serial = 1;
    for (const auto& [name, stored_key] : kStored) {
      EmployeeWrite w;
      w.employee.employee_id = "19850312201001200" + std::to_string(serial++);
      w.employee.nip = w.employee.employee_id;
      w.employee.employee_type = static_cast<int>(EmployeeType::kPns);
      w.employee.name = name;
      w.employee.agency_code = "PEMKOT-SMG";
      w.employee.work_region_code = "33.74";
      w.content_hash = w.employee.employee_id;
      w.name_key = stored_key;
      writes.push_back(std::move(w));
    }
    store.UpsertBatch(writes);
    // The tokens that build wrote (split at ASCII punctuation, no spelling keys).
    old->Write([](Connection& c) {
      c.Exec("UPDATE employee_name_tokens SET token = 'old-' || token");
      return 0;
    });
  }

  auto db = Database::Open(path, kMigrations, &error);
  ASSERT_TRUE(db) << error;
  EmployeeStore store(*db);  // refolds
  EXPECT_TRUE(store.BulkLoadOpen());
  const std::string dede = kStored[0].first;
  EXPECT_EQ(Found(store, "D\xC3\xA9" "d\xC3\xA9"), std::set<std::string>{dede});  // exact meanwhile, by scanning
  store.FinishBulkLoad();
  EXPECT_FALSE(store.BulkLoadOpen());

  db->Read([&](Connection& c) {
    std::multiset<std::string> expected, stored;
    auto all = c.Prepare("SELECT name, name_key, employee_id FROM employees");
    while (all.Step()) {
      EXPECT_EQ(all.ColumnText(1), FoldName(all.ColumnText(0)));
      for (const auto& token : NameTokens(all.ColumnText(1))) expected.insert(token + "|" + all.ColumnText(2));
    }
    auto tokens = c.Prepare("SELECT token, employee_id FROM employee_name_tokens");
    while (tokens.Step()) stored.insert(tokens.ColumnText(0) + "|" + tokens.ColumnText(1));
    EXPECT_EQ(stored, expected);
    return 0;
  });
  EXPECT_EQ(Found(store, "D\xC3\xA9" "d\xC3\xA9 Maruf"), std::set<std::string>{dede});
  EXPECT_EQ(Found(store, "Ma\xE2\x80\x99ruf"), std::set<std::string>{dede});
  EXPECT_EQ(Found(store, "Nuraini"), std::set<std::string>{"Siti Nur-Aini"});
  EXPECT_EQ(Found(store, "Sukarno"), std::set<std::string>{"Soekarno Djojohadikoesoemo"});
  EXPECT_EQ(Found(store, "Ahmad Fauzi"), std::set<std::string>{"H. Ahmad Fauzi, S.Pd., M.Si."});
  EXPECT_EQ(Found(store, "Budi"), std::set<std::string>{kStored[4].first});
  EXPECT_EQ(RefoldNameKeys(*db), 0);  // once only: the marker is gone
}

}  // namespace
}  // namespace netra::registry

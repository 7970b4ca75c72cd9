#include "common/catalog_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_support.h"

namespace netra {
namespace {

Result<size_t> Length(const std::string& text) {
  if (text.empty()) {
    Violations v;
    v.Add("violation_types", ViolationReason::kRequired, "is required");
    return Error::Invalid(std::move(v));
  }
  return text.size();
}

TEST(CatalogFileTest, HandsTheShippedFileToItsReader) {
  std::string error;
  auto length = LoadCatalogFile<size_t>(NETRA_SOURCE_DIR "/data", Length, &error);
  ASSERT_TRUE(length) << error;
  EXPECT_GT(*length, 100u);
}

TEST(CatalogFileTest, AMissingFileOrARefusedOneIsAStartUpErrorNamingTheFile) {
  netra::testing::TempDir dir;
  std::string error;
  EXPECT_FALSE(LoadCatalogFile<size_t>(dir.path(), Length, &error));
  EXPECT_EQ(error, "cannot read " + dir.path() + "/violation_catalog.json");

  std::ofstream(dir.path() + "/violation_catalog.json").flush();  // empty
  EXPECT_FALSE(LoadCatalogFile<size_t>(dir.path(), Length, &error));
  EXPECT_EQ(error, dir.path() + "/violation_catalog.json: invalid request; violation_types: is required");
}

}  // namespace
}  // namespace netra

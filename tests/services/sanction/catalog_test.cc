// Tests for services/sanction/catalog.h: the shipped violation catalog, the
// validation of catalog files, ListViolationTypes, and the enum spellings.
#include "services/sanction/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "netra/v1/sanction.pb.h"
#include "netra/v1/types.pb.h"

namespace netra::sanction {
namespace {

std::string ShippedJson() {
  std::ifstream in(NETRA_SOURCE_DIR "/data/violation_catalog.json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const ViolationCatalog& Shipped() {
  static const ViolationCatalog catalog = [] {
    auto parsed = ParseCatalog(ShippedJson());
    if (!parsed.ok()) {
      std::string problems;
      for (const auto& v : parsed.error().violations.list()) problems += v.field + ": " + v.description + "\n";
      ADD_FAILURE() << "shipped catalog rejected:\n" << problems;
      return ViolationCatalog{};
    }
    return parsed.value();
  }();
  return catalog;
}

std::vector<std::string> Codes(const std::vector<ViolationType>& types) {
  std::vector<std::string> out;
  for (const auto& t : types) out.push_back(t.code);
  return out;
}

const std::vector<std::string> kNaturalOrder = {"A1", "A2", "A3", "A4", "A5", "A6",  "A7",  "B1",  "B2",  "B3",
                                                "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12", "B13"};

// ---------------------------------------------------------------------------
// The shipped catalog

TEST(ShippedCatalogTest, HasTheTwentyTypesInNaturalOrder) {
  const auto& catalog = Shipped();
  EXPECT_FALSE(catalog.version.empty());
  EXPECT_EQ(Codes(catalog.violation_types), kNaturalOrder);
  for (const auto& type : catalog.violation_types) {
    EXPECT_EQ(type.category, type.code[0] == 'A' ? ViolationCategory::kEthics : ViolationCategory::kDiscipline)
        << type.code;
    EXPECT_FALSE(type.title_id.empty()) << type.code;
    EXPECT_FALSE(type.title_en.empty()) << type.code;
    EXPECT_FALSE(type.legal_basis.empty()) << type.code;
  }
}

TEST(ShippedCatalogTest, EveryTypeHasOneRuleForEachEmployeeType) {
  for (const auto& type : Shipped().violation_types) {
    ASSERT_EQ(type.sanctions.size(), 3u) << type.code;
    for (auto employee : {EmployeeType::kPns, EmployeeType::kPppk, EmployeeType::kPpnpn}) {
      const SanctionRule* rule = type.RuleFor(employee);
      ASSERT_NE(rule, nullptr) << type.code << " " << Name(employee);
      EXPECT_FALSE(rule->forms.empty()) << type.code << " " << Name(employee);
    }
  }
}

TEST(ShippedCatalogTest, B5IsDishonourableDismissalForPns) {
  const ViolationType* b5 = Shipped().Find("B5");
  ASSERT_NE(b5, nullptr);
  const SanctionRule* pns = b5->RuleFor(EmployeeType::kPns);
  ASSERT_NE(pns, nullptr);
  EXPECT_EQ(pns->level, SanctionLevel::kDismissal);
  EXPECT_EQ(pns->forms, std::vector<SanctionForm>{SanctionForm::kDishonourableDismissal});
  // Ethics violations draw a moral sanction for PNS.
  EXPECT_EQ(Shipped().Find("A1")->RuleFor(EmployeeType::kPns)->level, SanctionLevel::kMoral);
}

TEST(ShippedCatalogTest, FindUsesWholeCodes) {
  const auto& catalog = Shipped();
  ASSERT_NE(catalog.Find("B10"), nullptr);
  EXPECT_EQ(catalog.Find("B10")->code, "B10");
  ASSERT_NE(catalog.Find("B2"), nullptr);
  EXPECT_EQ(catalog.Find("B2")->code, "B2");
  EXPECT_EQ(catalog.Find("B14"), nullptr);
  EXPECT_EQ(catalog.Find("B"), nullptr);
  EXPECT_EQ(catalog.Find("b5"), nullptr);
  EXPECT_EQ(catalog.Find(""), nullptr);
}

TEST(ShippedCatalogTest, FileOrderDoesNotMatterB2SortsBeforeB10) {
  auto json = nlohmann::json::parse(ShippedJson());
  auto& types = json["violation_types"];
  std::reverse(types.begin(), types.end());
  auto parsed = ParseCatalog(json.dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(Codes(parsed.value().violation_types), kNaturalOrder);
}

// ---------------------------------------------------------------------------
// Bad catalogs

nlohmann::json Rule(const char* type, const char* level, std::vector<std::string> forms) {
  return {{"employee_type", type}, {"level", level}, {"forms", forms}};
}

nlohmann::json Type(const char* code) {
  return {{"code", code},
          {"category", "DISCIPLINE"},
          {"title_id", "Judul"},
          {"title_en", "Title"},
          {"legal_basis", "PP 94/2021"},
          {"certainty", "CONFIRMED"},
          {"sanctions",
           {Rule("PNS", "SEVERE", {"DEMOTION_12_MONTHS"}), Rule("PPPK", "SEVERE", {"CONTRACT_TERMINATION"}),
            Rule("PPNPN", "CASE_BY_CASE", {"WRITTEN_REPRIMAND"})}}};
}

nlohmann::json Catalog() { return {{"version", "test-1"}, {"violation_types", {Type("B1"), Type("B2")}}}; }

// The violations of a rejected catalog as "field: reason" strings.
std::vector<std::string> Problems(const nlohmann::json& json) {
  auto parsed = ParseCatalog(json.dump());
  EXPECT_FALSE(parsed.ok()) << json.dump(2);
  std::vector<std::string> out;
  if (parsed.ok()) return out;
  EXPECT_EQ(parsed.error().kind, Error::Kind::kInvalidArgument);
  for (const auto& v : parsed.error().violations.list()) out.push_back(v.field + ": " + std::string(ReasonName(v.reason)));
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += item + "\n";
  return out;
}

void ExpectHas(const std::vector<std::string>& problems, const std::string& expected) {
  EXPECT_NE(std::find(problems.begin(), problems.end(), expected), problems.end())
      << "missing " << expected << " in:\n" << Join(problems);
}

TEST(CatalogValidationTest, MinimalCatalogIsAccepted) {
  auto parsed = ParseCatalog(Catalog().dump());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value().version, "test-1");
  EXPECT_EQ(Codes(parsed.value().violation_types), (std::vector<std::string>{"B1", "B2"}));
}

TEST(CatalogValidationTest, UnknownLevelSpellingIsReportedAtItsPath) {
  auto json = Catalog();
  json["violation_types"][0]["sanctions"][1]["level"] = "Severe";
  // Only the level: the rule still counts for its employee type (PPPK is not "missing").
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[0].sanctions[1].level: UNSUPPORTED"});
}

TEST(CatalogValidationTest, UnknownOrRepeatedFormIsReportedAtItsIndex) {
  auto json = Catalog();
  json["violation_types"][1]["sanctions"][0]["forms"] = {"DEMOTION_12_MONTHS", "DEMOTION_24_MONTHS"};
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[1].sanctions[0].forms[1]: UNSUPPORTED"});
  json["violation_types"][1]["sanctions"][0]["forms"] = {"DEMOTION_12_MONTHS", "DEMOTION_12_MONTHS"};
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[1].sanctions[0].forms[1]: INCONSISTENT"});
  json["violation_types"][1]["sanctions"][0]["forms"] = {7};
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[1].sanctions[0].forms[0]: REQUIRED"});
}

TEST(CatalogValidationTest, MissingEmployeeTypeIsReported) {
  auto json = Catalog();
  json["violation_types"][0]["sanctions"].erase(2);  // PPNPN
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[0].sanctions: REQUIRED"});
}

TEST(CatalogValidationTest, DuplicateEmployeeTypeIsReportedOnTheSecondRule) {
  auto json = Catalog();
  json["violation_types"][0]["sanctions"][2]["employee_type"] = "PNS";
  auto problems = Problems(json);
  ExpectHas(problems, "violation_types[0].sanctions[2].employee_type: INCONSISTENT");
  ExpectHas(problems, "violation_types[0].sanctions: REQUIRED");  // and PPNPN is now missing
}

TEST(CatalogValidationTest, DuplicateCodeIsReportedOnTheSecondType) {
  auto json = Catalog();
  json["violation_types"][1]["code"] = "B1";
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[1].code: INCONSISTENT"});
}

TEST(CatalogValidationTest, CodesHaveOneSpelling) {
  // "B02" would sort and look up like "B2"; only the plain spelling is accepted.
  auto json = Catalog();
  json["violation_types"][1]["code"] = "B02";
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[1].code: INVALID_FORMAT"});
  json["violation_types"][1]["code"] = "b2";
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[1].code: INVALID_FORMAT"});
}

TEST(CatalogValidationTest, EmptyOrMissingFormsAreReported) {
  auto json = Catalog();
  json["violation_types"][0]["sanctions"][0]["forms"] = nlohmann::json::array();
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[0].sanctions[0].forms: REQUIRED"});
  json["violation_types"][0]["sanctions"][0].erase("forms");
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[0].sanctions[0].forms: REQUIRED"});
}

TEST(CatalogValidationTest, MissingTextsAndEnumsAreReportedTogether) {
  auto json = Catalog();
  json["violation_types"][1].erase("title_en");
  json["violation_types"][1]["legal_basis"] = "";
  json["violation_types"][1]["category"] = "ETHIC";
  json["violation_types"][1]["certainty"] = 3;
  json.erase("version");
  auto problems = Problems(json);
  ExpectHas(problems, "version: REQUIRED");
  ExpectHas(problems, "violation_types[1].title_en: REQUIRED");
  ExpectHas(problems, "violation_types[1].legal_basis: REQUIRED");
  ExpectHas(problems, "violation_types[1].category: UNSUPPORTED");
  ExpectHas(problems, "violation_types[1].certainty: REQUIRED");
  EXPECT_EQ(problems.size(), 5u);
}

TEST(CatalogValidationTest, NotJsonOrNotAnObjectIsRejected) {
  for (const char* text : {"", "{", "not json", "[1, 2]", "\"catalog\""}) {
    auto parsed = ParseCatalog(text);
    ASSERT_FALSE(parsed.ok()) << text;
    ASSERT_EQ(parsed.error().violations.size(), 1u) << text;
    EXPECT_EQ(parsed.error().violations.list()[0].field, "catalog") << text;
  }
}

TEST(CatalogValidationTest, NoViolationTypesIsRejected) {
  auto json = Catalog();
  json["violation_types"] = nlohmann::json::array();
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types: REQUIRED"});
  json["violation_types"] = nlohmann::json::array({"B1"});
  EXPECT_EQ(Problems(json), std::vector<std::string>{"violation_types[0]: INVALID_FORMAT"});
}

// ---------------------------------------------------------------------------
// ListViolationTypes

TEST(ListViolationTypesTest, AllTypesFitOnOneDefaultPage) {
  auto page = ListViolationTypes(Shipped(), {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Codes(page.value().violation_types), kNaturalOrder);
  EXPECT_TRUE(page.value().next_page_token.empty());
  for (const auto& t : page.value().violation_types) EXPECT_EQ(t.sanctions.size(), 3u);
}

TEST(ListViolationTypesTest, FiltersByCategory) {
  ViolationTypeFilter filter;
  filter.category = ViolationCategory::kEthics;
  auto page = ListViolationTypes(Shipped(), filter);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Codes(page.value().violation_types),
            (std::vector<std::string>{"A1", "A2", "A3", "A4", "A5", "A6", "A7"}));
  filter.category = ViolationCategory::kDiscipline;
  page = ListViolationTypes(Shipped(), filter);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page.value().violation_types.size(), 13u);
  EXPECT_EQ(page.value().violation_types.front().code, "B1");
}

TEST(ListViolationTypesTest, FilterByEmployeeTypeKeepsOnlyItsRule) {
  ViolationTypeFilter filter;
  filter.employee_type = EmployeeType::kPppk;
  auto page = ListViolationTypes(Shipped(), filter);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().violation_types.size(), 20u);
  for (const auto& t : page.value().violation_types) {
    ASSERT_EQ(t.sanctions.size(), 1u) << t.code;
    EXPECT_EQ(t.sanctions[0].employee_type, EmployeeType::kPppk) << t.code;
  }
  // The catalog itself is untouched.
  EXPECT_EQ(Shipped().violation_types[0].sanctions.size(), 3u);
}

TEST(ListViolationTypesTest, PagesThroughAFilteredListWithTokens) {
  ViolationTypeFilter filter;
  filter.category = ViolationCategory::kDiscipline;
  filter.page_size = 5;
  std::vector<std::string> codes;
  int pages = 0;
  do {
    auto page = ListViolationTypes(Shipped(), filter);
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page.value().violation_types.size(), 5u);
    for (const auto& t : page.value().violation_types) codes.push_back(t.code);
    filter.page_token = page.value().next_page_token;
    ASSERT_LT(++pages, 10);
  } while (!filter.page_token.empty());
  EXPECT_EQ(pages, 3);  // 5 + 5 + 3
  EXPECT_EQ(codes, std::vector<std::string>(kNaturalOrder.begin() + 7, kNaturalOrder.end()));
}

TEST(ListViolationTypesTest, ExactlyFullLastPageHasNoToken) {
  ViolationTypeFilter filter;
  filter.page_size = 10;
  auto first = ListViolationTypes(Shipped(), filter);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first.value().next_page_token.empty());
  filter.page_token = first.value().next_page_token;
  auto second = ListViolationTypes(Shipped(), filter);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value().violation_types.size(), 10u);
  EXPECT_EQ(second.value().violation_types.front().code, "B4");
  EXPECT_TRUE(second.value().next_page_token.empty());
}

TEST(ListViolationTypesTest, BadTokenOrPageSizeIsInvalid) {
  ViolationTypeFilter filter;
  filter.page_token = "not-a-token";
  auto page = ListViolationTypes(Shipped(), filter);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().violations.list().at(0).field, "page_token");

  filter.page_token.clear();
  filter.page_size = -3;
  page = ListViolationTypes(Shipped(), filter);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().violations.list().at(0).field, "page_size");
}

TEST(ListViolationTypesTest, TokenReplayedWithAnotherFilterIsInvalid) {
  ViolationTypeFilter filter;
  filter.page_size = 3;
  auto first = ListViolationTypes(Shipped(), filter);
  ASSERT_TRUE(first.ok());
  filter.page_token = first.value().next_page_token;
  filter.category = ViolationCategory::kDiscipline;
  auto page = ListViolationTypes(Shipped(), filter);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().violations.list().at(0).field, "page_token");
}

// ---------------------------------------------------------------------------
// Domain enums and their netra.v1 counterparts (sanction_handler.cc static_casts
// one into the other, so value N must be the same name on both sides).

TEST(CatalogEnumTest, SanctionLevelMatchesProto) {
  for (int i = 1; i <= 6; ++i) {
    auto value = static_cast<SanctionLevel>(i);
    EXPECT_EQ(netra::v1::SanctionLevel_Name(static_cast<netra::v1::SanctionLevel>(value)),
              "SANCTION_LEVEL_" + std::string(Name(value)));
  }
  EXPECT_EQ(netra::v1::SanctionLevel_descriptor()->value_count(), 7);  // UNSPECIFIED + 6
}

TEST(CatalogEnumTest, ViolationCategoryMatchesProto) {
  for (int i = 1; i <= 2; ++i) {
    auto value = static_cast<ViolationCategory>(i);
    EXPECT_EQ(netra::v1::ViolationCategory_Name(static_cast<netra::v1::ViolationCategory>(value)),
              "VIOLATION_CATEGORY_" + std::string(Name(value)));
  }
  EXPECT_EQ(netra::v1::ViolationCategory_descriptor()->value_count(), 3);
}

TEST(CatalogEnumTest, CertaintyMatchesProto) {
  for (int i = 1; i <= 4; ++i) {
    auto value = static_cast<Certainty>(i);
    EXPECT_EQ(netra::v1::Certainty_Name(static_cast<netra::v1::Certainty>(value)),
              "CERTAINTY_" + std::string(Name(value)));
  }
  EXPECT_EQ(netra::v1::Certainty_descriptor()->value_count(), 5);
}

TEST(CatalogEnumTest, SanctionFormMatchesProto) {
  for (int i = 1; i <= kSanctionFormCount; ++i) {
    auto value = static_cast<SanctionForm>(i);
    EXPECT_EQ(netra::v1::SanctionForm_Name(static_cast<netra::v1::SanctionForm>(value)),
              "SANCTION_FORM_" + std::string(Name(value)));
  }
  EXPECT_EQ(netra::v1::SanctionForm_descriptor()->value_count(), kSanctionFormCount + 1);
}

TEST(CatalogEnumTest, EmployeeTypeMatchesProto) {
  for (int i = 1; i <= 3; ++i) {
    auto value = static_cast<EmployeeType>(i);
    EXPECT_EQ(netra::v1::EmployeeType_Name(static_cast<netra::v1::EmployeeType>(value)),
              "EMPLOYEE_TYPE_" + std::string(Name(value)));
  }
  EXPECT_EQ(netra::v1::EmployeeType_descriptor()->value_count(), 4);
}

TEST(CatalogEnumTest, OutOfRangeValuesAreUnspecified) {
  EXPECT_EQ(Name(static_cast<SanctionLevel>(0)), "UNSPECIFIED");
  EXPECT_EQ(Name(static_cast<SanctionForm>(kSanctionFormCount + 1)), "UNSPECIFIED");
}

}  // namespace
}  // namespace netra::sanction

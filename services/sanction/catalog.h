// The violation catalog (DOMAIN.md §3): which partisan acts are forbidden and
// what sanction each draws per employee type. Versioned data, never code:
// loaded from data/violation_catalog.json and replaceable at run time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/identifiers.h"
#include "common/result.h"

namespace netra::sanction {

// Enumerations are numbered as their netra.v1 counterparts (tests keep them in step).
enum class ViolationCategory { kEthics = 1, kDiscipline = 2 };
enum class SanctionLevel { kMoral = 1, kLight, kModerate, kSevere, kDismissal, kCaseByCase };
enum class Certainty { kConfirmed = 1, kDisputed, kUnconfirmed, kCaseByCase };
enum class SanctionForm {
  kMoralClosedStatement = 1,
  kMoralOpenStatement,
  kVerbalReprimand,
  kWrittenReprimand,
  kWrittenDissatisfaction,
  kAllowanceCut6Months,
  kAllowanceCut9Months,
  kAllowanceCut12Months,
  kDemotion12Months,
  kNonManagerial12Months,
  kHonourableDismissal,
  kDishonourableDismissal,
  kContractTermination,
  kContractDishonourableTermination,
};

// Spellings used in the catalog file ("ETHICS", "SEVERE", "PNS", ...).
std::string_view Name(ViolationCategory value);
std::string_view Name(SanctionLevel value);
std::string_view Name(Certainty value);
std::string_view Name(SanctionForm value);
std::string_view Name(EmployeeType value);
inline constexpr int kSanctionFormCount = 14;

struct SanctionRule {
  EmployeeType employee_type;
  SanctionLevel level;
  std::vector<SanctionForm> forms;
};

struct ViolationType {
  std::string code;  // "A1".."A7" ethics, "B1".."B13" discipline
  ViolationCategory category;
  std::string title_id, title_en;
  std::string legal_basis;
  Certainty certainty;
  std::string note;
  std::vector<SanctionRule> sanctions;  // exactly one per employee type

  const SanctionRule* RuleFor(EmployeeType type) const;
};

struct ViolationCatalog {
  std::string version;
  std::string source;
  std::vector<ViolationType> violation_types;  // in natural code order: A1..A7, B1, B2..B13

  const ViolationType* Find(std::string_view code) const;
};

// Parses and validates catalog JSON. Every problem is reported with its path
// (e.g. "violation_types[4].sanctions[1].level"): unknown spellings, missing or
// repeated employee types, duplicate codes, empty titles or forms.
Result<ViolationCatalog> ParseCatalog(std::string_view json);

struct ViolationTypeFilter {
  std::optional<ViolationCategory> category;
  std::optional<EmployeeType> employee_type;  // only the rule for this type is returned
  int page_size = 0;
  std::string page_token;
};

struct ViolationTypePage {
  std::vector<ViolationType> violation_types;
  std::string next_page_token;
};

Result<ViolationTypePage> ListViolationTypes(const ViolationCatalog& catalog, const ViolationTypeFilter& filter);

}  // namespace netra::sanction

// The sanction service's request validation, from the bytes an agency system
// sends to the domain's verdict: the first byte picks the request, the rest
// is its serialized form. OpenCase is checked on its own (ValidateOpenCase);
// a recommendation, decision or appeal against a case in the state that
// accepts it (the Apply* checks); a catalog upload through the catalog parser.
// Text fields may hold any bytes.
#include <cstddef>
#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "netra/v1/sanction.pb.h"
#include "services/sanction/cases.h"
#include "services/sanction/catalog.h"
#include "services/sanction/sanction_handler.h"
#include "tests/fuzz/fuzz_support.h"

namespace netra::sanction {
namespace {

const ViolationCatalog& Shipped() {
  static const ViolationCatalog catalog =
      ParseCatalog(fuzz::ReadSourceFile("data/violation_catalog.json")).value();
  return catalog;
}

int64_t Us(absl::CivilDay day) {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 10),
                                            ZoneNamed("Asia/Jakarta")));
}

const int64_t kOpened = Us(absl::CivilDay(2024, 3, 1));
const int64_t kNow = Us(absl::CivilDay(2024, 4, 1));

// A PNS case for code B2 (a fixed sanction), opened on 2024-03-01.
Case Opened() {
  EmployeeSnapshot e;
  e.employee_id = "198503122010011001";
  e.employee_type = EmployeeType::kPns;
  e.name = "Budi";
  e.agency_code = "pemkab-cilacap";
  e.agency_name = "Pemerintah Kabupaten Cilacap";
  e.work_region_code = "33.01";
  e.ppk = {"bupati:33.01", "Bupati Cilacap", "33.01"};
  ElectionTerms terms;
  terms.election_id = "pemilu-2024";
  terms.authority = {"BKN", "Badan Kepegawaian Negara"};
  terms.ppk_decision = {14, DayCounting::kWorkingDays};
  OpenCaseCommand open{"r1", "complaint-1", {}, e.employee_id, "pemilu-2024", {"B2"}, "", ""};
  CaseEffects effects;
  return NewCase(open, e, terms, Shipped(), "Asia/Jakarta", "case-1", kOpened, effects);
}

const Actor& Bkn() {
  static const Actor actor{"bkn/officer-1", Actor::Kind::kPerson, "", "BKN"};
  return actor;
}

Case Recommended() {
  Case c = Opened();
  CaseEffects effects;
  RecommendCommand recommend{"r2", "case-1", 1, "BKN", "B-123/2024", Date{2024, 3, 4}, 1, 4, {9}, ""};
  NETRA_FUZZ_CHECK(!ApplyRecommendation(c, recommend, Bkn(), CaseRules{}, Us(absl::CivilDay(2024, 3, 4)), effects));
  c.version = 2;  // as the store leaves it
  return c;
}

Case Decided() {
  Case c = Recommended();
  CaseEffects effects;
  DecisionCommand decide{"r3", "case-1", 2, "SK-9/2024", Date{2024, 3, 20}, 1, 4, {9}, "Bupati", {}, {}, ""};
  NETRA_FUZZ_CHECK(!ApplyDecision(c, decide, Bkn(), kNow, effects));
  c.version = 3;
  return c;
}

}  // namespace
}  // namespace netra::sanction

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netra::sanction;
  static const Case opened = Opened(), recommended = Recommended(), decided = Decided();
  if (size == 0) return 0;
  const uint8_t kind = data[0] % 5;
  const auto* bytes = data + 1;
  const int length = static_cast<int>(size - 1);
  CaseEffects effects;
  switch (kind) {
    case 0: {
      netra::v1::OpenCaseRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      ValidateOpenCase(ToCommand(request), Shipped());
      break;
    }
    case 1: {
      netra::v1::IssueRecommendationRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      Case c = opened;
      ApplyRecommendation(c, ToCommand(request), Bkn(), CaseRules{}, kNow, effects);
      break;
    }
    case 2: {
      netra::v1::RecordDecisionRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      Case c = recommended;
      ApplyDecision(c, ToCommand(request), Bkn(), kNow, effects);
      break;
    }
    case 3: {
      netra::v1::RecordAppealRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      Case c = decided;
      std::string appeal_id;
      ApplyAppeal(c, ToCommand(request), kNow, effects, &appeal_id);
      break;
    }
    case 4: {
      netra::v1::PutViolationCatalogRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      ParseCatalog(CatalogJson(request));
      break;
    }
  }
  return 0;
}

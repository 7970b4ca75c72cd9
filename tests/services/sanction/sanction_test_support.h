// What the sanction service's tests share: the employee their cases are about
// (a PNS teacher of Kabupaten Cilacap, whose PPK is the Bupati) and the terms a
// case takes from Pemilu 2024 at opening.
#pragma once

#include <map>
#include <string>

#include "services/sanction/cases.h"
#include "services/sanction/forwarded_complaint.h"
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

}  // namespace netra::sanction

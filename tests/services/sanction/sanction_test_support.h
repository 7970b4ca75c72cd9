// What the sanction service's tests share: the employee their cases are about
// (a PNS teacher of Kabupaten Cilacap, whose PPK is the Bupati) and the terms a
// case takes from Pemilu 2024 at opening.
#pragma once

#include "services/sanction/cases.h"

namespace netra::sanction {

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

}  // namespace netra::sanction

// Employees the registry's integration tests write.
#pragma once

#include <cstdio>
#include <string>
#include <utility>

#include "absl/time/civil_time.h"
#include "netra/v1/registry.pb.h"

namespace netra::testing {

// A valid PNS born on 1970-01-01 + `n` days (so each n gives its own NIP).
inline netra::v1::Employee Pns(int n, std::string name, std::string region = "33.74", std::string agency = "PEMKOT-SMG") {
  const absl::CivilDay birth = absl::CivilDay(1970, 1, 1) + n;
  char nip[40];
  std::snprintf(nip, sizeof nip, "%04d%02d%02d2005011001", static_cast<int>(birth.year()), birth.month(), birth.day());
  netra::v1::Employee e;
  e.set_employee_type(netra::v1::EMPLOYEE_TYPE_PNS);
  e.set_nip(nip);
  e.set_name(std::move(name));
  e.set_gender(netra::v1::GENDER_MALE);
  e.mutable_birth_date()->set_year(static_cast<int>(birth.year()));
  e.mutable_birth_date()->set_month(birth.month());
  e.mutable_birth_date()->set_day(birth.day());
  e.set_agency_code(std::move(agency));
  e.set_agency_name("Pemerintah Daerah");
  e.set_work_region_code(std::move(region));
  e.set_rank("III/b");
  return e;
}

}  // namespace netra::testing

// What the benches submit: employees with valid NIPs and a complete report
// about one of them (Kota Semarang, violation B2), shared by
// netra-complaint-bench and netra-bench-case-flow.
#pragma once

#include <cstdio>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "netra/v1/complaint.pb.h"

namespace netra::loadgen {

// A valid NIP for employee n: born 1970-01-01 + n days, appointed 2005-01, male, number 001.
inline std::string BenchNip(int n) {
  const absl::CivilDay birth = absl::CivilDay(1970, 1, 1) + n;
  char nip[40];
  std::snprintf(nip, sizeof nip, "%04d%02d%02d2005011001", static_cast<int>(birth.year()), birth.month(), birth.day());
  return nip;
}

// A report by a voter at a Bawaslu office about the employee `nip`, with one evidence file.
inline netra::v1::SubmitComplaintRequest BenchReport(const std::string& request_id, const std::string& nip,
                                                     const std::string& evidence, const std::string& election_id) {
  netra::v1::SubmitComplaintRequest r;
  r.set_request_id(request_id);
  r.set_channel(netra::v1::INTAKE_CHANNEL_BAWASLU_OFFICE);
  auto* reporter = r.mutable_reporter();
  reporter->set_kind(netra::v1::REPORTER_KIND_VOTER);
  reporter->set_name("Pelapor " + request_id);
  reporter->set_address("Jl. Pemuda 1, Semarang");
  reporter->set_contact(request_id + "@example.org");
  r.mutable_subject()->set_employee_number(nip);
  auto* act = r.mutable_act();
  act->set_election_id(election_id);
  act->add_violation_codes("B2");
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  act->mutable_occurred_time()->set_seconds(now - 7200);
  act->mutable_known_time()->set_seconds(now - 3600);
  act->set_region_code("33.74");
  act->set_place("Balai Kota Semarang");
  act->set_description("Mengunggah foto bersama calon dengan simbol partai di Instagram.");
  act->add_source_urls("https://instagram.example/p/viral");
  r.add_evidence_ids(evidence);
  return r;
}

}  // namespace netra::loadgen

// Test fixtures shared by the complaint domain tests: a valid submission, an
// election with its deadline rules, the shipped catalog's codes and an
// in-memory registry (the domain's RegistryPort; the real one is a gRPC
// client, exercised by the integration tests).
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "common/rpc.h"
#include "services/complaint/complaints.h"
#include "tests/support/test_support.h"

namespace netra::complaint::testing {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;

inline const ViolationCodes& Codes() {
  static const ViolationCodes codes = [] {
    auto parsed = ViolationCodes::FromCatalogJson(netra::testing::ReadFile(std::string(NETRA_SOURCE_DIR) + "/data/violation_catalog.json"));
    EXPECT_TRUE(parsed.ok());
    return parsed.value();
  }();
  return codes;
}

inline const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2024, 2, 1, 10, 0, 0), absl::UTCTimeZone());

inline google::protobuf::Timestamp At(absl::Time t) { return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t)); }

// A submission that passes every check at `now`: the act happened 30 h before,
// known 26 h before, about a PNS of Kota Semarang, with one evidence id.
inline v1::SubmitComplaintRequest ValidRequest(absl::Time now = kNow) {
  v1::SubmitComplaintRequest r;
  r.set_request_id("req-1");
  r.set_channel(v1::INTAKE_CHANNEL_PUBLIC_PORTAL);
  auto* reporter = r.mutable_reporter();
  reporter->set_kind(v1::REPORTER_KIND_VOTER);
  reporter->set_name("Budi Santoso");
  reporter->set_address("Jl. Pemuda 1, Semarang");
  reporter->set_contact("budi@example.org");
  r.mutable_subject()->set_employee_number("198503142010011001");
  auto* act = r.mutable_act();
  act->set_election_id("pemilu-2024");
  act->add_violation_codes("B2");
  *act->mutable_occurred_time() = At(now - absl::Hours(30));
  *act->mutable_known_time() = At(now - absl::Hours(26));
  act->set_region_code("33.74");
  act->set_place("Balai Kota Semarang");
  act->set_description("Posted campaign material on Instagram.");
  r.add_evidence_ids(std::string(64, 'a'));
  return r;
}

inline v1::Election Pemilu() {
  v1::Election e;
  e.set_election_id("pemilu-2024");
  e.mutable_voting_date()->set_year(2024), e.mutable_voting_date()->set_month(2), e.mutable_voting_date()->set_day(14);
  auto* q = e.mutable_quiet_period_start_date();
  q->set_year(2024), q->set_month(2), q->set_day(11);
  auto* rules = e.mutable_rules();
  auto rule = [](v1::DeadlineRule* r, int days, v1::DayCounting counting) {
    r->set_days(days);
    r->set_counting(counting);
  };
  rule(rules->mutable_report_window(), 7, v1::DAY_COUNTING_WORKING_DAYS);
  rules->set_quiet_period_report_window_hours(24);
  rule(rules->mutable_finding_window(), 7, v1::DAY_COUNTING_CALENDAR_DAYS);
  rule(rules->mutable_completion(), 2, v1::DAY_COUNTING_CALENDAR_DAYS);
  rule(rules->mutable_initial_review(), 2, v1::DAY_COUNTING_CALENDAR_DAYS);
  rule(rules->mutable_handling(), 7, v1::DAY_COUNTING_CALENDAR_DAYS);
  rule(rules->mutable_handling_extended(), 14, v1::DAY_COUNTING_WORKING_DAYS);
  auto* holiday = e.add_holidays();
  holiday->mutable_date()->set_year(2024), holiday->mutable_date()->set_month(2), holiday->mutable_date()->set_day(8);
  return e;
}

class FakeRegistry : public RegistryPort {
 public:
  std::map<std::string, v1::Employee> employees;
  bool down = false;
  Result<v1::Employee> FindEmployee(std::string_view id) override {
    if (down) return Error::Unavailable("down");
    auto it = employees.find(std::string(id));
    if (it == employees.end()) return Error::NotFound("employee", std::string(id));
    return it->second;
  }
  Result<std::vector<v1::Employee>> SearchEmployees(std::string_view name, std::string_view, int) override {
    if (down) return Error::Unavailable("down");
    std::vector<v1::Employee> out;
    for (const auto& [id, e] : employees) {
      if (FoldName(e.name()).find(FoldName(name)) != std::string::npos) out.push_back(e);
    }
    return out;
  }
  Result<v1::Election> FindElection(std::string_view id) override {
    if (down) return Error::Unavailable("down");
    if (id != "pemilu-2024") return Error::NotFound("election", std::string(id));
    return Pemilu();
  }
  void Add(const std::string& id, const std::string& name, const std::string& agency, const std::string& region) {
    v1::Employee e;
    e.set_employee_id(id);
    e.set_name(name);
    e.set_agency_name(agency);
    e.set_work_region_code(region);
    employees[id] = e;
  }
};


}  // namespace netra::complaint::testing

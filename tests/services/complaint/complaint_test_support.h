// Test fixtures shared by the complaint tests: a valid submission (as the API
// request and as the domain's command), an election with its deadline rules,
// the shipped catalog's codes and an in-memory registry (the domain's
// Directory; the real one is a gRPC client, exercised by the integration tests).
#pragma once

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/names.h"
#include "common/rpc.h"
#include "services/complaint/complaint_proto.h"
#include "services/complaint/intake.h"
#include "tests/support/test_support.h"

namespace netra::complaint::testing {

namespace v1 = netra::v1;
using google::protobuf::util::TimeUtil;

inline const ViolationCodes& Codes() {
  static const ViolationCodes codes = [] {
    auto parsed = ViolationCodes::FromCatalogJson(
        netra::testing::ReadFile(std::string(NETRA_SOURCE_DIR) + "/data/violation_catalog.json"));
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

// The same submission as the domain's command.
inline SubmitCommand ValidCommand(absl::Time now = kNow) { return ToCommand(ValidRequest(now)); }

// `action` on complaint `c` as it was read (its version), as the `number`th
// transition request of a test.
inline v1::TransitionComplaintRequest TransitionRequest(const v1::Complaint& c, v1::ComplaintAction action,
                                                        const std::string& reason, int number) {
  v1::TransitionComplaintRequest request;
  request.set_request_id("t-" + std::to_string(number));
  request.set_complaint_id(c.complaint_id());
  request.set_action(action);
  request.set_reason(reason);
  request.set_expected_version(c.version());
  return request;
}

// Pemilu 2024: voting 14 Feb, quiet period from 11 Feb, a holiday on 8 Feb.
inline ElectionTerms Pemilu() {
  ElectionTerms e;
  e.election_id = "pemilu-2024";
  e.voting_day = absl::CivilDay(2024, 2, 14);
  e.quiet_period_start = absl::CivilDay(2024, 2, 11);
  e.report_window = {7, DayCounting::kWorkingDays};
  e.quiet_period_report_window_hours = 24;
  e.finding_window = {7, DayCounting::kCalendarDays};
  e.completion = {2, DayCounting::kCalendarDays};
  e.initial_review = {2, DayCounting::kCalendarDays};
  e.handling = {7, DayCounting::kCalendarDays};
  e.handling_extended = {14, DayCounting::kWorkingDays};
  e.holidays.push_back({absl::CivilDay(2024, 2, 8), ""});
  return e;
}

class FakeRegistry : public Directory {
 public:
  std::map<std::string, EmployeeRef> employees;
  bool down = false;
  Result<EmployeeRef> FindEmployee(std::string_view id) override {
    if (down) return Error::Unavailable("down");
    auto it = employees.find(std::string(id));
    if (it == employees.end()) return Error::NotFound("employee", std::string(id));
    return it->second;
  }
  Result<std::vector<EmployeeRef>> SearchEmployees(std::string_view name, std::string_view, int) override {
    if (down) return Error::Unavailable("down");
    // As the registry matches (its NameKeyMatches): every word of the query
    // starts a word of the name, its spelling key, or two words joined.
    auto words = [](const std::string& folded) {
      std::vector<std::string> out;
      for (size_t i = 0; i <= folded.size();) {
        const size_t end = std::min(folded.find(' ', i), folded.size());
        if (end > i) out.push_back(folded.substr(i, end - i));
        i = end + 1;
      }
      return out;
    };
    const auto query = words(FoldName(name));
    std::vector<EmployeeRef> out;
    for (const auto& [id, e] : employees) {
      auto tokens = words(FoldName(e.name));
      const size_t n = tokens.size();
      for (size_t i = 0; i < n; ++i) tokens.push_back(SpellingKey(tokens[i]));
      for (size_t i = 0; i + 1 < n; ++i) tokens.push_back(tokens[i] + tokens[i + 1]);
      const bool all = !query.empty() && std::all_of(query.begin(), query.end(), [&](const std::string& q) {
        return std::any_of(tokens.begin(), tokens.end(), [&](const std::string& t) {
          return t.starts_with(q) || t.starts_with(SpellingKey(q));
        });
      });
      if (all) out.push_back(e);
    }
    return out;
  }
  Result<ElectionTerms> FindElection(std::string_view id) override {
    if (down) return Error::Unavailable("down");
    if (id != "pemilu-2024") return Error::NotFound("election", std::string(id));
    return Pemilu();
  }
  void Add(const std::string& id, const std::string& name, const std::string& agency, const std::string& region) {
    EmployeeRef e;
    e.employee_id = id;
    e.name = name;
    e.agency_name = agency;
    e.work_region_code = region;
    employees[id] = e;
  }
};

}  // namespace netra::complaint::testing

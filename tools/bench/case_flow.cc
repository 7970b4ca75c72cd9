// netra-bench-case-flow: the case flow of issue 5 against a running
// netra-sanction (and the netra-registry it uses): each case is
// OpenCase + IssueRecommendation + RecordDecision, in that order. Issue 5 asks
// for at least 500 cases/s on 2 cores.
//
//   netra-bench-case-flow --sanction 127.0.0.1:50053 --registry 127.0.0.1:50051 --threads 32 --cases 5000
//
// Seeds the registry first (one election, --employees employees, idempotent),
// then --threads threads each run whole cases back to back (closed loop,
// synchronous stubs over --channels connections) until --cases cases are done.
// Prints one JSON object: cases/s, RPCs/s, errors by code, case latency.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "absl/time/clock.h"
#include "common/client.h"
#include "common/tls.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tools/loadgen/driver.h"

namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

v1::Date Today() {
  absl::TimeZone wib;
  absl::LoadTimeZone("Asia/Jakarta", &wib);
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), wib);
  v1::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

bool Seed(v1::RegistryService::Stub& registry, int employees, std::vector<std::string>* ids) {
  v1::UpsertElectionRequest election;
  election.set_request_id("bench-election");
  auto* e = election.mutable_election();
  e->set_election_id("bench-2024");
  e->set_name("Bench election");
  e->set_type(v1::ELECTION_TYPE_PEMILU);
  e->mutable_voting_date()->set_year(2024);
  e->mutable_voting_date()->set_month(2);
  e->mutable_voting_date()->set_day(14);
  e->mutable_rules()->mutable_ppk_decision()->set_days(14);
  e->mutable_rules()->mutable_ppk_decision()->set_counting(v1::DAY_COUNTING_WORKING_DAYS);
  e->mutable_recommending_authority()->set_code("BKN");
  e->mutable_recommending_authority()->set_name("Badan Kepegawaian Negara");
  v1::UpsertElectionResponse upserted;
  auto status = registry.UpsertElection(netra::MakeClientContext(10s).get(), election, &upserted);
  if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
    std::cerr << "seeding the election failed: " << status.error_message() << "\n";
    return false;
  }
  for (int n = 0; n < employees; ++n) {
    v1::UpsertEmployeeRequest request;
    request.set_request_id("bench-employee-" + std::to_string(n));
    auto* p = request.mutable_employee();
    p->set_employee_type(v1::EMPLOYEE_TYPE_PPNPN);
    p->set_agency_staff_id("bench-" + std::to_string(n));
    p->set_name("Pegawai " + std::to_string(n));
    p->set_gender(v1::GENDER_MALE);
    p->mutable_birth_date()->set_year(1985);
    p->mutable_birth_date()->set_month(3);
    p->mutable_birth_date()->set_day(12);
    p->set_agency_code("PEMKOT-SMG");
    p->set_agency_name("Pemerintah Kota Semarang");
    p->set_work_region_code("33.74");
    p->mutable_ppk()->set_code("walikota:33.74");
    p->mutable_ppk()->set_name("Walikota Semarang");
    p->mutable_ppk()->set_region_code("33.74");
    v1::UpsertEmployeeResponse response;
    status = registry.UpsertEmployee(netra::MakeClientContext(10s).get(), request, &response);
    if (!status.ok()) {
      std::cerr << "seeding employee " << n << " failed: " << status.error_message() << "\n";
      return false;
    }
    ids->push_back(response.employee().employee_id());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"OpenCase + IssueRecommendation + RecordDecision per case against a running netra-sanction"};
  std::string sanction = "127.0.0.1:50053", registry_target = "127.0.0.1:50051", run = "run";
  int threads = 32, cases = 5000, employees = 200;
  size_t channels = 4;
  app.add_option("--sanction", sanction, "netra-sanction address");
  app.add_option("--registry", registry_target, "netra-registry address (seeded first)");
  app.add_option("--threads", threads, "Cases in flight")->check(CLI::Range(1, 1024));
  app.add_option("--cases", cases, "Cases to run")->check(CLI::Range(1, 10000000));
  app.add_option("--employees", employees, "Employees the cases are spread over")->check(CLI::Range(1, 100000));
  app.add_option("--channels", channels, "Connections to netra-sanction")->check(CLI::Range(1, 64));
  app.add_option("--run-id", run, "Prefix of complaint ids (use a new one per run on one store)");
  netra::ClientTlsFlags tls;
  tls.Add(app);
  CLI11_PARSE(app, argc, argv);
  if (std::string tls_error; !tls.Apply(&tls_error)) {
    std::cerr << "netra-bench-case-flow: " << tls_error << "\n";
    return 2;
  }

  auto registry = v1::RegistryService::NewStub(netra::MakeChannel(registry_target, nullptr));
  std::vector<std::string> ids;
  if (!Seed(*registry, employees, &ids)) return 1;
  auto links = netra::loadgen::MakeChannels(sanction, channels);
  std::vector<std::unique_ptr<v1::SanctionService::Stub>> stubs;
  for (const auto& channel : links) stubs.push_back(v1::SanctionService::NewStub(channel));

  const v1::Date today = Today();
  std::atomic<int> next{0};
  std::mutex mu;
  std::map<std::string, int64_t> errors;
  std::vector<double> latencies;
  latencies.reserve(cases);
  auto note = [&](const char* rpc, const grpc::Status& status) {
    std::lock_guard lock(mu);
    errors[std::string(rpc) + ":" + std::to_string(status.error_code())]++;
  };
  auto worker = [&](int t) {
    auto& stub = *stubs[t % stubs.size()];
    for (int i = next++; i < cases; i = next++) {
      auto started = std::chrono::steady_clock::now();
      std::string complaint = run + "-complaint-" + std::to_string(i);
      v1::OpenCaseRequest open;
      open.set_request_id(complaint + "/open");
      open.set_complaint_id(complaint);
      open.set_employee_id(ids[i % ids.size()]);
      open.set_election_id("bench-2024");
      open.add_violation_codes("B2");
      v1::OpenCaseResponse opened;
      auto status = stub.OpenCase(netra::MakeClientContext(10s).get(), open, &opened);
      if (!status.ok()) {
        note("OpenCase", status);
        continue;
      }
      v1::IssueRecommendationRequest rec;
      rec.set_request_id(complaint + ":recommend");
      rec.set_case_id(opened.case_record().case_id());
      rec.set_expected_version(opened.case_record().version());
      rec.set_authority_code("BKN");
      rec.set_letter_number("R-" + complaint);
      *rec.mutable_letter_date() = today;
      rec.set_verdict(v1::RECOMMENDATION_VERDICT_VIOLATION);
      rec.set_level(v1::SANCTION_LEVEL_SEVERE);
      rec.add_forms(v1::SANCTION_FORM_CONTRACT_TERMINATION);
      v1::IssueRecommendationResponse recommended;
      status = stub.IssueRecommendation(netra::MakeClientContext(10s).get(), rec, &recommended);
      if (!status.ok()) {
        note("IssueRecommendation", status);
        continue;
      }
      v1::RecordDecisionRequest decide;
      decide.set_request_id(complaint + ":decide");
      decide.set_case_id(opened.case_record().case_id());
      decide.set_expected_version(recommended.case_record().version());
      decide.set_decree_number("SK-" + complaint);
      *decide.mutable_decree_date() = today;
      decide.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
      decide.set_level(v1::SANCTION_LEVEL_SEVERE);
      decide.add_forms(v1::SANCTION_FORM_CONTRACT_TERMINATION);
      v1::RecordDecisionResponse decided;
      status = stub.RecordDecision(netra::MakeClientContext(10s).get(), decide, &decided);
      if (!status.ok()) {
        note("RecordDecision", status);
        continue;
      }
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      std::lock_guard lock(mu);
      latencies.push_back(ms);
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& thread : pool) thread.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))];
  };
  nlohmann::ordered_json out;
  out["threads"] = threads;
  out["seconds"] = seconds;
  out["cases_ok"] = latencies.size();
  out["cases_per_s"] = latencies.size() / seconds;
  out["rpcs_per_s"] = 3 * latencies.size() / seconds;
  out["errors"] = errors;
  out["case_latency_ms"] = {{"p50", pct(0.5)}, {"p90", pct(0.9)}, {"p99", pct(0.99)}};
  std::cout << out.dump(2) << std::endl;
  return errors.empty() ? 0 : 1;
}

// netra-bench-case-flow: the whole case flow against running services, each
// step taken by the identity that takes it in production (issue 13):
//
//   prepare (not timed into the case rate): SubmitComplaint, REGISTER and
//     START_REVIEW as Bawaslu Kota Semarang;
//   each case (timed): FORWARD as Bawaslu; the complaint service's outbox
//     opens the case (OpenCase as svc/complaint, which the sanction service
//     checks against the complaint); GetCase as BKN until it is open;
//     IssueRecommendation as BKN; RecordDecision as the Wali Kota (the PPK).
//
//   netra-bench-case-flow --registry 127.0.0.1:50051 --complaint 127.0.0.1:50052
//       --sanction 127.0.0.1:50053 --identity-dir .local/pki --threads 32 --cases 3000
//
// Seeds the registry first as `admin` (one election, and one PNS of Kota
// Semarang per case, whose PPK is the Wali Kota; idempotent). Certificates are
// --identity-dir/NAME.pem and NAME.key with ca.pem, as deploy/local/pki.sh
// writes them; --plaintext-for-development instead for a plaintext stack.
// Prints one JSON object: cases/s, case latency, errors by step and code.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/client.h"
#include "common/tls.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tools/loadgen/bench_reports.h"

namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kElection[] = "bench-2024";
constexpr char kRegion[] = "33.74";

// Channel credentials of one identity, or plaintext.
class Identities {
 public:
  Identities(std::string dir, bool plaintext) : dir_(std::move(dir)), plaintext_(plaintext) {}

  std::shared_ptr<grpc::ChannelCredentials> Of(const std::string& name, std::string* error) const {
    if (plaintext_) return grpc::InsecureChannelCredentials();
    netra::TlsFiles files;
    files.cert = dir_ + "/" + name + ".pem";
    files.key = dir_ + "/" + name + ".key";
    files.ca = dir_ + "/ca.pem";
    std::string spiffe_id;
    if (!netra::CheckTlsFiles(files, &spiffe_id, error)) return nullptr;
    return netra::ChannelTlsCredentials(files);
  }

 private:
  std::string dir_;
  bool plaintext_;
};

v1::Date Today() {
  absl::TimeZone wib;
  absl::LoadTimeZone("Asia/Jakarta", &wib);
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), wib);
  v1::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// Runs fn(t, i) for i in [0, n) on `threads` threads (t: the thread's number).
template <class Fn>
void Parallel(int threads, int n, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = next++; i < n; i = next++) fn(t, i);
    });
  }
  for (auto& thread : pool) thread.join();
}

bool Seed(v1::RegistryService::Stub& registry, int employees, int threads) {
  v1::UpsertElectionRequest election;
  election.set_request_id("bench-election");
  auto* e = election.mutable_election();
  e->set_election_id(kElection);
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
  std::atomic<int> failed{0};
  Parallel(threads, employees, [&](int, int n) {
    const absl::CivilDay birth = absl::CivilDay(1970, 1, 1) + n;
    v1::UpsertEmployeeRequest request;
    request.set_request_id("bench-employee-" + std::to_string(n));
    auto* p = request.mutable_employee();
    p->set_employee_type(v1::EMPLOYEE_TYPE_PNS);
    p->set_nip(netra::loadgen::BenchNip(n));
    p->set_name("Pegawai " + std::to_string(n));
    p->set_gender(v1::GENDER_MALE);
    p->mutable_birth_date()->set_year(static_cast<int>(birth.year()));
    p->mutable_birth_date()->set_month(birth.month());
    p->mutable_birth_date()->set_day(birth.day());
    p->set_agency_code("PEMKOT-SMG");
    p->set_agency_name("Pemerintah Kota Semarang");
    p->set_work_region_code(kRegion);
    p->mutable_ppk()->set_code("walikota:33.74");
    p->mutable_ppk()->set_name("Wali Kota Semarang");
    p->mutable_ppk()->set_region_code(kRegion);
    v1::UpsertEmployeeResponse response;
    auto s = registry.UpsertEmployee(netra::MakeClientContext(20s).get(), request, &response);
    if (!s.ok() && failed++ == 0) std::cerr << "seeding employee " << n << " failed: " << s.error_message() << "\n";
  });
  return failed == 0;
}

std::string UploadEvidence(v1::ComplaintService::Stub& complaint, grpc::Status* status) {
  auto context = netra::MakeClientContext(20s);
  v1::UploadEvidenceResponse response;
  auto writer = complaint.UploadEvidence(context.get(), &response);
  v1::UploadEvidenceRequest chunk;
  chunk.set_file_name("tangkapan-layar.png");
  chunk.set_chunk("\x89PNG\r\n\x1A\n" + std::string(4096, 'p'));
  writer->Write(chunk);
  writer->WritesDone();
  *status = writer->Finish();
  return response.evidence().evidence_id();
}

// The stubs of one worker: each service as the identity that calls it.
struct Stubs {
  std::unique_ptr<v1::ComplaintService::Stub> bawaslu;
  std::unique_ptr<v1::SanctionService::Stub> authority, ppk;
};

class Run {
 public:
  explicit Run(const std::string& run_id) : run_id_(run_id) {}

  void Error(const char* step, const grpc::Status& status) {
    std::lock_guard lock(mu_);
    errors_[std::string(step) + ":" + std::to_string(status.error_code())]++;
    if (first_error_.empty()) first_error_ = std::string(step) + ": " + status.error_message();
  }
  // A finished case: its whole time and each step's, in milliseconds.
  void Done(double ms, const std::map<std::string, double>& steps) {
    std::lock_guard lock(mu_);
    latencies_.push_back(ms);
    for (const auto& [step, step_ms] : steps) step_latencies_[step].push_back(step_ms);
  }
  bool Transition(v1::ComplaintService::Stub& stub, v1::Complaint* c, v1::ComplaintAction action) {
    v1::TransitionComplaintRequest request;
    request.set_request_id(c->complaint_id() + "-" + v1::ComplaintAction_Name(action));
    request.set_complaint_id(c->complaint_id());
    request.set_action(action);
    request.set_reason("bench");
    request.set_expected_version(c->version());
    if (action == v1::COMPLAINT_ACTION_FORWARD) request.mutable_forward()->set_review_summary("Kajian: terbukti.");
    v1::TransitionComplaintResponse response;
    auto status = stub.TransitionComplaint(netra::MakeClientContext(20s).get(), request, &response);
    if (!status.ok()) {
      Error(v1::ComplaintAction_Name(action).c_str(), status);
      return false;
    }
    *c = response.complaint();
    return true;
  }

  std::vector<double> latencies_;
  std::map<std::string, std::vector<double>> step_latencies_;
  std::map<std::string, int64_t> errors_;
  std::string first_error_;
  const std::string run_id_;

 private:
  std::mutex mu_;
};

// The case of a forwarded complaint, once the complaint service's outbox has opened it.
bool AwaitCase(v1::SanctionService::Stub& stub, const std::string& complaint_id, v1::Case* out, Run& run) {
  v1::GetCaseRequest request;
  request.set_complaint_id(complaint_id);
  auto wait = 2ms;
  const auto give_up = Clock::now() + 30s;
  while (true) {
    v1::GetCaseResponse response;
    auto status = stub.GetCase(netra::MakeClientContext(10s).get(), request, &response);
    if (status.ok()) {
      *out = response.case_record();
      return true;
    }
    if (status.error_code() != grpc::StatusCode::NOT_FOUND || Clock::now() > give_up) {
      run.Error("GetCase", status);
      return false;
    }
    std::this_thread::sleep_for(wait);  // a poll interval, not synchronisation: the outbox delivers on its own
    wait = std::min(wait * 2, std::chrono::milliseconds(20));
  }
}

void RunCase(Stubs& s, v1::Complaint complaint, const v1::Date& today, Run& run) {
  const auto started = Clock::now();
  std::map<std::string, double> steps;
  auto step_done = [&, last = started]() mutable {
    const auto now = Clock::now();
    const double ms = std::chrono::duration<double, std::milli>(now - last).count();
    last = now;
    return ms;
  };
  if (!run.Transition(*s.bawaslu, &complaint, v1::COMPLAINT_ACTION_FORWARD)) return;
  steps["forward"] = step_done();
  v1::Case opened;
  if (!AwaitCase(*s.authority, complaint.complaint_id(), &opened, run)) return;
  steps["case_opened"] = step_done();
  const std::string& id = complaint.complaint_id();
  v1::IssueRecommendationRequest rec;
  rec.set_request_id(id + ":recommend");
  rec.set_case_id(opened.case_id());
  rec.set_expected_version(opened.version());
  rec.set_authority_code("BKN");
  rec.set_letter_number("R-" + id);
  *rec.mutable_letter_date() = today;
  rec.set_verdict(v1::RECOMMENDATION_VERDICT_VIOLATION);
  rec.set_level(v1::SANCTION_LEVEL_SEVERE);
  rec.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
  v1::IssueRecommendationResponse recommended;
  auto status = s.authority->IssueRecommendation(netra::MakeClientContext(10s).get(), rec, &recommended);
  if (!status.ok()) return run.Error("IssueRecommendation", status);
  steps["recommend"] = step_done();
  v1::RecordDecisionRequest decide;
  decide.set_request_id(id + ":decide");
  decide.set_case_id(opened.case_id());
  decide.set_expected_version(recommended.case_record().version());
  decide.set_decree_number("SK-" + id);
  *decide.mutable_decree_date() = today;
  decide.set_outcome(v1::CASE_OUTCOME_SANCTIONED);
  decide.set_level(v1::SANCTION_LEVEL_SEVERE);
  decide.add_forms(v1::SANCTION_FORM_DEMOTION_12_MONTHS);
  v1::RecordDecisionResponse decided;
  status = s.ppk->RecordDecision(netra::MakeClientContext(10s).get(), decide, &decided);
  if (!status.ok()) return run.Error("RecordDecision", status);
  steps["decide"] = step_done();
  run.Done(std::chrono::duration<double, std::milli>(Clock::now() - started).count(), steps);
}

double Percentile(const std::vector<double>& sorted, double p) {
  return sorted.empty() ? 0.0 : sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The case flow (forward, OpenCase by the outbox, recommendation, decision) against running services"};
  std::string registry_target = "127.0.0.1:50051", complaint_target = "127.0.0.1:50052",
              sanction_target = "127.0.0.1:50053", identity_dir = ".local/pki", run_id = "run";
  int threads = 32, cases = 3000;
  bool plaintext = false;
  app.add_option("--registry", registry_target, "netra-registry address (seeded first)");
  app.add_option("--complaint", complaint_target, "netra-complaint address");
  app.add_option("--sanction", sanction_target, "netra-sanction address");
  app.add_option("--identity-dir", identity_dir,
                 "Certificates NAME.pem/NAME.key and ca.pem of admin, bawaslu-semarang, bkn and walikota-semarang");
  app.add_flag("--plaintext-for-development", plaintext, "Plaintext (a stack started so, on loopback)");
  app.add_option("--threads", threads, "Cases in flight")->check(CLI::Range(1, 1024));
  // One employee per case, born a day apart from 1970 and appointed in 2005: at most 6,000 stay of working age.
  app.add_option("--cases", cases, "Cases to run")->check(CLI::Range(1, 6000));
  app.add_option("--run-id", run_id, "Prefix of request ids (a new one per run on one set of stores)");
  CLI11_PARSE(app, argc, argv);

  const Identities identities(identity_dir, plaintext);
  std::string error;
  auto credentials = [&](const char* name) {
    auto c = identities.Of(name, &error);
    if (!c) {
      std::cerr << "netra-bench-case-flow: " << name << ": " << error << "\n";
      std::exit(2);
    }
    return c;
  };
  const auto admin = credentials("admin"), bawaslu = credentials("bawaslu-semarang"), bkn = credentials("bkn"),
             wali_kota = credentials("walikota-semarang");
  auto complaint_channel = netra::MakeChannel(complaint_target, nullptr, 8 << 20, bawaslu);
  auto authority_channel = netra::MakeChannel(sanction_target, nullptr, 8 << 20, bkn);
  auto ppk_channel = netra::MakeChannel(sanction_target, nullptr, 8 << 20, wali_kota);

  // One employee per case: reports about one person and violation within days would join one cluster.
  auto registry = v1::RegistryService::NewStub(netra::MakeChannel(registry_target, nullptr, 8 << 20, admin));
  if (!Seed(*registry, cases, threads)) return 1;
  grpc::Status status;
  const std::string evidence = UploadEvidence(*v1::ComplaintService::NewStub(complaint_channel), &status);
  if (!status.ok()) {
    std::cerr << "UploadEvidence: " << status.error_message() << "\n";
    return 1;
  }

  Run run(run_id);
  std::vector<Stubs> stubs(threads);
  for (auto& s : stubs) {
    s.bawaslu = v1::ComplaintService::NewStub(complaint_channel);
    s.authority = v1::SanctionService::NewStub(authority_channel);
    s.ppk = v1::SanctionService::NewStub(ppk_channel);
  }

  // Prepare: complaints received, registered and under review, ready to forward.
  std::vector<std::optional<v1::Complaint>> ready(cases);
  const auto prepare_start = Clock::now();
  Parallel(threads, cases, [&](int t, int i) {
    v1::SubmitComplaintResponse submitted;
    auto s = stubs[t].bawaslu->SubmitComplaint(
        netra::MakeClientContext(20s).get(),
        netra::loadgen::BenchReport(run_id + "-" + std::to_string(i), netra::loadgen::BenchNip(i), evidence, kElection), &submitted);
    if (!s.ok()) return run.Error("SubmitComplaint", s);
    v1::Complaint c = submitted.complaint();
    if (!run.Transition(*stubs[t].bawaslu, &c, v1::COMPLAINT_ACTION_REGISTER)) return;
    if (!run.Transition(*stubs[t].bawaslu, &c, v1::COMPLAINT_ACTION_START_REVIEW)) return;
    ready[i] = std::move(c);
  });
  const double prepare_seconds = std::chrono::duration<double>(Clock::now() - prepare_start).count();

  const v1::Date today = Today();
  const auto start = Clock::now();
  Parallel(threads, cases, [&](int t, int i) {
    if (ready[i]) RunCase(stubs[t], *ready[i], today, run);
  });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::sort(run.latencies_.begin(), run.latencies_.end());
  nlohmann::ordered_json out;
  out["threads"] = threads;
  out["prepare_seconds"] = prepare_seconds;
  out["prepared_per_s"] = cases / prepare_seconds;
  out["seconds"] = seconds;
  out["cases_ok"] = run.latencies_.size();
  out["cases_per_s"] = run.latencies_.size() / seconds;
  out["errors"] = run.errors_;
  if (!run.first_error_.empty()) out["first_error"] = run.first_error_;
  out["case_latency_ms"] = {{"p50", Percentile(run.latencies_, 0.5)},
                            {"p90", Percentile(run.latencies_, 0.9)},
                            {"p99", Percentile(run.latencies_, 0.99)}};
  // Where a case's time goes: forward (TransitionComplaint), case_opened (until the outbox's
  // OpenCase shows in GetCase), recommend, decide.
  for (auto& [step, latencies] : run.step_latencies_) {
    std::sort(latencies.begin(), latencies.end());
    out["step_latency_ms"][step] = {{"p50", Percentile(latencies, 0.5)}, {"p99", Percentile(latencies, 0.99)}};
  }
  std::cout << out.dump(2) << std::endl;
  return run.errors_.empty() ? 0 : 1;
}

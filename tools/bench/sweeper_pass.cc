// netra-bench-sweeper: times escalation sweeper passes over a store of
// recommended cases (issue 5: at most 5 s per pass over 100,000 open cases).
//
//   netra-bench-sweeper --store /tmp/sweep.db --cases 100000 [--batch 20000] [--fill-in /dev/shm]
//
// Fills a fresh SQLite store (the service's schema) with --cases recommended
// cases through the domain (Sanctions: OpenCase + IssueRecommendation), then
// times, with the clock 100 days ahead so every case is due:
//   1. a pass where nothing is due (the clock at the fill time: the common case),
//   2. three full passes (warning, reprimand, data block: every case changes).
// Prints one JSON object. Redis is not needed (the sweeper's lease is not part
// of a pass); the store is opened as the service opens it (WAL, synchronous=FULL).
#include <prometheus/registry.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/log.h"
#include "common/redis.h"
#include "common/regions.h"
#include "common/store.h"
#include "services/sanction/sanction_store.h"
#include "services/sanction/sanctions.h"

namespace {

using namespace netra;
using namespace netra::sanction;

class BenchDirectory : public Directory {
 public:
  Result<EmployeeSnapshot> FindEmployee(const std::string& id) override {
    EmployeeSnapshot e;
    e.employee_id = id;
    e.employee_type = EmployeeType::kPns;
    e.name = "Pegawai " + id;
    e.agency_code = "PEMKOT-SMG";
    e.agency_name = "Pemerintah Kota Semarang";
    e.work_region_code = "33.74";
    e.ppk = {"walikota:33.74", "Walikota Semarang", "33.74"};
    return e;
  }
  Result<ElectionTerms> FindElection(const std::string& id) override {
    ElectionTerms t;
    t.election_id = id;
    t.authority = {"BKN", "Badan Kepegawaian Negara"};
    t.ppk_decision = {14, DayCounting::kWorkingDays};
    return t;
  }
};

// Every complaint was forwarded as the bench opens its case ("complaint-N" about
// "employee-N", Pemilu 2024, B2): the sweep is measured, not the check.
class BenchComplaints : public ComplaintRecords {
 public:
  Result<ForwardedComplaint> FindComplaint(const std::string& id) override {
    return ForwardedComplaint{id, "COMPLAINT_STATUS_FORWARDED", true, "employee-" + id.substr(id.find('-') + 1),
                              "pemilu-2024", {"B2"}};
  }
};

// CPU seconds (user + system) of this process so far: on a shared machine the
// wall time includes waiting for a core.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Times escalation sweeper passes over a store of recommended cases"};
  std::string store_path, fill_dir, data_dir = NETRA_DEFAULT_DATA_DIR;
  int cases = 100000, batch = 20000;
  app.add_option("--store", store_path, "SQLite file to create (must not exist)")->required();
  app.add_option("--cases", cases, "Recommended cases to fill in")->check(CLI::Range(1, 10000000));
  app.add_option("--batch", batch, "Cases per sweeper transaction (--sweep-batch)")->check(CLI::Range(1, 100000));
  app.add_option("--fill-in", fill_dir, "Fill the store in this directory (e.g. /dev/shm), then copy it to --store");
  app.add_option("--data-dir", data_dir, "regions.csv and violation_catalog.json");
  CLI11_PARSE(app, argc, argv);
  if (access(store_path.c_str(), F_OK) == 0) {
    std::cerr << store_path << " exists; give a new file\n";
    return 2;
  }
  netra::log::Init("bench-sweeper", netra::log::Level::kWarn);
  std::string error;
  auto regions = RegionDirectory::Load(data_dir + "/regions.csv", &error);
  if (!regions) {
    std::cerr << error << "\n";
    return 1;
  }
  prometheus::Registry metrics;
  RedisOptions redis_options;
  redis_options.port = 1;  // no Redis: the catalog write-through is a fast miss
  RedisClient redis(redis_options, metrics);
  Cache cache(redis, "catalog", metrics);
  BenchDirectory directory;
  BenchComplaints complaints;
  absl::Time now = absl::Now();
  const std::string catalog_json = ReadAll(data_dir + "/violation_catalog.json");

  // The service's objects on one store file, opened as the service opens it.
  struct Service {
    std::unique_ptr<Database> db;
    std::unique_ptr<SanctionStore> store;
    std::unique_ptr<CaseStore> cases;
    std::unique_ptr<Sanctions> sanctions;
  };
  auto open = [&](const std::string& path) {
    Service s;
    s.db = Database::Open(path, kMigrations, &error);
    if (!s.db) {
      std::cerr << error << "\n";
      std::exit(1);
    }
    s.store = std::make_unique<SanctionStore>(*s.db);
    s.cases = std::make_unique<CaseStore>(*s.db);
    s.sanctions = std::make_unique<Sanctions>(*s.store, cache, *s.cases, directory, complaints, *regions, CaseRules{},
                                              &metrics, [&] { return now; });
    if (!s.sanctions->LoadCatalog(catalog_json).ok()) std::exit(1);
    return s;
  };
  // Filling takes two durable commits per case; on a disk that is slow and
  // not what is measured, so --fill-in fills a file elsewhere (tmpfs) and
  // copies it to --store for the passes.
  const std::string fill_path =
      fill_dir.empty() ? store_path : fill_dir + "/" + std::filesystem::path(store_path).filename().string() + ".fill";
  Service service = open(fill_path);
  Sanctions& sanctions = *service.sanctions;

  auto today = absl::ToCivilDay(now, absl::FixedTimeZone(7 * 3600));
  auto fill_start = std::chrono::steady_clock::now();
  for (int i = 0; i < cases; ++i) {
    std::string n = std::to_string(i);
    OpenCaseCommand open{"open-" + n, "complaint-" + n, {}, "employee-" + n, "pemilu-2024", {"B2"}, "", ""};
    auto opened = sanctions.OpenCase(open, {}, sanction::Idempotency{"OpenCase", open.request_id, "h", [](const Case&) {
                                                             return std::string();
                                                           }});
    if (!opened.ok()) {
      std::cerr << "open failed: " << opened.error().message << "\n";
      return 1;
    }
    RecommendCommand rec{"rec-" + n, opened.value().case_record.case_id, 0, "BKN", "R-" + n,
                         Date{static_cast<int>(today.year()), today.month(), today.day()}, 1, 4, {9}, ""};
    auto recommended = sanctions.IssueRecommendation(
        rec, {}, sanction::Idempotency{"IssueRecommendation", rec.request_id, "h", [](const Case&) { return std::string(); }});
    if (!recommended.ok()) {
      std::cerr << "recommend failed: " << recommended.error().message << "\n";
      return 1;
    }
  }
  double fill_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
  if (fill_path != store_path) {
    service.sanctions.reset();  // then the store closes: checkpointed, the WAL gone
    service.cases.reset();
    service.store.reset();
    service.db.reset();
    std::filesystem::copy_file(fill_path, store_path);
    std::filesystem::remove(fill_path);
    service = open(store_path);
  }
  Sanctions& swept = *service.sanctions;

  // The sweeper's lease, as the one leader takes it; every pass writes under its token.
  auto lease = swept.TakeSweeperLease("bench", std::chrono::hours(1));
  if (!lease.ok() || !lease.value()) {
    std::cerr << "cannot take the sweeper lease\n";
    std::exit(1);
  }
  const int64_t token = *lease.value();

  // One pass: batches until a batch comes back short, as the sweeper does.
  nlohmann::ordered_json out;
  out["cases"] = cases;
  out["batch"] = batch;
  out["fill_seconds"] = fill_seconds;
  auto pass = [&](const std::string& name, int64_t token) {
    auto start = std::chrono::steady_clock::now();
    double cpu = CpuSeconds();
    int escalated = 0;
    for (;;) {
      bool fenced = false;
      auto done = swept.EscalateDue(token, batch, &fenced);
      if (!done.ok() || fenced) {
        std::cerr << "pass failed\n";
        std::exit(1);
      }
      escalated += done.value();
      if (done.value() < batch) break;
    }
    out[name] = {{"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
                 {"cpu_seconds", CpuSeconds() - cpu},
                 {"escalated", escalated}};
  };
  // Nothing due yet; then the clock moves so that exactly one step is due per
  // case and pass (14 working days to decide, then 5, 5 and 10 working days).
  pass("pass_none_due", token);
  now += absl::Hours(24 * 30);
  pass("pass_warning_all_due", token);
  now += absl::Hours(24 * 8);
  pass("pass_reprimand_all_due", token);
  now += absl::Hours(24 * 20);
  pass("pass_data_block_all_due", token);
  std::cout << out.dump(2) << std::endl;
  return 0;
}

// netra-sanction: the violation catalog, and cases from forwarding to the
// staffing authority's (PPK's) decision.
#include <CLI/CLI.hpp>
#include <fstream>
#include <sstream>

#include "common/client.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/outbox_admin.h"
#include "common/registry_client.h"
#include "common/server.h"
#include "services/sanction/peers.h"
#include "services/sanction/sanction_handler.h"
#include "services/sanction/sanction_store.h"
#include "services/sanction/sanctions.h"
#include "services/sanction/sweeper.h"

namespace {

using namespace netra;

// Service flags (bound by ServiceDefinition::extra_flags; live for the process).
struct Flags {
  int sweep_interval_ms = 60000;
  int sweep_lease_ms = 30000;
  int sweep_batch = 20000;
  int ppk_decision_days = 14;
  int warning_days = 5, reprimand_days = 5, data_block_days = 10;
  double clock_offset_hours = 0;
} flags;

void AddFlags(CLI::App& app) {
  app.add_option("--sweep-interval-ms", flags.sweep_interval_ms, "Escalation sweeper: milliseconds between passes")
      ->envname("NETRA_SWEEP_INTERVAL_MS")
      ->check(CLI::Range(10, 86400000));
  app.add_option("--sweep-lease-ms", flags.sweep_lease_ms, "Escalation sweeper: lease expiry in Redis (ms)")
      ->envname("NETRA_SWEEP_LEASE_MS")
      ->check(CLI::Range(100, 3600000));
  app.add_option("--sweep-batch", flags.sweep_batch, "Escalation sweeper: cases per transaction")
      ->envname("NETRA_SWEEP_BATCH")
      ->check(CLI::Range(1, 100000));
  app.add_option("--ppk-decision-days", flags.ppk_decision_days,
                 "Working days the PPK has when the election sets none")
      ->envname("NETRA_PPK_DECISION_DAYS")
      ->check(CLI::Range(1, 365));
  app.add_option("--escalation-warning-days", flags.warning_days,
                 "Working days after the PPK deadline until a warning, when the election sets none")
      ->envname("NETRA_ESCALATION_WARNING_DAYS")
      ->check(CLI::Range(0, 365));
  app.add_option("--escalation-reprimand-days", flags.reprimand_days,
                 "Working days after the warning until a reprimand, when the election sets none")
      ->envname("NETRA_ESCALATION_REPRIMAND_DAYS")
      ->check(CLI::Range(0, 365));
  app.add_option("--escalation-data-block-days", flags.data_block_days,
                 "Working days after the reprimand until the employee's data is blocked, when the election sets none")
      ->envname("NETRA_ESCALATION_DATA_BLOCK_DAYS")
      ->check(CLI::Range(0, 365));
  app.add_option("--clock-offset-hours", flags.clock_offset_hours,
                 "Runs the service's clock ahead by this many hours (drills and tests only)")
      ->envname("NETRA_CLOCK_OFFSET_HOURS")
      ->check(CLI::Range(0.0, 24.0 * 3650));
}

// Everything the service runs, destroyed in reverse order of construction:
// the background threads stop before what they use goes away.
struct SanctionService {
  std::unique_ptr<RegionDirectory> regions;
  std::unique_ptr<Cache> catalog_cache, employee_cache;
  std::unique_ptr<RegistryClient> registry;
  std::unique_ptr<sanction::RegistryDirectory> directory;
  std::unique_ptr<sanction::SanctionStore> store;
  std::unique_ptr<sanction::CaseStore> cases;
  std::unique_ptr<sanction::Sanctions> sanctions;
  std::unique_ptr<OutboxDispatcher> outbox;
  std::unique_ptr<sanction::Sweeper> sweeper;
  std::unique_ptr<sanction::SanctionHandler> handler;
  std::unique_ptr<OutboxAdminHandler> outbox_admin;

  ~SanctionService() {
    if (sweeper) sweeper->Stop();
    if (outbox) outbox->Stop();
  }
};

}  // namespace

int main(int argc, char** argv) {
  ServiceDefinition definition{"sanction", 50053, 9453, {Peer::kRegistry, Peer::kComplaint}};
  definition.extra_flags = AddFlags;
  return RunService(argc, argv, definition, sanction::kMigrations,
                    [](const ServiceEnvironment& env, ServiceParts& parts, std::string* error) {
                      std::string path = env.config.data_dir + "/violation_catalog.json";
                      std::ifstream file(path);
                      if (!file) {
                        *error = "cannot read " + path;
                        return false;
                      }
                      std::stringstream json;
                      json << file.rdbuf();
                      if (env.config.registry_target.empty()) {
                        *error = "--registry is required (cases look up employees and elections)";
                        return false;
                      }
                      auto* s = parts.Keep(std::make_unique<SanctionService>());
                      auto regions = RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
                      if (!regions) return false;
                      s->regions = std::make_unique<RegionDirectory>(std::move(*regions));
                      auto& metrics = env.metrics.registry();
                      s->catalog_cache = std::make_unique<Cache>(env.redis, "catalog", metrics);
                      s->employee_cache = std::make_unique<Cache>(env.redis, "employee", metrics);
                      s->registry = std::make_unique<RegistryClient>(
                          *s->employee_cache, MakeChannel(env.config.registry_target, &env.metrics));
                      s->directory = std::make_unique<sanction::RegistryDirectory>(*s->registry);
                      s->store = std::make_unique<sanction::SanctionStore>(env.store);
                      s->cases = std::make_unique<sanction::CaseStore>(env.store);
                      sanction::CaseRules rules;
                      rules.default_ppk_decision = {flags.ppk_decision_days, DayCounting::kWorkingDays};
                      rules.default_escalation = {DeadlineRule{flags.warning_days, DayCounting::kWorkingDays},
                                                  DeadlineRule{flags.reprimand_days, DayCounting::kWorkingDays},
                                                  DeadlineRule{flags.data_block_days, DayCounting::kWorkingDays}};
                      absl::Duration offset = absl::Hours(flags.clock_offset_hours);
                      if (offset != absl::ZeroDuration()) {
                        log::Warn("clock runs ahead (--clock-offset-hours): for drills and tests only",
                                  {{"hours", std::to_string(flags.clock_offset_hours)}});
                      }
                      s->sanctions = std::make_unique<sanction::Sanctions>(
                          *s->store, *s->catalog_cache, *s->cases, *s->directory, *s->regions, rules, &metrics,
                          [offset] { return absl::Now() + offset; });
                      auto version = s->sanctions->LoadCatalog(json.str());
                      if (!version.ok()) {
                        *error = path + ": " + version.error().message;
                        for (const auto& v : version.error().violations.list()) {
                          *error += "; " + v.field + ": " + v.description;
                        }
                        return false;
                      }
                      log::Info("violation catalog loaded", {{"version", version.value()}});

                      // A claim outlives the longest delivery (the peers' 5 s deadline) with room
                      // to spare, and no more: a replica killed mid-delivery delays the retry by it.
                      OutboxOptions outbox_options;
                      outbox_options.claim_lease = std::chrono::seconds(10);
                      s->outbox = std::make_unique<OutboxDispatcher>(env.store, &metrics, outbox_options);
                      std::shared_ptr<v1::ComplaintService::Stub> complaint;
                      if (!env.config.complaint_target.empty()) {
                        complaint = v1::ComplaintService::NewStub(MakeChannel(env.config.complaint_target, &env.metrics));
                      }
                      sanction::HandleNotifications(*s->outbox, *s->registry, std::move(complaint));
                      s->sanctions->OnNotificationsQueued([outbox = s->outbox.get()] { outbox->Wake(); });
                      s->outbox->Start();

                      sanction::SweeperOptions sweep{std::chrono::milliseconds(flags.sweep_interval_ms),
                                                     std::chrono::milliseconds(flags.sweep_lease_ms),
                                                     flags.sweep_batch};
                      s->sweeper = std::make_unique<sanction::Sweeper>(env.redis, *s->sanctions, sweep, &metrics);
                      s->sweeper->Start();
                      s->handler = std::make_unique<sanction::SanctionHandler>(*s->sanctions);
                      parts.Serve(s->handler.get());
                      s->outbox_admin = std::make_unique<OutboxAdminHandler>(env.store, *s->outbox);
                      parts.Serve(s->outbox_admin.get());
                      return true;
                    });
}

// netra-sanction: the violation catalog, and cases from forwarding to the
// staffing authority's (PPK's) decision.
#include <CLI/CLI.hpp>

#include "common/catalog_file.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/outbox_admin.h"
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
  app.add_option("--sweep-lease-ms", flags.sweep_lease_ms, "Escalation sweeper: lease expiry in the store (ms)")
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

sanction::CaseRules RulesFromFlags() {
  sanction::CaseRules rules;
  rules.default_ppk_decision = {flags.ppk_decision_days, DayCounting::kWorkingDays};
  rules.default_escalation = {DeadlineRule{flags.warning_days, DayCounting::kWorkingDays},
                              DeadlineRule{flags.reprimand_days, DayCounting::kWorkingDays},
                              DeadlineRule{flags.data_block_days, DayCounting::kWorkingDays}};
  return rules;
}

std::function<absl::Time()> ClockFromFlags() {
  const absl::Duration offset = absl::Hours(flags.clock_offset_hours);
  if (offset != absl::ZeroDuration()) {
    log::Warn("clock runs ahead (--clock-offset-hours): for drills and tests only",
              {{"hours", std::to_string(flags.clock_offset_hours)}});
  }
  return [offset] { return absl::Now() + offset; };
}

bool Setup(const ServiceEnvironment& env, ServiceParts& parts, std::string* error) {
  auto& metrics = env.metrics.registry();
  auto regions = RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
  if (!regions) return false;
  auto* directory = parts.Keep(std::make_unique<RegionDirectory>(std::move(*regions)));

  sanction::Peers peers;
  if (!sanction::ConnectPeers(env, parts, &peers, error)) return false;

  auto* catalog_cache = parts.Keep(std::make_unique<Cache>(env.redis, "catalog", metrics));
  auto* store = parts.Keep(std::make_unique<sanction::SanctionStore>(env.store));
  auto* cases = parts.Keep(std::make_unique<sanction::CaseStore>(env.store));
  auto* sanctions = parts.Keep(std::make_unique<sanction::Sanctions>(
      *store, *catalog_cache, *cases, *peers.directory, *peers.complaints, *directory, RulesFromFlags(), &metrics, ClockFromFlags()));
  auto version = LoadCatalogFile<std::string>(
      env.config.data_dir, [&](const std::string& json) { return sanctions->LoadCatalog(json); }, error);
  if (!version) return false;
  log::Info("violation catalog loaded", {{"version", *version}});

  auto* outbox = sanction::NotificationOutbox(env, parts, peers);
  sanctions->OnNotificationsQueued([outbox] { outbox->Wake(); });
  auto* sweeper = parts.Keep(std::make_unique<sanction::Sweeper>(
      *sanctions,
      sanction::SweeperOptions{std::chrono::milliseconds(flags.sweep_interval_ms),
                               std::chrono::milliseconds(flags.sweep_lease_ms), flags.sweep_batch},
      &metrics));

  parts.Serve(parts.Keep(std::make_unique<sanction::SanctionHandler>(*sanctions)));
  parts.Serve(parts.Keep(std::make_unique<OutboxAdminHandler>(env.store, *outbox)));

  outbox->Start();
  sweeper->Start();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ServiceDefinition definition{"sanction", 50053, 9453, {Peer::kRegistry, Peer::kComplaint}};
  definition.extra_flags = AddFlags;
  return RunService(argc, argv, definition, sanction::kMigrations, Setup);
}

// netra-complaint: reports of partisan acts, evidence, and Bawaslu's handling
// up to forwarding.
#include <CLI/CLI.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "common/client.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/outbox_admin.h"
#include "common/registry_client.h"
#include "common/server.h"
#include "common/sqlite.h"
#include "services/complaint/adapters.h"
#include "services/complaint/complaint_handler.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"
#include "services/complaint/evidence.h"
#include "services/complaint/peers.h"

namespace {

// Flags of this service only (bound before RunService parses them).
struct ComplaintFlags {
  std::string evidence_dir;  // empty: "evidence" beside the store file
  int64_t evidence_max_bytes = 50 << 20;
  int cluster_window_hours = 72;
  int stats_min_count = 5;
  int contact_limit = 10;  // per hour
  int peer_limit = 120;    // per minute
  int status_peer_limit = 600;  // per minute
  int catalog_ttl_ms = 5000;
  int subject_retry_seconds = 60;
};
ComplaintFlags flags;

void AddFlags(CLI::App& app) {
  app.add_option("--evidence-dir", flags.evidence_dir,
                 "Directory of evidence files (content-addressed); default: evidence/ beside the store")
      ->envname("NETRA_EVIDENCE_DIR");
  app.add_option("--evidence-max-bytes", flags.evidence_max_bytes, "Largest evidence file accepted")
      ->envname("NETRA_EVIDENCE_MAX_BYTES")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--cluster-window-hours", flags.cluster_window_hours,
                 "Reports about the same subject and violation within this window join one cluster")
      ->envname("NETRA_CLUSTER_WINDOW_HOURS")
      ->check(CLI::Range(1, 24 * 365));
  app.add_option("--stats-min-count", flags.stats_min_count, "Statistics under this count are suppressed")
      ->envname("NETRA_STATS_MIN_COUNT")
      ->check(CLI::Range(1, 1000));
  app.add_option("--intake-contact-limit", flags.contact_limit,
                 "Public submissions per reporter contact per hour (0: no limit)")
      ->envname("NETRA_INTAKE_CONTACT_LIMIT")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--intake-peer-limit", flags.peer_limit, "Public submissions per peer address per minute (0: no limit)")
      ->envname("NETRA_INTAKE_PEER_LIMIT")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--status-peer-limit", flags.status_peer_limit,
                 "Public status lookups (GetComplaintStatus) per peer address per minute (0: no limit)")
      ->envname("NETRA_STATUS_PEER_LIMIT")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--catalog-ttl-ms", flags.catalog_ttl_ms,
                 "How long the violation catalog (from the sanction service) is used before it is fetched again")
      ->envname("NETRA_CATALOG_TTL_MS")
      ->check(CLI::Range(100, 3600 * 1000));
  app.add_option("--subject-retry-seconds", flags.subject_retry_seconds,
                 "First wait before an unresolved subject is looked up in the registry again (later waits grow)")
      ->envname("NETRA_SUBJECT_RETRY_SECONDS")
      ->check(CLI::Range(1, 86400));
}

// Runs `task` every `period` until destroyed.
class Periodic {
 public:
  Periodic(std::chrono::seconds period, std::function<void()> task)
      : thread_([this, period, task = std::move(task)] {
          std::unique_lock lock(mu_);
          while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
            lock.unlock();
            try {
              task();
            } catch (const std::exception& e) {
              netra::log::Warn("periodic task failed", {{"error", e.what()}});
            }
            lock.lock();
          }
        }) {}
  ~Periodic() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace netra;
  ServiceDefinition definition{"complaint", 50052, 9452, {Peer::kRegistry, Peer::kSanction}};
  definition.needs_nik_key = true;  // the reporter's NIK is kept as its HMAC only
  definition.extra_flags = AddFlags;
  return RunService(
      argc, argv, definition, complaint::kMigrations,
      [](const ServiceEnvironment& env, ServiceParts& parts, std::string* error) {
        auto regions = RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
        if (!regions) return false;
        const std::string catalog_path = env.config.data_dir + "/violation_catalog.json";
        std::ifstream catalog_file(catalog_path);
        std::stringstream catalog_json;
        catalog_json << catalog_file.rdbuf();
        auto codes = complaint::ViolationCodes::FromCatalogJson(catalog_json.str());
        if (!codes.ok()) {
          *error = catalog_path + ": " + codes.error().message;
          return false;
        }
        std::string evidence_dir = flags.evidence_dir;
        if (evidence_dir.empty()) {
          evidence_dir = (std::filesystem::path(env.store.path()).parent_path() / "evidence").string();
        }

        auto* directory = parts.Keep(std::make_unique<RegionDirectory>(std::move(*regions)));
        // The shipped file until the sanction service's catalog (Redis, else its RPC) is fetched.
        auto sanction_channel = MakeChannel(env.config.sanction_target, &env.metrics);
        auto* catalog = parts.Keep(std::make_unique<complaint::ViolationCatalogSource>(
            codes.value(), complaint::SanctionCatalogFetch(env.redis, sanction_channel),
            std::chrono::milliseconds(flags.catalog_ttl_ms)));
        auto* nik_hasher = parts.Keep(std::make_unique<NikHasher>(env.config.nik_key));
        auto* store = parts.Keep(std::make_unique<complaint::ComplaintStore>(env.store));
        auto* status_cache =
            parts.Keep(std::make_unique<Cache>(env.redis, "complaint_status", env.metrics.registry()));
        auto* employee_cache =
            parts.Keep(std::make_unique<Cache>(env.redis, "registry_employee", env.metrics.registry()));
        auto* registry_client = parts.Keep(std::make_unique<RegistryClient>(
            *employee_cache, MakeChannel(env.config.registry_target, &env.metrics)));
        auto* registry = parts.Keep(std::make_unique<complaint::RegistryDirectory>(*registry_client));
        complaint::ComplaintSettings settings;
        settings.cluster_window = std::chrono::hours(flags.cluster_window_hours);
        settings.stats_min_count = flags.stats_min_count;
        settings.contact_limit = flags.contact_limit;
        settings.peer_limit = flags.peer_limit;
        settings.status_peer_limit = flags.status_peer_limit;
        settings.subject_retry_interval = std::chrono::seconds(flags.subject_retry_seconds);
        auto* status_texts = parts.Keep(std::make_unique<complaint::RedisTextCache>(env.redis, *status_cache));
        auto* limiter = parts.Keep(std::make_unique<complaint::RedisRateLimiter>(env.redis));
        auto* metrics = parts.Keep(std::make_unique<complaint::PrometheusComplaintMetrics>(env.metrics.registry()));
        auto* complaints = parts.Keep(std::make_unique<complaint::Complaints>(
            *store,
            complaint::ComplaintPorts{*registry, *status_texts, *status_texts, *limiter, *metrics,
                                      complaint::OpenCaseMessage},
            *directory, *catalog, *nik_hasher, settings));
        auto* evidence =
            parts.Keep(std::make_unique<complaint::EvidenceStore>(*store, evidence_dir, flags.evidence_max_bytes));
        if (!evidence->Prepare(error)) return false;

        // Forwarding to the sanction service, retried while it is out of reach,
        // parked when it refuses (outbox in the store; operators: OutboxAdminService).
        auto* outbox = parts.Keep(std::make_unique<OutboxDispatcher>(env.store, &env.metrics.registry()));
        outbox->Handle(std::string(complaint::kForwardingOutboxKind),
                       complaint::ForwardingDelivery(*complaints, sanction_channel));
        complaints->OnMessageQueued([outbox] { outbox->Wake(); });
        outbox->Start();
        complaints->RefreshOpenGauge();
        parts.Keep(std::make_unique<Periodic>(std::chrono::seconds(15), [complaints] { complaints->RefreshOpenGauge(); }));
        // Unresolved subjects, looked up again once the registry answers.
        parts.Keep(std::make_unique<Periodic>(std::chrono::seconds(flags.subject_retry_seconds), [complaints] {
          while (complaints->RetryUnresolvedSubjects(absl::Now()) > 0) {
          }
        }));
        parts.Serve(parts.Keep(std::make_unique<complaint::ComplaintHandler>(*complaints, *evidence, *nik_hasher)));
        parts.Serve(parts.Keep(std::make_unique<OutboxAdminHandler>(env.store, *outbox)));
        log::Info("complaint service ready", {{"evidence_dir", evidence_dir}});
        return true;
      });
}

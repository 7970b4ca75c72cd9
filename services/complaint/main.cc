// netra-complaint: reports of partisan acts, evidence, and Bawaslu's handling
// up to forwarding.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "common/access_log.h"
#include "common/catalog_file.h"
#include "common/keyed_hash.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/outbox_admin.h"
#include "common/periodic.h"
#include "common/sealed_box.h"
#include "common/server.h"
#include "services/complaint/adapters.h"
#include "services/complaint/complaint_handler.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"
#include "services/complaint/evidence.h"
#include "services/complaint/peers.h"
#include "services/complaint/public_intake.h"

namespace {

using namespace netra;

// Flags of this service only (bound before RunService parses them).
struct Flags {
  std::string evidence_dir;  // empty: "evidence" beside the store file
  int64_t evidence_max_bytes = 50 << 20;
  int cluster_window_hours = 72;
  int stats_min_count = 5;
  int contact_limit = 10;  // per hour
  int peer_limit = 120;    // per minute
  int status_peer_limit = 600;  // per minute
  int catalog_ttl_ms = 5000;
  int subject_retry_seconds = 60;
  std::vector<std::string> reporter_key_files;  // the first seals; all open
  std::string stats_key_file;
} flags;

void AddFlags(CLI::App& app) {
  app.add_option("--reporter-key-file", flags.reporter_key_files,
                 "File of a 32-byte AES-256 key under which reporter identities are sealed (separate from the NIK "
                 "key). Repeat (or separate with commas) to rotate: the first seals new values, every one opens")
      ->envname("NETRA_REPORTER_KEY_FILE")
      ->delimiter(',');
  app.add_option("--evidence-dir", flags.evidence_dir,
                 "Directory of evidence files (content-addressed); default: evidence/ beside a SQLite store; "
                 "required with a PostgreSQL one")
      ->envname("NETRA_EVIDENCE_DIR");
  app.add_option("--evidence-max-bytes", flags.evidence_max_bytes, "Largest evidence file accepted")
      ->envname("NETRA_EVIDENCE_MAX_BYTES")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--cluster-window-hours", flags.cluster_window_hours,
                 "Reports about the same subject and violation within this window join one cluster")
      ->envname("NETRA_CLUSTER_WINDOW_HOURS")
      ->check(CLI::Range(1, 24 * 365));
  app.add_option("--stats-key-file", flags.stats_key_file,
                 "File of the secret (32 bytes or more) the statistics' record keys are derived from "
                 "(cell-key perturbation, docs/statistics.md); never published")
      ->envname("NETRA_STATS_KEY_FILE");
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

complaint::ComplaintSettings SettingsFromFlags() {
  complaint::ComplaintSettings settings;
  settings.cluster_window = std::chrono::hours(flags.cluster_window_hours);
  settings.stats_min_count = flags.stats_min_count;
  settings.contact_limit = flags.contact_limit;
  settings.peer_limit = flags.peer_limit;
  settings.status_peer_limit = flags.status_peer_limit;
  settings.subject_retry_interval = std::chrono::seconds(flags.subject_retry_seconds);
  return settings;
}

// "" with *error when there is none: a PostgreSQL store has no file to keep
// the evidence beside (replicas on several hosts share one volume for it).
std::string EvidenceDirFromFlags(const ServiceEnvironment& env, std::string* error) {
  if (!flags.evidence_dir.empty()) return flags.evidence_dir;
  if (env.store.dialect() != Dialect::kSqlite) {
    *error = "--evidence-dir: required with a PostgreSQL store (replicas on several hosts share one volume for it)";
    return "";
  }
  return (std::filesystem::path(env.store.path()).parent_path() / "evidence").string();
}

// The reporter keys (--reporter-key-file), the first one sealing; nullptr with *error.
std::unique_ptr<SealedBox> LoadReporterKeys(std::string* error) {
  if (flags.reporter_key_files.empty()) {
    *error = "--reporter-key-file: required: a file holding the 32-byte key reporter identities are sealed under";
    return nullptr;
  }
  std::vector<std::string> keys;
  for (const std::string& path : flags.reporter_key_files) {
    std::string why;
    auto key = SealedBox::LoadKey(path, &why);
    if (!key) {
      *error = "--reporter-key-file: " + why;
      return nullptr;
    }
    keys.push_back(std::move(*key));
  }
  auto box = std::make_unique<SealedBox>(keys);
  log::Info("reporter keys loaded", {{"sealing_key_id", box->sealing_key_id()},
                                     {"keys", std::to_string(flags.reporter_key_files.size())}});
  return box;
}

// The rules of matching a reported person (data/subject_matching.json).
std::optional<complaint::SubjectMatching> LoadSubjectMatching(const std::string& data_dir, std::string* error) {
  const std::string path = data_dir + "/" + std::string(complaint::kSubjectMatchingFile);
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  if (file) text << file.rdbuf();
  if (!file || file.bad()) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  auto rules = complaint::SubjectMatching::FromJson(text.str());
  if (!rules.ok()) {
    *error = path + ": " + rules.error().message;
    for (const auto& v : rules.error().violations.list()) *error += "; " + v.field + ": " + v.description;
    return std::nullopt;
  }
  return rules.value();
}

bool Setup(const ServiceEnvironment& env, ServiceParts& parts, std::string* error) {
  auto& metrics = env.metrics.registry();
  auto regions = RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
  if (!regions) return false;
  auto* directory = parts.Keep(std::make_unique<RegionDirectory>(std::move(*regions)));
  auto shipped_codes = LoadCatalogFile<complaint::ViolationCodes>(
      env.config.data_dir, [](const std::string& json) { return complaint::ViolationCodes::FromCatalogJson(json); },
      error);
  if (!shipped_codes) return false;
  auto subject_matching = LoadSubjectMatching(env.config.data_dir, error);
  if (!subject_matching) return false;
  complaint::ComplaintSettings settings = SettingsFromFlags();
  settings.subject_matching = *subject_matching;

  complaint::Peers peers;
  if (!complaint::ConnectPeers(env, parts, &peers, error)) return false;

  // The shipped file until the sanction service's catalog (Redis, else its RPC) is fetched.
  auto* catalog = parts.Keep(std::make_unique<complaint::ViolationCatalogSource>(
      std::move(*shipped_codes), complaint::SanctionCatalogFetch(env.redis, peers.sanction),
      std::chrono::milliseconds(flags.catalog_ttl_ms)));
  auto* nik_hasher = parts.Keep(std::make_unique<NikHasher>(env.config.nik_key));
  auto loaded_box = LoadReporterKeys(error);
  if (!loaded_box) return false;
  auto* reporter_box = parts.Keep(std::move(loaded_box));
  if (flags.stats_key_file.empty()) {
    *error = "--stats-key-file: required: a file holding the secret the statistics are perturbed under";
    return false;
  }
  auto stats_key = KeyedHash::LoadKey(flags.stats_key_file, complaint::RecordKeys::kMinKeyBytes,
                                      "the statistics key", error);
  if (!stats_key) {
    *error = "--stats-key-file: " + *error;
    return false;
  }
  auto* record_keys = parts.Keep(std::make_unique<complaint::RecordKeys>(std::move(*stats_key)));
  auto* store = parts.Keep(std::make_unique<complaint::ComplaintStore>(env.store, *reporter_box));
  auto* status_cache = parts.Keep(std::make_unique<Cache>(env.redis, "complaint_status", metrics));
  auto* status_texts = parts.Keep(std::make_unique<complaint::RedisTextCache>(env.redis, *status_cache));
  auto* limiter = parts.Keep(std::make_unique<complaint::RedisRateLimiter>(env.redis));
  auto* complaint_metrics = parts.Keep(std::make_unique<complaint::PrometheusComplaintMetrics>(metrics));
  auto* complaints = parts.Keep(std::make_unique<complaint::Complaints>(
      *store,
      complaint::ComplaintPorts{*peers.directory, *status_texts, *status_texts, *limiter, *complaint_metrics,
                                complaint::OpenCaseMessage},
      *directory, *catalog, *nik_hasher, *reporter_box, *record_keys, settings));
  const std::string evidence_dir = EvidenceDirFromFlags(env, error);
  if (evidence_dir.empty()) return false;
  auto* evidence =
      parts.Keep(std::make_unique<complaint::EvidenceStore>(*store, evidence_dir, flags.evidence_max_bytes));
  if (!evidence->Prepare(error)) return false;

  auto* outbox = complaint::ForwardingOutbox(env, parts, peers, *complaints);
  complaints->OnMessageQueued([outbox] { outbox->Wake(); });
  auto* open_gauge = parts.Keep(std::make_unique<PeriodicWorker>(
      "open complaints gauge", std::chrono::seconds(15), [complaints] { complaints->RefreshOpenGauge(); }));
  // Unresolved subjects, looked up again once the registry answers.
  auto* subject_retry = parts.Keep(std::make_unique<PeriodicWorker>(
      "subject retry", std::chrono::seconds(flags.subject_retry_seconds), [complaints] {
        return complaints->RetryUnresolvedSubjects(absl::Now()) > 0 ? PeriodicWorker::Next::kAgain
                                                                     : PeriodicWorker::Next::kWait;
      }));

  auto* access_log = parts.Keep(std::make_unique<AccessLog>(env.store, metrics));
  auto* handler = parts.Keep(std::make_unique<complaint::ComplaintHandler>(
      *complaints, *evidence, *nik_hasher, *access_log,
      complaint::ClientAddress(env.config.public_listener.edge_identity)));
  parts.Serve(handler);
  parts.ServePublic(parts.Keep(std::make_unique<complaint::PublicIntakeHandler>(*handler)));
  parts.Serve(parts.Keep(std::make_unique<OutboxAdminHandler>(env.store, *outbox)));

  outbox->Start();
  open_gauge->Start();
  subject_retry->Start(PeriodicWorker::First::kAfterPeriod);
  log::Info("complaint service ready", {{"evidence_dir", evidence_dir}});
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ServiceDefinition definition{"complaint", 50052, 9452, {Peer::kRegistry, Peer::kSanction}};
  definition.needs_nik_key = true;  // the reporter's NIK is kept as its HMAC only
  definition.has_public_listener = true;  // public intake (SubmitComplaint, UploadEvidence, GetComplaintStatus)
  definition.extra_flags = AddFlags;
  return RunService(argc, argv, definition, complaint::kMigrations, Setup);
}

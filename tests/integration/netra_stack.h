// A real Netra stack for integration tests: redis-server and the three
// service binaries as processes on free loopback ports, over mutual TLS with a
// CA of the stack's own, with SQLite stores in a temp dir (each service on a
// PostgreSQL database of its own instead when NETRA_TEST_STORE=postgresql).
// Everything is stopped when the stack is destroyed, also when a test fails
// half-way.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "netra/v1/registry.pb.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_support.h"

namespace netra::testing {

enum class Service { kRegistry = 0, kComplaint = 1, kSanction = 2 };

class NetraStack {
 public:
  NetraStack();  // starts Redis; services start on demand
  ~NetraStack();

  // Starts the service and waits until it reports SERVING; false (with the
  // log in the test output) if it does not within the bound.
  bool Start(Service service, std::vector<std::string> extra_args = {});
  bool StartAll();
  // SIGTERM and wait; returns the exit status, nullopt if it did not exit in time.
  std::optional<int> Stop(Service service);

  Subprocess& process(Service service) { return *processes_[Index(service)]; }
  std::string address(Service service) const { return "127.0.0.1:" + std::to_string(ports_[Index(service)]); }
  int metrics_port(Service service) const { return metrics_ports_[Index(service)]; }
  // A channel over mutual TLS as the service's usual caller (DefaultCaller), or
  // as `identity` (a SPIFFE path such as "ppk/walikota:33.74"; see TestPki).
  // The services enforce deploy/access-policy.json.
  std::shared_ptr<grpc::Channel> channel(Service service);
  std::shared_ptr<grpc::Channel> channel(Service service, const std::string& identity);
  // The deployment's CA: services and callers get their certificates here.
  TestPki& pki() { return pki_; }
  static constexpr char kDefaultIdentity[] = "admin";
  // Who usually calls `service` in these tests: the registry a BKD
  // (Kota Semarang's), the complaint service Bawaslu Kota Semarang, the
  // sanction service the recommending authority (BKN).
  static std::string DefaultCaller(Service service);
  // The flags that make a tool (netractl, the load generator) call this
  // stack as `identity`.
  std::vector<std::string> ToolTlsFlags(const std::string& identity = kDefaultIdentity);
  // The flags that give `service` its certificate (CommandLine has them).
  std::vector<std::string> ServiceTlsFlags(Service service) const;
  std::string metrics(Service service) const { return HttpGet(metrics_port(service), "/metrics"); }
  std::string log(Service service) const;
  RedisServer& redis() { return redis_; }
  // --redis and --redis-password-file: `service` connects as its own Redis user.
  std::vector<std::string> RedisFlags(Service service) const;
  static std::string RedisUser(Service service) { return "netra-" + Name(service); }
  const TempDir& dir() const { return dir_; }
  // Upserts deploy/local/elections/`file` (e.g. "pemilu-2024.json") into the
  // running registry as the administrator; the stored election in *stored.
  grpc::Status UpsertDemoElection(const std::string& file, netra::v1::Election* stored = nullptr);
  // The NIK hashing key the services that need one are given.
  std::string nik_key_file() const { return dir_.File("nik.key"); }
  std::string reporter_key_file() const { return dir_.File("reporter.key"); }
  std::string stats_key_file() const { return dir_.File("stats.key"); }

  // Where `service` keeps its data from now on: `url` (e.g. a PostgreSQL
  // database of a PgServer) instead of the SQLite file in dir(), with
  // `password_file` as --store-password-file when not empty.
  void UseStore(Service service, std::string url, std::string password_file = "");
  // UseStore on a new database of this test process's PostgreSQL cluster
  // (SharedPgServer), its password given by file as a deployment gives it.
  // False, with a test failure carrying the cluster's log, when the database
  // cannot be made.
  bool UseNewPostgresDatabase(Service service);
  // The --store flag(s) CommandLine gives `service`.
  std::vector<std::string> StoreFlags(Service service) const;

  // The command line Start runs `service` with (this stack's Redis, store file and
  // data), listening on `listen` and `metrics_port`; `peers` overrides the targets of
  // the services it calls (e.g. several replicas, comma-separated).
  std::vector<std::string> CommandLine(Service service, const std::string& listen, int metrics_port,
                                       const std::map<Service, std::string>& peers = {}) const;

  static std::string BinaryPath(Service service);
  static std::string Name(Service service);

 private:
  static size_t Index(Service s) { return static_cast<size_t>(s); }

  TempDir dir_;
  TestPki pki_;
  std::array<TlsFiles, 3> service_tls_;
  RedisServer redis_;
  std::array<int, 3> ports_{}, metrics_ports_{};
  std::array<std::unique_ptr<Subprocess>, 3> processes_;
  std::array<std::pair<std::string, std::string>, 3> stores_;  // UseStore's (url, password file); "" = SQLite
  std::map<std::pair<Service, std::string>, std::shared_ptr<grpc::Channel>> identity_channels_;
};

// Identities the tests act as, besides each service's DefaultCaller
// (deploy/access-policy.json says who may call what).
inline constexpr char kAdmin[] = "admin";                     // elections, the initial data
inline constexpr char kSemarangPpk[] = "ppk/walikota:33.74";  // SemarangEmployee's PPK, who decides its cases
inline constexpr char kNationalKpu[] = "kpu/ri";              // uploads the party-membership register (SIPOL)
// A test that makes a service-only call stands in for the peer service that makes it.
inline constexpr char kComplaintService[] = "svc/complaint";  // OpenCase
inline constexpr char kSanctionService[] = "svc/sanction";    // SetDisciplinaryStatus, RecordOutcome

// The identity of the recommending authority an election names ("KASN" -> "authority/kasn").
std::string AuthorityIdentity(const std::string& code);

// The value of one Prometheus sample in an exposition text: the line that
// starts with `name` and contains every `label="value"` given; nullopt if none.
std::optional<double> MetricValue(const std::string& text, const std::string& name,
                                  const std::map<std::string, std::string>& labels = {});

// Field paths of the BadRequest detail of an INVALID_ARGUMENT status, in order.
std::vector<std::string> ViolatedFields(const grpc::Status& status);

// Today + `days` in Semarang (WIB), as a service whose clock runs `offset_hours`
// ahead (--clock-offset-hours) sees it.
netra::v1::Date WibDate(int days = 0, int offset_hours = 0);

// A PNS of Kota Semarang (33.74) whose PPK is the Walikota; `n` (0 to 98) varies the NIP.
netra::v1::Employee SemarangEmployee(int n);

}  // namespace netra::testing

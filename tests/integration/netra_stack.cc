#include "tests/integration/netra_stack.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "common/client.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/support/pg_server.h"

namespace netra::testing {

using namespace std::chrono_literals;

std::string NetraStack::Name(Service service) {
  static const char* const kNames[] = {"registry", "complaint", "sanction"};
  return kNames[Index(service)];
}

std::string NetraStack::BinaryPath(Service service) { return std::string(NETRA_BINARY_DIR) + "/netra-" + Name(service); }

NetraStack::NetraStack() : pki_(dir_.path()) {
  for (size_t i = 0; i < 3; ++i) {
    ports_[i] = FreeLoopbackPort();
    metrics_ports_[i] = FreeLoopbackPort();
    service_tls_[i] = pki_.Issue("svc/" + Name(static_cast<Service>(i)));
  }
  // Channels made with MakeChannel in the test (and the stack's own) present this identity.
  SetChannelCredentials(pki_.Credentials(kDefaultIdentity));
  EXPECT_TRUE(redis_.Start()) << redis_.log();
  // The key NIKs are hashed under (32 fixed bytes are as good as random for tests).
  std::ofstream(nik_key_file(), std::ios::binary) << std::string(32, 'k');
  // The key reporter identities are sealed under (separate from the NIK key).
  std::ofstream(reporter_key_file(), std::ios::binary) << std::string(32, 'r');
  // The secret the statistics are perturbed under.
  std::ofstream(stats_key_file(), std::ios::binary) << std::string(32, 's');
  // The integration suites' PostgreSQL run (CMakeLists.txt): every service on
  // a database of its own, unless a test chooses otherwise (UseStore).
  if (const char* backend = std::getenv("NETRA_TEST_STORE"); backend != nullptr && *backend != '\0') {
    const std::string_view name(backend);
    if (name == "postgresql") {
      for (Service s : {Service::kRegistry, Service::kComplaint, Service::kSanction}) UseNewPostgresDatabase(s);
    } else if (name != "sqlite") {
      ADD_FAILURE() << "NETRA_TEST_STORE=" << name << ": sqlite or postgresql";
    }
  }
}

NetraStack::~NetraStack() {
  // The default credentials watch this stack's files, which go with it.
  SetChannelCredentials(grpc::InsecureChannelCredentials());
  // Signal all first so the three drain in parallel.
  for (auto& process : processes_) {
    if (process && process->Running()) process->Signal(SIGTERM);
  }
  for (auto& process : processes_) {
    if (process && !process->Wait(10s)) process->Kill();
  }
}

std::string NetraStack::DefaultCaller(Service service) {
  static const char* const kCallers[] = {"bkd/33.74", "bawaslu/33.74", "authority/bkn"};
  return kCallers[Index(service)];
}

std::shared_ptr<grpc::Channel> NetraStack::channel(Service service) { return channel(service, DefaultCaller(service)); }

std::shared_ptr<grpc::Channel> NetraStack::channel(Service service, const std::string& identity) {
  auto& channel = identity_channels_[{service, identity}];
  if (!channel) channel = MakeChannel(address(service), nullptr, 8 << 20, pki_.Credentials(identity));
  return channel;
}

std::vector<std::string> NetraStack::ToolTlsFlags(const std::string& identity) {
  const TlsFiles files = pki_.Issue(identity);
  return {"--tls-cert=" + files.cert, "--tls-key=" + files.key, "--tls-ca=" + files.ca,
          std::string("--trust-domain=") + kTestTrustDomain};
}

std::vector<std::string> NetraStack::ServiceTlsFlags(Service service) const {
  return {"--tls-cert=" + service_tls_[Index(service)].cert, "--tls-key=" + service_tls_[Index(service)].key,
          "--tls-ca=" + pki_.ca_file(), "--tls-crl-dir=" + pki_.crl_dir(), "--tls-refresh-seconds=1",
          std::string("--trust-domain=") + kTestTrustDomain};
}

std::vector<std::string> NetraStack::RedisFlags(Service service) const {
  return {"--redis=" + redis_.url(RedisUser(service)),
          "--redis-password-file=" + redis_.password_file(RedisUser(service))};
}

std::string NetraStack::log(Service service) const {
  return ReadFile(dir_.File(Name(service) + ".log"));
}

void NetraStack::UseStore(Service service, std::string url, std::string password_file) {
  stores_[Index(service)] = {std::move(url), std::move(password_file)};
}

bool NetraStack::UseNewPostgresDatabase(Service service) {
  static int databases = 0;
  const std::string name = Name(service) + "_" + std::to_string(++databases);
  PgServer& pg = SharedPgServer();
  if (pg.CreateDatabase(name).empty()) {
    ADD_FAILURE() << "no database " << name << ": " << pg.log();
    return false;
  }
  // No passfile in the URL: the service reads the password from --store-password-file.
  UseStore(service, pg.Url(name, name, /*with_passfile=*/false), pg.password_file());
  return true;
}

std::vector<std::string> NetraStack::StoreFlags(Service service) const {
  const auto& [url, password_file] = stores_[Index(service)];
  if (url.empty()) return {"--store=sqlite://" + dir_.File(Name(service) + ".db")};
  std::vector<std::string> flags{"--store=" + url};
  if (!password_file.empty()) flags.push_back("--store-password-file=" + password_file);
  return flags;
}

std::vector<std::string> NetraStack::CommandLine(Service service, const std::string& listen, int metrics_port,
                                                 const std::map<Service, std::string>& peers) const {
  std::vector<std::string> argv = {
      BinaryPath(service),
      "--listen=" + listen,
      "--metrics-listen=127.0.0.1:" + std::to_string(metrics_port),
      "--data-dir=" NETRA_SOURCE_DIR "/data",
      "--deployment=test",
      "--drain-seconds=5",
      "--reflection",  // as in the local stack (off by default: tests/integration/reflection_test.cc)
  };
  for (auto& flag : StoreFlags(service)) argv.push_back(std::move(flag));
  for (auto& flag : RedisFlags(service)) argv.push_back(std::move(flag));
  for (auto& flag : ServiceTlsFlags(service)) argv.push_back(std::move(flag));
  // Each service is given the peers it calls (the registry calls none).
  auto peer = [&](Service p) {
    auto it = peers.find(p);
    argv.push_back("--" + Name(p) + "=" + (it != peers.end() ? it->second : address(p)));
  };
  if (service == Service::kComplaint) peer(Service::kRegistry), peer(Service::kSanction);
  if (service == Service::kSanction) peer(Service::kRegistry), peer(Service::kComplaint);
  if (service == Service::kRegistry || service == Service::kComplaint) argv.push_back("--nik-key-file=" + nik_key_file());
  if (service == Service::kComplaint) {
    // Beside a SQLite store by default; a PostgreSQL store's replicas share this one.
    if (!stores_[Index(service)].first.empty()) argv.push_back("--evidence-dir=" + dir_.File("evidence"));
    argv.push_back("--reporter-key-file=" + reporter_key_file());
    argv.push_back("--stats-key-file=" + stats_key_file());
  }
  return argv;
}

bool NetraStack::Start(Service service, std::vector<std::string> extra_args) {
  std::string name = Name(service);
  std::vector<std::string> argv = CommandLine(service, address(service), metrics_port(service));
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // A restart: channels that saw the old process go may sit in reconnect
  // backoff and fail the next call fast; later calls get fresh ones.
  std::erase_if(identity_channels_, [service](const auto& entry) { return entry.first.first == service; });
  auto& process = processes_[Index(service)];
  process = std::make_unique<Subprocess>(argv, dir_.File(name + ".log"));
  if (!process->started()) {
    ADD_FAILURE() << "cannot start " << name << ": " << process->error();
    return false;
  }
  auto ch = channel(service);
  bool serving = WaitUntil([&] { return process->Running() && CheckHealth(*ch, "", 500ms) == HealthStatus::kServing; },
                           20s, 50ms);
  if (!serving) ADD_FAILURE() << name << " did not become SERVING; its log:\n" << log(service);
  return serving;
}

bool NetraStack::StartAll() {
  return Start(Service::kRegistry) && Start(Service::kComplaint) && Start(Service::kSanction);
}

std::optional<int> NetraStack::Stop(Service service) {
  auto& process = processes_[Index(service)];
  if (!process) return std::nullopt;
  process->Signal(SIGTERM);
  return process->Wait(15s);
}

std::string AuthorityIdentity(const std::string& code) { return "authority/" + absl::AsciiStrToLower(code); }

std::optional<double> MetricValue(const std::string& text, const std::string& name,
                                  const std::map<std::string, std::string>& labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0 || (line.size() > name.size() && line[name.size()] != '{' &&
                                                    line[name.size()] != ' ')) {
      continue;
    }
    bool all = true;
    for (const auto& [key, value] : labels) {
      if (line.find(key + "=\"" + value + "\"") == std::string::npos) all = false;
    }
    if (!all) continue;
    auto space = line.rfind(' ');
    return std::stod(line.substr(space + 1));
  }
  return std::nullopt;
}

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  netra::v1::ErrorStatus details;
  if (!details.ParseFromString(status.error_details())) return fields;
  for (const auto& any : details.details()) {
    netra::v1::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) fields.push_back(v.field());
    }
  }
  return fields;
}

netra::v1::Date WibDate(int days, int offset_hours) {
  absl::TimeZone wib;
  absl::LoadTimeZone("Asia/Jakarta", &wib);
  absl::CivilDay day = absl::ToCivilDay(absl::Now() + absl::Hours(offset_hours), wib) + days;
  netra::v1::Date d;
  d.set_year(static_cast<int>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

netra::v1::Employee SemarangEmployee(int n) {
  netra::v1::Employee e;
  e.set_employee_type(netra::v1::EMPLOYEE_TYPE_PNS);
  e.set_nip("1980010" + std::to_string(1 + n % 9) + "2005011" + std::string(3 - std::to_string(n + 1).size(), '0') +
            std::to_string(n + 1));
  e.set_name("Pegawai " + std::to_string(n));
  e.set_gender(netra::v1::GENDER_MALE);
  e.mutable_birth_date()->set_year(1980);
  e.mutable_birth_date()->set_month(1);
  e.mutable_birth_date()->set_day(1 + n % 9);
  e.set_agency_code("PEMKOT-SMG");
  e.set_agency_name("Pemerintah Kota Semarang");
  e.set_work_region_code("33.74");
  e.set_rank("III/b");
  e.mutable_ppk()->set_code("walikota:33.74");
  e.mutable_ppk()->set_name("Walikota Semarang");
  e.mutable_ppk()->set_region_code("33.74");
  return e;
}

grpc::Status NetraStack::UpsertDemoElection(const std::string& file, netra::v1::Election* stored) {
  netra::v1::UpsertElectionRequest request;
  request.set_request_id("seed-" + file);
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      ReadFile(std::string(NETRA_SOURCE_DIR) + "/deploy/local/elections/" + file), request.mutable_election());
  if (!parsed.ok()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(parsed.message()));
  netra::v1::UpsertElectionResponse response;
  grpc::Status status = netra::v1::RegistryService::NewStub(channel(Service::kRegistry, kAdmin))
                            ->UpsertElection(MakeClientContext(std::chrono::seconds(20)).get(), request, &response);
  if (status.ok() && stored) *stored = response.election();
  return status;
}

}  // namespace netra::testing

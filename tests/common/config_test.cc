// Tests for common/config.{h,cc}: HOST:PORT parsing, lists, and the service
// configuration from flags and NETRA_* environment variables.
#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_pki.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

// ---------------------------------------------------------------------------
// ParseHostPort / SplitList

TEST(ParseHostPortTest, AcceptsIpv4AndNamesWithPort) {
  HostPort hp;
  std::string error;
  ASSERT_TRUE(ParseHostPort("127.0.0.1:50051", &hp, &error)) << error;
  EXPECT_EQ(hp.host, "127.0.0.1");
  EXPECT_EQ(hp.port, 50051);
  EXPECT_EQ(hp.ToString(), "127.0.0.1:50051");

  ASSERT_TRUE(ParseHostPort("registry.netra.svc:7000", &hp, &error)) << error;
  EXPECT_EQ(hp.host, "registry.netra.svc");
  EXPECT_EQ(hp.port, 7000);
}

TEST(ParseHostPortTest, AcceptsBracketedIpv6AndPrintsItBracketed) {
  HostPort hp;
  std::string error;
  ASSERT_TRUE(ParseHostPort("[::1]:8080", &hp, &error)) << error;
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 8080);
  EXPECT_EQ(hp.ToString(), "[::1]:8080");
}

TEST(ParseHostPortTest, PortRangeIsZeroTo65535) {
  HostPort hp;
  std::string error;
  EXPECT_TRUE(ParseHostPort("127.0.0.1:0", &hp, &error));  // any free port
  EXPECT_EQ(hp.port, 0);
  EXPECT_TRUE(ParseHostPort("127.0.0.1:65535", &hp, &error));
  EXPECT_EQ(hp.port, 65535);
  for (const char* bad : {"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:99999999999", "127.0.0.1:80x",
                          "127.0.0.1: 80", "127.0.0.1:+80"}) {
    error.clear();
    EXPECT_FALSE(ParseHostPort(bad, &hp, &error)) << bad;
    EXPECT_NE(error.find("port"), std::string::npos) << bad << " -> " << error;
  }
}

TEST(ParseHostPortTest, RejectsMissingPortOrHost) {
  HostPort hp{"unchanged", 1};
  std::string error;
  for (const char* bad : {"", "127.0.0.1", "localhost", "127.0.0.1:", ":8080", "[::1]", "[::1]8080", "[::1]:",
                          "[]:80", "[::1"}) {
    error.clear();
    EXPECT_FALSE(ParseHostPort(bad, &hp, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  // A failed parse leaves the output alone.
  EXPECT_EQ(hp.host, "unchanged");
  EXPECT_EQ(hp.port, 1);
}

TEST(SplitListTest, TrimsSpacesAndDropsEmptyItems) {
  EXPECT_EQ(SplitList("a, b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitList(" 127.0.0.1:1 ,,  127.0.0.1:2 ,"), (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  EXPECT_EQ(SplitList("single"), (std::vector<std::string>{"single"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_TRUE(SplitList(" , ,").empty());
}

// ---------------------------------------------------------------------------
// ParseServiceConfig

const char* const kEnvNames[] = {
    "NETRA_LISTEN",      "NETRA_METRICS_LISTEN",    "NETRA_REDIS",       "NETRA_STORE",    "NETRA_DEPLOYMENT",
    "NETRA_DATA_DIR",    "NETRA_LOG_LEVEL",         "NETRA_DRAIN_SECONDS", "NETRA_MAX_MESSAGE_BYTES",
    "NETRA_FAULT_DELAY", "NETRA_REGISTRY",          "NETRA_COMPLAINT",   "NETRA_SANCTION",  "NETRA_TLS_CERT",
    "NETRA_TLS_KEY",     "NETRA_TLS_CA",            "NETRA_TLS_CRL_DIR", "NETRA_TLS_REFRESH_SECONDS",
    "NETRA_TRUST_DOMAIN", "NETRA_PLAINTEXT_FOR_DEVELOPMENT"};

const ServiceDefinition kRegistry{"registry", 50051, 9451, {}};
const ServiceDefinition kComplaint{"complaint", 50052, 9452, {Peer::kRegistry, Peer::kSanction}};
const ServiceDefinition kSanction{"sanction", 50053, 9453, {Peer::kRegistry, Peer::kComplaint}};

// Runs ParseServiceConfig with argv (program name added) and captures what it prints.
struct Parsed {
  std::optional<int> exit_code;
  ServiceConfig config;
  std::string out, err;
};

class ServiceConfigTest : public ::testing::Test {
 protected:
  // The tests own the NETRA_* environment: clear it, and put the caller's back afterwards.
  void SetUp() override {
    for (const char* name : kEnvNames) {
      if (const char* value = std::getenv(name)) saved_[name] = value;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kEnvNames) {
      auto it = saved_.find(name);
      if (it == saved_.end()) {
        unsetenv(name);
      } else {
        setenv(name, it->second.c_str(), 1);
      }
    }
  }

  // The service's own certificate of the test CA.
  static TlsFiles Certificate(const ServiceDefinition& definition) { return Pki().Issue("svc/" + definition.name); }
  // One CA for the suite, made on first use and removed with its directory
  // after the suite (ctest runs each test in a process of its own).
  static testing::TestPki& Pki() {
    if (!pki_) {
      pki_dir_ = std::make_unique<testing::TempDir>();
      pki_ = std::make_unique<testing::TestPki>(pki_dir_->path());
    }
    return *pki_;
  }
  static void TearDownTestSuite() {
    pki_.reset();
    pki_dir_.reset();
  }

  // With the service's certificate unless the arguments or the environment
  // choose the transport.
  static Parsed Parse(const ServiceDefinition& definition, std::vector<std::string> args) {
    bool transport_chosen = std::getenv("NETRA_TLS_CERT") || std::getenv("NETRA_PLAINTEXT_FOR_DEVELOPMENT");
    for (const auto& a : args) transport_chosen |= a.starts_with("--tls-") || a == "--plaintext-for-development";
    if (!transport_chosen) {
      const TlsFiles files = Certificate(definition);
      args.insert(args.end(), {"--tls-cert", files.cert, "--tls-key", files.key, "--tls-ca", files.ca,
                               "--trust-domain", files.trust_domain});
    }
    args.insert(args.begin(), "netra-" + definition.name);
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    Parsed parsed;
    parsed.exit_code = ParseServiceConfig(static_cast<int>(argv.size()), argv.data(), definition, &parsed.config);
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    parsed.out = out.str();
    parsed.err = err.str();
    return parsed;
  }

  // A bad configuration: exit code 2 and `expected` in the message on stderr.
  static void ExpectRejected(const ServiceDefinition& definition, std::vector<std::string> args,
                             const std::string& expected) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    auto parsed = Parse(definition, std::move(args));
    ASSERT_TRUE(parsed.exit_code.has_value()) << joined;
    EXPECT_EQ(*parsed.exit_code, 2) << joined;
    EXPECT_NE(parsed.err.find(expected), std::string::npos) << joined << "\nstderr: " << parsed.err;
  }

 private:
  std::map<std::string, std::string> saved_;
  static inline std::unique_ptr<testing::TempDir> pki_dir_;
  static inline std::unique_ptr<testing::TestPki> pki_;
};

TEST_F(ServiceConfigTest, DefaultsListenOnLoopbackWithTheServicePorts) {
  auto parsed = Parse(kRegistry, {});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  const auto& c = parsed.config;
  EXPECT_EQ(c.service, "netra-registry");
  EXPECT_EQ(c.listen.ToString(), "127.0.0.1:50051");
  EXPECT_EQ(c.metrics_listen.ToString(), "127.0.0.1:9451");
  EXPECT_EQ(c.redis_url, "redis://127.0.0.1:6379");
  EXPECT_EQ(c.store_url, "sqlite:///var/lib/netra/registry.db");
  EXPECT_EQ(c.deployment, "local");
  EXPECT_FALSE(c.data_dir.empty());
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.drain_seconds, 10);
  EXPECT_EQ(c.max_message_bytes, 8 << 20);
  EXPECT_TRUE(c.fault_delays.empty());
  EXPECT_TRUE(c.registry_target.empty());
  EXPECT_TRUE(parsed.err.empty()) << parsed.err;
}

TEST_F(ServiceConfigTest, FlagsSetEveryField) {
  auto parsed = Parse(kComplaint, {"--listen", "0.0.0.0:7001", "--metrics-listen", "[::1]:0", "--redis",
                                   "redis://10.0.0.5:6380/3", "--store", "sqlite:///tmp/x/complaint.db",
                                   "--deployment", "jateng", "--data-dir", "/opt/netra", "--log-level", "debug",
                                   "--drain-seconds", "0", "--max-message-bytes", "1048576", "--fault-delay",
                                   "GetComplaintStatus=250", "--fault-delay", "ListComplaints=0", "--registry",
                                   "10.0.0.1:50051,10.0.0.2:50051", "--sanction", "sanction:50053"});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  const auto& c = parsed.config;
  EXPECT_EQ(c.service, "netra-complaint");
  EXPECT_EQ(c.listen.host, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 7001);
  EXPECT_EQ(c.metrics_listen.host, "::1");
  EXPECT_EQ(c.metrics_listen.port, 0);
  EXPECT_EQ(c.redis_url, "redis://10.0.0.5:6380/3");
  EXPECT_EQ(c.store_url, "sqlite:///tmp/x/complaint.db");
  EXPECT_EQ(c.deployment, "jateng");
  EXPECT_EQ(c.data_dir, "/opt/netra");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.drain_seconds, 0);
  EXPECT_EQ(c.max_message_bytes, 1048576);
  EXPECT_EQ(c.fault_delays, (std::vector<std::string>{"GetComplaintStatus=250", "ListComplaints=0"}));
  EXPECT_EQ(c.registry_target, "10.0.0.1:50051,10.0.0.2:50051");
  EXPECT_EQ(c.sanction_target, "sanction:50053");
  EXPECT_TRUE(c.complaint_target.empty());
}

TEST_F(ServiceConfigTest, EveryEnvironmentVariableIsHonoured) {
  const std::map<std::string, std::string> env = {
      {"NETRA_LISTEN", "127.0.0.2:6001"},
      {"NETRA_METRICS_LISTEN", "127.0.0.2:6002"},
      {"NETRA_REDIS", "redis://127.0.0.3:6390/2"},
      {"NETRA_STORE", "sqlite:///srv/netra/sanction.db"},
      {"NETRA_DEPLOYMENT", "staging"},
      {"NETRA_DATA_DIR", "/srv/netra/data"},
      {"NETRA_LOG_LEVEL", "warn"},
      {"NETRA_DRAIN_SECONDS", "42"},
      {"NETRA_MAX_MESSAGE_BYTES", "2048"},
      {"NETRA_FAULT_DELAY", "ListViolationTypes=5,OpenCase=7"},
      {"NETRA_REGISTRY", "127.0.0.1:1,127.0.0.1:2"},
      {"NETRA_COMPLAINT", "complaint:50052"},
      {"NETRA_SANCTION", "127.0.0.1:9"},  // not a peer of sanction: ignored
      {"NETRA_TLS_CERT", Certificate(kSanction).cert},
      {"NETRA_TLS_KEY", Certificate(kSanction).key},
      {"NETRA_TLS_CA", Pki().ca_file()},
      {"NETRA_TLS_CRL_DIR", Pki().crl_dir()},
      {"NETRA_TLS_REFRESH_SECONDS", "7"},
      {"NETRA_TRUST_DOMAIN", testing::kTestTrustDomain},
      {"NETRA_PLAINTEXT_FOR_DEVELOPMENT", "false"},
  };
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  // Every name the tests clear is exercised here.
  ASSERT_EQ(env.size(), std::size(kEnvNames));

  auto parsed = Parse(kSanction, {});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  const auto& c = parsed.config;
  EXPECT_EQ(c.listen.ToString(), "127.0.0.2:6001");
  EXPECT_EQ(c.metrics_listen.ToString(), "127.0.0.2:6002");
  EXPECT_EQ(c.redis_url, "redis://127.0.0.3:6390/2");
  EXPECT_EQ(c.store_url, "sqlite:///srv/netra/sanction.db");
  EXPECT_EQ(c.deployment, "staging");
  EXPECT_EQ(c.data_dir, "/srv/netra/data");
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.drain_seconds, 42);
  EXPECT_EQ(c.max_message_bytes, 2048);
  EXPECT_EQ(c.fault_delays, (std::vector<std::string>{"ListViolationTypes=5", "OpenCase=7"}));
  EXPECT_EQ(c.registry_target, "127.0.0.1:1,127.0.0.1:2");
  EXPECT_EQ(c.complaint_target, "complaint:50052");
  EXPECT_TRUE(c.sanction_target.empty());
  EXPECT_EQ(c.tls.crl_dir, Pki().crl_dir());
  EXPECT_EQ(c.tls.refresh_seconds, 7);
  EXPECT_FALSE(c.plaintext);
  EXPECT_EQ(c.spiffe_id, std::string("spiffe://") + testing::kTestTrustDomain + "/svc/sanction");

  // NETRA_SANCTION reaches a service that calls sanction.
  const TlsFiles own = Certificate(kComplaint);
  auto complaint = Parse(kComplaint, {"--tls-cert", own.cert, "--tls-key", own.key});
  ASSERT_FALSE(complaint.exit_code.has_value()) << complaint.err;
  EXPECT_EQ(complaint.config.sanction_target, "127.0.0.1:9");
}

TEST_F(ServiceConfigTest, FlagBeatsEnvironment) {
  setenv("NETRA_LISTEN", "127.0.0.1:6001", 1);
  setenv("NETRA_LOG_LEVEL", "error", 1);
  setenv("NETRA_REGISTRY", "127.0.0.1:1", 1);
  setenv("NETRA_SANCTION", "127.0.0.1:2", 1);
  auto parsed = Parse(kComplaint, {"--listen", "127.0.0.1:7001", "--log-level", "debug", "--registry", "127.0.0.1:3"});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  EXPECT_EQ(parsed.config.listen.port, 7001);
  EXPECT_EQ(parsed.config.log_level, "debug");
  EXPECT_EQ(parsed.config.registry_target, "127.0.0.1:3");
  EXPECT_EQ(parsed.config.sanction_target, "127.0.0.1:2");  // no flag: env still applies
}

TEST_F(ServiceConfigTest, BadAddressesExitWithCodeTwo) {
  ExpectRejected(kRegistry, {"--listen", "127.0.0.1"}, "--listen: expected HOST:PORT");
  ExpectRejected(kRegistry, {"--listen", "127.0.0.1:70000"}, "--listen: port must be");
  ExpectRejected(kRegistry, {"--metrics-listen", "[::1]"}, "--metrics-listen:");
  ExpectRejected(kRegistry, {"--redis", "http://127.0.0.1:6379"}, "--redis:");
  ExpectRejected(kRegistry, {"--redis", "redis://127.0.0.1"}, "--redis:");
}

TEST_F(ServiceConfigTest, AStoreOfAnotherKindIsRefused) {
  ExpectRejected(kRegistry, {"--store", "mysql://x"}, "unsupported store scheme");
}

// Every service takes a PostgreSQL URL and its password file.
TEST_F(ServiceConfigTest, AServiceTakesAPostgresqlStoreAndItsPasswordFile) {
  ServiceDefinition sanction = kSanction;
  testing::TempDir dir;
  const std::string passfile = dir.File("pgpass");
  std::ofstream(passfile) << "db:5432:sanction:netra_sanction:secret\n";
  auto parsed = Parse(sanction, {"--registry", "registry:50051", "--complaint", "complaint:50052", "--store",
                                 "postgresql://netra_sanction@db:5432/sanction?sslmode=require",
                                 "--store-password-file", passfile});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  EXPECT_EQ(parsed.config.store_url, "postgresql://netra_sanction@db:5432/sanction?sslmode=require");
  EXPECT_EQ(parsed.config.store_password_file, passfile);

  ExpectRejected(sanction, {"--store", "postgresql://db/sanction", "--store-password-file", dir.File("missing")},
                 "--store-password-file: not a readable file");
  ExpectRejected(sanction, {"--store-password-file", passfile}, "--store-password-file: only with a postgresql://");
  // The others have no such flag until they run on PostgreSQL.
  ExpectRejected(kRegistry, {"--store-password-file", passfile}, "store-password-file");
}

TEST_F(ServiceConfigTest, OutOfRangeNumbersAndLevelsAreRejected) {
  ExpectRejected(kRegistry, {"--drain-seconds", "-1"}, "--drain-seconds: expected 0 to 300");
  ExpectRejected(kRegistry, {"--drain-seconds", "301"}, "--drain-seconds: expected 0 to 300");
  ExpectRejected(kRegistry, {"--drain-seconds", "soon"}, "--drain-seconds");
  ExpectRejected(kRegistry, {"--max-message-bytes", "10"}, "--max-message-bytes");
  ExpectRejected(kRegistry, {"--log-level", "verbose"}, "--log-level");
  ExpectRejected(kRegistry, {"--deployment", "a:b"}, "--deployment");
}

TEST_F(ServiceConfigTest, BadFaultDelaysAreRejected) {
  for (const char* bad : {"ListRegions", "=5", "ListRegions=", "ListRegions=-1", "ListRegions=5ms",
                          "ListRegions=60001"}) {
    ExpectRejected(kRegistry, {"--fault-delay", bad}, std::string("--fault-delay: expected METHOD=MS"));
  }
  setenv("NETRA_FAULT_DELAY", "ListRegions=oops", 1);
  ExpectRejected(kRegistry, {}, "got 'ListRegions=oops'");
}

TEST_F(ServiceConfigTest, ServiceWithPeersRequiresEachPeer) {
  ExpectRejected(kComplaint, {"--sanction", "127.0.0.1:1"}, "--registry: required");
  ExpectRejected(kComplaint, {"--registry", "127.0.0.1:1"}, "--sanction: required");
  ExpectRejected(kSanction, {"--registry", "127.0.0.1:1"}, "--complaint: required");
  ExpectRejected(kSanction, {"--registry", "127.0.0.1:1,nohost", "--complaint", "127.0.0.1:2"},
                 "--registry: expected HOST:PORT");
  // The registry calls nobody: it has no such flag at all.
  ExpectRejected(kRegistry, {"--complaint", "127.0.0.1:1"}, "--complaint");
}

TEST_F(ServiceConfigTest, EveryProblemIsReportedAtOnce) {
  auto parsed = Parse(kComplaint, {"--listen", "nope", "--drain-seconds", "-5"});
  ASSERT_EQ(parsed.exit_code, std::optional<int>(2));
  for (const char* expected : {"--listen", "--drain-seconds", "--registry: required", "--sanction: required"}) {
    EXPECT_NE(parsed.err.find(expected), std::string::npos) << expected << "\nstderr: " << parsed.err;
  }
}

TEST_F(ServiceConfigTest, HelpExitsZeroAndNamesEveryEnvironmentVariable) {
  auto parsed = Parse(kComplaint, {"--help"});
  ASSERT_EQ(parsed.exit_code, std::optional<int>(0));
  for (const char* name : kEnvNames) {
    if (std::string(name) == "NETRA_COMPLAINT") continue;  // complaint does not call itself
    EXPECT_NE(parsed.out.find(name), std::string::npos) << name << " missing from:\n" << parsed.out;
  }
  auto sanction = Parse(kSanction, {"--help"});
  ASSERT_EQ(sanction.exit_code, std::optional<int>(0));
  EXPECT_NE(sanction.out.find("NETRA_COMPLAINT"), std::string::npos) << sanction.out;
}

TEST_F(ServiceConfigTest, VersionExitsZero) {
  auto parsed = Parse(kRegistry, {"--version"});
  ASSERT_EQ(parsed.exit_code, std::optional<int>(0));
  EXPECT_FALSE(parsed.out.empty());
}

TEST_F(ServiceConfigTest, UnknownFlagExitsWithCodeTwo) {
  auto parsed = Parse(kRegistry, {"--no-such-flag"});
  ASSERT_EQ(parsed.exit_code, std::optional<int>(2));
  EXPECT_FALSE(parsed.err.empty());
}

// ---------------------------------------------------------------------------
// Transport security (common/tls.h): TLS unless plaintext is asked for on loopback.

TEST_F(ServiceConfigTest, TransportIsMutualTlsWithTheServicesOwnCertificate) {
  auto parsed = Parse(kRegistry, {});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  EXPECT_FALSE(parsed.config.plaintext);
  EXPECT_EQ(parsed.config.spiffe_id, std::string("spiffe://") + testing::kTestTrustDomain + "/svc/registry");
}

TEST_F(ServiceConfigTest, NoTransportChosenIsRefused) {
  ExpectRejected(kRegistry, {"--tls-ca", Pki().ca_file()}, "--tls-cert, --tls-key and --tls-ca: required");
}

TEST_F(ServiceConfigTest, PlaintextOnlyOnLoopbackAndNeverBesideTls) {
  auto parsed = Parse(kRegistry, {"--plaintext-for-development", "--listen", "127.0.0.1:7001"});
  ASSERT_FALSE(parsed.exit_code.has_value()) << parsed.err;
  EXPECT_TRUE(parsed.config.plaintext);
  EXPECT_TRUE(Parse(kRegistry, {"--plaintext-for-development", "--listen", "[::1]:7001"}).config.plaintext);
  ExpectRejected(kRegistry, {"--plaintext-for-development", "--listen", "0.0.0.0:7001"}, "is not a loopback address");
  ExpectRejected(kRegistry, {"--plaintext-for-development", "--listen", "10.1.2.3:7001"}, "is not a loopback address");
  const TlsFiles own = Certificate(kRegistry);
  ExpectRejected(kRegistry, {"--plaintext-for-development", "--tls-cert", own.cert}, "not with --tls-cert");
}

TEST_F(ServiceConfigTest, ACertificateThatCannotServeIsRefusedAtStart) {
  const TlsFiles other = Certificate(kSanction);
  ExpectRejected(kRegistry, {"--tls-cert", other.cert, "--tls-key", other.key, "--tls-ca", other.ca, "--trust-domain",
                             other.trust_domain},
                 "not this service");
  const TlsFiles expired = Pki().Issue("svc/registry", {.from_days = -3, .to_days = -1}, "expired-registry");
  ExpectRejected(kRegistry, {"--tls-cert", expired.cert, "--tls-key", expired.key, "--tls-ca", expired.ca,
                             "--trust-domain", expired.trust_domain},
                 "is not valid now");
  const TlsFiles own = Certificate(kRegistry);
  ExpectRejected(kRegistry, {"--tls-cert", own.cert, "--tls-key", other.key, "--tls-ca", own.ca, "--trust-domain",
                             own.trust_domain},
                 "does not belong to certificate");
  ExpectRejected(kRegistry, {"--tls-cert", own.cert, "--tls-key", own.key, "--tls-ca", own.ca},
                 "a SPIFFE ID spiffe://netra.local/");  // another trust domain
  ExpectRejected(kRegistry, {"--tls-cert", "/nonexistent.pem", "--tls-key", own.key, "--tls-ca", own.ca},
                 "is not readable");
}

}  // namespace
}  // namespace netra

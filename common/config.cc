#include "common/config.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <filesystem>
#include <iostream>

#include "common/log.h"
#include "common/nik.h"
#include "common/redis.h"
#include "common/store.h"
#include "common/tls.h"

#ifndef NETRA_DEFAULT_DATA_DIR
#define NETRA_DEFAULT_DATA_DIR "/usr/share/netra"
#endif
#ifndef NETRA_DEFAULT_ACCESS_POLICY
#define NETRA_DEFAULT_ACCESS_POLICY "/etc/netra/access-policy.json"
#endif
#ifndef NETRA_VERSION
#define NETRA_VERSION "0.0.0-dev"
#endif

namespace netra {

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool ParseHostPort(std::string_view text, HostPort* out, std::string* error) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *error = "expected [IPv6]:PORT";
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *error = "expected HOST:PORT";
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) {
    *error = "host is empty";
    return false;
  }
  int value = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value < 0 || value > 65535) {
    *error = "port must be a number from 0 to 65535";
    return false;
  }
  out->host = std::string(host);
  out->port = value;
  return true;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    auto part = text.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = comma + 1;
  }
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

void AddTlsFlags(CLI::App& app, TlsFiles& tls, bool& plaintext) {
  app.add_option("--tls-cert", tls.cert, "PEM certificate chain this process presents (its SPIFFE ID names it)")
      ->envname("NETRA_TLS_CERT");
  app.add_option("--tls-key", tls.key, "PEM private key of --tls-cert")->envname("NETRA_TLS_KEY");
  app.add_option("--tls-ca", tls.ca, "PEM CA bundle of the deployment; peers are verified against it")
      ->envname("NETRA_TLS_CA");
  app.add_option("--tls-crl-dir", tls.crl_dir, "Directory of CRLs (hashed names, `openssl rehash DIR`)")
      ->envname("NETRA_TLS_CRL_DIR");
  app.add_option("--tls-refresh-seconds", tls.refresh_seconds,
                 "How often the certificate, key and CA files are re-read (rotation without a restart)")
      ->envname("NETRA_TLS_REFRESH_SECONDS")
      ->capture_default_str();
  app.add_option("--trust-domain", tls.trust_domain, "SPIFFE trust domain of the deployment's identities")
      ->envname("NETRA_TRUST_DOMAIN")
      ->capture_default_str();
  app.add_flag("--plaintext-for-development", plaintext,
               "No TLS and no identities: for development on loopback addresses only")
      ->envname("NETRA_PLAINTEXT_FOR_DEVELOPMENT");
}

namespace {

const char* PeerFlag(Peer peer) {
  switch (peer) {
    case Peer::kRegistry: return "registry";
    case Peer::kComplaint: return "complaint";
    case Peer::kSanction: return "sanction";
  }
  return "";
}

std::string& PeerTarget(Peer peer, ServiceConfig& config) {
  switch (peer) {
    case Peer::kRegistry: return config.registry_target;
    case Peer::kComplaint: return config.complaint_target;
    case Peer::kSanction: return config.sanction_target;
  }
  return config.registry_target;  // unreachable: every Peer is handled above
}

// Every problem found, so an operator fixes a bad config in one go.
// The --public-* flags as given, checked by Validate.
struct PublicFlags {
  std::string listen, cert, key, edge_identity;
};

void CheckPublicListener(ServiceConfig& c, const PublicFlags& flags, std::vector<std::string>& problems) {
  auto& out = c.public_listener;
  if (flags.listen.empty()) {
    if (!flags.cert.empty() || !flags.key.empty() || !flags.edge_identity.empty())
      problems.push_back("--public-tls-cert, --public-tls-key, --public-edge-identity: only with --public-listen");
    return;
  }
  std::string error;
  HostPort at;
  if (!ParseHostPort(flags.listen, &at, &error)) {
    problems.push_back("--public-listen: " + error);
    return;
  }
  out.listen = at;
  if (c.plaintext) {
    if (!IsLoopbackHost(at.host))
      problems.push_back("--plaintext-for-development: refused, --public-listen " + flags.listen +
                         " is not a loopback address");
    if (!flags.cert.empty() || !flags.key.empty())
      problems.push_back("--plaintext-for-development: not with --public-tls-cert or --public-tls-key");
    if (!flags.edge_identity.empty())
      problems.push_back("--public-edge-identity: needs TLS (a plaintext peer proves no identity)");
    return;
  }
  out.tls = c.tls;  // the deployment's CA and CRLs verify an edge proxy's certificate
  out.tls.cert = flags.cert;
  out.tls.key = flags.key;
  if (flags.cert.empty() || flags.key.empty()) {
    problems.push_back("--public-tls-cert and --public-tls-key: required with --public-listen");
  } else if (!c.tls.ca.empty() && !CheckServerCertificateFiles(out.tls, &error)) {
    problems.push_back("--public-tls-cert: " + error);
  }
  if (!flags.edge_identity.empty()) {
    const std::string prefix = "spiffe://" + c.tls.trust_domain + "/";
    if (!flags.edge_identity.starts_with(prefix) || flags.edge_identity.size() == prefix.size() ||
        flags.edge_identity.size() > 256) {
      problems.push_back("--public-edge-identity: expected a SPIFFE ID " + prefix + "...");
    }
    out.edge_identity = flags.edge_identity;
  }
}

std::vector<std::string> Validate(ServiceConfig& c, const std::string& listen, const std::string& metrics,
                                  const ServiceDefinition& definition, const PublicFlags& public_flags) {
  std::vector<std::string> problems;
  std::string error;
  HostPort ignored;
  if (!ParseHostPort(listen, &ignored, &error)) problems.push_back("--listen: " + error);
  if (!ParseHostPort(metrics, &ignored, &error)) problems.push_back("--metrics-listen: " + error);
  if (auto redis = ParseRedisUrl(c.redis_url, &error); !redis) {
    problems.push_back("--redis: " + error);
  } else if (!c.redis_password_file.empty()) {
    if (auto password = ReadRedisPassword(c.redis_password_file, &error)) c.redis_password = std::move(*password);
    else problems.push_back("--redis-password-file: " + error);
  } else if (!redis->user.empty()) {
    problems.push_back("--redis-password-file: required with a user in --redis (the user's password)");
  }
  if (auto store = ParseStoreUrl(c.store_url, &error); !store) {
    problems.push_back("--store: " + error);
  } else if (!c.store_password_file.empty()) {
    std::error_code ec;
    if (store->scheme == "sqlite") {
      problems.push_back("--store-password-file: only with a postgresql:// store");
    } else if (!std::filesystem::is_regular_file(c.store_password_file, ec)) {
      problems.push_back("--store-password-file: not a readable file");
    }
  }
  log::Level level;
  if (!log::ParseLevel(c.log_level, &level)) problems.push_back("--log-level: expected debug, info, warn or error");
  if (c.drain_seconds < 0 || c.drain_seconds > 300) problems.push_back("--drain-seconds: expected 0 to 300");
  if (c.max_message_bytes < 1024 || c.max_message_bytes > (64 << 20))
    problems.push_back("--max-message-bytes: expected 1024 to 67108864");
  auto in_range = [&](const char* flag, int value, int lo, int hi) {
    if (value < lo || value > hi)
      problems.push_back(std::string(flag) + ": expected " + std::to_string(lo) + " to " + std::to_string(hi));
  };
  in_range("--max-field-violations", c.max_field_violations, 1, 1000);
  in_range("--max-concurrent-streams", c.max_concurrent_streams, 1, 100000);
  in_range("--max-handler-threads", c.max_handler_threads, 4, 100000);
  in_range("--max-server-memory-mb", c.max_server_memory_mb, 16, 1 << 20);
  in_range("--max-connection-age-seconds", c.max_connection_age_seconds, 0, 30 * 86400);
  in_range("--max-connection-age-grace-seconds", c.max_connection_age_grace_seconds, 0, 3600);
  if (c.deployment.empty() || c.deployment.find_first_of(": \t") != std::string::npos)
    problems.push_back("--deployment: must be non-empty without ':' or spaces");
  for (const auto& fault : c.fault_delays) {
    auto eq = fault.find('=');
    int ms = -1;
    if (eq != std::string::npos) {
      auto digits = std::string_view(fault).substr(eq + 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
      if (ec != std::errc() || ptr != digits.data() + digits.size()) ms = -1;
    }
    if (eq == std::string::npos || eq == 0 || ms < 0 || ms > 60000)
      problems.push_back("--fault-delay: expected METHOD=MS with MS from 0 to 60000, got '" + fault + "'");
  }
  for (Peer peer : definition.peers) {
    const std::string& target = PeerTarget(peer, c);
    if (target.empty()) {
      problems.push_back(std::string("--") + PeerFlag(peer) + ": required (HOST:PORT[,HOST:PORT...])");
      continue;
    }
    for (const auto& part : SplitList(target)) {
      if (!ParseHostPort(part, &ignored, &error)) problems.push_back(std::string("--") + PeerFlag(peer) + ": " + error);
    }
  }
  if (c.plaintext) {
    HostPort listen_at;
    if (!c.tls.empty()) problems.push_back("--plaintext-for-development: not with --tls-cert, --tls-key or --tls-ca");
    if (ParseHostPort(listen, &listen_at, &error) && !IsLoopbackHost(listen_at.host)) {
      problems.push_back("--plaintext-for-development: refused, --listen " + listen + " is not a loopback address");
    }
  } else if (c.tls.cert.empty() || c.tls.key.empty() || c.tls.ca.empty()) {
    problems.push_back("--tls-cert, --tls-key and --tls-ca: required (or --plaintext-for-development on loopback)");
  } else if (c.tls.refresh_seconds < 1 || c.tls.refresh_seconds > 86400) {
    problems.push_back("--tls-refresh-seconds: expected 1 to 86400");
  } else if (!CheckTlsFiles(c.tls, &c.spiffe_id, &error)) {
    problems.push_back("--tls-cert: " + error);
  } else if (c.spiffe_id != "spiffe://" + c.tls.trust_domain + "/svc/" + definition.name) {
    problems.push_back("--tls-cert: names " + c.spiffe_id + ", not this service (spiffe://" + c.tls.trust_domain +
                       "/svc/" + definition.name + ")");
  }
  if (definition.has_public_listener) CheckPublicListener(c, public_flags, problems);
  if (definition.needs_nik_key) {
    if (auto key = NikHasher::LoadKey(c.nik_key_file, &error)) c.nik_key = std::move(*key);
    else problems.push_back("--nik-key-file: " + error);
  }
  return problems;
}

}  // namespace

std::optional<int> ParseServiceConfig(int argc, const char* const* argv, const ServiceDefinition& definition, ServiceConfig* config,
                       const std::function<void(CLI::App&)>& extra) {
  ServiceConfig& c = *config;
  c.service = "netra-" + definition.name;
  std::string listen = "127.0.0.1:" + std::to_string(definition.default_port);
  std::string metrics = "127.0.0.1:" + std::to_string(definition.default_metrics_port);
  c.redis_url = "redis://127.0.0.1:6379";
  c.store_url = "sqlite:///var/lib/netra/" + definition.name + ".db";
  c.data_dir = NETRA_DEFAULT_DATA_DIR;
  c.access_policy = NETRA_DEFAULT_ACCESS_POLICY;

  CLI::App app{c.service + " " NETRA_VERSION ": Netra " + definition.name +
               " service. Every flag can also be set with the environment variable shown."};
  app.set_version_flag("--version", NETRA_VERSION);
  app.add_option("--listen", listen, "gRPC address HOST:PORT")->envname("NETRA_LISTEN")->capture_default_str();
  app.add_option("--metrics-listen", metrics, "Prometheus /metrics address HOST:PORT")
      ->envname("NETRA_METRICS_LISTEN")
      ->capture_default_str();
  app.add_option("--redis", c.redis_url, "Redis cache redis://[USER@]HOST:PORT[/DB] (USER: this service's ACL user)")
      ->envname("NETRA_REDIS")
      ->capture_default_str();
  app.add_option("--redis-password-file", c.redis_password_file,
                 "File holding the Redis user's password (required with a USER in --redis)")
      ->envname("NETRA_REDIS_PASSWORD_FILE");
  app.add_option("--store", c.store_url, "Store URL: sqlite:///path/file.db or postgresql://USER@HOST:PORT/DB?...")
      ->envname("NETRA_STORE")
      ->capture_default_str();
  app.add_option("--store-password-file", c.store_password_file,
                 "libpq password file (HOST:PORT:DB:USER:PASSWORD lines, mode 0600) for a postgresql:// store")
      ->envname("NETRA_STORE_PASSWORD_FILE");
  app.add_option("--deployment", c.deployment, "Deployment namespace for shared Redis keys (netra:<deployment>:)")
      ->envname("NETRA_DEPLOYMENT")
      ->capture_default_str();
  app.add_option("--data-dir", c.data_dir, "Directory with regions.csv and violation_catalog.json")
      ->envname("NETRA_DATA_DIR")
      ->capture_default_str();
  app.add_option("--log-level", c.log_level, "debug, info, warn or error")->envname("NETRA_LOG_LEVEL")->capture_default_str();
  app.add_option("--drain-seconds", c.drain_seconds, "Bound on finishing in-flight calls after SIGTERM")
      ->envname("NETRA_DRAIN_SECONDS")
      ->capture_default_str();
  app.add_option("--max-message-bytes", c.max_message_bytes, "Largest gRPC message accepted or sent")
      ->envname("NETRA_MAX_MESSAGE_BYTES")
      ->capture_default_str();
  app.add_option("--max-field-violations", c.max_field_violations,
                 "Field violations listed in one INVALID_ARGUMENT answer; the rest are counted")
      ->envname("NETRA_MAX_FIELD_VIOLATIONS")
      ->capture_default_str();
  app.add_option("--max-concurrent-streams", c.max_concurrent_streams, "Calls in flight on one client connection")
      ->envname("NETRA_MAX_CONCURRENT_STREAMS")
      ->capture_default_str();
  app.add_option("--max-handler-threads", c.max_handler_threads,
                 "Calls handled at once; past it new calls get RESOURCE_EXHAUSTED")
      ->envname("NETRA_MAX_HANDLER_THREADS")
      ->capture_default_str();
  app.add_option("--max-server-memory-mb", c.max_server_memory_mb, "gRPC memory quota for all calls' buffers (MiB)")
      ->envname("NETRA_MAX_SERVER_MEMORY_MB")
      ->capture_default_str();
  app.add_option("--max-connection-age-seconds", c.max_connection_age_seconds,
                 "Close client connections after this long (GOAWAY) so that clients rebalance over replicas; 0: never")
      ->envname("NETRA_MAX_CONNECTION_AGE_SECONDS")
      ->capture_default_str();
  app.add_option("--max-connection-age-grace-seconds", c.max_connection_age_grace_seconds,
                 "Time in-flight calls get to finish on a connection closed for its age")
      ->envname("NETRA_MAX_CONNECTION_AGE_GRACE_SECONDS")
      ->capture_default_str();
  app.add_option("--fault-delay", c.fault_delays,
                 "Fault injection for drills and tests: delay METHOD (e.g. ListRegions) by MS milliseconds; repeatable")
      ->envname("NETRA_FAULT_DELAY")
      ->delimiter(',');
  for (Peer peer : definition.peers) {
    std::string flag = PeerFlag(peer);
    std::string env = "NETRA_" + flag;
    for (auto& ch : env) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    app.add_option("--" + flag, PeerTarget(peer, c),
                   "The " + flag + " service: HOST:PORT, several comma-separated for round-robin")
        ->envname(env);
  }
  if (definition.needs_nik_key) {
    app.add_option("--nik-key-file", c.nik_key_file,
                   "File holding the key (at least 32 bytes) under which NIKs are kept as HMAC-SHA256")
        ->envname("NETRA_NIK_KEY_FILE");
  }
  AddTlsFlags(app, c.tls, c.plaintext);
  PublicFlags public_flags;
  if (definition.has_public_listener) {
    app.add_option("--public-listen", public_flags.listen,
                   "Public listener HOST:PORT: only the public methods, TLS without client certificates; none if unset")
        ->envname("NETRA_PUBLIC_LISTEN");
    app.add_option("--public-tls-cert", public_flags.cert,
                   "PEM certificate chain of the public host name (any CA the public trusts; no SPIFFE ID needed)")
        ->envname("NETRA_PUBLIC_TLS_CERT");
    app.add_option("--public-tls-key", public_flags.key, "PEM private key of --public-tls-cert")
        ->envname("NETRA_PUBLIC_TLS_KEY");
    app.add_option("--public-edge-identity", public_flags.edge_identity,
                   "SPIFFE ID of the edge proxy in front of the public listener: only its x-forwarded-for "
                   "(last entry) names the client address used for rate limits")
        ->envname("NETRA_PUBLIC_EDGE_IDENTITY");
  }
  app.add_flag("--reflection", c.reflection,
               "Serve gRPC reflection (buf curl, grpcurl, netractl reflect): for development, off by default")
      ->envname("NETRA_REFLECTION");
  app.add_option("--access-policy", c.access_policy,
                 "Who may call each method (JSON, deploy/access-policy.json); re-read when it changes")
      ->envname("NETRA_ACCESS_POLICY")
      ->capture_default_str();
  app.add_option("--token-issuers", c.token_issuers,
                 "Issuers whose signed tokens name the person acting for an agency (JSON, docs/security.md); "
                 "re-read with their key files when they change. None: the person is the agency's assertion")
      ->envname("NETRA_TOKEN_ISSUERS");
  if (definition.extra_flags) definition.extra_flags(app);
  if (extra) extra(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints help, version or the parse error
    return e.get_exit_code() == 0 ? 0 : 2;
  }
  auto problems = Validate(c, listen, metrics, definition, public_flags);
  if (!problems.empty()) {
    std::cerr << c.service << ": invalid configuration:\n";
    for (const auto& p : problems) std::cerr << "  " << p << "\n";
    std::cerr << "Run with --help for the flags.\n";
    return 2;
  }
  std::string error;
  ParseHostPort(listen, &c.listen, &error);
  ParseHostPort(metrics, &c.metrics_listen, &error);
  return std::nullopt;
}

}  // namespace netra

// Service configuration: command-line flags, each also read from a NETRA_*
// environment variable, validated once at start.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace netra {

struct HostPort {
  std::string host;
  int port = 0;
  std::string ToString() const;
};

// "HOST:PORT" or "[IPv6]:PORT"; port 0 is allowed (bind any free port).
bool ParseHostPort(std::string_view text, HostPort* out, std::string* error);

// "a, b,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> SplitList(std::string_view text);

// Which peer services a binary calls.
enum class Peer { kRegistry, kComplaint, kSanction };

// The PEM files a process presents and trusts (common/tls.h uses them).
struct TlsFiles {
  std::string cert;     // this process's certificate chain (leaf first)
  std::string key;      // its private key
  std::string ca;       // the deployment's CA bundle: peers are verified against it
  std::string crl_dir;  // optional: a directory of CRLs (OpenSSL hashed names, `openssl rehash`)
  int refresh_seconds = 60;                  // how often the files are re-read
  std::string trust_domain = "netra.local";  // SPIFFE trust domain of every identity
  bool empty() const { return cert.empty() && key.empty() && ca.empty(); }
};

// A host that only this machine can reach: 127.0.0.0/8, ::1 or localhost.
bool IsLoopbackHost(std::string_view host);

// --tls-cert, --tls-key, --tls-ca, --tls-crl-dir, --tls-refresh-seconds,
// --trust-domain and --plaintext-for-development (each with its NETRA_*
// variable), for the services and the tools alike.
void AddTlsFlags(CLI::App& app, TlsFiles& tls, bool& plaintext);

struct ServiceDefinition {
  std::string name;  // "registry" -> binary "netra-registry"
  int default_port;
  int default_metrics_port;
  std::vector<Peer> peers;
  bool needs_nik_key = false;  // takes --nik-key-file (services that hash NIKs)
  // Takes the --public-* flags: a second listener for callers without a
  // client certificate (the complaint service's public intake).
  bool has_public_listener = false;
  // Service-specific flags, added to the parser RunService builds; bind them
  // to variables that outlive the call (each flag also gets its NETRA_* env
  // variable when declared with ->envname()).
  std::function<void(CLI::App&)> extra_flags = {};
};

struct ServiceConfig {
  std::string service;  // "netra-registry"
  HostPort listen;
  HostPort metrics_listen;
  std::string redis_url;  // redis://[USER@]HOST:PORT[/DB]
  // --redis-password-file and the password read from it (the URL's user's). Never logged.
  std::string redis_password_file, redis_password;
  std::string store_url;
  // --store-password-file: a libpq password file for a PostgreSQL store
  // (DatabaseOptions::password_file). Empty: the URL's passfile, PGPASSFILE or ~/.pgpass.
  std::string store_password_file;
  std::string deployment = "local";  // Redis key namespace: netra:<deployment>:
  std::string data_dir;              // region data, violation catalog
  std::string log_level = "info";
  int drain_seconds = 10;            // bound on finishing in-flight calls at shutdown
  int max_message_bytes = 8 << 20;
  std::vector<std::string> fault_delays;  // METHOD=MS, fault injection for drills
  // Bounds that keep a flood or a hostile client from taking the process down
  // (docs/design.md, "Server limits").
  int max_field_violations = 50;        // listed in one INVALID_ARGUMENT answer
  int max_concurrent_streams = 100;     // calls in flight on one connection
  int max_handler_threads = 256;        // calls handled at once; more wait, then RESOURCE_EXHAUSTED
  int max_server_memory_mb = 1024;      // gRPC's memory quota for buffers of all calls
  int max_connection_age_seconds = 1800;  // then GOAWAY, so clients rebalance; 0: never
  int max_connection_age_grace_seconds = 30;  // in-flight calls' time to finish after that
  // Peers, "host:port[,host:port...]"; empty for peers the service does not call.
  std::string registry_target, complaint_target, sanction_target;
  // Transport security (common/tls.h). Plaintext only with
  // --plaintext-for-development, and only on a loopback --listen.
  TlsFiles tls;
  bool plaintext = false;
  std::string spiffe_id;  // this service's identity, from its certificate
  // gRPC server reflection (grpc.reflection.v1alpha, with grpc.health.v1's descriptors):
  // for development and the local stack. Off by default: reflection and health answer
  // outside the access policy, and a deployment has no use for a map of its API.
  bool reflection = false;
  // Who may call each method (common/access_policy.h); enforced unless plaintext.
  std::string access_policy;
  // Who vouches for the person acting (common/person_token.h); none: the
  // person is the agency's unverified assertion.
  std::string token_issuers;
  // The public listener (only when the definition has_public_listener and
  // --public-listen is given): its address, the certificate of the public host
  // name it presents (tls.ca and tls.crl_dir are the deployment's, to verify an
  // edge proxy's client certificate), and the SPIFFE ID of that edge proxy,
  // whose forwarding header alone is believed.
  struct PublicListener {
    std::optional<HostPort> listen;
    TlsFiles tls;
    std::string edge_identity;
  } public_listener;
  // --nik-key-file and the key read from it (only when the definition needs_nik_key).
  // Never logged.
  std::string nik_key_file, nik_key;
};

// Parses argv + environment. Returns nullopt with *config filled in when the
// service should run; otherwise the process exit code: 0 after --help or
// --version, 2 on bad configuration (the message is already printed).
// `extra` may add service-specific flags.
std::optional<int> ParseServiceConfig(int argc, const char* const* argv, const ServiceDefinition& definition,
                       ServiceConfig* config, const std::function<void(CLI::App&)>& extra = {});

}  // namespace netra

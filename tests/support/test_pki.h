// A throwaway certificate authority for tests that run services over real
// mutual TLS: a CA, certificates that carry a SPIFFE ID (services, agencies,
// operators), expired ones, ones from a stranger CA, and CRLs. Written with
// OpenSSL's API into a directory the caller owns.
#pragma once

#include <grpcpp/security/credentials.h>

#include <map>
#include <memory>
#include <string>

#include "common/config.h"

namespace netra::testing {

inline constexpr char kTestTrustDomain[] = "netra.test";

// When a test certificate is valid, in days from now, and its serial number.
struct CertificateValidity {
  int from_days = -1;
  int to_days = 2;
  long serial = 0;  // 0: the CA's next one
};

class TestPki {
 public:
  // Creates the CA (named `name`) in `dir`.
  explicit TestPki(std::string dir, std::string name = "netra-test-ca");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // A certificate for `identity` (the SPIFFE path: "svc/registry",
  // "bawaslu/33.74", "admin") signed by this CA, written as <file>.pem and
  // <file>.key; returns the files with this CA as the bundle. `file` defaults
  // to the identity with '/' and ':' replaced.
  TlsFiles Issue(const std::string& identity, const CertificateValidity& validity = {}, std::string file = {});

  // A server certificate for the host name `host` (a DNS SAN, no SPIFFE ID),
  // as a public listener presents it.
  TlsFiles IssueForHost(const std::string& host);

  // A new CRL of this CA, now also revoking `serial`, written into `crl_dir()`
  // under its hashed name with the next suffix (.r0, .r1, ...), as an
  // operator publishes one to running services.
  void Revoke(long serial);

  const std::string& ca_file() const { return ca_file_; }
  std::string crl_dir() const { return dir_ + "/crl"; }

  // Channel credentials presenting `identity` (issued on first use, then kept).
  std::shared_ptr<grpc::ChannelCredentials> Credentials(const std::string& identity);

 private:
  void WriteCrl();
  TlsFiles IssueNamed(const std::string& subject_alt_name, const CertificateValidity& validity, const std::string& file);
  struct State;
  std::string dir_, ca_file_;
  long next_serial_ = 100;
  std::unique_ptr<State> state_;
  std::map<std::string, std::shared_ptr<grpc::ChannelCredentials>> credentials_;
};

}  // namespace netra::testing

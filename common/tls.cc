#include "common/tls.h"

#include "common/client.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <vector>

namespace netra {
namespace {

namespace tls = grpc::experimental;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// The URI SANs of a certificate.
std::vector<std::string> UriNames(X509* cert) {
  std::vector<std::string> uris;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)), ASN1_STRING_length(uri));
  }
  GENERAL_NAMES_free(names);
  return uris;
}

bool Readable(const std::string& path, const char* what, std::string* error) {
  if (File(std::fopen(path.c_str(), "r"))) return true;
  *error = std::string(what) + " " + path + " is not readable";
  return false;
}

// Accepts a server only when its certificate names one Netra service.
class ServiceIdentityVerifier final : public tls::ExternalCertificateVerifier {
 public:
  explicit ServiceIdentityVerifier(std::string prefix) : prefix_(std::move(prefix)) {}
  bool Verify(tls::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
              grpc::Status* sync_status) override {
    const auto uris = request->uri_names();
    const bool service = uris.size() == 1 && uris[0].starts_with(prefix_);
    *sync_status = service ? grpc::Status::OK
                           : grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                          "the server's certificate does not name a Netra service (" + prefix_ + "...)");
    return true;
  }
  void Cancel(tls::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::string prefix_;
};

std::shared_ptr<tls::FileWatcherCertificateProvider> Provider(const TlsFiles& files) {
  if (files.cert.empty()) {
    return std::make_shared<tls::FileWatcherCertificateProvider>(files.ca, files.refresh_seconds);
  }
  return std::make_shared<tls::FileWatcherCertificateProvider>(files.key, files.cert, files.ca,
                                                                files.refresh_seconds);
}

}  // namespace

namespace {

// The certificate of `files` once it is readable, matches its key and is
// valid now; null with *error otherwise.
std::unique_ptr<X509, X509Free> LoadCertificate(const TlsFiles& files, std::string* error) {
  File cert_file(std::fopen(files.cert.c_str(), "r"));
  if (!cert_file) {
    Readable(files.cert, "certificate", error);
    return nullptr;
  }
  std::unique_ptr<X509, X509Free> cert(PEM_read_X509(cert_file.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    *error = "certificate " + files.cert + " holds no PEM certificate";
    return nullptr;
  }
  File key_file(std::fopen(files.key.c_str(), "r"));
  if (!key_file) {
    Readable(files.key, "key", error);
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
  if (!key) {
    *error = "key " + files.key + " holds no PEM private key";
    return nullptr;
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    *error = "key " + files.key + " does not belong to certificate " + files.cert;
    return nullptr;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0 ||
      X509_cmp_current_time(X509_get0_notBefore(cert.get())) >= 0) {
    *error = "certificate " + files.cert + " is not valid now (expired or not yet valid)";
    return nullptr;
  }
  return cert;
}

bool CheckCa(const TlsFiles& files, std::string* error) {
  if (files.ca.empty()) {
    *error = "a CA bundle is required";
    return false;
  }
  if (!Readable(files.ca, "CA bundle", error)) return false;
  if (files.cert.empty() != files.key.empty()) {
    *error = "a certificate and its key go together";
    return false;
  }
  return true;
}

}  // namespace

bool CheckTlsFiles(const TlsFiles& files, std::string* spiffe_id, std::string* error) {
  if (!CheckCa(files, error)) return false;
  if (files.cert.empty()) return true;
  auto cert = LoadCertificate(files, error);
  if (!cert) return false;
  const std::vector<std::string> uris = UriNames(cert.get());
  const std::string prefix = "spiffe://" + files.trust_domain + "/";
  if (uris.size() != 1 || !uris[0].starts_with(prefix)) {
    *error = "certificate " + files.cert + " must carry exactly one URI SAN, a SPIFFE ID " + prefix + "...";
    return false;
  }
  *spiffe_id = uris[0];
  return true;
}

bool CheckServerCertificateFiles(const TlsFiles& files, std::string* error) {
  if (!CheckCa(files, error)) return false;
  if (files.cert.empty()) {
    *error = "a certificate and its key are required";
    return false;
  }
  return LoadCertificate(files, error) != nullptr;
}

std::shared_ptr<grpc::ServerCredentials> ServerTlsCredentials(const TlsFiles& files, ClientCertificates clients) {
  tls::TlsServerCredentialsOptions options(Provider(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  switch (clients) {
    case ClientCertificates::kRequired:
      options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case ClientCertificates::kVerifiedIfPresented:
      options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case ClientCertificates::kNone:
      options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      break;
  }
  if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  return tls::TlsServerCredentials(options);
}

namespace {

// A channel that presents `files`' certificate (when given) and checks the
// server's chain against the CA, then as `verifier` says.
std::shared_ptr<grpc::ChannelCredentials> VerifiedChannel(const TlsFiles& files, bool check_host,
                                                          std::shared_ptr<tls::CertificateVerifier> verifier) {
  tls::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(files));
  options.watch_root_certs();
  if (!files.cert.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_check_call_host(check_host);
  options.set_certificate_verifier(std::move(verifier));
  if (!files.crl_dir.empty()) options.set_crl_directory(files.crl_dir);
  return tls::TlsCredentials(options);
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> ChannelTlsCredentials(const TlsFiles& files) {
  return VerifiedChannel(files, false, tls::ExternalCertificateVerifier::Create<ServiceIdentityVerifier>(
                                           "spiffe://" + files.trust_domain + "/svc/"));
}

std::shared_ptr<grpc::ChannelCredentials> PublicChannelTlsCredentials(const TlsFiles& files) {
  return VerifiedChannel(files, true, std::make_shared<tls::HostNameCertificateVerifier>());
}

bool UseClientTls(const TlsFiles& files, bool plaintext, std::string* error, bool public_listener) {
  if (plaintext) {
    if (!files.empty()) {
      *error = "--plaintext-for-development: not with --tls-cert, --tls-key or --tls-ca";
      return false;
    }
    SetChannelCredentials(grpc::InsecureChannelCredentials());
    return true;
  }
  std::string spiffe_id;
  if (files.ca.empty()) {
    *error = "--tls-ca (with --tls-cert and --tls-key, or --identity) is required, or --plaintext-for-development";
    return false;
  }
  if (public_listener) {
    if (!files.cert.empty() || !files.key.empty()) {
      *error = "--public: no client certificate (--tls-cert, --tls-key, --identity); the public listener asks for none";
      return false;
    }
    if (!CheckCa(files, error)) return false;
    SetChannelCredentials(PublicChannelTlsCredentials(files));
    return true;
  }
  if (!CheckTlsFiles(files, &spiffe_id, error)) return false;
  SetChannelCredentials(ChannelTlsCredentials(files));
  return true;
}

}  // namespace netra

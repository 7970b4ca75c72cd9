#include "tests/support/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <stdexcept>
#include <vector>

#include "common/tls.h"

namespace netra::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  Check(key != nullptr, "EC key");
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void WritePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  Check(f != nullptr, "open for writing");
  bool ok = cert ? PEM_write_X509(f, cert) == 1 : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  Check(ok, "PEM write");
}

}  // namespace

struct TestPki::State {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  std::vector<long> revoked;
  int crls_written = 0;
  ~State() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestPki::TestPki(std::string dir, std::string name) : dir_(std::move(dir)), state_(std::make_unique<State>()) {
  ::mkdir(crl_dir().c_str(), 0755);
  state_->key = NewKey();
  X509* ca = state_->cert = X509_new();
  X509_set_version(ca, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(ca), 1);
  X509_gmtime_adj(X509_getm_notBefore(ca), -86400);
  X509_gmtime_adj(X509_getm_notAfter(ca), 30 * 86400);
  X509_set_pubkey(ca, state_->key);
  X509_NAME* subject = X509_get_subject_name(ca);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(ca, subject);
  AddExtension(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(ca, ca, NID_subject_key_identifier, "hash");
  Check(X509_sign(ca, state_->key, EVP_sha256()) > 0, "CA sign");
  ca_file_ = dir_ + "/" + name + ".pem";
  WritePem(ca_file_, ca, nullptr);
  WriteCrl();  // a CA publishes its CRL from the start; with none, every peer would be refused
}

TestPki::~TestPki() = default;

TlsFiles TestPki::Issue(const std::string& identity, const CertificateValidity& validity, std::string file) {
  if (file.empty()) {
    file = identity;
    for (char& c : file) {
      if (c == '/' || c == ':') c = '_';
    }
  }
  // A service's also names the loopback host, as deploy/local/pki.sh's do, so that tools
  // that check the server's name (buf curl) reach it at 127.0.0.1.
  const std::string host = identity.rfind("svc/", 0) == 0 ? ",DNS:localhost,IP:127.0.0.1" : "";
  return IssueNamed("URI:spiffe://" + std::string(kTestTrustDomain) + "/" + identity + host, validity, file);
}

TlsFiles TestPki::IssueForHost(const std::string& host) { return IssueNamed("DNS:" + host, {}, "host_" + host); }

TlsFiles TestPki::IssueNamed(const std::string& subject_alt_name, const CertificateValidity& validity,
                             const std::string& file) {
  EVP_PKEY* key = NewKey();
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), validity.serial ? validity.serial : next_serial_++);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(validity.from_days) * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(validity.to_days) * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(file.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(state_->cert));
  AddExtension(cert, state_->cert, NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert, state_->cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  AddExtension(cert, state_->cert, NID_ext_key_usage, "serverAuth,clientAuth");
  AddExtension(cert, state_->cert, NID_authority_key_identifier, "keyid:always");
  AddExtension(cert, state_->cert, NID_subject_alt_name, subject_alt_name);
  Check(X509_sign(cert, state_->key, EVP_sha256()) > 0, "sign");
  TlsFiles files;
  files.cert = dir_ + "/" + file + ".pem";
  files.key = dir_ + "/" + file + ".key";
  files.ca = ca_file_;
  files.trust_domain = kTestTrustDomain;
  files.refresh_seconds = 1;
  WritePem(files.cert, cert, nullptr);
  WritePem(files.key, nullptr, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

void TestPki::Revoke(long serial) {
  state_->revoked.push_back(serial);
  WriteCrl();
}

void TestPki::WriteCrl() {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(state_->cert));
  // Each CRL is newer than the last (OpenSSL prefers the latest lastUpdate of an issuer's CRLs).
  ASN1_TIME* now = X509_gmtime_adj(nullptr, -3600 + state_->crls_written);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 86400);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  for (long s : state_->revoked) {
    X509_REVOKED* revoked = X509_REVOKED_new();
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set(number, s);
    X509_REVOKED_set_serialNumber(revoked, number);
    X509_REVOKED_set_revocationDate(revoked, now);
    X509_CRL_add0_revoked(crl, revoked);
    ASN1_INTEGER_free(number);
  }
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl);
  Check(X509_CRL_sign(crl, state_->key, EVP_sha256()) > 0, "CRL sign");
  char name[32];
  // The next suffix, as `openssl rehash` names a second CRL of one issuer: OpenSSL's hashed directory
  // lookup picks up a new suffix while running, never a file rewritten under a suffix it has read.
  std::snprintf(name, sizeof name, "/%08lx.r%d",
                X509_NAME_hash_ex(X509_get_subject_name(state_->cert), nullptr, nullptr, nullptr),
                state_->crls_written++);
  FILE* f = std::fopen((crl_dir() + name).c_str(), "w");
  Check(f != nullptr, "open CRL");
  bool ok = PEM_write_X509_CRL(f, crl) == 1;
  std::fclose(f);
  X509_CRL_free(crl);
  Check(ok, "CRL write");
}

std::shared_ptr<grpc::ChannelCredentials> TestPki::Credentials(const std::string& identity) {
  auto& credentials = credentials_[identity];
  if (!credentials) credentials = ChannelTlsCredentials(Issue(identity));
  return credentials;
}

}  // namespace netra::testing

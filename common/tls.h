// Transport security for every listener and every channel: TLS with
// certificates that gRPC reloads from disk (a rotated certificate, key, CA
// bundle or CRL is used for new connections without a restart), mutual on the
// internal listener. Who a peer is comes from its certificate's SPIFFE ID
// (docs/security.md); this file only sets up the transport.
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "common/config.h"

namespace netra {

// Checks what the files hold before a listener or channel depends on them:
// readable PEM, a key that matches the certificate, a certificate valid now,
// one SPIFFE ID in `trust_domain` (returned in *spiffe_id). `ca` only must be
// readable when `cert` and `key` are empty (a client without a certificate).
bool CheckTlsFiles(const TlsFiles& files, std::string* spiffe_id, std::string* error);

// For a server certificate that is not a Netra identity (the public
// listener's, for its host name): readable PEM, a key that matches, valid now.
bool CheckServerCertificateFiles(const TlsFiles& files, std::string* error);

// kRequired: the handshake fails without a valid client certificate.
// kVerifiedIfPresented: a certificate presented must chain to the CA (and not
// be revoked), else the handshake fails; a caller without one connects, and
// the access policy answers UNAUTHENTICATED for any method that is not public.
// kNone: none is asked for.
enum class ClientCertificates { kRequired, kVerifiedIfPresented, kNone };

// Server credentials: the certificate from `files`, and client certificates as `clients` says.
std::shared_ptr<grpc::ServerCredentials> ServerTlsCredentials(const TlsFiles& files, ClientCertificates clients);

// Channel credentials presenting `files`' certificate (when given). The
// server is verified against the CA and must carry a Netra service identity
// (spiffe://<trust domain>/svc/...) instead of a host name: replicas are
// reached by address lists, and a name proves less than the identity does.
std::shared_ptr<grpc::ChannelCredentials> ChannelTlsCredentials(const TlsFiles& files);

// Channel credentials for a public listener: the server's certificate is
// verified against `files.ca` and must name the host called (web PKI style,
// not a SPIFFE ID); `files`' certificate is presented when given (an edge
// proxy identifying itself).
std::shared_ptr<grpc::ChannelCredentials> PublicChannelTlsCredentials(const TlsFiles& files);

// For a tool (netractl, the load generator, the benches): sets the
// credentials every channel of the process presents (SetChannelCredentials):
// `files` checked with CheckTlsFiles, or plaintext when `plaintext` (the
// targets must then be loopback addresses, which the services also insist on).
// `public_listener`: calls go to a public listener as a member of the public,
// without a client certificate (PublicChannelTlsCredentials).
bool UseClientTls(const TlsFiles& files, bool plaintext, std::string* error, bool public_listener = false);

// The flags of a tool that only calls services (AddTlsFlags), applied with
// UseClientTls once the command line is parsed.
struct ClientTlsFlags {
  TlsFiles files;
  bool plaintext = false;
  void Add(CLI::App& app) { AddTlsFlags(app, files, plaintext); }
  bool Apply(std::string* error) const { return UseClientTls(files, plaintext, error); }
};

}  // namespace netra

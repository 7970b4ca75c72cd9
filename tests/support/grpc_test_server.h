// Handler tests in-process: a gRPC server inside the test process, serving
// the handler classes under test on 127.0.0.1:0 (a real HTTP/2 channel over
// mutual TLS, so requests, statuses and callers are as between processes), and readers of
// the typed details that Netra's error statuses carry (netra/v1/errors.proto).
#pragma once

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/client.h"
#include "common/rpc.h"
#include "common/tls.h"
#include "netra/v1/errors.pb.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_support.h"

namespace netra::testing {

class InProcessServer {
 public:
  // The services must outlive the server. It listens over mutual TLS with a
  // CA of its own (TestPki), as the services do.
  explicit InProcessServer(std::initializer_list<grpc::Service*> services) : pki_(dir_.path()) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0",
                             ServerTlsCredentials(pki_.Issue("svc/test"), ClientCertificates::kRequired), &port_);
    for (auto* service : services) builder.RegisterService(service);
    server_ = builder.BuildAndStart();
    EXPECT_TRUE(server_ && port_ > 0) << "the in-process gRPC server did not start";
    SetTrustDomain(kTestTrustDomain);
    channel_ = channel(kDefaultIdentity);
  }
  ~InProcessServer() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  InProcessServer(const InProcessServer&) = delete;
  InProcessServer& operator=(const InProcessServer&) = delete;

  static constexpr char kDefaultIdentity[] = "admin";
  // A channel presenting kDefaultIdentity's certificate, or `identity`'s
  // (a SPIFFE path such as "bawaslu/33.74").
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  std::shared_ptr<grpc::Channel> channel(const std::string& identity) {
    return MakeChannel("127.0.0.1:" + std::to_string(port_), nullptr, 8 << 20, pki_.Credentials(identity));
  }

 private:
  TempDir dir_;
  TestPki pki_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A client context with a bounded deadline and, when given, the acting caller.
inline std::unique_ptr<grpc::ClientContext> CallContext(const std::string& actor = "") {
  auto context = MakeClientContext(std::chrono::seconds(10));
  if (!actor.empty()) context->AddMetadata("x-netra-actor", actor);
  return context;
}

// The status's detail of type Detail, if it carries one.
template <class Detail>
std::optional<Detail> DetailOf(const grpc::Status& status) {
  netra::v1::ErrorStatus details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return std::nullopt;
  for (const auto& any : details.details()) {
    Detail detail;
    if (any.Is<Detail>() && any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

// The field paths of an INVALID_ARGUMENT's BadRequest, in order.
inline std::vector<std::string> FieldPaths(const grpc::Status& status) {
  std::vector<std::string> paths;
  if (auto bad = DetailOf<netra::v1::BadRequest>(status)) {
    for (const auto& v : bad->field_violations()) paths.push_back(v.field());
  }
  return paths;
}

// EXPECT_TRUE(SameMessage(a, b)): equal field by field, else the differences.
inline ::testing::AssertionResult SameMessage(const google::protobuf::Message& expected,
                                              const google::protobuf::Message& actual) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  if (differencer.Compare(expected, actual)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << differences;
}

}  // namespace netra::testing

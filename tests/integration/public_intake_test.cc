// The complaint service's public listener (issue 13, "Public intake"), over
// real TLS against a real process: a member of the public, without a client
// certificate, can report, attach evidence and follow the report there, and
// reach nothing else; the rate limits count the connection's address, or an
// edge proxy's forwarded one only when the proxy's certificate names it.
#include <gtest/gtest.h>

#include <set>

#include "absl/time/clock.h"
#include "common/client.h"
#include "common/tls.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "tests/integration/generic_call.h"
#include "tests/integration/netra_stack.h"
#include "tests/services/complaint/complaint_test_support.h"
#include "tests/support/netra_services.h"

namespace netra::testing {
namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

constexpr char kEdgeIdentity[] = "edge/public";

class PublicIntakeTest : public ::testing::Test {
 protected:
  // The complaint service with a public listener for "localhost" (a host
  // name certificate, no SPIFFE ID) and `extra` flags.
  bool StartComplaint(std::vector<std::string> extra = {}) {
    const TlsFiles host = stack_.pki().IssueForHost("localhost");
    extra.push_back("--public-listen=127.0.0.1:" + std::to_string(public_port_));
    extra.push_back("--public-tls-cert=" + host.cert);
    extra.push_back("--public-tls-key=" + host.key);
    extra.push_back("--public-edge-identity=spiffe://" + std::string(kTestTrustDomain) + "/" + kEdgeIdentity);
    return stack_.Start(Service::kComplaint, std::move(extra));
  }

  // The public listener as the public reaches it: the server's certificate
  // checked against the CA for the host name called; `identity` presents a
  // certificate of the deployment (an edge proxy), `pki` another CA's.
  std::shared_ptr<grpc::Channel> Public(const std::string& identity = {}, TestPki* pki = nullptr) {
    TlsFiles files;
    if (!identity.empty()) files = (pki ? *pki : stack_.pki()).Issue(identity);
    files.ca = stack_.pki().ca_file();
    files.trust_domain = kTestTrustDomain;
    return MakeChannel("localhost:" + std::to_string(public_port_), nullptr, 8 << 20,
                       PublicChannelTlsCredentials(files));
  }

  // One status lookup, claiming to come from `forwarded_for`.
  grpc::StatusCode LookUp(const std::shared_ptr<grpc::Channel>& channel, const std::string& forwarded_for) {
    auto context = MakeClientContext(10s);
    if (!forwarded_for.empty()) context->AddMetadata("x-forwarded-for", forwarded_for);
    v1::GetComplaintStatusRequest request;
    request.set_tracking_code("NETRA-0000-0000");
    v1::GetComplaintStatusResponse response;
    return v1::ComplaintService::NewStub(channel)->GetComplaintStatus(context.get(), request, &response).error_code();
  }

  NetraStack stack_;
  const int public_port_ = FreeLoopbackPort();
};

TEST_F(PublicIntakeTest, TheThreePublicMethodsWorkWithoutAClientCertificate) {
  ASSERT_TRUE(stack_.Start(Service::kRegistry));
  const grpc::Status seeded = stack_.UpsertDemoElection("pemilu-2024.json");
  ASSERT_TRUE(seeded.ok()) << seeded.error_message();
  ASSERT_TRUE(StartComplaint());
  auto stub = v1::ComplaintService::NewStub(Public());

  v1::UploadEvidenceResponse uploaded;
  {
    auto context = MakeClientContext(10s);
    auto writer = stub->UploadEvidence(context.get(), &uploaded);
    v1::UploadEvidenceRequest chunk;
    chunk.set_file_name("screenshot.png");
    const std::string png = "\x89PNG\r\n\x1A\n" + std::string(1000, 'p');
    chunk.set_total_size(static_cast<int64_t>(png.size()));
    chunk.set_chunk(png);
    ASSERT_TRUE(writer->Write(chunk));
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::SubmitComplaintRequest report = complaint::testing::ValidRequest(absl::Now());
  report.clear_evidence_ids();
  report.add_evidence_ids(uploaded.evidence().evidence_id());
  v1::SubmitComplaintResponse submitted;
  grpc::Status status = stub->SubmitComplaint(MakeClientContext(10s).get(), report, &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::GetComplaintStatusRequest lookup;
  lookup.set_tracking_code(submitted.complaint().tracking_code());
  v1::GetComplaintStatusResponse found;
  status = stub->GetComplaintStatus(MakeClientContext(10s).get(), lookup, &found);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(found.tracking_code(), submitted.complaint().tracking_code());
}

// Replicas listed by one host name (./dev stack --replicas N: localhost:P0,localhost:P1)
// are resolved to addresses, and the certificate is still checked against that name.
TEST_F(PublicIntakeTest, ReplicasListedByHostNameAreCheckedAgainstThatName) {
  ASSERT_TRUE(StartComplaint());
  TlsFiles files;
  files.ca = stack_.pki().ca_file();
  files.trust_domain = kTestTrustDomain;
  const std::string replica = "localhost:" + std::to_string(public_port_);
  auto channel = MakeChannel(replica + "," + replica, nullptr, 8 << 20, PublicChannelTlsCredentials(files));
  // Answered (whatever about the made-up tracking code), not refused at the TLS handshake.
  const grpc::StatusCode code = LookUp(channel, "");
  EXPECT_NE(code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(PublicIntakeTest, NothingElseIsReachableThere) {
  ASSERT_TRUE(StartComplaint());
  const auto channel = Public();
  const std::set<std::string> public_methods = {"netra.v1.ComplaintService/SubmitComplaint",
                                                "netra.v1.ComplaintService/UploadEvidence",
                                                "netra.v1.ComplaintService/GetComplaintStatus"};
  int walked = 0;
  for (const auto* service : NetraServices()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const auto& method = *service->method(m);
      const std::string name = service->full_name() + "/" + method.name();
      if (public_methods.contains(name)) continue;
      SCOPED_TRACE(name);
      ++walked;
      const grpc::Status status = CallEmpty(channel, method);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
      if (service->name() == "ComplaintService") {
        EXPECT_NE(status.error_message().find("is not served on the public listener"), std::string::npos)
            << status.error_message();
      }
      // Also as the edge proxy: a certificate of the deployment opens nothing more.
      EXPECT_EQ(CallEmpty(Public(kEdgeIdentity), method).error_code(), grpc::StatusCode::UNIMPLEMENTED);
    }
  }
  EXPECT_GE(walked, 30);
  // Health answers for the load balancer; reflection does not describe the API.
  EXPECT_TRUE(CallEmpty(channel, "/grpc.health.v1.Health/Check", false).ok());
  const char* const kReflection = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
  EXPECT_EQ(CallEmpty(channel, kReflection, true).error_code(), grpc::StatusCode::UNIMPLEMENTED);

  // The internal listener still serves reflection, and its internal API only
  // to a client certificate of the deployment.
  EXPECT_NE(CallEmpty(stack_.channel(Service::kComplaint), kReflection, true).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  TlsFiles ca_only;
  ca_only.ca = stack_.pki().ca_file();
  ca_only.trust_domain = kTestTrustDomain;
  const auto anonymous_internal =
      MakeChannel(stack_.address(Service::kComplaint), nullptr, 8 << 20, ChannelTlsCredentials(ca_only));
  EXPECT_EQ(CallEmpty(anonymous_internal, "/netra.v1.ComplaintService/ListComplaints", false).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A client certificate from another CA gets no connection on the public listener.
  TempDir stranger_dir;
  TestPki stranger(stranger_dir.path(), "stranger-ca");
  EXPECT_EQ(LookUp(Public(kEdgeIdentity, &stranger), ""), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(PublicIntakeTest, AForwardedAddressCountsOnlyFromTheEdgeProxy) {
  ASSERT_TRUE(StartComplaint({"--status-peer-limit=2"}));
  // Anyone else's header is ignored: each lookup claims another address, and
  // all count against the connection's own.
  const auto public_channel = Public();
  EXPECT_NE(LookUp(public_channel, "203.0.113.1"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(LookUp(public_channel, "203.0.113.2"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(LookUp(public_channel, "203.0.113.3"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A certificate of the deployment that is not the edge proxy's is no better.
  EXPECT_EQ(LookUp(Public("bawaslu/33.74"), "203.0.113.4"), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // The edge proxy's header names the client: each forwarded address has a
  // budget of its own, and only the last entry (the one the proxy wrote) counts.
  const auto edge = Public(kEdgeIdentity);
  EXPECT_NE(LookUp(edge, "198.51.100.1"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(LookUp(edge, "203.0.113.9, 198.51.100.1"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(LookUp(edge, "198.51.100.1"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(LookUp(edge, "2001:db8::7"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(LookUp(edge, "198.51.100.2"), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace netra::testing

// Who may call what, over the real transport (issue 13): every RPC of every
// netra.v1 service, found in the descriptors so that a new one is covered, as
// a caller without a certificate, as every kind of identity, against what
// deploy/access-policy.json says. And the certificates themselves: an
// expired one, one from another CA and a revoked one get no connection, and a
// service's certificate rotated on disk is served without a restart. And the
// person acting: named by a token of an issuer bound to the agency, or
// recorded as the agency's assertion.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <ctime>

#include "common/access_policy.h"
#include "common/client.h"
#include "common/tls.h"
#include "netra/v1/errors.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "tests/integration/generic_call.h"
#include "tests/integration/netra_stack.h"
#include "tests/support/netra_services.h"
#include "tests/support/test_tokens.h"

namespace netra::testing {
namespace {

namespace v1 = netra::v1;
using namespace std::chrono_literals;

// One identity of every kind, in and out of Kota Semarang's region.
const char* const kCallers[] = {"svc/registry",  "svc/complaint",      "svc/sanction",       "bawaslu/ri",
                                "bawaslu/33",    "bawaslu/33.74",      "authority/bkn",      "ppk/walikota:33.74",
                                "bkd/33.74",     "kpu/33",             "ministry/kemenpanrb", "admin",
                                "ops"};

AccessPolicy ShippedPolicy() {
  std::ifstream in(NETRA_SOURCE_DIR "/deploy/access-policy.json");
  std::stringstream text;
  text << in.rdbuf();
  auto policy = AccessPolicy::Parse(text.str());
  EXPECT_TRUE(policy.ok()) << policy.error().message;
  return std::move(policy.value());
}

// The process that serves `service`; the outbox admin is asked of the complaint service.
Service ServedBy(const google::protobuf::ServiceDescriptor& service) {
  if (service.name() == "RegistryService") return Service::kRegistry;
  if (service.name() == "SanctionService") return Service::kSanction;
  return Service::kComplaint;
}

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(stack_.StartAll()); }

  // A channel without a client certificate: the server is still verified.
  std::shared_ptr<grpc::Channel> Anonymous(Service service) {
    TlsFiles ca_only;
    ca_only.ca = stack_.pki().ca_file();
    ca_only.trust_domain = kTestTrustDomain;
    return MakeChannel(stack_.address(service), nullptr, 8 << 20, ChannelTlsCredentials(ca_only));
  }

  NetraStack stack_;
};

TEST_F(AccessControlTest, EveryRpcAnswersEveryKindOfCallerAsThePolicySays) {
  const AccessPolicy policy = ShippedPolicy();
  int methods = 0;
  for (const auto* service : NetraServices()) {
    for (int m = 0; m < service->method_count(); ++m) {
      const auto& method = *service->method(m);
      const std::string name = service->full_name() + "/" + method.name();
      SCOPED_TRACE(name);
      ++methods;
      const Service process = ServedBy(*service);

      const bool is_public = policy.Check(name, nullptr).allowed;
      const grpc::Status anonymous = CallEmpty(Anonymous(process), method);
      if (is_public) {
        EXPECT_NE(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED) << anonymous.error_message();
        EXPECT_NE(anonymous.error_code(), grpc::StatusCode::PERMISSION_DENIED) << anonymous.error_message();
      } else {
        EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED) << anonymous.error_message();
      }

      for (const char* caller : kCallers) {
        SCOPED_TRACE(caller);
        std::string why;
        const auto identity = ParseIdentityPath(caller, &why);
        ASSERT_TRUE(identity) << why;
        const grpc::Status status = CallEmpty(stack_.channel(process, caller), method);
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::INTERNAL) << status.error_message();
        if (policy.Check(name, &*identity).allowed) {
          EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
        } else {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
          EXPECT_NE(status.error_message().find("IDENTITY_NOT_ALLOWED"), std::string::npos) << status.error_message();
        }
      }
    }
  }
  EXPECT_GE(methods, 36);
  // Each refusal is counted by method and reason, and logged with the caller.
  EXPECT_GT(MetricValue(stack_.metrics(Service::kSanction), "netra_authz_denied_total",
                        {{"method", "OpenCase"}, {"reason", "IDENTITY_NOT_ALLOWED"}})
                .value_or(0),
            0);
  EXPECT_NE(stack_.log(Service::kRegistry).find("spiffe://netra.test/kpu/33"), std::string::npos);
}

TEST_F(AccessControlTest, HeadersClaimingAnIdentityGrantNothing) {
  // The caller's certificate is Bawaslu's; it claims to be the sanction service.
  auto stub = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, "bawaslu/33.74"));
  auto context = MakeClientContext(10s);
  context->AddMetadata("x-netra-actor", "svc:netra-sanction");
  context->AddMetadata("x-netra-agency", "svc/sanction");
  v1::SetDisciplinaryStatusRequest request;
  request.set_request_id("forged-1");
  request.set_employee_id("198503142010011001");
  v1::SetDisciplinaryStatusResponse response;
  EXPECT_EQ(stub->SetDisciplinaryStatus(context.get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessControlTest, APolicyChangedOnDiskIsEnforcedWithoutARestart) {
  // A stack whose registry reads a copy of the policy that the test then edits.
  NetraStack stack;
  const std::string file = stack.dir().File("policy.json");
  std::ifstream in(NETRA_SOURCE_DIR "/deploy/access-policy.json");
  std::stringstream text;
  text << in.rdbuf();
  std::ofstream(file) << text.str();
  ASSERT_TRUE(stack.Start(Service::kRegistry, {"--access-policy=" + file}));
  auto regions = [&](const std::string& caller) {
    v1::ListRegionsRequest request;
    v1::ListRegionsResponse response;
    return v1::RegistryService::NewStub(stack.channel(Service::kRegistry, caller))
        ->ListRegions(MakeClientContext(10s).get(), request, &response)
        .error_code();
  };
  ASSERT_EQ(regions("kpu/33"), grpc::StatusCode::OK);
  std::string edited = text.str();
  const std::string rule = R"("netra.v1.RegistryService/ListRegions": [)";
  const size_t at = edited.find(rule);
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, edited.find(']', at) - at + 1, rule + R"("bawaslu"])");
  std::ofstream(file + ".new") << edited;
  std::filesystem::rename(file + ".new", file);
  EXPECT_TRUE(WaitUntil([&] { return regions("kpu/33") == grpc::StatusCode::PERMISSION_DENIED; }, 15s, 200ms))
      << stack.log(Service::kRegistry);
  EXPECT_EQ(regions("bawaslu/33"), grpc::StatusCode::OK);

  // A broken edit leaves the policy in force and says so in the log.
  std::ofstream(file + ".new") << "{ not json";
  std::filesystem::rename(file + ".new", file);
  EXPECT_TRUE(WaitUntil([&] { return stack.log(Service::kRegistry).find("access policy not reloaded") != std::string::npos; },
                        15s, 200ms));
  EXPECT_EQ(regions("bawaslu/33"), grpc::StatusCode::OK);
  EXPECT_EQ(regions("kpu/33"), grpc::StatusCode::PERMISSION_DENIED);
}

// ---------------------------------------------------------------------------
// Certificates

grpc::StatusCode ListRegionsAs(const std::string& address, const TlsFiles& files) {
  auto stub = v1::RegistryService::NewStub(MakeChannel(address, nullptr, 8 << 20, ChannelTlsCredentials(files)));
  v1::ListRegionsRequest request;
  v1::ListRegionsResponse response;
  return stub->ListRegions(MakeClientContext(5s).get(), request, &response).error_code();
}

TEST(Certificates, ExpiredStrangerAndRevokedCertificatesGetNoConnection) {
  NetraStack stack;
  TlsFiles good = stack.pki().Issue("bkd/33.74");
  TlsFiles expired = stack.pki().Issue("bkd/33.74", {.from_days = -3, .to_days = -1}, "expired");
  TlsFiles revoked = stack.pki().Issue("bkd/33.74", {.serial = 4242}, "revoked");
  stack.pki().Revoke(4242);
  TempDir stranger_dir;
  TestPki stranger_ca(stranger_dir.path(), "stranger-ca");
  TlsFiles stranger = stranger_ca.Issue("bkd/33.74", {}, "stranger");
  stranger.ca = stack.pki().ca_file();  // it trusts the deployment; the deployment does not trust it
  ASSERT_TRUE(stack.Start(Service::kRegistry));

  const std::string address = stack.address(Service::kRegistry);
  EXPECT_EQ(ListRegionsAs(address, good), grpc::StatusCode::OK);
  EXPECT_EQ(ListRegionsAs(address, expired), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListRegionsAs(address, stranger), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListRegionsAs(address, revoked), grpc::StatusCode::UNAVAILABLE);
  // The service is unharmed.
  EXPECT_EQ(ListRegionsAs(address, good), grpc::StatusCode::OK);
}

TEST(Certificates, ACertificateRevokedWhileTheServiceRunsGetsNoNewConnection) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  const std::string address = stack.address(Service::kRegistry);
  TlsFiles soon_revoked = stack.pki().Issue("bkd/33.74", {.serial = 4343}, "soon-revoked");
  ASSERT_EQ(ListRegionsAs(address, soon_revoked), grpc::StatusCode::OK);
  // A new CRL published into the running service's CRL directory (no restart) revokes it.
  stack.pki().Revoke(4343);
  EXPECT_TRUE(WaitUntil([&] { return ListRegionsAs(address, soon_revoked) == grpc::StatusCode::UNAVAILABLE; }, 15s,
                        200ms))
      << stack.log(Service::kRegistry);
  EXPECT_EQ(ListRegionsAs(address, stack.pki().Issue("bkd/33.74")), grpc::StatusCode::OK);
  EXPECT_TRUE(stack.process(Service::kRegistry).Running());
}

TEST(Certificates, AServerOnlyAnswersClientsThatItsCaVouchesFor) {
  // A client that trusts another CA refuses the service (no man in the middle with another CA's certificate).
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  TempDir other_dir;
  TestPki other(other_dir.path(), "other-ca");
  TlsFiles client = stack.pki().Issue("bkd/33.74");
  client.ca = other.ca_file();
  EXPECT_EQ(ListRegionsAs(stack.address(Service::kRegistry), client), grpc::StatusCode::UNAVAILABLE);
}

// The PEM certificate the server presented on a new connection.
std::string ServerCertificate(const std::string& address, const TlsFiles& files) {
  auto stub = v1::RegistryService::NewStub(MakeChannel(address, nullptr, 8 << 20, ChannelTlsCredentials(files)));
  auto context = MakeClientContext(5s);
  v1::ListRegionsRequest request;
  v1::ListRegionsResponse response;
  if (!stub->ListRegions(context.get(), request, &response).ok()) return {};
  auto pem = context->auth_context()->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  return pem.empty() ? std::string() : std::string(pem[0].data(), pem[0].size());
}

TEST(Certificates, AServiceCertificateRotatedOnDiskIsServedWithoutARestart) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  const TlsFiles client = stack.pki().Issue("bkd/33.74");
  const std::string address = stack.address(Service::kRegistry);
  const std::string before = ServerCertificate(address, client);
  ASSERT_FALSE(before.empty());
  // A new certificate for the same identity, written over the files the service was started with.
  stack.pki().Issue("svc/registry");
  EXPECT_TRUE(WaitUntil([&] {
    const std::string now = ServerCertificate(address, client);
    return !now.empty() && now != before;
  }, 15s, 200ms)) << stack.log(Service::kRegistry);
  EXPECT_TRUE(stack.process(Service::kRegistry).Running());
}

// ---------------------------------------------------------------------------
// The person acting

// Kota Semarang's BKD records a pledge; the registry answers with who recorded it.
class PersonTokens : public ::testing::Test {
 protected:
  PersonTokens() : bkd_sso_("https://sso.semarangkota.go.id", "k1"), bawaslu_sso_("https://sso.bawaslu.go.id", "b1") {}

  void StartRegistry(bool with_issuers) {
    std::vector<std::string> args;
    if (with_issuers) {
      std::ofstream(stack_.dir().File("bkd.json")) << bkd_sso_.Jwks();
      std::ofstream(stack_.dir().File("bawaslu.json")) << bawaslu_sso_.Jwks();
      std::ofstream(stack_.dir().File("issuers.json")) << R"({"version": 1, "issuers": [
          {"name": "smg-sso", "issuer": "https://sso.semarangkota.go.id", "audience": "netra",
           "jwks_file": "bkd.json", "agencies": ["bkd/33.74"]},
          {"name": "bawaslu-sso", "issuer": "https://sso.bawaslu.go.id", "audience": "netra",
           "jwks_file": "bawaslu.json", "agencies": ["bawaslu"]}]})";
      args.push_back("--token-issuers=" + stack_.dir().File("issuers.json"));
    }
    ASSERT_TRUE(stack_.Start(Service::kRegistry, args));
    auto status = stack_.UpsertDemoElection("pemilu-2024.json");
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // RecordPledge as Kota Semarang's BKD with these headers; the first call
  // also creates the employee (as the administrator: no token needed).
  grpc::Status Pledge(const std::map<std::string, std::string>& headers, v1::RecordPledgeResponse* response,
                      v1::PledgeKind kind = v1::PLEDGE_KIND_IKRAR) {
    if (employee_id_.empty()) {
      v1::UpsertEmployeeRequest upsert;
      upsert.set_request_id("employee");
      auto* e = upsert.mutable_employee();
      e->set_employee_type(v1::EMPLOYEE_TYPE_PNS);
      e->set_nip("198503142010011001");
      e->set_name("Siti Aminah");
      e->set_gender(v1::GENDER_MALE);
      e->mutable_birth_date()->set_year(1985), e->mutable_birth_date()->set_month(3), e->mutable_birth_date()->set_day(14);
      e->set_agency_code("PEMKOT-SMG");
      e->set_agency_name("Pemerintah Kota Semarang");
      e->set_work_region_code("33.74");
      e->set_rank("III/b");
      v1::UpsertEmployeeResponse upserted;
      auto status = v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, kAdmin))
                        ->UpsertEmployee(MakeClientContext(10s).get(), upsert, &upserted);
      if (!status.ok()) return status;
      employee_id_ = upserted.employee().employee_id();
    }
    v1::RecordPledgeRequest request;
    request.set_request_id("pledge-" + std::to_string(++requests_));
    request.set_employee_id(employee_id_);
    request.set_election_id("pemilu-2024");
    request.set_kind(kind);
    request.mutable_signed_date()->set_year(2024);
    request.mutable_signed_date()->set_month(1);
    request.mutable_signed_date()->set_day(8);
    request.set_document_sha256(std::string(32, '\x11'));
    auto context = MakeClientContext(10s);
    for (const auto& [key, value] : headers) context->AddMetadata(key, value);
    return v1::RegistryService::NewStub(stack_.channel(Service::kRegistry, "bkd/33.74"))
        ->RecordPledge(context.get(), request, response);
  }

  static std::string Reason(const grpc::Status& status) {
    v1::ErrorStatus details;
    v1::ErrorInfo info;
    if (details.ParseFromString(status.error_details()) && details.details_size() > 0 &&
        details.details(0).UnpackTo(&info)) {
      return info.reason();
    }
    return "";
  }

  TestIssuer bkd_sso_, bawaslu_sso_;
  NetraStack stack_;
  std::string employee_id_;
  int requests_ = 0;
};

TEST_F(PersonTokens, ThePersonComesFromATokenOfAnIssuerBoundToTheAgency) {
  StartRegistry(/*with_issuers=*/true);
  v1::RecordPledgeResponse response;
  const std::string token = bkd_sso_.Mint(bkd_sso_.Claims("staf-7", "netra"));
  auto status = Pledge({{"authorization", "Bearer " + token}, {"x-netra-actor", "someone-else"}}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.pledge().recorded_by().id(), "smg-sso:staf-7");  // the header names nobody

  // No token, a token of Bawaslu's sign-on, a token past its expiry: refused, nothing recorded.
  status = Pledge({{"x-netra-actor", "staf-7"}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "TOKEN_REQUIRED");
  status = Pledge({{"authorization", "Bearer " + bawaslu_sso_.Mint(bawaslu_sso_.Claims("officer-1", "netra"))}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "TOKEN_ISSUER_NOT_BOUND");
  auto expired = bkd_sso_.Claims("staf-7", "netra");
  expired["exp"] = std::time(nullptr) - 3600;
  status = Pledge({{"authorization", "Bearer " + bkd_sso_.Mint(expired)}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "TOKEN_EXPIRED");
  EXPECT_NE(stack_.metrics(Service::kRegistry).find(R"(reason="TOKEN_ISSUER_NOT_BOUND")"), std::string::npos);
}

TEST_F(PersonTokens, WithoutIssuersThePersonIsTheAgencysAssertion) {
  StartRegistry(/*with_issuers=*/false);
  v1::RecordPledgeResponse response;
  auto status = Pledge({{"x-netra-actor", "staf-7"}}, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.pledge().recorded_by().id(), "staf-7");
  // A token is not taken on trust when no issuer is configured: it is ignored.
  status = Pledge({{"authorization", "Bearer " + bkd_sso_.Mint(bkd_sso_.Claims("boss", "netra"))}}, &response,
                  v1::PLEDGE_KIND_INTEGRITY_PACT);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.pledge().recorded_by().id(), "bkd/33.74");
}

}  // namespace
}  // namespace netra::testing


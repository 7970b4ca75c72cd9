// The shipped access policy (deploy/access-policy.json) against the API as
// compiled: every RPC has a rule, every rule names an RPC, and the rules the
// case flow's safety rests on hold (issue 13). An RPC added to a .proto
// without a rule fails here, not in production.
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/access_policy.h"
#include "tests/support/netra_services.h"
#include "tests/support/test_support.h"

namespace netra {
namespace {

const AccessPolicy& ShippedPolicy() {
  static const AccessPolicy policy = [] {
    const std::string text = testing::ReadFile(NETRA_SOURCE_DIR "/deploy/access-policy.json");
    auto parsed = AccessPolicy::Parse(text);
    if (parsed.ok()) return parsed.value();
    std::string problems;
    for (const auto& v : parsed.error().violations.list()) problems += "\n  " + v.field + ": " + v.description;
    ADD_FAILURE() << "deploy/access-policy.json does not load:" << problems;
    return AccessPolicy::Parse(R"({"version": 1, "methods": {"netra.v1.None/None": ["ops"]}})").value();
  }();
  return policy;
}

// "netra.v1.Service/Method" of every RPC of every proto/netra/v1 file, as the
// generated descriptor pool has it.
std::set<std::string> ApiMethods() {
  std::set<std::string> methods;
  for (const auto* service : netra::testing::NetraServices()) {
    for (int m = 0; m < service->method_count(); ++m) {
      methods.insert(service->full_name() + "/" + service->method(m)->name());
    }
  }
  return methods;
}

// One or more identities of every kind, national and regional.
const std::vector<Identity>& SampleCallers() {
  static const std::vector<Identity> callers = [] {
    std::vector<Identity> out;
    for (auto path : {"svc/registry", "svc/complaint", "svc/sanction", "bawaslu/ri", "bawaslu/33", "bawaslu/33.06",
                      "authority/bkn", "authority/kasn", "ppk/bupati:33.06", "ppk/gubernur:33",
                      "ppk/menteri:kemendagri", "bkd/33", "bkd/33.06", "kpu/ri", "kpu/33", "kpu/33.06",
                      "ministry/kemenpanrb", "ministry/kemendagri", "admin", "ops"}) {
      std::string why;
      auto identity = ParseIdentityPath(path, &why);
      EXPECT_TRUE(identity.has_value()) << path << ": " << why;
      if (identity) out.push_back(*identity);
    }
    return out;
  }();
  return callers;
}

// Which sample callers the shipped policy lets call `method`.
std::set<std::string> AllowedCallers(const std::string& method) {
  std::set<std::string> out;
  for (const auto& caller : SampleCallers()) {
    if (ShippedPolicy().Check(method, &caller).allowed) out.insert(caller.Label());
  }
  return out;
}

// The methods `caller` may call beyond the public ones.
std::set<std::string> NonPublicMethodsOf(std::string_view caller_path) {
  const auto caller = ParseIdentityPath(caller_path, nullptr).value();
  std::set<std::string> out;
  for (const auto& method : ApiMethods()) {
    if (ShippedPolicy().Check(method, nullptr).allowed) continue;
    if (ShippedPolicy().Check(method, &caller).allowed) out.insert(method);
  }
  return out;
}

TEST(AccessPolicyRules, EveryRpcHasARule) {
  const auto methods = ApiMethods();
  // The four services of the API, so that a pool missing a file cannot pass by being empty.
  for (auto service : {"RegistryService", "ComplaintService", "SanctionService", "OutboxAdminService"}) {
    EXPECT_TRUE(std::any_of(methods.begin(), methods.end(), [&](const std::string& m) {
      return m.rfind(std::string("netra.v1.") + service + "/", 0) == 0;
    })) << service;
  }
  const auto named = ShippedPolicy().Methods();
  for (const auto& method : methods) {
    EXPECT_TRUE(std::binary_search(named.begin(), named.end(), method))
        << method << " has no rule in deploy/access-policy.json: every caller is refused (NO_RULE)";
  }
}

TEST(AccessPolicyRules, EveryRuleNamesAnExistingRpc) {
  const auto methods = ApiMethods();
  for (const auto& method : ShippedPolicy().Methods()) {
    EXPECT_TRUE(methods.count(method)) << "deploy/access-policy.json names " << method << ", which the API has not";
  }
}

TEST(AccessPolicyRules, OnlyTheThreeIntakeRpcsArePublic) {
  std::set<std::string> open;
  for (const auto& method : ApiMethods()) {
    if (ShippedPolicy().Check(method, nullptr).allowed) open.insert(method);
  }
  EXPECT_EQ(open, (std::set<std::string>{"netra.v1.ComplaintService/GetComplaintStatus",
                                         "netra.v1.ComplaintService/SubmitComplaint",
                                         "netra.v1.ComplaintService/UploadEvidence"}));
}

TEST(AccessPolicyRules, ServiceOnlyCallsComeFromThatServiceAlone) {
  EXPECT_EQ(AllowedCallers("netra.v1.RegistryService/SetDisciplinaryStatus"), std::set<std::string>{"svc/sanction"});
  EXPECT_EQ(AllowedCallers("netra.v1.ComplaintService/RecordOutcome"), std::set<std::string>{"svc/sanction"});
  EXPECT_EQ(AllowedCallers("netra.v1.SanctionService/OpenCase"), std::set<std::string>{"svc/complaint"});
}

// What each service's code calls on the others (services/complaint/peers.cc,
// services/sanction/peers.cc, common/registry_client.cc), and no more: a
// service's stolen certificate opens nothing else. BatchGetEmployees is the
// batch form of the employee lookup both make.
TEST(AccessPolicyRules, EachServiceMayCallExactlyWhatItCalls) {
  EXPECT_EQ(NonPublicMethodsOf("svc/complaint"),
            (std::set<std::string>{"netra.v1.RegistryService/BatchGetEmployees",
                                   "netra.v1.RegistryService/GetElection", "netra.v1.RegistryService/GetEmployee",
                                   "netra.v1.RegistryService/SearchEmployees",
                                   "netra.v1.SanctionService/ListViolationTypes",
                                   "netra.v1.SanctionService/OpenCase"}));
  EXPECT_EQ(NonPublicMethodsOf("svc/sanction"),
            (std::set<std::string>{"netra.v1.ComplaintService/GetComplaint",  // before OpenCase
                                   "netra.v1.ComplaintService/RecordOutcome",
                                   "netra.v1.RegistryService/BatchGetEmployees", "netra.v1.RegistryService/GetElection",
                                   "netra.v1.RegistryService/GetEmployee",
                                   "netra.v1.RegistryService/SetDisciplinaryStatus"}));
  EXPECT_EQ(NonPublicMethodsOf("svc/registry"), std::set<std::string>{});  // the registry calls no one
}

// Whistle-blower protection: only Bawaslu unseals a reporter (its region is
// checked per complaint); never the reported side, a BKD, a service or the public.
TEST(AccessPolicyRules, OnlyBawasluRevealsAReporter) {
  const auto allowed = AllowedCallers("netra.v1.ComplaintService/RevealReporter");
  EXPECT_FALSE(allowed.empty());
  for (const auto& label : allowed) EXPECT_TRUE(label.rfind("bawaslu/", 0) == 0) << label;
  EXPECT_FALSE(ShippedPolicy().Check("netra.v1.ComplaintService/RevealReporter", nullptr).allowed);
}

TEST(AccessPolicyRules, PartyMembersComeFromKpuAlone) {
  EXPECT_EQ(AllowedCallers("netra.v1.RegistryService/ImportPartyMembers"),
            (std::set<std::string>{"kpu/33", "kpu/33.06", "kpu/ri"}));
}

// The catalog is the joint decree's annex: national signatories only.
TEST(AccessPolicyRules, OnlyNationalBodiesReplaceTheViolationCatalog) {
  const auto allowed = AllowedCallers("netra.v1.SanctionService/PutViolationCatalog");
  EXPECT_FALSE(allowed.empty());
  for (const auto& label : allowed) {
    EXPECT_TRUE(label.rfind("ministry/", 0) == 0 || label.rfind("authority/", 0) == 0 || label == "bawaslu/ri")
        << label;
  }
}

TEST(AccessPolicyRules, OutboxAdministrationIsForOperatorsAndAdministrators) {
  for (auto method :
       {"netra.v1.OutboxAdminService/ListFailedDeliveries", "netra.v1.OutboxAdminService/RetryDelivery"}) {
    EXPECT_EQ(AllowedCallers(method), (std::set<std::string>{"admin", "ops"})) << method;
  }
}

// Who read whom is for the people who run the deployment, never for the agencies whose reads it records.
TEST(AccessPolicyRules, TheAccessLogIsForOperatorsAndAdministrators) {
  for (auto method : {"netra.v1.RegistryService/ListPersonalDataReads", "netra.v1.ComplaintService/ListReporterReads"}) {
    EXPECT_EQ(AllowedCallers(method), (std::set<std::string>{"admin", "ops"})) << method;
  }
}

}  // namespace
}  // namespace netra

#include "common/access_policy.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace netra {
namespace {

Identity Caller(std::string_view path) {
  std::string why;
  auto identity = ParseIdentityPath(path, &why);
  EXPECT_TRUE(identity.has_value()) << path << ": " << why;
  return identity.value_or(Identity{});
}

AccessPolicy Policy(std::string_view text) {
  auto policy = AccessPolicy::Parse(text);
  if (!policy.ok()) {
    std::string problems;
    for (const auto& v : policy.error().violations.list()) problems += v.field + ": " + v.description + "\n";
    ADD_FAILURE() << problems;
    return AccessPolicy::Parse(R"({"version": 1, "methods": {"netra.v1.X/Y": ["admin"]}})").value();
  }
  return policy.value();
}

constexpr std::string_view kPolicy = R"({
  // comments, as the shipped file has them
  "version": 1,
  "methods": {
    "netra.v1.ComplaintService/SubmitComplaint": ["public"],
    /* any Bawaslu; exactly one service */
    "netra.v1.ComplaintService/GetComplaint": ["bawaslu", "svc/sanction"],
    "netra.v1.SanctionService/PutViolationCatalog": ["bawaslu/ri", "ministry/kemenpanrb"],
    "netra.v1.OutboxAdminService/RetryDelivery": ["ops", "admin"]
  }
})";

TEST(AccessPolicyTest, KindEntryAdmitsEveryIdentityOfTheKind) {
  const auto policy = Policy(kPolicy);
  for (auto path : {"bawaslu/ri", "bawaslu/33", "bawaslu/33.06"}) {
    const auto caller = Caller(path);
    auto decision = policy.Check("netra.v1.ComplaintService/GetComplaint", &caller);
    EXPECT_TRUE(decision.allowed) << path;
    EXPECT_EQ(decision.reason, "") << path;
  }
}

TEST(AccessPolicyTest, QualifiedEntryAdmitsThatIdentityOnly) {
  const auto policy = Policy(kPolicy);
  const std::string method = "netra.v1.SanctionService/PutViolationCatalog";
  for (auto path : {"bawaslu/ri", "ministry/kemenpanrb"}) {
    const auto caller = Caller(path);
    EXPECT_TRUE(policy.Check(method, &caller).allowed) << path;
  }
  for (auto path : {"bawaslu/33", "bawaslu/33.06", "ministry/kemendagri", "svc/sanction", "admin"}) {
    const auto caller = Caller(path);
    auto decision = policy.Check(method, &caller);
    EXPECT_FALSE(decision.allowed) << path;
    EXPECT_EQ(decision.reason, kDenyIdentityNotAllowed) << path;
  }
  const auto complaint = Caller("svc/complaint");
  EXPECT_EQ(policy.Check("netra.v1.ComplaintService/GetComplaint", &complaint).reason, kDenyIdentityNotAllowed);
}

TEST(AccessPolicyTest, PublicAdmitsCallersWithAndWithoutCertificate) {
  const auto policy = Policy(kPolicy);
  const auto caller = Caller("kpu/33");
  EXPECT_TRUE(policy.Check("netra.v1.ComplaintService/SubmitComplaint", nullptr).allowed);
  EXPECT_TRUE(policy.Check("netra.v1.ComplaintService/SubmitComplaint", &caller).allowed);
}

TEST(AccessPolicyTest, NoCertificateOnANonPublicMethodIsUnauthenticated) {
  const auto policy = Policy(kPolicy);
  auto decision = policy.Check("netra.v1.ComplaintService/GetComplaint", nullptr);
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, kDenyUnauthenticated);
}

TEST(AccessPolicyTest, MethodWithoutRuleIsDeniedToEveryone) {
  const auto policy = Policy(kPolicy);
  const auto admin = Caller("admin");
  for (const Identity* caller : {static_cast<const Identity*>(nullptr), &admin}) {
    auto decision = policy.Check("netra.v1.RegistryService/SetDisciplinaryStatus", caller);
    EXPECT_FALSE(decision.allowed);
    EXPECT_EQ(decision.reason, kDenyNoRule);
  }
  // Not a prefix match, nor case-insensitive.
  EXPECT_EQ(policy.Check("netra.v1.ComplaintService/GetComplaints", &admin).reason, kDenyNoRule);
  EXPECT_EQ(policy.Check("netra.v1.complaintservice/submitcomplaint", nullptr).reason, kDenyNoRule);
}

TEST(AccessPolicyTest, AcceptsGrpcsLeadingSlash) {
  const auto policy = Policy(kPolicy);
  const auto ops = Caller("ops");
  EXPECT_TRUE(policy.Check("/netra.v1.OutboxAdminService/RetryDelivery", &ops).allowed);
  EXPECT_EQ(policy.Check("//netra.v1.OutboxAdminService/RetryDelivery", &ops).reason, kDenyNoRule);
}

TEST(AccessPolicyTest, ListsItsMethodsSorted) {
  EXPECT_EQ(Policy(kPolicy).Methods(),
            (std::vector<std::string>{"netra.v1.ComplaintService/GetComplaint",
                                      "netra.v1.ComplaintService/SubmitComplaint",
                                      "netra.v1.OutboxAdminService/RetryDelivery",
                                      "netra.v1.SanctionService/PutViolationCatalog"}));
}

// A policy file with a mistake must not load: a deployment would otherwise
// run with a rule that is not the one its operator wrote.
struct BadPolicy {
  std::string text;
  std::string field;  // the key the error names
  std::string words;  // a part of the description
};

std::string Methods(std::string_view body) {
  return R"({"version": 1, "methods": {)" + std::string(body) + "}}";
}

TEST(AccessPolicyTest, RefusesAMistakeNamingTheKey) {
  const std::string m = "methods.netra.v1.S/M";
  const std::vector<BadPolicy> cases = {
      {"", "policy", "parse error"},
      {"[]", "policy", "JSON object"},
      {R"({"version": 1, "methods": {"netra.v1.S/M": ["admin"],}})", "policy", "parse error"},  // trailing comma
      {R"({"methods": {"netra.v1.S/M": ["admin"]}})", "version", "required"},
      {R"({"version": 2, "methods": {"netra.v1.S/M": ["admin"]}})", "version", "must be 1"},
      {R"({"version": "1", "methods": {"netra.v1.S/M": ["admin"]}})", "version", "must be 1"},
      {R"({"version": 1})", "methods", "at least one method"},
      {R"({"version": 1, "methods": {}})", "methods", "at least one method"},
      {R"({"version": 1, "methods": []})", "methods", "at least one method"},
      {R"({"version": 1, "default": "allow", "methods": {"netra.v1.S/M": ["admin"]}})", "default", "unknown key"},
      {R"({"version": 1, "version": 1, "methods": {"netra.v1.S/M": ["admin"]}})", "version", "duplicate key"},
      {Methods(R"("netra.v1.S/M": ["public"], "netra.v1.S/M": ["admin"])"), m, "duplicate key"},
      {Methods(R"("netra.v1.S/M": [])"), m, "at least one identity"},
      {Methods(R"("netra.v1.S/M": "admin")"), m, "at least one identity"},
      {Methods(R"("RegistryService/GetEmployee": ["admin"])"), "methods.RegistryService/GetEmployee", "netra.v1."},
      {Methods(R"("/netra.v1.S/M": ["admin"])"), "methods./netra.v1.S/M", "netra.v1."},
      {Methods(R"("netra.v1.S/M/X": ["admin"])"), "methods.netra.v1.S/M/X", "netra.v1."},
      {Methods(R"("netra.v1.S/*": ["admin"])"), "methods.netra.v1.S/*", "netra.v1."},
      {Methods(R"("netra.v1.s/m": ["admin"])"), "methods.netra.v1.s/m", "netra.v1."},
      {Methods(R"("netra.v2.S/M": ["admin"])"), "methods.netra.v2.S/M", "netra.v1."},
      {Methods(R"("netra.v1.S/M": [1])"), m + "[0]", "string"},
      {Methods(R"("netra.v1.S/M": ["auditor"])"), m + "[0]", "unknown kind"},
      {Methods(R"("netra.v1.S/M": ["Bawaslu"])"), m + "[0]", "unknown kind"},
      {Methods(R"("netra.v1.S/M": ["*"])"), m + "[0]", "unknown kind"},
      {Methods(R"("netra.v1.S/M": ["admin", "bawaslu/33.6"])"), m + "[1]", "bawaslu/33.6"},
      {Methods(R"("netra.v1.S/M": ["svc/gateway"])"), m + "[0]", "registry, complaint or sanction"},
      {Methods(R"("netra.v1.S/M": ["admin/root"])"), m + "[0]", "takes no qualifier"},
      {Methods(R"("netra.v1.S/M": ["bawaslu/"])"), m + "[0]", "empty path segment"},
      {Methods(R"("netra.v1.S/M": ["spiffe://netra.example/admin"])"), m + "[0]", "spiffe://"},  // a path, not an ID
      {Methods(R"("netra.v1.S/M": ["public", "bawaslu"])"), m + "[0]", "stand alone"},
      {Methods(R"("netra.v1.S/M": ["bawaslu", "bawaslu"])"), m + "[1]", "listed twice"},
  };
  for (const auto& c : cases) {
    auto policy = AccessPolicy::Parse(c.text);
    ASSERT_FALSE(policy.ok()) << c.text;
    EXPECT_EQ(policy.error().kind, Error::Kind::kInvalidArgument);
    bool named = false;
    std::string seen;
    for (const auto& v : policy.error().violations.list()) {
      named = named || (v.field == c.field && v.description.find(c.words) != std::string::npos);
      seen += v.field + ": " + v.description + "\n";
    }
    EXPECT_TRUE(named) << c.text << "\nwanted " << c.field << ": ..." << c.words << "...\ngot " << seen;
  }
}

TEST(AccessPolicyTest, ReportsEveryMistakeAtOnce) {
  auto policy = AccessPolicy::Parse(Methods(R"("netra.v1.S/A": ["auditor"], "netra.v1.S/B": [])"));
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.error().violations.size(), 2u);
}

}  // namespace
}  // namespace netra

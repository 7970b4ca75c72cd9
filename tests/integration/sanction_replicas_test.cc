// Two sanction processes on one store, on SQLite (one file) and on
// PostgreSQL (one database of a throwaway cluster, its password given with
// --store-password-file), with real registry, complaint and Redis processes:
//  - a retry that lands on the other replica gets the first result;
//  - of two conflicting updates at once on the two replicas one wins and the
//    other is ABORTED (or refused as illegal), never lost, and the case's
//    hash-chained history does not fork;
//  - each queued notification is delivered once although both replicas
//    dispatch the outbox;
//  - the sweeper, whose lease is a row of the store: one leader at a time
//    escalates each case once per step, the other replica takes over when the
//    leader dies, and Redis being down does not stop it.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "tests/common/store_backends.h"
#include "tests/integration/sanction_cases_fixture.h"
#include "tests/support/pg_server.h"

namespace netra::testing {
namespace {

class SanctionReplicasTest : public SanctionCasesTest, public ::testing::WithParamInterface<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::kPostgres) {
      ASSERT_TRUE(stack_.UseNewPostgresDatabase(Service::kSanction));
    }
    SanctionCasesTest::SetUp();
  }

  // Both replicas, not sweeping anything yet (their clocks are now): the
  // stack's own, which the complaint service forwards to, and second_.
  void StartBoth() {
    StartSanction();
    ASSERT_NO_FATAL_FAILURE(StartReplica(second_, 0, 30000, "sanction-2.log"));
  }
  // The sanction service on replica 1 or 2 as `identity`.
  std::unique_ptr<v1::SanctionService::Stub> On(int replica, const std::string& identity) {
    if (replica == 1) return Sanction(identity);
    return v1::SanctionService::NewStub(MakeChannel("127.0.0.1:" + std::to_string(second_.port), nullptr, 8 << 20,
                                                    stack_.pki().Credentials(identity)));
  }

  Replica second_;
};

NETRA_STORE_BACKENDS(SanctionReplicasTest);

TEST_P(SanctionReplicasTest, ARetryLandingOnTheOtherReplicaGetsTheFirstResult) {
  ASSERT_NO_FATAL_FAILURE(StartBoth());
  const v1::Case opened = Open(0);
  // The same OpenCase on the other replica: the case the first one opened.
  v1::OpenCaseResponse again;
  auto status = On(2, kComplaintService)->OpenCase(Context().get(), Forwarded(0), &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.case_record().case_id(), opened.case_id());
  EXPECT_EQ(again.case_record().version(), opened.version());

  // A recommendation sent to both replicas at once (a client retrying on
  // another replica before the first answered), then once more on each: one
  // recommendation, and every answer is the first result.
  const v1::IssueRecommendationRequest request = RecommendRequest(opened);
  auto answers = AtOnce([&](int replica) {
    v1::IssueRecommendationResponse response;
    auto s = On(replica, AuthorityIdentity(authority_))->IssueRecommendation(Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.case_record();
  });
  EXPECT_EQ(answers.first.version(), opened.version() + 1);
  EXPECT_EQ(answers.second.version(), answers.first.version());
  for (int replica : {1, 2}) {
    v1::IssueRecommendationResponse retried;
    ASSERT_TRUE(On(replica, AuthorityIdentity(authority_))->IssueRecommendation(Context().get(), request, &retried).ok());
    EXPECT_EQ(retried.case_record().version(), answers.first.version()) << replica;
    EXPECT_EQ(retried.case_record().recommendation().letter_number(), request.letter_number());
  }
  auto view = Get(opened.case_id(), On(2, AuthorityIdentity(authority_)).get());
  EXPECT_EQ(view.case_record().version(), opened.version() + 1);
  int recommended = 0;
  for (const auto& entry : view.history()) recommended += entry.event_type() == "case.recommendation_issued";
  EXPECT_EQ(recommended, 1);
}

// Each case gets two different recommendations at once, one per replica: with
// the version both read (ABORTED for the loser) or with none (the loser's is
// an illegal second recommendation). The winner's is the one kept, and every
// history is one unbroken chain.
TEST_P(SanctionReplicasTest, AConflictingUpdateIsAbortedNeverLostAndTheHistoryDoesNotFork) {
  constexpr int kCases = 6;
  ASSERT_NO_FATAL_FAILURE(StartBoth());
  for (int n = 0; n < kCases; ++n) {
    const v1::Case opened = Open(n);
    const bool versioned = n % 2 == 0;
    auto answers = AtOnce([&](int replica) {
      v1::IssueRecommendationRequest request = RecommendRequest(opened);
      request.set_request_id(opened.case_id() + ":recommend-" + std::to_string(replica));
      request.set_letter_number("R-" + std::to_string(replica));
      if (!versioned) request.set_expected_version(0);
      v1::IssueRecommendationResponse response;
      auto s = On(replica, AuthorityIdentity(authority_))->IssueRecommendation(Context().get(), request, &response);
      return std::pair(s.error_code(), response.case_record().recommendation().letter_number());
    });
    std::vector<grpc::StatusCode> codes{answers.first.first, answers.second.first};
    ASSERT_EQ(std::count(codes.begin(), codes.end(), grpc::StatusCode::OK), 1) << n;
    const auto loser = codes[0] == grpc::StatusCode::OK ? codes[1] : codes[0];
    EXPECT_EQ(loser, versioned ? grpc::StatusCode::ABORTED : grpc::StatusCode::FAILED_PRECONDITION) << n;
    const std::string kept = codes[0] == grpc::StatusCode::OK ? answers.first.second : answers.second.second;

    auto view = Get(opened.case_id());
    EXPECT_EQ(view.case_record().version(), opened.version() + 1);
    EXPECT_EQ(view.case_record().recommendation().letter_number(), kept);
    EXPECT_TRUE(view.history_verification().intact());
    for (int i = 0; i < view.history_size(); ++i) EXPECT_EQ(view.history(i).sequence(), i + 1) << n;
    EXPECT_EQ(view.history(view.history_size() - 1).event_type(), "case.recommendation_issued");
  }
}

// Decisions recorded on both replicas queue notifications for the registry
// and the complaint service; both replicas' dispatchers deliver, and each
// notification arrives once.
TEST_P(SanctionReplicasTest, EachNotificationIsDeliveredOnceByOneOfTheReplicas) {
  constexpr int kCases = 4;
  ASSERT_NO_FATAL_FAILURE(StartBoth());
  std::vector<std::string> ids;
  for (int n = 0; n < kCases; ++n) {
    const v1::Case recommended = Recommend(Open(n));
    v1::RecordDecisionResponse decided;
    auto status = On(n % 2 + 1, kSemarangPpk)->RecordDecision(Context().get(), DecisionRequest(recommended), &decided);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ids.push_back(recommended.case_id());
  }
  std::map<v1::NotificationTarget, int> queued;
  auto all_delivered = [&] {
    queued.clear();
    for (const auto& id : ids) {
      const v1::GetCaseResponse view = Get(id);  // outlives the loop over its notifications
      for (const auto& n : view.case_record().notifications()) {
        if (n.status() != v1::DELIVERY_STATUS_DELIVERED) return false;
        ++queued[n.target()];
      }
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil(all_delivered, 30s, 100ms)) << stack_.log(Service::kSanction);
  ASSERT_GE(queued[v1::NOTIFICATION_TARGET_REGISTRY_STATUS], kCases);
  ASSERT_GE(queued[v1::NOTIFICATION_TARGET_COMPLAINT_OUTCOME], kCases);
  auto handled = [](const std::string& metrics, const char* method) {
    return MetricValue(metrics, "grpc_server_handled_total", {{"grpc_method", method}, {"grpc_code", "OK"}})
        .value_or(0);
  };
  EXPECT_EQ(handled(stack_.metrics(Service::kRegistry), "SetDisciplinaryStatus"),
            queued[v1::NOTIFICATION_TARGET_REGISTRY_STATUS]);
  EXPECT_EQ(handled(stack_.metrics(Service::kComplaint), "RecordOutcome"),
            queued[v1::NOTIFICATION_TARGET_COMPLAINT_OUTCOME]);
}

TEST_P(SanctionReplicasTest, TwoReplicasEscalateEachCaseExactlyOncePerStep) {
  constexpr int kCases = 6;
  StartSanction();
  std::vector<std::string> ids;
  for (int n = 0; n < kCases; ++n) ids.push_back(Recommend(Open(n)).case_id());
  ASSERT_EQ(stack_.Stop(Service::kSanction), 0);

  // Two replicas on the same store and Redis, 100 days ahead: every step is due
  // and both contend for the lease from the start.
  Replica second;
  ASSERT_NO_FATAL_FAILURE(StartReplica(second, 2400, 2000, "sanction-2.log"));
  StartSanction({"--clock-offset-hours=2400", "--sweep-interval-ms=50", "--sweep-lease-ms=2000"});

  auto all_blocked = [&] {
    for (const auto& id : ids) {
      if (Get(id).case_record().escalation_level() != v1::ESCALATION_LEVEL_DATA_BLOCK) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil(all_blocked, 30s, 100ms)) << stack_.log(Service::kSanction);

  double escalations = 0;
  for (const std::string& text : {stack_.metrics(Service::kSanction), HttpGet(second.metrics_port, "/metrics")}) {
    for (const char* step : {"warning", "reprimand", "data_block"}) {
      escalations += MetricValue(text, "netra_escalations_total", {{"step", step}}).value_or(0);
    }
  }
  EXPECT_EQ(escalations, 3.0 * kCases);
  for (const auto& id : ids) {
    auto view = Get(id, second.stub.get());
    ASSERT_EQ(view.case_record().escalations_size(), 3) << id;
    EXPECT_EQ(view.case_record().escalations(0).level(), v1::ESCALATION_LEVEL_WARNING);
    EXPECT_EQ(view.case_record().escalations(2).level(), v1::ESCALATION_LEVEL_DATA_BLOCK);
    int escalated_events = 0;
    for (const auto& entry : view.history()) escalated_events += entry.event_type() == "case.escalated";
    EXPECT_EQ(escalated_events, 3) << id;
    EXPECT_TRUE(view.history_verification().intact());
  }
  // The data block reaches the registry.
  EXPECT_TRUE(WaitUntil([&] { return RegistryEmployee(employee_ids_[0]).disciplinary_state() ==
                                     v1::DISCIPLINARY_STATE_DATA_BLOCKED; }, 20s, 50ms));
  // One leader at a time.
  double leaders = MetricValue(stack_.metrics(Service::kSanction), "netra_sweeper_leader").value_or(0) +
                   second.Metric("netra_sweeper_leader");
  EXPECT_EQ(leaders, 1.0);
}

TEST_P(SanctionReplicasTest, WhenTheSweeperLeaderIsKilledTheOtherReplicaTakesOverAndEscalatesOnce) {
  constexpr int kCases = 4;
  StartSanction();
  std::vector<std::string> ids;
  int64_t warnings_due = 0;
  for (int n = 0; n < kCases; ++n) {
    v1::Case c = Recommend(Open(n));
    ids.push_back(c.case_id());
    warnings_due = std::max(warnings_due, c.next_escalation_time().seconds());
  }
  ASSERT_EQ(stack_.Stop(Service::kSanction), 0);

  // Replica A's clock is just past the warnings (the next steps are days
  // later): it takes the lease and the warnings. Replica B's clock is 100 days
  // ahead, so for B the reprimands and data blocks are due, but A holds the lease.
  const int64_t a_offset_hours = (warnings_due - absl::ToUnixSeconds(absl::Now())) / 3600 + 2;
  auto all_at = [&](const Replica& r, v1::EscalationLevel level) {
    return [&, level] {
      for (const auto& id : ids) {
        if (Get(id, r.stub.get()).case_record().escalation_level() != level) return false;
      }
      return true;
    };
  };

  Replica a, b;
  ASSERT_NO_FATAL_FAILURE(StartReplica(a, a_offset_hours, 1500, "sanction-a.log"));
  ASSERT_TRUE(WaitUntil(all_at(a, v1::ESCALATION_LEVEL_WARNING), 20s, 50ms)) << ReadFile(a.process->log_path());
  EXPECT_EQ(a.Metric("netra_sweeper_leader"), 1.0);
  EXPECT_EQ(a.Metric("netra_escalations_total", {{"step", "warning"}}), kCases);
  ASSERT_NO_FATAL_FAILURE(StartReplica(b, 2400, 1500, "sanction-b.log"));
  // B has swept in vain at least once: it reports that it is not the leader.
  ASSERT_TRUE(WaitUntil([&] { return b.Metric("netra_sweeper_leader") == 0.0; }, 20s, 50ms));

  // The leader dies without giving the lease up: B takes it once it expires.
  ASSERT_TRUE(a.process->Kill().has_value());
  ASSERT_TRUE(WaitUntil(all_at(b, v1::ESCALATION_LEVEL_DATA_BLOCK), 30s, 100ms)) << ReadFile(b.process->log_path());
  EXPECT_EQ(b.Metric("netra_sweeper_leader"), 1.0);
  EXPECT_LE(b.Metric("netra_escalations_total", {{"step", "warning"}}), 0.0);  // none on B
  EXPECT_EQ(b.Metric("netra_escalations_total", {{"step", "reprimand"}}), kCases);
  EXPECT_EQ(b.Metric("netra_escalations_total", {{"step", "data_block"}}), kCases);
  for (const auto& id : ids) {
    auto view = Get(id, b.stub.get());
    ASSERT_EQ(view.case_record().escalations_size(), 3) << id;
    int escalated_events = 0;
    for (const auto& entry : view.history()) escalated_events += entry.event_type() == "case.escalated";
    EXPECT_EQ(escalated_events, 3) << id;
    EXPECT_TRUE(view.history_verification().intact());
  }
}

// The lease is in the store: with Redis down cases work and the sweeper goes on.
TEST_P(SanctionReplicasTest, WithRedisDownCasesWorkAndTheSweeperGoesOn) {
  StartSanction();
  std::string id = Recommend(Open(2)).case_id();
  ASSERT_EQ(stack_.Stop(Service::kSanction), 0);
  ASSERT_TRUE(stack_.redis().Stop());
  StartSanction({"--clock-offset-hours=2400", "--sweep-interval-ms=50", "--sweep-lease-ms=2000"});
  EXPECT_EQ(Open(3).status(), v1::CASE_STATUS_OPEN);
  EXPECT_TRUE(WaitUntil([&] { return Get(id).case_record().escalation_level() == v1::ESCALATION_LEVEL_DATA_BLOCK; },
                        20s, 100ms))
      << stack_.log(Service::kSanction);
  EXPECT_EQ(MetricValue(stack_.metrics(Service::kSanction), "netra_sweeper_leader"), 1.0);
  ASSERT_TRUE(stack_.redis().Start());
}

// A PostgreSQL server of its own, stopped and started again under a running
// sanction service: while it is down health is NOT_SERVING and a call fails
// with UNAVAILABLE within its deadline; once it is back the service serves
// again without a restart, with everything acknowledged before.
class SanctionPostgresOutageTest : public SanctionCasesTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg_.Start()) << pg_.log();
    const std::string url = pg_.CreateDatabase("sanction");
    ASSERT_NE(url, "");
    stack_.UseStore(Service::kSanction, url);
    SanctionCasesTest::SetUp();
  }
  PgServer pg_;
};

TEST_F(SanctionPostgresOutageTest, HealthIsNotServingWhileTheDatabaseIsDownAndTheServiceReconnects) {
  StartSanction();
  const std::string id = Recommend(Open(0)).case_id();
  auto channel = stack_.channel(Service::kSanction);
  ASSERT_EQ(CheckHealth(*channel, "", 2s), HealthStatus::kServing);

  ASSERT_TRUE(pg_.Stop());
  EXPECT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kNotServing; }, 20s, 100ms))
      << stack_.log(Service::kSanction);
  v1::GetCaseRequest request;
  request.set_case_id(id);
  v1::GetCaseResponse response;
  const auto started = std::chrono::steady_clock::now();
  auto status = sanction_->GetCase(MakeClientContext(15s).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);

  ASSERT_TRUE(pg_.Start()) << pg_.log();
  EXPECT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; }, 30s, 100ms))
      << stack_.log(Service::kSanction);
  auto view = Get(id);
  EXPECT_EQ(view.case_record().status(), v1::CASE_STATUS_RECOMMENDED);
  EXPECT_TRUE(view.history_verification().intact());
  EXPECT_TRUE(stack_.process(Service::kSanction).Running());  // the same process throughout
}

// Failover: a streaming standby (pg_basebackup), synchronous so that a
// COMMIT the primary acknowledged is on it too, is promoted when the primary
// goes. The service is given both hosts with target_session_attrs=read-write.
class SanctionFailoverTest : public SanctionCasesTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(primary_.Start()) << primary_.log();
    ASSERT_NE(primary_.CreateDatabase("sanction"), "");
    ASSERT_TRUE(standby_.StartStandbyOf(primary_)) << standby_.log();
    ASSERT_EQ(primary_.AdminExec("postgres", "ALTER SYSTEM SET synchronous_standby_names = '*'"), "");
    ASSERT_EQ(primary_.AdminExec("postgres", "SELECT pg_reload_conf()"), "");
    ASSERT_TRUE(WaitUntil([&] { return primary_.AdminValue("postgres", "SELECT sync_state FROM pg_stat_replication") == "sync"; },
                          20s, 20ms));
    const std::string passwords = stack_.dir().File("pgpass-both");
    std::ofstream(passwords) << ReadFile(primary_.password_file()) << ReadFile(standby_.password_file());
    chmod(passwords.c_str(), 0600);
    stack_.UseStore(Service::kSanction,
                    "postgresql://sanction@127.0.0.1:" + std::to_string(primary_.port()) + ",127.0.0.1:" +
                        std::to_string(standby_.port()) + "/sanction?target_session_attrs=read-write",
                    passwords);
    SanctionCasesTest::SetUp();
  }
  PgServer primary_, standby_;
};

TEST_F(SanctionFailoverTest, APromotedStandbyTakesOverUnderLoadAndNothingAcknowledgedIsLost) {
  StartSanction();
  constexpr int kCases = kEmployees;  // one case per employee (more would join their clusters)
  std::vector<v1::Case> cases;
  for (int n = 0; n < kCases; ++n) cases.push_back(Open(n));

  // The load: recommendations on the cases in turn, then reads, until told to stop.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};  // cases[0, acknowledged) were recommended with an OK answer
  std::mutex mu;
  std::vector<std::pair<grpc::StatusCode, std::chrono::steady_clock::duration>> failures;
  std::thread load([&] {
    auto stub = Sanction(AuthorityIdentity(authority_));
    while (!stop) {
      const int next = acknowledged.load();
      const auto started = std::chrono::steady_clock::now();
      grpc::Status status;
      if (next < kCases) {
        v1::IssueRecommendationResponse response;
        status = stub->IssueRecommendation(MakeClientContext(5s).get(), RecommendRequest(cases[next]), &response);
        if (status.ok()) ++acknowledged;
      } else {
        v1::GetCaseRequest request;
        request.set_case_id(cases[0].case_id());
        v1::GetCaseResponse response;
        status = stub->GetCase(MakeClientContext(5s).get(), request, &response);
      }
      if (!status.ok()) {
        std::lock_guard lock(mu);
        failures.emplace_back(status.error_code(), std::chrono::steady_clock::now() - started);
      }
      std::this_thread::sleep_for(5ms);  // pacing of the load, not synchronisation
    }
  });
  ASSERT_TRUE(WaitUntil([&] { return acknowledged.load() >= 2; }, 20s));
  ASSERT_TRUE(primary_.Stop());
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard lock(mu);
    return !failures.empty();
  }, 20s)) << "the load saw no outage";
  ASSERT_TRUE(standby_.Promote()) << standby_.log();
  auto channel = stack_.channel(Service::kSanction);
  EXPECT_TRUE(WaitUntil([&] { return CheckHealth(*channel, "", 500ms) == HealthStatus::kServing; }, 30s, 100ms))
      << stack_.log(Service::kSanction);
  const int before = acknowledged.load();
  EXPECT_TRUE(WaitUntil([&] { return acknowledged.load() > before || acknowledged.load() == kCases; }, 30s))
      << stack_.log(Service::kSanction);
  stop = true;
  load.join();

  // During the outage calls failed fast as UNAVAILABLE, within their deadline.
  for (const auto& [code, took] : failures) {
    EXPECT_EQ(code, grpc::StatusCode::UNAVAILABLE);
    EXPECT_LT(took, 5s);
  }
  // Every acknowledged recommendation is on the new primary, with its history
  // intact; the rest go through now (a retry of one that committed unanswered
  // gets its first result).
  for (int n = 0; n < kCases; ++n) {
    if (n >= acknowledged.load()) Recommend(cases[n]);
    auto view = Get(cases[n].case_id());
    EXPECT_EQ(view.case_record().status(), v1::CASE_STATUS_RECOMMENDED) << n;
    EXPECT_TRUE(view.history_verification().intact()) << n;
  }
  EXPECT_EQ(primary_.running(), false);
  EXPECT_TRUE(stack_.process(Service::kSanction).Running());  // the same process throughout
}

}  // namespace
}  // namespace netra::testing

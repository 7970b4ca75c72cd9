// Tests for services/sanction/sanctions.h on a real store, on SQLite and on
// PostgreSQL: opening a case once per forwarded complaint, decisions that
// change nothing when refused, the sweeper's fencing, an upgrade of a store
// from before the sweep columns, listing, compliance counts and gauges.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "common/redis.h"
#include "common/store.h"
#include "services/sanction/case_store.h"
#include "services/sanction/cases.h"
#include "services/sanction/sanction_store.h"
#include "services/sanction/sanctions.h"
#include "tests/services/sanction/sanction_test_support.h"
#include "tests/common/store_backends.h"
#include "tests/support/test_support.h"

namespace netra::sanction {
namespace {

class FakeDirectory : public Directory {
 public:
  Result<EmployeeSnapshot> FindEmployee(const std::string& id) override {
    if (id != CilacapTeacher().employee_id) return Error::NotFound("employee", id);
    return CilacapTeacher();
  }
  Result<ElectionTerms> FindElection(const std::string& id) override {
    if (id != "pemilu-2024") return Error::NotFound("election", id);
    return Pemilu();
  }
};

// On both backends (Backends/SanctionsStoreTest.*/Sqlite and .../Postgres).
class SanctionsStoreTest : public SanctionsOnStoreTest {
 protected:
  void SetUp() override { StartSanctions(directory_, [this] { return now_; }); }
  Idempotency Idem(const std::string& method, const std::string& id, const std::string& hash = "h") {
    return Idempotency{method, id, hash, [](const Case& c) { return c.case_id; }};
  }
  std::string Open(const std::string& complaint) {
    OpenCaseCommand cmd{complaint + "-open", complaint, {}, CilacapTeacher().employee_id,
                        "pemilu-2024", {"B2"}, "", ""};
    auto m = sanctions_->OpenCase(cmd, Actor{"svc:complaint", Actor::Kind::kService, "", ""},
                                  Idem("OpenCase", cmd.request_id));
    EXPECT_TRUE(m.ok());
    return m.ok() ? m.value().case_record.case_id : "";
  }

  FakeDirectory directory_;
  absl::Time now_ = absl::FromCivil(absl::CivilSecond(2024, 3, 4, 10, 0, 0), absl::UTCTimeZone());
};

NETRA_STORE_BACKENDS(SanctionsStoreTest);

// SQLite's own history: stores made before migration 6 (PostgreSQL stores
// start at the final schema).
class SanctionsSqliteStoreTest : public SanctionsStoreTest {};
INSTANTIATE_TEST_SUITE_P(Backends, SanctionsSqliteStoreTest, ::testing::Values(Dialect::kSqlite),
                         testing::BackendName);

TEST_P(SanctionsStoreTest, OpenCaseIsIdempotentOnTheComplaint) {
  std::string first = Open("complaint-1");
  OpenCaseCommand again{"another-request", "complaint-1", {}, CilacapTeacher().employee_id,
                        "pemilu-2024", {"B2"}, "", ""};
  auto m = sanctions_->OpenCase(again, {}, Idem("OpenCase", again.request_id));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m.value().created);
  EXPECT_EQ(m.value().case_record.case_id, first);
  auto view = sanctions_->GetCase(first, "");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view.value().history.size(), 1u);
  EXPECT_TRUE(view.value().verification.intact);
}

// A case opens only for a complaint the complaint service forwarded, and only
// as forwarded; anything else is FAILED_PRECONDITION with the reason, and no
// case exists. A complaint service that cannot be asked is UNAVAILABLE (the
// forwarding is retried).
TEST_P(SanctionsStoreTest, OpenCaseOnlyForAComplaintForwardedAsItSays) {
  int calls = 0;
  auto open = [&](const std::string& complaint_id, std::vector<std::string> codes = {"B2"}) {
    OpenCaseCommand cmd{complaint_id + "-open-" + std::to_string(++calls), complaint_id, {},
                        CilacapTeacher().employee_id, "pemilu-2024", std::move(codes), "", ""};
    return sanctions_->OpenCase(cmd, {}, Idem("OpenCase", cmd.request_id));
  };
  auto refused = [&](const Result<Mutation>& m, const std::string& complaint_id, const std::string& why) {
    ASSERT_FALSE(m.ok()) << complaint_id;
    EXPECT_EQ(m.error().kind, Error::Kind::kFailedPrecondition) << m.error().message;
    EXPECT_NE(m.error().state.find(why), std::string::npos) << m.error().state;
  };
  auto no_case = [&](const std::string& complaint_id) { return !sanctions_->GetCase("", complaint_id).ok(); };

  complaints_.complaints["unknown"] = {};
  refused(open("unknown"), "unknown", "is not held by the complaint service");
  EXPECT_TRUE(no_case("unknown"));

  ForwardedComplaint c{"c-9", "COMPLAINT_STATUS_REGISTERED", false, CilacapTeacher().employee_id, "pemilu-2024", {"B2"}};
  complaints_.complaints["c-9"] = c;
  refused(open("c-9"), "c-9", "is COMPLAINT_STATUS_REGISTERED, not forwarded");
  c.status = "COMPLAINT_STATUS_FORWARDED";
  c.forwarded = true;
  c.employee_id = "199001012020011999";
  complaints_.complaints["c-9"] = c;
  refused(open("c-9", {"B5"}), "c-9", "was forwarded with another employee_id, violation_codes");
  EXPECT_TRUE(no_case("c-9"));

  complaints_.down = true;
  auto down = open("c-9");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, Error::Kind::kUnavailable);
  complaints_.down = false;

  // As forwarded, the case opens; a mismatching OpenCase is refused even then.
  c.employee_id = CilacapTeacher().employee_id;
  complaints_.complaints["c-9"] = c;
  ASSERT_TRUE(open("c-9").ok());
  EXPECT_FALSE(no_case("c-9"));
  refused(open("c-9", {"B5"}), "c-9", "was forwarded with another violation_codes");
}

TEST_P(SanctionsStoreTest, RefusedDecisionChangesNothing) {
  std::string id = Open("complaint-2");
  auto rec = Recommend();
  rec.case_id = id;
  ASSERT_TRUE(sanctions_->IssueRecommendation(rec, {}, Idem("IssueRecommendation", "r2")).ok());
  auto bad = Decide();
  bad.case_id = id;
  bad.decree_date = Date{2024, 3, 1};
  bad.decree_date = Date{2024, 3, 2};
  auto refused = sanctions_->RecordDecision(bad, {}, Idem("RecordDecision", "r3"));
  ASSERT_FALSE(refused.ok());
  auto view = sanctions_->GetCase(id, "");
  EXPECT_EQ(view.value().case_record.version, 2);
  EXPECT_EQ(view.value().history.size(), 2u);
  // The request id was not used up by the refusal.
  auto good = Decide();
  good.case_id = id;
  good.decree_date = Date{2024, 3, 4};
  ASSERT_TRUE(sanctions_->RecordDecision(good, {}, Idem("RecordDecision", "r3", "other")).ok());
  EXPECT_FALSE(sanctions_->RecordDecision(good, {}, Idem("RecordDecision", "r9")).ok());  // already decided
}

// The lease in the store: one holder at a time, each take a newer token, and
// a pass under a token that is no longer the lease's writes nothing.
TEST_P(SanctionsStoreTest, StaleSweeperTokenCannotWrite) {
  std::string id = Open("complaint-3");
  auto rec = Recommend();
  rec.case_id = id;
  ASSERT_TRUE(sanctions_->IssueRecommendation(rec, {}, Idem("IssueRecommendation", "r2")).ok());
  now_ += absl::Hours(24 * 90);
  auto first = sanctions_->TakeSweeperLease("replica-a", std::chrono::minutes(1));
  ASSERT_TRUE(first.ok() && first.value());
  EXPECT_EQ(sanctions_->TakeSweeperLease("replica-b", std::chrono::minutes(1)).value(), std::nullopt);  // held
  // replica-a pauses past its lease (the store's clock decides); replica-b takes it.
  db_->Write([](Connection& c) { c.Exec("UPDATE sweeper_lease SET expires_us = 0"); });
  auto second = sanctions_->TakeSweeperLease("replica-b", std::chrono::minutes(1));
  ASSERT_TRUE(second.ok() && second.value());
  EXPECT_EQ(*second.value(), *first.value() + 1);

  bool fenced = false;
  (void)sanctions_->EscalateDue(*first.value(), 100, &fenced);  // the old leader wakes up first
  EXPECT_TRUE(fenced);
  EXPECT_EQ(sanctions_->GetCase(id, "").value().case_record.escalation_level, EscalationLevel::kNone);
  auto newer = sanctions_->EscalateDue(*second.value(), 100, &fenced);
  ASSERT_TRUE(newer.ok());
  EXPECT_FALSE(fenced);
  EXPECT_EQ(newer.value(), 1);
  (void)sanctions_->EscalateDue(*first.value(), 100, &fenced);
  EXPECT_TRUE(fenced);
  EXPECT_FALSE(sanctions_->RenewSweeperLease("replica-a", *first.value(), std::chrono::minutes(1)).value());
  EXPECT_TRUE(sanctions_->RenewSweeperLease("replica-b", *second.value(), std::chrono::minutes(1)).value());
  EXPECT_EQ(sanctions_->GetCase(id, "").value().case_record.escalation_level, EscalationLevel::kWarning);
  EXPECT_EQ(sanctions_->FenceToken().value(), *second.value());
  // Given up, it is free for the next take at once.
  EXPECT_TRUE(sanctions_->ReleaseSweeperLease("replica-b", *second.value()).value());
  EXPECT_EQ(sanctions_->TakeSweeperLease("replica-a", std::chrono::minutes(1)).value(), *second.value() + 1);
}

// A store written before migration 6 (case body in `cases`, steps in the
// body, history clustered by case) upgrades, shows what it showed, and its
// due cases take their remaining steps, with the same results as a case
// written after the migration.
TEST_P(SanctionsSqliteStoreTest, StoreBeforeTheSweepColumnsUpgradesAndKeepsEscalating) {
  for (const char* complaint : {"complaint-old", "complaint-new"}) {
    auto rec = Recommend();
    rec.case_id = Open(complaint);
    rec.request_id = std::string(complaint) + "-rec";
    ASSERT_TRUE(sanctions_->IssueRecommendation(rec, {}, Idem("IssueRecommendation", rec.request_id)).ok());
  }
  now_ += absl::Hours(24 * 90);  // every step due; a call takes one step per case
  bool fenced = false;
  const int64_t token = *sanctions_->TakeSweeperLease("test", std::chrono::hours(1)).value();
  ASSERT_EQ(sanctions_->EscalateDue(token, 100, &fenced).value(), 2);
  std::string old_id = sanctions_->GetCase("", "complaint-old").value().case_record.case_id;
  std::string new_id = sanctions_->GetCase("", "complaint-new").value().case_record.case_id;

  // The same data in the layout of migration 5, copied from this store.
  std::string error;
  const std::string old_path = dir_.File("old.db");
  auto old_db = Database::Open(old_path, std::span(kMigrations).first(5), &error);
  ASSERT_TRUE(old_db) << error;
  {
    auto conn = old_db->Acquire();
    conn->Exec("ATTACH DATABASE '" + url_.path + "' AS current");
    conn->Exec(
        "INSERT INTO cases SELECT c.case_id, complaint_id, election_id, region_code, ppk_code, ppk_name, "
        "authority_code, status, escalation_level, due_us, next_escalation_us, letter_date, decree_date, on_time, "
        "as_recommended, days_to_decision, working_days_to_decision, open_us, version, head_sequence, head_hash, "
        "json_set(b.body, '$.escalations', json(COALESCE(c.escalations, '[]')), '$.escalation_level', "
        "c.escalation_level, '$.version', c.version, '$.update_us', c.update_us) "
        "FROM current.cases c JOIN current.case_bodies b USING (case_id) WHERE c.case_id = '" + old_id + "';"
        "INSERT INTO history SELECT * FROM current.history WHERE resource_id = '" + old_id + "';"
        "INSERT INTO violation_catalogs SELECT * FROM current.violation_catalogs;");
    conn->Exec("DETACH DATABASE current");
  }
  old_db.reset();
  old_db = Database::Open(old_path, kMigrations, &error);
  ASSERT_TRUE(old_db) << error;
  EXPECT_EQ(old_db->schema_version(), static_cast<int>(std::size(kMigrations)));
  SanctionStore old_store(*old_db);
  CaseStore old_cases(*old_db);
  Sanctions upgraded(old_store, *cache_, old_cases, directory_, complaints_, testing::ShippedRegions(), CaseRules{}, nullptr,
                     [this] { return now_; });
  ASSERT_TRUE(upgraded.LoadCatalog(ShippedCatalogText()).ok());

  auto before = upgraded.GetCase(old_id, "");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before.value().case_record.escalation_level, EscalationLevel::kWarning);
  ASSERT_EQ(before.value().case_record.escalations.size(), 1u);
  EXPECT_TRUE(before.value().verification.intact);

  // Both stores take the reprimand and the data block, then nothing is due.
  const int64_t upgraded_token = *upgraded.TakeSweeperLease("test", std::chrono::hours(1)).value();
  for (int step = 0; step < 2; ++step) {
    EXPECT_EQ(upgraded.EscalateDue(upgraded_token, 100, &fenced).value(), 1);
    EXPECT_EQ(sanctions_->EscalateDue(token, 100, &fenced).value(), 2);
  }
  EXPECT_EQ(upgraded.EscalateDue(upgraded_token, 100, &fenced).value(), 0);
  EXPECT_EQ(sanctions_->EscalateDue(token, 100, &fenced).value(), 0);

  Case was_old = upgraded.GetCase(old_id, "").value().case_record;
  auto fresh = sanctions_->GetCase(new_id, "").value();
  auto upgraded_view = upgraded.GetCase(old_id, "").value();
  EXPECT_TRUE(upgraded_view.verification.intact);
  EXPECT_TRUE(fresh.verification.intact);
  EXPECT_EQ(upgraded_view.history.size(), 5u);  // opened, recommended, three steps
  EXPECT_EQ(was_old.escalation_level, EscalationLevel::kDataBlock);
  EXPECT_EQ(was_old.version, fresh.case_record.version);
  ASSERT_EQ(was_old.escalations.size(), 3u);
  ASSERT_EQ(fresh.case_record.escalations.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(was_old.escalations[i].level, fresh.case_record.escalations[i].level);
    EXPECT_EQ(was_old.escalations[i].working_days_overdue, fresh.case_record.escalations[i].working_days_overdue);
  }
  // The data block's registry notification, listed once, on both.
  for (const Case* c : {&was_old, &fresh.case_record}) {
    ASSERT_EQ(c->notifications.size(), 1u);
    EXPECT_EQ(c->notifications[0].target, NotifyTarget::kRegistryStatus);
    EXPECT_EQ(c->notifications[0].source_sequence, 5);
  }
  // A later change of the case keeps the steps (they are not part of its body).
  auto decide = Decide();
  decide.case_id = new_id;
  decide.expected_version = 0;
  decide.decree_date = Date{2024, 5, 20};
  ASSERT_TRUE(sanctions_->RecordDecision(decide, {}, Idem("RecordDecision", "late-decision")).ok());
  auto decided = sanctions_->GetCase(new_id, "").value();
  EXPECT_EQ(decided.case_record.escalations.size(), 3u);
  EXPECT_EQ(decided.case_record.notifications.size(), 3u);  // the data block's, then the decision's two
  EXPECT_TRUE(decided.verification.intact);
}

TEST_P(SanctionsStoreTest, ListCasesFiltersAndPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Open("c-list-" + std::to_string(i)));
    now_ += absl::Seconds(1);
  }
  auto rec = Recommend();
  rec.case_id = ids[1];
  ASSERT_TRUE(sanctions_->IssueRecommendation(rec, {}, Idem("IssueRecommendation", "r2")).ok());
  CaseQuery query;
  query.region_code = "33";
  query.page_size = 2;
  auto first = sanctions_->ListCases(query);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.value().cases.size(), 2u);
  EXPECT_EQ(first.value().cases[0].case_record.case_id, ids[0]);
  query.page_token = first.value().next_page_token;
  auto second = sanctions_->ListCases(query);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second.value().cases.size(), 1u);
  EXPECT_EQ(second.value().cases[0].case_record.case_id, ids[2]);
  EXPECT_TRUE(second.value().next_page_token.empty());

  query.page_token = first.value().next_page_token;
  query.region_code = "34";  // a token of other filters is refused
  EXPECT_FALSE(sanctions_->ListCases(query).ok());

  CaseQuery overdue;
  overdue.overdue = true;
  EXPECT_TRUE(sanctions_->ListCases(overdue).value().cases.empty());
  now_ += absl::Hours(24 * 60);
  auto late = sanctions_->ListCases(overdue);
  ASSERT_EQ(late.value().cases.size(), 1u);
  EXPECT_EQ(late.value().cases[0].case_record.case_id, ids[1]);
}

TEST_P(SanctionsStoreTest, ComplianceCountsPerPpk) {
  for (const std::string complaint : {"c-a", "c-b"}) {
    std::string id = Open(complaint);
    auto rec = Recommend();
    rec.case_id = id;
    rec.request_id = complaint + "-rec";
    ASSERT_TRUE(sanctions_->IssueRecommendation(rec, {}, Idem("IssueRecommendation", rec.request_id)).ok());
    if (complaint == "c-a") {
      auto d = Decide();
      d.case_id = id;
      d.decree_date = Date{2024, 3, 4};
      ASSERT_TRUE(sanctions_->RecordDecision(d, {}, Idem("RecordDecision", complaint + "-dec")).ok());
    }
  }
  auto report = sanctions_->Compliance({});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report.value().total.recommended, 2);
  EXPECT_EQ(report.value().total.decided, 1);
  EXPECT_EQ(report.value().total.decided_on_time, 1);
  EXPECT_EQ(report.value().total.pending, 1);
  ASSERT_EQ(report.value().rows.size(), 1u);
  EXPECT_EQ(report.value().rows[0].group_key, "bupati:33.01");
}

// The store-refreshed gauges show 0 rather than vanishing: a province with
// open cases has an overdue series from the start, and a series that empties
// drops to 0 (dashboards show 0, not "No data").
TEST_P(SanctionsStoreTest, GaugesShowZeroInsteadOfVanishing) {
  auto exported = [&] {
    sanctions_->RefreshGauges();
    return prometheus::TextSerializer().Serialize(metrics_.Collect());
  };
  auto has = [](const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  std::string id = Open("complaint-g");
  std::string text = exported();
  EXPECT_TRUE(has(text, R"(netra_cases_open{province="33",status="open"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(netra_recommendations_overdue{province="33"} 0)")) << text;

  auto rec = Recommend();
  rec.case_id = id;
  ASSERT_TRUE(sanctions_->IssueRecommendation(rec, {}, Idem("IssueRecommendation", "g-rec")).ok());
  now_ += absl::Hours(24 * 30);  // past the PPK's due date
  text = exported();
  EXPECT_TRUE(has(text, R"(netra_cases_open{province="33",status="open"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(netra_cases_open{province="33",status="recommended"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(netra_recommendations_overdue{province="33"} 1)")) << text;

  auto decide = Decide();
  decide.case_id = id;
  decide.decree_date = Date{2024, 3, 20};
  ASSERT_TRUE(sanctions_->RecordDecision(decide, {}, Idem("RecordDecision", "g-dec")).ok());
  text = exported();  // nothing open any more: every series that was shown is 0
  EXPECT_TRUE(has(text, R"(netra_cases_open{province="33",status="recommended"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(netra_recommendations_overdue{province="33"} 0)")) << text;
}

}  // namespace
}  // namespace netra::sanction

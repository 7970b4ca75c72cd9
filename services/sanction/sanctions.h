// The sanction service's domain: the violation catalog in force, and cases
// from forwarding to the PPK's decision (cases.h has the rules). Plain C++;
// the store, the cache and the registry are reached through small
// interfaces, never gRPC.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/redis.h"
#include "common/regions.h"
#include "services/sanction/case_store.h"
#include "services/sanction/catalog.h"
#include "services/sanction/forwarded_complaint.h"
#include "services/sanction/cases.h"
#include "services/sanction/sanction_store.h"

namespace prometheus {
class Registry;
}

namespace netra::sanction {

struct PutCatalogCommand {
  std::string request_id;
  std::string catalog_version, expected_catalog_version;
  std::string json;  // the catalog in the file's spelling (ParseCatalog), version included
  bool validate_only = false;
};

struct CatalogPut {
  std::string catalog_version;
  int violation_type_count = 0;
  int64_t effective_us = 0;  // 0 for validate_only
};

// A case with what GetCase shows besides it.
struct CaseView {
  Case case_record;
  std::vector<HistoryEntry> history;
  HistoryVerification verification;
  std::vector<std::optional<QueuedNotice>> queued;  // per notification; nullopt = delivered
};

struct CaseQuery {
  std::string region_code;
  std::vector<int> statuses;
  std::optional<bool> overdue;
  std::string election_id, ppk_code, authority_code;
  int min_escalation_level = 0;
  int page_size = 0;
  std::string page_token;
};

struct CasePage {
  std::vector<CaseView> cases;  // without history
  std::string next_page_token;
};

enum class ComplianceGrouping { kPpk = 1, kProvince = 2, kRegency = 3 };

struct ComplianceQuery {
  std::string region_code, election_id, ppk_code;
  int group_by = 0;  // raw; 0 = PPK
  std::optional<Date> from_date, to_date;
  int page_size = 0;
  std::string page_token;
};

struct ComplianceRow {
  std::string group_key, group_name;
  int64_t recommended = 0, decided = 0, decided_on_time = 0, decided_late = 0, pending = 0, overdue = 0,
          escalated = 0, data_blocked = 0, decided_as_recommended = 0;
  double median_days_to_decision = 0, median_working_days_to_decision = 0;
};

struct ComplianceReport {
  ComplianceRow total;
  std::vector<ComplianceRow> rows;
  std::string next_page_token;
  int64_t compute_us = 0;
};

class CaseMetrics;

class Sanctions {
 public:
  // `metrics` may be null (tests); `clock` is the service's "now" (a test or
  // drill may run it ahead).
  // `complaints`: the complaint service, asked before a case is opened (forwarded_complaint.h).
  Sanctions(SanctionStore& store, Cache& cache, CaseStore& cases, Directory& directory, ComplaintRecords& complaints,
            const RegionDirectory& regions, CaseRules rules, prometheus::Registry* metrics,
            std::function<absl::Time()> clock = absl::Now);
  ~Sanctions();

  // Makes the shipped catalog known to the store (a new version becomes
  // current; a version already stored changes nothing, so a catalog put later
  // through the API survives restarts) and loads the current one.
  Result<std::string> LoadCatalog(const std::string& shipped_json);
  // Validates and (unless validate_only) stores a new current catalog.
  Result<CatalogPut> PutCatalog(const PutCatalogCommand& command);
  // Reloads the current catalog if another replica replaced it.
  void RefreshCatalog();

  // The catalog in force; callers keep the pointer for one request so that a
  // catalog replaced meanwhile cannot mix two versions in one answer.
  std::shared_ptr<const ViolationCatalog> catalog() const;

  Result<Mutation> OpenCase(const OpenCaseCommand& command, const Actor& actor, const Idempotency& idempotency);
  // `may_act`: the caller's rule on the stored case (RuleOn: the handler's
  // region and party check), asked in the change's own transaction before
  // anything else about the case.
  Result<Mutation> IssueRecommendation(const RecommendCommand& command, const Actor& actor,
                                       const Idempotency& idempotency, const RuleOn<Case>& may_act = {});
  Result<Mutation> RecordDecision(const DecisionCommand& command, const Actor& actor, const Idempotency& idempotency,
                                  const RuleOn<Case>& may_act = {});
  // Sets *appeal_id to the appeal filed or decided.
  Result<Mutation> RecordAppeal(const AppealCommand& command, const Actor& actor, const Idempotency& idempotency,
                                std::string* appeal_id, const RuleOn<Case>& may_act = {});

  // Delivery state of a case's notifications (nullopt = delivered).
  Result<std::vector<std::optional<QueuedNotice>>> Queued(const Case& c) { return cases_.Queued(c.notifications); }
  // By case id, or by complaint id when case_id is empty.
  Result<CaseView> GetCase(const std::string& case_id, const std::string& complaint_id);
  Result<CasePage> ListCases(const CaseQuery& query);
  Result<ComplianceReport> Compliance(const ComplianceQuery& query);

  // One sweeper batch under fencing token `fence`: escalates up to `batch`
  // due cases; *fenced when a newer token has written since.
  Result<int> EscalateDue(int64_t fence, int batch, bool* fenced);
  // The newest fencing token the store has seen.
  Result<int64_t> FenceToken() { return cases_.FenceToken(); }
  // The sweeper's lease, held in the store (CaseStore's *SweeperLease).
  Result<std::optional<int64_t>> TakeSweeperLease(const std::string& holder, std::chrono::milliseconds lease) {
    return cases_.TakeSweeperLease(holder, lease);
  }
  Result<bool> RenewSweeperLease(const std::string& holder, int64_t token, std::chrono::milliseconds lease) {
    return cases_.RenewSweeperLease(holder, token, lease);
  }
  Result<bool> ReleaseSweeperLease(const std::string& holder, int64_t token) {
    return cases_.ReleaseSweeperLease(holder, token);
  }
  // Recomputes netra_cases_open and netra_recommendations_overdue from the store.
  void RefreshGauges();

  // Called after a change queued notifications (the dispatcher's Wake).
  void OnNotificationsQueued(std::function<void()> callback) { on_queued_ = std::move(callback); }

  int64_t NowUs() const { return absl::ToUnixMicros(clock_()); }
  const CaseRules& rules() const { return rules_; }

 private:
  // Metrics and the dispatcher's wake-up after a committed change.
  void Committed(const Mutation& m);
  Result<Mutation> Update(const std::string& case_id, const Actor& actor, const Idempotency& idempotency,
                          const CaseChange& change, const RuleOn<Case>& may_act);
  void Install(ViolationCatalog catalog, const std::string& json);

  SanctionStore& store_;
  Cache& cache_;
  CaseStore& cases_;
  Directory& directory_;
  ComplaintRecords& complaints_;
  const RegionDirectory& regions_;
  CaseRules rules_;
  std::unique_ptr<CaseMetrics> metrics_;
  std::function<absl::Time()> clock_;
  std::function<void()> on_queued_;
  mutable std::mutex mu_;
  std::shared_ptr<const ViolationCatalog> catalog_;
};

}  // namespace netra::sanction

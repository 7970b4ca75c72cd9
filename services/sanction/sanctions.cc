#include "services/sanction/sanctions.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/digest.h"
#include "common/log.h"
#include "common/paging.h"
#include "common/random.h"

namespace netra::sanction {

// The sanction metrics, named as agreed with operations (dashboards and alerts use exactly these).
class CaseMetrics {
 public:
  explicit CaseMetrics(prometheus::Registry& r)
      : open_(prometheus::BuildGauge().Name("netra_cases_open").Help("Cases not yet closed, by province and status").Register(r)),
        overdue_(prometheus::BuildGauge()
                     .Name("netra_recommendations_overdue")
                     .Help("Recommended cases past the PPK's due date, by province")
                     .Register(r)),
        escalations_(prometheus::BuildCounter()
                         .Name("netra_escalations_total")
                         .Help("Escalation steps taken against late PPKs")
                         .Register(r)),
        stage_(prometheus::BuildHistogram()
                   .Name("netra_stage_seconds")
                   .Help("Time a case spent in a stage, observed when it leaves it")
                   .Register(r)) {}

  void StageLeft(CaseStatus status, double seconds) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {60,     600,     3600,    6 * 3600, 86400,
                                                                     3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400,
                                                                     60 * 86400, 90 * 86400};
    stage_.Add({{"lifecycle", "case"}, {"stage", StatusLabel(status)}}, kBuckets).Observe(seconds);
  }
  void Escalated(const std::string& province, EscalationLevel level, double steps) {
    escalations_.Add({{"province", province}, {"step", std::string(StepName(level))}}).Increment(steps);
  }
  void Refresh(const CaseStore::Counts& counts) {
    std::set<std::pair<std::string, std::string>> now;
    for (const auto& [province, status, count] : counts.by_status) {
      std::string label = StatusLabel(static_cast<CaseStatus>(status));
      open_.Add({{"province", province}, {"status", label}}).Set(static_cast<double>(count));
      now.insert({province, label});
    }
    for (const auto& key : open_seen_) {
      if (!now.count(key)) open_.Add({{"province", key.first}, {"status", key.second}}).Set(0);
    }
    open_seen_.insert(now.begin(), now.end());
    std::set<std::string> late;
    for (const auto& [province, count] : counts.overdue) {
      overdue_.Add({{"province", province}}).Set(static_cast<double>(count));
      late.insert(province);
    }
    // 0, not absent, for a province with open cases and none overdue, and
    // for one whose overdue cases are gone (a dashboard shows 0, not "No data").
    for (const auto& [province, status, count] : counts.by_status) overdue_seen_.insert(province);
    for (const auto& province : overdue_seen_) {
      if (!late.count(province)) overdue_.Add({{"province", province}}).Set(0);
    }
    overdue_seen_.insert(late.begin(), late.end());
  }

 private:
  static std::string StatusLabel(CaseStatus status) {
    std::string name(Name(status).substr(std::string_view("CASE_STATUS_").size()));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    return name;
  }

  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Family<prometheus::Gauge>& overdue_;
  prometheus::Family<prometheus::Counter>& escalations_;
  prometheus::Family<prometheus::Histogram>& stage_;
  std::set<std::pair<std::string, std::string>> open_seen_;
  std::set<std::string> overdue_seen_;
};

namespace {

std::string NewCaseId() {
  return "case-" + RandomHex(10);
}

// NOT_FOUND from the registry is the client's mistake in `field`.
std::optional<Error> LookupError(const Error& error, const std::string& field, Violations& v) {
  if (error.kind == Error::Kind::kNotFound) {
    v.Add(field, ViolationReason::kNotFound, "not in the registry");
    return std::nullopt;
  }
  if (error.kind == Error::Kind::kInvalidArgument) {  // the registry rejected the id: its reason, on our field
    for (const auto& violation : error.violations.list()) v.Add(field, violation.reason, violation.description);
    return std::nullopt;
  }
  return error;
}

double Median(std::vector<int> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

}  // namespace

Sanctions::Sanctions(SanctionStore& store, Cache& cache, CaseStore& cases, Directory& directory,
                     ComplaintRecords& complaints, const RegionDirectory& regions, CaseRules rules,
                     prometheus::Registry* metrics, std::function<absl::Time()> clock)
    : store_(store),
      cache_(cache),
      cases_(cases),
      directory_(directory),
      complaints_(complaints),
      regions_(regions),
      rules_(rules),
      metrics_(metrics ? std::make_unique<CaseMetrics>(*metrics) : nullptr),
      clock_(std::move(clock)) {}

Sanctions::~Sanctions() = default;

// ------------------------------------------------------------------ catalog

void Sanctions::Install(ViolationCatalog catalog, const std::string& json) {
  {
    std::lock_guard lock(mu_);
    catalog_ = std::make_shared<const ViolationCatalog>(std::move(catalog));
  }
  // Write-through: the other services read the catalog from Redis (cache first).
  cache_.Put(kViolationCatalogKey, json, std::chrono::milliseconds(0));
}

Result<std::string> Sanctions::LoadCatalog(const std::string& shipped_json) {
  auto shipped = ParseCatalog(shipped_json);
  if (!shipped.ok()) return shipped.error();
  store_.AddCatalog(shipped.value().version, shipped_json);
  auto current_json = store_.CurrentCatalog();
  if (!current_json) return Error::Internal("catalog store is empty after adding the shipped catalog");
  auto current = ParseCatalog(*current_json);
  if (!current.ok()) return Error::Internal("stored catalog no longer parses");
  std::string version = current.value().version;
  Install(std::move(current.value()), *current_json);
  return version;
}

void Sanctions::RefreshCatalog() {
  try {
    std::string version = store_.CurrentVersion();
    if (version.empty() || version == catalog()->version) return;
    auto json = store_.CurrentCatalog();
    auto parsed = json ? ParseCatalog(*json) : Result<ViolationCatalog>(Error::Internal("no catalog"));
    if (!parsed.ok()) return;
    log::Info("violation catalog replaced by another replica", {{"version", version}});
    Install(std::move(parsed.value()), *json);
  } catch (const StoreError& e) {
    log::Warn("catalog refresh failed", {{"error", e.what()}});
  }
}

Result<CatalogPut> Sanctions::PutCatalog(const PutCatalogCommand& command) {
  Violations v;
  CheckRequestId(command.request_id, "request_id", v);
  const std::string& version = command.catalog_version;
  if (version.empty()) {
    v.Add("catalog_version", ViolationReason::kRequired, "is required");
  } else if (version.size() > 64 || !std::all_of(version.begin(), version.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
             })) {
    v.Add("catalog_version", ViolationReason::kInvalidFormat, "1-64 characters of [A-Za-z0-9._-]");
  }
  auto parsed = ParseCatalog(command.json);
  if (!parsed.ok()) {
    // The file's "version" is the request's catalog_version.
    for (const auto& f : parsed.error().violations.list()) {
      if (f.field != "version") v.Add(f.field, f.reason, f.description);
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  CatalogPut out{version, static_cast<int>(parsed.value().violation_types.size()), 0};
  if (command.validate_only) return out;
  auto stored = RunStoreOperation("put catalog", [&]() -> Result<SanctionStore::Put> {
    return store_.PutCatalog(version, command.json, command.expected_catalog_version);
  });
  if (!stored.ok()) return stored.error();
  const SanctionStore::Put& put = stored.value();
  using Outcome = SanctionStore::Put::Outcome;
  if (put.outcome == Outcome::kStale) {
    Error e = Error::Aborted("violation_catalog", put.current_version, 0, 0);
    e.message = "the current catalog is " + put.current_version + ", not the expected " +
                command.expected_catalog_version;
    return e;
  }
  if (put.outcome == Outcome::kExists) {
    return Error::AlreadyExists("violation_catalog", version, "catalog version " + version + " was used before");
  }
  out.effective_us = put.added_us;
  if (put.outcome == Outcome::kAdded) log::Info("violation catalog replaced", {{"version", version}});
  Install(std::move(parsed.value()), command.json);
  return out;
}

std::shared_ptr<const ViolationCatalog> Sanctions::catalog() const {
  std::lock_guard lock(mu_);
  return catalog_;
}

// -------------------------------------------------------------------- cases

void Sanctions::Committed(const Mutation& m) {
  if (m.replayed) return;
  if (metrics_) {
    if (m.effects.left_status) metrics_->StageLeft(*m.effects.left_status, m.effects.stage_seconds);
  }
  if (!m.effects.notices.empty() && on_queued_) on_queued_();
}

Result<Mutation> Sanctions::OpenCase(const OpenCaseCommand& command, const Actor& actor,
                                     const Idempotency& idempotency) {
  auto catalog = this->catalog();
  Violations v = ValidateOpenCase(command, *catalog);
  if (!v.empty()) return Error::Invalid(std::move(v));
  // The forwarding's retries end here, without a call to the registry.
  auto replayed = cases_.Replay(idempotency);
  if (!replayed.ok()) return replayed.error();
  if (replayed.value()) return Mutation{{}, false, replayed.value(), {}};

  auto employee = directory_.FindEmployee(command.employee_id);
  if (!employee.ok()) {
    if (auto e = LookupError(employee.error(), "employee_id", v)) return *e;
  }
  auto terms = directory_.FindElection(command.election_id);
  if (!terms.ok()) {
    if (auto e = LookupError(terms.error(), "election_id", v)) return *e;
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  // Only for a complaint the complaint service forwarded, as it forwarded it
  // (forwarded_complaint.h); also before answering with an existing case.
  auto complaint = complaints_.FindComplaint(command.complaint_id);
  if (!complaint.ok()) return ComplaintLookupError(command, complaint.error());
  if (auto refused = CheckForwarded(command, complaint.value())) return *refused;
  // The complaint's case if it has one (created = false): Create looks first.
  const EmployeeSnapshot& who = employee.value();
  std::string ppk_region = who.ppk.code.empty() ? "" : who.ppk.region_code;
  const Region* region = ppk_region.empty() ? nullptr : regions_.Find(ppk_region);
  std::string zone = region ? region->time_zone : "Asia/Jakarta";
  int64_t now = NowUs();
  auto created = cases_.Create(idempotency, command.complaint_id, actor, [&](CaseEffects& effects) {
    return NewCase(command, who, terms.value(), *catalog, zone, NewCaseId(), now, effects);
  });
  if (created.ok()) Committed(created.value());
  return created;
}

Result<Mutation> Sanctions::Update(const std::string& case_id, const Actor& actor, const Idempotency& idempotency,
                                   const CaseChange& change, const RuleOn<Case>& may_act) {
  Violations v;
  CheckRequestId(idempotency.request_id, "request_id", v);
  if (case_id.empty()) v.Add("case_id", ViolationReason::kRequired, "is required");
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto m = cases_.Update(case_id, &idempotency, actor, NowUs(), change, may_act);
  if (m.ok()) Committed(m.value());
  return m;
}

Result<Mutation> Sanctions::IssueRecommendation(const RecommendCommand& command, const Actor& actor,
                                                const Idempotency& idempotency, const RuleOn<Case>& may_act) {
  int64_t now = NowUs();
  return Update(
      command.case_id, actor, idempotency,
      [&](Case& c, CaseEffects& effects) { return ApplyRecommendation(c, command, actor, rules_, now, effects); },
      may_act);
}

Result<Mutation> Sanctions::RecordDecision(const DecisionCommand& command, const Actor& actor,
                                           const Idempotency& idempotency, const RuleOn<Case>& may_act) {
  int64_t now = NowUs();
  return Update(
      command.case_id, actor, idempotency,
      [&](Case& c, CaseEffects& effects) { return ApplyDecision(c, command, actor, now, effects); }, may_act);
}

Result<Mutation> Sanctions::RecordAppeal(const AppealCommand& command, const Actor& actor,
                                         const Idempotency& idempotency, std::string* appeal_id,
                                         const RuleOn<Case>& may_act) {
  int64_t now = NowUs();
  return Update(
      command.case_id, actor, idempotency,
      [&](Case& c, CaseEffects& effects) { return ApplyAppeal(c, command, now, effects, appeal_id); }, may_act);
}


Result<CaseView> Sanctions::GetCase(const std::string& case_id, const std::string& complaint_id) {
  if (case_id.empty() == complaint_id.empty()) {
    Violations v;
    v.Add(case_id.empty() ? "case_id" : "complaint_id", ViolationReason::kRequired,
          "exactly one of case_id and complaint_id");
    return Error::Invalid(std::move(v));
  }
  auto found = case_id.empty() ? cases_.FindSnapshot("complaint_id", complaint_id) : cases_.FindSnapshot("case_id", case_id);
  if (!found.ok()) return found.error();
  if (!found.value()) return Error::NotFound("case", case_id.empty() ? complaint_id : case_id);
  CaseStore::Snapshot& snapshot = *found.value();
  CaseView view{std::move(snapshot.case_record), std::move(snapshot.history), {}, std::move(snapshot.queued)};
  view.verification = VerifyHistory(view.history, view.case_record.history_head);
  return view;
}

Result<CasePage> Sanctions::ListCases(const CaseQuery& q) {
  Violations v;
  if (!q.region_code.empty()) {
    auto level = ParseRegionCode(q.region_code, "region_code", v);
    if (level == RegionLevel::kDistrict) v.Add("region_code", ViolationReason::kUnsupported, "a province or kab/kota");
  }
  for (size_t i = 0; i < q.statuses.size() && i < 10; ++i) {
    if (q.statuses[i] < 1 || q.statuses[i] > 5) {
      v.Add("statuses[" + std::to_string(i) + "]", ViolationReason::kOutOfRange, "unknown case status");
    }
  }
  if (q.statuses.size() > 10) v.Add("statuses", ViolationReason::kTooLong, "at most 10 statuses");
  CheckText(q.election_id, "election_id", false, 64, v);
  CheckText(q.ppk_code, "ppk_code", false, 64, v);
  CheckText(q.authority_code, "authority_code", false, 32, v);
  if (q.min_escalation_level < 0 || q.min_escalation_level > 4) {
    v.Add("min_escalation_level", ViolationReason::kOutOfRange, "unknown escalation level");
  }
  int page_size = PageSize(q.page_size, PageLimits{50, 1000}, "page_size", v);
  std::string scope = q.region_code + "|" + q.election_id + "|" + q.ppk_code + "|" + q.authority_code + "|" +
                      std::to_string(q.min_escalation_level) + "|" + (q.overdue ? (*q.overdue ? "1" : "0") : "-");
  for (int s : q.statuses) scope += "," + std::to_string(s);
  auto after = DecodePageToken(q.page_token, "page_token", v, scope);
  std::optional<std::pair<int64_t, std::string>> keyset;
  if (after && !after->empty()) {
    auto bar = after->find('|');
    try {
      if (bar == std::string::npos) throw std::invalid_argument("no separator");
      keyset = std::pair(std::stoll(after->substr(0, bar)), after->substr(bar + 1));
    } catch (const std::exception&) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a token this service issued");
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  CaseFilter f{q.region_code, q.statuses, q.overdue, q.election_id, q.ppk_code, q.authority_code,
               q.min_escalation_level, NowUs(), keyset, page_size + 1};
  auto rows = cases_.List(f);
  if (!rows.ok()) return rows.error();
  CasePage page;
  auto& cases = rows.value();
  bool more = static_cast<int>(cases.size()) > page_size;
  if (more) cases.resize(page_size);
  for (auto& c : cases) page.cases.push_back(CaseView{std::move(c), {}, {}, {}});
  if (more) {
    const Case& last = page.cases.back().case_record;
    page.next_page_token = EncodePageToken(std::to_string(last.open_us) + "|" + last.case_id, scope);
  }
  return page;
}

Result<ComplianceReport> Sanctions::Compliance(const ComplianceQuery& q) {
  Violations v;
  if (!q.region_code.empty()) ParseRegionCode(q.region_code, "region_code", v);
  CheckText(q.election_id, "election_id", false, 64, v);
  CheckText(q.ppk_code, "ppk_code", false, 64, v);
  if (q.group_by < 0 || q.group_by > 3) v.Add("group_by", ViolationReason::kOutOfRange, "unknown grouping");
  auto from = q.from_date ? CheckDate(*q.from_date, "from_date", v) : std::nullopt;
  auto to = q.to_date ? CheckDate(*q.to_date, "to_date", v) : std::nullopt;
  if (from && to && *to < *from) v.Add("to_date", ViolationReason::kInconsistent, "is before from_date");
  int page_size = PageSize(q.page_size, PageLimits{50, 1000}, "page_size", v);
  auto grouping = static_cast<ComplianceGrouping>(q.group_by == 0 ? 1 : q.group_by);
  std::string scope = q.region_code + "|" + q.election_id + "|" + q.ppk_code + "|" + std::to_string(q.group_by) +
                      "|" + (from ? absl::FormatCivilTime(*from) : "") + "|" + (to ? absl::FormatCivilTime(*to) : "");
  auto after = DecodePageToken(q.page_token, "page_token", v, scope);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto facts = cases_.Compliance({q.region_code, q.election_id, q.ppk_code,
                                  from ? absl::FormatCivilTime(*from) : "", to ? absl::FormatCivilTime(*to) : ""});
  if (!facts.ok()) return facts.error();
  ComplianceReport report;
  report.compute_us = NowUs();
  struct Group {
    ComplianceRow row;
    std::vector<int> days, working_days;
  };
  auto add = [&](Group& g, const ComplianceFact& f) {
    ComplianceRow& r = g.row;
    r.recommended++;
    if (f.decided) {
      r.decided++;
      (f.on_time ? r.decided_on_time : r.decided_late)++;
      if (f.as_recommended) r.decided_as_recommended++;
      g.days.push_back(f.days_to_decision);
      g.working_days.push_back(f.working_days_to_decision);
    } else if (f.status == static_cast<int>(CaseStatus::kRecommended)) {
      (report.compute_us >= f.due_us ? r.overdue : r.pending)++;
    }
    if (f.escalation_level >= static_cast<int>(EscalationLevel::kWarning)) r.escalated++;
    if (f.escalation_level == static_cast<int>(EscalationLevel::kDataBlock)) r.data_blocked++;
  };
  Group total;
  std::map<std::string, Group> groups;
  for (const auto& f : facts.value()) {
    add(total, f);
    std::string key = grouping == ComplianceGrouping::kPpk        ? f.ppk_code
                      : grouping == ComplianceGrouping::kProvince ? f.region_code.substr(0, 2)
                                                                  : f.region_code;
    Group& g = groups[key];
    if (g.row.group_key.empty()) {
      g.row.group_key = key;
      const Region* region = grouping == ComplianceGrouping::kPpk ? nullptr : regions_.Find(key);
      g.row.group_name = grouping == ComplianceGrouping::kPpk ? f.ppk_name : region ? region->name : "";
    }
    add(g, f);
  }
  auto finish = [](Group& g) {
    g.row.median_days_to_decision = Median(g.days);
    g.row.median_working_days_to_decision = Median(g.working_days);
    return g.row;
  };
  report.total = finish(total);
  auto it = after->empty() ? groups.begin() : groups.upper_bound(*after);
  for (; it != groups.end() && static_cast<int>(report.rows.size()) < page_size; ++it) {
    report.rows.push_back(finish(it->second));
  }
  if (it != groups.end()) report.next_page_token = EncodePageToken(report.rows.back().group_key, scope);
  return report;
}

// ----------------------------------------------------------------- sweeper

Result<int> Sanctions::EscalateDue(int64_t fence, int batch, bool* fenced) {
  int64_t now = NowUs();
  auto done = cases_.EscalateDue(now, fence, batch, [&](Case& c, CaseEffects& effects) {
    return ApplyEscalation(c, now, effects);
  }, fenced);
  if (!done.ok()) return done.error();
  bool queued = false;
  // Counted per (province, step) first: a batch has up to --sweep-batch steps.
  std::map<std::pair<std::string, EscalationLevel>, int> steps;
  for (const auto& step : done.value()) {
    ++steps[{step.province, step.level}];
    queued = queued || step.queued_notice;
  }
  if (metrics_) {
    for (const auto& [key, count] : steps) metrics_->Escalated(key.first, key.second, count);
  }
  if (queued && on_queued_) on_queued_();
  return static_cast<int>(done.value().size());
}

void Sanctions::RefreshGauges() {
  if (!metrics_) return;
  auto counts = cases_.CountOpen(NowUs());
  if (counts.ok()) metrics_->Refresh(counts.value());
}

}  // namespace netra::sanction

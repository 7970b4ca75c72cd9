#include "services/complaint/complaints.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "common/digest.h"
#include "common/idempotency.h"
#include "common/names.h"
#include "common/log.h"
#include "common/paging.h"
#include "common/store.h"

namespace netra::complaint {
namespace {

constexpr std::chrono::seconds kStatusCacheTtl{30};
constexpr std::chrono::hours kRequestCacheTtl{24};

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// The first answer recorded under a request id, or nullopt.
std::optional<Result<Complaint>> Replay(std::optional<RecordedRequest> recorded, const std::string& request_hash) {
  if (!recorded) return std::nullopt;
  if (recorded->request_hash != request_hash) return Result<Complaint>(ReusedRequestId());
  return Result<Complaint>(std::move(recorded->answer.complaint));
}

// A first answer from the request cache, "<request_hash (32 bytes)><answer>";
// nullopt when there is none or it is not ours (then the store answers).
std::optional<std::pair<std::string, RecordedAnswer>> CachedAnswer(const std::optional<std::string>& cached) {
  if (!cached || cached->size() <= 32) return std::nullopt;
  try {
    return std::pair{cached->substr(0, 32), DecodeAnswer(std::string_view(*cached).substr(32))};
  } catch (const StoreError& e) {
    log::Warn("unreadable answer in the request cache; asking the store", {{"error", e.what()}});
    return std::nullopt;
  }
}

std::string RequestCacheKey(const std::string& request_id) {
  // v4: the answer holds no reporter identity (v3's did; they expire within a day).
  return "complaint:request:v4:SubmitComplaint:" + request_id;
}

// A change the service makes itself.
Actor SystemActor(const std::string& id) { return Actor{id, Actor::Kind::kSystem, "", ""}; }

}  // namespace

Complaints::Complaints(ComplaintStore& store, ComplaintPorts ports, const RegionDirectory& regions,
                       ViolationCatalogSource& catalog, const NikHasher& nik_hasher, const SealedBox& reporter_box,
                       const RecordKeys& record_keys, ComplaintSettings settings)
    : store_(store),
      ports_(std::move(ports)),
      regions_(regions),
      catalog_(catalog),
      nik_hasher_(nik_hasher),
      reporter_box_(reporter_box),
      record_keys_(record_keys),
      settings_(settings) {}

// ---------------------------------------------------------------------------
// Limits and replays

std::optional<RateLimited> Complaints::CheckStatusLimit(std::string_view peer) {
  if (peer.empty()) return std::nullopt;
  return CheckLimits({{"status_peer", "complaint:rate:status:" + std::string(peer), settings_.status_peer_limit,
                       settings_.status_peer_window}});
}

std::optional<RateLimited> Complaints::CheckIntakeLimits(std::string_view contact, std::string_view peer) {
  std::vector<Limit> limits;
  // The contact is personal data: only its keyed hash names the counter (a
  // plain hash of a phone number is reversed by trying them all). A key
  // rotation starts the windows afresh.
  if (!contact.empty()) {
    const auto keyed = reporter_box_.Mac(reporter_box_.sealing_key_id(), "contact rate limit", FoldText(contact));
    limits.push_back({"contact", "complaint:rate:contact:" + HexOf(*keyed).substr(0, 32), settings_.contact_limit,
                      settings_.contact_window});
  }
  if (!peer.empty()) {
    limits.push_back({"peer", "complaint:rate:peer:" + std::string(peer), settings_.peer_limit, settings_.peer_window});
  }
  return CheckLimits(limits);
}

std::optional<RateLimited> Complaints::CheckLimits(const std::vector<Limit>& limits) {
  for (const Limit& limit : limits) {
    if (limit.max <= 0) continue;
    auto count = ports_.limiter.Increment(limit.key, limit.window);
    if (!count) {
      // Fail open: intake matters more than the limit; netra_redis_up shows why.
      if (!limits_failing_open_.exchange(true)) log::Warn("intake rate limits off: redis unavailable");
      return std::nullopt;
    }
    if (limits_failing_open_.exchange(false)) log::Info("intake rate limits on again");
    if (*count > limit.max) {
      ports_.metrics.RateLimited(limit.name);
      return RateLimited{limit.name, ports_.limiter.ResetsIn(limit.key)};
    }
  }
  return std::nullopt;
}

Result<SubmitResult> Complaints::Replayed(const std::string& recorded_hash, const RecordedAnswer& answer,
                                         const std::string& request_hash) const {
  // The first answer to a submission under the same request_id, if its
  // content was the same (INVALID_ARGUMENT on request_id if not): the same
  // request, so the same reporter, who may be given the receipt again.
  if (recorded_hash != request_hash) return ReusedRequestId();
  SubmitResult out{answer.complaint, answer.joined_existing_cluster, ""};
  if (auto secret = ReceiptSecret(reporter_box_, answer.complaint.receipt, answer.complaint.complaint_id)) {
    out.receipt = std::move(*secret);
  }
  return out;
}

std::optional<Result<SubmitResult>> Complaints::EarlierSubmission(const std::string& request_id,
                                                                 const std::string& request_hash) {
  if (request_id.empty()) return std::nullopt;
  if (auto cached = CachedAnswer(ports_.request_cache.Get(RequestCacheKey(request_id)))) {
    return Replayed(cached->first, cached->second, request_hash);
  }
  if (auto recorded = store_.FindRequest("SubmitComplaint", request_id)) {
    return Replayed(recorded->request_hash, recorded->answer, request_hash);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Submission

Result<SubmitResult> Complaints::Submit(const SubmitCommand& command, const std::string& request_hash,
                                        const Actor& actor, absl::Time now) {
  const auto codes = catalog_.Current();
  Violations v = ValidateSubmission(command, regions_, *codes, now);
  if (!v.empty()) return Error::Invalid(std::move(v));

  // A retry is answered from the request cache before any registry call (any
  // replica). The store's record is checked inside the write transaction, and
  // here only when the registry cannot answer (a retry must not fail for that).
  const std::string request_key = RequestCacheKey(command.request_id);
  if (auto cached = CachedAnswer(ports_.request_cache.Get(request_key))) {
    return Replayed(cached->first, cached->second, request_hash);
  }
  auto election = ports_.directory.FindElection(command.act.election_id);
  if (!election.ok()) {
    if (auto recorded = store_.FindRequest("SubmitComplaint", command.request_id)) {
      return Replayed(recorded->request_hash, recorded->answer, request_hash);
    }
    return RegistryFailure(election.error(), "act.election_id", "election " + command.act.election_id);
  }
  std::vector<Evidence> evidence;
  Violations unknown;
  for (size_t i = 0; i < command.evidence_ids.size(); ++i) {
    auto e = FindEvidence(command.evidence_ids[i]);
    if (!e) {
      unknown.Add("evidence_ids[" + std::to_string(i) + "]", ViolationReason::kNotFound,
                  "evidence " + command.evidence_ids[i] + " was not uploaded");
    } else if (std::none_of(evidence.begin(), evidence.end(),
                            [&](const Evidence& x) { return x.evidence_id == e->evidence_id; })) {
      evidence.push_back(*e);
    }
  }
  if (!unknown.empty()) return Error::Invalid(std::move(unknown));

  NewComplaint in;
  in.report = BuildReport(command, std::move(evidence), ResolveSubject(command.subject, ports_.directory, now, settings_.subject_matching),
                          election.value(), regions_, *codes, now);
  if (!command.reporter.nik.empty()) in.reporter_nik_hash = nik_hasher_.Hash(command.reporter.nik);
  std::string receipt;
  in.report.complaint.receipt = IssueReceipt(reporter_box_, in.report.complaint.complaint_id, &receipt);
  if (Unresolved(in.report.complaint.subject_resolution)) {
    in.subject_retry_us = Micros(now + absl::FromChrono(settings_.subject_retry_interval));
  }
  const std::string province = in.report.province, category = in.report.category;
  const auto window = std::chrono::duration_cast<std::chrono::microseconds>(settings_.cluster_window).count();
  auto stored = store_.InsertSubmission(command.request_id, request_hash, std::move(in), Micros(now) - window, actor,
                                        Micros(now));
  if (!stored.ok()) return stored.error();
  Submission& s = stored.value();
  // A replay (a concurrent retry won the transaction) is the first answer, with its own receipt.
  if (s.replayed) return Replayed(request_hash, s.answer, request_hash);
  SubmitResult out{std::move(s.answer.complaint), s.answer.joined_existing_cluster, std::move(receipt)};
  ports_.request_cache.Set(request_key, request_hash + s.encoded_answer, kRequestCacheTtl);
  ports_.metrics.Received(province, category, !out.joined_existing_cluster);
  return out;
}

std::optional<Evidence> Complaints::FindEvidence(const std::string& evidence_id) {
  constexpr size_t kMaxKept = 10000;
  {
    std::lock_guard lock(evidence_mu_);
    if (auto it = evidence_.find(evidence_id); it != evidence_.end()) return it->second;
  }
  auto found = store_.FindEvidence(evidence_id);
  if (found) {
    std::lock_guard lock(evidence_mu_);
    if (evidence_.size() >= kMaxKept) evidence_.clear();
    evidence_.emplace(evidence_id, *found);
  }
  return found;
}

// ---------------------------------------------------------------------------
// Workflow

Result<Complaint> Complaints::Commit(ComplaintChange change) {
  if (change.effects.forwarding) change.outbox_payload = ports_.encode_forwarding(*change.effects.forwarding);
  auto applied = store_.Apply(change);
  if (!applied.ok()) return applied.error();
  const AppliedChange& a = applied.value();
  for (const auto& code : a.tracking_codes) ports_.status_cache.Invalidate("complaint:status:" + code);
  for (const auto& stage : a.stages_left) ports_.metrics.StageLeft(stage.stage, stage.seconds);
  if (change.effects.forwarding && !a.replayed && on_message_queued_) on_message_queued_();
  return a.complaint;
}

Result<TransitionInputs> Complaints::InputsFor(const Complaint& current, const ComplaintRow& row,
                                               const TransitionCommand& command) {
  TransitionInputs inputs;
  inputs.region = regions_.Find(current.act.region_code);
  inputs.registered_us = row.registered_us;
  switch (command.action) {
    case Action::kRequestCompletion:
    case Action::kRegister:
    case Action::kExtendHandling: {
      auto election = ports_.directory.FindElection(current.act.election_id);
      // The registry's answer as is (peer_status.h): not always an outage.
      if (!election.ok()) return election.error();
      inputs.election = std::move(election.value());
      break;
    }
    case Action::kForward:
      inputs.cluster_members = store_.ClusterMembers(current.cluster.cluster_id);
      break;
    case Action::kResolveSubject: {
      auto employee = ports_.directory.FindEmployee(command.subject_employee_id);
      if (!employee.ok()) {
        return RegistryFailure(employee.error(), "subject_employee_id", "employee " + command.subject_employee_id);
      }
      inputs.subject_employee = std::move(employee.value());
      break;
    }
    default:
      break;
  }
  return inputs;
}

Result<Complaint> Complaints::Transition(const TransitionCommand& command, const std::string& request_hash,
                                         const Actor& actor, absl::Time now, const RuleOn<Complaint>& may_change) {
  // One read for the complaint and a retry's first answer. The caller's rule
  // on it comes first: before the request's faults, as on every other method,
  // and before a first answer (a request id is no key to another region's complaint).
  Violations id;
  CheckId(command.complaint_id, "complaint_id", true, id);
  ComplaintStore::ChangeBasis basis;
  if (id.empty()) basis = store_.FindForChange(command.complaint_id, "TransitionComplaint", command.request_id);
  if (basis.row && may_change) {
    if (auto refused = may_change(basis.row->complaint)) return *refused;
  }
  Violations v = ValidateTransition(command, regions_, *catalog_.Current(), now);
  if (!v.empty()) return Error::Invalid(std::move(v));
  if (!basis.row) return Error::NotFound("complaint", command.complaint_id);
  if (auto replayed = Replay(std::move(basis.earlier), request_hash)) return *replayed;

  const std::optional<ComplaintRow>& row = basis.row;
  const Complaint& current = row->complaint;
  if (current.version != command.expected_version) {
    return Error::Aborted("complaint", current.complaint_id, command.expected_version, current.version);
  }
  // The state rules first: a refused action asks nothing of the registry.
  const bool member = !current.cluster.is_primary;
  const bool member_may = command.action == Action::kWithdraw || command.action == Action::kResolveSubject;
  if ((member && !member_may) || !NextStatus(current.status, command.action)) {
    return ApplyTransition(current, command, TransitionInputs{}, now).error();
  }
  auto inputs = InputsFor(current, *row, command);
  if (!inputs.ok()) return inputs.error();
  inputs.value().find_evidence = [this](const std::string& id) { return FindEvidence(id); };
  inputs.value().resolve_subject = [this, now](const Subject& s) { return ResolveSubject(s, ports_.directory, now, settings_.subject_matching); };
  auto effects = ApplyTransition(current, command, inputs.value(), now);
  if (!effects.ok()) return effects.error();
  return Commit(ComplaintChange{current.complaint_id, current.version, std::move(effects.value()), actor, Micros(now),
                                "", "TransitionComplaint", command.request_id, request_hash});
}

int Complaints::RetryUnresolvedSubjects(absl::Time now, int limit) {
  int changed = 0;
  for (const std::string& id : store_.DueSubjectRetries(Micros(now), limit)) {
    auto row = store_.Find(id);
    if (!row) continue;
    const Complaint& current = row->complaint;
    if (IsTerminal(current.status) || !Unresolved(current.subject_resolution)) {
      store_.ScheduleSubjectRetry(id, 0);  // handled meanwhile (e.g. resolved by a person)
      continue;
    }
    SubjectResolution resolution = ResolveSubject(current.subject, ports_.directory, now, settings_.subject_matching);
    // Back off with age: a report a week old is not looked up every minute.
    const absl::Duration age = now - current.received_time;
    const absl::Duration wait =
        std::min(std::max(absl::FromChrono(settings_.subject_retry_interval), age / 4), absl::Hours(24));
    const int64_t next = Unresolved(resolution) ? Micros(now + wait) : 0;
    if (resolution.status == current.subject_resolution.status) {
      store_.ScheduleSubjectRetry(id, next);
      continue;
    }
    // A concurrent change (ABORTED) leaves it due: the next pass tries again.
    if (Commit({id, current.version, ApplySubjectResolved(current, std::move(resolution), next, now),
                SystemActor("system:subject-resolver"), Micros(now), "", "", "", ""})
            .ok()) {
      ++changed;
    }
  }
  return changed;
}

Result<Complaint> Complaints::MarkForwarded(const std::string& complaint_id, const std::string& case_id,
                                            absl::Time now) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto row = store_.Find(complaint_id);
    if (!row) return Error::NotFound("complaint", complaint_id);
    auto effects = ApplyForwarded(row->complaint, case_id, now);
    if (!effects) return row->complaint;
    auto applied = Commit({complaint_id, row->complaint.version, std::move(*effects), SystemActor("system:forwarding"),
                           Micros(now), "", "", "", ""});
    if (applied.ok() || applied.error().kind != Error::Kind::kAborted) return applied;
  }
  return Error::Unavailable("complaint " + complaint_id + " kept changing; forwarding will be recorded on retry");
}

Result<Complaint> Complaints::RecordOutcome(const OutcomeCommand& command, const std::string& request_hash,
                                            const Actor& actor, absl::Time now) {
  Violations v = ValidateOutcome(command);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto basis = store_.FindForChange(command.complaint_id, "RecordOutcome", command.request_id);
  if (auto replayed = Replay(std::move(basis.earlier), request_hash)) return *replayed;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) basis.row = store_.Find(command.complaint_id);
    const std::optional<ComplaintRow>& row = basis.row;
    if (!row) return Error::NotFound("complaint", command.complaint_id);
    const Complaint& current = row->complaint;
    if (command.expected_version > 0 && command.expected_version != current.version) {
      return Error::Aborted("complaint", current.complaint_id, command.expected_version, current.version);
    }
    auto effects = ApplyOutcome(current, command, now);
    if (!effects.ok()) return effects.error();
    if (!effects.value()) return current;
    auto applied = Commit({current.complaint_id, current.version, std::move(*effects.value()), actor, Micros(now), "",
                           "RecordOutcome", command.request_id, request_hash});
    // A concurrent change (the forwarding being recorded) moved the version: read again.
    if (applied.ok() || applied.error().kind != Error::Kind::kAborted || command.expected_version > 0) return applied;
  }
  return Error::Unavailable("complaint " + command.complaint_id + " kept changing; retry");
}

Result<RevealResult> Complaints::RevealReporter(const RevealCommand& command, const Actor& actor, absl::Time now) {
  Violations v = ValidateReveal(command);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto row = store_.Find(command.complaint_id);
  if (!row) return Error::NotFound("complaint", command.complaint_id);
  const Disclosure disclosure = ApplyReveal(row->complaint, command);
  // Recorded, durably, before anything is answered; the identity is read in the same transaction.
  auto recorded =
      store_.RecordDisclosure(command.complaint_id, disclosure.event_type, actor, Micros(now), disclosure.payload);
  if (!recorded) return Error::NotFound("complaint", command.complaint_id);
  Reporter reporter = std::move(recorded->first.reporter);
  reporter.nik.clear();
  reporter.nik_hash.clear();
  reporter.sealed = false;
  return RevealResult{std::move(reporter), recorded->second.sequence};
}

// ---------------------------------------------------------------------------
// Queries

Result<Complaint> Complaints::Get(std::string_view complaint_id) {
  Violations v;
  CheckId(complaint_id, "complaint_id", true, v);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto shown = store_.FindShown(std::string(complaint_id));
  if (!shown) return Error::NotFound("complaint", std::string(complaint_id));
  Complaint c = std::move(shown->row.complaint);
  if (c.forwarding.status == ForwardingStatus::kPending) {
    if (const auto& queued = shown->queued) {
      c.forwarding.attempts = queued->attempts;
      c.forwarding.last_error = queued->last_error;
      if (queued->refused_us > 0) {
        c.forwarding.status = ForwardingStatus::kRefused;
        c.forwarding.refuse_time = absl::FromUnixMicros(queued->refused_us);
      }
    }
  }
  return c;
}

Result<ComplaintPage> Complaints::List(const ListQuery& r) {
  Violations v;
  if (!r.region_code.empty()) {
    Violations format;
    if (!ParseRegionCode(r.region_code, "region_code", format)) v.Append(format);
  }
  if (r.statuses.size() > 10) v.Add("statuses", ViolationReason::kTooLong, "holds more than 10 statuses");
  for (size_t i = 0; i < r.statuses.size() && i < 10; ++i) {
    if (r.statuses[i] <= 0 || r.statuses[i] > static_cast<int>(Status::kDismissed)) {
      v.Add("statuses[" + std::to_string(i) + "]", ViolationReason::kOutOfRange, "is not a complaint status");
    }
  }
  CheckId(r.election_id, "election_id", false, v);
  CheckId(r.violation_code, "violation_code", false, v);
  CheckId(r.cluster_id, "cluster_id", false, v);
  CheckInstant(r.received_after, "received_after", absl::InfiniteFuture(), v);
  CheckInstant(r.received_before, "received_before", absl::InfiniteFuture(), v);
  const int page_size = PageSize(r.page_size, PageLimits{}, "page_size", v);
  // Binds a page token to its filter.
  const std::string scope_hash = Sha256::Of({r.scope});
  auto after = DecodePageToken(r.page_token, "page_token", v, scope_hash);
  if (!v.empty()) return Error::Invalid(std::move(v));

  ComplaintFilter f;
  f.region_prefix = r.region_code;
  f.statuses = r.statuses;
  f.election_id = r.election_id;
  f.violation_code = r.violation_code;
  f.cluster_id = r.cluster_id;
  if (r.received_after) f.received_after_us = Micros(*r.received_after);
  if (r.received_before) f.received_before_us = Micros(*r.received_before);
  f.primaries_only = r.primaries_only;
  f.needs_subject_review = r.needs_subject_review;
  ComplaintPage out;
  out.complaints = store_.List(f, *after, page_size + 1);
  if (out.complaints.size() > static_cast<size_t>(page_size)) {
    out.complaints.resize(page_size);
    const Complaint& last = out.complaints.back();
    out.next_page_token =
        EncodePageToken(std::to_string(Micros(last.received_time)) + ":" + last.complaint_id, scope_hash);
  }
  return out;
}

Result<HistoryPage> Complaints::History(const HistoryQuery& r) {
  Violations v;
  CheckId(r.complaint_id, "complaint_id", true, v);
  const int page_size = PageSize(r.page_size, PageLimits{}, "page_size", v);
  auto after = DecodePageToken(r.page_token, "page_token", v, r.complaint_id);
  int64_t after_sequence = 0;
  if (after && !after->empty()) {
    if (!absl::SimpleAtoi(absl::string_view(after->data(), after->size()), &after_sequence)) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a page token issued by this service");
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  if (!store_.Find(r.complaint_id)) return Error::NotFound("complaint", r.complaint_id);
  HistoryPage out;
  out.entries = store_.History(r.complaint_id, after_sequence, page_size + 1);
  if (out.entries.size() > static_cast<size_t>(page_size)) {
    out.entries.resize(page_size);
    out.next_page_token = EncodePageToken(std::to_string(out.entries.back().sequence), r.complaint_id);
  }
  return out;
}

Result<HistoryVerification> Complaints::Verify(std::string_view complaint_id) {
  Violations v;
  CheckId(complaint_id, "complaint_id", true, v);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto row = store_.Find(std::string(complaint_id));
  if (!row) return Error::NotFound("complaint", std::string(complaint_id));
  auto entries = store_.History(std::string(complaint_id), 0, 0);
  return VerifyHistory(entries, row->head);
}

Result<ComplaintStats> Complaints::Stats(const StatsQuery& r, absl::Time now) {
  auto checked = CheckStatsQuery(r, regions_, settings_.stats_min_count);
  if (!checked.ok()) return checked.error();
  const int64_t after = r.received_after ? Micros(*r.received_after) : 0;
  const int64_t before = r.received_before ? Micros(*r.received_before) : 0;
  return TallyStats(store_.StatRows(r.region_code, r.election_id, after, before),
                    store_.StageRows(r.region_code, r.election_id, after, before), checked.value(), record_keys_,
                    regions_, now);
}

void Complaints::RefreshOpenGauge() {
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  for (const auto& [province, status, n] : store_.OpenCounts()) counts[{province, StatusLabel(status)}] = n;
  ports_.metrics.OpenCounts(counts);
}

Result<PublicStatus> Complaints::GetPublicStatus(std::string_view tracking_code) const {
  auto checked = CheckedTrackingCode(tracking_code);
  if (!checked.ok()) return checked.error();
  const std::string& code = checked.value();
  // The public lookup is the hottest read: cache first, then the store.
  auto cached = ports_.status_cache.GetOrLoad("complaint:status:" + code, kStatusCacheTtl,
                                              [&]() -> std::optional<std::string> {
                                                auto found = store_.FindPublicStatus(code);
                                                if (!found) return std::nullopt;
                                                return EncodePublicStatus(*found);
                                              });
  if (cached) {
    if (auto status = DecodePublicStatus(code, *cached)) return *status;
    // A corrupt cache entry must not hide the record: answer from the store.
    if (auto found = store_.FindPublicStatus(code)) return *found;
  }
  return Error::NotFound("tracking_code", code, "no complaint has tracking code " + code);
}

Result<PublicView> Complaints::GetPublicView(std::string_view tracking_code) const {
  auto status = GetPublicStatus(tracking_code);
  if (!status.ok()) return status.error();
  PublicView view{status.value(), std::nullopt, {}};
  // Only an incomplete report has more to show (what to supply, by when): read the complaint then.
  if (status.value().status == Status::kIncomplete) {
    if (auto found = store_.FindByTrackingCode(status.value().tracking_code)) {
      view.completion = found->deadlines.completion;
      view.missing = found->missing_requirements;
    }
  }
  return view;
}

}  // namespace netra::complaint

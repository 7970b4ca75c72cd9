#include "services/registry/party_screening.h"

#include <algorithm>
#include <charconv>

#include "absl/time/clock.h"

#include "common/authorize.h"
#include "common/identifiers.h"
#include "common/state_table.h"
#include "common/paging.h"

namespace netra::registry {
namespace {

// The one lifecycle of a match, in one table. The action of a transition is
// the resolution asked for (the status it leads to), named as in the API (and
// so in FAILED_PRECONDITION details); resolved matches are final.
constexpr StateTransition<MatchStatus, MatchStatus> kTransitions[] = {
    {MatchStatus::kOpen, MatchStatus::kConfirmedMember, MatchStatus::kConfirmedMember},
    {MatchStatus::kOpen, MatchStatus::kIdentityMisuse, MatchStatus::kIdentityMisuse},
};
constexpr StateTable<MatchStatus, MatchStatus> kMatchLifecycle{kTransitions};

std::vector<std::string> AllowedFrom(MatchStatus state) {
  std::vector<std::string> allowed;
  for (MatchStatus resolution : kMatchLifecycle.Allowed(state)) allowed.emplace_back(MatchStatusName(resolution));
  return allowed;
}

bool Allowed(MatchStatus from, MatchStatus resolution) { return kMatchLifecycle.Next(from, resolution).has_value(); }

// Party codes: short printable ASCII without spaces (abbreviations such as "PDI-P").
void CheckCode(std::string_view code, const std::string& field, bool required, int max, Violations& out) {
  if (code.empty()) {
    if (required) out.Add(field, ViolationReason::kRequired, "is required");
    return;
  }
  if (code.size() > static_cast<size_t>(max)) {
    out.Add(field, ViolationReason::kTooLong, "is longer than " + std::to_string(max) + " characters");
    return;
  }
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c > ' ' && c <= '~'; })) {
    out.Add(field, ViolationReason::kInvalidFormat, "may hold only printable ASCII without spaces");
  }
}

void CheckKnownRegion(const std::string& code, const std::string& field, const RegionDirectory& regions,
                      Violations& out) {
  if (code.empty()) return;
  Violations syntax;
  if (!ParseRegionCode(code, field, syntax)) {
    out.Append(syntax);
  } else if (!regions.Find(code)) {
    out.Add(field, ViolationReason::kNotFound, "is not a known region");
  }
}

// "pm-<digits>" -> the sequence number; nullopt (with a violation) otherwise.
std::optional<int64_t> ParseMatchId(std::string_view id, Violations& out) {
  int64_t seq = 0;
  if (id.empty()) {
    out.Add("match_id", ViolationReason::kRequired, "is required");
    return std::nullopt;
  }
  if (id.size() > 24 || id.substr(0, 3) != "pm-" ||
      std::from_chars(id.data() + 3, id.data() + id.size(), seq).ptr != id.data() + id.size() || seq <= 0) {
    out.Add("match_id", ViolationReason::kInvalidFormat, "is not a match id (pm-N)");
    return std::nullopt;
  }
  return seq;
}

}  // namespace

std::string_view MatchStatusName(MatchStatus status) {
  switch (status) {
    case MatchStatus::kOpen: return "PARTY_MEMBERSHIP_MATCH_STATUS_OPEN";
    case MatchStatus::kConfirmedMember: return "PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER";
    case MatchStatus::kIdentityMisuse: return "PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE";
    default: return "PARTY_MEMBERSHIP_MATCH_STATUS_UNSPECIFIED";
  }
}

Violations PartyScreening::Validate(const PartyMember& m) const {
  Violations v;
  if (m.nik_hmac.empty()) {
    v.Add("nik_hmac", ViolationReason::kRequired, "is required");
  } else if (m.nik_hmac.size() != NikHasher::kHashBytes) {
    v.Add("nik_hmac", ViolationReason::kInvalidFormat, "must be exactly 32 bytes (HMAC-SHA256 of the NIK)");
  }
  CheckCode(m.party_code, "party_code", true, kMaxPartyCodeLength, v);
  CheckText(m.party_name, "party_name", false, kMaxPartyNameLength, v);
  CheckKnownRegion(m.region_code, "region_code", regions_, v);
  int role = static_cast<int>(m.role);
  if (role < 0 || role > static_cast<int>(PartyRole::kOfficer)) {
    v.Add("role", ViolationReason::kOutOfRange, "unknown party role");
  }
  return v;
}

Result<std::unique_ptr<PartyImport>> PartyScreening::StartImport(const std::string& source_name, int max_row_errors,
                                                                 absl::Time now) {
  Violations v;
  CheckText(source_name, "source_name", false, kMaxSourceNameLength, v);
  if (max_row_errors < 0 || max_row_errors > kMaxRowErrors) {
    v.Add("max_row_errors", ViolationReason::kOutOfRange, "must be between 0 and 10,000");
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  return std::unique_ptr<PartyImport>(
      new PartyImport(*this, source_name, max_row_errors == 0 ? kDefaultMaxRowErrors : max_row_errors, now));
}

std::optional<Error> PartyImport::Add(PartyMember member) {
  ++summary_.received;
  Violations v = screening_.Validate(member);
  // The same person twice for one party in one list is a mistake in the list.
  if (v.empty() && !seen_.insert(member.nik_hmac + member.party_code).second) {
    v.Add("nik_hmac", ViolationReason::kInconsistent, "repeats an earlier record of the same party in this import");
  }
  if (v.empty() && !region_.empty() && (member.region_code.empty() || !RegionWithin(member.region_code, region_))) {
    v.Add("region_code", ViolationReason::kOutOfRange, "is outside the region of the importing office");
    ++summary_.outside_region;
  }
  if (!v.empty()) {
    ++summary_.rejected;
    if (static_cast<int>(summary_.row_errors.size()) < max_row_errors_) {
      summary_.row_errors.push_back(RowError{member.row_number, {}, std::move(v)});
    } else {
      summary_.row_errors_truncated = true;
    }
    return std::nullopt;
  }
  if (member.role == PartyRole::kUnspecified) member.role = PartyRole::kMember;
  batch_.push_back(std::move(member));
  if (batch_.size() >= PartyScreening::kBatchRecords) return Flush();
  return std::nullopt;
}

std::optional<Error> PartyImport::Flush() {
  if (batch_.empty()) return std::nullopt;
  auto stored = screening_.store_.StoreMembers(batch_, source_name_, now_);
  if (!stored.ok()) return stored.error();
  summary_.accepted += static_cast<int64_t>(batch_.size());
  summary_.matched += stored.value().matched;
  summary_.new_matches += stored.value().new_matches;
  for (const auto& [province, n] : stored.value().new_by_province) summary_.new_by_province[province] += n;
  batch_.clear();
  return std::nullopt;
}

Result<PartyImportSummary> PartyImport::Finish() {
  if (auto error = Flush()) return *error;
  std::sort(summary_.row_errors.begin(), summary_.row_errors.end(),
            [](const RowError& a, const RowError& b) { return a.row_number < b.row_number; });
  return summary_;
}

Result<std::optional<std::pair<std::string, std::string>>> PartyScreening::FindImport(const std::string& request_id) {
  return store_.FindRequest("ImportPartyMembers", request_id);
}

Result<bool> PartyScreening::RecordImport(const std::string& request_id, const std::string& request_hash,
                                          const std::string& response) {
  return store_.RecordRequest("ImportPartyMembers", request_id, request_hash, response);
}

Result<bool> PartyScreening::AttachEmployees(std::vector<PartyMatch>& matches) {
  std::vector<std::string> ids;
  for (const PartyMatch& m : matches) ids.push_back(m.employee_id);
  if (ids.empty()) return true;
  auto found = employees_.BatchGet(ids);
  if (!found.ok()) return found.error();
  for (Employee& e : found.value().employees) {
    for (PartyMatch& m : matches) {
      if (m.employee_id == e.employee_id) m.employee = e;
    }
  }
  return true;
}

Result<MatchPage> PartyScreening::List(const MatchQuery& query) {
  Violations v;
  int status = static_cast<int>(query.status);
  if (status < 0 || status > static_cast<int>(MatchStatus::kIdentityMisuse)) {
    v.Add("status", ViolationReason::kOutOfRange, "unknown match status");
  }
  CheckKnownRegion(query.region_code, "region_code", regions_, v);
  CheckCode(query.agency_code, "agency_code", false, 64, v);
  CheckCode(query.party_code, "party_code", false, kMaxPartyCodeLength, v);
  MatchFilter filter;
  filter.limit = PageSize(query.page_size, PageLimits{50, 1000}, "page_size", v);
  const std::string scope = std::to_string(status) + "|" + query.region_code + "|" + query.agency_code + "|" +
                            query.party_code;
  auto after = DecodePageToken(query.page_token, "page_token", v, scope);
  if (after && !after->empty()) {
    // The token is "<match_time micros>/<match_seq>" as written below.
    int64_t time = 0, seq = 0;
    auto slash = after->find('/');
    if (slash == std::string::npos ||
        std::from_chars(after->data(), after->data() + slash, time).ptr != after->data() + slash ||
        std::from_chars(after->data() + slash + 1, after->data() + after->size(), seq).ptr !=
            after->data() + after->size()) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "is not a page token of this list");
    } else {
      filter.after = std::pair{time, seq};
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  filter.status = query.status;
  filter.region_code = query.region_code;
  filter.agency_code = query.agency_code;
  filter.party_code = query.party_code;
  const int page_size = filter.limit;
  filter.limit = page_size + 1;

  if (auto matched = store_.MatchNewEmployees(absl::Now()); !matched.ok()) return matched.error();
  auto rows = store_.ListMatches(filter);
  if (!rows.ok()) return rows.error();
  MatchPage page;
  page.matches = std::move(rows.value());
  if (static_cast<int>(page.matches.size()) > page_size) {
    page.matches.resize(static_cast<size_t>(page_size));
    const PartyMatch& last = page.matches.back();
    page.next_page_token =
        EncodePageToken(std::to_string(absl::ToUnixMicros(last.match_time)) + "/" + std::to_string(last.match_seq),
                        scope);
  }
  auto attached = AttachEmployees(page.matches);
  if (!attached.ok()) return attached.error();
  return page;
}

Result<PartyMatch> PartyScreening::Find(const std::string& match_id) {
  Violations v;
  auto seq = ParseMatchId(match_id, v);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto found = store_.FindMatch(*seq);
  if (!found.ok()) return found.error();
  if (!found.value()) return Error::NotFound("party membership match", match_id);
  std::vector<PartyMatch> one{std::move(*found.value())};
  auto attached = AttachEmployees(one);
  if (!attached.ok()) return attached.error();
  return std::move(one.front());
}

Result<MatchResolution> PartyScreening::Resolve(const ResolveMatchCommand& command, const std::string& actor,
                                           absl::Time now) {
  Violations v;
  CheckRequestId(command.request_id, "request_id", v);
  auto seq = ParseMatchId(command.match_id, v);
  const bool misuse = command.resolution == MatchStatus::kIdentityMisuse;
  if (command.resolution != MatchStatus::kConfirmedMember && !misuse) {
    v.Add("resolution",
          command.resolution == MatchStatus::kUnspecified ? ViolationReason::kRequired : ViolationReason::kOutOfRange,
          "must be CONFIRMED_MEMBER or IDENTITY_MISUSE");
  }
  // The statement is the employee's own word that the listing misuses their
  // identity; it has no place in a confirmation.
  if (misuse) {
    CheckText(command.statement_reference, "statement_reference", true, kMaxStatementReferenceLength, v);
    if (!command.statement_date) {
      v.Add("statement_date", ViolationReason::kRequired, "is required for IDENTITY_MISUSE");
    } else if (CheckDate(*command.statement_date, "statement_date", v) &&
               command.statement_date->civil() > TodayUtc()) {
      v.Add("statement_date", ViolationReason::kOutOfRange, "must not be after today");
    }
  } else if (command.resolution == MatchStatus::kConfirmedMember) {
    if (!command.statement_reference.empty()) {
      v.Add("statement_reference", ViolationReason::kInconsistent, "is only for IDENTITY_MISUSE");
    }
    if (command.statement_date) {
      v.Add("statement_date", ViolationReason::kInconsistent, "is only for IDENTITY_MISUSE");
    }
  }
  CheckText(command.note, "note", false, kMaxNoteLength, v);
  if (command.expected_version < 0) v.Add("expected_version", ViolationReason::kOutOfRange, "must not be negative");
  if (!v.empty()) return Error::Invalid(std::move(v));

  // A retry must carry the same request; who sends it and when does not matter.
  const std::string fingerprint =
      command.match_id + '\n' + std::to_string(static_cast<int>(command.resolution)) + '\n' +
      command.statement_reference + '\n' + (command.statement_date ? command.statement_date->Iso() : "") + '\n' +
      std::to_string(command.expected_version) + '\n' + command.note;
  auto resolved = store_.Resolve(
      command.request_id, fingerprint, *seq, [&](const PartyMatch& current) -> Result<PartyMatch> {
        if (command.expected_version != 0 && current.version != command.expected_version) {
          return Error::Aborted("party membership match", current.match_id(), command.expected_version,
                                current.version);
        }
        if (!Allowed(current.status, command.resolution)) {
          return Error::Precondition(std::string(MatchStatusName(current.status)),
                                     std::string(MatchStatusName(command.resolution)), AllowedFrom(current.status));
        }
        PartyMatch next = current;
        next.status = command.resolution;
        next.statement_reference = command.statement_reference;
        next.statement_date = command.statement_date;
        next.note = command.note;
        next.resolved_by = actor;
        next.resolve_time = now;
        next.version = current.version + 1;
        return next;
      });
  if (!resolved.ok()) return resolved.error();
  std::vector<PartyMatch> one{std::move(resolved.value().match)};
  auto attached = AttachEmployees(one);
  if (!attached.ok()) return attached.error();
  return MatchResolution{std::move(one.front()), resolved.value().replayed};
}

}  // namespace netra::registry

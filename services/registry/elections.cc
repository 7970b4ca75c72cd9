#include "services/registry/elections.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "common/identifiers.h"
#include "common/paging.h"

namespace netra::registry {
namespace {

// A region code that must exist in the directory; returns it or null.
const Region* CheckRegion(std::string_view code, const std::string& field, const RegionDirectory& regions,
                          Violations& out) {
  if (!ParseRegionCode(code, field, out)) return nullptr;
  const Region* region = regions.Find(code);
  if (!region) out.Add(field, ViolationReason::kNotFound, "is not a known region");
  return region;
}

void CheckRule(const DeadlineRule& rule, const std::string& field, Violations& out) {
  if (rule.days < 0 || rule.days > kMaxRuleDays) {
    out.Add(Path(field, "days"), ViolationReason::kOutOfRange, "must be 0-" + std::to_string(kMaxRuleDays));
  }
  int counting = static_cast<int>(rule.counting);
  if (counting < 0 || counting > static_cast<int>(DayCounting::kWorkingDays)) {
    out.Add(Path(field, "counting"), ViolationReason::kOutOfRange, "unknown day counting");
  } else if (rule.days > 0 && rule.counting == DayCounting::kUnspecified) {
    out.Add(Path(field, "counting"), ViolationReason::kRequired, "calendar or working days must be said");
  }
}

void CheckRules(const DeadlineRules& rules, const std::string& field, Violations& out) {
  const std::pair<const DeadlineRule*, const char*> named[] = {
      {&rules.report_window, "report_window"},
      {&rules.finding_window, "finding_window"},
      {&rules.completion, "completion"},
      {&rules.initial_review, "initial_review"},
      {&rules.handling, "handling"},
      {&rules.handling_extended, "handling_extended"},
      {&rules.ppk_decision, "ppk_decision"},
      {&rules.escalation_warning, "escalation_warning"},
      {&rules.escalation_reprimand, "escalation_reprimand"},
      {&rules.escalation_data_block, "escalation_data_block"},
  };
  for (const auto& [rule, name] : named) CheckRule(*rule, Path(field, name), out);
  if (rules.quiet_period_report_window_hours < 0 || rules.quiet_period_report_window_hours > kMaxQuietPeriodHours) {
    out.Add(Path(field, "quiet_period_report_window_hours"), ViolationReason::kOutOfRange,
            "must be 0-" + std::to_string(kMaxQuietPeriodHours));
  }
  // An extension that ends before the normal period would shorten it.
  if (rules.handling.days > 0 && rules.handling_extended.days > 0 &&
      rules.handling.counting == rules.handling_extended.counting &&
      rules.handling_extended.days < rules.handling.days) {
    out.Add(Path(field, "handling_extended.days"), ViolationReason::kInconsistent,
            "must not be shorter than handling.days");
  }
}

bool OnlyChars(std::string_view text, bool (*allowed)(char)) {
  return std::all_of(text.begin(), text.end(), allowed);
}

}  // namespace

bool Election::SameContent(const Election& other) const {
  return election_id == other.election_id && name == other.name && type == other.type &&
         scope_region_code == other.scope_region_code && voting_date == other.voting_date &&
         campaign_start_date == other.campaign_start_date && campaign_end_date == other.campaign_end_date &&
         quiet_period_start_date == other.quiet_period_start_date &&
         quiet_period_end_date == other.quiet_period_end_date &&
         candidates_fixed_date == other.candidates_fixed_date && rules == other.rules &&
         recommending_authority == other.recommending_authority && holidays == other.holidays;
}

HolidayCalendar Election::CalendarFor(std::string_view region_code) const {
  std::vector<absl::CivilDay> days;
  for (const Holiday& holiday : holidays) {
    const std::string& scope = holiday.region_code;
    // "33" covers "33", "33.01" and "33.01.02", but not "330".
    bool applies = scope.empty() || region_code == scope ||
                   (region_code.size() > scope.size() && region_code.substr(0, scope.size()) == scope &&
                    region_code[scope.size()] == '.');
    if (applies) days.push_back(holiday.date.civil());
  }
  return HolidayCalendar(std::move(days));
}

bool ValidElectionId(std::string_view id, std::string_view field, Violations& out) {
  if (id.empty()) {
    out.Add(std::string(field), ViolationReason::kRequired, "is required");
    return false;
  }
  if (id.size() > static_cast<size_t>(kMaxElectionIdLength)) {
    out.Add(std::string(field), ViolationReason::kTooLong, "is longer than 64 characters");
    return false;
  }
  if (!OnlyChars(id, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; })) {
    out.Add(std::string(field), ViolationReason::kInvalidFormat, "may hold only a-z, 0-9 and '-'");
    return false;
  }
  return true;
}

Violations ValidateElection(const Election& e, const RegionDirectory& regions, std::string_view prefix) {
  Violations out;
  auto field = [&](std::string_view name) { return Path(prefix, name); };

  ValidElectionId(e.election_id, field("election_id"), out);
  CheckText(e.name, field("name"), /*required=*/true, kMaxNameLength, out);
  if (e.type == ElectionType::kUnspecified) {
    out.Add(field("type"), ViolationReason::kRequired, "is required");
  } else if (e.type != ElectionType::kPemilu && e.type != ElectionType::kPilkada) {
    out.Add(field("type"), ViolationReason::kOutOfRange, "unknown election type");
  }
  if (!e.scope_region_code.empty()) {
    const Region* scope = CheckRegion(e.scope_region_code, field("scope_region_code"), regions, out);
    if (scope && scope->level == RegionLevel::kDistrict) {
      out.Add(field("scope_region_code"), ViolationReason::kUnsupported,
              "must be empty (national), a province or a kab/kota");
    }
  }

  // Key dates: each real; then, among the real ones, in election order:
  // candidates fixed <= campaign start <= campaign end < quiet period start
  // <= quiet period end < voting day.
  struct KeyDate {
    const std::optional<Date>* date;
    const char* name;
    bool ok = false;
  };
  KeyDate voting{&e.voting_date, "voting_date"};
  KeyDate fixed{&e.candidates_fixed_date, "candidates_fixed_date"};
  KeyDate campaign_start{&e.campaign_start_date, "campaign_start_date"};
  KeyDate campaign_end{&e.campaign_end_date, "campaign_end_date"};
  KeyDate quiet_start{&e.quiet_period_start_date, "quiet_period_start_date"};
  KeyDate quiet_end{&e.quiet_period_end_date, "quiet_period_end_date"};
  for (KeyDate* k : {&voting, &fixed, &campaign_start, &campaign_end, &quiet_start, &quiet_end}) {
    if (k->date->has_value()) k->ok = CheckDate(**k->date, field(k->name), out).has_value();
  }
  if (!e.voting_date) out.Add(field("voting_date"), ViolationReason::kRequired, "is required");
  auto pair_required = [&](const KeyDate& first, const KeyDate& second) {
    if (first.date->has_value() != second.date->has_value()) {
      const KeyDate& missing = first.date->has_value() ? second : first;
      const KeyDate& present = first.date->has_value() ? first : second;
      out.Add(field(missing.name), ViolationReason::kRequired,
              std::string("is required together with ") + present.name);
    }
  };
  pair_required(campaign_start, campaign_end);
  pair_required(quiet_start, quiet_end);
  auto ordered = [&](const KeyDate& earlier, const KeyDate& later, bool strictly) {
    if (!earlier.ok || !later.ok) return;
    absl::CivilDay a = (*earlier.date)->civil(), b = (*later.date)->civil();
    if (strictly ? !(a < b) : !(a <= b)) {
      // The voting day anchors the others: blame the date set against it.
      if (&later == &voting) {
        out.Add(field(earlier.name), ViolationReason::kInconsistent, "must be before voting_date");
      } else {
        out.Add(field(later.name), ViolationReason::kInconsistent,
                std::string("must be ") + (strictly ? "after " : "on or after ") + earlier.name);
      }
    }
  };
  ordered(fixed, campaign_start, false);
  ordered(fixed, voting, true);
  ordered(campaign_start, campaign_end, false);
  ordered(campaign_end, quiet_start, true);
  ordered(campaign_end, voting, true);
  ordered(quiet_start, quiet_end, false);
  ordered(quiet_end, voting, true);
  // A typo in a year (2204 for 2024) passes every check above; no stage of an
  // election starts more than two years before its voting day.
  if (voting.ok) {
    for (const KeyDate* k : {&fixed, &campaign_start, &quiet_start}) {
      if (k->ok && (*voting.date)->civil() - (*k->date)->civil() > 731) {
        out.Add(field(k->name), ViolationReason::kOutOfRange, "is more than two years before voting_date");
      }
    }
  }

  CheckRules(e.rules, field("rules"), out);

  const std::string authority = field("recommending_authority");
  const std::string& code = e.recommending_authority.code;
  if (code.empty()) {
    out.Add(Path(authority, "code"), ViolationReason::kRequired, "is required (e.g. KASN, BKN)");
  } else if (code.size() > 32) {
    out.Add(Path(authority, "code"), ViolationReason::kTooLong, "is longer than 32 characters");
  } else if (!OnlyChars(code, [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; })) {
    out.Add(Path(authority, "code"), ViolationReason::kInvalidFormat, "may hold only A-Z, 0-9 and '_'");
  }
  CheckText(e.recommending_authority.name, Path(authority, "name"), /*required=*/false, kMaxNameLength, out);

  if (e.holidays.size() > static_cast<size_t>(kMaxHolidays)) {
    out.Add(field("holidays"), ViolationReason::kTooLong,
            "holds more than " + std::to_string(kMaxHolidays) + " days");
    return out;  // not worth checking each of an oversize list
  }
  std::set<std::pair<absl::CivilDay, std::string>> seen;
  for (size_t i = 0; i < e.holidays.size(); ++i) {
    const Holiday& h = e.holidays[i];
    const std::string at = field("holidays[" + std::to_string(i) + "]");
    bool date_ok = CheckDate(h.date, Path(at, "date"), out).has_value();
    CheckText(h.name, Path(at, "name"), /*required=*/true, kMaxNameLength, out);
    int kind = static_cast<int>(h.kind);
    if (kind < 0 || kind > static_cast<int>(HolidayKind::kRegional)) {
      out.Add(Path(at, "kind"), ViolationReason::kOutOfRange, "unknown holiday kind");
    }
    if (h.region_code.empty()) {
      if (h.kind == HolidayKind::kRegional) {
        out.Add(Path(at, "region_code"), ViolationReason::kRequired, "is required for a regional holiday");
      }
    } else {
      CheckRegion(h.region_code, Path(at, "region_code"), regions, out);
    }
    if (date_ok && !seen.emplace(h.date.civil(), h.region_code).second) {
      out.Add(Path(at, "date"), ViolationReason::kInconsistent, "is listed twice for the same region");
    }
  }
  return out;
}

Result<ElectionUpsert> Elections::Upsert(const UpsertElectionCommand& command, absl::Time now) {
  Violations violations;
  CheckRequestId(command.request_id, "request_id", violations);
  violations.Append(ValidateElection(command.election, regions_));
  if (command.expected_version < 0) {
    violations.Add("expected_version", ViolationReason::kOutOfRange, "must not be negative");
  }
  if (!violations.empty()) return Error::Invalid(std::move(violations));

  Election input = command.election;
  input.version = 0;  // output-only fields are ignored
  input.create_time = input.update_time = absl::Time();
  const int64_t expected = command.expected_version;
  return store_.Upsert(command.request_id, input, expected,
                       [&](const std::optional<Election>& current) -> Result<ElectionUpsert> {
                         ElectionUpsert outcome{input, ElectionChange::kCreated};
                         if (expected == 0) {
                           if (current) return Error::AlreadyExists("election", input.election_id);
                           outcome.election.version = 1;
                           outcome.election.create_time = outcome.election.update_time = now;
                           return outcome;
                         }
                         // A missing election has no version: a conflict like any other.
                         int64_t stored = current ? current->version : 0;
                         if (stored != expected) return Error::Aborted("election", input.election_id, expected, stored);
                         if (current->SameContent(input)) return ElectionUpsert{*current, ElectionChange::kUnchanged};
                         outcome.result = ElectionChange::kUpdated;
                         outcome.election.version = stored + 1;
                         outcome.election.create_time = current->create_time;
                         outcome.election.update_time = now;
                         return outcome;
                       });
}

Result<Election> Elections::Get(const std::string& election_id) {
  Violations violations;
  if (!ValidElectionId(election_id, "election_id", violations)) return Error::Invalid(std::move(violations));
  auto found = store_.Find(election_id);
  if (!found.ok()) return found.error();
  if (!found.value()) return Error::NotFound("election", election_id);
  return std::move(*found.value());
}

Result<ElectionPage> Elections::List(const ElectionQuery& query) {
  Violations violations;
  int type = static_cast<int>(query.type);
  if (type < 0 || type > static_cast<int>(ElectionType::kPilkada)) {
    violations.Add("type", ViolationReason::kOutOfRange, "unknown election type");
  }
  ElectionListFilter filter;
  filter.type = query.type;
  if (!query.region_code.empty() && CheckRegion(query.region_code, "region_code", regions_, violations)) {
    // Elections covering a region: national ones and those of the region or an ancestor.
    filter.scopes.push_back("");
    for (size_t dot = query.region_code.find('.'); dot != std::string::npos;
         dot = query.region_code.find('.', dot + 1)) {
      filter.scopes.push_back(query.region_code.substr(0, dot));
    }
    filter.scopes.push_back(query.region_code);
  }
  filter.limit = PageSize(query.page_size, PageLimits{50, 1000}, "page_size", violations);
  const std::string scope = std::to_string(type) + "|" + query.region_code;
  auto after = DecodePageToken(query.page_token, "page_token", violations, scope);
  if (after && !after->empty()) {
    // Our own tokens hold "YYYY-MM-DD|election-id".
    size_t bar = after->find('|');
    if (bar != 10) {
      violations.Add("page_token", ViolationReason::kInvalidFormat, "not a page token issued by this service");
    } else {
      filter.after_voting_date = after->substr(0, bar);
      filter.after_id = after->substr(bar + 1);
    }
  }
  if (!violations.empty()) return Error::Invalid(std::move(violations));

  const int page_size = filter.limit;
  filter.limit = page_size + 1;  // one more tells whether another page follows
  auto rows = store_.List(filter);
  if (!rows.ok()) return rows.error();
  ElectionPage page;
  page.elections = std::move(rows.value());
  if (static_cast<int>(page.elections.size()) > page_size) {
    page.elections.resize(page_size);
    const Election& last = page.elections.back();
    page.next_page_token = EncodePageToken(last.voting_date->Iso() + "|" + last.election_id, scope);
  }
  return page;
}

}  // namespace netra::registry

#include "services/registry/prevention.h"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "common/identifiers.h"
#include "common/random.h"
#include "common/paging.h"
#include "services/registry/employee_validation.h"

namespace netra::registry {
namespace {

// Agency and unit codes: short printable ASCII.
void CheckCode(std::string_view code, const std::string& field, Violations& out) {
  if (code.size() > 64) {
    out.Add(field, ViolationReason::kTooLong, "is longer than 64 characters");
    return;
  }
  for (char c : code) {
    if (c <= ' ' || c > '~') {
      out.Add(field, ViolationReason::kInvalidFormat, "may hold only printable ASCII without spaces");
      return;
    }
  }
}

bool Within(std::string_view code, std::string_view ancestor) {
  return code == ancestor || (code.size() > ancestor.size() && code.substr(0, ancestor.size()) == ancestor &&
                              code[ancestor.size()] == '.');
}

std::string Sha256(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}
std::string Hex(const std::string& bytes) {
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string NewPledgeId() {
  return "pl-" + RandomHex(12);
}

}  // namespace

Result<Pledge> Prevention::RecordPledge(const RecordPledgeCommand& command, const std::string& actor,
                                        absl::Time now) {
  const Pledge& in = command.pledge;
  Violations violations;
  CheckRequestId(command.request_id, "request_id", violations);
  CheckEmployeeId(violations, "employee_id", in.employee_id);  // whether it exists is the store's to say
  bool election_id_ok = ValidElectionId(in.election_id, "election_id", violations);
  if (in.kind != PledgeKind::kIkrar && in.kind != PledgeKind::kIntegrityPact) {
    violations.Add("kind", in.kind == PledgeKind::kUnspecified ? ViolationReason::kRequired
                                                                : ViolationReason::kOutOfRange,
                   "must be IKRAR or INTEGRITY_PACT");
  }
  bool date_ok = command.has_signed_date;
  if (!command.has_signed_date) {
    violations.Add("signed_date", ViolationReason::kRequired, "is required");
  } else if ((date_ok = CheckDate(in.signed_date, "signed_date", violations).has_value())) {
    if (in.signed_date.civil() > TodayUtc()) {
      violations.Add("signed_date", ViolationReason::kOutOfRange, "must not be after today");
    }
  }
  if (in.document_sha256.empty()) {
    violations.Add("document_sha256", ViolationReason::kRequired, "is required");
  } else if (in.document_sha256.size() != 32) {
    violations.Add("document_sha256", ViolationReason::kInvalidFormat, "must be exactly 32 bytes (SHA-256)");
  }
  CheckText(in.document_reference, "document_reference", false, kMaxDocumentReferenceLength, violations);
  if (!violations.empty() && !election_id_ok) return Error::Invalid(std::move(violations));

  // The voting day bounds the signing day, so the election is read first.
  auto election = elections_.Get(in.election_id);
  if (!election.ok()) {
    if (!violations.empty()) return Error::Invalid(std::move(violations));
    return election.error();
  }
  if (date_ok && election.value().voting_date && in.signed_date.civil() > election.value().voting_date->civil()) {
    violations.Add("signed_date", ViolationReason::kOutOfRange, "must not be after the election's voting day");
  }
  if (!violations.empty()) return Error::Invalid(std::move(violations));

  Pledge pledge = in;
  pledge.pledge_id = NewPledgeId();
  pledge.recorded_by = actor;
  pledge.record_time = now;
  // A retry must carry the same request; who sends it and when does not matter.
  const std::string fingerprint = Sha256(nlohmann::json{{"employee_id", in.employee_id},
                                                        {"election_id", in.election_id},
                                                        {"kind", static_cast<int>(in.kind)},
                                                        {"signed_date", in.signed_date.Iso()},
                                                        {"document_sha256", Hex(in.document_sha256)},
                                                        {"document_reference", in.document_reference}}
                                             .dump());
  return store_.RecordPledge(command.request_id, fingerprint, pledge);
}

Result<CoverageReport> Prevention::GetCoverage(const CoverageQuery& query) {
  Violations violations;
  bool election_id_ok = ValidElectionId(query.election_id, "election_id", violations);
  if (!query.region_code.empty() && ParseRegionCode(query.region_code, "region_code", violations)) {
    if (!regions_.Find(query.region_code)) violations.Add("region_code", ViolationReason::kNotFound, "is not a known region");
  }
  CheckCode(query.agency_code, "agency_code", violations);
  CheckCode(query.unit_code, "unit_code", violations);
  if (!query.unit_code.empty() && query.agency_code.empty()) {
    violations.Add("unit_code", ViolationReason::kInconsistent, "needs agency_code");
  }
  int group = static_cast<int>(query.group_by);
  if (group < 0 || group > static_cast<int>(CoverageGrouping::kUnit)) {
    violations.Add("group_by", ViolationReason::kOutOfRange, "unknown grouping");
  }
  // Unit codes are only unique within an agency.
  if (query.group_by == CoverageGrouping::kUnit && query.agency_code.empty()) {
    violations.Add("agency_code", ViolationReason::kRequired, "is required to group by unit");
  }
  int kind = static_cast<int>(query.kind);
  if (kind < 0 || kind > static_cast<int>(PledgeKind::kIntegrityPact)) {
    violations.Add("kind", ViolationReason::kOutOfRange, "unknown pledge kind");
  }
  CoverageFilter filter;
  filter.limit = PageSize(query.page_size, PageLimits{50, 1000}, "page_size", violations);
  const std::string scope = query.election_id + "|" + query.region_code + "|" + query.agency_code + "|" +
                            query.unit_code + "|" + std::to_string(group) + "|" + std::to_string(kind);
  auto after = DecodePageToken(query.page_token, "page_token", violations, scope);
  if (!election_id_ok) return Error::Invalid(std::move(violations));

  auto election = elections_.Get(query.election_id);
  if (!election.ok()) {
    if (!violations.empty()) return Error::Invalid(std::move(violations));
    return election.error();
  }
  // The election's scope bounds the employees counted; a filter outside it is a mistake.
  const std::string& scope_region = election.value().scope_region_code;
  filter.region_code = query.region_code;
  if (!scope_region.empty()) {
    if (query.region_code.empty() || Within(scope_region, query.region_code)) {
      filter.region_code = scope_region;
    } else if (!Within(query.region_code, scope_region)) {
      violations.Add("region_code", ViolationReason::kInconsistent, "is outside the election's scope");
    }
  }
  if (!violations.empty()) return Error::Invalid(std::move(violations));

  filter.election_id = query.election_id;
  filter.agency_code = query.agency_code;
  filter.unit_code = query.unit_code;
  filter.kind = query.kind;
  filter.group_by = query.group_by;
  // Provinces without a region filter, kab/kota below a province; employees
  // work in a kab/kota, so below one the kab/kota itself is the group.
  filter.region_key_length = filter.region_code.empty() ? 2 : 5;
  filter.after_key = after ? *after : std::string();
  const int page_size = filter.limit;
  filter.limit = page_size + 1;

  auto report = store_.Coverage(filter);
  if (!report.ok()) return report.error();
  CoverageReport out = std::move(report.value());
  auto ratio = [](Coverage& c) { c.ratio = c.employees ? static_cast<double>(c.pledged) / c.employees : 0; };
  ratio(out.total);
  if (static_cast<int>(out.groups.size()) > page_size) {
    out.groups.resize(page_size);
    out.next_page_token = EncodePageToken(out.groups.back().group_key, scope);
  }
  for (Coverage& c : out.groups) {
    ratio(c);
    if (query.group_by == CoverageGrouping::kRegion) {
      if (const Region* r = regions_.Find(c.group_key)) c.group_name = r->name;
    }
  }
  return out;
}

}  // namespace netra::registry

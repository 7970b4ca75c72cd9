// netractl import party-members FILE.csv (its flags: import_command.cc),
// party-matches list|resolve: the party-membership screening of RegistryService. No clear NIK leaves this
// machine: the file holds HMACs (`netractl hash-niks`), or --hash-with-key
// hashes its `nik` column here before anything is sent.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "tools/netractl/csv.h"
#include "tools/netractl/csv_import.h"
#include "tools/netractl/employee_csv.h"
#include "tools/netractl/netractl.h"
#include "tools/netractl/nik_hash.h"
#include "tools/netractl/stubs.h"

namespace netra::netractl {
namespace {

// Where each column of a party-member CSV sits (README: "CSV columns for
// `netractl import party-members`"); -1 when absent.
struct PartyCsvHeader {
  int nik_hmac = -1, nik = -1, party_code = -1, party_name = -1, region_code = -1, role = -1;
  std::vector<std::string> names;

  // `clear_niks`: the file must have a clear `nik` column (--hash-with-key);
  // otherwise a `nik_hmac` column, and a `nik` column is refused.
  static std::optional<PartyCsvHeader> Parse(const std::vector<std::string>& names, bool clear_niks,
                                             std::string* error) {
    PartyCsvHeader h;
    h.names = names;
    const std::map<std::string, int PartyCsvHeader::*> columns = {
        {"nik_hmac", &PartyCsvHeader::nik_hmac},       {"nik", &PartyCsvHeader::nik},
        {"party_code", &PartyCsvHeader::party_code},   {"party_name", &PartyCsvHeader::party_name},
        {"region_code", &PartyCsvHeader::region_code}, {"role", &PartyCsvHeader::role}};
    for (size_t i = 0; i < names.size(); ++i) {
      auto it = columns.find(names[i]);
      if (it == columns.end()) {
        *error = "unknown column \"" + names[i] + "\" in the header";
        return std::nullopt;
      }
      if (h.*(it->second) >= 0) {
        *error = "column \"" + names[i] + "\" appears twice in the header";
        return std::nullopt;
      }
      h.*(it->second) = static_cast<int>(i);
    }
    if (h.party_code < 0) {
      *error = "the header has no \"party_code\" column";
    } else if (clear_niks && (h.nik < 0 || h.nik_hmac >= 0)) {
      *error = "with --hash-with-key the header needs a \"nik\" column and no \"nik_hmac\" column";
    } else if (!clear_niks && h.nik >= 0) {
      *error = "the file has a clear \"nik\" column: hash it first (--hash-with-key KEY_FILE, or netractl hash-niks)";
    } else if (!clear_niks && h.nik_hmac < 0) {
      *error = "the header has no \"nik_hmac\" column";
    } else {
      return h;
    }
    return std::nullopt;
  }
};

std::optional<std::string> Unhex(std::string_view hex) {
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

// One data record as a PartyMemberRecord, or the client-side problems (each
// under its column; a clear NIK is never repeated).
Result<v1::PartyMemberRecord> ConvertRecord(const PartyCsvHeader& h, const std::vector<std::string>& fields,
                                            int64_t row_number, const NikHasher* hasher) {
  Violations v;
  v1::PartyMemberRecord record;
  record.set_row_number(row_number);
  if (fields.size() != h.names.size()) {
    v.Add("", ViolationReason::kInvalidFormat,
          "has " + std::to_string(fields.size()) + " fields, the header " + std::to_string(h.names.size()));
    return Error::Invalid(std::move(v));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].size() > tools::kMaxCsvFieldBytes || !tools::IsValidUtf8(fields[i])) {
      v.Add(h.names[i], ViolationReason::kInvalidFormat, "is not UTF-8 or is over 4 KiB");
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto get = [&](int index) { return index < 0 ? std::string() : fields[static_cast<size_t>(index)]; };
  if (hasher) {
    const std::string nik = get(h.nik);
    if (nik.empty()) v.Add("nik", ViolationReason::kRequired, "is required");
    else if (!tools::IsValidNik(nik)) v.Add("nik", ViolationReason::kInvalidFormat, "is not a valid NIK");
    else record.set_nik_hmac(hasher->Hash(nik));
  } else {
    const std::string hex = get(h.nik_hmac);
    auto bytes = Unhex(hex);
    if (hex.empty()) v.Add("nik_hmac", ViolationReason::kRequired, "is required");
    else if (!bytes) v.Add("nik_hmac", ViolationReason::kInvalidFormat, "must be hex (64 digits for HMAC-SHA256)");
    else record.set_nik_hmac(*bytes);  // its length is the server's check
  }
  record.set_party_code(get(h.party_code));
  record.set_party_name(get(h.party_name));
  record.set_region_code(get(h.region_code));
  const std::string role = absl::AsciiStrToLower(get(h.role));
  if (role == "member" || role == "anggota") record.set_role(v1::PARTY_ROLE_MEMBER);
  else if (role == "officer" || role == "pengurus") record.set_role(v1::PARTY_ROLE_OFFICER);
  else if (!role.empty()) v.Add("role", ViolationReason::kInvalidFormat, "must be member or officer (or empty)");
  if (!v.empty()) return Error::Invalid(std::move(v));
  return record;
}

struct PartyMatchFlags {
  std::string status, region, agency, party, page_token;
  int page_size = 0;
  bool all_pages = false;
  std::string match_id, resolution, statement_reference, statement_date, note, request_id;
  int64_t expected_version = 0;
};
int ListMatches(const Options& options, const PartyMatchFlags& c) {
  v1::ListPartyMembershipMatchesRequest request;
  static const std::map<std::string, v1::PartyMembershipMatchStatus> kStatus = {
      {"", v1::PARTY_MEMBERSHIP_MATCH_STATUS_UNSPECIFIED},
      {"open", v1::PARTY_MEMBERSHIP_MATCH_STATUS_OPEN},
      {"confirmed-member", v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER},
      {"identity-misuse", v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE}};
  request.set_status(kStatus.at(c.status));
  request.set_region_code(c.region);
  request.set_agency_code(c.agency);
  request.set_party_code(c.party);
  request.set_page_size(c.page_size);
  request.set_page_token(c.page_token);
  auto stub = RegistryStub(options);
  v1::ListPartyMembershipMatchesResponse all;
  while (true) {
    v1::ListPartyMembershipMatchesResponse response;
    auto context = Context(options);
    auto status = stub->ListPartyMembershipMatches(context.get(), request, &response);
    if (!status.ok() || !c.all_pages) return PrintReply(status, response);
    all.mutable_matches()->MergeFrom(response.matches());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  std::cout << ToJson(all);
  return 0;
}

int ResolveMatch(const Options& options, const PartyMatchFlags& c) {
  v1::ResolvePartyMembershipMatchRequest request;
  request.set_match_id(c.match_id);
  request.set_resolution(c.resolution == "confirmed-member" ? v1::PARTY_MEMBERSHIP_MATCH_STATUS_CONFIRMED_MEMBER
                                                            : v1::PARTY_MEMBERSHIP_MATCH_STATUS_IDENTITY_MISUSE);
  request.set_statement_reference(c.statement_reference);
  if (!c.statement_date.empty()) {
    int year = 0, month = 0, day = 0;
    char extra = 0;
    if (std::sscanf(c.statement_date.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &extra) != 3) {
      return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "--statement-date: must be YYYY-MM-DD");
    }
    request.mutable_statement_date()->set_year(year);
    request.mutable_statement_date()->set_month(month);
    request.mutable_statement_date()->set_day(day);
  }
  request.set_note(c.note);
  request.set_expected_version(c.expected_version);
  // The same resolution of the same match at the same version is the same request.
  request.set_request_id(!c.request_id.empty() ? c.request_id
                                               : "resolve-party-match:" + c.match_id + ":" + c.resolution + ":v" +
                                                     std::to_string(c.expected_version));
  v1::ResolvePartyMembershipMatchResponse response;
  auto context = Context(options);
  return PrintReply(RegistryStub(options)->ResolvePartyMembershipMatch(context.get(), request, &response), response);
}

}  // namespace

int ImportPartyMembers(const Options& options, const ImportOptions& import) {
  std::optional<NikHasher> hasher;
  if (!import.hash_with_key.empty()) {
    std::string error;
    auto key = NikHasher::LoadKey(import.hash_with_key, &error);
    if (!key) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "--hash-with-key: " + error);
    hasher.emplace(std::move(*key));
  }
  std::optional<PartyCsvHeader> header;
  auto stub = RegistryStub(options);
  CsvImportKind<v1::ImportPartyMembersRequest, v1::ImportPartyMembersResponse> kind;
  kind.name = "party-members";
  kind.parse_header = [&](const std::vector<std::string>& names, std::string* error) {
    header = PartyCsvHeader::Parse(names, hasher.has_value(), error);
    return header.has_value();
  };
  kind.add = [&](const std::vector<std::string>& fields, int64_t row_number, v1::ImportPartyMembersRequest& batch,
                 Violations* problems) {
    auto record = ConvertRecord(*header, fields, row_number, hasher ? &*hasher : nullptr);
    if (!record.ok()) {
      *problems = record.error().violations;
      return false;
    }
    *batch.add_records() = std::move(record.value());
    return true;
  };
  kind.records = [](const v1::ImportPartyMembersRequest& batch) { return batch.records_size(); };
  kind.open = [&](grpc::ClientContext* context, v1::ImportPartyMembersResponse* response) {
    return stub->ImportPartyMembers(context, response);
  };
  kind.received = [](const v1::ImportPartyMembersResponse& r) { return r.records_received(); };
  kind.rejected = [](const v1::ImportPartyMembersResponse& r) { return r.rejected(); };
  return RunCsvImport(options, import, kind);
}

void AddPartyCommands(CLI::App& app, Commands& commands) {
  auto shared = std::make_shared<PartyMatchFlags>();
  PartyMatchFlags& c = *shared;
  auto* matches = app.add_subcommand("party-matches", "Matches of party member lists with employees");
  matches->require_subcommand(1);
  auto* list = matches->add_subcommand("list", "Matches, oldest first");
  list->add_option("--status", c.status, "open, confirmed-member or identity-misuse")
      ->check(CLI::IsMember({"open", "confirmed-member", "identity-misuse"}));
  list->add_option("--region", c.region, "The employee's work region: province NN or kab/kota NN.NN");
  list->add_option("--agency", c.agency, "The employee's agency code");
  list->add_option("--party", c.party, "Party code");
  list->add_option("--page-size", c.page_size, "Matches per page");
  list->add_option("--page-token", c.page_token, "Token of the page to fetch");
  list->add_flag("--all", c.all_pages, "Fetch every page");

  auto* resolve = matches->add_subcommand("resolve", "Resolve an open match");
  resolve->add_option("match_id", c.match_id, "The match (pm-N)")->required();
  resolve->add_option("--as", c.resolution, "confirmed-member or identity-misuse")
      ->required()->check(CLI::IsMember({"confirmed-member", "identity-misuse"}));
  resolve->add_option("--statement-reference", c.statement_reference,
                      "identity-misuse: number of the employee's signed statement");
  resolve->add_option("--statement-date", c.statement_date, "identity-misuse: date of the statement, YYYY-MM-DD");
  resolve->add_option("--note", c.note, "Note of the resolution");
  resolve->add_option("--expected-version", c.expected_version, "The match's version as last read (0: no check)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  resolve->add_option("--request-id", c.request_id,
                      "Idempotency key (default: derived from the match, resolution and version)");
  commands.On(list, [shared](const Options& o) { return ListMatches(o, *shared); });
  commands.On(resolve, [shared](const Options& o) { return ResolveMatch(o, *shared); });
}

}  // namespace netra::netractl

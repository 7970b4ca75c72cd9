#include "services/complaint/complaint_json.h"

#include <sqlite3.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/sqlite.h"

namespace netra::complaint {
namespace {

using nlohmann::json;

std::string S(const json& j, const char* key) { return j.at(key).get<std::string>(); }

int64_t Us(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time AtUs(const json& j) { return absl::FromUnixMicros(j.get<int64_t>()); }

json OptionalTime(const std::optional<absl::Time>& t) { return t ? json(Us(*t)) : json(nullptr); }
std::optional<absl::Time> OptionalTimeOf(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return AtUs(j[key]);
}

std::string DayText(absl::CivilDay d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()), d.month(), d.day());
  return buf;
}
absl::CivilDay DayOf(const std::string& text) {
  int y = 0, m = 0, d = 0;
  std::sscanf(text.c_str(), "%d-%d-%d", &y, &m, &d);
  return absl::CivilDay(y, m, d);
}

json DeadlineJson(const std::optional<Deadline>& d) {
  if (!d) return nullptr;
  return {{"date", DayText(d->due_date)},
          {"due", Us(d->due_time)},
          {"zone", d->time_zone},
          {"days", d->rule.days},
          {"counting", static_cast<int>(d->rule.counting)}};
}
std::optional<Deadline> DeadlineOf(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  const json& d = j[key];
  return Deadline{DayOf(d["date"].get<std::string>()), AtUs(d["due"]), d["zone"].get<std::string>(),
                  DeadlineRule{d["days"].get<int>(), static_cast<DayCounting>(d["counting"].get<int>())}};
}

json EmployeeJson(const EmployeeRef& e) {
  return {{"id", e.employee_id},       {"type", e.employee_type},   {"name", e.name},
          {"agency_code", e.agency_code}, {"agency_name", e.agency_name}, {"unit", e.unit_name},
          {"position", e.position},    {"region", e.work_region_code}, {"ppk_code", e.ppk.code},
          {"ppk_name", e.ppk.name},    {"ppk_region", e.ppk.region_code}, {"version", e.registry_version}};
}
EmployeeRef EmployeeOf(const json& j) {
  EmployeeRef e;
  j.at("id").get_to(e.employee_id);
  j.at("type").get_to(e.employee_type);
  j.at("name").get_to(e.name);
  j.at("agency_code").get_to(e.agency_code);
  j.at("agency_name").get_to(e.agency_name);
  j.at("unit").get_to(e.unit_name);
  j.at("position").get_to(e.position);
  j.at("region").get_to(e.work_region_code);
  e.ppk = {S(j, "ppk_code"), S(j, "ppk_name"), S(j, "ppk_region")};
  j.at("version").get_to(e.registry_version);
  return e;
}

json ToJson(const Complaint& c) {
  json resolution = {{"status", static_cast<int>(c.subject_resolution.status)},
                     {"employee", c.subject_resolution.employee ? EmployeeJson(*c.subject_resolution.employee)
                                                                : json(nullptr)},
                     {"needs_review", c.subject_resolution.needs_review},
                     {"resolve_time", OptionalTime(c.subject_resolution.resolve_time)}};
  json candidates = json::array();
  for (const auto& candidate : c.subject_resolution.candidates) {
    candidates.push_back({{"employee", EmployeeJson(candidate.employee)}, {"score", candidate.score}});
  }
  resolution["candidates"] = std::move(candidates);
  json evidence = json::array();
  for (const Evidence& e : c.evidence) {
    evidence.push_back({{"id", e.evidence_id},
                        {"sha256", HexOf(e.sha256)},
                        {"size", e.size_bytes},
                        {"media_type", e.media_type},
                        {"file_name", e.file_name},
                        {"uploaded", Us(e.upload_time)}});
  }
  json missing = json::array();
  for (Requirement r : c.missing_requirements) missing.push_back(static_cast<int>(r));
  const Forwarding& f = c.forwarding;
  json out = {
      {"id", c.complaint_id},
      {"tracking_code", c.tracking_code},
      {"status", static_cast<int>(c.status)},
      {"channel", static_cast<int>(c.channel)},
      {"reporter",
       {{"kind", static_cast<int>(c.reporter.kind)},
        {"name", c.reporter.name},
        {"address", c.reporter.address},
        {"contact", c.reporter.contact},
        {"organization", c.reporter.organization},
        {"identity_hidden", c.reporter.identity_hidden},
        {"nik_on_file", c.reporter.nik_on_file}}},
      {"subject",
       {{"employee_number", c.subject.employee_number},
        {"name", c.subject.name},
        {"agency_name", c.subject.agency_name},
        {"region_code", c.subject.region_code},
        {"position", c.subject.position}}},
      {"resolution", std::move(resolution)},
      {"act",
       {{"election_id", c.act.election_id},
        {"violation_codes", c.act.violation_codes},
        {"occurred_time", OptionalTime(c.act.occurred_time)},
        {"known_time", OptionalTime(c.act.known_time)},
        {"region_code", c.act.region_code},
        {"place", c.act.place},
        {"description", c.act.description},
        {"source_urls", c.act.source_urls}}},
      {"evidence", std::move(evidence)},
      {"missing", std::move(missing)},
      {"late", c.late},
      {"deadlines",
       {{"report", DeadlineJson(c.deadlines.report)},
        {"completion", DeadlineJson(c.deadlines.completion)},
        {"initial_review", DeadlineJson(c.deadlines.initial_review)},
        {"handling", DeadlineJson(c.deadlines.handling)},
        {"handling_extended", c.deadlines.handling_extended}}},
      {"cluster",
       {{"id", c.cluster.cluster_id},
        {"primary", c.cluster.primary_complaint_id},
        {"members", c.cluster.member_count},
        {"is_primary", c.cluster.is_primary}}},
      {"forwarding",
       {{"status", static_cast<int>(f.status)},
        {"case_id", f.case_id},
        {"violation_codes", f.violation_codes},
        {"review_summary", f.review_summary},
        {"review_document_number", f.review_document_number},
        {"request_time", OptionalTime(f.request_time)},
        {"done_time", OptionalTime(f.done_time)},
        {"refuse_time", OptionalTime(f.refuse_time)},
        {"attempts", f.attempts},
        {"last_error", f.last_error}}},
      {"status_reason", c.status_reason},
      {"version", c.version},
      {"received", Us(c.received_time)},
      {"updated", Us(c.update_time)},
      {"head", c.history_head_sequence},
  };
  if (c.outcome) {
    const Outcome& o = *c.outcome;
    out["outcome"] = {{"case_id", o.case_id},
                      {"outcome", o.outcome},
                      {"level", o.level},
                      {"forms", o.forms},
                      {"decree_number", o.decree_number},
                      {"decree_date", {o.decree_date.year, o.decree_date.month, o.decree_date.day}},
                      {"decided_by", o.decided_by},
                      {"case_version", o.case_version},
                      {"recorded", Us(o.record_time)}};
  }
  return out;
}

std::string RawOfHex(const std::string& hex) {
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return raw;
}

Complaint FromJson(const json& j) {
  Complaint c;
  j.at("id").get_to(c.complaint_id);
  j.at("tracking_code").get_to(c.tracking_code);
  c.status = static_cast<Status>(j["status"].get<int>());
  c.channel = static_cast<IntakeChannel>(j["channel"].get<int>());
  const json& r = j["reporter"];
  c.reporter.kind = static_cast<ReporterKind>(r["kind"].get<int>());
  r.at("name").get_to(c.reporter.name);
  r.at("address").get_to(c.reporter.address);
  r.at("contact").get_to(c.reporter.contact);
  r.at("organization").get_to(c.reporter.organization);
  r.at("identity_hidden").get_to(c.reporter.identity_hidden);
  r.at("nik_on_file").get_to(c.reporter.nik_on_file);
  const json& s = j["subject"];
  c.subject = {S(s, "employee_number"), S(s, "name"), S(s, "agency_name"), S(s, "region_code"), S(s, "position")};
  const json& res = j["resolution"];
  c.subject_resolution.status = static_cast<ResolutionStatus>(res["status"].get<int>());
  if (!res["employee"].is_null()) c.subject_resolution.employee = EmployeeOf(res["employee"]);
  res.at("needs_review").get_to(c.subject_resolution.needs_review);
  c.subject_resolution.resolve_time = OptionalTimeOf(res, "resolve_time");
  for (const json& candidate : res["candidates"]) {
    c.subject_resolution.candidates.push_back({EmployeeOf(candidate["employee"]), candidate["score"].get<double>()});
  }
  const json& a = j["act"];
  a.at("election_id").get_to(c.act.election_id);
  c.act.violation_codes = a["violation_codes"].get<std::vector<std::string>>();
  c.act.occurred_time = OptionalTimeOf(a, "occurred_time");
  c.act.known_time = OptionalTimeOf(a, "known_time");
  a.at("region_code").get_to(c.act.region_code);
  a.at("place").get_to(c.act.place);
  a.at("description").get_to(c.act.description);
  c.act.source_urls = a["source_urls"].get<std::vector<std::string>>();
  for (const json& e : j["evidence"]) {
    c.evidence.push_back({S(e, "id"), RawOfHex(S(e, "sha256")), e["size"].get<int64_t>(), S(e, "media_type"), S(e, "file_name"),
                          AtUs(e["uploaded"])});
  }
  for (const json& m : j["missing"]) c.missing_requirements.push_back(static_cast<Requirement>(m.get<int>()));
  j.at("late").get_to(c.late);
  const json& d = j["deadlines"];
  c.deadlines.report = DeadlineOf(d, "report");
  c.deadlines.completion = DeadlineOf(d, "completion");
  c.deadlines.initial_review = DeadlineOf(d, "initial_review");
  c.deadlines.handling = DeadlineOf(d, "handling");
  d.at("handling_extended").get_to(c.deadlines.handling_extended);
  const json& cl = j["cluster"];
  c.cluster = {S(cl, "id"), S(cl, "primary"), cl["members"].get<int32_t>(), cl["is_primary"].get<bool>()};
  const json& f = j["forwarding"];
  c.forwarding.status = static_cast<ForwardingStatus>(f["status"].get<int>());
  f.at("case_id").get_to(c.forwarding.case_id);
  c.forwarding.violation_codes = f["violation_codes"].get<std::vector<std::string>>();
  f.at("review_summary").get_to(c.forwarding.review_summary);
  f.at("review_document_number").get_to(c.forwarding.review_document_number);
  c.forwarding.request_time = OptionalTimeOf(f, "request_time");
  c.forwarding.done_time = OptionalTimeOf(f, "done_time");
  c.forwarding.refuse_time = OptionalTimeOf(f, "refuse_time");
  f.at("attempts").get_to(c.forwarding.attempts);
  f.at("last_error").get_to(c.forwarding.last_error);
  if (j.contains("outcome")) {
    const json& o = j["outcome"];
    Outcome out;
    o.at("case_id").get_to(out.case_id);
    o.at("outcome").get_to(out.outcome);
    o.at("level").get_to(out.level);
    out.forms = o["forms"].get<std::vector<int>>();
    o.at("decree_number").get_to(out.decree_number);
    out.decree_date = {o["decree_date"][0].get<int>(), o["decree_date"][1].get<int>(), o["decree_date"][2].get<int>()};
    o.at("decided_by").get_to(out.decided_by);
    o.at("case_version").get_to(out.case_version);
    out.record_time = AtUs(o["recorded"]);
    c.outcome = std::move(out);
  }
  j.at("status_reason").get_to(c.status_reason);
  j.at("version").get_to(c.version);
  c.received_time = AtUs(j["received"]);
  c.update_time = AtUs(j["updated"]);
  j.at("head").get_to(c.history_head_sequence);
  return c;
}

template <class Fn>
auto Decoding(std::string_view what, Fn&& fn) {
  try {
    return fn();
  } catch (const json::exception& e) {
    throw SqliteError(SQLITE_CORRUPT, "malformed stored " + std::string(what) + ": " + e.what());
  }
}

}  // namespace

std::string EncodeComplaint(const Complaint& complaint) { return ToJson(complaint).dump(); }

Complaint DecodeComplaint(std::string_view body) {
  return Decoding("complaint", [&] { return FromJson(json::parse(body)); });
}

std::string EncodeAnswer(const RecordedAnswer& answer) {
  return EncodeAnswer(EncodeComplaint(answer.complaint), answer.complaint.status, answer.complaint.cluster,
                      answer.joined_existing_cluster);
}

std::string EncodeAnswer(std::string_view complaint_json, Status status, const ClusterInfo& cluster, bool joined) {
  const json cluster_json = {{"id", cluster.cluster_id},
                             {"primary", cluster.primary_complaint_id},
                             {"members", cluster.member_count},
                             {"is_primary", cluster.is_primary}};
  std::string out = R"({"joined":)";
  out += joined ? "true" : "false";
  out += R"(,"status":)";
  out += std::to_string(static_cast<int>(status));
  out += R"(,"cluster":)";
  out += cluster_json.dump();
  out += R"(,"complaint":)";
  out += complaint_json;
  out += '}';
  return out;
}

RecordedAnswer DecodeAnswer(std::string_view text) {
  return Decoding("answer", [&] {
    json j = json::parse(text);
    RecordedAnswer answer{FromJson(j["complaint"]), j["joined"].get<bool>()};
    // The answer's status and cluster; the complaint's own are a stored body's.
    if (j.contains("status")) answer.complaint.status = static_cast<Status>(j["status"].get<int>());
    if (j.contains("cluster")) {
      const json& cl = j["cluster"];
      answer.complaint.cluster = {S(cl, "id"), S(cl, "primary"), cl["members"].get<int32_t>(),
                                  cl["is_primary"].get<bool>()};
    }
    return answer;
  });
}

}  // namespace netra::complaint

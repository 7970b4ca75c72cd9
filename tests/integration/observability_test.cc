// What operators see: every service's /metrics after traffic, and deploy/prometheus
// plus deploy/grafana against a real Prometheus (Debian's `prometheus`) that
// scrapes a running stack. No dashboard panel or alert may rest on an empty or
// misspelled metric.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include "common/client.h"
#include "netra/v1/complaint.grpc.pb.h"
#include "netra/v1/registry.grpc.pb.h"
#include "netra/v1/sanction.grpc.pb.h"
#include "tests/integration/netra_stack.h"
#include "tests/integration/operator_traffic.h"
#include "tests/services/complaint/complaint_test_support.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr Service kServices[] = {Service::kRegistry, Service::kComplaint, Service::kSanction};

// ---------------------------------------------------------------------------------------------
// Exposition text

struct Sample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample of exactly `name` (e.g. "grpc_server_handled_total", "x_bucket").
std::vector<Sample> Samples(const std::string& text, const std::string& name) {
  static const std::regex kLabel(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  std::vector<Sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.compare(0, name.size(), name) != 0) continue;
    if (line.size() == name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) continue;
    Sample sample;
    auto close = line.find('}');
    if (line[name.size()] == '{' && close != std::string::npos) {
      std::string labels = line.substr(name.size() + 1, close - name.size() - 1);
      for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
        sample.labels[(*it)[1]] = (*it)[2];
      }
    }
    sample.value = std::stod(line.substr(line.rfind(' ') + 1));
    out.push_back(std::move(sample));
  }
  return out;
}

std::string Key(const std::map<std::string, std::string>& labels, std::initializer_list<const char*> names) {
  std::string key;
  for (const char* name : names) {
    auto it = labels.find(name);
    key += std::string(name) + "=" + (it == labels.end() ? "" : it->second) + ",";
  }
  return key;
}

namespace v1 = netra::v1;

// The go-grpc-prometheus families of one side ("server" or "client") add up per
// method: handled (all codes) == started == observed durations == +Inf bucket; buckets
// never decrease with le; the mean duration is positive and under the deadline; a
// unary call receives one message and sends at most one. Returns the methods seen
// ("grpc_service/grpc_method").
std::set<std::string> ExpectRedFamiliesAddUp(const std::string& text, const std::string& side) {
  const std::string prefix = "grpc_" + side + "_";
  auto key = [](const Sample& s) { return Key(s.labels, {"grpc_service", "grpc_method", "grpc_type"}); };
  std::map<std::string, double> started_by, handled_by, count_by, sum_by, inf_by, sent_by;
  std::set<std::string> methods;
  for (const auto& s : Samples(text, prefix + "started_total")) {
    started_by[key(s)] += s.value;
    methods.insert(s.labels.at("grpc_service") + "/" + s.labels.at("grpc_method"));
    EXPECT_TRUE(std::set<std::string>({"unary", "client_stream", "server_stream", "bidi_stream"})
                    .count(s.labels.at("grpc_type")))
        << s.labels.at("grpc_type");
  }
  for (const auto& s : Samples(text, prefix + "handled_total")) {
    EXPECT_TRUE(s.labels.count("grpc_code")) << "handled without grpc_code";
    handled_by[key(s)] += s.value;
  }
  for (const auto& s : Samples(text, prefix + "handling_seconds_count")) count_by[key(s)] += s.value;
  for (const auto& s : Samples(text, prefix + "handling_seconds_sum")) sum_by[key(s)] += s.value;
  std::map<std::string, std::vector<std::pair<double, double>>> by_le;
  for (const auto& s : Samples(text, prefix + "handling_seconds_bucket")) {
    double le = s.labels.at("le") == "+Inf" ? INFINITY : std::stod(s.labels.at("le"));
    by_le[key(s)].emplace_back(le, s.value);
    if (std::isinf(le)) inf_by[key(s)] = s.value;
  }
  for (const auto& [method, n] : started_by) {
    SCOPED_TRACE(side + " " + method);
    EXPECT_GT(n, 0);
    EXPECT_EQ(handled_by[method], n);
    EXPECT_EQ(count_by[method], n);
    EXPECT_EQ(inf_by[method], n);
    EXPECT_GT(sum_by[method], 0);
    EXPECT_LT(sum_by[method] / n, 20.0);
    auto& series = by_le[method];
    std::sort(series.begin(), series.end());
    EXPECT_EQ(series.size(), LatencyBuckets().size() + 1) << "sub-millisecond buckets up to 10 s, and +Inf";
    for (size_t i = 1; i < series.size(); ++i) EXPECT_LE(series[i - 1].second, series[i].second);
  }
  for (const auto& s : Samples(text, prefix + "msg_received_total")) {
    const bool unary = s.labels.at("grpc_type") == "unary";
    if (side == "client") {
      EXPECT_LE(s.value, started_by[key(s)]) << key(s);  // a unary or client stream answer
    } else if (unary) {
      EXPECT_EQ(s.value, started_by[key(s)]) << key(s);
    } else {
      EXPECT_GE(s.value, started_by[key(s)]) << key(s);  // the stream's messages
    }
  }
  for (const auto& s : Samples(text, prefix + "msg_sent_total")) {
    sent_by[key(s)] += s.value;
    if (s.labels.at("grpc_type") == "unary") {
      EXPECT_LE(s.value, started_by[key(s)]) << key(s);
    }
  }
  if (side == "client") {
    for (const auto& [method, n] : started_by) {
      EXPECT_EQ(sent_by[method], n) << method << ": every call sends its request";
    }
  }
  return methods;
}

// The label values of `name` under `label` (which every sample must carry).
std::set<std::string> LabelValues(const std::string& text, const std::string& name, const std::string& label) {
  std::set<std::string> values;
  for (const auto& s : Samples(text, name)) {
    EXPECT_TRUE(s.labels.count(label)) << name << " without " << label;
    if (s.labels.count(label)) values.insert(s.labels.at(label));
  }
  return values;
}

// After traffic each service exports the agreed families with values that add up
// (foundation_test checks the exact counts of one method; this checks every family on
// every service against what DriveOperatorTraffic did, and that no label carries personal data).
TEST(Metrics, EveryServiceExportsTheAgreedFamiliesWithPlausibleValues) {
  NetraStack stack;
  ASSERT_TRUE(StartObservedStack(stack));
  ASSERT_NO_FATAL_FAILURE(DriveOperatorTraffic(stack, 6));
  const std::map<Service, std::string> kCaches = {
      {Service::kRegistry, "employee"}, {Service::kComplaint, "complaint_status"}, {Service::kSanction, "catalog"}};
  // The peers each service calls, and a method of each it must have called.
  const std::map<Service, std::set<std::string>> kPeerCalls = {
      {Service::kRegistry, {}},
      {Service::kComplaint, {"netra.v1.SanctionService/OpenCase", "netra.v1.RegistryService/GetElection"}},
      {Service::kSanction, {"netra.v1.ComplaintService/RecordOutcome", "netra.v1.RegistryService/SetDisciplinaryStatus"}}};
  const std::regex kPersonalNumber(R"(="[^"]*[0-9]{16})");
  const std::regex kProvince(R"(\d\d|unknown)");

  // Gauges read from the store show the end state once refreshed: the complaint service
  // refreshes every 15 s, the sanction service at every sweeper pass.
  auto open_total = [](const std::string& text, const char* name) {
    double total = 0;
    for (const auto& s : Samples(text, name)) total += s.value;
    return total;
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string text = stack.metrics(Service::kComplaint);
        return open_total(text, "netra_complaints_open") == 3 &&
               MetricValue(text, "netra_complaints_open", {{"status", "forwarded"}}) == 1.0;
      },
      20s, 200ms))
      << "one forwarded, two public reports; the decided one is closed\n"
      << stack.metrics(Service::kComplaint);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return MetricValue(stack.metrics(Service::kSanction), "netra_cases_open", {{"status", "recommended"}}) == 1.0;
      },
      5s, 50ms))
      << stack.metrics(Service::kSanction);

  for (Service service : kServices) {
    SCOPED_TRACE(NetraStack::Name(service));
    std::string text = stack.metrics(service);

    ASSERT_FALSE(Samples(text, "grpc_server_started_total").empty()) << text;
    ExpectRedFamiliesAddUp(text, "server");
    EXPECT_FALSE(Samples(text, "grpc_server_msg_sent_total").empty());
    std::set<std::string> called = ExpectRedFamiliesAddUp(text, "client");
    for (const auto& method : kPeerCalls.at(service)) {
      EXPECT_TRUE(called.count(method)) << method;
    }
    if (kPeerCalls.at(service).empty()) {
      EXPECT_TRUE(called.empty());
    }
    for (const auto& s : Samples(text, "grpc_client_handled_total")) {
      EXPECT_TRUE(s.labels.at("grpc_code") == "OK" || s.labels.at("grpc_code") == "NotFound")
          << "a peer refused " << s.labels.at("grpc_method") << ": " << s.labels.at("grpc_code");
    }

    // Every call came from an identity the access policy allows: none refused. (Until a first
    // refusal netra_authz_denied_total has no series, and prometheus-cpp exports no such family.)
    EXPECT_TRUE(Samples(text, "netra_authz_denied_total").empty()) << text;

    auto build = Samples(text, "netra_build_info");
    ASSERT_EQ(build.size(), 1u);
    EXPECT_EQ(build[0].labels["service"], "netra-" + NetraStack::Name(service));
    EXPECT_TRUE(std::regex_match(build[0].labels["version"], std::regex(R"(\d+\.\d+\.\d+.*)")));
    EXPECT_EQ(build[0].value, 1);

    EXPECT_EQ(MetricValue(text, "netra_redis_up"), 1.0);
    EXPECT_EQ(MetricValue(text, "netra_redis_errors_total"), 0.0);
    EXPECT_GT(MetricValue(text, "netra_redis_command_seconds_count").value_or(0), 0) << "the health check pings";

    std::set<std::string> results;
    for (const auto& s : Samples(text, "netra_cache_requests_total")) {
      if (s.labels.at("cache") == kCaches.at(service)) results.insert(s.labels.at("result"));
      EXPECT_GE(s.value, 0);
    }
    EXPECT_EQ(results, (std::set<std::string>{"error", "hit", "miss"}));

    std::set<std::string> ops;
    for (const auto& s : Samples(text, "netra_store_seconds_count")) ops.insert(s.labels.at("op"));
    EXPECT_EQ(ops, (std::set<std::string>{"begin", "commit", "delete", "insert", "other", "select", "update"}));
    EXPECT_GT(MetricValue(text, "netra_store_seconds_count", {{"op", "commit"}}).value_or(0), 0)
        << "migrations at start commit";
    // One name for both backends, told apart by `backend` (this stack runs on SQLite); every
    // error kind is exported from the start, so the alerts' rate() has a series to work on.
    for (const auto& s : Samples(text, "netra_store_seconds_count")) EXPECT_EQ(s.labels.at("backend"), "sqlite");
    std::set<std::string> kinds;
    for (const auto& s : Samples(text, "netra_store_errors_total")) {
      EXPECT_EQ(s.labels.at("backend"), "sqlite");
      kinds.insert(s.labels.at("kind"));
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"conflict", "constraint", "other", "unavailable"}));
    EXPECT_EQ(MetricValue(text, "netra_store_errors_total", {{"kind", "unavailable"}}), 0.0);

    // Labels stop at the province: a 2-digit code or "unknown".
    for (const char* name : {"netra_complaints_received_total", "netra_complaints_open", "netra_complaint_clusters_total",
                             "netra_cases_open", "netra_recommendations_overdue", "netra_escalations_total"}) {
      for (const auto& province : LabelValues(text, name, "province")) {
        EXPECT_TRUE(std::regex_match(province, kProvince)) << name << ": " << province;
      }
    }
    // Privacy: no label value holds a 16- or 18-digit number (NIK, NIP).
    EXPECT_FALSE(std::regex_search(text, kPersonalNumber)) << text;
  }

  std::string registry = stack.metrics(Service::kRegistry);
  for (const char* result : {"inserted", "updated", "unchanged", "rejected"}) {
    EXPECT_EQ(MetricValue(registry, "netra_import_rows_total", {{"result", result}}), 0.0) << result;
  }

  // Complaints: two forwarded ("discipline"), a burst of three public reports of another
  // act ("ethics") of which two were taken, the second into the first's cluster.
  std::string complaint = stack.metrics(Service::kComplaint);
  auto received = [&](const char* category) {
    return MetricValue(complaint, "netra_complaints_received_total", {{"province", "33"}, {"category", category}});
  };
  EXPECT_EQ(received("discipline"), 2.0);
  EXPECT_EQ(received("ethics"), 2.0);
  EXPECT_EQ(MetricValue(complaint, "netra_complaint_clusters_total", {{"province", "33"}}), 3.0);
  EXPECT_EQ(MetricValue(complaint, "netra_intake_rate_limited_total", {{"limit", "contact"}}), 1.0);
  const std::set<std::string> kComplaintStatuses = {"received",     "incomplete", "completed", "registered",
                                                    "under_review", "forwarded"};
  for (const auto& s : Samples(complaint, "netra_complaints_open")) {
    EXPECT_TRUE(kComplaintStatuses.count(s.labels.at("status"))) << s.labels.at("status");
  }
  // Each forwarded complaint left received (or completed), registered and under_review;
  // the decided one left forwarded. All within the test's minute: the first bucket.
  double left = 0;
  for (const auto& s : Samples(complaint, "netra_stage_seconds_count")) {
    EXPECT_EQ(s.labels.at("lifecycle"), "complaint");
    EXPECT_TRUE(kComplaintStatuses.count(s.labels.at("stage"))) << s.labels.at("stage");
    left += s.value;
  }
  EXPECT_EQ(left, 7.0);
  EXPECT_EQ(MetricValue(complaint, "netra_stage_seconds_count", {{"stage", "under_review"}}), 2.0);
  EXPECT_EQ(MetricValue(complaint, "netra_stage_seconds_bucket", {{"stage", "under_review"}, {"le", "60"}}), 2.0);
  EXPECT_GE(MetricValue(complaint, "netra_outbox_deliveries_total", {{"result", "delivered"}}).value_or(0), 2.0);

  // Cases, on the sanction service restarted ahead: one recommended and overdue, escalated
  // through every step; one decided there (it left "recommended").
  std::string sanction = stack.metrics(Service::kSanction);
  EXPECT_EQ(MetricValue(sanction, "netra_cases_open", {{"province", "33"}, {"status", "recommended"}}), 1.0) << sanction;
  EXPECT_EQ(MetricValue(sanction, "netra_recommendations_overdue", {{"province", "33"}}), 1.0);
  for (const char* step : {"warning", "reprimand", "data_block"}) {
    EXPECT_EQ(MetricValue(sanction, "netra_escalations_total", {{"province", "33"}, {"step", step}}), 1.0) << step;
  }
  EXPECT_EQ(LabelValues(sanction, "netra_stage_seconds_count", "lifecycle"), std::set<std::string>{"case"});
  EXPECT_EQ(MetricValue(sanction, "netra_stage_seconds_count", {{"stage", "recommended"}}), 1.0);
  EXPECT_EQ(MetricValue(sanction, "netra_sweeper_leader"), 1.0);
  EXPECT_GT(MetricValue(sanction, "netra_sweeper_pass_seconds_count").value_or(0), 0);
  EXPECT_GE(MetricValue(sanction, "netra_outbox_deliveries_total", {{"result", "delivered"}}).value_or(0), 1.0);
}

// ---------------------------------------------------------------------------------------------
// A real Prometheus

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Debian's prometheus with deploy/prometheus/prometheus.yml and alerts.yml, scrape and
// evaluation intervals shortened to 1 s, targets written as the stack writes them.
class PrometheusServer {
 public:
  explicit PrometheusServer(NetraStack& stack) : port_(FreeLoopbackPort()) {
    std::string config = ReadFile(NETRA_SOURCE_DIR "/deploy/prometheus/prometheus.yml");
    for (auto [from, to] : {std::pair{"scrape_interval: 15s", "scrape_interval: 1s"},
                            std::pair{"scrape_timeout: 10s", "scrape_timeout: 1s"},
                            std::pair{"evaluation_interval: 15s", "evaluation_interval: 1s"}}) {
      auto at = config.find(from);
      EXPECT_NE(at, std::string::npos) << "prometheus.yml no longer says " << from;
      if (at != std::string::npos) config.replace(at, std::strlen(from), to);
    }
    std::ofstream(dir_.File("prometheus.yml")) << config;
    std::ofstream(dir_.File("alerts.yml")) << ReadFile(NETRA_SOURCE_DIR "/deploy/prometheus/alerts.yml");
    std::filesystem::create_directory(dir_.File("targets"));
    for (Service service : kServices) {
      Json targets = Json::array(
          {Json{{"targets", Json::array({"127.0.0.1:" + std::to_string(stack.metrics_port(service))})},
                {"labels", {{"deployment", "test"}}}}});
      std::ofstream(dir_.File("targets/" + NetraStack::Name(service) + ".json")) << targets.dump();
    }
    process_ = std::make_unique<Subprocess>(
        std::vector<std::string>{"prometheus", "--config.file=" + dir_.File("prometheus.yml"),
                                 "--storage.tsdb.path=" + dir_.File("data"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
        dir_.File("prometheus.log"));
  }

  bool WaitReady() {
    if (!process_->started()) return false;
    return WaitUntil([&] { return process_->Running() && HttpGet(port_, "/-/ready") != ""; }, 30s, 100ms);
  }
  std::string log() const { return ReadFile(dir_.File("prometheus.log")); }

  // GET /api/v1/<path>; the `data` member, or null (with *http_status) on failure.
  Json Api(const std::string& path, int* http_status = nullptr) {
    int status = 0;
    std::string body = HttpGet(port_, "/api/v1/" + path, &status, 5000ms);
    if (http_status) *http_status = status;
    if (body.empty()) return nullptr;
    Json json = Json::parse(body, nullptr, false);
    return json.is_object() && json.value("status", "") == "success" ? json["data"] : Json();
  }
  // Instant query: the result vector (empty when no data), or null when the query failed.
  Json Query(const std::string& expr, int* http_status = nullptr) {
    Json data = Api("query?query=" + UrlEncode(expr), http_status);
    return data.is_object() ? data["result"] : Json();
  }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

// ---------------------------------------------------------------------------------------------
// Expressions of the dashboards and rules

struct Expression {
  std::string where;  // "netra-services.json: Calls per second" or "alert NetraServiceDown"
  std::string promql;
};

// Grafana's variables as the dashboards use them, replaced by what "All" and a
// short range mean, so that the query can be sent to Prometheus as is.
std::string Substitute(std::string expr) {
  for (auto [from, to] : {std::pair{"$__rate_interval", "1m"}, std::pair{"$__range", "1m"},
                          std::pair{"$province", ".*"}, std::pair{"$job", ".*"}}) {
    for (auto at = expr.find(from); at != std::string::npos; at = expr.find(from)) expr.replace(at, std::strlen(from), to);
  }
  return expr;
}

std::vector<Expression> DashboardExpressions() {
  std::vector<Expression> out;
  for (const auto& entry : std::filesystem::directory_iterator(NETRA_SOURCE_DIR "/deploy/grafana/dashboards")) {
    std::string file = entry.path().filename().string();
    Json dashboard = Json::parse(ReadFile(entry.path().string()), nullptr, false);
    EXPECT_TRUE(dashboard.is_object()) << file << " is not JSON";
    if (!dashboard.is_object()) continue;
    std::function<void(const Json&)> walk = [&](const Json& panels) {
      for (const auto& panel : panels) {
        if (panel.contains("panels")) walk(panel["panels"]);
        for (const auto& target : panel.value("targets", Json::array())) {
          out.push_back({file + ": " + panel.value("title", "?"), Substitute(target.value("expr", ""))});
        }
      }
    };
    walk(dashboard["panels"]);
    // Variables: label_values(METRIC, LABEL) must list something.
    static const std::regex kLabelValues(R"(label_values\((\w+),\s*(\w+)\))");
    for (const auto& variable : dashboard["templating"]["list"]) {
      std::smatch m;
      std::string query = variable.value("definition", "");
      if (std::regex_match(query, m, kLabelValues)) {
        out.push_back({file + ": variable $" + variable.value("name", ""), "count by (" + m[2].str() + ") (" + m[1].str() + ")"});
      }
    }
  }
  return out;
}

// The vector selectors of a PromQL expression (metric name with its matchers),
// e.g. `rate(x{a="b"}[5m]) / sum by (c) (y)` -> {`x{a="b"}`, `y`}.
std::vector<std::pair<std::string, std::string>> Selectors(const std::string& expr) {
  static const std::set<std::string> kKeywords = {"and", "or", "unless", "offset", "bool", "inf", "nan"};
  static const std::set<std::string> kGroupings = {"by", "without", "on", "ignoring", "group_left", "group_right"};
  std::vector<std::pair<std::string, std::string>> out;
  auto skip_to = [&](size_t i, char open, char close) {
    int depth = 0;
    for (; i < expr.size(); ++i) {
      if (expr[i] == '"') i = expr.find('"', i + 1);
      if (i == std::string::npos) return expr.size();
      if (expr[i] == open) ++depth;
      if (expr[i] == close && --depth == 0) return i + 1;
    }
    return i;
  };
  auto next_char = [&](size_t i) {
    while (i < expr.size() && std::isspace(static_cast<unsigned char>(expr[i]))) ++i;
    return i;
  };
  for (size_t i = 0; i < expr.size();) {
    char c = expr[i];
    if (c == '"') {
      i = expr.find('"', i + 1) + 1;
      if (i == 0) break;
    } else if (c == '[') {
      i = skip_to(i, '[', ']');
    } else if (c == '{') {  // a selector without a name
      i = skip_to(i, '{', '}');
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '.')) ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      size_t start = i;
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '_' || expr[i] == ':')) ++i;
      std::string word = expr.substr(start, i - start);
      size_t next = next_char(i);
      auto followed_by = [&](const char* keyword) {
        size_t n = std::strlen(keyword);
        return expr.compare(next, n, keyword) == 0 && next + n < expr.size() &&
               (expr[next + n] == '(' || std::isspace(static_cast<unsigned char>(expr[next + n])));
      };
      if (kGroupings.count(word)) {
        if (next < expr.size() && expr[next] == '(') i = skip_to(next, '(', ')');
      } else if ((next < expr.size() && expr[next] == '(') || followed_by("by") || followed_by("without")) {
        // a function, or an aggregation (`sum by (job) (...)`)
      } else if (!kKeywords.count(word)) {
        std::string matchers;
        if (next < expr.size() && expr[next] == '{') {
          i = skip_to(next, '{', '}');
          matchers = expr.substr(next, i - next);
        }
        out.emplace_back(word, word + matchers);
      }
    } else {
      ++i;
    }
  }
  return out;
}

// `selector` with each regex matcher (label=~"...") relaxed to "the label is set": a
// selector of failures (grpc_code=~"Internal|...") has no data while all is well, but
// its metric and labels must exist.
std::string RelaxRegexMatchers(const std::string& selector) {
  static const std::regex kRegexMatcher(R"re((\w+)\s*=~\s*"(?:[^"\\]|\\.)*")re");
  return std::regex_replace(selector, kRegexMatcher, "$1!=\"\"");
}

class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(StartObservedStack(stack_));
    prometheus_ = std::make_unique<PrometheusServer>(stack_);
    ASSERT_TRUE(prometheus_->WaitReady()) << "is Debian's prometheus installed (tools/install-deps)? log:\n"
                                          << prometheus_->log();
  }

  NetraStack stack_;
  std::unique_ptr<PrometheusServer> prometheus_;
};

// The configuration finds every service through its targets file, under the job
// names the rules and dashboards use.
TEST_F(PrometheusTest, ScrapesEveryServiceUnderItsJob) {
  std::set<std::string> up;
  ASSERT_TRUE(WaitUntil(
      [&] {
        up.clear();
        Json targets = prometheus_->Api("targets?state=active");
        if (!targets.is_object()) return false;
        for (const auto& target : targets["activeTargets"]) {
          if (target.value("health", "") == "up") up.insert(target["labels"].value("job", ""));
        }
        return up.size() == 3;
      },
      20s, 200ms));
  EXPECT_EQ(up, (std::set<std::string>{"netra-registry", "netra-complaint", "netra-sanction"}));
  Json build = prometheus_->Query("netra_build_info{deployment=\"test\"}");
  ASSERT_TRUE(build.is_array());
  EXPECT_EQ(build.size(), 3u) << build.dump();
}

// Every panel query and every alert expression parses; every panel query returns
// data; every metric an alert uses has data after traffic. Alert expressions are
// usually empty (nothing is wrong), so for them each selector is checked instead.
TEST_F(PrometheusTest, EveryDashboardQueryAndAlertExpressionHasData) {
  ASSERT_NO_FATAL_FAILURE(DriveOperatorTraffic(stack_, 10));
  // Rules: loaded from alerts.yml, and each evaluated without error.
  std::vector<Expression> alerts;
  ASSERT_TRUE(WaitUntil(
      [&] {
        alerts.clear();
        Json rules = prometheus_->Api("rules");
        if (!rules.is_object()) return false;
        bool all_evaluated = true;
        for (const auto& group : rules["groups"]) {
          for (const auto& rule : group["rules"]) {
            alerts.push_back({"alert " + rule.value("name", ""), rule.value("query", "")});
            all_evaluated = all_evaluated && rule.value("health", "") != "unknown";
            EXPECT_NE(rule.value("health", ""), "err") << rule.value("name", "") << ": " << rule.value("lastError", "");
          }
        }
        return all_evaluated && !alerts.empty();
      },
      20s, 200ms));
  std::vector<Expression> panels = DashboardExpressions();
  ASSERT_GT(panels.size(), 30u);

  auto has_data = [&](const std::string& promql, int* status) {
    Json result = prometheus_->Query(promql, status);
    return result.is_array() && !result.empty();
  };
  // Rates need two scrapes after the traffic, and the open complaints gauge is refreshed
  // from the store every 15 s: poll until everything has data.
  std::vector<std::string> missing;
  auto check = [&] {
    missing.clear();
    for (const auto& e : panels) {
      int status = 0;
      if (!has_data(e.promql, &status)) {
        missing.push_back(e.where + " (HTTP " + std::to_string(status) + "): " + e.promql);
      }
    }
    for (const auto& e : alerts) {
      int status = 0;
      (void)prometheus_->Query(e.promql, &status);
      if (status != 200) missing.push_back(e.where + " does not run (HTTP " + std::to_string(status) + ")");
      for (const auto& [name, selector] : Selectors(e.promql)) {
        if (!has_data("count(" + selector + ")", &status) &&
            !has_data("count(" + RelaxRegexMatchers(selector) + ")", &status)) {
          missing.push_back(e.where + ": no data for " + selector);
        }
      }
    }
    return missing.empty();
  };
  bool ok = WaitUntil(check, 30s, 500ms);
  EXPECT_TRUE(ok) << [&] {
    std::string text;
    for (const auto& m : missing) text += "  " + m + "\n";
    return "without data:\n" + text;
  }();
}

}  // namespace
}  // namespace netra::testing

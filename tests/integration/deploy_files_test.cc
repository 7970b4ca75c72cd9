// The container and cluster files (Dockerfile, deploy/compose.yaml, deploy/k8s/,
// deploy/prometheus, deploy/grafana) checked as far as no container engine is
// needed: they parse, every NETRA_* variable they set is one the binary they
// run accepts (asked from its --help), probes use the gRPC health protocol, and
// what they promise (headless services, non-root, the NIK key from a Secret) is there.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/integration/netra_stack.h"

namespace netra::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
namespace fs = std::filesystem;

const std::string kDeploy = NETRA_SOURCE_DIR "/deploy";

// Output of a program run to completion (stdout and stderr), and its exit code.
std::pair<int, std::string> RunProgram(std::vector<std::string> argv) {
  TempDir dir;
  Subprocess process(std::move(argv), dir.File("out"));
  auto status = process.Wait(20s);
  if (!status) process.Kill();
  return {status.value_or(-1), ReadFile(dir.File("out"))};
}

// Every YAML file under deploy/ (by path relative to it), each as the list of its
// documents in JSON, parsed once by Debian's python3-yaml (safe_load: anchors and
// merge keys resolved as Compose and Kubernetes resolve them).
const Json& DeployYaml() {
  static const Json files = [] {
    auto [status, out] = RunProgram({"python3", "-c",
                                     "import glob, json, os, sys, yaml\n"
                                     "root = sys.argv[1]\n"
                                     "files = {}\n"
                                     "for ext in ('yml', 'yaml'):\n"
                                     "    for path in glob.glob(root + '/**/*.' + ext, recursive=True):\n"
                                     "        with open(path, encoding='utf-8') as f:\n"
                                     "            files[os.path.relpath(path, root)] = list(yaml.safe_load_all(f))\n"
                                     "print(json.dumps(files))",
                                     kDeploy});
    EXPECT_EQ(status, 0) << out;
    Json json = Json::parse(out, nullptr, false);
    EXPECT_TRUE(json.is_object()) << out;
    return json.is_object() ? json : Json::object();
  }();
  return files;
}

Json LoadYaml(const std::string& relative_path) {
  const Json& files = DeployYaml();
  EXPECT_TRUE(files.contains(relative_path)) << relative_path;
  return files.contains(relative_path) ? files[relative_path] : Json::array();
}

// The NETRA_* variables a binary reads, as its --help lists them.
const std::set<std::string>& Accepted(const std::string& binary) {
  static std::map<std::string, std::set<std::string>> cache;
  auto& vars = cache[binary];
  if (vars.empty()) {
    auto [status, out] = RunProgram({std::string(NETRA_BINARY_DIR) + "/" + binary, "--help"});
    EXPECT_EQ(status, 0) << binary << " --help: " << out;
    static const std::regex kVar("NETRA_[A-Z0-9_]+");
    for (std::sregex_iterator it(out.begin(), out.end(), kVar), end; it != end; ++it) vars.insert(it->str());
  }
  return vars;
}

const std::vector<std::string> kServiceBinaries = {"netra-registry", "netra-complaint", "netra-sanction"};

void ExpectAccepted(const std::string& where, const std::string& binary, const std::set<std::string>& vars) {
  EXPECT_TRUE(std::count(kServiceBinaries.begin(), kServiceBinaries.end(), binary)) << where << " runs " << binary;
  EXPECT_FALSE(vars.empty()) << where << " sets no NETRA_* variable";
  for (const auto& var : vars) {
    EXPECT_TRUE(Accepted(binary).count(var)) << where << " sets " << var << ", which " << binary << " does not read";
  }
}

std::set<std::string> NetraKeys(const Json& object) {
  std::set<std::string> keys;
  if (object.is_object()) {
    for (const auto& [key, value] : object.items()) {
      if (key.rfind("NETRA_", 0) == 0) keys.insert(key);
    }
  }
  return keys;
}

TEST(DeployFiles, EveryYamlAndJsonFileParses) {
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kDeploy)) {
    std::string path = entry.path().string(), ext = entry.path().extension().string();
    if (ext == ".yml" || ext == ".yaml") {
      EXPECT_FALSE(LoadYaml(fs::relative(entry.path(), kDeploy).string()).empty()) << path;
      ++files;
    } else if (ext == ".json") {
      // The access policy carries comments, as its reader (common/access_policy.h) allows; the rest is plain JSON.
      const bool comments = entry.path().filename() == "access-policy.json";
      EXPECT_FALSE(Json::parse(ReadFile(path), nullptr, false, comments).is_discarded()) << path;
      ++files;
    }
  }
  EXPECT_GE(files, 20);
}

TEST(DeployFiles, TheImageIsDebianNonRootWithAGrpcHealthCheck) {
  std::string dockerfile = ReadFile(NETRA_SOURCE_DIR "/Dockerfile");
  ASSERT_FALSE(dockerfile.empty());
  std::vector<std::string> from;
  std::set<std::string> env;
  std::string user, healthcheck;
  std::istringstream in(std::regex_replace(dockerfile, std::regex("\\\\\n"), " "));  // join continued lines
  static const std::regex kEnvVar(R"((NETRA_[A-Z0-9_]+)=)");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("FROM ", 0) == 0) from.push_back(line.substr(5));
    if (line.rfind("USER ", 0) == 0) user = line.substr(5);
    if (line.rfind("HEALTHCHECK ", 0) == 0) healthcheck = line;
    if (line.rfind("ENV ", 0) == 0) {
      for (std::sregex_iterator it(line.begin(), line.end(), kEnvVar), end; it != end; ++it) env.insert((*it)[1]);
    }
  }
  ASSERT_EQ(from.size(), 2u) << "multi-stage: build, runtime";
  EXPECT_EQ(from[0].rfind("debian:12 ", 0), 0u) << from[0];
  EXPECT_EQ(from[1].rfind("debian:12", 0), 0u) << from[1];
  EXPECT_NE(dockerfile.find("RUN tools/install-deps"), std::string::npos) << "the build stage installs what CI installs";
  EXPECT_FALSE(user.empty());
  EXPECT_NE(user, "root");
  EXPECT_NE(user, "0");
  EXPECT_NE(healthcheck.find("\"netractl\""), std::string::npos) << healthcheck;
  EXPECT_NE(healthcheck.find("\"health\", \"--address\""), std::string::npos) << healthcheck;
  // The image's defaults reach every service it runs.
  for (const auto& binary : kServiceBinaries) ExpectAccepted("Dockerfile ENV", binary, env);
}

// `netractl health --address` (the image's health check) asks one server over grpc.health.v1.
TEST(DeployFiles, NetractlHealthChecksOneServer) {
  NetraStack stack;
  ASSERT_TRUE(stack.Start(Service::kRegistry));
  std::string netractl = std::string(NETRA_BINARY_DIR) + "/netractl";
  std::vector<std::string> argv = {netractl};
  for (const auto& flag : stack.ToolTlsFlags()) argv.push_back(flag);
  argv.insert(argv.end(), {"health", "--address", stack.address(Service::kRegistry)});
  auto [status, out] = RunProgram(argv);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(R"("server": "SERVING")"), std::string::npos) << out;
  auto [down_status, down_out] =
      RunProgram({netractl, "--timeout-ms", "500", "--plaintext-for-development", "health", "--address",
                  "127.0.0.1:" + std::to_string(FreeLoopbackPort())});
  EXPECT_EQ(down_status, 1) << down_out;
  EXPECT_NE(down_out.find("UNREACHABLE"), std::string::npos) << down_out;
}

TEST(DeployFiles, ComposeSetsOnlyVariablesItsServicesRead) {
  Json compose = LoadYaml("compose.yaml").at(0);
  int netra_services = 0;
  for (const auto& [name, service] : compose["services"].items()) {
    if (!service.contains("command") || service["command"][0].get<std::string>().rfind("netra-", 0) != 0) continue;
    ++netra_services;
    std::string binary = service["command"][0];
    ExpectAccepted("compose service " + name, binary, NetraKeys(service["environment"]));
    EXPECT_EQ(service.value("image", ""), compose["services"]["registry"].value("image", "")) << "one image";
  }
  EXPECT_EQ(netra_services, 3);
  // The NIK key, and the reporter key, reach the services that read them as secret files.
  for (const auto& [variable, secret] : {std::pair{"NETRA_NIK_KEY_FILE", "nik_key"}, {"NETRA_REPORTER_KEY_FILE", "reporter_key"}}) {
    for (const auto& [name, service] : compose["services"].items()) {
      if (!service.contains("environment") || !service["environment"].contains(variable)) continue;
      EXPECT_EQ(service["environment"][variable], std::string("/run/secrets/") + secret) << name;
      EXPECT_NE(service["secrets"].dump().find(std::string("\"") + secret + "\""), std::string::npos) << name;
    }
  }
  EXPECT_TRUE(compose["services"]["registry"]["environment"].contains("NETRA_NIK_KEY_FILE"));
  EXPECT_TRUE(compose["services"]["complaint"]["environment"].contains("NETRA_REPORTER_KEY_FILE"));
  EXPECT_FALSE(compose["services"]["registry"]["environment"].contains("NETRA_REPORTER_KEY_FILE"));
  // Prometheus gets deploy/prometheus, whose targets name the compose services on the image's metrics port.
  for (const auto& service : {"registry", "complaint", "sanction"}) {
    Json targets = Json::parse(ReadFile(kDeploy + "/prometheus/targets/" + service + ".json"), nullptr, false);
    ASSERT_TRUE(targets.is_array()) << service;
    EXPECT_EQ(targets[0]["targets"], Json::array({std::string(service) + ":9400"}));
  }
}

TEST(DeployFiles, KubernetesDeploymentsProbeHealthOverTlsAndReadTheirConfigFromEnvAndSecrets) {
  std::vector<Json> docs;
  Json kustomization = LoadYaml("k8s/kustomization.yaml").at(0);
  for (const auto& file : kustomization["resources"]) {
    for (const auto& doc : LoadYaml("k8s/" + file.get<std::string>())) docs.push_back(doc);
  }
  std::map<std::string, Json> config_maps;
  for (const auto& doc : docs) {
    if (doc["kind"] == "ConfigMap") config_maps[doc["metadata"]["name"].get<std::string>()] = doc["data"];
  }
  int deployments = 0, headless = 0;
  for (const auto& doc : docs) {
    if (doc["kind"] == "Service" && doc["metadata"]["name"].get<std::string>() != "netra-redis") {
      EXPECT_EQ(doc["spec"].value("clusterIP", ""), "None") << doc["metadata"]["name"] << ": headless, for client-side balancing";
      ++headless;
    }
    if (doc["kind"] != "Deployment") continue;
    const Json& pod = doc["spec"]["template"]["spec"];
    for (const auto& container : pod["containers"]) {
      if (!container.contains("command")) continue;  // redis
      ++deployments;
      std::string binary = container["command"][0], where = "k8s " + doc["metadata"]["name"].get<std::string>();
      std::set<std::string> vars;
      for (const auto& env : container.value("env", Json::array())) {
        std::string name = env["name"];
        if (name.rfind("NETRA_", 0) == 0) vars.insert(name);
      }
      for (const auto& from : container.value("envFrom", Json::array())) {
        std::string config_map = from["configMapRef"]["name"];
        ASSERT_TRUE(config_maps.count(config_map)) << where;
        for (const auto& key : NetraKeys(config_maps[config_map])) vars.insert(key);
      }
      ExpectAccepted(where, binary, vars);
      // grpc.health.v1 through netractl, which presents the pod's own certificate
      // (NETRA_TLS_* of the container): kubelet's gRPC probe speaks plaintext only.
      for (const char* probe : {"startupProbe", "readinessProbe", "livenessProbe"}) {
        const Json& command = container[probe]["exec"]["command"];
        ASSERT_TRUE(command.is_array()) << where << " " << probe;
        EXPECT_EQ(command[0], "netractl") << where << " " << probe;
        EXPECT_NE(command.dump().find("\"health\",\"--address\",\"127.0.0.1:50051\""), std::string::npos)
            << where << " " << probe << ": " << command.dump();
      }
      for (const char* tls : {"NETRA_TLS_CERT", "NETRA_TLS_KEY", "NETRA_TLS_CA"}) {
        EXPECT_TRUE(vars.count(tls)) << where << " lacks " << tls;
      }
      bool tls_secret = false;
      for (const auto& volume : pod["volumes"]) {
        tls_secret |= volume.contains("secret") && volume["secret"]["secretName"] == doc["metadata"]["name"].get<std::string>() + "-tls";
      }
      EXPECT_TRUE(tls_secret) << where << ": its certificate from the Secret " << doc["metadata"]["name"] << "-tls";
      EXPECT_TRUE(container["resources"]["requests"].contains("cpu")) << where;
      EXPECT_TRUE(container["resources"]["requests"].contains("memory")) << where;
      EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true) << where;
      EXPECT_TRUE(doc["spec"]["template"]["metadata"]["annotations"].contains("prometheus.io/scrape")) << where;
      // The registry (and any service that hashes NIKs) reads the NIK key, the complaint
      // service its reporter key, each from a read-only Secret mount.
      for (const char* variable : {"NETRA_NIK_KEY_FILE", "NETRA_REPORTER_KEY_FILE"}) {
        std::string key_file;
        for (const auto& env : container["env"]) {
          if (env["name"] == variable) key_file = env["value"].get<std::string>();
        }
        if (binary == "netra-registry" && std::string(variable) == "NETRA_NIK_KEY_FILE") {
          EXPECT_FALSE(key_file.empty()) << where;
        }
        if (binary == "netra-complaint" && std::string(variable) == "NETRA_REPORTER_KEY_FILE") {
          EXPECT_FALSE(key_file.empty()) << where;
        }
        if (key_file.empty()) continue;
        bool from_secret = false;
        for (const auto& mount : container["volumeMounts"]) {
          if (key_file.rfind(mount["mountPath"].get<std::string>() + "/", 0) != 0) continue;
          for (const auto& volume : pod["volumes"]) {
            if (volume["name"] == mount["name"] && volume.contains("secret")) from_secret = mount.value("readOnly", false);
          }
        }
        EXPECT_TRUE(from_secret) << variable << "=" << key_file << " is not in a read-only Secret mount";
      }
    }
  }
  EXPECT_EQ(deployments, 3);
  EXPECT_EQ(headless, 3);
}

TEST(DeployFiles, GrafanaProvisioningMatchesTheDashboards) {
  Json datasources = LoadYaml("grafana/provisioning/datasources/netra.yml").at(0);
  std::string uid = datasources["datasources"][0]["uid"];
  Json provider = LoadYaml("grafana/provisioning/dashboards/netra.yml").at(0);
  EXPECT_EQ(provider["providers"][0]["options"]["path"], "/var/lib/grafana/dashboards/netra");
  int panels = 0;
  std::set<std::string> uids;
  for (const auto& entry : fs::directory_iterator(kDeploy + "/grafana/dashboards")) {
    Json dashboard = Json::parse(ReadFile(entry.path().string()));
    EXPECT_TRUE(uids.insert(dashboard["uid"].get<std::string>()).second) << entry.path();
    for (const auto& panel : dashboard["panels"]) {
      if (panel["type"] == "row") continue;
      ++panels;
      EXPECT_EQ(panel["datasource"]["uid"], uid) << entry.path() << ": " << panel["title"];
      EXPECT_FALSE(panel["targets"].empty()) << panel["title"];
    }
  }
  EXPECT_EQ(uids, (std::set<std::string>{"netra-cases", "netra-dependencies", "netra-services"}));
  EXPECT_GT(panels, 30);
}

}  // namespace
}  // namespace netra::testing

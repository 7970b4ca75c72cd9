// The container and cluster files (Dockerfile, deploy/compose.yaml, deploy/k8s/,
// deploy/prometheus, deploy/grafana) checked as far as no container engine is
// needed: they parse, every NETRA_* variable they set is one the binary they
// run accepts (asked from its --help), probes use the gRPC health protocol, and
// what they promise (headless services, non-root, the NIK key from a Secret) is there.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
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
  // The NIK key, the reporter key and the statistics key reach the services that read them as secret files.
  for (const auto& [variable, secret] : {std::pair{"NETRA_NIK_KEY_FILE", "nik_key"},
                                         {"NETRA_REPORTER_KEY_FILE", "reporter_key"},
                                         {"NETRA_STATS_KEY_FILE", "stats_key"}}) {
    for (const auto& [name, service] : compose["services"].items()) {
      if (!service.contains("environment") || !service["environment"].contains(variable)) continue;
      EXPECT_EQ(service["environment"][variable], std::string("/run/secrets/") + secret) << name;
      EXPECT_NE(service["secrets"].dump().find(std::string("\"") + secret + "\""), std::string::npos) << name;
    }
  }
  // Redis with ACLs on; each service its own user, its password a secret file; no reflection.
  EXPECT_NE(compose["services"]["redis"]["command"].dump().find("\"--aclfile\""), std::string::npos);
  for (const std::string service : {"registry", "complaint", "sanction"}) {
    const Json& environment = compose["services"][service]["environment"];
    EXPECT_EQ(environment.value("NETRA_REDIS", "").rfind("redis://netra-" + service + "@", 0), 0u) << service;
    EXPECT_EQ(environment.value("NETRA_REDIS_PASSWORD_FILE", ""), "/run/secrets/redis_" + service) << service;
    EXPECT_NE(compose["services"][service]["secrets"].dump().find("\"redis_" + service + "\""), std::string::npos);
    EXPECT_FALSE(environment.contains("NETRA_REFLECTION")) << service;
  }
  EXPECT_TRUE(compose["services"]["registry"]["environment"].contains("NETRA_NIK_KEY_FILE"));
  EXPECT_TRUE(compose["services"]["complaint"]["environment"].contains("NETRA_REPORTER_KEY_FILE"));
  EXPECT_TRUE(compose["services"]["complaint"]["environment"].contains("NETRA_STATS_KEY_FILE"));
  EXPECT_FALSE(compose["services"]["registry"]["environment"].contains("NETRA_REPORTER_KEY_FILE"));
  // compose.postgresql.yaml: the same services on PostgreSQL, each its own role and database, its
  // password file copied (mode 0600, for libpq) by store-passwords into a volume it mounts read-only.
  Json postgres = LoadYaml("compose.postgresql.yaml").at(0);
  EXPECT_EQ(postgres["services"]["postgres"]["volumes"][0], "./k8s/postgres-init:/docker-entrypoint-initdb.d:ro");
  for (const std::string service : {"registry", "complaint", "sanction"}) {
    const Json& environment = postgres["services"][service]["environment"];
    std::set<std::string> vars = NetraKeys(environment);
    ExpectAccepted("compose.postgresql.yaml " + service, "netra-" + service, vars);
    EXPECT_EQ(environment.value("NETRA_STORE", "").rfind("postgresql://netra_" + service + "@postgres:5432/netra_" + service, 0), 0u);
    EXPECT_EQ(environment.value("NETRA_STORE_PASSWORD_FILE", ""), "/run/netra/postgres/" + service);
    EXPECT_EQ(postgres["services"][service]["volumes"], Json::array({"store-passwords:/run/netra/postgres:ro"}));
    EXPECT_NE(postgres["services"]["store-passwords"]["command"].dump().find("install -o 10001 -g 10001 -m 0600"),
              std::string::npos);
  }
  // Prometheus gets deploy/prometheus, whose targets name the compose services on the image's metrics port.
  for (const auto& service : {"registry", "complaint", "sanction"}) {
    Json targets = Json::parse(ReadFile(kDeploy + "/prometheus/targets/" + service + ".json"), nullptr, false);
    ASSERT_TRUE(targets.is_array()) << service;
    EXPECT_EQ(targets[0]["targets"], Json::array({std::string(service) + ":9400"}));
  }
}

// Every document kustomization.yaml applies.
std::vector<Json> KubernetesDocs() {
  std::vector<Json> docs;
  Json kustomization = LoadYaml("k8s/kustomization.yaml").at(0);
  for (const auto& file : kustomization["resources"]) {
    for (const auto& doc : LoadYaml("k8s/" + file.get<std::string>())) docs.push_back(doc);
  }
  return docs;
}

// True when `file` (an env value) lies in a read-only mount of a Secret volume.
bool InReadOnlySecret(const Json& pod, const Json& container, const std::string& file) {
  for (const auto& mount : container["volumeMounts"]) {
    if (file.rfind(mount["mountPath"].get<std::string>() + "/", 0) != 0) continue;
    for (const auto& volume : pod["volumes"]) {
      if (volume["name"] == mount["name"] && volume.contains("secret")) return mount.value("readOnly", false);
    }
  }
  return false;
}

TEST(DeployFiles, KubernetesDeploymentsProbeHealthOverTlsAndReadTheirConfigFromEnvAndSecrets) {
  std::vector<Json> docs = KubernetesDocs();
  std::map<std::string, Json> config_maps;
  for (const auto& doc : docs) {
    if (doc["kind"] == "ConfigMap") config_maps[doc["metadata"]["name"].get<std::string>()] = doc["data"];
  }
  int deployments = 0, headless = 0, public_services = 0;
  for (const auto& doc : docs) {
    const std::string name = doc["metadata"]["name"].get<std::string>();
    if (doc["kind"] == "Service" && name.ends_with("-public")) {
      // Public intake, for the edge proxy: the public listener's port alone, never the internal API.
      ASSERT_EQ(doc["spec"]["ports"].size(), 1u) << name;
      EXPECT_EQ(doc["spec"]["ports"][0]["targetPort"], "public") << name;
      ++public_services;
    } else if (doc["kind"] == "Service" && name != "netra-redis" && name != "netra-postgres") {
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
      // service its reporter key, each service its Redis password, each from a read-only Secret mount.
      std::map<std::string, std::string> env;
      for (const auto& e : container["env"]) env[e["name"].get<std::string>()] = e.value("value", "");
      if (binary == "netra-registry") {
        EXPECT_TRUE(env.count("NETRA_NIK_KEY_FILE")) << where;
      }
      if (binary == "netra-complaint") {
        EXPECT_TRUE(env.count("NETRA_REPORTER_KEY_FILE")) << where;
        EXPECT_TRUE(env.count("NETRA_STATS_KEY_FILE")) << where;
      }
      // Each service is its own Redis user, its password in a Secret (deploy/redis/users.acl.in).
      EXPECT_EQ(env["NETRA_REDIS"].rfind("redis://" + binary + "@", 0), 0u) << where << ": " << env["NETRA_REDIS"];
      EXPECT_TRUE(env.count("NETRA_REDIS_PASSWORD_FILE")) << where;
      for (const char* file :
           {"NETRA_NIK_KEY_FILE", "NETRA_REPORTER_KEY_FILE", "NETRA_STATS_KEY_FILE", "NETRA_REDIS_PASSWORD_FILE"}) {
        if (env.count(file) == 0) continue;
        EXPECT_TRUE(InReadOnlySecret(pod, container, env[file])) << where << ": " << file << "=" << env[file]
                                                                  << " is not in a read-only Secret mount";
      }
      EXPECT_FALSE(vars.count("NETRA_REFLECTION")) << where << ": reflection is for development";

      // PostgreSQL: its own role and database, the password file from its own Secret,
      // copied (mode 0600, as libpq wants) by an init container into a memory volume.
      const std::string service = binary.substr(std::strlen("netra-"));
      EXPECT_EQ(env["NETRA_STORE"].rfind("postgresql://netra_" + service + "@netra-postgres:5432/netra_" + service, 0), 0u)
          << where << ": " << env["NETRA_STORE"];
      const std::string passfile = env["NETRA_STORE_PASSWORD_FILE"];
      ASSERT_EQ(pod["initContainers"].size(), 1u) << where;
      const Json& copier = pod["initContainers"][0];
      EXPECT_TRUE(InReadOnlySecret(pod, copier, copier["command"][3])) << where << ": " << copier["command"].dump();
      EXPECT_EQ(copier["command"][4], passfile) << where;
      std::string secret, password_volume;
      for (const auto& volume : pod["volumes"]) {
        if (volume.contains("secret") && volume["secret"]["secretName"] == "netra-postgres-" + service) {
          secret = volume["name"];
        }
        if (volume.contains("emptyDir") && volume["emptyDir"].value("medium", "") == "Memory") {
          password_volume = volume["name"];
        }
        EXPECT_FALSE(volume.contains("persistentVolumeClaim")) << where << ": replicas on several nodes share no volume";
      }
      EXPECT_NE(copier["volumeMounts"].dump().find("\"" + secret + "\""), std::string::npos) << where;
      bool mounted = false;
      for (const auto& mount : container["volumeMounts"]) {
        mounted |= mount["name"] == password_volume && passfile.rfind(mount["mountPath"].get<std::string>() + "/", 0) == 0 &&
                   mount.value("readOnly", false);
      }
      EXPECT_TRUE(mounted) << where << ": " << passfile << " is not in the memory volume the init container fills";
      // Replicas spread: never two on one node (no longer pinned together for a shared SQLite file).
      const Json& affinity = pod["affinity"];
      EXPECT_FALSE(affinity.contains("podAffinity")) << where;
      const Json& spread = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
      ASSERT_EQ(spread.size(), 1u) << where;
      EXPECT_EQ(spread[0]["topologyKey"], "kubernetes.io/hostname") << where;
      EXPECT_EQ(spread[0]["labelSelector"]["matchLabels"]["app.kubernetes.io/name"], doc["metadata"]["name"]) << where;
      EXPECT_GT(doc["spec"]["replicas"].get<int>(), 1) << where;
    }
  }
  EXPECT_EQ(deployments, 3);
  EXPECT_EQ(headless, 3);
  EXPECT_EQ(public_services, 1);
}

// A NetworkPolicy peer or target as a name: the pod's app.kubernetes.io/name,
// "dns", or "namespace:<role>" for the namespaces let in by their label.
std::string PeerName(const Json& peer) {
  if (peer.contains("namespaceSelector")) {
    const Json& labels = peer["namespaceSelector"].value("matchLabels", Json::object());
    if (labels.value("kubernetes.io/metadata.name", "") == "kube-system") return "dns";
    return "namespace:" + labels.value("netra.example/role", "?");
  }
  return peer["podSelector"]["matchLabels"].value("app.kubernetes.io/name", "?");
}

// Whether a policy's podSelector selects the pods named `pod`.
bool Selects(const Json& selector, const std::string& pod) {
  if (selector.value("matchLabels", Json::object()).value("app.kubernetes.io/name", pod) != pod) return false;
  for (const auto& expression : selector.value("matchExpressions", Json::array())) {
    const auto& values = expression["values"];
    if (std::find(values.begin(), values.end(), pod) == values.end()) return false;
  }
  return true;
}

// deploy/k8s/network-policies.yaml: everything denied, then exactly the flows
// the services need (their peers as their Deployments name them, Redis, DNS,
// agencies, the public intake, Prometheus), on ports their pods declare.
TEST(DeployFiles, KubernetesNetworkPoliciesAllowOnlyTheFlowsTheServicesNeed) {
  std::map<std::string, std::set<std::string>> pod_ports;  // pod -> its container ports' names
  std::map<std::string, std::map<std::string, std::string>> pod_env;
  std::vector<Json> policies;
  for (const auto& doc : KubernetesDocs()) {
    if (doc["kind"] == "NetworkPolicy") policies.push_back(doc);
    if (doc["kind"] != "Deployment" && doc["kind"] != "StatefulSet") continue;
    const std::string pod = doc["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"];
    for (const auto& container : doc["spec"]["template"]["spec"]["containers"]) {
      for (const auto& port : container.value("ports", Json::array())) {
        pod_ports[pod].insert(port["name"].get<std::string>());
      }
      for (const auto& env : container.value("env", Json::array())) {
        pod_env[pod][env["name"].get<std::string>()] = env.value("value", "");
      }
    }
  }
  ASSERT_EQ(pod_ports.size(), 5u);  // the three services, Redis, PostgreSQL

  bool default_deny = false;
  std::set<std::string> ingress, egress;  // "from -> to:port"
  for (const auto& policy : policies) {
    const Json& spec = policy["spec"];
    const Json types = spec.value("policyTypes", Json::array());
    if (spec["podSelector"].empty() && !spec.contains("ingress") && !spec.contains("egress")) {
      default_deny |= types == Json::array({"Ingress", "Egress"});
    }
    for (const auto& [pod, ports] : pod_ports) {
      if (!Selects(spec["podSelector"], pod)) continue;
      for (const auto& rule : spec.value("ingress", Json::array())) {
        for (const auto& peer : rule["from"]) {
          for (const auto& port : rule["ports"]) {
            const std::string name = port["port"].is_string() ? port["port"].get<std::string>() : "?";
            ingress.insert(PeerName(peer) + " -> " + pod + ":" + name);
            // The public listener's port is added with the public intake; until then its rule is idle.
            if (name != "public") {
              EXPECT_TRUE(ports.count(name)) << policy["metadata"]["name"] << ": " << pod << " has no port " << name;
            }
          }
        }
      }
      for (const auto& rule : spec.value("egress", Json::array())) {
        for (const auto& peer : rule["to"]) {
          for (const auto& port : rule["ports"]) {
            const std::string target = PeerName(peer);
            const std::string name = port["port"].is_string() ? port["port"].get<std::string>() : port["port"].dump();
            if (target != "dns") {
              EXPECT_TRUE(pod_ports[target].count(name)) << target << " has no port " << name;
            }
            egress.insert(pod + " -> " + target + ":" + name);
          }
        }
      }
    }
  }
  EXPECT_TRUE(default_deny) << "no policy denies all ingress and egress by default";

  std::set<std::string> want_ingress, want_egress;
  for (const std::string service : {"registry", "complaint", "sanction"}) {
    const std::string pod = "netra-" + service;
    want_ingress.insert("namespace:agency-gateway -> " + pod + ":grpc");
    want_ingress.insert("namespace:monitoring -> " + pod + ":metrics");
    want_ingress.insert(pod + " -> netra-redis:redis");
    want_egress.insert(pod + " -> netra-redis:redis");
    want_ingress.insert(pod + " -> netra-postgres:postgres");
    want_egress.insert(pod + " -> netra-postgres:postgres");
    // The peers its Deployment names (NETRA_REGISTRY=netra-registry:50051, ...).
    for (const std::string peer : {"registry", "complaint", "sanction"}) {
      std::string var = "NETRA_" + peer;
      std::transform(var.begin(), var.end(), var.begin(), ::toupper);
      if (pod_env[pod].count(var) == 0) continue;
      want_ingress.insert(pod + " -> netra-" + peer + ":grpc");
      want_egress.insert(pod + " -> netra-" + peer + ":grpc");
    }
  }
  want_ingress.insert("namespace:public-ingress -> netra-complaint:public");
  for (const auto& [pod, ports] : pod_ports) want_egress.insert({pod + " -> dns:53"});
  EXPECT_EQ(ingress, want_ingress);
  EXPECT_EQ(egress, want_egress);
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

// netra-sanction: the violation catalog, and cases from forwarding to the
// staffing authority's (PPK's) decision.
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/server.h"
#include "services/sanction/sanction_handler.h"
#include "services/sanction/sanction_store.h"
#include "services/sanction/sanctions.h"

int main(int argc, char** argv) {
  using namespace netra;
  const ServiceDefinition definition{"sanction", 50053, 9453, {Peer::kRegistry, Peer::kComplaint}};
  return RunService(argc, argv, definition, sanction::kMigrations,
                    [](const ServiceEnvironment& env, ServiceParts& parts, std::string* error) {
                      std::string path = env.config.data_dir + "/violation_catalog.json";
                      std::ifstream file(path);
                      if (!file) {
                        *error = "cannot read " + path;
                        return false;
                      }
                      std::stringstream json;
                      json << file.rdbuf();
                      auto* store = parts.Keep(std::make_unique<sanction::SanctionStore>(env.store));
                      auto* cache = parts.Keep(std::make_unique<Cache>(env.redis, "catalog", env.metrics.registry()));
                      auto* sanctions = parts.Keep(std::make_unique<sanction::Sanctions>(*store, *cache));
                      auto version = sanctions->LoadCatalog(json.str());
                      if (!version.ok()) {
                        *error = path + ": " + version.error().message;
                        for (const auto& v : version.error().violations.list()) *error += "; " + v.field + ": " + v.description;
                        return false;
                      }
                      log::Info("violation catalog loaded", {{"version", version.value()}});
                      parts.Serve(parts.Keep(std::make_unique<sanction::SanctionHandler>(*sanctions)));
                      return true;
                    });
}

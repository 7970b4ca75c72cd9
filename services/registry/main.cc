// netra-registry: employees, agencies, regions, elections, pledges and
// party-membership screening.
#include "common/server.h"
#include "common/sqlite.h"
#include "services/registry/registry.h"
#include "services/registry/registry_handler.h"
#include "services/registry/registry_store.h"

int main(int argc, char** argv) {
  const netra::ServiceDefinition definition{"registry", 50051, 9451, {}};
  return netra::RunService(
      argc, argv, definition, netra::registry::kMigrations,
      [](const netra::ServiceEnvironment& env, netra::ServiceParts& parts, std::string* error) {
        auto regions = netra::RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
        if (!regions) return false;
        auto* directory = parts.Keep(std::make_unique<netra::RegionDirectory>(std::move(*regions)));
        auto* registry = parts.Keep(std::make_unique<netra::registry::Registry>(*directory));
        parts.Serve(parts.Keep(std::make_unique<netra::registry::RegistryHandler>(*registry)));
        return true;
      });
}

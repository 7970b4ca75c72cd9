// netra-registry: employees, agencies, regions, elections, pledges and
// party-membership screening.
#include "common/server.h"
#include "common/sqlite.h"
#include "services/registry/election_store.h"
#include "services/registry/elections.h"
#include "services/registry/employee_cache.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/party_screening.h"
#include "services/registry/party_screening_store.h"
#include "services/registry/prevention.h"
#include "services/registry/prevention_store.h"
#include "services/registry/registry.h"
#include "services/registry/registry_handler.h"
#include "services/registry/registry_store.h"

int main(int argc, char** argv) {
  netra::ServiceDefinition definition{"registry", 50051, 9451, {}};
  definition.needs_nik_key = true;
  return netra::RunService(
      argc, argv, definition, netra::registry::kMigrations,
      [](const netra::ServiceEnvironment& env, netra::ServiceParts& parts, std::string* error) {
        auto regions = netra::RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
        if (!regions) return false;
        auto* directory = parts.Keep(std::make_unique<netra::RegionDirectory>(std::move(*regions)));
        auto* registry = parts.Keep(std::make_unique<netra::registry::Registry>(*directory));
        auto* election_store = parts.Keep(std::make_unique<netra::registry::ElectionStore>(env.store));
        auto* elections = parts.Keep(std::make_unique<netra::registry::Elections>(*election_store, *directory));
        auto* nik_hasher = parts.Keep(std::make_unique<netra::NikHasher>(env.config.nik_key));
        auto* employee_store = parts.Keep(std::make_unique<netra::registry::EmployeeStore>(env.store));
        auto* employee_cache =
            parts.Keep(std::make_unique<netra::registry::EmployeeCache>(env.redis, env.metrics.registry()));
        auto* employees = parts.Keep(std::make_unique<netra::registry::EmployeeDirectory>(
            *employee_store, *employee_cache, *directory, *nik_hasher));
        try {
          employees->RecoverBulkLoad();  // before serving: an import cut off by a crash
        } catch (const netra::StoreError& e) {
          *error = std::string("finishing an interrupted bulk load of employees: ") + e.what();
          return false;
        }
        auto* prevention_store = parts.Keep(std::make_unique<netra::registry::PreventionStore>(env.store));
        auto* prevention = parts.Keep(
            std::make_unique<netra::registry::Prevention>(*prevention_store, *elections, *directory));
        auto* party_store = parts.Keep(std::make_unique<netra::registry::PartyScreeningStore>(env.store));
        auto* party_screening = parts.Keep(
            std::make_unique<netra::registry::PartyScreening>(*party_store, *employees, *directory));
        parts.Serve(parts.Keep(std::make_unique<netra::registry::RegistryHandler>(
            *registry, *elections, *employees, *prevention, *party_screening, *nik_hasher,
            env.metrics.registry())));
        return true;
      });
}

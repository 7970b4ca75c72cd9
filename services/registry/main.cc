// netra-registry: employees, agencies, regions, elections, pledges and
// party-membership screening. The registry calls no peer: it is the one the
// others call.
#include "common/access_log.h"
#include "common/server.h"
#include "common/store.h"
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

namespace {

using namespace netra;

bool Setup(const ServiceEnvironment& env, ServiceParts& parts, std::string* error) {
  auto& metrics = env.metrics.registry();
  auto regions = RegionDirectory::Load(env.config.data_dir + "/regions.csv", error);
  if (!regions) return false;
  auto* directory = parts.Keep(std::make_unique<RegionDirectory>(std::move(*regions)));
  auto* nik_hasher = parts.Keep(std::make_unique<NikHasher>(env.config.nik_key));

  auto* region_listing = parts.Keep(std::make_unique<registry::Registry>(*directory));
  auto* election_store = parts.Keep(std::make_unique<registry::ElectionStore>(env.store));
  auto* elections = parts.Keep(std::make_unique<registry::Elections>(*election_store, *directory));
  auto* employee_store = parts.Keep(std::make_unique<registry::EmployeeStore>(env.store));
  auto* employee_cache = parts.Keep(std::make_unique<registry::EmployeeCache>(env.redis, metrics));
  auto* employees = parts.Keep(
      std::make_unique<registry::EmployeeDirectory>(*employee_store, *employee_cache, *directory, *nik_hasher));
  try {
    employees->RecoverBulkLoad();  // before serving: an import cut off by a crash
  } catch (const StoreError& e) {
    *error = std::string("finishing an interrupted bulk load of employees: ") + e.what();
    return false;
  }
  auto* prevention_store = parts.Keep(std::make_unique<registry::PreventionStore>(env.store));
  auto* prevention = parts.Keep(std::make_unique<registry::Prevention>(*prevention_store, *elections, *directory));
  auto* party_store = parts.Keep(std::make_unique<registry::PartyScreeningStore>(env.store));
  auto* party_screening =
      parts.Keep(std::make_unique<registry::PartyScreening>(*party_store, *employees, *directory));

  auto* access_log = parts.Keep(std::make_unique<AccessLog>(env.store, metrics));
  parts.Serve(parts.Keep(std::make_unique<registry::RegistryHandler>(
      *region_listing, *elections, *employees, *prevention, *party_screening, *nik_hasher, *access_log, metrics)));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  ServiceDefinition definition{"registry", 50051, 9451, {}};
  definition.needs_nik_key = true;
  return RunService(argc, argv, definition, registry::kMigrations, Setup);
}

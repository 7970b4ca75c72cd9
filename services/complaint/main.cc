// netra-complaint: reports of partisan acts, evidence, and Bawaslu's handling
// up to forwarding.
#include "common/server.h"
#include "services/complaint/complaint_handler.h"
#include "services/complaint/complaint_store.h"
#include "services/complaint/complaints.h"

int main(int argc, char** argv) {
  using namespace netra;
  const ServiceDefinition definition{"complaint", 50052, 9452, {Peer::kRegistry, Peer::kSanction}};
  return RunService(argc, argv, definition, complaint::kMigrations,
                    [](const ServiceEnvironment& env, ServiceParts& parts, std::string*) {
                      auto* store = parts.Keep(std::make_unique<complaint::ComplaintStore>(env.store));
                      auto* cache =
                          parts.Keep(std::make_unique<Cache>(env.redis, "complaint_status", env.metrics.registry()));
                      auto* complaints = parts.Keep(std::make_unique<complaint::Complaints>(*store, *cache));
                      parts.Serve(parts.Keep(std::make_unique<complaint::ComplaintHandler>(*complaints)));
                      return true;
                    });
}

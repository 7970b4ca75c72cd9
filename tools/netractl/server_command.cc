// netractl health|reflect: whether the servers serve, and what they expose.
//
//   netractl health --wait 30                 -> {"registry": "SERVING", ...}; exit 1 unless all serve
//   netractl health --address HOST:PORT       -> one server only (a container's health check)
//   netractl reflect                          -> the gRPC services each server lists by reflection
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "common/client.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {
namespace {

using namespace std::chrono_literals;

struct HealthFlags {
  int wait_seconds = 0;
  std::string address;  // only the server at this address, reported as "server"
};

int Health(const Options& o, const HealthFlags& flags) {
  struct Target {
    const char* name;
    std::string address;
  };
  std::vector<Target> targets = {{"registry", o.registry}, {"complaint", o.complaint}, {"sanction", o.sanction}};
  if (!flags.address.empty()) targets = {{"server", flags.address}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(flags.wait_seconds);
  bool all_serving = true;
  std::string out = "{";
  for (const auto& target : targets) {
    auto channel = MakeChannel(target.address, nullptr);
    HealthStatus status;
    // Poll until serving or the wait is over (each check is itself bounded).
    while (true) {
      status = CheckHealth(*channel, "", 1000ms);
      if (status == HealthStatus::kServing || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(200ms);
    }
    const char* text = status == HealthStatus::kServing      ? "SERVING"
                       : status == HealthStatus::kNotServing ? "NOT_SERVING"
                                                             : "UNREACHABLE";
    all_serving = all_serving && status == HealthStatus::kServing;
    out += std::string(out.size() > 1 ? ", " : "") + "\"" + target.name + "\": \"" + text + "\"";
  }
  std::cout << out << "}\n";
  return all_serving ? 0 : 1;
}

int Reflect(const Options& o) {
  nlohmann::ordered_json out;
  for (auto [name, address] : {std::pair{"registry", o.registry}, {"complaint", o.complaint}, {"sanction", o.sanction}}) {
    auto services = ListServicesByReflection(MakeChannel(address, nullptr), std::chrono::milliseconds(o.timeout_ms));
    out[name] = services ? nlohmann::json(*services) : nlohmann::json("UNREACHABLE");
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

void AddServerCommands(CLI::App& app, Commands& commands) {
  auto flags = std::make_shared<HealthFlags>();
  auto* health = app.add_subcommand("health", "Report whether each service is SERVING");
  health->add_option("--wait", flags->wait_seconds, "Keep checking up to this many seconds until all serve")
      ->check(CLI::Range(0, 600));
  health->add_option("--address", flags->address, "Check only the server at HOST:PORT (container health checks)");
  commands.On(health, [flags](const Options& o) { return Health(o, *flags); });

  auto* reflect = app.add_subcommand("reflect", "List the gRPC services each server exposes through reflection");
  commands.On(reflect, Reflect);
}

}  // namespace netra::netractl

// netractl: the operator's command line for Netra. Prints JSON on stdout;
// errors (with the server's field violations) as JSON on stderr, exit code 1
// (exit codes: netractl.h). Each group of commands wires itself (netractl.h:
// Commands); this file lists them.
#include <CLI/CLI.hpp>

#include "tools/netractl/netractl.h"

#ifndef NETRA_VERSION
#define NETRA_VERSION "0.0.0-dev"
#endif

int main(int argc, char** argv) {
  using namespace netra::netractl;
  Commands commands;
  Options& o = commands.options;
  CLI::App app{"netractl " NETRA_VERSION ": the operator's command line for Netra. Output is JSON."};
  app.set_version_flag("--version", NETRA_VERSION);
  app.require_subcommand(1);
  app.add_option("--registry", o.registry, "Registry service HOST:PORT[,...]")->envname("NETRA_REGISTRY")->capture_default_str();
  app.add_option("--complaint", o.complaint, "Complaint service HOST:PORT[,...]")->envname("NETRA_COMPLAINT")->capture_default_str();
  app.add_option("--sanction", o.sanction, "Sanction service HOST:PORT[,...]")->envname("NETRA_SANCTION")->capture_default_str();
  app.add_option("--actor", o.actor, "Who is acting (sent as x-netra-actor)")->envname("NETRA_ACTOR");
  app.add_option("--timeout-ms", o.timeout_ms, "Deadline of each call")->capture_default_str()->check(CLI::Range(1, 3600000));

  AddServerCommands(app, commands);
  AddRegionCommands(app, commands);
  AddViolationCommands(app, commands);
  AddComplaintCommands(app, commands);
  AddImportCommands(app, commands);
  AddPartyCommands(app, commands);
  AddCaseCommands(app, commands);
  AddOutboxCommands(app, commands);
  AddHashNikCommands(app, commands);
  AddEmployeeCommands(app, commands);
  AddElectionCommands(app, commands);

  CLI11_PARSE(app, argc, argv);
  return commands.RunChosen();
}

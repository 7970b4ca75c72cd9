// netractl: the operator's command line for Netra. Prints JSON on stdout;
// errors (with the server's field violations) as JSON on stderr, exit code 1
// (exit codes: netractl.h). Each group of commands wires itself (netractl.h:
// Commands); this file lists them.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "common/tls.h"

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
  app.add_option("--actor", o.actor, "Who is acting, as the agency asserts it (sent as x-netra-actor)")
      ->envname("NETRA_ACTOR");
  app.add_option("--token-file", o.token_file,
                 "A signed token (JWT) naming who is acting, from the agency's sign-on (docs/security.md)")
      ->envname("NETRA_TOKEN_FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--timeout-ms", o.timeout_ms, "Deadline of each call")->capture_default_str()->check(CLI::Range(1, 3600000));
  netra::AddTlsFlags(app, o.tls, o.plaintext);
  app.add_option("--identity", o.identity,
                 "Act as NAME: the certificate --identity-dir/NAME.pem with NAME.key, and the CA ca.pem there")
      ->envname("NETRA_IDENTITY");
  app.add_option("--identity-dir", o.identity_dir, "Where --identity finds certificates (./dev stack writes them)")
      ->envname("NETRA_IDENTITY_DIR")
      ->capture_default_str();
  app.add_flag("--public", o.public_caller,
               "Call a public listener (e.g. --complaint HOST:PUBLIC_PORT) as a member of the public: no client "
               "certificate; the server's certificate must name HOST and chain to --tls-ca")
      ->envname("NETRA_PUBLIC")
      ->excludes("--identity");

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
  AddAccessLogCommands(app, commands);
  AddStoreCommands(app, commands);

  CLI11_PARSE(app, argc, argv);
  if (!o.identity.empty()) {
    o.tls.cert = o.identity_dir + "/" + o.identity + ".pem";
    o.tls.key = o.identity_dir + "/" + o.identity + ".key";
    if (o.tls.ca.empty()) o.tls.ca = o.identity_dir + "/ca.pem";
  }
  if (!o.token_file.empty()) {
    std::ifstream in(o.token_file);
    std::getline(in, o.token);  // one line: the compact JWT
    if (o.token.empty()) {
      std::cerr << "netractl: " << o.token_file << " holds no token\n";
      return kExitUsage;
    }
  }
  // hash-niks and store call no service.
  if (std::string error; !app.got_subcommand("hash-niks") && !app.got_subcommand("store") &&
                         !netra::UseClientTls(o.tls, o.plaintext, &error, o.public_caller)) {
    std::cerr << "netractl: " << error << "\n";
    return kExitUsage;
  }
  return commands.RunChosen();
}

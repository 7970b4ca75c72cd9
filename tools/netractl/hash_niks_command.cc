// netractl hash-niks FILE: clear NIKs in, their HMAC-SHA256 under the
// registry's key out (tools/netractl/nik_hash.h), so that party-membership
// lists reach the registry without a clear NIK on the network.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>

#include "common/nik.h"
#include "tools/netractl/netractl.h"
#include "tools/netractl/nik_hash.h"

namespace netra::netractl {
namespace {

struct HashNikFlags {
  std::string file, key_file, out_file;
};

int HashNiks(const HashNikFlags& c) {
  std::string error;
  auto key = NikHasher::LoadKey(c.key_file, &error);
  if (!key) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "--nik-key-file: " + error);
  NikHasher hasher(std::move(*key));
  std::ifstream in(c.file, std::ios::binary);
  if (!in) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + c.file);
  std::ofstream out_stream;
  if (!c.out_file.empty()) {
    out_stream.open(c.out_file, std::ios::binary | std::ios::trunc);
    if (!out_stream) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot write " + c.out_file);
  }
  std::ostream& out = c.out_file.empty() ? std::cout : out_stream;
  auto result = tools::HashNiks(in, out, std::cerr, hasher);
  out.flush();
  if (!out) return FailLocal(grpc::StatusCode::INTERNAL, "write failed");
  if (!result.error.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, c.file + ": " + result.error);
  std::cerr << "{\"hashed\": " << result.hashed << ", \"invalid\": " << result.invalid << "}\n";
  return result.invalid > 0 ? kExitPartial : 0;
}

}  // namespace

void AddHashNikCommands(CLI::App& app, Commands& commands) {
  auto c = std::make_shared<HashNikFlags>();
  auto* hash_niks = app.add_subcommand(
      "hash-niks", "HMAC-SHA256 (hex) of clear NIKs, one per line or a CSV `nik` column, under the registry's key");
  hash_niks->add_option("file", c->file, "Clear NIKs: one per line, or a CSV with a `nik` column")
      ->required()->check(CLI::ExistingFile);
  hash_niks->add_option("--nik-key-file", c->key_file, "The registry's NIK key file")
      ->required()->envname("NETRA_NIK_KEY_FILE");
  hash_niks->add_option("--out", c->out_file, "Output file (default: stdout)");
  commands.On(hash_niks, [c](const Options&) { return HashNiks(*c); });
}

}  // namespace netra::netractl

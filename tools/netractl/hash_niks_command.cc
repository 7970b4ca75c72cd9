// netractl hash-niks FILE: clear NIKs in, their HMAC-SHA256 under the
// registry's key out (tools/netractl/nik_hash.h), so that party-membership
// lists reach the registry without a clear NIK on the network.
#include <fstream>
#include <iostream>

#include "common/nik.h"
#include "tools/netractl/netractl.h"
#include "tools/netractl/nik_hash.h"

namespace netra::netractl {

int HashNiks(const std::string& file, const std::string& key_file, const std::string& out_file) {
  std::string error;
  auto key = NikHasher::LoadKey(key_file, &error);
  if (!key) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "--nik-key-file: " + error);
  NikHasher hasher(std::move(*key));
  std::ifstream in(file, std::ios::binary);
  if (!in) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + file);
  std::ofstream out_stream;
  if (!out_file.empty()) {
    out_stream.open(out_file, std::ios::binary | std::ios::trunc);
    if (!out_stream) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "cannot write " + out_file);
  }
  std::ostream& out = out_file.empty() ? std::cout : out_stream;
  auto result = tools::HashNiks(in, out, std::cerr, hasher);
  out.flush();
  if (!out) return FailLocal(grpc::StatusCode::INTERNAL, "write failed");
  if (!result.error.empty()) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, file + ": " + result.error);
  std::cerr << "{\"hashed\": " << result.hashed << ", \"invalid\": " << result.invalid << "}\n";
  return result.invalid > 0 ? kExitPartial : 0;
}

}  // namespace netra::netractl

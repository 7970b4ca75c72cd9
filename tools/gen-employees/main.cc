// netra-gen-employees: writes a synthetic employee data set of one province
// as the CSV of `netractl import employees` (deterministic by seed).
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "common/regions.h"
#include "tools/gen-employees/generator.h"

#ifndef NETRA_DEFAULT_DATA_DIR
#define NETRA_DEFAULT_DATA_DIR "data"
#endif

int main(int argc, char** argv) {
  netra::tools::GeneratorOptions options;
  options.count = 1000;
  std::string out_path, data_dir = NETRA_DEFAULT_DATA_DIR;
  CLI::App app{"netra-gen-employees: a synthetic employee CSV of one province (netractl import employees)"};
  app.add_option("--province", options.province, "Province code, e.g. 33 (Jawa Tengah)")->required();
  app.add_option("--count", options.count, "Number of employees")->capture_default_str()->check(CLI::Range(0, 50'000'000));
  app.add_option("--seed", options.seed, "Seed: the same seed and options give byte-identical output")->capture_default_str();
  app.add_option("--out", out_path, "Output file (default: stdout)");
  app.add_option("--data-dir", data_dir, "Directory holding regions.csv")->envname("NETRA_DATA_DIR")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string error;
  auto regions = netra::RegionDirectory::Load(data_dir + "/regions.csv", &error);
  if (!regions) {
    std::cerr << "netra-gen-employees: " << error << "\n";
    return 2;
  }
  auto generator = netra::tools::EmployeeGenerator::Create(*regions, options, &error);
  if (!generator) {
    std::cerr << "netra-gen-employees: " << error << "\n";
    return 2;
  }
  FILE* out = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "wb");
  if (!out) {
    std::cerr << "netra-gen-employees: cannot write " << out_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::string buffer = netra::tools::EmployeeGenerator::HeaderLine();
  bool ok = true;
  while (ok) {
    bool more = generator->AppendNextRow(buffer);
    if (buffer.size() >= (1 << 20) || !more) {
      ok = std::fwrite(buffer.data(), 1, buffer.size(), out) == buffer.size();
      buffer.clear();
    }
    if (!more) break;
  }
  ok = std::fflush(out) == 0 && ok;
  if (out != stdout) ok = std::fclose(out) == 0 && ok;
  if (!ok) {
    std::cerr << "netra-gen-employees: write failed: " << std::strerror(errno) << "\n";
    return 1;
  }
  return 0;
}

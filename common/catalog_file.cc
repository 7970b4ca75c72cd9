#include "common/catalog_file.h"

#include <fstream>
#include <sstream>

namespace netra {

std::string CatalogFilePath(const std::string& data_dir) { return data_dir + "/" + std::string(kViolationCatalogFile); }

std::optional<std::string> ReadCatalogFile(const std::string& data_dir, std::string* error) {
  const std::string path = CatalogFilePath(data_dir);
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  if (file) text << file.rdbuf();
  if (!file || file.bad()) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  return text.str();
}

std::string CatalogFileError(const std::string& data_dir, const Error& error) {
  std::string out = CatalogFilePath(data_dir) + ": " + error.message;
  for (const auto& v : error.violations.list()) out += "; " + v.field + ": " + v.description;
  return out;
}

}  // namespace netra

// The shipped violation catalog file (data/violation_catalog.json), read the
// same way by every service that needs it: the sanction service seeds its
// catalog store from it; the complaint service checks violation codes against
// it until it has fetched the sanction service's current catalog.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace netra {

inline constexpr std::string_view kViolationCatalogFile = "violation_catalog.json";

// The path of the catalog file under `data_dir`.
std::string CatalogFilePath(const std::string& data_dir);
// The file's text; nullopt with *error set when it cannot be read.
std::optional<std::string> ReadCatalogFile(const std::string& data_dir, std::string* error);
// "<path>: <message>; <field>: <description>..." for a start-up error.
std::string CatalogFileError(const std::string& data_dir, const Error& error);

// Reads the catalog file and hands its text to `use` (the service's own
// reading of it). Nullopt with *error set, naming the file, when the file
// cannot be read or `use` refuses it.
template <class T>
std::optional<T> LoadCatalogFile(const std::string& data_dir, const std::function<Result<T>(const std::string&)>& use,
                                 std::string* error) {
  auto text = ReadCatalogFile(data_dir, error);
  if (!text) return std::nullopt;
  auto used = use(*text);
  if (!used.ok()) {
    *error = CatalogFileError(data_dir, used.error());
    return std::nullopt;
  }
  return std::move(used.value());
}

}  // namespace netra

// netractl store copy --service NAME FROM TO: moves a service's data from one
// store to another (SQLite to PostgreSQL when a deployment outgrows one
// machine; common/store_copy.h). Offline: the service is stopped, and it has
// run this build once, so that the source is at this build's schema; a source
// that is not is refused and left as it was (some upgrades are the service's
// code, not migrations).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/store.h"
#include "common/store_copy.h"
#include "services/complaint/complaint_store.h"
#include "services/registry/employee_reads.h"
#include "services/registry/registry_store.h"
#include "services/sanction/sanction_store.h"
#include "tools/netractl/netractl.h"

namespace netra::netractl {
namespace {

struct StoreCopyFlags {
  std::string service, from, to, from_password_file, to_password_file;
};

std::span<const Migration> MigrationsOf(const std::string& service) {
  if (service == "registry") return registry::kMigrations;
  if (service == "complaint") return complaint::kMigrations;
  return sanction::kMigrations;
}

std::unique_ptr<Database> OpenStore(const std::string& flag, const std::string& url, const std::string& password_file,
                                    std::span<const Migration> migrations, bool migrate, std::string* error) {
  auto parsed = ParseStoreUrl(url, error);
  if (!parsed) {
    *error = flag + ": " + *error;
    return nullptr;
  }
  DatabaseOptions options;
  options.password_file = password_file;
  options.migrate = migrate;
  auto db = Database::Open(*parsed, migrations, error, options);
  if (!db) *error = flag + ": " + *error;
  return db;
}

int CopyStoreCommand(const StoreCopyFlags& c) {
  const auto migrations = MigrationsOf(c.service);
  std::string error;
  auto from = OpenStore("FROM", c.from, c.from_password_file, migrations, /*migrate=*/false, &error);
  if (!from) return FailLocal(grpc::StatusCode::FAILED_PRECONDITION, error);
  // A registry stopped during a large import left its indexes to build; its
  // own start finishes that (EmployeeDirectory::RecoverBulkLoad).
  if (c.service == "registry" &&
      from->Read([](Connection& conn) { return registry::employee_rows::BulkTokensRowid(conn); })) {
    return FailLocal(grpc::StatusCode::FAILED_PRECONDITION,
                     "FROM: a bulk load of employees is open (an import was cut off): start this build's registry "
                     "on the store once to finish it, stop it, and try again");
  }
  // The target is new: its schema is made here, then filled.
  auto to_url = ParseStoreUrl(c.to, &error);
  if (!to_url) return FailLocal(grpc::StatusCode::INVALID_ARGUMENT, "TO: " + error);
  DatabaseOptions to_options;
  to_options.password_file = c.to_password_file;
  if (!IsNewStore(*to_url, to_options, &error)) return FailLocal(grpc::StatusCode::FAILED_PRECONDITION, "TO: " + error);
  auto to = OpenStore("TO", c.to, c.to_password_file, migrations, /*migrate=*/true, &error);
  if (!to) return FailLocal(grpc::StatusCode::FAILED_PRECONDITION, error);
  StoreCopyReport report;
  try {
    const auto progress = [](const TableCopy& t) {
      std::cerr << nlohmann::json{{"table", t.table}, {"rows", t.target_rows}}.dump() << "\n";
    };
    const std::span<const RowidColumn> rowid_columns =
        c.service == "registry" ? std::span<const RowidColumn>(registry::kRowidColumns) : std::span<const RowidColumn>();
    if (!CopyStore(*from, *to, &report, &error, progress, rowid_columns)) {
      return FailLocal(grpc::StatusCode::FAILED_PRECONDITION, error);
    }
  } catch (const std::exception& e) {
    return FailLocal(grpc::StatusCode::UNAVAILABLE,
                     std::string("the copy stopped: ") + e.what() + "; drop the target store and copy again");
  }
  nlohmann::json out = {{"service", c.service},
                        {"ok", report.ok()},
                        {"histories", report.histories},
                        {"histories_intact", report.histories_intact},
                        {"broken_histories", report.broken_histories}};
  for (const TableCopy& t : report.tables) {
    out["tables"][t.table] = {{"source_rows", t.source_rows}, {"target_rows", t.target_rows}};
  }
  for (const TableCopy& t : report.not_copied) out["not_copied"][t.table] = t.source_rows;
  std::cout << out.dump(2) << "\n";
  return report.ok() ? 0 : 1;
}

}  // namespace

void AddStoreCommands(CLI::App& app, Commands& commands) {
  auto c = std::make_shared<StoreCopyFlags>();
  auto* store = app.add_subcommand("store", "A service's store itself (the service stopped)");
  store->require_subcommand(1);
  auto* copy = store->add_subcommand(
      "copy",
      "Copy a service's data into a new, empty store (e.g. SQLite to PostgreSQL), then count every table on both "
      "sides and verify every history chain");
  copy->add_option("--service", c->service, "Whose store: registry, complaint or sanction")
      ->required()
      ->check(CLI::IsMember({"registry", "complaint", "sanction"}));
  copy->add_option("from", c->from, "The store now: sqlite:///path.db or postgresql://USER@HOST:PORT/DB?...")
      ->required();
  copy->add_option("to", c->to, "The new store, created or empty (its schema is made first)")->required();
  copy->add_option("--from-password-file", c->from_password_file, "A libpq password file for FROM");
  copy->add_option("--to-password-file", c->to_password_file, "A libpq password file for TO");
  commands.On(copy, [c](const Options&) { return CopyStoreCommand(*c); });
}

}  // namespace netra::netractl

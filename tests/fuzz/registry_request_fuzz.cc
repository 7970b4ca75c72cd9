// The registry's request validation, from the bytes a client sends to the
// domain's verdict: the first byte picks the request (UpsertEmployee, one
// ImportEmployees message, UpsertElection), the rest is its serialized form.
// Text fields may hold any bytes (protobuf is to accept invalid UTF-8 and
// leave the verdict to the domain), so every validator must take them.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/nik.h"
#include "common/store.h"
#include "netra/v1/registry.pb.h"
#include "services/registry/elections.h"
#include "services/registry/employee_cache.h"
#include "services/registry/employee_store.h"
#include "services/registry/employees.h"
#include "services/registry/registry_handler.h"
#include "tests/fuzz/fuzz_support.h"

namespace netra::registry {
namespace {

class NoSnapshots : public EmployeeSnapshots {
 public:
  std::optional<Employee> GetOrLoad(const std::string&, const std::function<std::optional<Employee>()>&) override {
    std::abort();  // validation never reads
  }
  void Changed(const Employee&) override { std::abort(); }
  void Invalidate(std::span<const std::string>) override { std::abort(); }
};

// Validation never touches the store; the directory needs one to exist.
struct Fixture {
  Fixture() {
    char dir[] = "/tmp/netra-fuzz-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    this->dir = dir;
    std::string error;
    db = Database::Open(this->dir + "/registry.db", {}, &error);
    NETRA_FUZZ_CHECK(db != nullptr);
    store = std::make_unique<EmployeeStore>(*db);
    employees = std::make_unique<EmployeeDirectory>(*store, snapshots, fuzz::ShippedRegions(), hasher);
  }
  ~Fixture() {
    employees.reset();
    store.reset();
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<EmployeeStore> store;
  NoSnapshots snapshots;
  NikHasher hasher{std::string(NikHasher::kMinKeyBytes, 'k')};
  std::unique_ptr<EmployeeDirectory> employees;
};

void CheckEmployee(const EmployeeDirectory& employees, const v1::Employee& in, const std::string& nik,
                   const std::string& prefix, const std::string& nik_field) {
  Employee employee = FromProto(in);
  Violations v = employees.Validate(employee, nik, prefix, nik_field);
  for (const auto& violation : v.list()) NETRA_FUZZ_CHECK(!violation.field.empty());
  // A valid employee has the id derived from its identifier.
  if (v.empty()) NETRA_FUZZ_CHECK(!employee.employee_id.empty());
}

}  // namespace
}  // namespace netra::registry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace netra::registry;
  static Fixture registry;
  if (size == 0) return 0;
  const uint8_t kind = data[0] % 3;
  const auto* bytes = data + 1;
  const int length = static_cast<int>(size - 1);
  switch (kind) {
    case 0: {
      netra::v1::UpsertEmployeeRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      EmployeeDirectory::ValidateRequestId(request.request_id());
      CheckEmployee(*registry.employees, request.employee(), request.nik(), "employee", "nik");
      break;
    }
    case 1: {
      netra::v1::ImportEmployeesRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      EmployeeDirectory::ValidateRequestId(request.request_id());
      CountCodePoints(request.source_name());
      for (const auto& row : request.rows()) {
        CheckEmployee(*registry.employees, row.employee(), row.nik(), "employee", "nik");
      }
      break;
    }
    case 2: {
      netra::v1::UpsertElectionRequest request;
      if (!netra::fuzz::ParseRequest(request, bytes, length)) return 0;
      netra::Violations v = ValidateElection(FromProto(request.election()), netra::fuzz::ShippedRegions());
      for (const auto& violation : v.list()) NETRA_FUZZ_CHECK(!violation.field.empty());
      break;
    }
  }
  return 0;
}

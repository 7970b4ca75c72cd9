// Employees: who is employed where (PNS, PPPK, PPNPN), validated per
// DOMAIN.md §2, stored with a keyed hash of the NIK only, shared with the other
// services as cached snapshots. Plain C++: the store and the cache are reached
// through EmployeeRecords and EmployeeSnapshots, never SQL or gRPC.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "common/idempotency.h"
#include "common/identifiers.h"
#include "common/names.h"
#include "common/nik.h"
#include "common/regions.h"
#include "common/result.h"
#include "common/store_error.h"
#include "services/registry/registry.h"

namespace netra::registry {

// Numbered as netra.v1.EmploymentStatus; values arrive unchecked from the
// wire, so validation tests the range (as for DisciplinaryState, common/identifiers.h).
enum class EmploymentStatus { kUnspecified = 0, kActive = 1, kUnpaidLeave = 2, kRetired = 3, kDismissed = 4 };

// A calendar day as sent (validated before use); all zero = not set. The
// registry's one date type (registry.h), under the name this file uses.
using DateValue = Date;

struct StaffingAuthority {
  std::string code, name, region_code;
  bool operator==(const StaffingAuthority&) const = default;
};

struct DisciplinaryRecord {
  std::string case_id;
  DisciplinaryState state = DisciplinaryState::kUnspecified;
  int level = 0;           // netra.v1.SanctionLevel
  std::vector<int> forms;  // netra.v1.SanctionForm
  std::string decree_number;
  DateValue decree_date, end_date;
  int64_t source_sequence = 0;
  int64_t update_micros = 0;
};

// An employee. The first block is what clients send; the rest is kept by the
// registry (output only).
struct Employee {
  int employee_type = 0;  // netra.v1.EmployeeType; see EmployeeType in common/identifiers.h
  std::string nip, ni_pppk, agency_staff_id;  // the one matching employee_type
  std::string name;
  int gender = 0;  // netra.v1.Gender: 1 male, 2 female
  DateValue birth_date;
  std::string agency_code, agency_name, unit_code, unit_name, position, rank, work_region_code;
  EmploymentStatus employment_status = EmploymentStatus::kUnspecified;
  StaffingAuthority ppk;

  std::string employee_id;
  DisciplinaryState disciplinary_state = DisciplinaryState::kNone;
  std::vector<DisciplinaryRecord> disciplinary_records;
  bool nik_on_file = false;
  int64_t version = 0;
  int64_t create_micros = 0, update_micros = 0;
};

// The Redis side of employees: snapshots for the other services, and the
// invalidation message. Best effort: a false return or a Redis outage never
// fails a request (the store is the truth).
class EmployeeSnapshots {
 public:
  virtual ~EmployeeSnapshots() = default;
  // Cache first; `load` reads the store on a miss (nullopt: no such employee).
  virtual std::optional<Employee> GetOrLoad(const std::string& employee_id,
                                            const std::function<std::optional<Employee>()>& load) = 0;
  // Write-through of a changed employee and its invalidation message.
  virtual void Changed(const Employee& employee) = 0;
  // Bulk changes (an import batch's updated rows; a new row has no
  // snapshot yet): the snapshots are dropped (the next read loads them) and
  // one invalidation message lists every id.
  virtual void Invalidate(std::span<const std::string> employee_ids) = 0;
};

// Which one of insert/update/no-op an upsert was.
enum class UpsertResult { kCreated = 1, kUpdated = 2, kUnchanged = 3 };

// The idempotency record of an upsert (its hash with any NIK replaced by its
// HMAC). A retry gets the stored bytes back.
using Idempotency = netra::Idempotency<Employee, UpsertResult>;

struct UpsertRequest {
  Employee employee;
  std::string nik;  // optional, 16 digits; only its HMAC is kept
  int64_t expected_version = 0;
};

// Either a fresh outcome, or the stored response of an earlier call with the
// same request_id (`replayed`, as encoded then).
struct UpsertOutcome {
  Employee employee;
  UpsertResult result = UpsertResult::kUnchanged;
  std::optional<std::string> replayed;
};

struct EmployeeSearch {
  std::string name_query, region_code, agency_code;
  int employee_type = 0;
  int page_size = 0;
  std::string page_token;
};

struct EmployeePage {
  std::vector<Employee> employees;
  std::string next_page_token;
};

struct BatchGetResult {
  std::vector<Employee> employees;      // request order
  std::vector<std::string> missing_ids;  // request order
};

struct DisciplinaryUpdate {
  std::string request_id, employee_id;
  DisciplinaryRecord record;  // update_micros ignored
  int64_t expected_version = 0;
};

struct DisciplinaryOutcome {
  Employee employee;
  bool changed = false;
};

// One rejected import row.
struct RowError {
  int64_t row_number = 0;
  std::string employee_id;  // when derivable
  Violations violations;
};

struct ImportSummary {
  int64_t received = 0, inserted = 0, updated = 0, unchanged = 0, rejected = 0;
  int64_t outside_region = 0;  // of rejected: outside the region the import is confined to
  std::vector<RowError> row_errors;  // the first max_row_errors
  bool row_errors_truncated = false;
};

struct ImportRow {
  int64_t row_number = 0;
  Employee employee;
  std::string nik;
  std::string nik_hmac;  // the NIK's HMAC when the caller has it already; else computed
};

// A validated employee ready to store: the derived id, the hash of its
// content (to tell "unchanged" cheaply) and the NIK's HMAC (empty: keep).
struct EmployeeWrite {
  Employee employee;
  std::string content_hash;
  std::string nik_hmac;
  std::string name_key;  // FoldName(employee.name), folded here so that an import's writer thread need not
};

// The domain's view of employee storage; EmployeeStore (employee_store.h)
// implements it on SQLite. Store failures are thrown as StoreError.
// A search, in store terms (validated by the domain).
struct EmployeeQuery {
  std::vector<std::string> name_prefixes;  // query tokens folded by FoldName; empty = no name filter
  std::string region_code;  // one kab/kota: work_region_code = this; empty = see the range
  std::string region_low, region_high;  // work_region_code range [low, high) (a province); empty = any
  std::string agency_code;  // empty = any
  int employee_type = 0;    // 0 = any
  std::optional<std::pair<std::string, std::string>> after;  // (name_key, employee_id) of the last row seen
  int limit = 50;
};

class EmployeeRecords {
 public:
  virtual ~EmployeeRecords() = default;

  virtual std::optional<Employee> Find(const std::string& employee_id) = 0;
  // name_key of an employee (to resume a search after it).
  virtual std::optional<std::string> NameKey(const std::string& employee_id) = 0;
  virtual std::vector<Employee> Search(const EmployeeQuery& query) = 0;
  // One upsert under the expected_version rules of registry.proto, with its
  // idempotency record in the same transaction. Returns the stored response
  // instead when request_id was used before with the same hash; an
  // INVALID_ARGUMENT when it was used with another.
  virtual Result<UpsertOutcome> Upsert(const EmployeeWrite& write, int64_t expected_version,
                                       const Idempotency& idempotency) = 0;
  // Unconditional upserts of a batch in one transaction (imports): the result
  // of each write, in order. With `may_open_bulk_load`, a batch that writes
  // mostly new or changed rows opens a bulk load first (bulk_opened), unless
  // one is open already: the caller must then FinishBulkLoad.
  struct BatchResult {
    std::vector<UpsertResult> results;
    bool bulk_opened = false;
  };
  virtual BatchResult UpsertBatch(std::span<const EmployeeWrite> writes, bool may_open_bulk_load = false) = 0;
  // How many UpsertBatch calls an import may have running at once: 1 where
  // writers take turns anyway (SQLite); more where they run side by side.
  virtual size_t ConcurrentBatches() const { return 1; }
  // The stored work_region_code of each write's employee, in order; "" for
  // one not on file. One read for the batch.
  virtual std::vector<std::string> StoredWorkRegions(std::span<const EmployeeWrite> writes) = 0;
  // Bulk loads (see EmployeeImport): whether one is open, whether this
  // process opened it, completing it (no-op when none is open).
  virtual bool BulkLoadOpen() = 0;
  virtual bool BulkLoadOwned() const = 0;
  virtual void FinishBulkLoad() = 0;
  // Rows stored, approximately (O(1)).
  virtual int64_t ApproximateRows() = 0;
  // Applies a per-case record (source_sequence ordering) and recomputes the
  // employee's summary state; NOT_FOUND / ABORTED as registry.proto says.
  virtual Result<DisciplinaryOutcome> SetDisciplinary(const DisciplinaryUpdate& update) = 0;
  // Idempotency records of whole requests: {request_hash, response}.
  virtual std::optional<std::pair<std::string, std::string>> FindRequest(const std::string& method,
                                                                         const std::string& request_id) = 0;
  virtual void RecordRequest(const std::string& method, const std::string& request_id,
                             const std::string& request_hash, const std::string& response) = 0;
};

class EmployeeDirectory;

// Rows committed by one import batch (called on the writer thread).
using BatchCommitted = std::function<void(const ImportSummary& batch)>;

// One running import (ImportEmployees): rows are validated as they arrive and
// written in batches of `batch_rows`, each batch in one transaction on a
// writer thread, so validating the next batch overlaps writing the last one.
// Memory stays bounded by a few batches plus one 8-byte fingerprint per
// employee seen (to reject the same employee twice in one import), 10 to 20
// bytes each in its hash tables. Destroying
// an import waits for the batch in flight: what was handed over is committed.
//
// A large import (at least `bulk_min_rows` rows so far, and at least a
// quarter of what the table held when it started) runs as a bulk load
// (EmployeeRecords::UpsertBatch): rows are written without the name, NIK and
// name-token indexes, which are built in one sorted pass each (on SQLite the
// tokens written first) when the import ends, however it ends (Finish, an error, the client
// cutting it off); after a crash, at the next start. Searches stay exact
// meanwhile, only slower.
class EmployeeImport {
 public:
  ~EmployeeImport();
  // Validates and queues one row; hands a full batch to the writer. An Error
  // means the store failed (the import stops; committed batches stay).
  std::optional<Error> Add(ImportRow row);
  // The same for a row built in place: NextEmployee() is where the next row
  // goes, a slot of a batch written before; the caller sets every input field
  // (FromProto) and calls AddNext. Assigning into the slot's strings reuses
  // their memory, so a long import allocates almost nothing per row.
  Employee& NextEmployee();
  std::optional<Error> AddNext(int64_t row_number, const std::string& nik, std::string nik_hmac = {});
  // Confines the import to `region_code` (a province or kab/kota; "" =
  // anywhere): a row of an employee working outside it, or on file as
  // working outside it, is rejected like an invalid row (counted in
  // summary().outside_region). The stored region is read once per batch.
  void ConfineTo(std::string region_code) { region_ = std::move(region_code); }
  // Writes what is queued, waits for it; the summary of the whole import.
  Result<ImportSummary> Finish();
  // Rows received and rejected so far, and those of batches already collected.
  const ImportSummary& summary() const { return summary_; }

 private:
  friend class EmployeeDirectory;
  EmployeeImport(EmployeeDirectory& directory, int max_row_errors, size_t batch_rows, int64_t bulk_min_rows,
                 int64_t table_rows, size_t max_writers, BatchCommitted committed)
      : directory_(directory), max_row_errors_(max_row_errors), batch_rows_(batch_rows),
        bulk_min_rows_(bulk_min_rows), table_rows_(table_rows), max_writers_(max_writers),
        committed_(std::move(committed)) {}
  std::optional<Error> Flush();
  // Rows per batch. A bulk load's batches are larger: they touch the id index
  // at random places, so rows per touched page grow with the batch.
  // Divided among the writers, so that the rows held (max_writers_ + 2
  // batches) stay within what SQLite's one writer holds.
  size_t BatchLimit() const {
    return batch_rows_ * (bulk_batches_ ? std::max<size_t>(kBulkBatchFactor / max_writers_, 1) : 1);
  }
  // Waits for batches being written (all, or until fewer than max_writers_
  // are) and adds their counts.
  std::optional<Error> Collect(bool all);
  std::optional<Error> FinishBulkLoad();
  void Reject(RowError error);
  void RejectOutside(int64_t row_number, const std::string& employee_id);
  // Rejects the queued rows of employees on file outside region_.
  std::optional<Error> RejectStoredOutside();

  EmployeeDirectory& directory_;
  int max_row_errors_;
  size_t batch_rows_;
  int64_t bulk_min_rows_, table_rows_;  // table_rows_: approximate, when the import started
  size_t max_writers_;                  // batches written at once (ConcurrentBatches)
  bool owns_bulk_load_ = false;         // set by the writer (read after Collect)
  bool bulk_batches_ = false;           // owns_bulk_load_ as of the last Collect
  bool large_written_ = false;          // a batch that may open a bulk load was handed over
  bool bulk_settled_ = false;           // ... and collected: whether one opened is known
  static constexpr size_t kBulkBatchFactor = 4;
  BatchCommitted committed_;
  // The slots of the batch being filled (its first batch_rows_in_use_), of
  // the batches being written (oldest first; at most max_writers_), and of
  // collected ones, to be filled again.
  struct Writer {
    std::vector<EmployeeWrite> rows;
    std::future<Result<ImportSummary>> done;
  };
  std::vector<EmployeeWrite> batch_;
  size_t batch_rows_in_use_ = 0;
  std::deque<Writer> writers_;
  std::vector<std::vector<EmployeeWrite>> spare_;
  // The fingerprints of the employees seen, in 256 tables by the top byte:
  // growing one table holds its old and new arrays at once, and with one
  // table for 8 M employees that was 75 MB more at the registry's peak.
  // Open addressing: no allocation per row.
  std::array<absl::flat_hash_set<uint64_t>, 256> seen_;
  std::string region_;                  // ConfineTo
  std::vector<int64_t> row_numbers_;    // of the batch's slots, while confined
  ImportSummary summary_;
};

class EmployeeDirectory {
 public:
  static constexpr int kMaxBatchGet = 1000;
  static constexpr int kDefaultMaxRowErrors = 100, kMaxRowErrors = 10000;
  static constexpr size_t kImportBatchRows = 4000;
  static constexpr int64_t kBulkMinRows = 10000;  // see EmployeeImport

  EmployeeDirectory(EmployeeRecords& store, EmployeeSnapshots& snapshots, const RegionDirectory& regions,
                    const NikHasher& nik_hasher)
      : store_(store), snapshots_(snapshots), regions_(regions), nik_hasher_(nik_hasher) {}

  Result<Employee> Get(const std::string& employee_id);
  Result<BatchGetResult> BatchGet(const std::vector<std::string>& employee_ids);
  Result<EmployeePage> Search(const EmployeeSearch& search);
  Result<UpsertOutcome> Upsert(const UpsertRequest& request, const Idempotency& idempotency);
  Result<DisciplinaryOutcome> SetDisciplinaryStatus(const DisciplinaryUpdate& update);

  // Starts an import; max_row_errors 0 = the default; out of range = INVALID_ARGUMENT.
  Result<std::unique_ptr<EmployeeImport>> StartImport(int max_row_errors, BatchCommitted committed = {},
                                                      size_t batch_rows = kImportBatchRows,
                                                      int64_t bulk_min_rows = kBulkMinRows);
  // Finishes a bulk load left open by a crash (at start); throws StoreError.
  void RecoverBulkLoad();
  // The stored response of a completed import with this request_id, if any:
  // {request_hash, response}. Recorded with RecordImport when a stream completes.
  std::optional<std::pair<std::string, std::string>> FindImport(const std::string& request_id);
  void RecordImport(const std::string& request_id, const std::string& request_hash, const std::string& response);

  // Every violation of `employee` (and `nik`) under `prefix` ("employee" ->
  // "employee.nip"; the NIK's path is `nik_field`). Fills employee_id when the
  // identifier is valid.
  Violations Validate(Employee& employee, const std::string& nik, const std::string& prefix,
                      const std::string& nik_field) const;
  // Validates and prepares a write; the violations when invalid. `nik_hmac`:
  // the NIK's HMAC if already computed.
  std::variant<EmployeeWrite, Violations> Prepare(Employee employee, const std::string& nik,
                                                  const std::string& prefix, const std::string& nik_field,
                                                  std::string nik_hmac = {}) const;

  static Violations ValidateRequestId(const std::string& request_id, const std::string& field = "request_id");
  // The id of an employee as derived from its identifier (registry.proto).
  static std::string DeriveId(const Employee& employee);

 private:
  friend class EmployeeImport;
  std::optional<Employee> Load(const std::string& employee_id);
  // Prepare on a write whose `employee` is set, in place (an import's batch slot).
  Violations PrepareInPlace(EmployeeWrite& write, const std::string& nik, const std::string& prefix,
                            const std::string& nik_field, std::string nik_hmac) const;

  EmployeeRecords& store_;
  EmployeeSnapshots& snapshots_;
  const RegionDirectory& regions_;
  const NikHasher& nik_hasher_;
};

// The text checks the domain applies to every string field, exposed for tests:
// valid UTF-8 and no control characters; the number of code points, or nullopt.
std::optional<size_t> CountCodePoints(std::string_view text);
// Names are sorted by their FoldName (common/names.h) and searched on its
// tokens. The index tokens of a folded name, distinct, in order: its words
// (runs of bytes other than spaces and ASCII punctuation), then each word's
// SpellingKey where it differs (old spellings: "soekarno" is found as
// "sukarno"), then each two neighbouring words joined (spacing: "nur aini"
// is found as "nuraini"). At most kMaxNameTokens (a 200-character name has
// fewer).
inline constexpr size_t kMaxNameTokens = 128;
std::vector<std::string> NameTokens(std::string_view name_key);
// Whether every one of `prefixes` (the words of a query's FoldName), or its
// SpellingKey, starts an index token of `name_key` (a FoldName result): what
// a name search matches.
bool NameKeyMatches(std::string_view name_key, std::span<const std::string> prefixes);

// NameKeyMatches for one query over many names, as a search tests each
// candidate row: the prefixes' spelling keys are made once, and a name's
// tokens are read in place (a word's spelling key only when its plain forms
// do not match) instead of built as NameTokens, which allocated and compared
// strings for every row.
class NameMatcher {
 public:
  explicit NameMatcher(std::span<const std::string> prefixes);
  bool operator()(std::string_view name_key) const;

 private:
  std::vector<std::string> prefixes_, spelled_;  // spelled_[i] = SpellingKey(prefixes_[i])
};

}  // namespace netra::registry

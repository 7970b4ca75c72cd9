#include "services/registry/employees.h"

#include <algorithm>
#include <functional>
#include <unordered_set>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/authorize.h"
#include "common/log.h"
#include "common/names.h"
#include "common/paging.h"
#include "services/registry/employee_validation.h"

namespace netra::registry {

using namespace employee_fields;

std::optional<Employee> EmployeeDirectory::Load(const std::string& employee_id) {
  return snapshots_.GetOrLoad(employee_id, [&] { return store_.Find(employee_id); });
}

Result<Employee> EmployeeDirectory::Get(const std::string& employee_id) {
  Violations v;
  CheckEmployeeId(v, "employee_id", employee_id);
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto employee = Load(employee_id);
  if (!employee) return Error::NotFound("employee", employee_id);
  return std::move(*employee);
}

Result<BatchGetResult> EmployeeDirectory::BatchGet(const std::vector<std::string>& ids) {
  Violations v;
  if (ids.empty()) v.Add("employee_ids", ViolationReason::kRequired, "at least one id is required");
  if (ids.size() > kMaxBatchGet) {
    v.Add("employee_ids", ViolationReason::kTooLong, "at most " + std::to_string(kMaxBatchGet) + " ids");
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  for (size_t i = 0; i < ids.size(); ++i) CheckEmployeeId(v, "employee_ids[" + std::to_string(i) + "]", ids[i]);
  if (!v.empty()) return Error::Invalid(std::move(v));
  BatchGetResult result;
  std::unordered_set<std::string> done;
  for (const auto& id : ids) {
    if (!done.insert(id).second) continue;  // duplicates are answered once
    if (auto employee = Load(id)) result.employees.push_back(std::move(*employee));
    else result.missing_ids.push_back(id);
  }
  return result;
}

Result<EmployeePage> EmployeeDirectory::Search(const EmployeeSearch& s) {
  Violations v;
  EmployeeQuery query;
  CheckLine(v, "name_query", s.name_query, kMaxName, false);
  if (v.empty() && !s.name_query.empty()) {
    // Each word of the query, folded as names are (common/names.h: titles
    // and punctuation drop out), a prefix of some index token of the name.
    const std::string folded = FoldName(s.name_query);
    std::vector<std::string> tokens = absl::StrSplit(folded, ' ', absl::SkipEmpty());
    if (tokens.empty()) {
      v.Add("name_query", ViolationReason::kInvalidFormat, "must contain at least one letter or digit");
    } else if (tokens.size() > kMaxQueryTokens) {
      v.Add("name_query", ViolationReason::kTooLong, "at most " + std::to_string(kMaxQueryTokens) + " words");
    }
    query.name_prefixes = std::move(tokens);
  }
  if (!s.region_code.empty()) {
    if (auto level = ParseRegionCode(s.region_code, "region_code", v)) {
      if (*level == RegionLevel::kDistrict) {
        v.Add("region_code", ViolationReason::kInvalidFormat, "must be a province NN or kabupaten/kota NN.NN code");
      } else if (!regions_.Find(s.region_code)) {
        v.Add("region_code", ViolationReason::kNotFound, "no such region in the region data");
      } else if (*level == RegionLevel::kProvince) {
        query.region_low = s.region_code + ".";  // every "NN.xx" of the province: ['NN.', 'NN/')
        query.region_high = s.region_code + "/";
      } else {
        query.region_code = s.region_code;
      }
    }
  }
  if (!s.agency_code.empty()) CheckCode(v, "agency_code", s.agency_code, 1, kMaxCode, "._-");
  query.agency_code = s.agency_code;
  if (s.employee_type < 0 || s.employee_type > 3) {
    v.Add("employee_type", ViolationReason::kOutOfRange, "unknown employee type");
  }
  query.employee_type = s.employee_type;
  if (s.name_query.empty() && s.region_code.empty() && s.agency_code.empty() && s.employee_type == 0) {
    v.Add("name_query", ViolationReason::kRequired, "set at least one of name_query, region_code, agency_code, employee_type");
  }
  query.limit = PageSize(s.page_size, PageLimits{50, 1000}, "page_size", v);
  const std::string scope = "employees|" + s.name_query + "|" + s.region_code + "|" + s.agency_code + "|" +
                            std::to_string(s.employee_type);
  auto after = DecodePageToken(s.page_token, "page_token", v, scope);
  if (!v.empty()) return Error::Invalid(std::move(v));
  if (!after->empty()) {
    // The token holds the last employee_id; its name_key is read back so the
    // token stays short whatever the name.
    auto key = store_.NameKey(*after);
    if (!key) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a page token issued by this service");
      return Error::Invalid(std::move(v));
    }
    query.after = std::make_pair(std::move(*key), *after);
  }
  ++query.limit;  // one more tells whether there is a next page
  EmployeePage page;
  page.employees = store_.Search(query);
  if (static_cast<int>(page.employees.size()) == query.limit) {
    page.employees.pop_back();
    page.next_page_token = EncodePageToken(page.employees.back().employee_id, scope);
  }
  return page;
}

Result<UpsertOutcome> EmployeeDirectory::Upsert(const UpsertRequest& request, const Idempotency& idempotency) {
  Violations v = ValidateRequestId(idempotency.request_id);
  auto prepared = Prepare(request.employee, request.nik, "employee", "nik");
  if (auto* problems = std::get_if<Violations>(&prepared)) v.Append(*problems);
  if (request.expected_version < 0) v.Add("expected_version", ViolationReason::kOutOfRange, "must not be negative");
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto outcome = store_.Upsert(std::get<EmployeeWrite>(prepared), request.expected_version, idempotency);
  if (outcome.ok() && !outcome.value().replayed && outcome.value().result != UpsertResult::kUnchanged) {
    snapshots_.Changed(outcome.value().employee);
  }
  return outcome;
}

Result<DisciplinaryOutcome> EmployeeDirectory::SetDisciplinaryStatus(const DisciplinaryUpdate& u) {
  // registry.proto's own example is "<case_id>/status/<source_sequence>", so '/' is allowed here.
  Violations v;
  CheckCode(v, "request_id", u.request_id, 1, 128, "._:/-");
  CheckEmployeeId(v, "employee_id", u.employee_id);
  CheckCode(v, "case_id", u.record.case_id, 1, kMaxCaseId, "._:/-");
  const int state = static_cast<int>(u.record.state);
  if (state == 0) v.Add("state", ViolationReason::kRequired, "is required");
  else if (state < 0 || state > 3) v.Add("state", ViolationReason::kOutOfRange, "unknown disciplinary state");
  if (u.record.level < 0 || u.record.level > 6) v.Add("level", ViolationReason::kOutOfRange, "unknown sanction level");
  if (u.record.forms.size() > 14) v.Add("forms", ViolationReason::kTooLong, "at most 14 forms");
  for (size_t i = 0; i < u.record.forms.size() && i < 14; ++i) {
    if (u.record.forms[i] < 1 || u.record.forms[i] > 14) {
      v.Add("forms[" + std::to_string(i) + "]", ViolationReason::kOutOfRange, "unknown sanction form");
    }
  }
  CheckLine(v, "decree_number", u.record.decree_number, kMaxText, false);
  CheckDate(v, "decree_date", u.record.decree_date, false, std::nullopt);
  CheckDate(v, "end_date", u.record.end_date, false, std::nullopt);
  if (u.record.source_sequence <= 0) v.Add("source_sequence", ViolationReason::kOutOfRange, "must be above 0");
  if (u.expected_version < 0) v.Add("expected_version", ViolationReason::kOutOfRange, "must not be negative");
  if (!v.empty()) return Error::Invalid(std::move(v));
  auto outcome = store_.SetDisciplinary(u);
  if (outcome.ok() && outcome.value().changed) {
    snapshots_.Changed(outcome.value().employee);
  }
  return outcome;
}

Result<std::unique_ptr<EmployeeImport>> EmployeeDirectory::StartImport(int max_row_errors, BatchCommitted committed,
                                                                       size_t batch_rows, int64_t bulk_min_rows) {
  if (max_row_errors < 0 || max_row_errors > kMaxRowErrors) {
    Violations v;
    v.Add("max_row_errors", ViolationReason::kOutOfRange, "must be 0 (default 100) to " + std::to_string(kMaxRowErrors));
    return Error::Invalid(std::move(v));
  }
  if (max_row_errors == 0) max_row_errors = kDefaultMaxRowErrors;
  std::unique_ptr<EmployeeImport> import(new EmployeeImport(*this, max_row_errors, std::max<size_t>(batch_rows, 1),
                                                            bulk_min_rows, store_.ApproximateRows(),
                                                            std::max<size_t>(store_.ConcurrentBatches(), 1),
                                                            std::move(committed)));
  return import;
}

namespace {

// Finishes an open bulk load, logging how long its indexes took.
void FinishBulkLoadTimed(EmployeeRecords& store) {
  const absl::Time start = absl::Now();
  store.FinishBulkLoad();
  log::Info("bulk load finished", {{"indexing_seconds", absl::StrFormat("%.3f", absl::ToDoubleSeconds(absl::Now() - start))}});
}

}  // namespace

void EmployeeDirectory::RecoverBulkLoad() {
  if (store_.BulkLoadOpen()) {
    // Left by a registry stopped during an import, or by the store upgrade
    // that added name tokens (migration 7): either way, indexes to build.
    log::Warn("finishing a bulk load of employees left open (an import was cut short, or the store was upgraded)");
    FinishBulkLoadTimed(store_);
  }
}

std::optional<std::pair<std::string, std::string>> EmployeeDirectory::FindImport(const std::string& request_id) {
  return store_.FindRequest("ImportEmployees", request_id);
}

void EmployeeDirectory::RecordImport(const std::string& request_id, const std::string& request_hash,
                                     const std::string& response) {
  store_.RecordRequest("ImportEmployees", request_id, request_hash, response);
}

// ---- import ------------------------------------------------------------------

void EmployeeImport::Reject(RowError error) {
  ++summary_.rejected;
  if (static_cast<int>(summary_.row_errors.size()) < max_row_errors_) summary_.row_errors.push_back(std::move(error));
  else summary_.row_errors_truncated = true;
}

std::optional<Error> EmployeeImport::Add(ImportRow row) {
  NextEmployee() = std::move(row.employee);
  return AddNext(row.row_number, row.nik, std::move(row.nik_hmac));
}

Employee& EmployeeImport::NextEmployee() {
  if (batch_.capacity() < BatchLimit()) batch_.reserve(BatchLimit());
  if (batch_rows_in_use_ == batch_.size()) batch_.emplace_back();
  return batch_[batch_rows_in_use_].employee;
}

std::optional<Error> EmployeeImport::AddNext(int64_t row_number, const std::string& nik, std::string nik_hmac) {
  ++summary_.received;
  // Validated where the batch keeps it; a rejected row leaves its slot to the next.
  EmployeeWrite& write = batch_[batch_rows_in_use_];
  Violations problems = directory_.PrepareInPlace(write, nik, "employee", "nik", std::move(nik_hmac));
  if (!problems.empty()) {
    Reject(RowError{row_number, {}, std::move(problems)});
    return std::nullopt;
  }
  // 64-bit fingerprints keep a million ids in a few tens of MB; a collision
  // (odds ~1e-8 per million rows) would reject a row, never lose one silently.
  const uint64_t fingerprint = std::hash<std::string>{}(write.employee.employee_id);
  if (!seen_[fingerprint >> 56].insert(fingerprint).second) {
    static const char* const kIdField[] = {"", "employee.nip", "employee.ni_pppk", "employee.agency_staff_id"};
    Violations v;
    v.Add(kIdField[write.employee.employee_type], ViolationReason::kInconsistent,
          "the same employee appears in an earlier row of this import");
    Reject(RowError{row_number, write.employee.employee_id, std::move(v)});
    return std::nullopt;
  }
  if (!region_.empty()) {
    if (!RegionWithin(write.employee.work_region_code, region_)) {
      RejectOutside(row_number, write.employee.employee_id);
      return std::nullopt;
    }
    if (row_numbers_.size() <= batch_rows_in_use_) row_numbers_.resize(batch_rows_in_use_ + 1);
    row_numbers_[batch_rows_in_use_] = row_number;
  }
  if (++batch_rows_in_use_ >= BatchLimit()) return Flush();
  return std::nullopt;
}

void EmployeeImport::RejectOutside(int64_t row_number, const std::string& employee_id) {
  Violations v;
  v.Add("employee.work_region_code", ViolationReason::kOutOfRange,
        "the employee works, or is on file as working, outside the region of the importing office");
  ++summary_.outside_region;
  Reject(RowError{row_number, employee_id, std::move(v)});
}

std::optional<Error> EmployeeImport::RejectStoredOutside() {
  std::vector<std::string> stored;
  if (auto error = RunStoreOperation("import region check", [&]() -> std::optional<Error> {
        stored = directory_.store_.StoredWorkRegions(std::span<const EmployeeWrite>(batch_.data(), batch_rows_in_use_));
        return std::nullopt;
      })) {
    return error;
  }
  // Kept rows move to the front; a rejected row's slot is reused later.
  size_t kept = 0;
  for (size_t i = 0; i < batch_rows_in_use_; ++i) {
    if (!stored[i].empty() && !RegionWithin(stored[i], region_)) {
      RejectOutside(row_numbers_[i], batch_[i].employee.employee_id);
      continue;
    }
    if (kept != i) {
      std::swap(batch_[kept], batch_[i]);
      std::swap(row_numbers_[kept], row_numbers_[i]);
    }
    ++kept;
  }
  batch_rows_in_use_ = kept;
  return std::nullopt;
}

EmployeeImport::~EmployeeImport() {
  for (Writer& writer : writers_) writer.done.wait();
  (void)Collect(/*all=*/true);
  if (auto error = FinishBulkLoad()) log::Error("bulk load not finished", {{"error", error->message}});
}

std::optional<Error> EmployeeImport::FinishBulkLoad() {
  // The owner finishes its load; any import also finishes one a failed
  // finish or a crash left behind that no running import owns.
  auto& store = directory_.store_;
  return RunStoreOperation("finish bulk load", [&]() -> std::optional<Error> {
    if (owns_bulk_load_ || (!store.BulkLoadOwned() && store.BulkLoadOpen())) {
      owns_bulk_load_ = false;
      FinishBulkLoadTimed(store);
    }
    return std::nullopt;
  });
}

std::optional<Error> EmployeeImport::Collect(bool all) {
  while (!writers_.empty() && (all || writers_.size() >= max_writers_)) {
    auto done = writers_.front().done.get();  // also makes owns_bulk_load_ visible here
    spare_.push_back(std::move(writers_.front().rows));
    writers_.pop_front();
    if (!done.ok()) return done.error();
    bulk_batches_ = owns_bulk_load_;
    summary_.inserted += done.value().inserted;
    summary_.updated += done.value().updated;
    summary_.unchanged += done.value().unchanged;
  }
  return std::nullopt;
}

std::optional<Error> EmployeeImport::Flush() {
  if (auto error = Collect(/*all=*/false)) return error;
  if (!region_.empty() && batch_rows_in_use_ > 0) {
    if (auto error = RejectStoredOutside()) return error;
  }
  if (batch_rows_in_use_ == 0) return std::nullopt;
  const bool large = summary_.received >= bulk_min_rows_ && summary_.received * 4 >= table_rows_;
  // The first large batch may open a bulk load (dropping indexes under the
  // batches in flight): it waits for them, and the next waits for it.
  if (large && !bulk_settled_) {
    if (auto error = Collect(/*all=*/true)) return error;
    bulk_settled_ = large_written_;
    large_written_ = true;
  }
  // The writer has the slots until they are collected; then they are filled again.
  Writer& writer = writers_.emplace_back();
  std::swap(writer.rows, batch_);
  if (!spare_.empty()) {
    batch_ = std::move(spare_.back());
    spare_.pop_back();
  }
  const std::span<const EmployeeWrite> batch(writer.rows.data(), batch_rows_in_use_);
  batch_rows_in_use_ = 0;
  writer.done = std::async(std::launch::async, [this, large, batch]() -> Result<ImportSummary> {
    auto written = RunStoreOperation("import batch", [&]() -> Result<EmployeeRecords::BatchResult> {
      return directory_.store_.UpsertBatch(batch, large);
    });
    if (!written.ok()) return written.error();
    const std::vector<UpsertResult>& stored = written.value().results;
    if (written.value().bulk_opened) owns_bulk_load_ = true;
    ImportSummary counts;
    std::vector<std::string> changed;
    for (size_t i = 0; i < stored.size(); ++i) {
      if (stored[i] == UpsertResult::kCreated) ++counts.inserted;
      else if (stored[i] == UpsertResult::kUpdated) ++counts.updated;
      else ++counts.unchanged;
      if (stored[i] == UpsertResult::kUpdated) changed.push_back(batch[i].employee.employee_id);
    }
    directory_.snapshots_.Invalidate(changed);
    if (committed_) committed_(counts);
    return counts;
  });
  return std::nullopt;
}

Result<ImportSummary> EmployeeImport::Finish() {
  if (auto error = Flush()) return *error;
  if (auto error = Collect(/*all=*/true)) return *error;
  if (auto error = FinishBulkLoad()) return *error;
  // Rows found outside the region at a batch's write come after later rows' errors.
  if (!region_.empty()) {
    std::stable_sort(summary_.row_errors.begin(), summary_.row_errors.end(),
                     [](const RowError& a, const RowError& b) { return a.row_number < b.row_number; });
  }
  return summary_;
}

}  // namespace netra::registry

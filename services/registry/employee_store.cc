#include "services/registry/employee_store.h"

#include <string>

#include "common/log.h"
#include "common/names.h"
#include "services/registry/employee_reads.h"
#include "services/registry/employee_writes.h"

namespace netra::registry {
namespace employee_rows {

Existing ReadExisting(const Statement& s) {
  return Existing{s.ColumnInt64(0),
                  s.ColumnInt64(1),
                  s.ColumnInt64(2),
                  s.ColumnBlob(3),
                  s.ColumnIsNull(4) ? std::string() : s.ColumnBlob(4),
                  static_cast<DisciplinaryState>(s.ColumnInt64(5)),
                  {s.ColumnText(6), s.ColumnText(7), s.ColumnText(8), s.ColumnInt64(9)}};
}

std::optional<Existing> FindExisting(WriteStatements& statements, const std::string& employee_id, bool for_update) {
  static const std::string kFindOne = std::string(kExistingColumns) + "= ?1";
  static const std::string kLockOne = kFindOne + " FOR UPDATE";
  const bool lock = for_update && statements.connection().dialect() == Dialect::kPostgres;
  auto& s = statements(lock ? kLockOne : kFindOne);
  s.Bind(1, employee_id);
  if (!s.Step()) return std::nullopt;
  return ReadExisting(s);
}

std::string Params(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i ? ", ?" : "?") + std::to_string(first + i);
  return out;
}

std::string InsertSql(size_t rows) {
  return "INSERT INTO employees(employee_id, employee_type, agency_staff_id, name, name_key, gender, birth_date, "
         "agency_code, agency_name, unit_code, unit_name, position, rank, work_region_code, employment_status, "
         "ppk_code, ppk_name, ppk_region_code, content_hash, nik_hmac, disciplinary_state, version, created_at, "
         "updated_at) VALUES " +
         RowsSql(rows, kInsertParams,
                 [](int b) {
                   const std::string now = "?" + std::to_string(b + 20);
                   return "(" + Params(b, 20) + ", 1, 1, " + now + ", " + now + ")";
                 }) +
         " ON CONFLICT(employee_id) DO NOTHING RETURNING employee_seq, employee_id";
}

void BindContent(Statement& s, const EmployeeWrite& w, const std::string& name_key, int base) {
  const Employee& e = w.employee;
  s.Bind(base + 1, e.employee_id)
      .Bind(base + 2, static_cast<int64_t>(e.employee_type))
      .Bind(base + 3, e.agency_staff_id)
      .Bind(base + 4, e.name)
      .Bind(base + 5, name_key)
      .Bind(base + 6, static_cast<int64_t>(e.gender))
      .Bind(base + 7, DateNumber(e.birth_date))
      .Bind(base + 8, e.agency_code)
      .Bind(base + 9, e.agency_name)
      .Bind(base + 10, e.unit_code)
      .Bind(base + 11, e.unit_name)
      .Bind(base + 12, e.position)
      .Bind(base + 13, e.rank)
      .Bind(base + 14, e.work_region_code)
      .Bind(base + 15, static_cast<int64_t>(e.employment_status))
      .Bind(base + 16, e.ppk.code)
      .Bind(base + 17, e.ppk.name)
      .Bind(base + 18, e.ppk.region_code);
  s.BindBlob(base + 19, w.content_hash);
  if (w.nik_hmac.empty()) s.BindNull(base + 20);
  else s.BindBlob(base + 20, w.nik_hmac);
}

int64_t MaxSeq(Connection& c) {
  auto s = c.Prepare(ForDialect(c, "SELECT COALESCE(MAX(employee_seq), 0) FROM employees"));
  s.Step();
  return s.ColumnInt64(0);
}

void ReadMatchWatermark(Connection& c) {
  if (c.dialect() != Dialect::kPostgres) return;
  auto s = c.Prepare("SELECT employees_matched_to FROM party_screening_state");
  while (s.Step()) {
  }
}

void WriteTokens(WriteStatements& statements, int64_t seq, std::string_view employee_id, std::string_view name_key,
                 std::string_view work_region_code, std::string_view agency_code, int64_t employee_type, bool replace) {
  const int64_t first = seq * static_cast<int64_t>(kMaxNameTokens);
  if (replace) {
    auto& drop = statements("DELETE FROM employee_name_tokens WHERE token_seq >= ?1 AND token_seq < ?2");
    drop.Bind(1, first).Bind(2, first + static_cast<int64_t>(kMaxNameTokens));
    drop.Run();
  }
  static const std::string kAddToken =
      "INSERT INTO employee_name_tokens" + std::string(kTokenColumns) + " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  auto& add = statements(kAddToken);
  int64_t n = 0;
  for (std::string_view token : NameTokens(name_key)) {
    add.Bind(1, first + n++)
        .Bind(2, token)
        .Bind(3, name_key)
        .Bind(4, employee_id)
        .Bind(5, work_region_code)
        .Bind(6, agency_code)
        .Bind(7, employee_type);
    add.Run();
  }
}

std::optional<StoredWrite> InsertNew(WriteStatements& statements, const EmployeeWrite& w, int64_t now,
                                     bool want_employee, const std::optional<int64_t>& bulk_tokens_rowid) {
  static const std::string kInsertOne = InsertSql(1);
  auto& insert = statements(kInsertOne);
  BindContent(insert, w, w.name_key);
  insert.Bind(21, now);
  const bool inserted = insert.Step();
  const int64_t seq = inserted ? insert.ColumnInt64(0) : 0;
  insert.Reset();
  if (!inserted) return std::nullopt;
  if (HasTokens(seq, bulk_tokens_rowid)) {
    WriteTokens(statements, seq, w.employee.employee_id, w.name_key, w.employee.work_region_code,
                w.employee.agency_code, w.employee.employee_type, /*replace=*/false);
  }
  StoredWrite out{UpsertResult::kCreated, {}};
  if (want_employee) out.employee = w.employee;
  out.employee.nik_on_file = !w.nik_hmac.empty();
  out.employee.update_micros = now;
  out.employee.version = 1;
  out.employee.create_micros = now;
  out.employee.disciplinary_state = DisciplinaryState::kNone;
  return out;
}

StoredWrite Apply(WriteStatements& statements, const EmployeeWrite& w, std::optional<Existing> existing,
                  bool existing_known, int64_t now, bool want_employee,
                  const std::optional<int64_t>& bulk_tokens_rowid) {
  StoredWrite out{UpsertResult::kUnchanged, {}};
  if (existing && existing->content_hash == w.content_hash &&
      (w.nik_hmac.empty() || w.nik_hmac == existing->nik_hmac)) {
    return out;
  }
  if (!existing) {
    if (auto created = InsertNew(statements, w, now, want_employee, bulk_tokens_rowid)) return std::move(*created);
    // Known absent earlier in this transaction: then no one could have taken the id since.
    if (existing_known) {
      throw StoreError(StoreError::Kind::kConstraint, 0, "an employee id appeared within its own write");
    }
    return Apply(statements, w, FindExisting(statements, w.employee.employee_id), /*existing_known=*/true, now,
                 want_employee, bulk_tokens_rowid);
  }
  const SearchColumns search{w.name_key, w.employee.work_region_code, w.employee.agency_code,
                             w.employee.employee_type};
  auto& update = statements(
      "UPDATE employees SET employee_type = ?2, agency_staff_id = ?3, name = ?4, name_key = ?5, gender = ?6, "
      "birth_date = ?7, agency_code = ?8, agency_name = ?9, unit_code = ?10, unit_name = ?11, position = ?12, "
      "rank = ?13, work_region_code = ?14, employment_status = ?15, ppk_code = ?16, ppk_name = ?17, "
      "ppk_region_code = ?18, content_hash = ?19, nik_hmac = COALESCE(?20, nik_hmac), version = version + 1, "
      "updated_at = ?21 WHERE employee_id = ?1");
  BindContent(update, w, search.name_key);
  update.Bind(21, now);
  update.Run();
  if (existing->search != search && HasTokens(existing->seq, bulk_tokens_rowid)) {
    WriteTokens(statements, existing->seq, w.employee.employee_id, search.name_key, search.work_region_code,
                search.agency_code, search.employee_type, /*replace=*/true);
  }
  Employee e;
  if (want_employee) e = w.employee;
  e.nik_on_file = !w.nik_hmac.empty() || !existing->nik_hmac.empty();
  e.update_micros = now;
  out.result = UpsertResult::kUpdated;
  e.version = existing->version + 1;
  e.create_micros = existing->created_at;
  e.disciplinary_state = existing->state;
  if (want_employee) LoadRecords(statements.connection(), e);
  out.employee = std::move(e);
  return out;
}

}  // namespace employee_rows

using namespace employee_rows;


int RefoldNameKeys(Database& db) {
  // A PostgreSQL store starts at migration 9's form (no marker): its keys were folded as written.
  if (db.dialect() == Dialect::kPostgres) return 0;
  return db.Write([](Connection& c) {
    {
      auto marker = c.Prepare(
          "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'employee_name_keys_to_refold'");
      marker.Step();
      if (marker.ColumnInt64(0) == 0) return 0;
    }
    std::vector<std::pair<std::string, std::string>> keys;  // employee_id, new name_key
    {
      auto select = c.Prepare("SELECT employee_id, name, name_key FROM employees");
      while (select.Step()) {
        std::string key = FoldName(select.ColumnTextView(1));
        if (key != select.ColumnTextView(2)) keys.emplace_back(select.ColumnText(0), std::move(key));
      }
    }
    auto update = c.Prepare("UPDATE employees SET name_key = ?2 WHERE employee_id = ?1");
    for (const auto& [id, key] : keys) update.Bind(1, id).Bind(2, key).Run();
    // Every employee's tokens change (spelling keys, joined words): all are
    // written again, in order, by a bulk load from mark 0, as migration 7's were.
    c.Exec("DELETE FROM employee_name_tokens");
    c.Exec(
        "INSERT INTO employee_bulk_load(id, tokens_rowid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM employees) "
        "ON CONFLICT(id) DO UPDATE SET tokens_rowid = 0");
    c.Exec("DROP TABLE employee_name_keys_to_refold");
    log::Info("registry store upgraded: employee name keys refolded", {{"employees", std::to_string(keys.size())}});
    return static_cast<int>(keys.size());
  });
}

EmployeeStore::EmployeeStore(Database& db, SearchPlanning planning) : db_(db), planning_(planning) {
  RefoldNameKeys(db_);
}

Result<UpsertOutcome> EmployeeStore::Upsert(const EmployeeWrite& w, int64_t expected_version,
                                            const Idempotency& idempotency) {
  return db_.Write([&](Connection& c) -> Result<UpsertOutcome> {
    auto replayed = ReplayRequest(c, idempotency);
    if (!replayed.ok()) return replayed.error();
    if (replayed.value()) {
      UpsertOutcome replay;
      replay.replayed = std::move(replayed.value());
      return replay;
    }
    const std::string& id = w.employee.employee_id;
    WriteStatements statements(c);
    StoredWrite stored{};
    if (expected_version == 0 && c.dialect() == Dialect::kPostgres) {
      // A new employee is inserted, not looked up first: on PostgreSQL a lookup
      // that finds nothing holds SERIALIZABLE's read lock on the id index's
      // page, which the other new employees' inserts then collide with (about
      // two re-runs per employee with 32 created at once).
      ReadMatchWatermark(c);
      auto created = InsertNew(statements, w, NowMicros(), /*want_employee=*/true, BulkTokensRowid(c));
      if (!created) return Error::AlreadyExists("employee", id);
      stored = std::move(*created);
    } else {
      auto existing = FindExisting(statements, id);
      if (expected_version == 0 && existing) return Error::AlreadyExists("employee", id);
      if (expected_version > 0 && !existing) return Error::NotFound("employee", id);
      if (expected_version > 0 && existing->version != expected_version) {
        return Error::Aborted("employee", id, expected_version, existing->version);
      }
      if (!existing) ReadMatchWatermark(c);
      stored = Apply(statements, w, existing, /*existing_known=*/true, NowMicros(), /*want_employee=*/true,
                     BulkTokensRowid(c));
    }
    UpsertOutcome outcome;
    outcome.result = stored.result;
    if (stored.result == UpsertResult::kUnchanged) outcome.employee = *FindIn(c, id);
    else outcome.employee = std::move(stored.employee);
    if (idempotency.encode) netra::RecordRequest(c, idempotency, idempotency.encode(outcome.employee, outcome.result));
    return outcome;
  });
}

Result<DisciplinaryOutcome> EmployeeStore::SetDisciplinary(const DisciplinaryUpdate& u) {
  // The employee's row is locked first: its disciplinary records are changed
  // only here, by their employee's lock holder.
  return db_.WriteLockingRows([&](Connection& c) -> Result<DisciplinaryOutcome> {
    WriteStatements statements(c);
    auto existing = FindExisting(statements, u.employee_id, /*for_update=*/true);
    if (!existing) return Error::NotFound("employee", u.employee_id);
    if (u.expected_version > 0 && existing->version != u.expected_version) {
      return Error::Aborted("employee", u.employee_id, u.expected_version, existing->version);
    }
    DisciplinaryOutcome outcome;
    auto stored_seq = c.Prepare(
        "SELECT source_sequence FROM disciplinary_records WHERE employee_id = ?1 AND case_id = ?2");
    stored_seq.Bind(1, u.employee_id).Bind(2, u.record.case_id);
    const bool newer = !stored_seq.Step() || stored_seq.ColumnInt64(0) < u.record.source_sequence;
    stored_seq.Reset();
    if (newer) {
      const int64_t now = NowMicros();
      std::string forms;
      for (int f : u.record.forms) forms += (forms.empty() ? "" : ",") + std::to_string(f);
      auto put = c.Prepare(
          "INSERT INTO disciplinary_records(employee_id, case_id, state, level, forms, decree_number, decree_date, "
          "end_date, source_sequence, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
          "ON CONFLICT(employee_id, case_id) DO UPDATE SET state = excluded.state, level = excluded.level, "
          "forms = excluded.forms, decree_number = excluded.decree_number, decree_date = excluded.decree_date, "
          "end_date = excluded.end_date, source_sequence = excluded.source_sequence, updated_at = excluded.updated_at");
      put.Bind(1, u.employee_id)
          .Bind(2, u.record.case_id)
          .Bind(3, static_cast<int64_t>(u.record.state))
          .Bind(4, static_cast<int64_t>(u.record.level))
          .Bind(5, forms)
          .Bind(6, u.record.decree_number)
          .Bind(7, u.record.decree_date.empty() ? 0 : DateNumber(u.record.decree_date))
          .Bind(8, u.record.end_date.empty() ? 0 : DateNumber(u.record.end_date))
          .Bind(9, u.record.source_sequence)
          .Bind(10, now);
      put.Run();
      // The summary is the most severe state over all cases (numbered so that max works).
      auto summary = c.Prepare(
          "UPDATE employees SET disciplinary_state = (SELECT COALESCE(MAX(state), 1) FROM disciplinary_records "
          "WHERE employee_id = ?1), version = version + 1, updated_at = ?2 WHERE employee_id = ?1");
      summary.Bind(1, u.employee_id).Bind(2, now);
      summary.Run();
      outcome.changed = true;
    }
    outcome.employee = *FindIn(c, u.employee_id);
    return outcome;
  });
}

std::optional<std::pair<std::string, std::string>> EmployeeStore::FindRequest(const std::string& method,
                                                                             const std::string& request_id) {
  return db_.Read([&](Connection& c) -> std::optional<std::pair<std::string, std::string>> {
    auto recorded = FindRequestRecord(c, method, request_id);
    if (!recorded) return std::nullopt;
    return std::pair{std::move(recorded->request_hash), std::move(recorded->response)};
  });
}

void EmployeeStore::RecordRequest(const std::string& method, const std::string& request_id,
                                  const std::string& request_hash, const std::string& response) {
  db_.Write([&](Connection& c) { netra::RecordRequest(c, {method, request_id, request_hash}, response); });
}

}  // namespace netra::registry
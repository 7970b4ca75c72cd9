// The PostgreSQL backend: libpq connections and statements (postgres.h).
// The Database's PostgreSQL parts (opening connections, re-running writes)
// are in postgres_database.cc; the store SQL's parameters in PostgreSQL's
// form, in postgres_parameters.cc.
#include "common/postgres.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace netra::postgres {
namespace {

constexpr unsigned kByteaOid = 17;
constexpr unsigned kBoolOid = 16;
// Beyond this many distinct SQL texts a connection stops keeping server-side
// statements (guards against callers that build SQL dynamically).
constexpr size_t kMaxPreparedStatements = 256;

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// bytea's text output ("\x0a1b...", bytea_output = hex, set per connection).
std::string DecodeBytea(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') {
    throw StoreError(StoreError::Kind::kOther, 0, "bytea value not in hex format");
  }
  std::string out;
  out.reserve((text.size() - 2) / 2);
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    const int hi = HexValue(text[i]), lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) throw StoreError(StoreError::Kind::kOther, 0, "bad hex digit in a bytea value");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// The command word of a result's status ("INSERT 0 1" -> "INSERT").
std::string_view CommandOf(PGresult* result) {
  std::string_view status = PQcmdStatus(result);
  return status.substr(0, status.find(' '));
}

}  // namespace

// ---------------------------------------------------------------- errors

int PackSqlState(std::string_view sqlstate) {
  int code = 0;
  for (size_t i = 0; i < 5 && i < sqlstate.size(); ++i) code |= ((sqlstate[i] - '0') & 0x3F) << (6 * i);
  return code;
}

std::string SqlStateOf(int code) {
  std::string out(5, '0');
  for (int i = 0; i < 5; ++i) out[i] = static_cast<char>(((code >> (6 * i)) & 0x3F) + '0');
  return out;
}

StoreError PostgresError(std::string_view sqlstate, const std::string& message) {
  using Kind = StoreError::Kind;
  const std::string_view cls = sqlstate.substr(0, 2);
  Kind kind = Kind::kOther;
  if (sqlstate == "23505") {
    kind = Kind::kUniqueViolation;
  } else if (cls == "23") {
    kind = Kind::kConstraint;
  } else if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014") {
    kind = Kind::kBusy;
  } else if (cls == "08" || cls == "53" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    kind = Kind::kUnavailable;
  }
  return StoreError(kind, PackSqlState(sqlstate), message + " (SQLSTATE " + std::string(sqlstate) + ")");
}

// ---------------------------------------------------------------- PgConnection

PgConnection::PgConnection(const std::string& url, const ConnectOptions& options) {
  const long long timeout_seconds = std::max<long long>(2, (options.connect_timeout.count() + 999) / 1000);
  const std::string timeout = std::to_string(timeout_seconds);
  // Entries before dbname are defaults the URL may override; those after it override the URL.
  std::vector<const char*> keys = {"connect_timeout", "client_encoding", "fallback_application_name", "dbname"};
  std::vector<const char*> values = {timeout.c_str(), "UTF8", "netra", url.c_str()};
  if (!options.password_file.empty()) {
    keys.push_back("passfile");
    values.push_back(options.password_file.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = conn_ != nullptr ? Trimmed(PQerrorMessage(conn_)) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    throw PostgresError("08001", "cannot connect to PostgreSQL: " + message);
  }
  // NOTICEs ("relation already exists, skipping") are not for stderr.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  // Durable on success: COMMIT returns once the WAL is flushed (and, with
  // synchronous standbys configured, acknowledged by them).
  try {
    Exec("SET synchronous_commit = on; SET bytea_output = 'hex'; SET statement_timeout = " +
         std::to_string(std::max<long long>(1, options.statement_timeout.count())));
  } catch (...) {
    PQfinish(conn_);  // the destructor does not run for a constructor that throws
    throw;
  }
}

PgConnection::~PgConnection() {
  idle_.clear();  // statements free their results first
  PQfinish(conn_);
}

// Also when it could not leave pipeline mode (results it did not expect were
// left unread): such a connection refuses every synchronous call, so the pool
// must close it rather than hand it out again.
bool PgConnection::broken() const {
  return PQstatus(conn_) != CONNECTION_OK || (deferred_.empty() && PQpipelineStatus(conn_) != PQ_PIPELINE_OFF);
}

bool PgConnection::InTransaction() const {
  if (!deferred_.empty()) return true;  // a BEGIN, or a transaction's statements, not yet answered
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

std::string PgConnection::Describe() const {
  return std::string("postgresql://") + PQuser(conn_) + "@" + PQhost(conn_) + ":" + PQport(conn_) + "/" + PQdb(conn_);
}

void PgConnection::Throw(PGresult* result, std::string_view what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state != nullptr ? state : "";
  std::string message;
  if (const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr) {
    message = primary;
    // Never DETAIL: it repeats the offending values (a key, a row), which may be personal data.
    if (const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME)) {
      message += std::string(" [constraint ") + constraint + "]";
    }
  } else {
    message = Trimmed(PQerrorMessage(conn_));
  }
  PQclear(result);
  // No SQLSTATE (libpq's own failure) or a connection now lost: unavailable,
  // unless the server said why it went (57P01 shutting down, ...).
  const std::string cls = sqlstate.substr(0, 2);
  if (sqlstate.empty() || (broken() && cls != "57" && cls != "08")) sqlstate = std::string(kConnectionFailure);
  if (sqlstate == "40001" || sqlstate == "40P01") retryable_failure_ = true;
  throw PostgresError(sqlstate, std::string(what) + ": " + message);
}

void PgConnection::NoteResult(PGresult* result) {
  const std::string_view command = CommandOf(result);
  if (command == "INSERT" || command == "UPDATE" || command == "DELETE" || command == "MERGE") {
    const char* tuples = PQcmdTuples(result);
    changes_ = std::strtoll(tuples, nullptr, 10);
  }
}

void PgConnection::Exec(std::string_view sql) {
  if (!deferred_.empty()) CompletePipeline(false);
  const std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    const std::string head = text.substr(0, 200);
    Throw(result, "exec [" + head + (text.size() > head.size() ? "...]" : "]"));
  }
  NoteResult(result);
  PQclear(result);
}

void PgConnection::ExecQuietly(const char* sql) noexcept {
  DiscardPipeline();
  PQclear(PQexec(conn_, sql));
}

void PgConnection::BeginTransaction(std::string_view begin_sql) {
  retryable_failure_ = false;
  if (deferred_.empty() && EnterPipeline()) {
    std::string text(begin_sql);
    if (PQsendQueryParams(conn_, text.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1) {
      deferred_.push_back(std::move(text));
      return;
    }
    DiscardPipeline();
  }
  Exec(begin_sql);  // unable to send it: the error comes from here
}

bool PgConnection::EnterPipeline() {
  return PQpipelineStatus(conn_) != PQ_PIPELINE_OFF || PQenterPipelineMode(conn_) == 1;
}

bool PgConnection::SendExecution(PgStatement& statement) {
  statement.FillValues();
  if (statement.name_ == nullptr) {  // no server-side name: prepared unnamed, in the pipeline too
    if (PQsendPrepare(conn_, "", statement.rewritten_.sql.c_str(), 0, nullptr) != 1) return false;
    deferred_.push_back("prepare [" + statement.sql_ + "]");
  }
  return PQsendQueryPrepared(conn_, statement.name_ != nullptr ? statement.name_->c_str() : "",
                             static_cast<int>(statement.values_.size()), statement.values_.data(),
                             statement.lengths_.data(), statement.formats_.data(), 0) == 1;
}

void PgConnection::SendDeferred(PgStatement& statement) {
  if (!EnterPipeline()) {  // cannot (broken): at once, for its error
    while (statement.Step()) {
    }
    return;
  }
  if (!SendExecution(statement)) {
    DiscardPipeline();
    Throw(nullptr, "[" + statement.sql_ + "]");
  }
  deferred_.push_back("[" + statement.sql_ + "]");
}

PGresult* PgConnection::CompletePipeline(bool last) {
  const std::vector<std::string> sent = std::exchange(deferred_, {});
  const size_t expected = sent.size() + (last ? 1 : 0);
  PGresult* failed = nullptr;  // the first deferred command's failure
  std::string failed_what;
  PGresult* final = nullptr;
  bool lost = PQpipelineSync(conn_) != 1;
  for (size_t i = 0; i < expected && !lost; ++i) {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      lost = true;
      break;
    }
    for (PGresult* more; (more = PQgetResult(conn_)) != nullptr;) PQclear(more);  // a command's results end with a null
    const ExecStatusType status = PQresultStatus(result);
    if (last && i + 1 == expected && failed == nullptr) {
      final = result;  // the caller's to check
    } else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_PIPELINE_ABORTED) {
      PQclear(result);  // aborted: an earlier one failed
    } else if (failed == nullptr) {
      failed = result;
      failed_what = sent[i];
    } else {
      PQclear(result);
    }
  }
  if (!lost) {
    PGresult* sync = PQgetResult(conn_);
    lost = sync == nullptr || PQresultStatus(sync) != PGRES_PIPELINE_SYNC;
    PQclear(sync);
  }
  PQexitPipelineMode(conn_);  // refused only while results wait: a lost connection
  if (failed != nullptr) {
    PQclear(final);
    Throw(failed, failed_what);
  }
  if (lost) {
    PQclear(final);
    Throw(nullptr, "pipeline");
  }
  return final;
}

void PgConnection::DiscardPipeline() noexcept {
  if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) {
    deferred_.clear();
    return;
  }
  try {
    PQclear(CompletePipeline(false));
  } catch (...) {  // cleanup: the failure was, or will be, reported by what follows
  }
}

void PgConnection::Commit() {
  PGresult* result = nullptr;
  if (!deferred_.empty()) {
    if (PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
      DiscardPipeline();
      Throw(nullptr, "commit");
    }
    result = CompletePipeline(true);
  } else {
    result = PQexec(conn_, "COMMIT");
  }
  if (PQresultStatus(result) != PGRES_COMMAND_OK) Throw(result, "commit");
  const bool committed = CommandOf(result) == "COMMIT";
  PQclear(result);
  if (!committed) {
    throw StoreError(StoreError::Kind::kOther, PackSqlState("25P02"),
                     "commit: the transaction had failed and was rolled back (SQLSTATE 25P02)");
  }
}

const std::string& PgConnection::Prepared(const RewrittenSql& sql, std::string_view original) {
  if (auto it = prepared_.find(sql.sql); it != prepared_.end()) return it->second;
  if (!deferred_.empty()) CompletePipeline(false);  // PQprepare waits for its answer
  std::string name = "netra_" + std::to_string(next_name_++);
  PGresult* result = PQprepare(conn_, name.c_str(), sql.sql.c_str(), 0, nullptr);
  if (PQresultStatus(result) != PGRES_COMMAND_OK) Throw(result, "prepare [" + std::string(original) + "]");
  PQclear(result);
  return prepared_.emplace(sql.sql, std::move(name)).first->second;
}

std::unique_ptr<PgStatement> PgConnection::Borrow(std::string_view sql) {
  if (auto it = idle_.find(std::string(sql)); it != idle_.end()) {
    std::unique_ptr<PgStatement> statement = std::move(it->second);
    idle_.erase(it);
    return statement;
  }
  std::string error;
  auto rewritten = RewriteParameters(sql, &error);
  if (!rewritten) throw StoreError(StoreError::Kind::kOther, PackSqlState("42601"), error);
  auto statement = std::make_unique<PgStatement>(*this, std::string(sql), std::move(*rewritten));
  // Prepared now, so that a bad statement fails at Prepare as on SQLite.
  if (prepared_.size() < kMaxPreparedStatements || prepared_.contains(statement->rewritten_.sql)) {
    statement->name_ = &Prepared(statement->rewritten_, sql);
  }
  return statement;
}

void PgConnection::Return(std::unique_ptr<PgStatement> statement) noexcept {
  statement->Reset();
  statement->ClearBindings();
  if (idle_.size() >= kMaxPreparedStatements || idle_.contains(statement->sql())) return;  // a second copy
  try {
    std::string key = statement->sql();
    idle_.emplace(std::move(key), std::move(statement));
  } catch (...) {
  }
}

// ---------------------------------------------------------------- PgStatement

PgStatement::PgStatement(PgConnection& conn, std::string sql, RewrittenSql rewritten)
    : conn_(conn), sql_(std::move(sql)), rewritten_(std::move(rewritten)), params_(rewritten_.params) {}

PgStatement::~PgStatement() { PQclear(result_); }

PgStatement::Param& PgStatement::At(int index) {
  if (index < 1 || index > static_cast<int>(params_.size())) {
    throw StoreError(StoreError::Kind::kOther, PackSqlState("08P01"),
                     "bind: no parameter " + std::to_string(index) + " in [" + sql_ + "]");
  }
  return params_[static_cast<size_t>(index - 1)];
}

void PgStatement::BindInt64(int index, int64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  BindText(index, std::string_view(buffer, static_cast<size_t>(end - buffer)));
}

void PgStatement::BindDouble(int index, double value) {
  if (!std::isfinite(value)) {
    BindText(index, std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest text that reads back exactly
  BindText(index, std::string_view(buffer, static_cast<size_t>(end - buffer)));
}

void PgStatement::BindText(int index, std::string_view text) {
  Param& p = At(index);
  p.value.assign(text.data() != nullptr ? text.data() : "", text.size());
  p.null = false;
  p.binary = false;
}

void PgStatement::BindBlob(int index, std::string_view bytes) {
  Param& p = At(index);
  p.value.assign(bytes.data() != nullptr ? bytes.data() : "", bytes.size());
  p.null = false;
  p.binary = true;
}

void PgStatement::BindNull(int index) { At(index).null = true; }

void PgStatement::ClearBindings() {
  for (Param& p : params_) p.null = true;
}

int PgStatement::ParamIndex(std::string_view name) const {
  for (const auto& [n, index] : rewritten_.names) {
    if (n == name) return index;
  }
  return 0;
}

void PgStatement::FillValues() {
  values_.resize(params_.size());
  lengths_.resize(params_.size());
  formats_.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    values_[i] = params_[i].null ? nullptr : params_[i].value.c_str();
    lengths_[i] = static_cast<int>(params_[i].value.size());
    formats_[i] = params_[i].binary ? 1 : 0;
  }
}

bool PgStatement::Step() {
  if (result_ == nullptr) {
    PGresult* result = nullptr;
    if (conn_.deferred() > 0) {  // in the pipeline after them: one round trip for all
      if (!conn_.SendExecution(*this)) {
        conn_.DiscardPipeline();
        conn_.Throw(nullptr, "[" + sql_ + "]");
      }
      result = conn_.CompletePipeline(true);
    } else {
      FillValues();
      if (name_ == nullptr) {  // the connection keeps no more statements: the unnamed one, prepared again
        PGresult* prepared = PQprepare(conn_.conn_, "", rewritten_.sql.c_str(), 0, nullptr);
        if (PQresultStatus(prepared) != PGRES_COMMAND_OK) conn_.Throw(prepared, "prepare [" + sql_ + "]");
        PQclear(prepared);
      }
      result = PQexecPrepared(conn_.conn_, name_ != nullptr ? name_->c_str() : "", static_cast<int>(values_.size()),
                              values_.data(), lengths_.data(), formats_.data(), 0);
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) conn_.Throw(result, "[" + sql_ + "]");
    conn_.NoteResult(result);
    result_ = result;
    row_ = -1;
  }
  if (++row_ < PQntuples(result_)) {
    decoded_.assign(static_cast<size_t>(PQnfields(result_)), std::nullopt);
    return true;
  }
  Reset();
  return false;
}

void PgStatement::Reset() {
  PQclear(result_);
  result_ = nullptr;
  row_ = -1;
}

int PgStatement::ColumnCount() const { return result_ != nullptr ? PQnfields(result_) : 0; }

bool PgStatement::ColumnIsNull(int col) const {
  return result_ == nullptr || row_ < 0 || PQgetisnull(result_, row_, col) != 0;
}

bool PgStatement::IsBytea(int col) const { return PQftype(result_, col) == kByteaOid; }

int64_t PgStatement::ColumnInt64(int col) const {
  if (ColumnIsNull(col)) return 0;
  const char* text = PQgetvalue(result_, row_, col);
  const size_t size = static_cast<size_t>(PQgetlength(result_, row_, col));
  if (PQftype(result_, col) == kBoolOid) return text[0] == 't' ? 1 : 0;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text, text + size, value);
  if (ec == std::errc() && end == text + size) return value;
  return static_cast<int64_t>(std::strtod(text, nullptr));  // numeric with a fraction, a float
}

double PgStatement::ColumnDouble(int col) const {
  if (ColumnIsNull(col)) return 0.0;
  return std::strtod(PQgetvalue(result_, row_, col), nullptr);
}

std::string_view PgStatement::ColumnText(int col) const {
  if (ColumnIsNull(col)) return {};
  if (IsBytea(col)) {
    auto& decoded = decoded_.at(static_cast<size_t>(col));
    if (!decoded) decoded = ColumnBlob(col);
    return *decoded;
  }
  return std::string_view(PQgetvalue(result_, row_, col), static_cast<size_t>(PQgetlength(result_, row_, col)));
}

std::string PgStatement::ColumnBlob(int col) const {
  if (ColumnIsNull(col)) return {};
  const std::string_view text(PQgetvalue(result_, row_, col), static_cast<size_t>(PQgetlength(result_, row_, col)));
  if (IsBytea(col)) return DecodeBytea(text);
  return std::string(text);
}

}  // namespace netra::postgres

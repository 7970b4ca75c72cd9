#include "common/access_log.h"

#include <charconv>

#include "absl/time/clock.h"
#include "common/log.h"
#include "common/paging.h"
#include "netra/v1/types.pb.h"

namespace netra {

AccessLog::AccessLog(Database& store, prometheus::Registry& metrics, Options options)
    : store_(store), options_(options) {
  auto& entries = prometheus::BuildCounter()
                      .Name("netra_access_log_entries_total")
                      .Help("Personal-data reads written to the access log")
                      .Register(metrics);
  written_ = &entries.Add({});
  refused_ = &prometheus::BuildCounter()
                  .Name("netra_access_log_refused_total")
                  .Help("Personal-data reads refused (UNAVAILABLE) because the access log could not take them")
                  .Register(metrics)
                  .Add({});
  failed_commits_ = &prometheus::BuildCounter()
                         .Name("netra_access_log_failed_commits_total")
                         .Help("Access-log batches the store refused (retried; reads wait, then are refused)")
                         .Register(metrics)
                         .Add({});
  queued_gauge_ = &prometheus::BuildGauge()
                       .Name("netra_access_log_queued")
                       .Help("Access-log entries waiting for the writer")
                       .Register(metrics)
                       .Add({});
  writer_ = std::thread([this] { Run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  writer_.join();
}

grpc::Status AccessLog::Record(const CallScope& scope, std::string_view subject_type,
                               std::span<const std::string> subject_ids) {
  if (subject_ids.empty()) return grpc::Status::OK;
  const Caller& caller = scope.caller();
  const int64_t now = absl::ToUnixMicros(absl::Now());
  std::unique_lock lock(mutex_);
  // Backpressure, never a silent drop: wait for room, then refuse the read.
  const bool room = room_cv_.wait_for(lock, options_.max_wait, [&] {
    return stopping_ || queue_.size() + subject_ids.size() <= options_.max_queued || queue_.empty();
  });
  if (!room || stopping_) {
    lock.unlock();
    refused_->Increment();
    log::Warn("personal-data read refused: the access log is not keeping up",
              {{"caller", caller.agency}, {"queued", std::to_string(options_.max_queued)}});
    return Unavailable("the access log cannot record this read now; retry later");
  }
  for (const std::string& id : subject_ids) {
    queue_.push_back(PersonalDataRead{0, now, caller.authenticated ? caller.agency : "unauthenticated", caller.actor,
                                      scope.method(), std::string(subject_type), id, scope.request_id()});
  }
  enqueued_ += static_cast<int64_t>(subject_ids.size());
  queued_gauge_->Set(static_cast<double>(queue_.size()));
  lock.unlock();
  work_cv_.notify_one();
  return grpc::Status::OK;
}

void AccessLog::Run() {
  std::vector<PersonalDataRead> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, everything written
    const size_t n = std::min(queue_.size(), options_.max_batch);
    batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
    lock.unlock();
    bool ok = true;
    try {
      WriteBatch(batch);
    } catch (const StoreError& e) {
      ok = false;
      failed_commits_->Increment();
      log::Error("access log batch not written; retrying", {{"entries", std::to_string(n)}, {"error", e.what()}});
    }
    lock.lock();
    if (ok) {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
      written_count_ += static_cast<int64_t>(n);
      written_->Increment(static_cast<double>(n));
      queued_gauge_->Set(static_cast<double>(queue_.size()));
      room_cv_.notify_all();
      written_cv_.notify_all();
    } else if (stopping_) {
      log::Error("access log entries lost at shutdown: the store refused them", {{"entries", std::to_string(queue_.size())}});
      return;
    } else {
      // The entries stay queued; reads wait for room meanwhile, then are refused.
      work_cv_.wait_for(lock, options_.retry_after, [&] { return stopping_; });
    }
  }
}

void AccessLog::WriteBatch(const std::vector<PersonalDataRead>& batch) {
  store_.Write([&](Connection& c) {
    if (c.dialect() == Dialect::kPostgres) {  // the batch in one statement (PgArray)
      std::vector<std::string> times;
      times.reserve(batch.size());
      for (const PersonalDataRead& r : batch) times.push_back(std::to_string(r.read_micros));
      auto column = [&](auto field) {
        std::vector<std::string_view> values;
        values.reserve(batch.size());
        for (size_t i = 0; i < batch.size(); ++i) values.push_back(field(i));
        return PgArray(values);
      };
      c.Prepare(
           "INSERT INTO personal_data_reads(read_at, caller, actor, method, subject_type, subject_id, request_id) "
           "SELECT * FROM unnest(CAST(?1 AS BIGINT[]), CAST(?2 AS TEXT[]), CAST(?3 AS TEXT[]), CAST(?4 AS TEXT[]), "
           "CAST(?5 AS TEXT[]), CAST(?6 AS TEXT[]), CAST(?7 AS TEXT[]))")
          .Bind(1, column([&](size_t i) -> std::string_view { return times[i]; }))
          .Bind(2, column([&](size_t i) -> std::string_view { return batch[i].caller; }))
          .Bind(3, column([&](size_t i) -> std::string_view { return batch[i].actor; }))
          .Bind(4, column([&](size_t i) -> std::string_view { return batch[i].method; }))
          .Bind(5, column([&](size_t i) -> std::string_view { return batch[i].subject_type; }))
          .Bind(6, column([&](size_t i) -> std::string_view { return batch[i].subject_id; }))
          .Bind(7, column([&](size_t i) -> std::string_view { return batch[i].request_id; }))
          .Run();
      return;
    }
    auto insert = c.Prepare(
        "INSERT INTO personal_data_reads(read_at, caller, actor, method, subject_type, subject_id, request_id) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (const PersonalDataRead& r : batch) {
      insert.Bind(1, r.read_micros).Bind(2, r.caller).Bind(3, r.actor).Bind(4, r.method);
      insert.Bind(5, r.subject_type).Bind(6, r.subject_id).Bind(7, r.request_id);
      insert.Run();
    }
  });
}

bool AccessLog::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const int64_t target = enqueued_;
  return written_cv_.wait_for(lock, timeout, [&] { return written_count_ >= target; });
}

Result<PersonalDataReadPage> AccessLog::List(const PersonalDataReadQuery& query) {
  Violations v;
  if (query.subject_id.empty() && query.caller.empty()) {
    v.Add("employee_id", ViolationReason::kRequired, "name the person read, the caller, or both");
  }
  if (query.subject_id.size() > 256) v.Add("employee_id", ViolationReason::kTooLong, "at most 256 bytes");
  if (query.caller.size() > kMaxSpiffeIdBytes) v.Add("caller", ViolationReason::kTooLong, "at most 256 bytes");
  const int size = PageSize(query.page_size, {kDefaultPageSize, kMaxPageSize}, "page_size", v);
  // The token is bound to the filters, so it cannot page through another person's reads.
  const std::string filters = query.subject_type + "\n" + query.subject_id + "\n" + query.caller;
  const auto last = DecodePageToken(query.page_token, "page_token", v, filters);
  int64_t before = INT64_MAX;
  if (last && !last->empty()) {
    auto [end, ec] = std::from_chars(last->data(), last->data() + last->size(), before);
    if (ec != std::errc() || end != last->data() + last->size()) {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a token of this listing");
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  if (!Flush()) return Error::Unavailable("the access log is behind; retry later");
  return RunStoreOperation("list personal-data reads", [&]() -> Result<PersonalDataReadPage> {
    return store_.Read([&](Connection& c) {
      std::string sql =
          "SELECT seq, read_at, caller, actor, method, subject_type, subject_id, request_id FROM personal_data_reads "
          "WHERE seq < :before";
      if (!query.subject_id.empty()) sql += " AND subject_type = :type AND subject_id = :subject";
      if (!query.caller.empty()) sql += " AND caller = :caller";
      sql += " ORDER BY seq DESC LIMIT :limit";
      auto s = c.Prepare(sql);
      s.Bind(s.ParamIndex(":before"), before).Bind(s.ParamIndex(":limit"), static_cast<int64_t>(size) + 1);
      if (!query.subject_id.empty()) {
        s.Bind(s.ParamIndex(":type"), query.subject_type).Bind(s.ParamIndex(":subject"), query.subject_id);
      }
      if (!query.caller.empty()) s.Bind(s.ParamIndex(":caller"), query.caller);
      PersonalDataReadPage page;
      while (s.Step()) {
        if (static_cast<int>(page.reads.size()) == size) {
          page.next_page_token = EncodePageToken(std::to_string(page.reads.back().seq), filters);
          break;
        }
        page.reads.push_back(PersonalDataRead{s.ColumnInt64(0), s.ColumnInt64(1), s.ColumnText(2), s.ColumnText(3),
                                              s.ColumnText(4), s.ColumnText(5), s.ColumnText(6), s.ColumnText(7)});
      }
      return page;
    });
  });
}

void ToProto(const PersonalDataRead& read, v1::PersonalDataRead* out) {
  out->mutable_read_time()->set_seconds(read.read_micros / 1000000);
  out->mutable_read_time()->set_nanos(static_cast<int32_t>(read.read_micros % 1000000) * 1000);
  out->set_caller(read.caller);
  out->set_actor(read.actor);
  out->set_method(read.method);
  out->set_subject_type(read.subject_type);
  out->set_subject_id(read.subject_id);
  out->set_request_id(read.request_id);
}

}  // namespace netra

#include "common/access_log.h"

#include <cassert>
#include <charconv>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
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

ReadingCall ReadingCall::Of(const CallScope& scope) {
  const Caller& caller = scope.caller();
  return ReadingCall{caller.authenticated ? caller.agency : "unauthenticated", caller.actor, scope.method(),
                     scope.request_id()};
}

grpc::Status AccessLog::Record(ReadingCall call, std::string_view subject_type,
                               std::span<const std::string> subject_ids) {
  if (subject_ids.empty()) return grpc::Status::OK;
  QueuedCall queued{absl::ToUnixMicros(absl::Now()), std::move(call), std::string(subject_type), {}};
  // Distinct: the by-subject index holds a person once per call.
  queued.subject_ids.reserve(subject_ids.size());
  absl::flat_hash_set<std::string_view> seen;
  for (const std::string& id : subject_ids) {
    // The store's own ids (employee_id, complaint_id): never a line break,
    // which separates them in the call's row.
    assert(id.find('\n') == std::string::npos);
    if (seen.insert(id).second) queued.subject_ids.push_back(id);
  }
  const size_t entries = queued.subject_ids.size();
  std::unique_lock lock(mutex_);
  // Backpressure, never a silent drop: wait for room, then refuse the read.
  auto has_room = [&] { return stopping_ || queued_entries_ + entries <= options_.max_queued || queued_entries_ == 0; };
  bool room = has_room();
  if (!room) {
    ++waiting_on_writer_;
    work_cv_.notify_one();  // past the commit gap
    room = room_cv_.wait_for(lock, options_.max_wait, has_room);
    --waiting_on_writer_;
  }
  if (!room || stopping_) {
    lock.unlock();
    refused_->Increment();
    log::Warn("personal-data read refused: the access log is not keeping up",
              {{"caller", queued.call.caller}, {"queued", std::to_string(options_.max_queued)}});
    return Unavailable("the access log cannot record this read now; retry later");
  }
  queue_.push_back(std::move(queued));
  queued_entries_ += entries;
  enqueued_ += static_cast<int64_t>(entries);
  queued_gauge_->Set(static_cast<double>(queued_entries_));
  lock.unlock();
  work_cv_.notify_one();
  return grpc::Status::OK;
}

void AccessLog::Run() {
  std::vector<QueuedCall> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, everything written
    // Whole calls, up to max_batch entries (at least one call). They count
    // as queued until committed, so that reads wait for room meanwhile.
    size_t entries = 0;
    batch.clear();
    while (!queue_.empty() && (batch.empty() || entries + queue_.front().subject_ids.size() <= options_.max_batch)) {
      entries += queue_.front().subject_ids.size();
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    bool ok = true;
    try {
      WriteBatch(batch);
    } catch (const StoreError& e) {
      ok = false;
      failed_commits_->Increment();
      log::Error("access log batch not written; retrying", {{"entries", std::to_string(entries)}, {"error", e.what()}});
    }
    lock.lock();
    if (ok) {
      queued_entries_ -= entries;
      written_count_ += static_cast<int64_t>(entries);
      written_->Increment(static_cast<double>(entries));
      queued_gauge_->Set(static_cast<double>(queued_entries_));
      room_cv_.notify_all();
      written_cv_.notify_all();
      work_cv_.wait_for(lock, options_.commit_gap, [&] {
        return stopping_ || waiting_on_writer_ > 0 || queued_entries_ >= options_.max_batch;
      });
      continue;
    }
    // Back at the front, in order (Record only appends): retried, while reads
    // wait for room and then are refused.
    queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
    if (stopping_) {
      log::Error("access log entries lost at shutdown: the store refused them",
                 {{"entries", std::to_string(queued_entries_)}});
      return;
    }
    work_cv_.wait_for(lock, options_.retry_after, [&] { return stopping_; });
  }
}

void AccessLog::WriteBatch(std::span<const QueuedCall> batch) {
  std::vector<std::string> ids;  // each call's, one per line
  ids.reserve(batch.size());
  for (const QueuedCall& q : batch) ids.push_back(absl::StrJoin(q.subject_ids, "\n"));
  store_.Write([&](Connection& c) {
    if (c.dialect() == Dialect::kPostgres) {  // the batch in one statement (PgArray); the GIN index takes the ids
      std::vector<std::string> times;
      times.reserve(batch.size());
      for (const QueuedCall& q : batch) times.push_back(std::to_string(q.read_micros));
      auto column = [&](auto field) {
        std::vector<std::string_view> values;
        values.reserve(batch.size());
        for (size_t i = 0; i < batch.size(); ++i) values.push_back(field(i));
        return PgArray(values);
      };
      c.Prepare(
           "INSERT INTO personal_data_calls(read_at, caller, actor, method, subject_type, request_id, subject_ids) "
           "SELECT * FROM unnest(CAST(?1 AS BIGINT[]), CAST(?2 AS TEXT[]), CAST(?3 AS TEXT[]), CAST(?4 AS TEXT[]), "
           "CAST(?5 AS TEXT[]), CAST(?6 AS TEXT[]), CAST(?7 AS TEXT[]))")
          .Bind(1, column([&](size_t i) -> std::string_view { return times[i]; }))
          .Bind(2, column([&](size_t i) -> std::string_view { return batch[i].call.caller; }))
          .Bind(3, column([&](size_t i) -> std::string_view { return batch[i].call.actor; }))
          .Bind(4, column([&](size_t i) -> std::string_view { return batch[i].call.method; }))
          .Bind(5, column([&](size_t i) -> std::string_view { return batch[i].subject_type; }))
          .Bind(6, column([&](size_t i) -> std::string_view { return batch[i].call.request_id; }))
          .Bind(7, column([&](size_t i) -> std::string_view { return ids[i]; }))
          .Run();
      return;
    }
    auto insert_call = c.Prepare(
        "INSERT INTO personal_data_calls(read_at, caller, actor, method, subject_type, request_id, subject_ids) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    auto insert_subject =
        c.Prepare("INSERT INTO personal_data_subjects(subject_type, subject_id, call_seq) VALUES(?1, ?2, ?3)");
    for (size_t i = 0; i < batch.size(); ++i) {
      const QueuedCall& q = batch[i];
      insert_call.Bind(1, q.read_micros).Bind(2, q.call.caller).Bind(3, q.call.actor).Bind(4, q.call.method);
      insert_call.Bind(5, q.subject_type).Bind(6, q.call.request_id).Bind(7, ids[i]);
      insert_call.Run();
      const int64_t seq = c.LastInsertRowId();
      for (const std::string& id : q.subject_ids) insert_subject.Bind(1, q.subject_type).Bind(2, id).Bind(3, seq).Run();
    }
  });
}

bool AccessLog::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const int64_t target = enqueued_;
  ++waiting_on_writer_;
  work_cv_.notify_one();  // past the commit gap
  const bool written = written_cv_.wait_for(lock, timeout, [&] { return written_count_ >= target; });
  --waiting_on_writer_;
  return written;
}

namespace {

// Where a page starts: the entries of calls before `before`, and of call
// `before` itself from its `from`-th person on when `from` is set. A call's
// people may span pages only when listed by caller ("S.k"); by subject, a call
// is one entry ("S", as every token of the log's first form).
struct PagePosition {
  int64_t before = INT64_MAX;
  std::optional<int64_t> from;
};

std::optional<PagePosition> ParsePosition(std::string_view token) {
  auto number = [](std::string_view text) -> std::optional<int64_t> {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
  };
  const size_t dot = token.find('.');
  auto before = number(token.substr(0, dot));
  if (!before) return std::nullopt;
  if (dot == std::string_view::npos) return PagePosition{*before, std::nullopt};
  auto from = number(token.substr(dot + 1));
  if (!from) return std::nullopt;
  return PagePosition{*before, from};
}

}  // namespace

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
  PagePosition position;
  if (last && !last->empty()) {
    if (auto parsed = ParsePosition(*last)) {
      position = *parsed;
    } else {
      v.Add("page_token", ViolationReason::kInvalidFormat, "not a token of this listing");
    }
  }
  if (!v.empty()) return Error::Invalid(std::move(v));
  if (!Flush()) return Error::Unavailable("the access log is behind; retry later");
  const bool by_subject = !query.subject_id.empty();
  return RunStoreOperation("list personal-data reads", [&]() -> Result<PersonalDataReadPage> {
    return store_.Read([&](Connection& c) {
      std::string sql = "SELECT c.seq, c.read_at, c.caller, c.actor, c.method, c.request_id, c.subject_ids, "
                        "c.subject_type FROM personal_data_calls c ";
      std::string order = "c.seq";
      if (!by_subject) {
        sql += "WHERE c.caller = :caller AND c.seq < :before";
      } else if (c.dialect() == Dialect::kPostgres) {
        // The GIN index's expression. The page position and the order are
        // on an expression no index has: else a generic plan (a connection's
        // statement after five runs) walks the whole log backwards along the
        // primary key, or ANDs its every entry into the bitmap.
        sql += "WHERE string_to_array(c.subject_ids, chr(10)) @> ARRAY[CAST(:subject AS TEXT)] "
               "AND c.subject_type = :type AND c.seq + 0 < :before";
        order = "c.seq + 0";
      } else {
        sql += "JOIN personal_data_subjects s ON s.call_seq = c.seq WHERE s.subject_type = :type "
               "AND s.subject_id = :subject AND s.call_seq < :before";
      }
      if (by_subject && !query.caller.empty()) sql += " AND c.caller = :caller";
      sql += " ORDER BY " + order + " DESC LIMIT :limit";
      auto s = c.Prepare(sql);
      // Call `before` is read too when the page starts inside it; one call
      // more than the page needs shows whether there is a next page.
      s.Bind(s.ParamIndex(":before"), position.from ? position.before + 1 : position.before);
      s.Bind(s.ParamIndex(":limit"), static_cast<int64_t>(size) + 2);
      if (by_subject) {
        s.Bind(s.ParamIndex(":type"), query.subject_type).Bind(s.ParamIndex(":subject"), query.subject_id);
      }
      if (!query.caller.empty()) s.Bind(s.ParamIndex(":caller"), query.caller);
      PersonalDataReadPage page;
      while (s.Step()) {
        const int64_t seq = s.ColumnInt64(0);
        PersonalDataRead read{seq, s.ColumnInt64(1), s.ColumnText(2), s.ColumnText(3), s.ColumnText(4),
                              s.ColumnText(7), "", s.ColumnText(5)};
        // By person, the call's entry of that person; by caller, one entry per person it showed.
        const std::string shown = by_subject ? query.subject_id : s.ColumnText(6);
        std::vector<std::string_view> ids;
        for (std::string_view rest = shown;;) {
          const size_t end = by_subject ? std::string_view::npos : rest.find('\n');
          ids.push_back(rest.substr(0, end));
          if (end == std::string_view::npos) break;
          rest.remove_prefix(end + 1);
        }
        const int64_t skip = position.from && seq == position.before ? *position.from : 0;
        for (int64_t i = skip; i < static_cast<int64_t>(ids.size()); ++i) {
          if (static_cast<int>(page.reads.size()) == size) {
            page.next_page_token = EncodePageToken(
                by_subject ? std::to_string(seq + 1) : std::to_string(seq) + "." + std::to_string(i), filters);
            return page;
          }
          read.subject_id = std::string(ids[i]);
          page.reads.push_back(read);
        }
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

// The access log of personal-data reads (issue 13, docs/security.md): every
// answer that shows a person's record (an employee, a hidden reporter) is
// written down, who, what and when, in the service's own store, so that an
// operator can ask "who looked at this person" and "what did this agency read".
//
// A handler records its reads just before it answers:
//
//   if (auto refused = access_log_.Record(scope, kSubjectEmployee, {id}); !refused.ok()) return refused;
//
// Entries are appended by one writer thread in batches (one commit for many
// reads), so a read does not wait for a disk write. The queue is bounded: when
// the store cannot keep up (or fails), a read waits briefly for room and is
// then refused with UNAVAILABLE. A read is never answered unlogged; entries
// queued when the process dies abruptly (at most one batch interval, about a
// millisecond under load) are the one loss.
//
// A service using it adds kAccessLogSql to its migrations.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/rpc.h"
#include "common/sqlite.h"

namespace netra {

// What was read (the subject_type column): an employee record by its
// employee_id, a hidden reporter's identity by the complaint's id. Never a NIK.
inline constexpr std::string_view kSubjectEmployee = "employee";
inline constexpr std::string_view kSubjectReporter = "reporter";

inline constexpr std::string_view kAccessLogSql = R"sql(
CREATE TABLE personal_data_reads (
  seq          INTEGER PRIMARY KEY,  -- append order; also the page position
  read_at      INTEGER NOT NULL,     -- unix microseconds, when the handler answered
  caller       TEXT NOT NULL,        -- the agency or service (SPIFFE label "bkd/33.06"); "unauthenticated" without one
  actor        TEXT NOT NULL,        -- the person acting, as the agency asserts it
  method       TEXT NOT NULL,        -- "netra.v1.RegistryService/GetEmployee"
  subject_type TEXT NOT NULL,        -- "employee", "reporter"
  subject_id   TEXT NOT NULL,        -- employee_id, complaint_id
  request_id   TEXT NOT NULL         -- the call's x-request-id; may be empty
);
CREATE INDEX personal_data_reads_by_subject ON personal_data_reads(subject_type, subject_id, seq);
CREATE INDEX personal_data_reads_by_caller ON personal_data_reads(caller, seq);
)sql";

struct PersonalDataRead {
  int64_t seq = 0;
  int64_t read_micros = 0;
  std::string caller, actor, method, subject_type, subject_id, request_id;
};

// "Who looked at this person" (subject set) and "what did this caller read"
// (caller set), or both; newest first.
struct PersonalDataReadQuery {
  std::string subject_type, subject_id;  // both or neither
  std::string caller;                    // a SPIFFE label: "bkd/33.06"
  int page_size = 0;                     // 0: kDefaultPageSize
  std::string page_token;
};

struct PersonalDataReadPage {
  std::vector<PersonalDataRead> reads;
  std::string next_page_token;
};

class AccessLog {
 public:
  static constexpr int kDefaultPageSize = 100, kMaxPageSize = 1000;
  struct Options {
    size_t max_queued = 100000;                    // entries waiting for the writer
    size_t max_batch = 5000;                       // entries per commit
    std::chrono::milliseconds max_wait{2000};      // how long a read waits for room before it is refused
    std::chrono::milliseconds retry_after{200};    // after a failed commit
  };

  // `store` holds the personal_data_reads table (kAccessLogSql); both outlive the log.
  AccessLog(Database& store, prometheus::Registry& metrics, Options options);
  AccessLog(Database& store, prometheus::Registry& metrics) : AccessLog(store, metrics, Options{}) {}
  // Writes what is queued (while the store takes it), then stops the writer.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Records that the call of `scope` is about to show the `subject_type`
  // records `subject_ids`: OK, or UNAVAILABLE when the log could not take
  // them (the handler then answers with that, not with the data).
  grpc::Status Record(const CallScope& scope, std::string_view subject_type, std::span<const std::string> subject_ids);
  grpc::Status Record(const CallScope& scope, std::string_view subject_type, std::initializer_list<std::string> ids) {
    return Record(scope, subject_type, std::span<const std::string>(ids.begin(), ids.size()));
  }

  // The reads recorded up to now (entries still queued are written first);
  // INVALID_ARGUMENT for a query without subject or caller, a bad page size or token.
  Result<PersonalDataReadPage> List(const PersonalDataReadQuery& query);

  // Waits until every entry queued before the call is in the store (or the
  // store failed for `timeout`); whether it got there.
  bool Flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  void Run();
  void WriteBatch(const std::vector<PersonalDataRead>& batch);

  Database& store_;
  const Options options_;
  prometheus::Counter* written_;
  prometheus::Counter* refused_;
  prometheus::Counter* failed_commits_;
  prometheus::Gauge* queued_gauge_;

  std::mutex mutex_;
  std::condition_variable work_cv_, room_cv_, written_cv_;
  std::deque<PersonalDataRead> queue_;  // guarded by mutex_
  int64_t enqueued_ = 0, written_count_ = 0;  // entries ever queued, ever committed; guarded by mutex_
  bool stopping_ = false;
  std::thread writer_;
};

namespace v1 {
class PersonalDataRead;
}  // namespace v1
void ToProto(const PersonalDataRead& read, v1::PersonalDataRead* out);

// Answers a List*Reads RPC: the registry's for employees, the complaint
// service's for reporters. Both requests have `caller`, `page_size` and
// `page_token`, both responses `reads` and `next_page_token`; `subject_id` is
// the request's employee or complaint id (empty: any).
template <class Request, class Response>
grpc::Status AnswerPersonalDataReads(AccessLog& log, std::string_view subject_type, const std::string& subject_id,
                                     const Request& request, Response* response) {
  PersonalDataReadQuery query;
  if (!subject_id.empty()) {
    query.subject_type = std::string(subject_type);
    query.subject_id = subject_id;
  }
  query.caller = request.caller();
  query.page_size = request.page_size();
  query.page_token = request.page_token();
  auto page = log.List(query);
  if (!page.ok()) return ToStatus(page.error());
  for (const PersonalDataRead& read : page.value().reads) ToProto(read, response->add_reads());
  response->set_next_page_token(page.value().next_page_token);
  return grpc::Status::OK;
}

}  // namespace netra

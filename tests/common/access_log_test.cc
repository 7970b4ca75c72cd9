// The access log of personal-data reads (common/access_log.h) on both
// backends: a call's people as entries, the listings and their pages, the
// first form's entries after the migration, and a store that refuses a batch.
#include "common/access_log.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/common/store_backends.h"

namespace netra {
namespace {

using namespace std::chrono_literals;

const Migration kFirstForm[] = {
    {1, "personal-data reads", kAccessLogSql, kAccessLogPostgresSql},
};
const Migration kLogMigrations[] = {
    {1, "personal-data reads", kAccessLogSql, kAccessLogPostgresSql},
    {2, "personal-data reads by call", kAccessLogCallsSql, kAccessLogCallsPostgresSql},
};

class AccessLogTest : public testing::StoreBackendTest {
 protected:
  void Open(AccessLog::Options options = {}) {
    url_ = NewStore();
    db_ = MustOpen(url_, kLogMigrations);
    ASSERT_NE(db_, nullptr);
    log_ = std::make_unique<AccessLog>(*db_, metrics_, options);
  }

  static ReadingCall By(const std::string& caller, int call) {
    return ReadingCall{caller, "officer-" + std::to_string(call), "netra.v1.RegistryService/SearchEmployees",
                       "request-" + std::to_string(call)};
  }
  void Read(const std::string& caller, int call, std::vector<std::string> ids) {
    ASSERT_TRUE(log_->Record(By(caller, call), kSubjectEmployee, ids).ok());
  }

  // Every entry of `query`, page by page of `size`, as "request caller subject".
  std::vector<std::string> Listed(PersonalDataReadQuery query, int size) {
    std::vector<std::string> out;
    query.page_size = size;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = log_->List(query);
      EXPECT_TRUE(page.ok()) << (page.ok() ? "" : page.error().message);
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page.value().reads.size()), size);
      for (const PersonalDataRead& r : page.value().reads) {
        EXPECT_EQ(r.subject_type, kSubjectEmployee);
        EXPECT_EQ(r.method, "netra.v1.RegistryService/SearchEmployees");
        EXPECT_EQ("officer-" + r.request_id.substr(r.request_id.find('-') + 1), r.actor);
        out.push_back(r.request_id + " " + r.caller + " " + r.subject_id);
      }
      if (page.value().next_page_token.empty()) break;
      query.page_token = page.value().next_page_token;
    }
    return out;
  }
  static PersonalDataReadQuery OfCaller(const std::string& caller) {
    PersonalDataReadQuery q;
    q.caller = caller;
    return q;
  }
  static PersonalDataReadQuery OfPerson(const std::string& id, const std::string& caller = "") {
    PersonalDataReadQuery q;
    q.subject_type = std::string(kSubjectEmployee);
    q.subject_id = id;
    q.caller = caller;
    return q;
  }

  double Counter(const std::string& name) {
    for (const auto& family : metrics_.Collect()) {
      if (family.name == name && !family.metric.empty()) return family.metric[0].counter.value;
    }
    ADD_FAILURE() << "no metric " << name;
    return -1;
  }

  // Entries written, once `entries` are (bounded at 10 s).
  double WrittenOnce(double entries) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (Counter("netra_access_log_entries_total") < entries && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return Counter("netra_access_log_entries_total");
  }

  StoreUrl url_;
  prometheus::Registry metrics_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<AccessLog> log_;
};

TEST_P(AccessLogTest, ACallsPeopleAreOneEntryEachListedByCallerAndByPerson) {
  Open();
  Read("bkd/33.74", 1, {"e1", "e2", "e3", "e2"});  // e2 shown twice: one entry
  Read("bkd/33.06", 2, {"e2"});
  Read("bkd/33.74", 3, {"e4"});
  ASSERT_TRUE(log_->Flush());
  EXPECT_EQ(Counter("netra_access_log_entries_total"), 5);

  // Newest call first; a call's people in the order shown.
  const std::vector<std::string> by_caller = {"request-3 bkd/33.74 e4", "request-1 bkd/33.74 e1",
                                              "request-1 bkd/33.74 e2", "request-1 bkd/33.74 e3"};
  EXPECT_EQ(Listed(OfCaller("bkd/33.74"), 100), by_caller);
  EXPECT_EQ(Listed(OfPerson("e2"), 100),
            (std::vector<std::string>{"request-2 bkd/33.06 e2", "request-1 bkd/33.74 e2"}));
  EXPECT_EQ(Listed(OfPerson("e2", "bkd/33.74"), 100), std::vector<std::string>{"request-1 bkd/33.74 e2"});
  EXPECT_EQ(Listed(OfPerson("e2", "bkd/33.01"), 100), std::vector<std::string>{});
  EXPECT_EQ(Listed(OfPerson("e9"), 100), std::vector<std::string>{});

  // A row per call, its people once; on SQLite the index of people a row each.
  EXPECT_EQ(testing::QueryInt(*db_, "SELECT COUNT(*) FROM personal_data_calls"), 3);
  if (!pg()) {
    EXPECT_EQ(testing::QueryInt(*db_, "SELECT COUNT(*) FROM personal_data_subjects"), 5);
  }
}

TEST_P(AccessLogTest, PagesSplitACallsPeopleWithoutLosingOrRepeatingAny) {
  Open();
  // Calls of 3, 1, 5, 2 and 4 people; "p0" is in every call.
  const std::vector<int> sizes = {3, 1, 5, 2, 4};
  std::vector<std::string> newest_first;
  for (int call = 0; call < static_cast<int>(sizes.size()); ++call) {
    std::vector<std::string> ids, listed;
    for (int i = 0; i < sizes[call]; ++i) {
      ids.push_back("p" + std::to_string(i == 0 ? 0 : 10 * call + i));
      listed.push_back("request-" + std::to_string(call) + " bkd/33.74 " + ids.back());
    }
    Read("bkd/33.74", call, ids);
    newest_first.insert(newest_first.begin(), listed.begin(), listed.end());
  }
  ASSERT_EQ(newest_first.size(), 15u);
  for (int size = 1; size <= 16; ++size) {
    EXPECT_EQ(Listed(OfCaller("bkd/33.74"), size), newest_first) << "page size " << size;
  }
  const std::vector<std::string> p0 = {"request-4 bkd/33.74 p0", "request-3 bkd/33.74 p0", "request-2 bkd/33.74 p0",
                                       "request-1 bkd/33.74 p0", "request-0 bkd/33.74 p0"};
  for (int size = 1; size <= 6; ++size) {
    EXPECT_EQ(Listed(OfPerson("p0"), size), p0) << "page size " << size;
    EXPECT_EQ(Listed(OfPerson("p0", "bkd/33.74"), size), p0) << "page size " << size;
  }

  // A token pages the listing it came from, and no other.
  auto first = log_->List([] {
    auto q = OfCaller("bkd/33.74");
    q.page_size = 2;
    return q;
  }());
  ASSERT_TRUE(first.ok());
  auto elsewhere = OfCaller("bkd/33.06");
  elsewhere.page_token = first.value().next_page_token;
  auto refused = log_->List(elsewhere);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Error::Kind::kInvalidArgument);
}

TEST_P(AccessLogTest, TheFirstFormsEntriesCarryOverWithTheirPositions) {
  const StoreUrl url = NewStore();
  {
    auto first = MustOpen(url, kFirstForm);
    ASSERT_NE(first, nullptr);
    first->Write([](Connection& c) {
      c.Exec(
          "INSERT INTO personal_data_reads(seq, read_at, caller, actor, method, subject_type, subject_id, request_id) "
          "VALUES (5, 1000, 'bkd/33.74', 'officer-5', 'netra.v1.RegistryService/SearchEmployees', 'employee', 'e1', "
          "'request-5'), "
          "(6, 2000, 'bkd/33.74', 'officer-6', 'netra.v1.RegistryService/SearchEmployees', 'employee', 'e2', "
          "'request-6'), "
          "(7, 3000, 'bkd/33.06', 'officer-7', 'netra.v1.RegistryService/SearchEmployees', 'employee', 'e1', "
          "'request-7')");
    });
  }
  db_ = MustOpen(url, kLogMigrations);
  ASSERT_NE(db_, nullptr);
  log_ = std::make_unique<AccessLog>(*db_, metrics_);
  EXPECT_EQ(Listed(OfPerson("e1"), 1), (std::vector<std::string>{"request-7 bkd/33.06 e1", "request-5 bkd/33.74 e1"}));
  EXPECT_EQ(Listed(OfCaller("bkd/33.74"), 1),
            (std::vector<std::string>{"request-6 bkd/33.74 e2", "request-5 bkd/33.74 e1"}));
  EXPECT_EQ(testing::QueryInt(*db_, "SELECT MIN(read_at) FROM personal_data_calls"), 1000);

  // New calls come after them (PostgreSQL's identity moved past the copied seqs).
  Read("bkd/33.74", 8, {"e1", "e3"});
  EXPECT_EQ(Listed(OfCaller("bkd/33.74"), 2),
            (std::vector<std::string>{"request-8 bkd/33.74 e1", "request-8 bkd/33.74 e3", "request-6 bkd/33.74 e2",
                                      "request-5 bkd/33.74 e1"}));
  EXPECT_EQ(testing::QueryInt(*db_, "SELECT MIN(seq) FROM personal_data_calls WHERE request_id = 'request-8'"), 8);
}

TEST_P(AccessLogTest, ARefusedBatchIsRetriedWholeWhileFurtherReadsAreRefused) {
  Open(AccessLog::Options{.max_queued = 4, .max_batch = 5000, .max_wait = 50ms, .retry_after = 5ms});
  // The store refuses every call row until the refusal is taken away.
  db_->Write([&](Connection& c) {
    c.Exec(pg() ? "ALTER TABLE personal_data_calls ADD CONSTRAINT refuse CHECK (caller = '') NOT VALID"
                : "CREATE TRIGGER refuse BEFORE INSERT ON personal_data_calls BEGIN SELECT RAISE(ABORT, 'refused'); END");
  });
  Read("bkd/33.74", 1, {"e1", "e2", "e3"});
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (Counter("netra_access_log_failed_commits_total") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_GE(Counter("netra_access_log_failed_commits_total"), 2);
  EXPECT_FALSE(log_->Flush(20ms));

  // Three entries wait: two more do not fit in four; one does.
  EXPECT_EQ(log_->Record(By("bkd/33.74", 2), kSubjectEmployee, std::vector<std::string>{"e4", "e5"}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Counter("netra_access_log_refused_total"), 1);
  Read("bkd/33.74", 3, {"e6"});

  db_->Write([&](Connection& c) {
    c.Exec(pg() ? "ALTER TABLE personal_data_calls DROP CONSTRAINT refuse" : "DROP TRIGGER refuse");
  });
  ASSERT_TRUE(log_->Flush());
  EXPECT_EQ(Listed(OfCaller("bkd/33.74"), 100),
            (std::vector<std::string>{"request-3 bkd/33.74 e6", "request-1 bkd/33.74 e1", "request-1 bkd/33.74 e2",
                                      "request-1 bkd/33.74 e3"}));
  EXPECT_EQ(Counter("netra_access_log_entries_total"), 4);
}

// The writer waits out a gap after each commit, so that reads close together
// share one; a listing, a full batch and the log's end each cut the wait
// short. (With a gap of a minute, waiting it out would fail each step.)
TEST_P(AccessLogTest, ReadsWithinTheCommitGapShareACommitThatAListingOrTheEndBringsForward) {
  Open(AccessLog::Options{.max_queued = 100, .max_batch = 100, .max_wait = 2s, .retry_after = 5ms, .commit_gap = 60s});
  Read("bkd/33.74", 1, {"e1"});
  ASSERT_EQ(WrittenOnce(1), 1);  // the first read found the writer idle
  Read("bkd/33.74", 2, {"e2"});
  Read("bkd/33.74", 3, {"e3"});
  EXPECT_EQ(Counter("netra_access_log_entries_total"), 1);  // the others wait in the gap
  EXPECT_EQ(Listed(OfCaller("bkd/33.74"), 100),
            (std::vector<std::string>{"request-3 bkd/33.74 e3", "request-2 bkd/33.74 e2", "request-1 bkd/33.74 e1"}));
  Read("bkd/33.74", 4, {"e4"});  // queued in the next gap, then the log ends
  log_.reset();
  log_ = std::make_unique<AccessLog>(*db_, metrics_);
  EXPECT_EQ(Listed(OfPerson("e4"), 100), std::vector<std::string>{"request-4 bkd/33.74 e4"});
}

TEST_P(AccessLogTest, AFullBatchIsCommittedWithoutWaitingOutTheGap) {
  Open(AccessLog::Options{.max_queued = 100, .max_batch = 2, .max_wait = 2s, .retry_after = 5ms, .commit_gap = 60s});
  Read("bkd/33.74", 1, {"e1"});
  ASSERT_EQ(WrittenOnce(1), 1);  // the writer was idle; now it waits out a gap
  // Four more: two full batches of two, each committed as soon as it is queued.
  for (int call = 2; call <= 5; ++call) Read("bkd/33.74", call, {"e" + std::to_string(call)});
  EXPECT_EQ(WrittenOnce(5), 5);
}

TEST_P(AccessLogTest, AReadWaitingForRoomIsNotKeptWaitingOutTheGap) {
  Open(AccessLog::Options{.max_queued = 2, .max_batch = 100, .max_wait = 10s, .retry_after = 5ms, .commit_gap = 60s});
  Read("bkd/33.74", 1, {"e1"});
  ASSERT_EQ(WrittenOnce(1), 1);  // the writer waits out a gap now
  Read("bkd/33.74", 2, {"e2", "e3"});  // the queue is full
  Read("bkd/33.74", 3, {"e4"});        // waits for room: the writer commits at once
  EXPECT_EQ(Counter("netra_access_log_refused_total"), 0);
}

NETRA_STORE_BACKENDS(AccessLogTest);

}  // namespace
}  // namespace netra

// Tests for services/complaint/complaints.h: tracking codes and the public
// status lookup, against a real SQLite store and a real redis-server.
#include "services/complaint/complaints.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "services/complaint/complaint_store.h"
#include "tests/support/test_support.h"

namespace netra::complaint {
namespace {

using namespace std::chrono_literals;
using netra::testing::RedisServer;
using netra::testing::TempDir;

// ---------------------------------------------------------------------------
// Tracking codes

TEST(TrackingCodeTest, NewCodesAreTenCharactersFromTheAlphabet) {
  for (int i = 0; i < 1000; ++i) {
    std::string code = NewTrackingCode();
    ASSERT_EQ(code.size(), kTrackingCodeLength) << code;
    for (char c : code) ASSERT_NE(kTrackingAlphabet.find(c), std::string_view::npos) << code;
    ASSERT_TRUE(IsWellFormedTrackingCode(code)) << code;
  }
}

TEST(TrackingCodeTest, TenThousandCodesAreDistinctAndUseTheWholeAlphabet) {
  std::set<std::string> codes;
  std::set<char> characters;
  for (int i = 0; i < 10000; ++i) {
    std::string code = NewTrackingCode();
    codes.insert(code);
    characters.insert(code.begin(), code.end());
  }
  EXPECT_EQ(codes.size(), 10000u);
  EXPECT_EQ(characters.size(), kTrackingAlphabet.size());
}

TEST(TrackingCodeTest, LookAlikesAndWrongLengthsAreNotWellFormed) {
  EXPECT_TRUE(IsWellFormedTrackingCode("ABCDEFGH23"));
  for (const char* bad : {"ABCDEFGH2O", "ABCDEFGH20", "ABCDEFGH21", "ABCDEFGH2I", "ABCDEFGH2L",  // look-alikes
                          "abcdefgh23",                                                         // lower case
                          "ABCDEFGH2", "ABCDEFGH234", "", "ABCDE-GH23", "ABCDEFGH2 "}) {
    EXPECT_FALSE(IsWellFormedTrackingCode(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------
// GetPublicStatus

class PublicStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start()) << redis_server_.log();
    std::string error;
    auto options = ParseRedisUrl(redis_server_.url(), &error);
    ASSERT_TRUE(options) << error;
    options->key_prefix = "netra:test:";
    redis_ = std::make_unique<RedisClient>(*options, metrics_);
    cache_ = std::make_unique<Cache>(*redis_, "complaint_status", metrics_);
    db_ = Database::Open(dir_.File("complaint.db"), kMigrations, &error);
    ASSERT_TRUE(db_) << error;
    store_ = std::make_unique<ComplaintStore>(*db_);
    complaints_ = std::make_unique<Complaints>(*store_, *cache_);
  }

  void Insert(const std::string& id, const std::string& code, ComplaintStatus status, int64_t received,
              int64_t updated) {
    db_->Write([&](Connection& c) {
      c.Prepare("INSERT INTO complaints (id, tracking_code, status, received_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)")
          .Bind(1, id)
          .Bind(2, code)
          .Bind(3, static_cast<int64_t>(status))
          .Bind(4, received)
          .Bind(5, updated)
          .Run();
    });
  }

  double CacheRequests(const std::string& result) {
    for (const auto& family : metrics_.Collect()) {
      if (family.name != "netra_cache_requests_total") continue;
      for (const auto& metric : family.metric) {
        bool name = false, matches = false;
        for (const auto& label : metric.label) {
          name = name || (label.name == "cache" && label.value == "complaint_status");
          matches = matches || (label.name == "result" && label.value == result);
        }
        if (name && matches) return metric.counter.value;
      }
    }
    return -1;
  }

  static void ExpectInvalid(const Result<PublicStatus>& result, ViolationReason reason) {
    ASSERT_FALSE(result.ok());
    ASSERT_EQ(result.error().kind, Error::Kind::kInvalidArgument);
    ASSERT_EQ(result.error().violations.size(), 1u);
    EXPECT_EQ(result.error().violations.list()[0].field, "tracking_code");
    EXPECT_EQ(result.error().violations.list()[0].reason, reason);
  }

  TempDir dir_;
  RedisServer redis_server_;
  prometheus::Registry metrics_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<ComplaintStore> store_;
  std::unique_ptr<Complaints> complaints_;
};

TEST_F(PublicStatusTest, EmptyCodeIsRequired) {
  ExpectInvalid(complaints_->GetPublicStatus(""), ViolationReason::kRequired);
}

TEST_F(PublicStatusTest, MalformedCodeIsInvalidFormat) {
  for (const std::string& bad :
       std::vector<std::string>{"ABC", "ABCDEFGH2O", "ABCDEFGH231", "ABCDEFGH2!", std::string(500, 'A')}) {
    SCOPED_TRACE(bad);
    ExpectInvalid(complaints_->GetPublicStatus(bad), ViolationReason::kInvalidFormat);
  }
}

TEST_F(PublicStatusTest, UnknownCodeIsNotFound) {
  auto result = complaints_->GetPublicStatus("ABCDEFGH23");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, Error::Kind::kNotFound);
}

TEST_F(PublicStatusTest, StoredComplaintIsFoundThenServedFromRedis) {
  Insert("c-1", "KQ7M2XR9TB", ComplaintStatus::kUnderReview, 1700000000000000, 1700000500000000);

  auto first = complaints_->GetPublicStatus("KQ7M2XR9TB");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value().tracking_code, "KQ7M2XR9TB");
  EXPECT_EQ(first.value().status, ComplaintStatus::kUnderReview);
  EXPECT_EQ(first.value().received_micros, 1700000000000000);
  EXPECT_EQ(first.value().updated_micros, 1700000500000000);
  EXPECT_EQ(CacheRequests("miss"), 1);
  EXPECT_EQ(CacheRequests("hit"), 0);

  auto second = complaints_->GetPublicStatus("KQ7M2XR9TB");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(CacheRequests("hit"), 1);
  EXPECT_EQ(second.value().status, ComplaintStatus::kUnderReview);
  EXPECT_EQ(second.value().received_micros, 1700000000000000);
  EXPECT_EQ(second.value().updated_micros, 1700000500000000);
}

TEST_F(PublicStatusTest, LowerCaseCodeIsAccepted) {
  Insert("c-2", "KQ7M2XR9TC", ComplaintStatus::kReceived, 1, 2);
  auto result = complaints_->GetPublicStatus("kq7m2xr9tc");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().tracking_code, "KQ7M2XR9TC");
  EXPECT_EQ(result.value().status, ComplaintStatus::kReceived);
}

TEST_F(PublicStatusTest, UnknownCodeIsNotCached) {
  ASSERT_FALSE(complaints_->GetPublicStatus("ABCDEFGH23").ok());
  Insert("c-3", "ABCDEFGH23", ComplaintStatus::kRegistered, 5, 6);
  auto result = complaints_->GetPublicStatus("ABCDEFGH23");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().status, ComplaintStatus::kRegistered);
}

TEST_F(PublicStatusTest, CorruptCacheEntryDoesNotHideTheStoredRecord) {
  Insert("c-4", "KQ7M2XR9TD", ComplaintStatus::kForwarded, 10, 20);
  for (const char* corrupt : {"not json", "{\"s\":99,\"r\":1,\"u\":2}", "{\"s\":\"x\",\"r\":1,\"u\":2}",
                              "{\"s\":4,\"r\":\"1\",\"u\":2}", "[1,2,3]"}) {
    SCOPED_TRACE(corrupt);
    ASSERT_TRUE(redis_->Set("complaint:status:KQ7M2XR9TD", corrupt, 0ms));
    Result<PublicStatus> result = Error::Internal("not called");
    EXPECT_NO_THROW(result = complaints_->GetPublicStatus("KQ7M2XR9TD"));
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value().status, ComplaintStatus::kForwarded);
    EXPECT_EQ(result.value().received_micros, 10);
  }
}

TEST_F(PublicStatusTest, StillAnswersFromTheStoreWithRedisDown) {
  Insert("c-5", "KQ7M2XR9TE", ComplaintStatus::kClosed, 100, 200);
  ASSERT_TRUE(redis_server_.Stop());
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto result = complaints_->GetPublicStatus("KQ7M2XR9TE");
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value().status, ComplaintStatus::kClosed);
    EXPECT_EQ(result.value().updated_micros, 200);
  }
  auto unknown = complaints_->GetPublicStatus("ABCDEFGH23");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Error::Kind::kNotFound);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // a dead cache costs a miss, not a stall
  EXPECT_GE(CacheRequests("error"), 5);
  EXPECT_EQ(CacheRequests("hit"), 0);
}

}  // namespace
}  // namespace netra::complaint

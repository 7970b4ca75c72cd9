// Tests for common/paging.{h,cc}: page sizes and opaque page tokens.
#include "common/paging.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"

namespace netra {
namespace {

TEST(PageTokenTest, RoundTripsTheLastKey) {
  for (const std::string& key :
       std::vector<std::string>{"33", "33.01.02", "B10", std::string("a\0b/+=?", 7), std::string(300, 'x')}) {
    std::string token = EncodePageToken(key);
    Violations v;
    auto decoded = DecodePageToken(token, "page_token", v);
    ASSERT_TRUE(decoded.has_value()) << key;
    EXPECT_EQ(*decoded, key);
    EXPECT_TRUE(v.empty());
  }
}

TEST(PageTokenTest, RoundTripsWithinTheSameScope) {
  std::string token = EncodePageToken("33.74.02", "33|3");
  Violations v;
  auto decoded = DecodePageToken(token, "page_token", v, "33|3");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "33.74.02");
  EXPECT_TRUE(v.empty());
}

TEST(PageTokenTest, TokenReplayedWithOtherFiltersIsRejected) {
  std::string token = EncodePageToken("33.74.02", "33|3");
  for (std::string_view other : {"33|2", "34|3", ""}) {
    Violations v;
    EXPECT_FALSE(DecodePageToken(token, "page_token", v, other).has_value()) << other;
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v.list()[0].field, "page_token");
    EXPECT_EQ(v.list()[0].reason, ViolationReason::kInconsistent);
  }
}

TEST(PageTokenTest, TokenIsUrlSafeAndDoesNotShowTheKey) {
  std::string token = EncodePageToken("33.01/?>>");
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos)
      << token;
  EXPECT_EQ(token.find("33.01"), std::string::npos) << token;
}

TEST(PageTokenTest, EmptyTokenMeansFirstPage) {
  Violations v;
  auto decoded = DecodePageToken("", "page_token", v);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "");
  EXPECT_TRUE(v.empty());
}

TEST(PageTokenTest, GarbageAndForeignTokensAreRejectedWithTheFieldPath) {
  const std::string too_long = EncodePageToken(std::string(1000, 'k'));
  for (std::string token : {std::string("not base64!"), std::string("%%%"),
                            absl::WebSafeBase64Escape("33.01"),      // a raw key, not ours
                            absl::WebSafeBase64Escape("k2:33.01"),   // another format version
                            absl::WebSafeBase64Escape("k1"),         // prefix cut short
                            too_long}) {
    Violations v;
    auto decoded = DecodePageToken(token, "request.page_token", v);
    EXPECT_FALSE(decoded.has_value()) << token;
    ASSERT_EQ(v.size(), 1u) << token;
    EXPECT_EQ(v.list()[0].field, "request.page_token");
    EXPECT_EQ(v.list()[0].reason, ViolationReason::kInvalidFormat);
  }
}

TEST(PageSizeTest, ZeroMeansDefaultAndLargeIsClamped) {
  PageLimits limits{25, 100};
  Violations v;
  EXPECT_EQ(PageSize(0, limits, "page_size", v), 25);
  EXPECT_EQ(PageSize(1, limits, "page_size", v), 1);
  EXPECT_EQ(PageSize(100, limits, "page_size", v), 100);
  EXPECT_EQ(PageSize(101, limits, "page_size", v), 100);
  EXPECT_EQ(PageSize(1 << 30, limits, "page_size", v), 100);
  EXPECT_TRUE(v.empty());
}

TEST(PageSizeTest, NegativeIsAViolationOnTheField) {
  Violations v;
  PageSize(-1, PageLimits{}, "filter.page_size", v);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v.list()[0].field, "filter.page_size");
  EXPECT_EQ(v.list()[0].reason, ViolationReason::kOutOfRange);
}

}  // namespace
}  // namespace netra

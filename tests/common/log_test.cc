// Tests for common/log.{h,cc}: one JSON object per line on stderr.
#include "common/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace netra::log {
namespace {

using netra::testing::ReadFile;
using netra::testing::TempDir;

// Runs `body` with fd 2 pointing at a temp file and returns the lines written.
std::vector<std::string> CaptureStderr(const std::function<void()>& body) {
  TempDir dir;
  std::string path = dir.File("stderr.log");
  std::fflush(stderr);
  int saved = dup(2);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(saved, 0);
  EXPECT_GE(fd, 0);
  dup2(fd, 2);
  close(fd);
  body();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

nlohmann::json ParseLine(const std::string& line) {
  auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(json.is_object()) << "not a JSON object: " << line;
  return json;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { Init("netra-test", Level::kInfo); }
  void TearDown() override { Init("netra", Level::kInfo); }
};

TEST_F(LogTest, LineIsOneJsonObjectWithTimeLevelServiceMessage) {
  auto lines = CaptureStderr([] { Info("store opened"); });
  ASSERT_EQ(lines.size(), 1u);
  auto json = ParseLine(lines[0]);
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["service"], "netra-test");
  EXPECT_EQ(json["message"], "store opened");
  ASSERT_TRUE(json["time"].is_string());
  // RFC 3339 in UTC with microseconds: 2024-02-14T07:30:00.123456Z
  std::string time = json["time"];
  EXPECT_EQ(time.size(), 27u) << time;
  EXPECT_EQ(time.back(), 'Z') << time;
  EXPECT_EQ(time[10], 'T') << time;
  // Outside a call there is no method or request id.
  EXPECT_FALSE(json.contains("method"));
  EXPECT_FALSE(json.contains("request_id"));
}

TEST_F(LogTest, EachLevelIsNamedAndFieldsAreAdded) {
  Init("netra-test", Level::kDebug);
  auto lines = CaptureStderr([] {
    Debug("d");
    Info("i");
    Warn("w", {{"redis", "127.0.0.1:6379"}});
    Error("e", {{"error", "disk full"}, {"path", "/var/lib/netra/x.db"}});
  });
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(ParseLine(lines[0])["level"], "debug");
  EXPECT_EQ(ParseLine(lines[1])["level"], "info");
  auto warn = ParseLine(lines[2]);
  EXPECT_EQ(warn["level"], "warn");
  EXPECT_EQ(warn["redis"], "127.0.0.1:6379");
  auto error = ParseLine(lines[3]);
  EXPECT_EQ(error["level"], "error");
  EXPECT_EQ(error["error"], "disk full");
  EXPECT_EQ(error["path"], "/var/lib/netra/x.db");
}

TEST_F(LogTest, ValuesAreEscaped) {
  auto lines = CaptureStderr([] { Info("quote \" and\nnewline", {{"k", "tab\tback\\slash"}}); });
  ASSERT_EQ(lines.size(), 1u);  // the newline in the message did not split the line
  auto json = ParseLine(lines[0]);
  EXPECT_EQ(json["message"], "quote \" and\nnewline");
  EXPECT_EQ(json["k"], "tab\tback\\slash");
}

TEST_F(LogTest, LevelFilteringDropsLinesBelowTheMinimum) {
  Init("netra-test", Level::kWarn);
  auto lines = CaptureStderr([] {
    Debug("no");
    Info("no");
    Warn("yes-warn");
    Error("yes-error");
  });
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(ParseLine(lines[0])["message"], "yes-warn");
  EXPECT_EQ(ParseLine(lines[1])["message"], "yes-error");
}

TEST_F(LogTest, CallLogScopeAddsMethodAndRequestIdAndRestoresThePreviousScope) {
  auto lines = CaptureStderr([] {
    {
      CallLogScope outer("SubmitComplaint", "req-1");
      Info("outer");
      {
        CallLogScope inner("GetEmployee", "req-2");
        Info("inner");
      }
      Info("outer again");
    }
    Info("outside");
  });
  ASSERT_EQ(lines.size(), 4u);
  auto outer = ParseLine(lines[0]);
  EXPECT_EQ(outer["method"], "SubmitComplaint");
  EXPECT_EQ(outer["request_id"], "req-1");
  auto inner = ParseLine(lines[1]);
  EXPECT_EQ(inner["method"], "GetEmployee");
  EXPECT_EQ(inner["request_id"], "req-2");
  auto again = ParseLine(lines[2]);
  EXPECT_EQ(again["method"], "SubmitComplaint");
  EXPECT_EQ(again["request_id"], "req-1");
  auto outside = ParseLine(lines[3]);
  EXPECT_FALSE(outside.contains("method"));
  EXPECT_FALSE(outside.contains("request_id"));
}

TEST_F(LogTest, CallWithoutRequestIdHasOnlyTheMethod) {
  auto lines = CaptureStderr([] {
    CallLogScope scope("ListRegions", "");
    Info("x");
  });
  ASSERT_EQ(lines.size(), 1u);
  auto json = ParseLine(lines[0]);
  EXPECT_EQ(json["method"], "ListRegions");
  EXPECT_FALSE(json.contains("request_id"));
}

TEST_F(LogTest, InvalidUtf8DoesNotThrowAndStillWritesValidJson) {
  std::vector<std::string> lines;
  EXPECT_NO_THROW(lines = CaptureStderr([] { Info("bad \xff\xfe bytes", {{"field", std::string("\xc3\x28")}}); }));
  ASSERT_EQ(lines.size(), 1u);
  auto json = ParseLine(lines[0]);
  EXPECT_NE(json["message"].get<std::string>().find("bad "), std::string::npos);
  EXPECT_TRUE(json.contains("field"));
}

TEST(LogLevelTest, ParsesTheFourLevelNames) {
  Level level = Level::kError;
  ASSERT_TRUE(ParseLevel("debug", &level));
  EXPECT_EQ(level, Level::kDebug);
  ASSERT_TRUE(ParseLevel("info", &level));
  EXPECT_EQ(level, Level::kInfo);
  ASSERT_TRUE(ParseLevel("warn", &level));
  EXPECT_EQ(level, Level::kWarn);
  ASSERT_TRUE(ParseLevel("error", &level));
  EXPECT_EQ(level, Level::kError);
  EXPECT_FALSE(ParseLevel("INFO", &level));
  EXPECT_FALSE(ParseLevel("warning", &level));
  EXPECT_FALSE(ParseLevel("", &level));
}

}  // namespace
}  // namespace netra::log

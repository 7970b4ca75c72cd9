#include "common/validation.h"

#include <gtest/gtest.h>

namespace netra {
namespace {

TEST(Utf8LengthTest, CountsCodePointsOfValidText) {
  EXPECT_EQ(Utf8Length(""), 0);
  EXPECT_EQ(Utf8Length("Siti"), 4);
  EXPECT_EQ(Utf8Length("S\xC3\xA2minah"), 7);          // â is two bytes, one code point
  EXPECT_EQ(Utf8Length("\xF0\x9F\x99\x82"), 1);          // U+1F642, four bytes
}

TEST(Utf8LengthTest, RejectsMalformedText) {
  EXPECT_EQ(Utf8Length("\xC3"), -1);              // truncated sequence
  EXPECT_EQ(Utf8Length("\xC0\xAF"), -1);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), -1);      // UTF-16 surrogate
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), -1);  // past U+10FFFF
  EXPECT_EQ(Utf8Length("ab\xFF"), -1);
}

TEST(Utf8LengthTest, RefusesControlCharactersWhenAsked) {
  EXPECT_EQ(Utf8Length("a\nb"), 3);
  EXPECT_EQ(Utf8Length("a\nb", ControlCharacters::kRefused), -1);
  EXPECT_EQ(Utf8Length("a\x7F", ControlCharacters::kRefused), -1);    // DEL
  EXPECT_EQ(Utf8Length("a\xC2\x85", ControlCharacters::kRefused), -1);  // NEL, a C1 control
  EXPECT_EQ(Utf8Length("S\xC3\xA2minah", ControlCharacters::kRefused), 7);
}

TEST(DecodeUtf8Test, DecodesOneCodePointAndAdvances) {
  const std::string text = "a\xC3\xA2\xF0\x9F\x99\x82";
  size_t i = 0;
  EXPECT_EQ(DecodeUtf8(text, i), 'a');
  EXPECT_EQ(DecodeUtf8(text, i), 0xE2);
  EXPECT_EQ(DecodeUtf8(text, i), 0x1F642);
  EXPECT_EQ(i, text.size());
  size_t bad = 0;
  EXPECT_EQ(DecodeUtf8("\xC0\xAF", bad), -1);  // overlong: not advanced
  EXPECT_EQ(bad, 0u);
  std::string out;
  for (int32_t cp : {0x61, 0xE2, 0x20AC, 0x1F642}) AppendUtf8(out, cp);
  EXPECT_EQ(out, "a\xC3\xA2\xE2\x82\xAC\xF0\x9F\x99\x82");
}

TEST(CheckTextTest, OneLineTextRefusesControlCharacters) {
  Violations v;
  CheckText("Budi\nSantoso", "employee.name", true, 10, v, ControlCharacters::kRefused);
  CheckText("line one\nline two", "note", true, 100, v);
  ASSERT_EQ(v.list().size(), 1u);
  EXPECT_EQ(v.list()[0].field, "employee.name");
  EXPECT_EQ(v.list()[0].reason, ViolationReason::kInvalidFormat);
}

TEST(CheckTextTest, TooManyBytesIsTooLongWithoutDecoding) {
  Violations v;
  CheckText(std::string(41, '\xFF'), "name", true, 10, v);  // over 4 bytes per allowed character
  ASSERT_EQ(v.list().size(), 1u);
  EXPECT_EQ(v.list()[0].reason, ViolationReason::kTooLong);
}

TEST(CheckTextTest, ReportsOneProblemWithItsField) {
  Violations v;
  CheckText("", "employee.name", /*required=*/true, 10, v);
  CheckText("", "employee.unit_name", /*required=*/false, 10, v);
  CheckText("\xC3", "employee.position", false, 10, v);
  CheckText("abcdefghijk", "employee.agency_name", false, 10, v);
  CheckText("S\xC3\xA2minah", "employee.name", true, 7, v);  // 7 code points fit in 7
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.list()[0].field, "employee.name");
  EXPECT_EQ(v.list()[0].reason, ViolationReason::kRequired);
  EXPECT_EQ(v.list()[1].reason, ViolationReason::kInvalidFormat);
  EXPECT_EQ(v.list()[2].reason, ViolationReason::kTooLong);
}

TEST(CheckRequestIdTest, AcceptsTheApiAlphabetOnly) {
  Violations v;
  EXPECT_TRUE(CheckRequestId("import-employees:sha256:ab12.x_y", "request_id", v));
  EXPECT_TRUE(CheckRequestId("C-2026-000123/open", "request_id", v));
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(CheckRequestId("", "request_id", v));
  EXPECT_FALSE(CheckRequestId(std::string(129, 'a'), "request_id", v));
  EXPECT_FALSE(CheckRequestId("with space", "request_id", v));
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.list()[0].reason, ViolationReason::kRequired);
  EXPECT_EQ(v.list()[1].reason, ViolationReason::kTooLong);
  EXPECT_EQ(v.list()[2].reason, ViolationReason::kInvalidFormat);
}

}  // namespace
}  // namespace netra

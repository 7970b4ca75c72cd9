#include "common/names.h"

#include <gtest/gtest.h>

namespace netra {
namespace {

TEST(FoldNameTest, LowerCasesAndCollapsesSpaces) {
  EXPECT_EQ(FoldName("  Siti   Aminah "), "siti aminah");
  EXPECT_EQ(FoldName("BUDI\tSANTOSO"), "budi santoso");
  EXPECT_EQ(FoldName("Budi\xC2\xA0Santoso"), "budi santoso");  // no-break space
  EXPECT_EQ(FoldName(""), "");
}

TEST(FoldNameTest, RemovesDiacriticsOfLatinLetters) {
  EXPECT_EQ(FoldName("\xC3\x89lise M\xC3\xBCller"), "elise muller");        // Élise Müller
  EXPECT_EQ(FoldName("Stra\xC3\x9F" "e"), "strasse");                      // ß
  EXPECT_EQ(FoldName("\xC3\x86sir \xC5\x92uvre"), "aesir oeuvre");         // Æ, Œ
  EXPECT_EQ(FoldName("\xC5\x81\xC3\xB3" "d\xC5\xBA"), "lodz");             // Łódź
  EXPECT_EQ(FoldName("\xC3\x97 \xC3\xB7"), "\xC3\x97 \xC3\xB7");           // × and ÷ are not letters: kept
}

TEST(FoldNameTest, KeepsPunctuationAndOtherScripts) {
  EXPECT_EQ(FoldName("Drs. Budi, S.H."), "drs. budi, s.h.");
  EXPECT_EQ(FoldName("\xE7\x8E\x8B Wang"), "\xE7\x8E\x8B wang");
}

TEST(FoldNameTest, DropsInvalidBytesAndStaysTotal) {
  EXPECT_EQ(FoldName("Bu\xFF" "di"), "budi");
  EXPECT_EQ(FoldName("Budi\xC3"), "budi");  // a cut-off sequence at the end
}

}  // namespace
}  // namespace netra

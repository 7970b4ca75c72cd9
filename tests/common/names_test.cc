#include "common/names.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

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
}

TEST(FoldNameTest, ComposedAndDecomposedFormsMeet) {
  const std::string nfc = "D\xC3\xA9" "d\xC3\xA9";          // Dédé, é as U+00E9
  const std::string nfd = "De\xCC\x81" "de\xCC\x81";        // De\u0301de\u0301
  EXPECT_EQ(FoldName(nfc), "dede");
  EXPECT_EQ(FoldName(nfd), FoldName(nfc));
  EXPECT_EQ(FoldName("Nguye\xCC\x82\xCC\x83n"), "nguyen");  // two marks on one letter
}

TEST(FoldNameTest, FullWidthAndCompatibilityCharactersMeetTheirPlainForms) {
  EXPECT_EQ(FoldName("\xEF\xBC\xA2\xEF\xBD\x95\xEF\xBD\x84\xEF\xBD\x89"), "budi");  // Ｂｕｄｉ
  EXPECT_EQ(FoldName("\xEF\xBC\xB3\xEF\xBD\x89\xEF\xBD\x94\xEF\xBD\x89\xE3\x80\x80\xEF\xBC\xA1"), "siti a");  // ideographic space
  EXPECT_EQ(FoldName("\xEF\xAC\x81rman"), "firman");                      // the ﬁ ligature
  EXPECT_EQ(FoldName("Budi\xE2\x80\x8B Santoso"), "budi santoso");          // a zero-width space is no letter
  EXPECT_EQ(FoldName("Bu\xC2\xAD" "di"), "budi");                           // soft hyphen: ignorable
}

TEST(FoldNameTest, ApostrophesJoinAndHyphensSeparate) {
  for (const char* name : {"Ma'ruf", "Maruf", "Ma\xE2\x80\x99ruf", "Ma`ruf", "Ma\xC2\xB4ruf", "MA\xCA\xBCRUF"}) {
    EXPECT_EQ(FoldName(name), "maruf") << name;
  }
  EXPECT_EQ(FoldName("Siti Nur-Aini"), "siti nur aini");
  EXPECT_EQ(FoldName("Siti Nur \xE2\x80\x93 Aini"), "siti nur aini");  // en dash
  EXPECT_EQ(FoldName("Siti Nuraini"), "siti nuraini");                 // another spacing: a candidate (intake)
}

TEST(FoldNameTest, TitlesAndDegreesDoNotCount) {
  EXPECT_EQ(FoldName("H. Ahmad Fauzi, S.Pd., M.Si."), "ahmad fauzi");
  EXPECT_EQ(FoldName("Hj. Siti Aminah, S.H."), "siti aminah");
  EXPECT_EQ(FoldName("Prof. Dr. Ir. Budi Santoso M.M."), "budi santoso");
  EXPECT_EQ(FoldName("Drs. Budi, S.E."), "budi");
  EXPECT_EQ(FoldName("dr Budi Santoso SH"), "budi santoso");
  // Real names are kept: a one-letter word without its dot, a last word, "Ma".
  EXPECT_EQ(FoldName("H Budi"), "h budi");
  EXPECT_EQ(FoldName("Budi H."), "budi h");
  EXPECT_EQ(FoldName("Dr."), "dr");
  EXPECT_EQ(FoldName("Lie Ma"), "lie ma");
  EXPECT_EQ(FoldName("Ir"), "ir");
}

TEST(FoldNameTest, KeepsOtherScriptsAndDropsSymbols) {
  EXPECT_EQ(FoldName("\xE7\x8E\x8B Wang"), "\xE7\x8E\x8B wang");
  EXPECT_EQ(FoldName("Budi (Kepala) #2"), "budi kepala 2");
  EXPECT_EQ(FoldName("\xC3\x97 \xC3\xB7"), "");  // × and ÷ are not letters
}

TEST(FoldNameTest, DropsInvalidBytesAndStaysTotal) {
  EXPECT_EQ(FoldName("Bu\xFF" "di"), "budi");
  EXPECT_EQ(FoldName("Budi\xC3"), "budi");  // a cut-off sequence at the end
}

TEST(FoldTextTest, FoldsFormButKeepsPunctuation) {
  EXPECT_EQ(FoldText("  Budi.Santoso@Mail.COM "), "budi.santoso@mail.com");
  EXPECT_EQ(FoldText("\xEF\xBC\x8B\xEF\xBC\x96\xEF\xBC\x92 812"), "+62 812");  // full-width +62
  EXPECT_EQ(FoldText("De\xCC\x81" "de\xCC\x81"), "dede");
}

TEST(SpellingKeyTest, OldAndNewIndonesianSpellingsMeet) {
  const std::pair<const char*, const char*> pairs[] = {
      {"Soekarno", "Sukarno"}, {"Djoko", "Joko"}, {"Tjahjo", "Cahyo"}, {"Njoman", "Nyoman"},
      {"Sjahrir", "Syahrir"},  {"Chairul", "Khairul"}, {"Soewandi", "Suwandi"}, {"Djojohadikoesoemo", "Joyohadikusumo"},
  };
  for (const auto& [old_spelling, eyd] : pairs) {
    EXPECT_EQ(SpellingKey(FoldName(old_spelling)), SpellingKey(FoldName(eyd))) << old_spelling << " / " << eyd;
    EXPECT_NE(FoldName(old_spelling), FoldName(eyd));  // the name key itself keeps them apart
  }
  EXPECT_EQ(SpellingKey("tjahjo kumolo"), "cahyo kumolo");
  EXPECT_NE(SpellingKey("budi"), SpellingKey("badu"));
}

// The search's test of a word against a query prefix agrees with making the
// key: every word of up to four letters from those the rules read, against
// every prefix of up to two such letters and every prefix of the word and of
// its key.
TEST(SpellingKeyTest, StartsWithAgreesWithTheKey) {
  const std::string letters = "oedjtnschyku";
  std::vector<std::string> words{""}, short_prefixes{""};
  for (size_t from = 0; words.back().size() < 4;) {
    const size_t to = words.size();
    for (size_t i = from; i < to; ++i) {
      for (char c : letters) words.push_back(words[i] + c);
    }
    from = to;
  }
  for (const auto& w : words) {
    if (w.size() <= 2) short_prefixes.push_back(w);
  }
  int64_t checked = 0;
  for (const auto& word : words) {
    const std::string key = SpellingKey(word);
    std::vector<std::string> prefixes = short_prefixes;
    for (size_t n = 0; n <= word.size(); ++n) prefixes.push_back(word.substr(0, n));
    for (size_t n = 0; n <= key.size(); ++n) prefixes.push_back(key.substr(0, n) + "a");
    for (size_t n = 0; n <= key.size(); ++n) prefixes.push_back(key.substr(0, n));
    for (const auto& prefix : prefixes) {
      ASSERT_EQ(SpellingKeyStartsWith(word, prefix), key.starts_with(prefix)) << word << " / " << prefix;
      ++checked;
    }
  }
  EXPECT_GT(checked, 3'000'000);
}

}  // namespace
}  // namespace netra

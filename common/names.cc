#include "common/names.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/validation.h"

namespace netra {
namespace {

constexpr std::array<SpellingRule, 7> kOldSpellingTable{{
    {"oe", "u"}, {"dj", "j"}, {"tj", "c"}, {"nj", "ny"}, {"sj", "sy"}, {"ch", "kh"}, {"j", "y"},
}};

// Academic, religious and professional titles written before a name.
constexpr std::array<std::string_view, 10> kTitleTable{"h", "hj", "kh", "dr", "drs", "dra", "drg", "ir", "prof", "ns"};

// Degrees written after a name (Indonesian and the common foreign ones).
// Only words no Indonesian name is spelled as: "ma" and "ba" are names too.
constexpr std::array<std::string_view, 45> kDegreeTable{
    "sh",   "se",   "st",   "sp",   "spd",  "spdi", "ssi",  "skom", "ssos", "sip",  "sag",  "shi",
    "sei",  "sthi", "ssit", "sked", "skep", "sfarm", "skm", "ssn",  "sds",  "stp",  "spt",  "amd",
    "amdkeb", "mm", "msi", "mpd",  "mpdi", "mh",   "mhum", "mt",   "mkom", "mkes", "mag",  "msc",
    "mba",  "mak",  "map",  "msn",  "mkn",  "phd",  "llm",  "ak",   "cpa"};

bool IsApostrophe(int32_t cp) {
  switch (cp) {
    case 0x27: case 0x60: case 0xB4: case 0x2B9: case 0x2BB: case 0x2BC: case 0x2018: case 0x2019: case 0x201B:
    case 0x2032: case 0xFF07: case 0xFF40:
      return true;
  }
  return false;
}

// Latin letters that have no canonical decomposition, so that removing
// marks leaves them as they are; folded (lower case) forms.
std::string_view LetterWithoutDecomposition(int32_t cp) {
  switch (cp) {
    case 0xE6: return "ae";    // æ
    case 0xF0: return "d";     // ð
    case 0xF8: return "o";     // ø
    case 0xFE: return "th";    // þ
    case 0x111: return "d";    // đ
    case 0x127: return "h";    // ħ
    case 0x131: return "i";    // dotless ı
    case 0x142: return "l";    // ł
    case 0x153: return "oe";   // œ
  }
  return {};
}

// Calls `use` with each code point of `text`; invalid bytes are skipped.
template <class Use>
void ForEachCodePoint(std::string_view text, Use use) {
  for (size_t i = 0; i < text.size();) {
    const int32_t cp = DecodeUtf8(text, i);
    if (cp < 0) ++i;
    else use(cp);
  }
}

// Valid UTF-8 of `text` (invalid bytes dropped), without apostrophes when asked.
std::string Clean(std::string_view text, bool drop_apostrophes) {
  std::string out;
  out.reserve(text.size());
  ForEachCodePoint(text, [&](int32_t cp) {
    if (!drop_apostrophes || !IsApostrophe(cp)) AppendUtf8(out, cp);
  });
  return out;
}

// NFKC, case folded, marks removed, default-ignorable code points (soft
// hyphens, zero-width joiners) removed.
std::string Normalize(const std::string& clean) {
  utf8proc_uint8_t* mapped = nullptr;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                                                      UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(clean.data()),
                                          static_cast<utf8proc_ssize_t>(clean.size()), &mapped, options);
  if (n < 0) return clean;  // only on allocation failure: the input is valid UTF-8
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  std::free(mapped);
  return out;
}

bool IsSpace(int32_t cp) {
  const auto category = utf8proc_category(cp);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP ||
         category == UTF8PROC_CATEGORY_CC;
}

bool IsWordChar(int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

template <size_t N>
bool Listed(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// A name's word as written, between white space and commas: "s.pd." is one.
struct RawWord {
  std::vector<std::string> parts;  // its words: runs of letters and digits
  std::string bare;                // the parts joined: "spd"
  bool dotted = false;
};

}  // namespace

const std::span<const SpellingRule> kOldSpellings{kOldSpellingTable};
const std::span<const std::string_view> kNameTitles{kTitleTable};
const std::span<const std::string_view> kNameDegrees{kDegreeTable};

std::string FoldText(std::string_view text) {
  const std::string normalized = Normalize(Clean(text, false));
  std::string out;
  bool space = false;
  ForEachCodePoint(normalized, [&](int32_t cp) {
    if (IsSpace(cp)) {
      space = !out.empty();
      return;
    }
    if (space) out += ' ', space = false;
    AppendUtf8(out, cp);
  });
  return out;
}

std::string FoldName(std::string_view name) {
  const std::string normalized = Normalize(Clean(name, true));
  std::vector<RawWord> words(1);
  auto end_word = [&] {
    if (!words.back().bare.empty()) words.emplace_back();
    else words.back() = RawWord{};
  };
  bool in_part = false;
  ForEachCodePoint(normalized, [&](int32_t cp) {
    RawWord& w = words.back();
    std::string_view letters = LetterWithoutDecomposition(cp);
    if (IsWordChar(cp) || !letters.empty()) {
      if (!in_part) w.parts.emplace_back();
      in_part = true;
      if (letters.empty()) {
        AppendUtf8(w.parts.back(), cp);
        AppendUtf8(w.bare, cp);
      } else {
        w.parts.back() += letters;
        w.bare += letters;
      }
      return;
    }
    in_part = false;
    if (IsSpace(cp) || cp == ',') end_word();
    else if (cp == '.') w.dotted = true;
  });
  if (words.back().bare.empty()) words.pop_back();

  // Titles in front, degrees at the end; never the last word.
  size_t first = 0, last = words.size();
  while (last - first > 1 && Listed(kTitleTable, words[first].bare) &&
         (words[first].dotted || words[first].bare.size() > 1)) {
    ++first;
  }
  while (last - first > 1 && Listed(kDegreeTable, words[last - 1].bare)) --last;

  std::string out;
  for (size_t i = first; i < last; ++i) {
    for (const auto& part : words[i].parts) {
      if (!out.empty()) out += ' ';
      out += part;
    }
  }
  return out;
}

std::string SpellingKey(std::string_view folded) {
  std::string out;
  out.reserve(folded.size());
  for (size_t i = 0; i < folded.size();) {
    bool matched = false;
    for (const auto& rule : kOldSpellingTable) {  // two-letter rules first: they are listed first
      if (folded.substr(i).starts_with(rule.old_spelling)) {
        out += rule.eyd;
        i += rule.old_spelling.size();
        matched = true;
        break;
      }
    }
    if (!matched) out += folded[i++];
  }
  std::replace(out.begin(), out.end(), 'j', 'y');
  return out;
}

bool SpellingKeyStartsWith(std::string_view folded, std::string_view prefix) {
  size_t i = 0, matched = 0;
  while (matched < prefix.size()) {
    if (i == folded.size()) return false;
    std::string_view piece = folded.substr(i, 1);  // what SpellingKey writes for folded[i...]
    size_t used = 1;
    for (const auto& rule : kOldSpellingTable) {
      if (folded.substr(i).starts_with(rule.old_spelling)) {
        piece = rule.eyd;
        used = rule.old_spelling.size();
        break;
      }
    }
    i += used;
    for (char c : piece) {
      if (matched == prefix.size()) break;
      if ((c == 'j' ? 'y' : c) != prefix[matched]) return false;
      ++matched;
    }
  }
  return true;
}

}  // namespace netra

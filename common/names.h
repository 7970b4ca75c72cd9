// Names in one normal form, for the whole tree: the key people's names are
// sorted, searched, compared and clustered on, so that "Élise  Müller",
// "ELISE MULLER", "E\u0301lise Mu\u0308ller" and "Ｅｌｉｓｅ Müller" meet. The
// registry's search index and the complaint service's subject resolution
// both use these functions; the rules are documented in
// docs/complaint-workflow.md ("Matching names").
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace netra {

// Text folded without regard to form: NFKC, case folded, combining marks
// removed (utf8proc), runs of white space collapsed to one space, none at
// either end. Punctuation is kept (a contact address keeps its dots and @).
// Invalid UTF-8 bytes are dropped (text is validated before it is stored,
// but the fold stays total).
std::string FoldText(std::string_view text);

// A person's name key: FoldText's Unicode folding (plus the few Latin letters
// that have no decomposition: ł -> l, ø -> o, æ -> ae, ...), then
//  - apostrophes (' ’ ‘ ` ´ ʼ) removed: "Ma'ruf" is "maruf";
//  - titles before the name (kNameTitles: H., Hj., Dr., Ir., Prof., ...) and
//    degrees after it (kNameDegrees: S.Pd., M.Si., S.H., ...) removed, never
//    the last word left, a one-letter title only with its dot ("H. Budi" is
//    "budi", "Budi H." stays "budi h");
//  - every other character that is not a letter or digit (hyphens, dots,
//    commas, symbols, white space) separates words: "Nur-Aini" is "nur aini";
//  - words joined by one space.
std::string FoldName(std::string_view name);

// The spelling key of a folded name: old Indonesian spellings (Van
// Ophuijsen, Soewandi) written as EYD by kOldSpellings ("soekarno" ->
// "sukarno", "tjahjo" -> "cahyo"), and j and y written as one letter (old j
// is EYD y, old dj is EYD j, so a name in either spelling meets the other
// only so: "djoko" and "joko" are both "yoko"). A second, looser key: two
// names that meet only on it are candidates for a person, never the same.
std::string SpellingKey(std::string_view folded_name);
// Whether SpellingKey(folded) starts with `prefix`, without making the key:
// it stops at the first letter that differs, so a search can test every
// word of every candidate name.
bool SpellingKeyStartsWith(std::string_view folded, std::string_view prefix);

// The rules as data, for docs and tests.
struct SpellingRule {
  std::string_view old_spelling, eyd;
};
extern const std::span<const SpellingRule> kOldSpellings;
extern const std::span<const std::string_view> kNameTitles;   // before the name, written without dots
extern const std::span<const std::string_view> kNameDegrees;  // after the name, written without dots

}  // namespace netra

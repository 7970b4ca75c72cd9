#include "common/names.h"

#include <cstdint>

#include "common/validation.h"

namespace netra {
namespace {

// Base letters of U+00C0..U+00FF and U+0100..U+017F ('#': a two-letter base,
// '=': kept as is).
constexpr std::string_view kLatin1 = "aaaaaa#ceeeeiiiidnooooo=ouuuuy##aaaaaa#ceeeeiiiidnooooo=ouuuuy#y";
constexpr std::string_view kLatinA =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii##jjkkkllllllllllnnnnnnnnnoooooo##rrrrrrssssssss"
    "ttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(kLatin1.size() == 0x40 && kLatinA.size() == 0x80);

std::string_view TwoLetterBase(int32_t cp) {
  switch (cp) {
    case 0xC6: case 0xE6: return "ae";
    case 0xDE: case 0xFE: return "th";
    case 0xDF: return "ss";
    case 0x132: case 0x133: return "ij";
    case 0x152: case 0x153: return "oe";
  }
  return {};
}

}  // namespace

std::string FoldName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool space = false;
  for (size_t i = 0; i < name.size();) {
    int32_t cp = DecodeUtf8(name, i);
    if (cp < 0) {
      ++i;  // never stored (validated), but stay total
      continue;
    }
    if (cp == ' ' || cp == '\t' || cp == 0xA0) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ', space = false;
    if (cp >= 'A' && cp <= 'Z') {
      out += static_cast<char>(cp - 'A' + 'a');
    } else if (cp >= 0xC0 && cp <= 0x17F) {
      char base = cp <= 0xFF ? kLatin1[cp - 0xC0] : kLatinA[cp - 0x100];
      if (base == '#') out += TwoLetterBase(cp);
      else if (base == '=') AppendUtf8(out, cp);
      else out += base;
    } else {
      AppendUtf8(out, cp);
    }
  }
  return out;
}

}  // namespace netra

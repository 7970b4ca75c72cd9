// Name folding, once for the tree: the key people's names are sorted,
// searched and compared on, so that "Élise  Müller" and "elise muller" meet.
#pragma once

#include <string>
#include <string_view>

namespace netra {

// Lower-case (ASCII and Latin letters), diacritics removed from Latin-1 and
// Latin Extended-A letters (é -> e, ß -> ss, Æ -> ae), runs of spaces, tabs
// and no-break spaces collapsed to one space, none at either end. Other code
// points (and punctuation) are kept as they are; invalid UTF-8 bytes are
// dropped (text is validated before it is stored, but the fold stays total).
std::string FoldName(std::string_view name);

}  // namespace netra

#include "services/complaint/disclosure.h"

#include <algorithm>
#include <array>

namespace netra::complaint {
namespace {

// The perturbation table (docs/statistics.md): for a cell of `count` records
// (the last row: that count or more), the offsets in order and, for each, how
// many of the kCellKeyModulus cell keys give it (its probability in 1/1000).
// Unbiased for counts of 3 and more (variance 1.2, |offset| <= 2); the rows
// for 1 and 2 publish nothing below 1. Data: change it here and in the docs.
struct Offset {
  int offset;
  uint32_t keys;
};
struct Row {
  int64_t count;
  std::array<Offset, 5> offsets;
};
constexpr std::array<Row, 3> kTable = {{
    {1, {{{0, 600}, {1, 250}, {2, 150}, {0, 0}, {0, 0}}}},
    {2, {{{-1, 250}, {0, 500}, {1, 150}, {2, 100}, {0, 0}}}},
    {3, {{{-2, 100}, {-1, 200}, {0, 400}, {1, 200}, {2, 100}}}},
}};

constexpr bool RowsCoverEveryKey() {
  for (const Row& row : kTable) {
    uint32_t keys = 0;
    for (const Offset& o : row.offsets) keys += o.keys;
    if (keys != kCellKeyModulus) return false;
  }
  return true;
}
static_assert(RowsCoverEveryKey(), "each row of the perturbation table spans every cell key");

}  // namespace

uint32_t RecordKeys::Of(std::string_view complaint_id) const {
  const std::string mac = hash_.Of(complaint_id);
  uint64_t bits = 0;
  for (size_t i = 0; i < 8; ++i) bits = bits << 8 | static_cast<unsigned char>(mac[i]);
  return static_cast<uint32_t>(bits % kCellKeyModulus);  // bias under 2^-50
}

int PerturbationOffset(int64_t count, uint32_t cell_key) {
  const Row* row = &kTable.back();
  for (const Row& r : kTable) {
    if (r.count == count) row = &r;
  }
  uint32_t below = 0;
  for (const Offset& o : row->offsets) {
    below += o.keys;
    if (cell_key % kCellKeyModulus < below) return o.offset;
  }
  return 0;  // unreachable: the row spans every key
}

Disclosed Disclose(const Cell& cell, Minimums minimums) {
  if (cell.count == 0) return {};
  if (cell.count < minimums.floor) return {0, true};
  const int64_t published =
      std::max<int64_t>(std::max(minimums.floor, 1), cell.count + PerturbationOffset(cell.count, cell.key));
  if (published < minimums.min_count) return {0, true};
  return {published, false};
}

}  // namespace netra::complaint

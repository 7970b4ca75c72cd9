// Disclosure control of the public statistics: cell-key perturbation
// (docs/statistics.md). Every complaint has a record key, a keyed hash of its
// id under the deployment's statistics key, uniform in [0, kCellKeyModulus);
// a cell's key is the sum of its records' keys modulo kCellKeyModulus, and the
// published count is the true count plus the offset the perturbation table
// gives for (count, cell key). The same records always give the same figure,
// so repeating a question cannot average the noise away; a cell that differs
// by one record has an independent offset, so a difference of two figures is
// not the count of what differs. Counts under the minimum are suppressed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/keyed_hash.h"

namespace netra::complaint {

inline constexpr uint32_t kCellKeyModulus = 1000;

// Record keys under the deployment's statistics key (--stats-key-file); the
// key is never published, so nobody outside can compute a cell's offset.
class RecordKeys {
 public:
  static constexpr size_t kMinKeyBytes = 32;
  explicit RecordKeys(std::string key) : hash_(std::move(key)) {}
  // Uniform in [0, kCellKeyModulus).
  uint32_t Of(std::string_view complaint_id) const;

 private:
  KeyedHash hash_;
};

// The records of one published cell: how many, and their keys' sum.
struct Cell {
  int64_t count = 0;
  uint32_t key = 0;  // sum of the record keys mod kCellKeyModulus
  void Add(uint32_t record_key) {
    ++count;
    key = static_cast<uint32_t>((key + record_key) % kCellKeyModulus);
  }
};

// The minimum counts: the service's (`floor`, which no caller changes) and
// the one a query asked for (min_count, never below the floor).
struct Minimums {
  int floor = 0;
  int min_count = 0;
};

// What a cell publishes: an empty cell stays 0; a true count under the floor
// is suppressed; else the perturbed count (never under the floor, nor 1),
// suppressed when that is under the query's min_count. A caller's higher
// minimum is compared with the perturbed count, never the true one: else
// asking with min_count n and n + 1 would tell whether the true count is n.
struct Disclosed {
  int64_t count = 0;
  bool suppressed = false;
};
Disclosed Disclose(const Cell& cell, Minimums minimums);

// The offset for a cell of `count` records with key `cell_key`, from the
// perturbation table (disclosure.cc).
int PerturbationOffset(int64_t count, uint32_t cell_key);

}  // namespace netra::complaint

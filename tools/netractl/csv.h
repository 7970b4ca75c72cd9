// RFC 4180 CSV for the operator's tools: a streaming reader over libcsv (quoted
// fields, commas and line breaks inside quotes, doubled quotes, an optional
// UTF-8 BOM) that never holds more than one chunk of the input, and the
// matching field quoting for writers.
#pragma once

#include <cstdint>
#include <deque>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

struct csv_parser;

namespace netra::tools {

class CsvReader {
 public:
  explicit CsvReader(std::istream& in);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record, or false at the end of the input or on malformed CSV
  // (then error() is set). Blank lines are skipped.
  bool Next(std::vector<std::string>* fields);
  // 1-based number of the record last returned (the header is record 1);
  // after an error, the number of the record that is malformed.
  int64_t record_number() const { return record_number_; }
  // Empty unless the input is malformed (e.g. a stray or unterminated quote).
  const std::string& error() const { return error_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  bool Fill();  // parses one more chunk; false when nothing more can come

  std::istream& in_;
  csv_parser* parser_;
  // Records are parsed into recycled vectors whose strings keep their memory
  // (a record returned by Next comes back with the next call): the reader
  // allocates almost nothing per record.
  std::vector<std::string> fields_;               // the record being parsed: its first field_count_
  size_t field_count_ = 0;
  std::deque<std::vector<std::string>> records_;  // parsed, not yet returned
  std::vector<std::vector<std::string>> spare_;
  std::string chunk_;
  int64_t record_number_ = 0, error_record_ = 0;
  uint64_t bytes_read_ = 0;
  bool first_chunk_ = true, finished_ = false;
  std::string error_;

  friend void OnCsvField(void*, size_t, void*);
  friend void OnCsvRecord(int, void*);
};

// Appends `field` to `out` quoted as RFC 4180 needs (only when it holds a
// comma, a quote, CR or LF, or leading/trailing blanks that a reader trims).
void AppendCsvField(std::string& out, std::string_view field);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points above U+10FFFF). Protobuf rejects a whole message holding a string
// field that is not, so each field is checked before it is sent.
bool IsValidUtf8(std::string_view text);

}  // namespace netra::tools

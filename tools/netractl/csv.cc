#include "tools/netractl/csv.h"

#include <csv.h>

#include "common/validation.h"

namespace netra::tools {
namespace {
constexpr size_t kMaxFieldBytes = 1 << 20;
constexpr size_t kMaxFields = 10000;
}  // namespace

void OnCsvField(void* data, size_t length, void* state) {
  auto* reader = static_cast<CsvReader*>(state);
  std::string_view field(data ? static_cast<const char*>(data) : "", data ? length : 0);
  if (reader->field_count_ < reader->fields_.size()) reader->fields_[reader->field_count_].assign(field);
  else reader->fields_.emplace_back(field);
  ++reader->field_count_;
}

void OnCsvRecord(int, void* state) {
  auto* reader = static_cast<CsvReader*>(state);
  reader->fields_.resize(reader->field_count_);
  reader->records_.push_back(std::move(reader->fields_));
  reader->field_count_ = 0;
  reader->fields_.clear();
  if (!reader->spare_.empty()) {
    reader->fields_ = std::move(reader->spare_.back());
    reader->spare_.pop_back();
  }
}

CsvReader::CsvReader(std::istream& in) : in_(in), parser_(new csv_parser) {
  // Strict: a quote inside an unquoted field, text after a closing quote or
  // an unterminated quote at the end is an error, not silently repaired.
  if (csv_init(parser_, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    error_ = "cannot initialise the CSV parser";
    finished_ = true;
  }
  chunk_.resize(1 << 16);
}

CsvReader::~CsvReader() {
  csv_free(parser_);
  delete parser_;
}

bool CsvReader::Fill() {
  while (!finished_ && records_.empty()) {
    in_.read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
    size_t length = static_cast<size_t>(in_.gcount());
    bytes_read_ += length;
    const char* data = chunk_.data();
    if (first_chunk_) {
      first_chunk_ = false;
      if (length >= 3 && std::string_view(data, 3) == "\xEF\xBB\xBF") {
        data += 3;
        length -= 3;
      }
    }
    bool at_end = length == 0 || !in_;
    if (length > 0 && csv_parse(parser_, data, length, OnCsvField, OnCsvRecord, this) != length) {
      error_ = "malformed CSV (a stray quote, or text after a closing quote)";
    } else if (parser_->entry_pos > kMaxFieldBytes || field_count_ > kMaxFields) {
      // Bounds memory: an unterminated quote would otherwise swallow the file.
      error_ = "record too large (a field over 1 MiB or over 10,000 fields; an unterminated quote?)";
    } else if (at_end && csv_fini(parser_, OnCsvField, OnCsvRecord, this) != 0) {
      error_ = "malformed CSV (an unterminated quote)";
    }
    if (!error_.empty()) {
      // Records completed before the bad one are still returned; the bad one
      // and everything after it are not.
      error_record_ = record_number_ + static_cast<int64_t>(records_.size()) + 1;
      finished_ = true;
    } else if (at_end) {
      finished_ = true;
    }
  }
  return !records_.empty();
}

bool CsvReader::Next(std::vector<std::string>* fields) {
  if (records_.empty() && !Fill()) {
    if (!error_.empty()) record_number_ = error_record_;
    return false;
  }
  fields->swap(records_.front());
  spare_.push_back(std::move(records_.front()));  // the caller's last record, to parse into again
  records_.pop_front();
  ++record_number_;
  return true;
}

void AppendCsvField(std::string& out, std::string_view field) {
  bool quote = !field.empty() && (field.front() == ' ' || field.front() == '\t' || field.back() == ' ' ||
                                  field.back() == '\t');
  for (char c : field) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

bool IsValidUtf8(std::string_view text) { return netra::Utf8Length(text) >= 0; }

}  // namespace netra::tools

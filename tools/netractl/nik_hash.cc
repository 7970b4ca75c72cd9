#include "tools/netractl/nik_hash.h"

#include <algorithm>
#include <vector>

#include "common/identifiers.h"
#include "tools/netractl/csv.h"

namespace netra::tools {
namespace {

std::string Trim(std::string text) {
  auto blank = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && blank(text[start])) ++start;
  return text.substr(start);
}

}  // namespace

bool IsValidNik(std::string_view text) {
  Violations ignored;
  return ParseNik(text, "nik", ignored).has_value();
}

std::string NikHmacHex(const NikHasher& hasher, std::string_view nik) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : hasher.Hash(nik)) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

HashNiksResult HashNiks(std::istream& in, std::ostream& out, std::ostream& problems, const NikHasher& hasher) {
  HashNiksResult result;
  // Peek at the first line to choose the form, then start over.
  std::string first;
  std::getline(in, first);
  if (first.rfind("\xEF\xBB\xBF", 0) == 0) first.erase(0, 3);
  bool csv_form = first.find("nik") != std::string::npos && !IsValidNik(Trim(first));
  in.clear();
  in.seekg(0);

  if (!csv_form) {
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
      std::string nik = Trim(line);
      if (nik.empty()) continue;
      if (!IsValidNik(nik)) {
        problems << "line " << number << ": not a valid NIK\n";
        ++result.invalid;
        continue;
      }
      out << NikHmacHex(hasher, nik) << '\n';
      ++result.hashed;
    }
    return result;
  }

  CsvReader reader(in);
  std::vector<std::string> fields;
  if (!reader.Next(&fields)) {
    result.error = "record 1: " + (reader.error().empty() ? std::string("no header row") : reader.error());
    return result;
  }
  auto nik_column = std::find(fields.begin(), fields.end(), "nik");
  if (nik_column == fields.end()) {
    result.error = "the header row has no \"nik\" column";
    return result;
  }
  size_t nik_index = static_cast<size_t>(nik_column - fields.begin());
  auto write = [&](const std::vector<std::string>& record) {
    std::string line;
    for (size_t i = 0; i < record.size(); ++i) {
      if (i > 0) line.push_back(',');
      AppendCsvField(line, record[i]);
    }
    line += "\r\n";
    out << line;
  };
  fields[nik_index] = "nik_hmac";
  const size_t field_count = fields.size();
  write(fields);
  while (reader.Next(&fields)) {
    if (fields.size() != field_count || !IsValidNik(fields[nik_index])) {
      problems << "record " << reader.record_number()
               << (fields.size() != field_count ? ": wrong number of fields\n" : ": not a valid NIK\n");
      ++result.invalid;
      continue;
    }
    fields[nik_index] = NikHmacHex(hasher, fields[nik_index]);
    write(fields);
    ++result.hashed;
  }
  if (!reader.error().empty()) result.error = "record " + std::to_string(reader.record_number()) + ": " + reader.error();
  return result;
}

}  // namespace netra::tools

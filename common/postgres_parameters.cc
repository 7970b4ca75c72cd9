// The store's SQL, written with SQLite's parameters, in PostgreSQL's form
// (RewriteParameters, postgres.h): a scanner of SQL text, apart from libpq.
#include "common/postgres.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace netra::postgres {
namespace {

bool IdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::optional<RewrittenSql> RewriteParameters(std::string_view sql, std::string* error) {
  auto fail = [&](const std::string& message) -> std::optional<RewrittenSql> {
    if (error != nullptr) *error = message + ": [" + std::string(sql) + "]";
    return std::nullopt;
  };
  RewrittenSql out;
  out.sql.reserve(sql.size() + 8);
  bool statement_seen = false;  // a token other than blanks and comments
  bool ended = false;           // a ';' ended the statement
  // Copies sql[i..] up to and including the `close` that ends a quoted part.
  auto copy_quoted = [&](size_t i, char close, bool backslashes) {
    size_t j = i + 1;
    while (j < sql.size()) {
      if (backslashes && sql[j] == '\\') {
        j += 2;
        continue;
      }
      if (sql[j] == close) break;
      ++j;
    }
    j = std::min(j + 1, sql.size());
    out.sql.append(sql.substr(i, j - i));
    return j;
  };
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (std::isspace(static_cast<unsigned char>(c))) {
      out.sql.push_back(c);
      ++i;
      continue;
    }
    if (c == '-' && next == '-') {  // to the end of the line
      size_t j = sql.find('\n', i);
      j = j == std::string_view::npos ? sql.size() : j;
      out.sql.append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '/' && next == '*') {
      size_t j = sql.find("*/", i + 2);
      j = j == std::string_view::npos ? sql.size() : j + 2;
      out.sql.append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == ';') {
      ended = true;
      ++i;
      continue;
    }
    if (ended) return fail("prepare takes one statement (use Exec for several)");
    statement_seen = true;
    if (c == '\'') {
      // E'...' strings take backslash escapes; '' inside a string is two quoted parts in a row.
      const bool escaped = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IdentChar(sql[i - 2]));
      i = copy_quoted(i, '\'', escaped);
    } else if (c == '"') {
      i = copy_quoted(i, '"', false);
    } else if (c == '$' && (next == '$' || IdentStart(next))) {  // a dollar-quoted string: $tag$ ... $tag$
      size_t j = i + 1;
      while (j < sql.size() && IdentChar(sql[j])) ++j;
      if (j < sql.size() && sql[j] == '$') {
        const std::string_view tag = sql.substr(i, j - i + 1);
        size_t end = sql.find(tag, j + 1);
        end = end == std::string_view::npos ? sql.size() : end + tag.size();
        out.sql.append(sql.substr(i, end - i));
        i = end;
      } else {
        out.sql.append(sql.substr(i, j - i));
        i = j;
      }
    } else if (c == ':' && next == ':') {  // a cast
      out.sql.append("::");
      i += 2;
    } else if (c == ':' && IdentStart(next)) {
      size_t j = i + 1;
      while (j < sql.size() && IdentChar(sql[j])) ++j;
      const std::string name(sql.substr(i, j - i));
      auto it = std::find_if(out.names.begin(), out.names.end(), [&](const auto& n) { return n.first == name; });
      int index = 0;
      if (it != out.names.end()) {
        index = it->second;
      } else {
        index = ++out.params;
        out.names.emplace_back(name, index);
      }
      out.sql += "$" + std::to_string(index);
      i = j;
    } else if (c == '?') {
      size_t j = i + 1;
      int index = 0;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) {
        index = index * 10 + (sql[j] - '0');
        if (index > 32766) return fail("parameter number too large");
        ++j;
      }
      if (j == i + 1) {
        index = ++out.params;
      } else if (index == 0) {
        return fail("parameters are numbered from 1");
      } else {
        out.params = std::max(out.params, index);
      }
      out.sql += "$" + std::to_string(index);
      i = j;
    } else if (IdentChar(c)) {  // a word: its characters cannot start a parameter
      size_t j = i;
      while (j < sql.size() && IdentChar(sql[j])) ++j;
      out.sql.append(sql.substr(i, j - i));
      i = j;
    } else {
      out.sql.push_back(c);
      ++i;
    }
  }
  if (!statement_seen) return fail("prepare: empty SQL");
  return out;
}

}  // namespace netra::postgres

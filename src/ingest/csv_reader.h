#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rectrack {

// A field of the current record and where it started, for error messages.
struct CsvField {
  std::string_view value;  // valid until the next call to Next()
  size_t line = 0;         // 1-based
  size_t column = 0;       // 1-based, in characters
};

// RFC 4180 reader over UTF-8 text already in memory. Accepts CR, LF and CRLF
// line endings (mixed too), quoted fields with embedded separators, quotes
// ("") and line breaks.
class CsvReader {
 public:
  static constexpr size_t kDefaultMaxFieldBytes = 16u << 20;

  CsvReader(std::string_view text, std::string file_label, char delimiter = ',',
            size_t max_field_bytes = kDefaultMaxFieldBytes);

  // Reads the next record into `fields`. Returns false at the end of input.
  // Errors ("FILE:LINE:COLUMN: unbalanced quote ...", "... text after closing
  // quote", "... field longer than N bytes") name where the problem starts.
  Result<bool> Next(std::vector<CsvField>* fields);

  const std::string& file_label() const { return file_label_; }

 private:
  std::string_view text_;
  std::string file_label_;
  char delimiter_;
  size_t max_field_bytes_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;  // byte offset where the current line began
  std::vector<std::string> unescaped_;  // storage for fields that had "" inside
};

}  // namespace rectrack

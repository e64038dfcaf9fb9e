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
  // A record with more fields is an error, so that one huge line cannot make
  // the field list grow without bound.
  static constexpr size_t kMaxFieldsPerRecord = 1u << 16;

  CsvReader(std::string_view text, std::string file_label, char delimiter = ',',
            size_t max_field_bytes = kDefaultMaxFieldBytes);

  // Reads the next record into `fields`. Returns false at the end of input.
  // Blank lines (empty or only spaces and tabs) are skipped. Values are views
  // into `text` unless the field had "" inside. Spaces and tabs between a
  // closing quote and the next separator are ignored; a quote inside an
  // unquoted field is kept as a literal character. Errors ("FILE:LINE:COLUMN:
  // unbalanced quote ...", "... text after closing quote", "... field longer
  // than N bytes") name where the problem starts. After an error the reader
  // must not be used again.
  Result<bool> Next(std::vector<CsvField>* fields);

  const std::string& file_label() const { return file_label_; }

  // Offset in `text` of the first byte not yet read. Once the caller is done
  // with the fields it has, no byte before it is looked at again.
  size_t offset() const { return pos_; }

  // Keeps text between a closing quote and the next separator as part of the
  // field ("a";b -> a;b), as Python's csv module does, instead of failing. Only
  // for known-damaged published data (one UPR file has such a row); off by default.
  void AllowTextAfterClosingQuote(bool allow) { allow_text_after_quote_ = allow; }

 private:
  std::string_view text_;
  std::string file_label_;
  char delimiter_;
  size_t max_field_bytes_;
  bool allow_text_after_quote_ = false;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t line_start_ = 0;  // byte offset where the current line began
  // Column bookkeeping: `col_` is the 1-based character column of byte
  // `col_pos_` on the current line. Columns are counted forward from there, so
  // the work stays linear however long a line is.
  size_t col_pos_ = 0;
  size_t col_ = 1;
  // Unescaped values of the current record's fields that had "" inside, and
  // which field each one belongs to; the views are set once the record is
  // complete because the buffer may move while it grows.
  std::string unescaped_;
  struct Fixup {
    size_t field, offset, size;
  };
  std::vector<Fixup> fixups_;

  size_t ColumnAt(size_t pos);
  void StartLine(size_t pos);
  Error ErrorAt(size_t line, size_t column, std::string_view what) const;
};

}  // namespace rectrack

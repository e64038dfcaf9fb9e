#include "ingest/csv_reader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "fmt/format.h"

namespace rectrack {
namespace {

// Word-at-a-time scanning (SWAR): most bytes of a big CSV are field content, so
// the reader skips eight of them per step when none is special.
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

inline uint64_t Load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
// Nonzero if some byte of `w` equals `b`.
inline uint64_t HasByte(uint64_t w, unsigned char b) {
  uint64_t x = w ^ (kOnes * b);
  return (x - kOnes) & ~x & kHighs;
}

// First position in [q, end) holding `a`, `b` or `c`, else `end`.
inline size_t FindAny3(const char* p, size_t q, size_t end, char a, char b, char c) {
  while (q + 8 <= end) {
    uint64_t w = Load8(p + q);
    if (HasByte(w, static_cast<unsigned char>(a)) | HasByte(w, static_cast<unsigned char>(b)) |
        HasByte(w, static_cast<unsigned char>(c)))
      break;
    q += 8;
  }
  while (q < end && p[q] != a && p[q] != b && p[q] != c) ++q;
  return q;
}

}  // namespace

CsvReader::CsvReader(std::string_view text, std::string file_label, char delimiter,
                     size_t max_field_bytes)
    : text_(text),
      file_label_(std::move(file_label)),
      delimiter_(delimiter),
      max_field_bytes_(max_field_bytes) {}

void CsvReader::StartLine(size_t pos) {
  line_start_ = pos;
  col_pos_ = pos;
  col_ = 1;
}

size_t CsvReader::ColumnAt(size_t pos) {
  // Positions only move forward within a line, so each byte is counted once.
  const char* p = text_.data();
  size_t c = col_;
  size_t i = col_pos_;
  // A character starts at every byte that is not a UTF-8 continuation byte.
  for (; i + 8 <= pos; i += 8) {
    uint64_t w = Load8(p + i);
    if (!(w & kHighs)) {
      c += 8;
      continue;
    }
    for (size_t k = 0; k < 8; ++k) c += (static_cast<unsigned char>(p[i + k]) & 0xC0) != 0x80;
  }
  for (; i < pos; ++i) c += (static_cast<unsigned char>(p[i]) & 0xC0) != 0x80;
  col_pos_ = pos;
  col_ = c;
  return c;
}

Error CsvReader::ErrorAt(size_t line, size_t column, std::string_view what) const {
  return Error::Invalid(fmt::format("{}:{}:{}: {}", file_label_, line, column, what));
}

Result<bool> CsvReader::Next(std::vector<CsvField>* fields) {
  fields->clear();
  unescaped_.clear();
  fixups_.clear();
  const char* p = text_.data();
  const size_t n = text_.size();
  const char delim = delimiter_;
  auto is_blank = [delim](char c) { return (c == ' ' || c == '\t') && c != delim; };
  auto consume_line_break = [&](size_t at) {
    size_t next = (p[at] == '\r' && at + 1 < n && p[at + 1] == '\n') ? at + 2 : at + 1;
    ++line_;
    StartLine(next);
    return next;
  };

  // Skip blank lines.
  while (true) {
    if (pos_ >= n) return false;
    size_t q = pos_;
    while (q < n && is_blank(p[q])) ++q;
    if (q >= n) {
      pos_ = n;
      return false;
    }
    if (p[q] != '\r' && p[q] != '\n') break;
    pos_ = consume_line_break(q);
  }

  while (true) {
    const size_t line = line_;
    const size_t column = ColumnAt(pos_);
    if (fields->size() >= kMaxFieldsPerRecord)
      return Fail(ErrorAt(line, column,
                          fmt::format("record has more than {} fields", kMaxFieldsPerRecord)));
    // Bytes a field may span before it is too long (one more is looked at).
    const size_t span = std::min(n - pos_, max_field_bytes_ + 1);

    if (pos_ < n && p[pos_] == '"') {
      const size_t content = pos_ + 1;
      const size_t limit = std::min(n, content + max_field_bytes_ + 1);
      size_t q = content;
      bool escaped = false;
      while (true) {
        q = FindAny3(p, q, limit, '"', '\r', '\n');
        if (q - content > max_field_bytes_)
          return Fail(ErrorAt(line, column,
                              fmt::format("quoted field longer than {} bytes (is its closing "
                                          "quote missing?)",
                                          max_field_bytes_)));
        if (q >= n)
          return Fail(ErrorAt(line, column,
                              "unbalanced quote: the quoted field that starts here has no "
                              "closing quote"));
        if (p[q] == '"') {
          if (q + 1 < n && p[q + 1] == '"') {
            escaped = true;
            q += 2;
            continue;
          }
          break;
        }
        q = consume_line_break(q);  // a line break inside the field
      }
      std::string_view value(p + content, q - content);
      size_t after = q + 1;
      while (after < n && is_blank(p[after])) ++after;
      std::string_view trailing;  // text after the closing quote, when allowed
      if (after < n && p[after] != delim && p[after] != '\r' && p[after] != '\n') {
        if (!allow_text_after_quote_) {
          size_t at_column = ColumnAt(after);
          return Fail(ErrorAt(line_, at_column,
                              "text after closing quote (a quote inside a quoted field must "
                              "be doubled: \"\")"));
        }
        size_t end =
            FindAny3(p, q + 1, std::min(n, q + 1 + max_field_bytes_ + 1), delim, '\r', '\n');
        if (end - content > max_field_bytes_)
          return Fail(
              ErrorAt(line, column, fmt::format("field longer than {} bytes", max_field_bytes_)));
        trailing = std::string_view(p + q + 1, end - (q + 1));
        after = end;
      }
      if (escaped || !trailing.empty()) {
        size_t offset = unescaped_.size();
        // Inside a closed quoted field every quote is the first of a "" pair.
        size_t from = 0;
        while (true) {
          size_t quote = value.find('"', from);
          if (quote == std::string_view::npos) {
            unescaped_.append(value.substr(from));
            break;
          }
          unescaped_.append(value.substr(from, quote + 1 - from));
          from = quote + 2;
        }
        unescaped_.append(trailing);
        fixups_.push_back({fields->size(), offset, unescaped_.size() - offset});
      }
      fields->push_back({value, line, column});
      pos_ = after;
    } else {
      size_t q = pos_;
      const size_t limit = pos_ + span;
      q = FindAny3(p, q, limit, delim, '\r', '\n');
      if (q - pos_ > max_field_bytes_)
        return Fail(
            ErrorAt(line, column, fmt::format("field longer than {} bytes", max_field_bytes_)));
      fields->push_back({std::string_view(p + pos_, q - pos_), line, column});
      pos_ = q;
    }

    if (pos_ >= n) break;
    if (p[pos_] == delim) {
      ++pos_;
      continue;
    }
    pos_ = consume_line_break(pos_);
    break;
  }

  for (const Fixup& f : fixups_)
    (*fields)[f.field].value = std::string_view(unescaped_.data() + f.offset, f.size);
  return true;
}

}  // namespace rectrack

#include "report/report_render.h"

#include <sys/sendfile.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/markdown.h"
#include "core/text.h"
#include "core/vocab.h"
#include "nlohmann/json.hpp"
#include "report/svg.h"

namespace rectrack {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kSnapshotFormat = "rectrack-report/1";

// ---------------------------------------------------------------------------
// A small document model, so that Markdown and HTML render the same sections
// from one description and cannot drift apart.

struct Run {
  enum Style { kPlain, kStrong, kCode, kLink };
  Style style = kPlain;
  std::string text;
};
using Runs = std::vector<Run>;

// A table cell: text of its own, or a view of text that outlives the document
// (the ReportData it is built from, static labels), so that the rows of a big
// report are not copied once more.
class Cell {
 public:
  Cell(std::string text) : text_(std::move(text)) {}  // NOLINT: cells are strings
  Cell(const char* text) : text_(std::string(text)) {}  // NOLINT
  static Cell Ref(std::string_view text) { return Cell(text); }
  std::string_view view() const {
    if (const auto* own = std::get_if<std::string>(&text_)) return *own;
    return std::get<std::string_view>(text_);
  }
  size_t size() const { return view().size(); }
  bool empty() const { return view().empty(); }

 private:
  explicit Cell(std::string_view ref) : text_(ref) {}
  std::variant<std::string, std::string_view> text_;
};

// Where a document is written: a string, or a file through a buffer.
class Out {
 public:
  explicit Out(std::FILE* file = nullptr) : file_(file) {}
  std::string& buf() { return buf_; }
  // At a block's start: hands what is written so far to the file, if any.
  void Drain() {
    if (file_ && buf_.size() >= (1u << 20)) Flush();
  }
  // Appends `s`; to a file, what is buffered goes first and `s` straight after
  // it, not through the buffer (a spilled list's extent is 256 KB).
  void Write(std::string_view s) {
    if (!file_) {
      buf_ += s;
      return;
    }
    Flush();
    Put(s);
  }
  void Flush() {
    if (!file_ || buf_.empty()) return;
    Put(buf_);
    buf_.clear();
  }
  Status status() const { return status_; }
  bool to_file() const { return file_ != nullptr; }
  std::FILE* file() const { return file_; }
  void SetError(Error e) {
    if (status_) status_ = Fail(std::move(e));
  }

 private:
  void Put(std::string_view s) {
    if (std::fwrite(s.data(), 1, s.size(), file_) != s.size())
      SetError(Error::Io("writing the report failed"));
  }
  std::FILE* file_;
  std::string buf_;
  Status status_;
};

// Rows rendered ahead of their table (a streamed report's long lists, whose
// order in the document is only known at the end): kept in a buffer, and in a
// temporary file beyond it, so that memory holds no more than a buffer per list.
class Spill {
 public:
  explicit Spill(std::FILE* file) : file_(file) {}
  std::string& buf() { return buf_; }
  size_t rows = 0;
  Status Settle() {
    if (buf_.size() < kBuffer) return {};
    return Move();
  }
  // Appends everything to `out`.
  void WriteTo(Out& out) {
    size_t sent = SendTo(out);
    std::string chunk;
    for (size_t e = sent; e < extents_.size(); ++e) {
      const auto& [offset, size] = extents_[e];
      chunk.resize(size);
      if (fseeko(file_, offset, SEEK_SET) != 0 ||
          std::fread(chunk.data(), 1, size, file_) != size) {
        out.SetError(Error::Io("reading back the report's rows failed"));
        return;
      }
      out.Write(chunk);
    }
    out.buf() += buf_;
  }

 private:
  static constexpr size_t kBuffer = 256 * 1024;
  // To a file: the extents copied by the kernel from the temporary file
  // (sendfile), not read into this process and written out again. Returns how
  // many were sent; the rest (none, unless the output refuses sendfile) are
  // copied by WriteTo.
  size_t SendTo(Out& out) {
    if (!out.to_file() || extents_.empty()) return 0;
    out.Flush();
    if (!out.status() || std::fflush(out.file()) != 0 || std::fflush(file_) != 0) return 0;
    const int to = fileno(out.file()), from = fileno(file_);
    if (to < 0 || from < 0) return 0;  // a stream without a descriptor (fopencookie)
    size_t e = 0;
    for (; e < extents_.size(); ++e) {
      off_t at = extents_[e].first;
      size_t left = extents_[e].second;
      while (left > 0) {
        ssize_t n = ::sendfile(to, from, &at, left);
        if (n > 0) {
          left -= static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else if (left == extents_[e].second && (n == 0 || errno == EINVAL || errno == ENOSYS)) {
          return e;  // this output takes no sendfile: the rest are copied
        } else {
          out.SetError(Error::Io("writing the report failed"));
          return extents_.size();
        }
      }
    }
    return e;
  }
  Status Move() {
    if (fseeko(file_, 0, SEEK_END) != 0)
      return Fail(Error::Io("writing the report's rows to a temporary file failed"));
    off_t at = ftello(file_);
    if (at < 0 || std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size())
      return Fail(Error::Io("writing the report's rows to a temporary file failed"));
    extents_.push_back({at, buf_.size()});
    buf_.clear();
    return {};
  }
  std::FILE* file_;
  std::string buf_;
  std::vector<std::pair<off_t, size_t>> extents_;
};

struct Table {
  std::string caption;
  bool caption_in_markdown = false;  // Markdown has headings instead, usually
  std::vector<std::string> headers;
  std::vector<bool> numeric;  // per column: right-aligned
  std::vector<std::vector<Cell>> rows;
  bool total_row = false;  // the last row sums the others
  Spill* spilled = nullptr;  // rows rendered already, after `rows`
  size_t row_count() const { return rows.size() + (spilled ? spilled->rows : 0); }
};

struct Block {
  enum Kind { kHeading, kParagraph, kHeadline, kDetails, kTable, kChart, kCommentary };
  Kind kind = kParagraph;
  int level = 2;                                      // kHeading
  std::string text;                                   // kHeading; kChart: the SVG
  Runs runs;                                          // kParagraph, kHeadline
  std::vector<std::pair<std::string, Runs>> details;  // kDetails
  Table table;                                        // kTable
};

class Doc {
 public:
  void Heading(int level, std::string text) {
    Block b;
    b.kind = Block::kHeading;
    b.level = level;
    b.text = std::move(text);
    blocks_.push_back(std::move(b));
  }
  void Para(Runs runs) {
    Block b;
    b.kind = Block::kParagraph;
    b.runs = std::move(runs);
    blocks_.push_back(std::move(b));
  }
  void Para(std::string text) { Para(Runs{{Run::kPlain, std::move(text)}}); }
  void Headline(Runs runs) {
    Block b;
    b.kind = Block::kHeadline;
    b.runs = std::move(runs);
    blocks_.push_back(std::move(b));
  }
  void Details(std::vector<std::pair<std::string, Runs>> details) {
    Block b;
    b.kind = Block::kDetails;
    b.details = std::move(details);
    blocks_.push_back(std::move(b));
  }
  // Empty tables say so rather than vanish, so readers know the section was checked.
  void TableOrNone(Table t) {
    if (t.row_count() == 0) {
      Para("None.");
      return;
    }
    Block b;
    b.kind = Block::kTable;
    b.table = std::move(t);
    blocks_.push_back(std::move(b));
  }
  // The office's Markdown (core/markdown.h): as written in Markdown (no raw
  // HTML), sanitised HTML in HTML.
  void Commentary(std::string markdown) {
    Block b;
    b.kind = Block::kCommentary;
    b.text = std::move(markdown);
    blocks_.push_back(std::move(b));
  }
  void Chart(std::string svg) {
    Block b;
    b.kind = Block::kChart;
    b.text = std::move(svg);
    blocks_.push_back(std::move(b));
  }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

bool IsWebUrl(std::string_view url) {
  return (url.starts_with("https://") || url.starts_with("http://")) &&
         url.find_first_of(" \t\r\n<>\"'`") == std::string_view::npos;
}

// ---------------------------------------------------------------------------
// Markdown.

// What Markdown would read as markup, and line breaks: the bytes that
// AppendMdEscaped does not copy as they are.
constexpr std::string_view kMdSpecial = "\\`*_[]<>|#~\r\n";
constexpr auto kMdSpecialTable = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : kMdSpecial) t[c] = true;
  return t;
}();

// The position of the first byte of s at or after `i` that is in kMdSpecial,
// or s.size(). Nearly every byte of a text is plain: sixteen at a time where
// the processor has SSE2 (every x86-64 does).
size_t NextMdSpecial(std::string_view s, size_t i) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
#if defined(__SSE2__)
  static_assert(kMdSpecial.size() == 13);
  while (i + 16 <= s.size()) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    __m128i m = _mm_setzero_si128();
    for (char c : kMdSpecial) m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
    if (const int bits = _mm_movemask_epi8(m)) return i + static_cast<size_t>(__builtin_ctz(bits));
    i += 16;
  }
#endif
  while (i < s.size() && !kMdSpecialTable[b[i]]) ++i;
  return i;
}

// Backslash-escapes what Markdown would read as markup (including '<', so that
// text can never become raw HTML), and '|' so that cells stay cells. Newlines
// become <br> inside table cells and spaces elsewhere. Appends to `out`.
void AppendMdEscaped(std::string_view s, bool in_cell, std::string* out) {
  size_t i = 0;
  while (i < s.size()) {
    // Plain runs (nearly all of a text) go in at once.
    const size_t j = NextMdSpecial(s, i);
    out->append(s.data() + i, j - i);
    if (j == s.size()) break;
    char c = s[j];
    if (c == '\r' || c == '\n') {
      if (!(c == '\r' && j + 1 < s.size() && s[j + 1] == '\n')) out->append(in_cell ? "<br>" : " ");
    } else {
      out->push_back('\\');
      out->push_back(c);
    }
    i = j + 1;
  }
}

std::string MdEscape(std::string_view s, bool in_cell) {
  std::string out;
  out.reserve(s.size());
  AppendMdEscaped(s, in_cell, &out);
  return out;
}

std::string MdRuns(const Runs& runs) {
  std::string out;
  for (const Run& r : runs) {
    switch (r.style) {
      case Run::kPlain:
        out += MdEscape(r.text, false);
        break;
      case Run::kStrong:
        out += "**" + MdEscape(r.text, false) + "**";
        break;
      case Run::kCode: {
        // Code spans cannot escape backticks; ledger hashes and ids have none.
        std::string t = r.text;
        std::replace(t.begin(), t.end(), '`', '\'');
        std::replace(t.begin(), t.end(), '\n', ' ');
        out += "`" + t + "`";
        break;
      }
      case Run::kLink:
        out += IsWebUrl(r.text) ? "<" + r.text + ">" : MdEscape(r.text, false);
        break;
    }
  }
  return out;
}

// About the size of the Markdown of `doc` (a little over, escapes aside), so
// that a big report is written into one buffer rather than copied from one
// doubling to the next (which for a million rows also held twice its size).
size_t MarkdownSizeHint(const Doc& doc) {
  size_t n = 0;
  for (const Block& b : doc.blocks()) {
    n += b.text.size() + 16;
    for (const Run& r : b.runs) n += r.text.size() + 8;
    for (const auto& [term, value] : b.details) {
      n += term.size() + 8;
      for (const Run& r : value) n += r.text.size() + 8;
    }
    n += b.table.caption.size() + 8;
    for (const auto& h : b.table.headers) n += h.size() + 10;
    for (const auto& row : b.table.rows) {
      n += 2;
      for (const auto& cell : row) n += cell.size() + 7;
    }
  }
  return n + n / 64;
}

// One table row in Markdown; `bold` for a total row.
void MdRow(std::span<const Cell> row, bool bold, std::string* out) {
  *out += "|";
  for (const auto& cell : row) {
    *out += ' ';
    if (bold && !cell.empty()) {
      *out += "**";
      AppendMdEscaped(cell.view(), true, out);
      *out += "**";
    } else {
      AppendMdEscaped(cell.view(), true, out);
    }
    *out += " |";
  }
  *out += "\n";
}

void RenderMarkdown(const Doc& doc, Out& o) {
  std::string& out = o.buf();
  if (!o.status()) return;
  if (!doc.blocks().empty() && out.capacity() < out.size() + (1u << 20))
    out.reserve(o.to_file() ? std::min<size_t>(MarkdownSizeHint(doc), 4u << 20)
                            : MarkdownSizeHint(doc));
  bool first = true;
  for (const Block& b : doc.blocks()) {
    o.Drain();
    if (!first) out += "\n";
    first = false;
    switch (b.kind) {
      case Block::kHeading:
        out += std::string(b.level, '#') + " " + MdEscape(b.text, false) + "\n";
        break;
      case Block::kParagraph:
        out += MdRuns(b.runs) + "\n";
        break;
      case Block::kHeadline:
        out += "**" + MdRuns(b.runs) + "**\n";
        break;
      case Block::kDetails:
        for (const auto& [term, value] : b.details)
          out += "- " + MdEscape(term, false) + ": " + MdRuns(value) + "\n";
        break;
      case Block::kTable: {
        const Table& t = b.table;
        if (t.caption_in_markdown) out += "*" + MdEscape(t.caption, false) + "*\n\n";
        out += "|";
        for (const auto& h : t.headers) out += " " + MdEscape(h, true) + " |";
        out += "\n|";
        for (size_t c = 0; c < t.headers.size(); ++c)
          out += c < t.numeric.size() && t.numeric[c] ? " ---: |" : " --- |";
        out += "\n";
        for (size_t r = 0; r < t.rows.size(); ++r) {
          MdRow(t.rows[r], t.total_row && r + 1 == t.rows.size(), &out);
          if ((r & 1023) == 1023) o.Drain();
        }
        if (t.spilled) t.spilled->WriteTo(o);
        break;
      }
      case Block::kChart:
        // Markdown carries the same numbers in tables; charts are HTML only.
        out.pop_back();
        break;
      case Block::kCommentary: {
        // The office's Markdown as written, but never raw HTML.
        for (char c : b.text) {
          if (c == '<' || c == '>') out += '\\';
          if (c != '\r') out += c;
        }
        if (out.back() != '\n') out += "\n";
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// HTML.

constexpr std::string_view kCss = R"css(
body{margin:0;font-family:"GDS Transport",arial,sans-serif;font-size:1.1875rem;line-height:1.4;color:#0b0c0c;background:#fff}
main{max-width:960px;margin:0 auto;padding:20px 15px 60px}
h1{font-size:2.25rem;line-height:1.1;margin:30px 0 15px}
h2{font-size:1.6rem;margin:45px 0 15px;padding-top:15px;border-top:2px solid #b1b4b6}
h3{font-size:1.3rem;margin:30px 0 10px}
p{margin:0 0 15px}
a{color:#1d70b8}
a:visited{color:#4c2c92}
a:focus{outline:3px solid transparent;color:#0b0c0c;background:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
.panel{background:#00703c;color:#fff;padding:25px;margin:20px 0}
.panel p{font-size:1.75rem;font-weight:700;margin:0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:5px 20px;margin:0 0 20px}
dt{font-weight:700}
dd{margin:0}
table{border-collapse:collapse;border-spacing:0;width:100%;margin:0 0 30px}
caption{text-align:left;font-weight:700;font-size:1.2rem;padding-bottom:10px}
th,td{text-align:left;vertical-align:top;padding:10px 20px 10px 0;border-bottom:1px solid #b1b4b6}
th{font-weight:700}
.num{text-align:right}
tfoot td,tfoot th{font-weight:700;border-top:2px solid #0b0c0c}
code{font-family:monospace;overflow-wrap:anywhere}
svg.chart{display:block;max-width:100%;height:auto;margin:0 0 20px}
)css";

std::string HtmlText(std::string_view s) {
  std::string escaped = HtmlEscape(s);
  std::string out;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] == '\r') {
      if (i + 1 < escaped.size() && escaped[i + 1] == '\n') continue;
      out += "<br>";
    } else if (escaped[i] == '\n') {
      out += "<br>";
    } else {
      out.push_back(escaped[i]);
    }
  }
  return out;
}

std::string HtmlRuns(const Runs& runs) {
  std::string out;
  for (const Run& r : runs) {
    switch (r.style) {
      case Run::kPlain:
        out += HtmlText(r.text);
        break;
      case Run::kStrong:
        out += "<strong>" + HtmlText(r.text) + "</strong>";
        break;
      case Run::kCode:
        out += "<code>" + HtmlText(r.text) + "</code>";
        break;
      case Run::kLink:
        // Only web addresses become links: "javascript:" and the like stay text.
        out += IsWebUrl(r.text)
                   ? "<a href=\"" + HtmlEscape(r.text) + "\">" + HtmlEscape(r.text) + "</a>"
                   : HtmlText(r.text);
        break;
    }
  }
  return out;
}

std::string HtmlCellAttrs(const Table& t, size_t c) {
  return c < t.numeric.size() && t.numeric[c] ? " class=\"num\"" : "";
}

std::string HtmlRow(const Table& t, std::span<const Cell> row) {
  std::string out = "<tr>";
  for (size_t c = 0; c < row.size(); ++c) {
    // The first column names the row.
    if (c == 0)
      out += "<th scope=\"row\"" + HtmlCellAttrs(t, c) + ">" + HtmlText(row[c].view()) + "</th>";
    else
      out += "<td" + HtmlCellAttrs(t, c) + ">" + HtmlText(row[c].view()) + "</td>";
  }
  return out + "</tr>\n";
}

void RenderHtml(const Doc& doc, std::string_view title, Out& o) {
  std::string& out = o.buf();
  out +=
      "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" +
      HtmlEscape(title) + "</title>\n<style>" + std::string(kCss) +
      "</style>\n</head>\n<body>\n<main>\n";
  for (const Block& b : doc.blocks()) {
    o.Drain();
    switch (b.kind) {
      case Block::kHeading: {
        std::string h = "h" + std::to_string(b.level);
        out += "<" + h + ">" + HtmlText(b.text) + "</" + h + ">\n";
        break;
      }
      case Block::kParagraph:
        out += "<p>" + HtmlRuns(b.runs) + "</p>\n";
        break;
      case Block::kHeadline:
        out += "<div class=\"panel\">\n<p>" + HtmlRuns(b.runs) + "</p>\n</div>\n";
        break;
      case Block::kDetails:
        out += "<dl>\n";
        for (const auto& [term, value] : b.details)
          out += "<dt>" + HtmlText(term) + "</dt><dd>" + HtmlRuns(value) + "</dd>\n";
        out += "</dl>\n";
        break;
      case Block::kTable: {
        const Table& t = b.table;
        out += "<table>\n<caption>" + HtmlText(t.caption) + "</caption>\n<thead>\n<tr>";
        for (size_t c = 0; c < t.headers.size(); ++c)
          out += "<th scope=\"col\"" + HtmlCellAttrs(t, c) + ">" + HtmlText(t.headers[c]) + "</th>";
        out += "</tr>\n</thead>\n<tbody>\n";
        size_t body_rows = t.total_row ? t.rows.size() - 1 : t.rows.size();
        for (size_t r = 0; r < body_rows; ++r) {
          out += HtmlRow(t, t.rows[r]);
          if ((r & 1023) == 1023) o.Drain();
        }
        if (t.spilled) t.spilled->WriteTo(o);
        out += "</tbody>\n";
        if (t.total_row) out += "<tfoot>\n" + HtmlRow(t, t.rows.back()) + "</tfoot>\n";
        out += "</table>\n";
        break;
      }
      case Block::kChart:
        out += b.text;
        break;
      case Block::kCommentary:
        out += "<div class=\"commentary\">\n" + CommentaryHtml(b.text) + "</div>\n";
        break;
    }
  }
  out += "</main>\n</body>\n</html>\n";
}

// ---------------------------------------------------------------------------
// The update's content.

std::string Title(const ReportData& d) {
  return d.publication_title.empty() ? "Progress update: " + d.title : d.publication_title;
}

// What to call the source in a sentence: "The review made 127 recommendations".
std::string SourceNoun(std::string_view kind) {
  std::string k = ToLowerAscii(kind);
  if (k == "review" || k == "inquiry" || k == "audit" || k == "inquest" || k == "report") return k;
  if (k == "pfd") return "report";
  if (k == "upr") return "review";
  return "source";
}

template <typename Item>
std::string_view ResponseLabel(const Item& item) {
  return item.response != ResponseKind::kNone ? Label(item.response) : Label(item.response_status);
}

std::string ChangeValue(std::string_view field, const std::string& name) {
  if (name.empty()) return "\xE2\x80\x94";  // em dash: no earlier value
  if (field == "implementation") {
    if (auto v = ParseImplementation(name)) return std::string(Label(*v));
  } else if (field == "response status") {
    if (auto v = ParseResponseStatus(name)) return std::string(Label(*v));
  }
  return name;
}

std::string Money(int64_t amount, const std::string& currency) {
  return FormatMoney(amount, currency.empty() ? "GBP" : currency);
}

// The three long lists' tables and rows, one definition for a report built
// whole and for one streamed. A row's cells are views of the item's texts
// and of static labels; a streamed row is rendered from them without a copy.
template <size_t N>
std::vector<Cell> AsRow(const std::array<Cell, N>& cells) {
  return {cells.begin(), cells.end()};
}
Table GroupTable(const std::string& owner) {
  Table t;
  t.caption = "Outstanding recommendations: " + owner;
  t.headers = {"Ref", "Recommendation", "Implementation", "Response", "Note"};
  return t;
}
template <typename Item>  // ReportData::Item or ReportItemView
std::array<Cell, 5> GroupCells(const Item& item) {
  return {Cell::Ref(item.ref), Cell::Ref(item.text), Cell::Ref(Label(item.implementation)),
          Cell::Ref(ResponseLabel(item)), Cell::Ref(item.note)};
}
Table DoneTable() {
  Table t;
  t.caption = "Implemented recommendations";
  t.headers = {"Ref", "Recommendation", "Owner"};
  return t;
}
template <typename Item>  // ReportData::Item or ReportItemView
std::array<Cell, 3> DoneCells(const Item& item) {
  return {Cell::Ref(item.ref), Cell::Ref(item.text), Cell::Ref(item.owner)};
}
Table NotReportedTable() {
  Table t;
  t.caption = "Implementation not reported";
  t.headers = {"Ref", "Recommendation", "Owner", "Note"};
  return t;
}
template <typename Item>  // ReportData::Item or ReportItemView
std::array<Cell, 4> NotReportedCells(const Item& item) {
  return {Cell::Ref(item.ref), Cell::Ref(item.text), Cell::Ref(item.owner), Cell::Ref(item.note)};
}

// The rows of a streamed report's long lists, rendered as they came.
struct Streamed {
  Spill* done = nullptr;
  Spill* not_reported = nullptr;
  std::vector<Spill*> central, other;  // in the groups' order
};

void OwnerGroups(const std::vector<ReportData::OwnerGroup>& groups, bool tier_in_heading,
                 const std::vector<Spill*>* spilled, Doc* doc) {
  if (groups.empty()) {
    doc->Para("None.");
    return;
  }
  for (size_t k = 0; k < groups.size(); ++k) {
    const auto& g = groups[k];
    std::string heading = g.owner;
    if (tier_in_heading && !g.tier.empty()) heading += " (" + std::string(TierLabel(g.tier)) + ")";
    doc->Heading(3, heading);
    Table t = GroupTable(g.owner);
    for (const auto& item : g.items) t.rows.push_back(AsRow(GroupCells(item)));
    if (spilled) t.spilled = (*spilled)[k];
    doc->TableOrNone(std::move(t));
  }
}

Doc BuildDoc(const ReportData& d, bool with_charts, const Streamed* streamed = nullptr) {
  Doc doc;
  doc.Heading(1, Title(d));
  doc.Para(Runs{{Run::kPlain, "As of " + d.as_of.ToLong()}});
  if (d.published_on)
    doc.Para("First published on " + d.published_on->ToLong() + "; recorded here later.");
  if (d.corrects)
    doc.Para(Runs{{Run::kStrong, "This update corrects publication " + std::to_string(d.corrects) + "."},
                  {Run::kPlain, d.correction_reason.empty() ? std::string()
                                                            : " " + d.correction_reason}});
  else if (!d.correction_reason.empty())
    doc.Para(Runs{{Run::kStrong, "A second update as of this date."},
                  {Run::kPlain, " " + d.correction_reason}});
  if (!d.commentary.empty()) {
    doc.Heading(2, "Commentary");
    doc.Commentary(d.commentary);
  }

  // The source.
  std::vector<std::pair<std::string, Runs>> details;
  auto detail = [&](std::string term, std::string value, Run::Style style = Run::kPlain) {
    if (!value.empty()) details.push_back({std::move(term), Runs{{style, std::move(value)}}});
  };
  detail("Title", d.title);
  detail("Kind", d.kind);
  detail("Author", d.author);
  detail("Commissioned by", d.commissioned_by);
  if (d.date) detail("Published", d.date->ToLong());
  if (d.response_days)
    detail("Response due", std::to_string(*d.response_days) + " days after publication");
  detail("Link", d.url, Run::kLink);
  detail("Notes", d.notes);
  doc.Heading(2, "About the " + SourceNoun(d.kind));
  doc.Details(std::move(details));

  // Headline.
  doc.Heading(2, "Summary");
  std::string headline = std::to_string(d.implemented) + " of " + std::to_string(d.total) +
                         " recommendations implemented";
  if (d.total > 0)
    headline += " (" + std::to_string(static_cast<int64_t>(d.implemented) * 100 / d.total) + "%)";
  doc.Headline(Runs{{Run::kPlain, headline}});
  if (d.stated_total && *d.stated_total != d.total) {
    doc.Para("The " + SourceNoun(d.kind) + " made " + std::to_string(*d.stated_total) +
             " recommendations; " + std::to_string(d.total) + " of them are itemised here.");
  }

  // Status breakdown.
  doc.Heading(2, "Status of the recommendations");
  if (with_charts) doc.Chart(StatusBreakdownSvg(d));
  Table by_impl;
  by_impl.caption = "Recommendations by implementation status";
  by_impl.caption_in_markdown = true;
  by_impl.headers = {"Implementation", "Recommendations"};
  by_impl.numeric = {false, true};
  for (Implementation i : kAllImplementations)
    by_impl.rows.push_back(
        {std::string(Label(i)), std::to_string(d.by_implementation[static_cast<int>(i)])});
  doc.TableOrNone(std::move(by_impl));
  Table by_resp;
  by_resp.caption = "Recommendations by response status";
  by_resp.caption_in_markdown = true;
  by_resp.headers = {"Response", "Recommendations"};
  by_resp.numeric = {false, true};
  for (ResponseStatus s : kAllResponseStatuses)
    by_resp.rows.push_back(
        {std::string(Label(s)), std::to_string(d.by_response_status[static_cast<int>(s)])});
  doc.TableOrNone(std::move(by_resp));

  // Progress over time.
  doc.Heading(2, "Implemented over time");
  if (with_charts && !d.timeline.empty()) doc.Chart(ImplementedOverTimeSvg(d));
  Table timeline;
  timeline.caption = "Recommendations implemented, by date";
  timeline.headers = {"Date", "Implemented"};
  timeline.numeric = {false, true};
  for (const auto& p : d.timeline)
    timeline.rows.push_back({p.date.ToLong(), std::to_string(p.implemented)});
  doc.TableOrNone(std::move(timeline));

  // Changes since the previous publication.
  if (d.previous) {
    doc.Heading(
        2, "What changed since " + d.previous->title + " (" + d.previous->as_of.ToLong() + ")");
    Table t;
    t.caption = "Changes since " + d.previous->title;
    t.headers = {"Ref", "Owner", "Change", "From", "To"};
    for (const auto& c : d.changes)
      t.rows.push_back(
          {c.ref, c.owner, c.field, ChangeValue(c.field, c.from), ChangeValue(c.field, c.to)});
    doc.TableOrNone(std::move(t));
  } else {
    doc.Heading(2, "What changed since the last update");
    doc.Para("No previous publication.");
  }

  // Done.
  doc.Heading(2, "Done");
  Table done = DoneTable();
  for (const auto& item : d.done) done.rows.push_back(AsRow(DoneCells(item)));
  if (streamed) done.spilled = streamed->done;
  doc.TableOrNone(std::move(done));

  doc.Heading(2, "Outstanding with central government");
  OwnerGroups(d.central_government, /*tier_in_heading=*/false,
              streamed ? &streamed->central : nullptr, &doc);
  doc.Heading(2, "Outstanding with other owners");
  OwnerGroups(d.outstanding_other, /*tier_in_heading=*/true,
              streamed ? &streamed->other : nullptr, &doc);

  doc.Heading(2, "Not reported");
  doc.Para("Recommendations on whose implementation the record says nothing. They are "
           "neither counted as done nor assumed outstanding.");
  Table unreported = NotReportedTable();
  for (const auto& item : d.not_reported) unreported.rows.push_back(AsRow(NotReportedCells(item)));
  if (streamed) unreported.spilled = streamed->not_reported;
  doc.TableOrNone(std::move(unreported));

  // Tiers.
  doc.Heading(2, "By tier");
  Table tiers;
  tiers.caption = "Assignments by tier of owner";
  tiers.headers = {"Tier", "Assignments", "Implemented", "Outstanding", "Not reported",
                   "Overdue"};
  tiers.numeric = {false, true, true, true, true, true};
  for (const auto& t : d.tiers)
    tiers.rows.push_back({std::string(TierLabel(t.tier)), std::to_string(t.assignments),
                          std::to_string(t.implemented), std::to_string(t.outstanding),
                          std::to_string(t.not_reported), std::to_string(t.overdue)});
  doc.TableOrNone(std::move(tiers));

  // Overdue responses.
  doc.Heading(2, "Overdue responses");
  Table overdue;
  overdue.caption = "Responses overdue as of " + d.as_of.ToLong();
  overdue.headers = {"Ref", "Owner", "Due", "Days overdue"};
  overdue.numeric = {false, false, false, true};
  for (const auto& o : d.overdue)
    overdue.rows.push_back({o.ref, o.owner, o.due.ToLong(), WithThousands(o.days_overdue)});
  doc.TableOrNone(std::move(overdue));

  // Implementation past its target date: only when there is some (a report
  // frozen before targets were tracked renders as it did).
  if (!d.past_target.empty()) {
    doc.Heading(2, "Past the implementation target");
    Table past;
    past.caption = "Work still to do after its target date, as of " + d.as_of.ToLong();
    past.headers = {"Ref", "Owner", "Target", "Days past target"};
    past.numeric = {false, false, false, true};
    for (const auto& o : d.past_target)
      past.rows.push_back({o.ref, o.owner, o.target.ToLong(), WithThousands(o.days_past)});
    doc.TableOrNone(std::move(past));
  }

  // Funding.
  doc.Heading(2, "Funding gaps");
  Table funding;
  funding.caption = "Funding asked for and given";
  funding.headers = {"Owner", "Item", "Period", "Cost", "Funded", "Gap"};
  funding.numeric = {false, false, false, true, true, true};
  std::string currency = d.funding.empty() ? "GBP" : d.funding.front().currency;
  bool one_currency = true;
  for (const auto& f : d.funding) {
    funding.rows.push_back({f.owner, f.item, f.period, Money(f.cost, f.currency),
                            Money(f.funded, f.currency), Money(f.gap, f.currency)});
    one_currency = one_currency && f.currency == currency;
  }
  if (!funding.rows.empty()) {
    // Sums across currencies mean nothing in money; show bare numbers then.
    auto total = [&](int64_t v) { return one_currency ? Money(v, currency) : WithThousands(v); };
    funding.rows.push_back(
        {"Total", "", "", total(d.funding_cost), total(d.funding_funded), total(d.funding_gap)});
    funding.total_row = true;
  }
  doc.TableOrNone(std::move(funding));

  // Verification.
  doc.Heading(2, "Verification");
  if (d.publication_id != 0) {
    doc.Para(Runs{{Run::kPlain, "Publication "},
                  {Run::kCode, std::to_string(d.publication_id)},
                  {Run::kPlain, ", frozen at ledger entry "},
                  {Run::kCode, std::to_string(d.ledger_seq)},
                  {Run::kPlain, " with hash "},
                  {Run::kCode, d.ledger_hash.empty() ? "(none)" : d.ledger_hash},
                  {Run::kPlain,
                   ". The ledger is hash-chained: any later edit to the history "
                   "before this entry would change this hash. "},
                  {Run::kCode, "rectrack verify"},
                  {Run::kPlain, " recomputes the chain."}});
  } else {
    doc.Para("Draft: not published, so not pinned to the ledger.");
  }
  return doc;
}

// ---------------------------------------------------------------------------
// The snapshot.

Json ItemJson(const ReportData::Item& i) {
  Json j;
  j["ref"] = i.ref;
  j["text"] = i.text;
  j["owner"] = i.owner;
  j["tier"] = i.tier;
  j["response"] = Name(i.response);
  j["response_status"] = Name(i.response_status);
  j["implementation"] = Name(i.implementation);
  j["due"] = i.due ? Json(i.due->ToIso()) : Json(nullptr);
  j["note"] = i.note;
  return j;
}

Json GroupsJson(const std::vector<ReportData::OwnerGroup>& groups) {
  Json out = Json::array();
  for (const auto& g : groups) {
    Json j;
    j["owner"] = g.owner;
    j["tier"] = g.tier;
    j["items"] = Json::array();
    for (const auto& i : g.items) j["items"].push_back(ItemJson(i));
    out.push_back(std::move(j));
  }
  return out;
}

template <typename T>
Json OptJson(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json SnapshotJson(const ReportData& d) {
  Json j;
  j["format"] = kSnapshotFormat;
  Json& s = j["source"];
  s["slug"] = d.slug;
  s["title"] = d.title;
  s["kind"] = d.kind;
  s["author"] = d.author;
  s["commissioned_by"] = d.commissioned_by;
  s["url"] = d.url;
  s["notes"] = d.notes;
  s["date"] = d.date ? Json(d.date->ToIso()) : Json(nullptr);
  s["stated_total"] = OptJson(d.stated_total);
  s["response_days"] = OptJson(d.response_days);
  j["as_of"] = d.as_of.ToIso();
  Json& p = j["publication"];
  p["id"] = d.publication_id;
  p["title"] = d.publication_title;
  if (!d.commentary.empty()) p["commentary"] = d.commentary;
  if (d.corrects) p["corrects"] = d.corrects;
  if (!d.correction_reason.empty()) p["correction_reason"] = d.correction_reason;
  if (d.published_on) p["published_on"] = d.published_on->ToIso();
  p["ledger_seq"] = d.ledger_seq;
  p["ledger_hash"] = d.ledger_hash;
  j["total"] = d.total;
  j["implemented"] = d.implemented;
  Json& bi = j["by_implementation"] = Json::object();
  for (Implementation i : kAllImplementations)
    bi[std::string(Name(i))] = d.by_implementation[static_cast<int>(i)];
  Json& br = j["by_response_status"] = Json::object();
  for (ResponseStatus r : kAllResponseStatuses)
    br[std::string(Name(r))] = d.by_response_status[static_cast<int>(r)];
  j["done"] = Json::array();
  for (const auto& i : d.done) j["done"].push_back(ItemJson(i));
  j["central_government"] = GroupsJson(d.central_government);
  j["outstanding_other"] = GroupsJson(d.outstanding_other);
  j["not_reported"] = Json::array();
  for (const auto& i : d.not_reported) j["not_reported"].push_back(ItemJson(i));
  j["tiers"] = Json::array();
  for (const auto& t : d.tiers) {
    j["tiers"].push_back(Json{{"tier", t.tier},
                              {"assignments", t.assignments},
                              {"implemented", t.implemented},
                              {"outstanding", t.outstanding},
                              {"not_reported", t.not_reported},
                              {"overdue", t.overdue}});
  }
  j["overdue"] = Json::array();
  for (const auto& o : d.overdue) {
    j["overdue"].push_back(Json{{"ref", o.ref},
                                {"owner", o.owner},
                                {"due", o.due.ToIso()},
                                {"days_overdue", o.days_overdue}});
  }
  if (!d.past_target.empty()) {
    j["past_target"] = Json::array();
    for (const auto& o : d.past_target)
      j["past_target"].push_back(Json{{"ref", o.ref},
                                      {"owner", o.owner},
                                      {"target", o.target.ToIso()},
                                      {"days_past_target", o.days_past}});
  }
  j["previous"] = d.previous ? Json{{"id", d.previous->id},
                                    {"title", d.previous->title},
                                    {"as_of", d.previous->as_of.ToIso()}}
                             : Json(nullptr);
  j["changes"] = Json::array();
  for (const auto& c : d.changes) {
    j["changes"].push_back(Json{
        {"ref", c.ref}, {"owner", c.owner}, {"field", c.field}, {"from", c.from}, {"to", c.to}});
  }
  j["funding"] = Json::array();
  for (const auto& f : d.funding) {
    j["funding"].push_back(Json{{"owner", f.owner},
                                {"item", f.item},
                                {"period", f.period},
                                {"cost", f.cost},
                                {"funded", f.funded},
                                {"gap", f.gap},
                                {"currency", f.currency}});
  }
  j["funding_total"] =
      Json{{"cost", d.funding_cost}, {"funded", d.funding_funded}, {"gap", d.funding_gap}};
  j["timeline"] = Json::array();
  for (const auto& t : d.timeline)
    j["timeline"].push_back(Json{{"date", t.date.ToIso()}, {"implemented", t.implemented}});
  j["states"] = Json::array();
  for (const auto& s : d.states) {
    j["states"].push_back(Json{{"ref", s.ref},
                               {"owner", s.owner},
                               {"response_status", Name(s.response_status)},
                               {"implementation", Name(s.implementation)}});
  }
  return j;
}

// Reads one snapshot object. Missing keys keep their defaults (snapshots from
// older versions stay readable); unknown keys and wrong types are errors, so a
// corrupt or foreign snapshot is never rendered as if it were complete.
class Reader {
 public:
  Reader(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

  Error Bad(std::string_view key, std::string_view message) const {
    return Error::Invalid("report snapshot: " + PathOf(key) + ": " + std::string(message));
  }
  std::string PathOf(std::string_view key) const {
    if (key.empty()) return path_.empty() ? "(top level)" : path_;
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  Status Known(std::initializer_list<std::string_view> keys) const {
    if (!j_.is_object()) return Fail(Bad("", "expected an object"));
    for (const auto& [key, value] : j_.items())
      if (std::find(keys.begin(), keys.end(), key) == keys.end())
        return Fail(Bad("", "unknown key '" + key + "'"));
    return {};
  }
  const Json* Find(std::string_view key) const {
    auto it = j_.find(std::string(key));
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  Status Str(std::string_view key, std::string* out) const {
    const Json* v = Find(key);
    if (!v) return {};
    if (!v->is_string()) return Fail(Bad(key, "expected a string"));
    *out = v->get<std::string>();
    return {};
  }
  template <typename T>
  Status Int(std::string_view key, T* out) const {
    const Json* v = Find(key);
    if (!v) return {};
    if (!v->is_number_integer()) return Fail(Bad(key, "expected an integer"));
    int64_t n =
        v->is_number_unsigned() &&
                v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
            ? std::numeric_limits<int64_t>::max()
            : v->get<int64_t>();
    if (n < std::numeric_limits<T>::min() || n > std::numeric_limits<T>::max())
      return Fail(Bad(key, "number out of range"));
    *out = static_cast<T>(n);
    return {};
  }
  Status OptInt(std::string_view key, std::optional<int>* out) const {
    if (!Find(key)) {
      out->reset();
      return {};
    }
    int v = 0;
    RT_TRY(Int(key, &v));
    *out = v;
    return {};
  }
  Status DateOf(std::string_view key, Date* out) const {
    std::string s;
    if (!Find(key)) return {};
    RT_TRY(Str(key, &s));
    auto d = Date::ParseIso(s);
    if (!d) return Fail(Bad(key, "'" + s + "' is not a date of the form YYYY-MM-DD"));
    *out = *d;
    return {};
  }
  Status OptDate(std::string_view key, std::optional<Date>* out) const {
    if (!Find(key)) {
      out->reset();
      return {};
    }
    Date d;
    RT_TRY(DateOf(key, &d));
    *out = d;
    return {};
  }
  template <typename T, typename Parse>
  Status Enum(std::string_view key, Parse parse, T* out) const {
    std::string s;
    if (!Find(key)) return {};
    RT_TRY(Str(key, &s));
    auto v = parse(s);
    if (!v) return Fail(Bad(key, "unknown value '" + s + "'"));
    *out = *v;
    return {};
  }
  // Calls `f(Reader)` for each element of the array `key`.
  template <typename F>
  Status Each(std::string_view key, F&& f) const {
    const Json* v = Find(key);
    if (!v) return {};
    if (!v->is_array()) return Fail(Bad(key, "expected an array"));
    for (size_t i = 0; i < v->size(); ++i)
      RT_TRY(f(Reader((*v)[i], PathOf(key) + "[" + std::to_string(i) + "]")));
    return {};
  }
  Result<Reader> Child(std::string_view key) const {
    const Json* v = Find(key);
    if (!v) return Reader(Json::object(), PathOf(key));
    if (!v->is_object()) return Fail(Bad(key, "expected an object"));
    return Reader(*v, PathOf(key));
  }
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

 private:
  Json j_;  // a copy: snapshots are small, and it keeps Child() simple
  std::string path_;
};

Status ReadItem(const Reader& r, ReportData::Item* item) {
  RT_TRY(r.Known({"ref", "text", "owner", "tier", "response", "response_status", "implementation",
                  "due", "note"}));
  RT_TRY(r.Str("ref", &item->ref));
  RT_TRY(r.Str("text", &item->text));
  RT_TRY(r.Str("owner", &item->owner));
  RT_TRY(r.Str("tier", &item->tier));
  RT_TRY(r.Enum("response", ParseResponseKind, &item->response));
  RT_TRY(r.Enum("response_status", ParseResponseStatus, &item->response_status));
  RT_TRY(r.Enum("implementation", ParseImplementation, &item->implementation));
  RT_TRY(r.OptDate("due", &item->due));
  RT_TRY(r.Str("note", &item->note));
  return {};
}

Status ReadGroups(const Reader& r, std::string_view key,
                  std::vector<ReportData::OwnerGroup>* groups) {
  return r.Each(key, [&](const Reader& g) -> Status {
    RT_TRY(g.Known({"owner", "tier", "items"}));
    ReportData::OwnerGroup group;
    RT_TRY(g.Str("owner", &group.owner));
    RT_TRY(g.Str("tier", &group.tier));
    RT_TRY(g.Each("items", [&](const Reader& i) -> Status {
      ReportData::Item item;
      RT_TRY(ReadItem(i, &item));
      group.items.push_back(std::move(item));
      return {};
    }));
    groups->push_back(std::move(group));
    return {};
  });
}

Status ReadSnapshot(const Reader& r, ReportData* d) {
  RT_TRY(r.Known({"format", "source", "as_of", "publication", "total", "implemented",
                  "by_implementation", "by_response_status", "done", "central_government",
                  "outstanding_other", "not_reported", "tiers", "overdue", "past_target", "previous",
                  "changes", "funding",
                  "funding_total", "timeline", "states"}));
  std::string format;
  RT_TRY(r.Str("format", &format));
  if (format != kSnapshotFormat)
    return Fail(r.Bad(
        "format", "expected \"" + std::string(kSnapshotFormat) + "\", found \"" + format + "\""));

  auto source = r.Child("source");
  if (!source) return Fail(source.error());
  RT_TRY(source->Known({"slug", "title", "kind", "author", "commissioned_by", "url", "notes",
                        "date", "stated_total", "response_days"}));
  RT_TRY(source->Str("slug", &d->slug));
  RT_TRY(source->Str("title", &d->title));
  RT_TRY(source->Str("kind", &d->kind));
  RT_TRY(source->Str("author", &d->author));
  RT_TRY(source->Str("commissioned_by", &d->commissioned_by));
  RT_TRY(source->Str("url", &d->url));
  RT_TRY(source->Str("notes", &d->notes));
  RT_TRY(source->OptDate("date", &d->date));
  RT_TRY(source->OptInt("stated_total", &d->stated_total));
  RT_TRY(source->OptInt("response_days", &d->response_days));

  if (!r.Has("as_of")) return Fail(r.Bad("as_of", "required"));
  RT_TRY(r.DateOf("as_of", &d->as_of));

  auto pub = r.Child("publication");
  if (!pub) return Fail(pub.error());
  RT_TRY(pub->Known({"id", "title", "ledger_seq", "ledger_hash", "commentary", "corrects",
                     "correction_reason", "published_on"}));
  RT_TRY(pub->Int("id", &d->publication_id));
  RT_TRY(pub->Str("title", &d->publication_title));
  // Optional: absent from snapshots made before they existed.
  if (pub->Has("commentary")) RT_TRY(pub->Str("commentary", &d->commentary));
  if (pub->Has("corrects")) RT_TRY(pub->Int("corrects", &d->corrects));
  if (pub->Has("correction_reason")) RT_TRY(pub->Str("correction_reason", &d->correction_reason));
  if (pub->Has("published_on")) RT_TRY(pub->OptDate("published_on", &d->published_on));
  RT_TRY(pub->Int("ledger_seq", &d->ledger_seq));
  RT_TRY(pub->Str("ledger_hash", &d->ledger_hash));

  RT_TRY(r.Int("total", &d->total));
  RT_TRY(r.Int("implemented", &d->implemented));
  auto bi = r.Child("by_implementation");
  if (!bi) return Fail(bi.error());
  RT_TRY(bi->Known({Name(kAllImplementations[0]), Name(kAllImplementations[1]),
                    Name(kAllImplementations[2]), Name(kAllImplementations[3]),
                    Name(kAllImplementations[4]), Name(kAllImplementations[5]),
                    Name(kAllImplementations[6])}));
  for (Implementation i : kAllImplementations)
    RT_TRY(bi->Int(Name(i), &d->by_implementation[static_cast<int>(i)]));
  auto br = r.Child("by_response_status");
  if (!br) return Fail(br.error());
  RT_TRY(br->Known({Name(kAllResponseStatuses[0]), Name(kAllResponseStatuses[1]),
                    Name(kAllResponseStatuses[2]), Name(kAllResponseStatuses[3])}));
  for (ResponseStatus s : kAllResponseStatuses)
    RT_TRY(br->Int(Name(s), &d->by_response_status[static_cast<int>(s)]));

  RT_TRY(r.Each("done", [&](const Reader& i) -> Status {
    ReportData::Item item;
    RT_TRY(ReadItem(i, &item));
    d->done.push_back(std::move(item));
    return {};
  }));
  RT_TRY(ReadGroups(r, "central_government", &d->central_government));
  RT_TRY(ReadGroups(r, "outstanding_other", &d->outstanding_other));
  RT_TRY(r.Each("not_reported", [&](const Reader& i) -> Status {
    ReportData::Item item;
    RT_TRY(ReadItem(i, &item));
    d->not_reported.push_back(std::move(item));
    return {};
  }));
  RT_TRY(r.Each("tiers", [&](const Reader& t) -> Status {
    RT_TRY(t.Known({"tier", "assignments", "implemented", "outstanding", "not_reported",
                    "overdue"}));
    ReportData::TierRow row;
    RT_TRY(t.Str("tier", &row.tier));
    RT_TRY(t.Int("assignments", &row.assignments));
    RT_TRY(t.Int("implemented", &row.implemented));
    RT_TRY(t.Int("outstanding", &row.outstanding));
    RT_TRY(t.Int("not_reported", &row.not_reported));
    RT_TRY(t.Int("overdue", &row.overdue));
    d->tiers.push_back(std::move(row));
    return {};
  }));
  RT_TRY(r.Each("overdue", [&](const Reader& o) -> Status {
    RT_TRY(o.Known({"ref", "owner", "due", "days_overdue"}));
    ReportData::OverdueRow row;
    RT_TRY(o.Str("ref", &row.ref));
    RT_TRY(o.Str("owner", &row.owner));
    RT_TRY(o.DateOf("due", &row.due));
    RT_TRY(o.Int("days_overdue", &row.days_overdue));
    d->overdue.push_back(std::move(row));
    return {};
  }));
  if (r.Has("past_target")) {
    RT_TRY(r.Each("past_target", [&](const Reader& o) -> Status {
      RT_TRY(o.Known({"ref", "owner", "target", "days_past_target"}));
      ReportData::PastTargetRow row;
      RT_TRY(o.Str("ref", &row.ref));
      RT_TRY(o.Str("owner", &row.owner));
      RT_TRY(o.DateOf("target", &row.target));
      RT_TRY(o.Int("days_past_target", &row.days_past));
      d->past_target.push_back(std::move(row));
      return {};
    }));
  }
  if (r.Has("previous")) {
    auto prev = r.Child("previous");
    if (!prev) return Fail(prev.error());
    RT_TRY(prev->Known({"id", "title", "as_of"}));
    ReportData::PreviousPublication p;
    RT_TRY(prev->Int("id", &p.id));
    RT_TRY(prev->Str("title", &p.title));
    RT_TRY(prev->DateOf("as_of", &p.as_of));
    d->previous = std::move(p);
  }
  RT_TRY(r.Each("changes", [&](const Reader& c) -> Status {
    RT_TRY(c.Known({"ref", "owner", "field", "from", "to"}));
    ReportData::Change change;
    RT_TRY(c.Str("ref", &change.ref));
    RT_TRY(c.Str("owner", &change.owner));
    RT_TRY(c.Str("field", &change.field));
    RT_TRY(c.Str("from", &change.from));
    RT_TRY(c.Str("to", &change.to));
    d->changes.push_back(std::move(change));
    return {};
  }));
  RT_TRY(r.Each("funding", [&](const Reader& f) -> Status {
    RT_TRY(f.Known({"owner", "item", "period", "cost", "funded", "gap", "currency"}));
    ReportData::FundingRow row;
    RT_TRY(f.Str("owner", &row.owner));
    RT_TRY(f.Str("item", &row.item));
    RT_TRY(f.Str("period", &row.period));
    RT_TRY(f.Int("cost", &row.cost));
    RT_TRY(f.Int("funded", &row.funded));
    RT_TRY(f.Int("gap", &row.gap));
    RT_TRY(f.Str("currency", &row.currency));
    d->funding.push_back(std::move(row));
    return {};
  }));
  auto ft = r.Child("funding_total");
  if (!ft) return Fail(ft.error());
  RT_TRY(ft->Known({"cost", "funded", "gap"}));
  RT_TRY(ft->Int("cost", &d->funding_cost));
  RT_TRY(ft->Int("funded", &d->funding_funded));
  RT_TRY(ft->Int("gap", &d->funding_gap));
  RT_TRY(r.Each("timeline", [&](const Reader& t) -> Status {
    RT_TRY(t.Known({"date", "implemented"}));
    ReportData::TimelinePoint p;
    RT_TRY(t.DateOf("date", &p.date));
    RT_TRY(t.Int("implemented", &p.implemented));
    d->timeline.push_back(p);
    return {};
  }));
  RT_TRY(r.Each("states", [&](const Reader& s) -> Status {
    RT_TRY(s.Known({"ref", "owner", "response_status", "implementation"}));
    ReportData::StateRow row;
    RT_TRY(s.Str("ref", &row.ref));
    RT_TRY(s.Str("owner", &row.owner));
    RT_TRY(s.Enum("response_status", ParseResponseStatus, &row.response_status));
    RT_TRY(s.Enum("implementation", ParseImplementation, &row.implementation));
    d->states.push_back(std::move(row));
    return {};
  }));
  return {};
}

}  // namespace

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "md" || name == "markdown") return ReportFormat::kMarkdown;
  if (name == "html") return ReportFormat::kHtml;
  if (name == "json") return ReportFormat::kJson;
  return Fail(Error::Invalid("unknown report format '" + std::string(name) +
                             "' (expected md, html or json)"));
}

std::string RenderReport(const ReportData& data, ReportFormat format) {
  Out out;
  switch (format) {
    case ReportFormat::kMarkdown:
      RenderMarkdown(BuildDoc(data, /*with_charts=*/false), out);
      break;
    case ReportFormat::kHtml:
      RenderHtml(BuildDoc(data, /*with_charts=*/true), Title(data), out);
      break;
    case ReportFormat::kJson:
      return ReportToJson(data);
  }
  return std::move(out.buf());
}

// ---------------------------------------------------------------------------
// The streamed report.

struct StreamedReport::Impl {
  ReportFormat format;
  std::FILE* tmp = nullptr;
  std::unique_ptr<Spill> done, not_reported;
  std::vector<std::unique_ptr<Spill>> groups;
  Table done_table = DoneTable(), not_reported_table = NotReportedTable();
  Table group_table = GroupTable("");
  Status status;
  ~Impl() {
    if (tmp) std::fclose(tmp);
  }
  void Row(Spill& spill, const Table& t, std::span<const Cell> cells) {
    if (format == ReportFormat::kMarkdown) MdRow(cells, false, &spill.buf());
    else spill.buf() += HtmlRow(t, cells);
    ++spill.rows;
    if (auto s = spill.Settle(); !s && status) status = s;
  }
};

Result<std::unique_ptr<StreamedReport>> StreamedReport::Create(ReportFormat format) {
  if (format == ReportFormat::kJson)
    return Fail(Error::Invalid("the json report is the snapshot's data: it is not streamed"));
  auto impl = std::make_unique<Impl>();
  impl->format = format;
  impl->tmp = std::tmpfile();
  if (!impl->tmp) return Fail(Error::Io("cannot make a temporary file for the report's rows"));
  impl->done = std::make_unique<Spill>(impl->tmp);
  impl->not_reported = std::make_unique<Spill>(impl->tmp);
  return std::unique_ptr<StreamedReport>(new StreamedReport(std::move(impl)));
}

StreamedReport::StreamedReport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamedReport::~StreamedReport() = default;

void StreamedReport::Done(const ReportItemView& item) {
  impl_->Row(*impl_->done, impl_->done_table, DoneCells(item));
}
void StreamedReport::NotReported(const ReportItemView& item) {
  impl_->Row(*impl_->not_reported, impl_->not_reported_table, NotReportedCells(item));
}
void StreamedReport::Outstanding(size_t group, const ReportItemView& item) {
  while (impl_->groups.size() <= group)
    impl_->groups.push_back(std::make_unique<Spill>(impl_->tmp));
  impl_->Row(*impl_->groups[group], impl_->group_table, GroupCells(item));
}

Status StreamedReport::WriteTo(const ReportData& data, const std::vector<size_t>& central_order,
                               const std::vector<size_t>& other_order, std::FILE* file) {
  RT_TRY(impl_->status);
  Streamed streamed;
  streamed.done = impl_->done.get();
  streamed.not_reported = impl_->not_reported.get();
  auto spills = [&](const std::vector<size_t>& order, std::vector<Spill*>* out) -> Status {
    for (size_t index : order) {
      if (index >= impl_->groups.size())
        return Fail(Error::Internal("a group of the report has no rows"));
      out->push_back(impl_->groups[index].get());
    }
    return {};
  };
  RT_TRY(spills(central_order, &streamed.central));
  RT_TRY(spills(other_order, &streamed.other));
  Out out(file);
  if (impl_->format == ReportFormat::kMarkdown)
    RenderMarkdown(BuildDoc(data, /*with_charts=*/false, &streamed), out);
  else
    RenderHtml(BuildDoc(data, /*with_charts=*/true, &streamed), Title(data), out);
  out.Flush();
  if (std::fflush(file) != 0) out.SetError(Error::Io("writing the report failed"));
  return out.status();
}

std::string ReportToJson(const ReportData& data) {
  // Invalid UTF-8 (which validated input never holds) becomes U+FFFD rather
  // than an exception.
  return SnapshotJson(data).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<ReportData> ReportFromJson(std::string_view json) {
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail(Error::Invalid("report snapshot: malformed JSON"));
  ReportData d;
  RT_TRY(ReadSnapshot(Reader(j, ""), &d));
  return d;
}

}  // namespace rectrack

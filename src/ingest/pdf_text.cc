#include "ingest/pdf_text.h"

#include <memory>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

// poppler reports damage on standard error as it reads; a damaged file is
// told apart by what it yields, so those messages are dropped.
void Quiet(const std::string&, void*) {}

// A control character in a PDF's text layer (a glyph a broken font maps to
// U+0001, say) is nothing a reader sees, and no text in rectrack may hold
// one: each of its bytes becomes a blank, so that the page keeps its length
// and the quotes' spans stay true. Line breaks and tabs stay.
void BlankControlCharacters(std::string* page) {
  for (size_t c = FindControlCharacter(*page); c != std::string_view::npos;
       c = FindControlCharacter(*page, c + 1)) {
    const size_t n = static_cast<unsigned char>((*page)[c]) == 0xC2 ? 2 : 1;  // C1: two bytes
    page->replace(c, n, n, ' ');
  }
}

}  // namespace

Result<std::vector<std::string>> PdfPageTexts(std::string_view bytes, const std::string& label,
                                              const PdfLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    return Fail(Error::Invalid(fmt::format("{}: {} bytes, more than the limit of {}", label,
                                           bytes.size(), limits.max_bytes)));
  // A PDF starts with "%PDF-" within its first kilobyte.
  if (bytes.substr(0, 1024).find("%PDF-") == std::string_view::npos)
    return Fail(Error::Invalid(fmt::format("{}: not a PDF (no %PDF- header)", label)));
  poppler::set_debug_error_function(Quiet, nullptr);
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(
      bytes.data(), static_cast<int>(bytes.size())));
  if (!doc) return Fail(Error::Invalid(fmt::format("{}: a damaged PDF that cannot be read", label)));
  if (doc->is_locked())
    return Fail(Error::Invalid(fmt::format("{}: the PDF is encrypted (it needs a password)", label)));
  const int pages = doc->pages();
  if (pages <= 0) return Fail(Error::Invalid(fmt::format("{}: the PDF has no pages", label)));
  if (pages > limits.max_pages)
    return Fail(Error::Invalid(fmt::format("{}: {} pages, more than the limit of {}", label, pages,
                                           limits.max_pages)));
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(pages));
  size_t chars = 0;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) {
      out.emplace_back();
      continue;
    }
    poppler::byte_array utf8 = page->text(poppler::rectf(), poppler::page::physical_layout).to_utf8();
    out.emplace_back(utf8.begin(), utf8.end());
    if (!IsValidUtf8(out.back()))  // never seen; a draft must be UTF-8, so say so rather than guess
      return Fail(Error::Invalid(fmt::format("{}: page {}: its text is not UTF-8", label, i + 1)));
    BlankControlCharacters(&out.back());
    for (char c : out.back())
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++chars;
  }
  if (chars == 0)
    return Fail(Error::Invalid(fmt::format(
        "{}: the PDF has no text to read (a scan? it needs OCR first)", label)));
  return out;
}

Result<std::vector<std::string>> DocumentPageTexts(std::string_view bytes, const std::string& label,
                                                   const PdfLimits& limits) {
  if (bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos)
    return PdfPageTexts(bytes, label, limits);
  if (!IsValidUtf8(bytes))
    return Fail(Error::Invalid(fmt::format("{}: neither a PDF nor UTF-8 text", label)));
  // Form feeds end pages; any other control character, wherever it is (not
  // only before the first page's end), makes it no text.
  for (size_t c = FindControlCharacter(bytes); c != std::string_view::npos;
       c = FindControlCharacter(bytes, c + 1))
    if (bytes[c] != '\f')
      return Fail(Error::Invalid(fmt::format("{}: a control character ({}) at byte {}: not a text",
                                             label, CodePointAt(bytes, c), c)));
  std::vector<std::string> pages;
  size_t at = 0;
  while (at <= bytes.size()) {
    size_t ff = bytes.find('\f', at);
    if (ff == std::string_view::npos) ff = bytes.size();
    pages.emplace_back(bytes.substr(at, ff - at));
    if (ff == bytes.size()) break;
    at = ff + 1;
  }
  if (pages.size() > 1 && Trim(pages.back()).empty()) pages.pop_back();
  if (static_cast<int>(pages.size()) > limits.max_pages)
    return Fail(Error::Invalid(fmt::format("{}: {} pages, more than the limit of {}", label,
                                           pages.size(), limits.max_pages)));
  return pages;
}

}  // namespace rectrack

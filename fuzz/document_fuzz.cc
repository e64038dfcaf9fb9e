// libFuzzer harness: the document extractor (issue 11). The first byte picks
// what the rest is: the text of pages (ended by form feeds) for the generic or
// the upr preset, or a PDF read by poppler and then segmented. Whatever the
// input: no crash; every quote lies inside its page; a draft written as JSON
// reads back as the same draft.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/document.h"
#include "ingest/draft.h"
#include "ingest/pdf_text.h"

using namespace rectrack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 3;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  PdfLimits limits;
  limits.max_pages = 50;
  // What import document reads: a PDF (mode 2, behind "%PDF-" or not), or text.
  auto texts = mode == 2 ? PdfPageTexts(rest, "fuzz.pdf", limits)
                         : DocumentPageTexts(rest, "fuzz.txt", limits);
  if (!texts) return 0;
  const std::vector<std::string>& pages = *texts;
  ExtractOptions options;
  options.preset = mode == 1 ? DocumentPreset::kUpr : DocumentPreset::kGeneric;
  auto draft = ExtractRecommendations(pages, options);
  if (!draft) return 0;
  for (const auto& item : draft->items) {
    if (item.ref.empty() || item.text.empty()) __builtin_trap();
    for (const auto& q : item.quotes) {
      if (q.page < 1 || static_cast<size_t>(q.page) > pages.size()) __builtin_trap();
      if (q.begin > q.end || q.end > pages[static_cast<size_t>(q.page) - 1].size()) __builtin_trap();
    }
  }
  DraftFile file;
  file.draft = std::move(*draft);
  file.file = "fuzz";
  const std::string json = DraftToJson(file);  // UTF-8 throughout: text is checked, PDF text is
  auto back = DraftFromJson(json, "fuzz.json");
  if (!back) return 0;  // an item the reader refuses (a ref of blanks, say): refused, not mangled
  if (DraftToJson(*back) != json) __builtin_trap();
  return 0;
}

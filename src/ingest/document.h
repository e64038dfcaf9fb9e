#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rectrack {

// Reading a report itself (issue 11): the numbered recommendations of a
// document's text, page by page, as a draft that a person checks before it is
// imported. A pure function of the pages' text (PdfPageTexts in
// ingest/pdf_text.h gives it for a PDF), so that it is tested on text fixtures.

enum class DocumentPreset {
  kGeneric,  // numbered recommendations in a report's recommendations section(s)
  kUpr,      // UN Universal Periodic Review working-group reports
};
Result<DocumentPreset> ParseDocumentPreset(std::string_view name);
std::string_view PresetName(DocumentPreset preset);

// Where a piece of an item's text stands: bytes [begin, end) of page `page`'s
// text (1-based page), so that a reader can check the quote.
struct Quote {
  int page = 0;
  size_t begin = 0;
  size_t end = 0;
  friend bool operator==(const Quote&, const Quote&) = default;
};

struct DraftItem {
  std::string ref;   // "95.1", "R12", "12(a)"
  std::string text;  // joined across lines and pages; the recommending states' bracket removed (upr)
  std::vector<Quote> quotes;  // in order; one per page it spans
  std::vector<std::string> addressees;  // as the document names them (upr: the state under review)
  std::vector<std::string> recommended_by;  // upr: the recommending state(s), in order
  std::string decision;  // upr vocabulary: support, consider, reject, implemented; "" if not said
  std::vector<std::string> notes;  // what a checker should look at ("addressee not found", ...)
};

struct Draft {
  DocumentPreset preset = DocumentPreset::kGeneric;
  std::string title;           // the document's, as found (may be empty)
  std::string symbol;          // a document symbol such as A/HRC/12/9, if any
  std::string state_under_review;  // upr
  int pages = 0;
  std::vector<DraftItem> items;
  std::vector<std::string> notes;  // about the whole document
};

struct ExtractOptions {
  DocumentPreset preset = DocumentPreset::kGeneric;
};

// The recommendations of a document whose page texts (UTF-8, lines separated
// by '\n', columns laid out with spaces as PDF text extraction gives them) are
// `pages`. An error when no recommendation is found: a document that has none
// (or none that the preset can read) should not silently give an empty draft.
Result<Draft> ExtractRecommendations(const std::vector<std::string>& pages,
                                     const ExtractOptions& options);

// Whitespace runs as one space, typographic quotes and apostrophes as ASCII,
// trimmed: how texts are compared (evaluation, tests, repeated items).
std::string NormalizeForComparison(std::string_view text);

}  // namespace rectrack

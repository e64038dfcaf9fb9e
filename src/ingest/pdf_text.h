#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rectrack {

// The text of each page of a PDF, laid out as on the page (poppler-cpp's
// physical layout: lines in reading order, columns kept with blanks), UTF-8.
struct PdfLimits {
  int max_pages = 2000;
  size_t max_bytes = 64u << 20;  // of the file
};

// From a file or from bytes in memory. A clear error for what is no PDF, an
// encrypted or damaged one, one with more pages than the limit; the label
// names the input in messages.
Result<std::vector<std::string>> PdfPageTexts(std::string_view bytes, const std::string& label,
                                              const PdfLimits& limits = {});

// The pages of a report given as a PDF (PdfPageTexts) or as UTF-8 text whose
// pages end with form feeds (what `pdftotext -layout` writes). A clear error
// for anything else.
Result<std::vector<std::string>> DocumentPageTexts(std::string_view bytes, const std::string& label,
                                                   const PdfLimits& limits = {});

}  // namespace rectrack

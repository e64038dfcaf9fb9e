#pragma once
// Writing CSV, one way for every output (the CLI's lists and exports, the
// owners table, the web's downloads). RFC 4180: a cell is quoted when it holds
// a comma, a quote, CR or LF, and its quotes are doubled.
//
// A cell a spreadsheet would run as a formula (one starting with = + - @, tab
// or CR: "=HYPERLINK(...)", "+cmd|' /C calc'!A0", "@SUM(...)") gets a leading
// ' by default, OWASP's advice against CSV injection; a plain number such as
// -3 or +2.5 is left alone. Machines that want the bytes as stored ask for
// kKeep (the CLI's --keep-formulas); the lossless path is JSON.

#include <string>
#include <string_view>
#include <vector>

namespace rectrack {

enum class CsvFormulas { kNeutralise, kKeep };

// True if a spreadsheet would read `cell` as a formula.
bool LooksLikeFormula(std::string_view cell);
std::string CsvCell(std::string_view cell, CsvFormulas formulas = CsvFormulas::kNeutralise);
// The cells, comma-separated, then `eol`.
void AppendCsvRow(const std::vector<std::string>& cells, std::string* out,
                  CsvFormulas formulas = CsvFormulas::kNeutralise, std::string_view eol = "\r\n");

}  // namespace rectrack

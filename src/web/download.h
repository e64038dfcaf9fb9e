#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace rectrack::web {

// A table to download, as the lists of the site and the API offer them.
struct Table {
  std::string name;  // sheet and file name: "harris-2016-recommendations"
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// RFC 4180 CSV, UTF-8, CRLF line ends. Cells that a spreadsheet would run as a
// formula (starting with = + - @ tab or CR) are prefixed with ' (OWASP's advice).
std::string TableCsv(const Table& t);
// An Excel workbook (libxlsxwriter): one sheet, a bold frozen header row.
Result<std::string> TableXlsx(const Table& t);

}  // namespace rectrack::web

#include "web/download.h"

#include <xlsxwriter.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "core/csv.h"
#include "fmt/format.h"

namespace rectrack::web {
namespace {

}  // namespace

std::string TableCsv(const Table& t) {
  std::string out;
  AppendCsvRow(t.header, &out);
  for (const auto& r : t.rows) AppendCsvRow(r, &out);
  return out;
}

Result<std::string> TableXlsx(const Table& t) {
  char path[] = "/tmp/rectrack-xlsx-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return Fail(Error::Io("cannot create a temporary file for the workbook"));
  close(fd);
  lxw_workbook_options options = {};
  options.constant_memory = LXW_TRUE;  // rows stream to disk: bounded memory
  options.tmpdir = nullptr;
  lxw_workbook* wb = workbook_new_opt(path, &options);
  if (!wb) {
    std::remove(path);
    return Fail(Error::Io("cannot create the workbook"));
  }
  std::string sheet_name = t.name.substr(0, 31);
  for (char& c : sheet_name)
    if (c == '[' || c == ']' || c == ':' || c == '*' || c == '?' || c == '/' || c == '\\') c = '-';
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet_name.empty() ? nullptr : sheet_name.c_str());
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  for (size_t c = 0; c < t.header.size(); ++c)
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), t.header[c].c_str(), bold);
  worksheet_freeze_panes(ws, 1, 0);
  for (size_t r = 0; r < t.rows.size(); ++r)
    for (size_t c = 0; c < t.rows[r].size(); ++c) {
      // Excel's cell limit is 32,767 characters.
      std::string v = t.rows[r][c].substr(0, 32767);
      worksheet_write_string(ws, static_cast<lxw_row_t>(r + 1), static_cast<lxw_col_t>(c),
                             v.c_str(), nullptr);
    }
  lxw_error err = workbook_close(wb);
  if (err != LXW_NO_ERROR) {
    std::remove(path);
    return Fail(Error::Io(fmt::format("writing the workbook: {}", lxw_strerror(err))));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  std::remove(path);
  return s.str();
}

}  // namespace rectrack::web

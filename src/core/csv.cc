#include "core/csv.h"

namespace rectrack {
namespace {

bool IsPlainNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0, dots = 0;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && dots == 0) {
      ++dots;
    } else {
      return false;
    }
  }
  return digits > 0;
}

}  // namespace

bool LooksLikeFormula(std::string_view cell) {
  if (cell.empty()) return false;
  const char c = cell.front();
  if (c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r') return false;
  return !IsPlainNumber(cell);
}

std::string CsvCell(std::string_view cell, CsvFormulas formulas) {
  std::string s;
  s.reserve(cell.size() + 3);
  if (formulas == CsvFormulas::kNeutralise && LooksLikeFormula(cell)) s.push_back('\'');
  s.append(cell);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void AppendCsvRow(const std::vector<std::string>& cells, std::string* out, CsvFormulas formulas,
                  std::string_view eol) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out->push_back(',');
    *out += CsvCell(cells[i], formulas);
  }
  out->append(eol);
}

}  // namespace rectrack

#include "report/owners_render.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/vocab.h"
#include "nlohmann/json.hpp"

namespace rectrack {
namespace {

using Json = nlohmann::ordered_json;

// Response-status columns in the table's order (not the enum's).
constexpr ResponseStatus kStatusColumns[] = {ResponseStatus::kResponded, ResponseStatus::kPartial,
                                             ResponseStatus::kOverdue, ResponseStatus::kPending};

std::vector<std::string> Headers() {
  std::vector<std::string> h = {"owner", "tier", "total"};
  for (ResponseStatus s : kStatusColumns) h.emplace_back(Name(s));
  for (Implementation i : kAllImplementations) h.emplace_back(Name(i));
  h.emplace_back("past_target");
  h.emplace_back("median_days_since_progress");
  return h;
}

// Medians of whole days are whole or halves: "12", "12.5". Anything finer
// (never produced by OwnersTable) keeps one decimal.
std::string FormatMedian(const std::optional<double>& m) {
  if (!m) return std::string();
  double v = *m;
  if (v == std::floor(v)) return std::to_string(static_cast<int64_t>(v));
  double tenths = std::round(v * 10);
  int64_t t = static_cast<int64_t>(tenths);
  std::string sign = t < 0 ? "-" : "";
  if (t < 0) t = -t;
  return sign + std::to_string(t / 10) + "." + std::to_string(t % 10);
}

std::vector<std::string> Cells(const OwnerRow& r) {
  std::vector<std::string> c = {r.owner, r.tier, std::to_string(r.total)};
  for (ResponseStatus s : kStatusColumns)
    c.push_back(std::to_string(r.by_response_status[static_cast<int>(s)]));
  for (Implementation i : kAllImplementations)
    c.push_back(std::to_string(r.by_implementation[static_cast<int>(i)]));
  c.push_back(std::to_string(r.past_target));
  c.push_back(FormatMedian(r.median_days_since_progress));
  return c;
}

// Display width in a terminal, approximated by code points.
size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// Control characters would break the grid (or the terminal).
std::string ForTerminal(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  return out;
}

std::string RenderTable(const std::vector<OwnerRow>& rows) {
  std::vector<std::vector<std::string>> grid = {Headers()};
  for (const auto& r : rows) {
    auto cells = Cells(r);
    for (auto& c : cells) c = ForTerminal(c);
    grid.push_back(std::move(cells));
  }
  const size_t columns = grid[0].size();
  std::vector<size_t> width(columns, 0);
  for (const auto& row : grid)
    for (size_t c = 0; c < columns; ++c) width[c] = std::max(width[c], Width(row[c]));
  std::string out;
  for (const auto& row : grid) {
    std::string line;
    for (size_t c = 0; c < columns; ++c) {
      std::string pad(width[c] - Width(row[c]), ' ');
      bool text = c < 2;  // owner and tier left-aligned, numbers right-aligned
      if (c) line += "  ";
      line += text ? row[c] + pad : pad + row[c];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string RenderCsv(const std::vector<OwnerRow>& rows, CsvFormulas formulas) {
  std::string out;
  AppendCsvRow(Headers(), &out, formulas, "\n");
  for (const auto& r : rows) AppendCsvRow(Cells(r), &out, formulas, "\n");
  return out;
}

std::string RenderJson(const std::vector<OwnerRow>& rows) {
  Json out = Json::array();
  for (const auto& r : rows) {
    Json j;
    j["owner"] = r.owner;
    j["tier"] = r.tier;
    j["total"] = r.total;
    for (ResponseStatus s : kStatusColumns)
      j[std::string(Name(s))] = r.by_response_status[static_cast<int>(s)];
    for (Implementation i : kAllImplementations)
      j[std::string(Name(i))] = r.by_implementation[static_cast<int>(i)];
    j["past_target"] = r.past_target;
    const auto& m = r.median_days_since_progress;
    if (!m)
      j["median_days_since_progress"] = nullptr;
    else if (*m == std::floor(*m))
      j["median_days_since_progress"] = static_cast<int64_t>(*m);
    else
      j["median_days_since_progress"] = *m;
    out.push_back(std::move(j));
  }
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<TableFormat> ParseTableFormat(std::string_view name) {
  if (name == "table") return TableFormat::kTable;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  return Fail(Error::Invalid("unknown table format '" + std::string(name) +
                             "' (expected table, csv or json)"));
}

std::string RenderOwners(const std::vector<OwnerRow>& rows, TableFormat format, CsvFormulas formulas) {
  switch (format) {
    case TableFormat::kTable:
      return RenderTable(rows);
    case TableFormat::kCsv:
      return RenderCsv(rows, formulas);
    case TableFormat::kJson:
      return RenderJson(rows);
  }
  return std::string();
}

}  // namespace rectrack

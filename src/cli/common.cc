#include "cli/common.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "app/service.h"
#include "fmt/format.h"

namespace rectrack::cli {

int Report(const Error& e) {
  std::fprintf(stderr, "rectrack: error: %s\n", e.message.c_str());
  return kError;
}

int ReportCheck(const Error& e) {
  Report(e);
  return e.code == Error::Code::kCorrupt ? kVerifyFailed : kError;
}

// The date an option gives (today if none); errors name the option.
Result<Date> AsOf(const std::string& s, std::string_view option) {
  if (s.empty() || s == "today") return TodayInLondon();
  auto d = Date::ParseIso(s);
  if (!d) return Fail(Error::Invalid(fmt::format("{}: {}", option, d.error().message)));
  return d;
}

std::string Cell(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  // Cut on a character boundary.
  size_t count = 0, i = 0;
  for (; i < out.size(); ++i) {
    if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80) {
      if (count == max) break;
      ++count;
    }
  }
  if (i < out.size()) {
    out.resize(i);
    out += "…";
  }
  return out;
}

size_t Width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string TextTable(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = Width(header[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], Width(r[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(w[i] - Width(r[i]) + 2, ' ');
    }
    out += "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t x : w) rule.push_back(std::string(x, '-'));
  line(rule);
  for (const auto& r : rows) line(r);
  return out;
}

bool& KeepFormulasFlag() {
  static bool keep = false;
  return keep;
}

CsvFormulas CliCsvFormulas() {
  return KeepFormulasFlag() ? CsvFormulas::kKeep : CsvFormulas::kNeutralise;
}

std::string CsvTable(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  AppendCsvRow(header, &out, CliCsvFormulas());
  for (const auto& r : rows) AppendCsvRow(r, &out, CliCsvFormulas());
  return out;
}

Actor CliActor() {
  const char* user = std::getenv("USER");
  if (!user || !*user) {
    const passwd* pw = getpwuid(getuid());
    user = pw ? pw->pw_name : "unknown";
  }
  return Actor{fmt::format("cli:{}", user)};
}

}  // namespace rectrack::cli

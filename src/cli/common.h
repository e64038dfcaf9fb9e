#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/csv.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack::cli {

// Exit codes: 0 success, 1 error, 2 usage (a command line that does not
// parse), 3 verification failed.
inline constexpr int kOk = 0, kError = 1, kUsage = 2, kVerifyFailed = 3;

// Prints "rectrack: error: MESSAGE" to standard error; returns kError.
int Report(const Error& e);
// The same, but kVerifyFailed when the error is a failed integrity check
// (kCorrupt): a forged publication, a store that does not match its ledger.
int ReportCheck(const Error& e);

// The date an option gives (today in Europe/London if none, or "today");
// errors name the option.
Result<Date> AsOf(const std::string& s, std::string_view option = "--as-of");

// Text for one table cell: line breaks as spaces, cut at `max` characters with "…".
std::string Cell(std::string_view s, size_t max);
// Terminal width of UTF-8 text (one column per character).
size_t Width(std::string_view s);
// Aligned columns under a header and a rule.
std::string TextTable(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows);
// RFC 4180 CSV with CRLF line ends (core/csv.h): cells a spreadsheet would
// run as formulas get a leading ', unless --keep-formulas was given.
std::string CsvTable(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows);
// --keep-formulas, on every command that writes CSV: the bytes as stored, for machines.
bool& KeepFormulasFlag();
CsvFormulas CliCsvFormulas();

// Who the ledger says did it: "cli:" and the login name ($USER, else the
// password database, else "unknown").
Actor CliActor();

}  // namespace rectrack::cli

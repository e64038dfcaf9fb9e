#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/batch.h"
#include "core/result.h"
#include "ingest/encoding.h"

namespace rectrack {

struct PresetOptions {
  std::optional<Encoding> encoding;   // default: the format's own
  std::optional<Date> recorded_on;    // default: the dataset's fetch date
};

// The judiciary's Prevention of Future Deaths reports, as scraped by
// preventable-deaths-scraper (columns "response status", date_of_report, ref,
// this_report_is_being_sent_to, concerns, ...). Each report becomes a source with
// a 56-day response duty and one recommendation (its matters of concern),
// assigned to every recipient; the recorded "response status" is the state on
// the data's date (2024-03-17).
inline constexpr char kPfdDataDate[] = "2024-03-17";
Result<ImportBatch> ImportPfd(std::string_view raw, const std::string& file_label,
                              const PresetOptions& options);

// UN Universal Periodic Review recommendations (columns text,to,decision,From,
// year,notes; Mac OS Roman by default). Each state under review in a year is a
// source; `to` is the owner; `decision` the response.
Result<ImportBatch> ImportUpr(std::string_view raw, const std::string& file_label,
                              const PresetOptions& options);

}  // namespace rectrack

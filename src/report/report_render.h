#pragma once

#include <string>
#include <string_view>

#include "core/metrics.h"
#include "core/result.h"

namespace rectrack {

enum class ReportFormat { kMarkdown, kHtml, kJson };
Result<ReportFormat> ParseReportFormat(std::string_view name);  // md, html, json

// Renders the official progress update. Pure: the same data gives the same bytes.
std::string RenderReport(const ReportData& data, ReportFormat format);

// The snapshot form stored with a publication (the same as the json format).
std::string ReportToJson(const ReportData& data);
Result<ReportData> ReportFromJson(std::string_view json);

}  // namespace rectrack

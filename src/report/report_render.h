#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "core/metrics.h"
#include "core/result.h"

namespace rectrack {

enum class ReportFormat { kMarkdown, kHtml, kJson };
Result<ReportFormat> ParseReportFormat(std::string_view name);  // md, html, json

// Renders the official progress update. Pure: the same data gives the same bytes.
std::string RenderReport(const ReportData& data, ReportFormat format);

// The update rendered as ReportBuilder hands it over, item by item (a sink for
// it), so that a source of a million recommendations is never whole in memory:
// the long lists' rows are rendered as they come (into a temporary file beyond
// a buffer each) and the document written to a file at the end. Its bytes are
// RenderReport's of the same update. Markdown and HTML only.
class StreamedReport : public ReportItemSink {
 public:
  static Result<std::unique_ptr<StreamedReport>> Create(ReportFormat format);
  ~StreamedReport() override;
  void Done(const ReportItemView& item) override;
  void Outstanding(size_t group, const ReportItemView& item) override;
  void NotReported(const ReportItemView& item) override;
  // `data`, `central_order` and `other_order` from the ReportBuilder that fed it.
  Status WriteTo(const ReportData& data, const std::vector<size_t>& central_order,
                 const std::vector<size_t>& other_order, std::FILE* file);

 private:
  struct Impl;
  explicit StreamedReport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The snapshot form stored with a publication (the same as the json format).
std::string ReportToJson(const ReportData& data);
Result<ReportData> ReportFromJson(std::string_view json);

}  // namespace rectrack

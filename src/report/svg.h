#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metrics.h"

namespace rectrack {

// Accessible inline SVG (role="img", <title>, <desc>) with the numbers as text,
// so the chart says the same thing without colour.
//
// kWide (640 units wide) is what reports and publications carry; their bytes
// never change. kNarrow (340 units, labels above the bars) is for a phone's
// screen, where the wide one shrinks its 14-unit labels to 7 px: the web pages
// show one or the other by the width of the screen. `id` prefixes the
// elements' ids, so that both can sit in one page.
enum class ChartLayout { kWide, kNarrow };
std::string StatusBreakdownSvg(const ReportData& data, ChartLayout layout = ChartLayout::kWide,
                               std::string_view id = "status-chart");
std::string ImplementedOverTimeSvg(const ReportData& data, ChartLayout layout = ChartLayout::kWide,
                                   std::string_view id = "timeline-chart");

}  // namespace rectrack

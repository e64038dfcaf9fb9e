#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/metrics.h"

namespace rectrack {

// Accessible inline SVG (role="img", <title>, <desc>) with the numbers as text,
// so the chart says the same thing without colour.
std::string StatusBreakdownSvg(const ReportData& data);
std::string ImplementedOverTimeSvg(const ReportData& data);

}  // namespace rectrack

#include "report/svg.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/text.h"
#include "core/vocab.h"

namespace rectrack {
namespace {

// GOV.UK palette. Colour is never the only carrier: every bar has its label and count.
std::string_view ColourOf(Implementation i) {
  switch (i) {
    case Implementation::kImplemented:
      return "#00703c";
    case Implementation::kPartiallyImplemented:
      return "#85994b";
    case Implementation::kInProgress:
      return "#1d70b8";
    case Implementation::kNotStarted:
      return "#f47738";
    case Implementation::kNotImplemented:
      return "#d4351c";
    case Implementation::kSuperseded:
      return "#6f72af";
    case Implementation::kUnknown:
      return "#505a5f";
  }
  return "#505a5f";
}

std::string Num(int64_t v) { return std::to_string(v); }

std::string SvgOpen(int width, int height, std::string_view id, std::string_view title,
                    std::string_view desc) {
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " +
                    Num(width) + " " + Num(height) + "\" width=\"" + Num(width) + "\" height=\"" +
                    Num(height) + "\" role=\"img\" aria-labelledby=\"" + std::string(id) +
                    "-title " + std::string(id) + "-desc\">\n";
  out += "<title id=\"" + std::string(id) + "-title\">" + HtmlEscape(title) + "</title>\n";
  out += "<desc id=\"" + std::string(id) + "-desc\">" + HtmlEscape(desc) + "</desc>\n";
  return out;
}

}  // namespace

std::string StatusBreakdownSvg(const ReportData& data, ChartLayout layout, std::string_view id) {
  const bool wide = layout == ChartLayout::kWide;
  // Wide: the label left of its bar. Narrow: the label above its bar.
  const int kWidth = wide ? 640 : 340, kLabelRight = 220, kBarLeft = wide ? 230 : 0,
            kBarMax = wide ? 340 : 280;
  const int kRow = wide ? 30 : 46, kBar = 20, kTop = 10, kLabelHeight = wide ? 0 : 20;
  constexpr int kRows = static_cast<int>(std::size(kAllImplementations));
  const int height = kTop * 2 + kRows * kRow;

  int max = 1;
  for (Implementation i : kAllImplementations)
    max = std::max(max, data.by_implementation[static_cast<int>(i)]);

  std::string desc = "Of " + Num(data.total) + " recommendations: ";
  for (size_t k = 0; k < std::size(kAllImplementations); ++k) {
    Implementation i = kAllImplementations[k];
    if (k) desc += ", ";
    desc += Num(data.by_implementation[static_cast<int>(i)]) + " " + std::string(Label(i));
  }
  desc += ".";

  std::string out = SvgOpen(kWidth, height, id, "Recommendations by implementation status", desc);
  out += "<g font-family=\"Arial, Helvetica, sans-serif\" font-size=\"14\" fill=\"#0b0c0c\">\n";
  int y = kTop;
  for (Implementation i : kAllImplementations) {
    int count = data.by_implementation[static_cast<int>(i)];
    int bar = static_cast<int>(static_cast<int64_t>(count) * kBarMax / max);
    const int bar_y = y + kLabelHeight;
    int text_y = bar_y + kBar / 2 + 5;
    if (wide)
      out += "<text x=\"" + Num(kLabelRight) + "\" y=\"" + Num(text_y) + "\" text-anchor=\"end\">" +
             HtmlEscape(Label(i)) + "</text>\n";
    else
      out += "<text x=\"0\" y=\"" + Num(y + 14) + "\">" + HtmlEscape(Label(i)) + "</text>\n";
    out += "<rect x=\"" + Num(kBarLeft) + "\" y=\"" + Num(bar_y) + "\" width=\"" + Num(bar) +
           "\" height=\"" + Num(kBar) + "\" fill=\"" + std::string(ColourOf(i)) + "\"/>\n";
    out += "<text x=\"" + Num(kBarLeft + bar + 6) + "\" y=\"" + Num(text_y) + "\">" + Num(count) +
           "</text>\n";
    y += kRow;
  }
  out += "</g>\n</svg>\n";
  return out;
}

std::string ImplementedOverTimeSvg(const ReportData& data, ChartLayout layout,
                                   std::string_view id) {
  const bool wide = layout == ChartLayout::kWide;
  const int kWidth = wide ? 640 : 340, kHeight = wide ? 260 : 240;
  const int kLeft = wide ? 60 : 40, kRight = wide ? 600 : 330, kTop = 20, kBottom = wide ? 200 : 190;
  const std::string title = "Recommendations implemented over time";

  std::vector<ReportData::TimelinePoint> points = data.timeline;
  std::stable_sort(points.begin(), points.end(),
                   [](const auto& a, const auto& b) { return a.date < b.date; });
  if (points.empty()) {
    std::string out = SvgOpen(kWidth, 60, id, title, "No dated progress to chart.");
    out +=
        "<text x=\"10\" y=\"35\" font-family=\"Arial, Helvetica, sans-serif\" "
        "font-size=\"14\" fill=\"#0b0c0c\">No dated progress to chart.</text>\n</svg>\n";
    return out;
  }

  const Date first = points.front().date;
  const Date end = std::max(points.back().date, data.as_of);
  const int64_t span = std::max<int64_t>(1, end - first);
  int ymax = std::max(1, data.total);
  for (const auto& p : points) ymax = std::max(ymax, p.implemented);
  auto x_of = [&](Date d) {
    return static_cast<int>(kLeft + static_cast<int64_t>(d - first) * (kRight - kLeft) / span);
  };
  auto y_of = [&](int v) {
    return static_cast<int>(kBottom - static_cast<int64_t>(v) * (kBottom - kTop) / ymax);
  };

  std::string desc =
      "Recommendations implemented: " + Num(points.front().implemented) + " on " + first.ToLong();
  if (points.size() > 1 || end != first)
    desc += " and " + Num(points.back().implemented) + " by " + end.ToLong();
  desc += ", of " + Num(data.total) + " tracked (" + Num(static_cast<int64_t>(points.size())) +
          (points.size() == 1 ? " data point)." : " data points).");

  std::string out = SvgOpen(kWidth, kHeight, id, title, desc);
  out += "<g font-family=\"Arial, Helvetica, sans-serif\" font-size=\"12\" fill=\"#0b0c0c\">\n";
  // Axes.
  out += "<path d=\"M" + Num(kLeft) + " " + Num(kTop) + " V" + Num(kBottom) + " H" + Num(kRight) +
         "\" fill=\"none\" stroke=\"#0b0c0c\" stroke-width=\"1\"/>\n";
  out += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(kBottom + 4) +
         "\" text-anchor=\"end\">0</text>\n";
  out += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(kTop + 4) + "\" text-anchor=\"end\">" +
         Num(ymax) + "</text>\n";
  if (data.total > 0) {
    int ty = y_of(data.total);
    out += "<path d=\"M" + Num(kLeft) + " " + Num(ty) + " H" + Num(kRight) +
           "\" fill=\"none\" stroke=\"#b1b4b6\" stroke-dasharray=\"4 4\"/>\n";
    out += "<text x=\"" + Num(kRight) + "\" y=\"" + Num(ty - 6) + "\" text-anchor=\"end\">" +
           Num(data.total) + " tracked</text>\n";
  }
  out += "<text x=\"" + Num(kLeft) + "\" y=\"" + Num(kBottom + 20) + "\">" +
         HtmlEscape(first.ToLong()) + "</text>\n";
  if (end != first) {
    out += "<text x=\"" + Num(kRight) + "\" y=\"" + Num(kBottom + 20) + "\" text-anchor=\"end\">" +
           HtmlEscape(end.ToLong()) + "</text>\n";
  }
  // The step line: a count holds until the next date.
  std::string d = "M" + Num(x_of(first)) + " " + Num(y_of(points.front().implemented));
  for (size_t k = 1; k < points.size(); ++k)
    d += " H" + Num(x_of(points[k].date)) + " V" + Num(y_of(points[k].implemented));
  d += " H" + Num(x_of(end));
  out += "<path d=\"" + d + "\" fill=\"none\" stroke=\"#00703c\" stroke-width=\"3\"/>\n";
  for (const auto& p : points) {
    out += "<circle cx=\"" + Num(x_of(p.date)) + "\" cy=\"" + Num(y_of(p.implemented)) +
           "\" r=\"4\" fill=\"#00703c\"/>\n";
  }
  const auto& last = points.back();
  out += "<text x=\"" + Num(x_of(last.date)) + "\" y=\"" + Num(y_of(last.implemented) - 10) +
         "\" text-anchor=\"" + (x_of(last.date) > (kLeft + kRight) / 2 ? "end" : "start") +
         "\" font-weight=\"bold\">" + Num(last.implemented) + "</text>\n";
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace rectrack

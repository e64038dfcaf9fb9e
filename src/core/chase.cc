#include "core/chase.h"

#include <algorithm>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {

Result<std::vector<int>> ParseDayList(std::string_view s) {
  std::vector<int> days;
  for (const auto& part : SplitTrimmed(s, ",")) {
    if (part.empty()) continue;
    int n = 0;
    bool digits = part.size() <= 3 && std::all_of(part.begin(), part.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if (digits) n = std::stoi(part);
    if (!digits || n < 1 || n > 365)
      return Fail(Error::Invalid(fmt::format(
          "'{}' is not a number of days from 1 to 365 (give days before the due date, such as "
          "14,7,1)",
          part)));
    if (std::find(days.begin(), days.end(), n) != days.end())
      return Fail(Error::Invalid(fmt::format("{} days is given twice", n)));
    days.push_back(n);
  }
  std::sort(days.rbegin(), days.rend());
  return days;
}

std::optional<int> ParseIntervalDays(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > 365) return std::nullopt;
  return n;
}

std::string FormatDayList(const std::vector<int>& days) {
  std::string out;
  for (int d : days) {
    if (!out.empty()) out += ',';
    out += std::to_string(d);
  }
  return out;
}

std::string_view Name(ChaseReason r) {
  switch (r) {
    case ChaseReason::kResponseDue: return "response_due";
    case ChaseReason::kResponseOverdue: return "response_overdue";
    case ChaseReason::kTargetPassed: return "target_passed";
    case ChaseReason::kUpdateReturned: return "update_returned";
  }
  return "response_due";
}

namespace {

int Period(int late, int every) { return every > 0 ? (late - 1) / every : 0; }

}  // namespace

std::optional<ChaseStage> ResponseStage(const ChaseSchedule& s, Date due, Date as_of) {
  int left = due - as_of;
  if (left < 0) {
    int late = -left;
    return ChaseStage{ChaseReason::kResponseOverdue,
                      fmt::format("overdue-{}", Period(late, s.overdue_every)), late};
  }
  std::optional<int> at;
  for (int b : s.before)
    if (left <= b && (!at || b < *at)) at = b;
  if (!at) return std::nullopt;
  return ChaseStage{ChaseReason::kResponseDue, fmt::format("due-{}", *at), left};
}

std::optional<ChaseStage> TargetStage(const ChaseSchedule& s, Date target, Date as_of) {
  int late = as_of - target;
  if (late < 1) return std::nullopt;
  return ChaseStage{ChaseReason::kTargetPassed,
                    fmt::format("target-{}-{}", target.ToIso(), Period(late, s.target_every)), late};
}

}  // namespace rectrack

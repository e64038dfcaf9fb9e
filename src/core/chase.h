#pragma once
// When the tracking office chases an owner (issue 9): the reminder stages of a
// response still to come, of an overdue one and of a passed implementation
// target. Pure: the caller says what is outstanding, this says which stage it
// is at; each stage is chased once (the outbox remembers which were).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/result.h"

namespace rectrack {

// How a kind of source is chased. The defaults are the office's usual ones.
struct ChaseSchedule {
  std::vector<int> before = {14, 7, 1};  // days before a response is due, largest first
  int overdue_every = 7;   // days between chasers of an overdue response (0: only the first)
  int target_every = 30;   // days between chasers of a passed implementation target (0: one)
  bool enabled = true;
};

// "14,7,1" (any order, no repeats, each 1-365) -> {14, 7, 1}; "" -> {} (no
// reminders before the due date).
Result<std::vector<int>> ParseDayList(std::string_view s);
std::string FormatDayList(const std::vector<int>& days);
// "14" -> 14: the days between chasers, 0 (only once) to 365, in digits only;
// nullopt for anything else.
std::optional<int> ParseIntervalDays(std::string_view s);

enum class ChaseReason { kResponseDue, kResponseOverdue, kTargetPassed, kUpdateReturned };
// "response_due", "response_overdue", "target_passed", "update_returned".
std::string_view Name(ChaseReason r);

struct ChaseStage {
  ChaseReason reason = ChaseReason::kResponseDue;
  std::string stage;  // "due-14", "overdue-0", "overdue-1", "target-0": what is chased once
  int days = 0;       // days left (due), or days late (overdue, target)
};

// The stage of a response due on `due` that has not come as of `as_of`: the
// smallest reminder not earlier than the days left ("due-7" with 5 days to
// go), then "overdue-N" in the Nth period of `overdue_every` days after the
// due date. nullopt: too early for any reminder.
std::optional<ChaseStage> ResponseStage(const ChaseSchedule& s, Date due, Date as_of);
// The stage of an implementation target passed as of `as_of`: "target-DATE-N"
// (the target's date in it, so that a target moved later is chased afresh),
// the Nth period of `target_every` days after it. nullopt: not passed.
std::optional<ChaseStage> TargetStage(const ChaseSchedule& s, Date target, Date as_of);

}  // namespace rectrack

#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/model.h"

namespace rectrack {

// An assignment's state as of a date, derived from its imported state, its
// due date and its validated updates.
struct EffectiveState {
  ResponseKind response = ResponseKind::kNone;
  ResponseStatus response_status = ResponseStatus::kPending;
  Implementation implementation = Implementation::kNotStarted;
  std::optional<Date> response_date;
  std::optional<Date> last_progress;  // latest response or validated update <= as_of
  std::string latest_narrative;
  friend bool operator==(const EffectiveState&, const EffectiveState&) = default;
};

// The due date of a response: the assignment's own, else the source's duty
// (`response_days` after the source's date), else none.
std::optional<Date> DueDate(const Source& source, const Assignment& a);

// Replays `updates` (validated only, any order) dated on or before `as_of` over
// the assignment's imported state. Pending becomes overdue the day after the due
// date; a status the data recorded as overdue stays overdue from `recorded_on` on.
EffectiveState StateAt(const Assignment& a, std::optional<Date> due,
                       std::span<const Update* const> updates, Date as_of,
                       std::optional<Date> recorded_on);

// A recommendation's status from its assignments: all responded -> responded;
// some (or any partial) -> partial; none and any overdue -> overdue; else pending.
ResponseStatus RollUpResponse(std::span<const ResponseStatus> statuses);
// Likewise for implementation: all equal -> that; only implemented and superseded
// -> implemented; any (partially) implemented ->
// partially implemented; any in progress -> in progress; any not started -> not
// started; any unknown -> unknown; else not implemented.
Implementation RollUpImplementation(std::span<const Implementation> statuses);

// Outstanding means still to do: neither implemented nor superseded.
bool IsOutstanding(Implementation i);

// The implementation target of an assignment: the one agreed with its owner,
// else the recommendation's, else none.
std::optional<Date> EffectiveTarget(const Recommendation& r, const Assignment& a);
// Days by which an assignment's implementation is past its target as of
// `as_of`, counted as overdue responses are: from the day after the target.
// Only for work still expected (not started, in progress, partly done or not
// reported); nullopt when it is done, superseded, declined (not
// implemented), within its target, or has none.
std::optional<int> DaysPastTarget(Implementation i, std::optional<Date> target, Date as_of);

}  // namespace rectrack

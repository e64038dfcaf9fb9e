#include "core/status.h"

#include <algorithm>

#include "fmt/format.h"

namespace rectrack {

std::string_view Name(UpdateState s) {
  switch (s) {
    case UpdateState::kSubmitted: return "submitted";
    case UpdateState::kValidated: return "validated";
    case UpdateState::kReturned: return "returned";
  }
  return "validated";
}

Result<UpdateState> ParseUpdateState(std::string_view s) {
  if (s == "submitted") return UpdateState::kSubmitted;
  if (s == "validated") return UpdateState::kValidated;
  if (s == "returned") return UpdateState::kReturned;
  return Fail(Error::Invalid(
      fmt::format("unknown update state '{}' (known: submitted, validated, returned)", s)));
}

std::optional<Date> DueDate(const Source& source, const Assignment& a) {
  if (a.due) return a.due;
  if (source.response_days && source.date) return source.date->AddDays(*source.response_days);
  return std::nullopt;
}

EffectiveState StateAt(const Assignment& a, std::optional<Date> due,
                       std::span<const Update* const> updates, Date as_of,
                       std::optional<Date> recorded_on) {
  EffectiveState st;
  ResponseStatus recorded = a.initial.recorded_status;
  st.implementation = a.initial.implementation;
  // A response dated after as_of had not been given yet.
  if (a.initial.response != ResponseKind::kNone &&
      (!a.initial.response_date || *a.initial.response_date <= as_of)) {
    st.response = a.initial.response;
    st.response_date = a.initial.response_date;
    st.last_progress = a.initial.response_date;
  }

  std::vector<const Update*> ordered;
  ordered.reserve(updates.size());
  for (const Update* u : updates)
    if (u->state == UpdateState::kValidated && u->date <= as_of) ordered.push_back(u);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Update* x, const Update* y) {
    return x->date != y->date ? x->date < y->date : x->id < y->id;
  });
  for (const Update* u : ordered) {
    if (u->response) {
      st.response = *u->response;
      st.response_date = u->date;
    }
    if (u->response_status) recorded = *u->response_status;
    if (u->implementation) st.implementation = *u->implementation;
    if (!u->narrative.empty()) st.latest_narrative = u->narrative;
    // The imported response may be dated after every update.
    if (!st.last_progress || u->date > *st.last_progress) st.last_progress = u->date;
  }

  if (st.response != ResponseKind::kNone || recorded == ResponseStatus::kResponded) {
    st.response_status = ResponseStatus::kResponded;
  } else if (recorded == ResponseStatus::kPartial) {
    st.response_status = ResponseStatus::kPartial;
  } else if (due && as_of > *due) {
    st.response_status = ResponseStatus::kOverdue;
  } else if (recorded == ResponseStatus::kOverdue && (!recorded_on || as_of >= *recorded_on)) {
    st.response_status = ResponseStatus::kOverdue;
  } else {
    st.response_status = ResponseStatus::kPending;
  }
  return st;
}

ResponseStatus RollUpResponse(std::span<const ResponseStatus> statuses) {
  if (statuses.empty()) return ResponseStatus::kPending;
  size_t responded = 0;
  bool partial = false, overdue = false;
  for (auto s : statuses) {
    if (s == ResponseStatus::kResponded) ++responded;
    if (s == ResponseStatus::kPartial) partial = true;
    if (s == ResponseStatus::kOverdue) overdue = true;
  }
  if (responded == statuses.size()) return ResponseStatus::kResponded;
  if (responded > 0 || partial) return ResponseStatus::kPartial;
  if (overdue) return ResponseStatus::kOverdue;
  return ResponseStatus::kPending;
}

Implementation RollUpImplementation(std::span<const Implementation> statuses) {
  if (statuses.empty()) return Implementation::kNotStarted;
  bool all_same = std::all_of(statuses.begin(), statuses.end(),
                              [&](Implementation i) { return i == statuses[0]; });
  if (all_same) return statuses[0];
  auto any = [&](Implementation x) {
    return std::find(statuses.begin(), statuses.end(), x) != statuses.end();
  };
  // Superseded recommendations need no more work: implemented + superseded is done.
  bool all_done = std::all_of(statuses.begin(), statuses.end(), [](Implementation i) {
    return i == Implementation::kImplemented || i == Implementation::kSuperseded;
  });
  if (all_done) return Implementation::kImplemented;
  if (any(Implementation::kImplemented) || any(Implementation::kPartiallyImplemented))
    return Implementation::kPartiallyImplemented;
  if (any(Implementation::kInProgress)) return Implementation::kInProgress;
  if (any(Implementation::kNotStarted)) return Implementation::kNotStarted;
  if (any(Implementation::kUnknown)) return Implementation::kUnknown;
  return Implementation::kNotImplemented;
}

bool IsOutstanding(Implementation i) {
  return i != Implementation::kImplemented && i != Implementation::kSuperseded;
}

std::optional<Date> EffectiveTarget(const Recommendation& r, const Assignment& a) {
  return a.target ? a.target : r.target;
}

std::optional<int> DaysPastTarget(Implementation i, std::optional<Date> target, Date as_of) {
  if (!target || !(*target < as_of)) return std::nullopt;
  if (i == Implementation::kImplemented || i == Implementation::kSuperseded ||
      i == Implementation::kNotImplemented)
    return std::nullopt;
  return as_of - *target;
}

}  // namespace rectrack

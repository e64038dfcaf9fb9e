#pragma once
// The checks an update passes before it is written, whoever writes it: the
// command line (`rectrack update`), the submit form and the JSON API. One set
// of rules, so that no path accepts what another refuses.

#include <string>
#include <vector>

#include "core/date.h"
#include "core/model.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack {

// What an editor sends, from JSON or a form, before it is checked.
struct UpdateInput {
  std::string date;  // YYYY-MM-DD; empty: today
  std::string response;
  std::string response_text;
  std::string response_status;
  std::string implementation;
  std::string narrative;
  std::vector<std::string> evidence;  // http(s) URLs
};

// A field at fault and what is wrong with it, for a form's error summary.
struct FieldProblem {
  std::string field;  // "date", "response", "response_status", "implementation",
                      // "response_text", "narrative", "evidence"
  std::string message;
};

// An update from the form's or the API's words (canonical names), checked by
// CheckUpdate. On failure `bad_field` names the first field at fault and, when
// given, `all` gets every field's problem (a form shows them at once).
Result<Update> MakeUpdate(const UpdateInput& in, Date today, const std::string& author,
                          std::string* bad_field, std::vector<FieldProblem>* all = nullptr);

// The update itself: dated no later than `today`; evidence only web addresses
// (https:// or http://, no spaces or control characters, at most 2,000 bytes,
// at most 20); texts of at most 20,000 bytes; something said (a response, a
// status, a text or a narrative).
Status CheckUpdate(const Update& u, Date today, std::string* bad_field);

// The update against what it updates: not dated before the recommendation was
// made, and not an exact copy of one the assignment has (submitted or
// validated; a returned one may be sent again).
Status CheckUpdateAgainst(const RecommendationView& view,
                          const RecommendationView::AssignmentView& assignment, const Update& u,
                          std::string* bad_field);
// The same, for the assignment with this id, read from `store`.
Status CheckUpdateFor(Store& store, const AssignmentRef& assignment, const Update& u,
                      std::string* bad_field);

// An implementation target for an assignment of `view` (issue 9, item 5):
// `text` is YYYY-MM-DD, or "none" (empty: nothing) to clear the assignment's
// own and fall back on the recommendation's. A date may lie in the past (an
// agreed date recorded late) but not before the recommendation was made (or,
// without that date, the source's).
Result<std::optional<Date>> ParseTarget(const RecommendationView& view, std::string_view text);

}  // namespace rectrack

#include "app/updates.h"

#include <algorithm>
#include <tuple>

#include "core/vocab.h"
#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {

namespace {

constexpr size_t kMaxText = 20000;
constexpr size_t kMaxUrl = 2000;
constexpr size_t kMaxEvidence = 20;

Status Bad(std::string* bad_field, const char* field, std::string message) {
  if (bad_field) *bad_field = field;
  return Fail(Error::Invalid(std::move(message)));
}

}  // namespace

namespace {

// Every problem of the update's own fields, in form order. `parsed_ok`: the
// words of the response and statuses were known (else "say what has changed"
// would blame the narrative for a mistyped status).
void CheckFields(const Update& u, Date today, bool parsed_ok, std::vector<FieldProblem>* out) {
  auto add = [&](const char* field, std::string message) {
    for (const auto& p : *out)
      if (p.field == field) return;
    out->push_back({field, std::move(message)});
  };
  if (u.date > today)
    add("date", fmt::format("The date of an update cannot be in the future ({} is after today, {})",
                            u.date.ToIso(), today.ToIso()));
  // Invisible control characters (NUL, ESC...) are no part of any text.
  for (auto [field, text, what] : {std::tuple{"response_text", &u.response_text, "response text"},
                                   {"narrative", &u.narrative, "narrative"}}) {
    if (size_t at = FindControlCharacter(*text); at != std::string::npos)
      add(field, fmt::format("Remove the control character ({}) from the {}: text may hold "
                             "line breaks and tabs, not other control characters",
                             CodePointAt(*text, at), what));
  }
  if (u.response_text.size() > kMaxText)
    add("response_text", fmt::format("The response text has at most {} characters", kMaxText));
  if (u.narrative.size() > kMaxText)
    add("narrative", fmt::format("The narrative has at most {} characters", kMaxText));
  if (u.evidence.size() > kMaxEvidence)
    add("evidence", fmt::format("Give at most {} evidence links", kMaxEvidence));
  for (const auto& e : u.evidence) {
    // Links end up in pages: only web addresses, never javascript:, data: or ftp:.
    bool web = e.rfind("https://", 0) == 0 || e.rfind("http://", 0) == 0;
    bool clean = std::none_of(e.begin(), e.end(), [](char c) {
      auto x = static_cast<unsigned char>(c);
      return x <= 0x20 || x == 0x7f;
    });
    if (!web || !clean || e.size() > kMaxUrl || e.size() < 10)
      add("evidence", fmt::format("Evidence must be web addresses starting https:// or http:// "
                                  "('{}' is not)",
                                  e.substr(0, 80)));
  }
  if (parsed_ok && !u.response && !u.response_status && !u.implementation &&
      u.narrative.empty() && u.response_text.empty())
    add("narrative", "Say what has changed: a response, a status or a narrative");
}

// The first of `problems` as the error, with its field; all of them to `all`.
Status Report(const std::vector<FieldProblem>& problems, std::string* bad_field,
              std::vector<FieldProblem>* all) {
  if (all) *all = problems;
  if (problems.empty()) return {};
  if (bad_field) *bad_field = problems[0].field;
  return Fail(Error::Invalid(problems[0].message));
}

// In form order, whatever order they were found in.
void SortByForm(std::vector<FieldProblem>* problems) {
  static constexpr const char* kOrder[] = {"date", "response", "response_text", "response_status",
                                           "implementation", "narrative", "evidence"};
  auto rank = [](const std::string& f) {
    for (size_t i = 0; i < std::size(kOrder); ++i)
      if (f == kOrder[i]) return i;
    return std::size(kOrder);
  };
  std::stable_sort(problems->begin(), problems->end(),
                   [&](const FieldProblem& a, const FieldProblem& b) {
                     return rank(a.field) < rank(b.field);
                   });
}

}  // namespace

Result<Update> MakeUpdate(const UpdateInput& in, Date today, const std::string& author,
                          std::string* bad_field, std::vector<FieldProblem>* all) {
  std::vector<FieldProblem> problems;
  Update u;
  u.author = author;
  u.state = UpdateState::kSubmitted;
  u.date = today;
  bool parsed_ok = true;
  if (!in.date.empty()) {
    auto d = Date::ParseIso(in.date);
    if (!d) {
      // "2018-02-30" has the form but is no day: say which.
      bool form = in.date.size() == 10 && in.date[4] == '-' && in.date[7] == '-' &&
                  std::all_of(in.date.begin(), in.date.end(),
                              [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
      problems.push_back({"date", form ? fmt::format("{} is not a day of the calendar: enter a "
                                                     "real date, for example {}",
                                                     in.date, today.ToIso())
                                       : "Enter the date as YYYY-MM-DD, for example " +
                                             today.ToIso()});
    } else {
      u.date = *d;
    }
  }
  if (!in.response.empty()) {
    auto r = ParseResponseKind(in.response);
    if (!r) problems.push_back({"response", fmt::format("Unknown response '{}'", in.response)});
    else u.response = *r;
    parsed_ok &= r.has_value();
  }
  if (!in.response_status.empty()) {
    auto r = ParseResponseStatus(in.response_status);
    if (!r)
      problems.push_back({"response_status", fmt::format("Unknown status '{}'", in.response_status)});
    else u.response_status = *r;
    parsed_ok &= r.has_value();
  }
  if (!in.implementation.empty()) {
    auto r = ParseImplementation(in.implementation);
    if (!r)
      problems.push_back({"implementation",
                          fmt::format("Unknown implementation status '{}'", in.implementation)});
    else u.implementation = *r;
    parsed_ok &= r.has_value();
  }
  u.response_text = in.response_text;
  u.narrative = in.narrative;
  u.evidence = in.evidence;
  CheckFields(u, today, parsed_ok, &problems);  // a date not read is today: not "future"
  SortByForm(&problems);
  RT_TRY(Report(problems, bad_field, all));
  return u;
}

Status CheckUpdate(const Update& u, Date today, std::string* bad_field) {
  std::vector<FieldProblem> problems;
  CheckFields(u, today, true, &problems);
  return Report(problems, bad_field, nullptr);
}

Status CheckUpdateAgainst(const RecommendationView& view,
                          const RecommendationView::AssignmentView& assignment, const Update& u,
                          std::string* bad_field) {
  if (view.recommendation.made && u.date < *view.recommendation.made)
    return Bad(bad_field, "date",
               fmt::format("The date {} is before the recommendation was made ({})",
                           u.date.ToIso(), view.recommendation.made->ToIso()));
  for (const Update& x : assignment.updates) {
    if (x.state == UpdateState::kReturned) continue;
    if (x.date == u.date && x.response == u.response && x.response_status == u.response_status &&
        x.implementation == u.implementation && x.response_text == u.response_text &&
        x.narrative == u.narrative && x.evidence == u.evidence)
      return Bad(bad_field, "narrative",
                 fmt::format("This update is already recorded for {} (dated {}, {})",
                             assignment.owner.name, x.date.ToIso(),
                             x.state == UpdateState::kValidated ? "validated" : "awaiting review"));
  }
  return {};
}

Status CheckUpdateFor(Store& store, const AssignmentRef& assignment, const Update& u,
                      std::string* bad_field) {
  auto view = store.GetRecommendation(assignment.source_slug, assignment.ref);
  if (!view) return Fail(view.error());
  for (const auto& av : view->assignments)
    if (av.assignment.id == assignment.id) return CheckUpdateAgainst(*view, av, u, bad_field);
  return Fail(Error::NotFound(fmt::format("no assignment {}", assignment.id)));
}

Result<std::optional<Date>> ParseTarget(const RecommendationView& view, std::string_view text) {
  if (text == "none") return std::optional<Date>();
  auto d = Date::ParseIso(text);
  if (!d)
    return Fail(Error::Invalid(fmt::format(
        "'{}' is not a date: give the target as YYYY-MM-DD (a real day), or none to clear it",
        text)));
  const auto since = view.recommendation.made ? view.recommendation.made : view.source.date;
  if (since && *d < *since)
    return Fail(Error::Invalid(fmt::format(
        "{} is before the recommendation was made ({}): a target cannot come before it",
        d->ToIso(), since->ToIso())));
  return std::optional<Date>(*d);
}

}  // namespace rectrack

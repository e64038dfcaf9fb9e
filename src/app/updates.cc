#include "app/updates.h"

#include <algorithm>

#include "core/vocab.h"
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

Result<Update> MakeUpdate(const UpdateInput& in, Date today, const std::string& author,
                          std::string* bad_field) {
  auto bad = [&](const char* field, std::string message) -> Result<Update> {
    return Fail(Bad(bad_field, field, std::move(message)).error());
  };
  Update u;
  u.author = author;
  u.state = UpdateState::kSubmitted;
  if (in.date.empty()) {
    u.date = today;
  } else {
    auto d = Date::ParseIso(in.date);
    if (!d) {
      // "2018-02-30" has the form but is no day: say which.
      bool form = in.date.size() == 10 && in.date[4] == '-' && in.date[7] == '-' &&
                  std::all_of(in.date.begin(), in.date.end(),
                              [](char c) { return c == '-' || (c >= '0' && c <= '9'); });
      return bad("date", form ? fmt::format("{} is not a day of the calendar", in.date)
                              : "Enter the date as YYYY-MM-DD, for example 2024-03-01");
    }
    u.date = *d;
  }
  if (!in.response.empty()) {
    auto r = ParseResponseKind(in.response);
    if (!r) return bad("response", fmt::format("Unknown response '{}'", in.response));
    u.response = *r;
  }
  if (!in.response_status.empty()) {
    auto r = ParseResponseStatus(in.response_status);
    if (!r) return bad("response_status", fmt::format("Unknown status '{}'", in.response_status));
    u.response_status = *r;
  }
  if (!in.implementation.empty()) {
    auto r = ParseImplementation(in.implementation);
    if (!r)
      return bad("implementation",
                 fmt::format("Unknown implementation status '{}'", in.implementation));
    u.implementation = *r;
  }
  u.response_text = in.response_text;
  u.narrative = in.narrative;
  u.evidence = in.evidence;
  if (auto c = CheckUpdate(u, today, bad_field); !c) return Fail(c.error());
  return u;
}

Status CheckUpdate(const Update& u, Date today, std::string* bad_field) {
  if (u.date > today)
    return Bad(bad_field, "date",
               fmt::format("The date of an update cannot be in the future ({} is after today, {})",
                           u.date.ToIso(), today.ToIso()));
  if (u.response_text.size() > kMaxText)
    return Bad(bad_field, "response_text",
               fmt::format("The response text has at most {} characters", kMaxText));
  if (u.narrative.size() > kMaxText)
    return Bad(bad_field, "narrative",
               fmt::format("The narrative has at most {} characters", kMaxText));
  if (u.evidence.size() > kMaxEvidence)
    return Bad(bad_field, "evidence", fmt::format("Give at most {} evidence links", kMaxEvidence));
  for (const auto& e : u.evidence) {
    // Links end up in pages: only web addresses, never javascript:, data: or ftp:.
    bool web = e.rfind("https://", 0) == 0 || e.rfind("http://", 0) == 0;
    bool clean = std::none_of(e.begin(), e.end(), [](char c) {
      auto x = static_cast<unsigned char>(c);
      return x <= 0x20 || x == 0x7f;
    });
    if (!web || !clean || e.size() > kMaxUrl || e.size() < 10)
      return Bad(bad_field, "evidence",
                 fmt::format("Evidence must be web addresses starting https:// or http:// ('{}' "
                             "is not)",
                             e.substr(0, 80)));
  }
  if (!u.response && !u.response_status && !u.implementation && u.narrative.empty() &&
      u.response_text.empty())
    return Bad(bad_field, "narrative", "Say what has changed: a response, a status or a narrative");
  return {};
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

#include "app/views.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include "app/chase.h"
#include "app/facts_index.h"
#include "app/service.h"
#include "core/status.h"
#include "core/text.h"
#include "report/report_render.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

using json = nlohmann::json;

json OptDate(const std::optional<Date>& d) { return d ? json(d->ToIso()) : json(nullptr); }
template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json SourceLinks(const std::string& slug) {
  return {{"self", "/api/v1/sources/" + PercentEncodeSlug(slug)},
          {"html", "/sources/" + PercentEncodeSlug(slug)},
          {"recommendations", "/api/v1/sources/" + PercentEncodeSlug(slug) + "/recommendations"}};
}

}  // namespace

// Slugs are URL-safe by construction; this guards against stored oddities.
// The kinds of the store's sources, each once, sorted.
Result<std::vector<std::string>> KindsInStore(Store& store) {
  auto sources = store.ListSources();
  if (!sources) return Fail(sources.error());
  std::set<std::string> kinds;
  for (const auto& s : *sources) kinds.insert(s.kind);
  return std::vector<std::string>(kinds.begin(), kinds.end());
}

std::string PercentEncodeSlug(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

namespace {

json AssignmentJson(const AssignmentAsOf& c, Date as_of) {
  json j = {{"assignment_id", c.a->id},
            {"owner_id", c.a->owner_id},
            {"owner", c.owner ? c.owner->name : ""},
            {"tier", c.owner ? c.owner->tier : "unclassified"},
            {"response", Name(c.st.response)},
            {"response_status", Name(c.st.response_status)},
            {"implementation", Name(c.st.implementation)},
            {"due", OptDate(c.due)},
            {"days_overdue", nullptr},
            {"target", nullptr},
            {"days_past_target", nullptr},
            {"last_progress", OptDate(c.st.last_progress)}};
  if (c.st.response_status == ResponseStatus::kOverdue && c.due) j["days_overdue"] = as_of - *c.due;
  j["target"] = OptDate(c.target);
  if (c.days_past_target) j["days_past_target"] = *c.days_past_target;
  return j;
}

json OwnerRowJson(const OwnerRow& r) {
  json j = {{"owner_id", r.owner_id}, {"owner", r.owner}, {"tier", r.tier}, {"total", r.total}};
  for (ResponseStatus s : kAllResponseStatuses)
    j[std::string(Name(s))] = r.by_response_status[static_cast<int>(s)];
  for (Implementation i : kAllImplementations)
    j[std::string(Name(i))] = r.by_implementation[static_cast<int>(i)];
  j["past_target"] = r.past_target;
  j["median_days_since_progress"] = Opt(r.median_days_since_progress);
  j["links"] = {{"html", fmt::format("/owners/{}", r.owner_id)},
                {"self", fmt::format("/api/v1/owners/{}", r.owner_id)}};
  return j;
}

bool MatchesFilter(const AssignmentAsOf& c, const ListFilter& f, std::optional<int64_t> owner_id,
                   std::optional<ResponseStatus> want_rs, std::optional<Implementation> want_impl) {
  if (owner_id && c.a->owner_id != *owner_id) return false;
  if (!f.tier.empty() && (!c.owner || c.owner->tier != f.tier)) return false;
  if (f.overdue && c.st.response_status != ResponseStatus::kOverdue) return false;
  if (f.past_target && !c.days_past_target) return false;
  if (want_rs && c.st.response_status != *want_rs) return false;
  if (want_impl && c.st.implementation != *want_impl) return false;
  return true;
}

}  // namespace

std::string EncodeCursor(int64_t last_id) { return fmt::format("r{}", last_id); }

std::optional<int64_t> DecodeCursor(const std::string& cursor) {
  if (cursor.size() < 2 || cursor[0] != 'r' || cursor.size() > 20) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 1; i < cursor.size(); ++i) {
    if (cursor[i] < '0' || cursor[i] > '9') return std::nullopt;
    v = v * 10 + (cursor[i] - '0');
  }
  return v;
}

Result<json> SourcesDoc(Store& store, Date as_of, const std::string& kind, const Page& page) {
  SourcesFilter f;
  f.kind = kind;
  return SourcesDoc(store, as_of, f, page);
}

Result<json> SourcesDoc(Store& store, Date as_of, const SourcesFilter& want, const Page& page) {
  const std::string& kind = want.kind;
  FactsFilter filter;
  filter.source_kind = kind;
  // Categories (themes) come with the texts: read them for one kind's list
  // (its choices) or a category asked for, not for every source at once.
  filter.with_text = !kind.empty() || !want.theme.empty();
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  auto lower = [](std::string t) {
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return t;
  };
  // The owner asked for, by name or alias.
  std::optional<int64_t> owner_id;
  if (!want.owner.empty()) {
    const std::string w = lower(want.owner);
    for (const auto& o : facts->owners) {
      bool hit = lower(o.name) == w;
      for (const auto& a : o.aliases) hit |= lower(a) == w;
      if (hit) owner_id = o.id;
    }
    if (!owner_id)
      return Fail(Error::NotFound(fmt::format("owner: no body called '{}'", want.owner)));
  }
  // What each source holds, for the theme and owner filters and the choices.
  std::unordered_map<int64_t, std::set<std::string>> themes_of;
  std::set<std::string> all_themes;
  std::unordered_map<int64_t, int64_t> source_of_rec;
  for (const auto& r : facts->recommendations) {
    source_of_rec[r.id] = r.source_id;
    for (const auto& t : r.themes) {
      themes_of[r.source_id].insert(lower(t));
      all_themes.insert(t);
    }
  }
  std::set<int64_t> names_owner;
  if (owner_id)
    for (const auto& a : facts->assignments)
      if (a.owner_id == *owner_id) names_owner.insert(source_of_rec[a.recommendation_id]);
  std::set<int, std::greater<int>> years;
  for (const auto& s : facts->sources)
    if (s.date) years.insert(s.date->year());
  auto keep = [&](const Source& s) {
    if (want.year && (!s.date || s.date->year() != want.year)) return false;
    if (!want.area.empty() && lower(s.notes + " " + s.author).find(lower(want.area)) == std::string::npos)
      return false;
    if (!want.theme.empty() && !themes_of[s.id].count(lower(want.theme))) return false;
    if (owner_id && !names_owner.count(s.id)) return false;
    return true;
  };
  FactsIndex index(*facts, as_of);
  struct Progress {
    int recs = 0, implemented = 0, overdue = 0;
  };
  std::unordered_map<int64_t, Progress> progress;
  std::unordered_map<int64_t, std::vector<Implementation>> impl_by_rec;
  for (const auto& c : index.computed()) {
    impl_by_rec[c.rec->id].push_back(c.st.implementation);
    if (c.st.response_status == ResponseStatus::kOverdue) ++progress[c.source->id].overdue;
  }
  for (const auto& r : facts->recommendations) {
    auto& p = progress[r.source_id];
    ++p.recs;
    auto it = impl_by_rec.find(r.id);
    if (it != impl_by_rec.end() && RollUpImplementation(it->second) == Implementation::kImplemented)
      ++p.implemented;
  }
  std::vector<const Source*> sources;
  for (const auto& s : facts->sources)
    if (keep(s)) sources.push_back(&s);
  // By kind, then newest first (undated last), then the latest added first.
  std::sort(sources.begin(), sources.end(), [](const Source* a, const Source* b) {
    if (a->kind != b->kind) return a->kind < b->kind;
    if (a->date != b->date) {
      if (!a->date || !b->date) return a->date.has_value();
      return *a->date > *b->date;
    }
    return a->id > b->id;
  });
  std::map<std::string, int> kinds;
  for (const Source* s : sources) ++kinds[s->kind];
  int limit = std::max(page.limit, 1);  // callers bound what clients may ask
  auto after = DecodeCursor(page.after);
  if (!page.after.empty() && !after) return Fail(Error::Invalid("invalid cursor"));
  json items = json::array();
  bool started = !after;
  std::string next;
  for (const Source* s : sources) {
    if (!started) {
      if (s->id == *after) started = true;
      continue;
    }
    if (static_cast<int>(items.size()) == limit) {
      next = EncodeCursor(items.back()["id"].get<int64_t>());
      break;
    }
    const auto& p = progress[s->id];
    items.push_back({{"id", s->id},
                     {"slug", s->slug},
                     {"kind", s->kind},
                     {"title", s->title},
                     {"author", s->author},
                     {"date", OptDate(s->date)},
                     {"stated_total", Opt(s->stated_total)},
                     {"recommendations", p.recs},
                     {"implemented", p.implemented},
                     {"percent_implemented", p.recs ? p.implemented * 100 / p.recs : 0},
                     {"overdue_assignments", p.overdue},
                     {"links", SourceLinks(s->slug)}});
  }
  json k = json::array();
  for (const auto& [name, count] : kinds) k.push_back({{"kind", name}, {"sources", count}});
  return json{{"as_of", as_of.ToIso()},
              {"kinds", k},
              {"total", sources.size()},
              {"years", years},
              {"themes", all_themes},
              {"sources", items},
              {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
}

Result<json> SourceDoc(Store& store, const std::string& slug, Date as_of) {
  auto data = LiveReport(store, slug, as_of);
  if (!data) return Fail(data.error());
  FactsFilter filter;
  filter.source_slug = slug;
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  auto rows = OwnersTable(*facts, as_of);
  auto pubs = store.ListPublications(slug);
  if (!pubs) return Fail(pubs.error());
  const Source& s = facts->sources.front();
  json j = {{"id", s.id},
            {"slug", s.slug},
            {"kind", s.kind},
            {"title", s.title},
            {"author", s.author},
            {"commissioned_by", s.commissioned_by},
            {"date", OptDate(s.date)},
            {"url", s.url},
            {"notes", s.notes},
            {"response_days", Opt(s.response_days)},
            {"recorded_on", OptDate(s.recorded_on)},
            {"stated_total", Opt(s.stated_total)},
            {"as_of", as_of.ToIso()},
            {"recommendations", data->total},
            {"implemented", data->implemented},
            {"percent_implemented", data->total ? data->implemented * 100 / data->total : 0},
            {"last_changed", nullptr},
            {"links", SourceLinks(s.slug)}};
  // The latest day anything of it changed, as of `as_of`: its record, a
  // response, a validated update.
  std::optional<Date> last;
  auto consider = [&](std::optional<Date> d) {
    if (d && *d <= as_of && (!last || *d > *last)) last = d;
  };
  consider(s.date);
  consider(s.recorded_on);
  for (const auto& a : facts->assignments) consider(a.initial.response_date);
  for (const auto& u : facts->updates) consider(u.date);
  j["last_changed"] = OptDate(last);
  // The response clock: who has answered, who is awaited, who is late and by
  // how long. What a coroner's report is about first, before implementation.
  {
    FactsIndex index(*facts, as_of);
    int64_t bodies = 0, responded = 0, pending = 0, overdue = 0;
    std::optional<int64_t> longest;
    std::optional<Date> next_due, overdue_since;
    for (const auto& c : index.computed()) {
      ++bodies;
      switch (c.st.response_status) {
        case ResponseStatus::kResponded:
        case ResponseStatus::kPartial: ++responded; break;
        case ResponseStatus::kOverdue:
          ++overdue;
          if (c.due && (!longest || as_of - *c.due > *longest)) {
            longest = as_of - *c.due;
            overdue_since = c.due;
          }
          break;
        case ResponseStatus::kPending:
          ++pending;
          if (c.due && (!next_due || *c.due < *next_due)) next_due = c.due;
          break;
      }
    }
    j["response_clock"] = {{"bodies", bodies},
                           {"responded", responded},
                           {"pending", pending},
                           {"overdue", overdue},
                           {"longest_overdue_days", Opt(longest)},
                           {"overdue_since", OptDate(overdue_since)},
                           {"next_due", OptDate(next_due)}};
  }
  json bi = json::object(), br = json::object();
  for (Implementation i : kAllImplementations)
    bi[std::string(Name(i))] = data->by_implementation[static_cast<int>(i)];
  for (ResponseStatus r : kAllResponseStatuses)
    br[std::string(Name(r))] = data->by_response_status[static_cast<int>(r)];
  j["by_implementation"] = bi;
  j["by_response_status"] = br;
  json owners = json::array();
  for (const auto& r : rows) owners.push_back(OwnerRowJson(r));
  j["owners"] = owners;
  json funding = json::array();
  for (const auto& f : data->funding)
    funding.push_back({{"owner", f.owner}, {"item", f.item}, {"period", f.period},
                       {"cost", f.cost}, {"funded", f.funded}, {"gap", f.gap},
                       {"currency", f.currency}});
  j["funding"] = funding;
  j["funding_totals"] = {
      {"cost", data->funding_cost}, {"funded", data->funding_funded}, {"gap", data->funding_gap}};
  json changes = json::array();
  for (const auto& c : data->changes)
    changes.push_back(
        {{"ref", c.ref}, {"owner", c.owner}, {"field", c.field}, {"from", c.from}, {"to", c.to}});
  j["changes"] = {{"since", data->previous ? json{{"publication_id", data->previous->id},
                                                  {"title", data->previous->title},
                                                  {"as_of", data->previous->as_of.ToIso()}}
                                           : json(nullptr)},
                  {"items", changes}};
  json p = json::array();
  for (const auto& pub : *pubs)
    p.push_back({{"id", pub.id},
                 {"title", pub.title},
                 {"as_of", pub.as_of.ToIso()},
                 {"ledger_seq", pub.ledger_seq},
                 {"snapshot_sha256", pub.snapshot_sha256},
                 {"links", {{"self", fmt::format("/api/v1/publications/{}", pub.id)},
                            {"html", fmt::format("/publications/{}", pub.id)}}}});
  j["publications"] = p;
  json t = json::array();
  for (const auto& pt : data->timeline)
    t.push_back({{"date", pt.date.ToIso()}, {"implemented", pt.implemented}});
  j["timeline"] = t;
  return j;
}

Result<json> RecommendationsDoc(Store& store, const std::string& slug, Date as_of,
                                const ListFilter& filter, const Page& page) {
  FactsFilter ff;
  ff.source_slug = slug;
  ff.with_text = true;
  auto facts = store.LoadFacts(ff);
  if (!facts) return Fail(facts.error());
  FactsIndex index(*facts, as_of);
  std::optional<int64_t> owner_id;
  if (!filter.owner.empty()) {
    owner_id = index.OwnerByName(filter.owner);
    if (!owner_id) return Fail(Error::NotFound(fmt::format("no owner '{}'", filter.owner)));
  }
  if (!filter.tier.empty() && !IsTier(filter.tier))
    return Fail(Error::Invalid(fmt::format("unknown tier '{}'", filter.tier)));
  std::optional<ResponseStatus> want_rs;
  std::optional<Implementation> want_impl;
  if (!filter.status.empty()) {
    if (auto s = ParseResponseStatus(filter.status)) want_rs = *s;
    else if (auto i = ParseImplementation(filter.status)) want_impl = *i;
    else return Fail(Error::Invalid(fmt::format("unknown status '{}'", filter.status)));
  }
  int limit = std::max(page.limit, 1);  // callers bound what clients may ask
  std::optional<int64_t> after;
  if (!page.after.empty()) {
    after = DecodeCursor(page.after);
    if (!after) return Fail(Error::Invalid("invalid cursor"));
  }
  bool any_filter = owner_id || !filter.tier.empty() || filter.overdue || want_rs || want_impl;
  json items = json::array();
  std::string next;
  int matched = 0;
  for (const auto& r : facts->recommendations) {  // in id order
    auto cs = index.ForRec(r.id);
    bool match = !any_filter;
    for (const AssignmentAsOf* c : cs)
      if (MatchesFilter(*c, filter, owner_id, want_rs, want_impl)) match = true;
    if (!filter.theme.empty() &&
        std::find(r.themes.begin(), r.themes.end(), filter.theme) == r.themes.end())
      match = false;
    if (!match) continue;
    ++matched;
    if (after && r.id <= *after) continue;
    if (static_cast<int>(items.size()) == limit) {
      if (next.empty()) next = EncodeCursor(items.back()["id"].get<int64_t>());
      continue;  // keep counting matches
    }
    json owners = json::array();
    std::vector<ResponseStatus> rs;
    std::vector<Implementation> impl;
    for (const AssignmentAsOf* c : cs) {
      owners.push_back(AssignmentJson(*c, as_of));
      rs.push_back(c->st.response_status);
      impl.push_back(c->st.implementation);
    }
    items.push_back({{"id", r.id},
                     {"ref", r.ref},
                     {"text", r.text},
                     {"themes", r.themes},
                     {"made", OptDate(r.made)},
                     {"url", r.url},
                     {"response_status", Name(RollUpResponse(rs))},
                     {"implementation", Name(RollUpImplementation(impl))},
                     {"assignments", owners},
                     {"links", {{"self", fmt::format("/api/v1/recommendations/{}", r.id)},
                                {"html", fmt::format("/recommendations/{}", r.id)}}}});
  }
  return json{{"source", slug},
              {"as_of", as_of.ToIso()},
              {"filter", {{"owner", filter.owner}, {"tier", filter.tier},
                          {"status", filter.status}, {"overdue", filter.overdue},
                          {"past_target", filter.past_target}, {"theme", filter.theme}}},
              {"total", matched},
              {"recommendations", items},
              {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
}

Result<json> ChangesIfValidated(Store& store, const UpdateWithAssignment& x, Date today) {
  auto v = store.GetRecommendationById(x.assignment.recommendation_id);
  if (!v) return Fail(v.error());
  json out = json::array();
  for (const auto& av : v->assignments) {
    if (av.assignment.id != x.assignment.id) continue;
    std::vector<const Update*> now;
    for (const auto& u : av.updates)
      if (u.id != x.update.id) now.push_back(&u);
    Update as_validated = x.update;
    as_validated.state = UpdateState::kValidated;
    std::vector<const Update*> then = now;
    then.push_back(&as_validated);
    const auto due = DueDate(v->source, av.assignment);
    const Date as_of = std::max(today, x.update.date);
    EffectiveState before = StateAt(av.assignment, due, now, as_of, v->source.recorded_on);
    EffectiveState after = StateAt(av.assignment, due, then, as_of, v->source.recorded_on);
    auto add = [&](const char* field, std::string_view b, std::string_view a) {
      if (a != b) out.push_back({{"field", field}, {"before", b}, {"after", a}});
    };
    add("Response", Label(before.response), Label(after.response));
    add("Response status", Label(before.response_status), Label(after.response_status));
    add("Implementation", Label(before.implementation), Label(after.implementation));
  }
  return out;
}

Result<json> RecommendationDoc(Store& store, int64_t id, Date as_of, bool include_unvalidated) {
  auto v = store.GetRecommendationById(id);
  if (!v) return Fail(v.error());
  const auto& r = v->recommendation;
  json assigns = json::array();
  std::vector<ResponseStatus> rs;
  std::vector<Implementation> impl;
  for (const auto& av : v->assignments) {
    std::vector<const Update*> ups;
    for (const auto& u : av.updates) ups.push_back(&u);
    AssignmentAsOf c;
    c.a = &av.assignment;
    c.rec = &r;
    c.owner = &av.owner;
    c.due = DueDate(v->source, av.assignment);
    c.st = StateAt(av.assignment, c.due, ups, as_of, v->source.recorded_on);
    c.target = EffectiveTarget(r, av.assignment);
    c.days_past_target = DaysPastTarget(c.st.implementation, c.target, as_of);
    rs.push_back(c.st.response_status);
    impl.push_back(c.st.implementation);
    json a = AssignmentJson(c, as_of);
    a["raw_status"] = av.assignment.raw_status;
    a["raw_response"] = av.assignment.raw_response;
    a["response_text"] = av.assignment.initial.response_text;
    a["response_date"] = OptDate(c.st.response_date);
    json history = json::array();
    for (const auto& u : av.updates) {
      if (!include_unvalidated && u.state != UpdateState::kValidated) continue;
      json h = {{"id", u.id},
                {"date", u.date.ToIso()},
                {"state", Name(u.state)},
                {"response", u.response ? json(Name(*u.response)) : json(nullptr)},
                {"response_text", u.response_text},
                {"response_status",
                 u.response_status ? json(Name(*u.response_status)) : json(nullptr)},
                {"implementation",
                 u.implementation ? json(Name(*u.implementation)) : json(nullptr)},
                {"narrative", u.narrative},
                {"evidence", u.evidence},
                {"author", u.author}};
      if (include_unvalidated) h["return_reason"] = u.return_reason;
      history.push_back(std::move(h));
    }
    a["updates"] = history;
    a["links"] = {{"owner", fmt::format("/owners/{}", av.owner.id)},
                  {"updates", fmt::format("/api/v1/assignments/{}/updates", av.assignment.id)}};
    assigns.push_back(std::move(a));
  }
  return json{{"id", r.id},
              {"ref", r.ref},
              {"text", r.text},
              {"themes", r.themes},
              {"made", OptDate(r.made)},
              {"target", OptDate(r.target)},
              {"made_by", r.made_by},
              {"url", r.url},
              {"as_of", as_of.ToIso()},
              {"source", {{"slug", v->source.slug}, {"title", v->source.title},
                          {"kind", v->source.kind}, {"links", SourceLinks(v->source.slug)}}},
              {"response_status", Name(RollUpResponse(rs))},
              {"implementation", Name(RollUpImplementation(impl))},
              {"assignments", assigns},
              {"links", {{"self", fmt::format("/api/v1/recommendations/{}", r.id)},
                         {"html", fmt::format("/recommendations/{}", r.id)}}}};
}

Result<json> OwnersDoc(Store& store, const std::string& source, const std::string& kind,
                       Date as_of) {
  FactsFilter filter;
  filter.source_slug = source;
  filter.source_kind = kind;
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  json rows = json::array();
  for (const auto& r : OwnersTable(*facts, as_of)) rows.push_back(OwnerRowJson(r));
  return json{{"as_of", as_of.ToIso()},
              {"source", source.empty() ? json(nullptr) : json(source)},
              {"kind", kind.empty() ? json(nullptr) : json(kind)},
              {"owners", rows}};
}

Result<json> OwnerDoc(Store& store, int64_t owner_id, Date as_of) {
  auto facts = store.LoadFacts(FactsFilter{"", "", true, false});
  if (!facts) return Fail(facts.error());
  const Owner* owner = nullptr;
  for (const auto& o : facts->owners)
    if (o.id == owner_id) owner = &o;
  if (!owner) return Fail(Error::NotFound(fmt::format("no owner {}", owner_id)));
  FactsIndex index(*facts, as_of);
  // The owner's row of the accountability table, over every source.
  Facts mine;
  mine.sources = facts->sources;
  mine.owners = {*owner};
  std::vector<const AssignmentAsOf*> held;
  for (const auto& c : index.computed())
    if (c.a->owner_id == owner_id) held.push_back(&c);
  std::unordered_map<int64_t, bool> rec_needed;
  for (const AssignmentAsOf* c : held) rec_needed[c->rec->id] = true;
  // PFD roll-ups need the recommendation's other assignments too.
  for (const auto& a : facts->assignments)
    if (rec_needed.count(a.recommendation_id)) mine.assignments.push_back(a);
  for (const auto& r : facts->recommendations)
    if (rec_needed.count(r.id)) mine.recommendations.push_back(r);
  std::unordered_map<int64_t, bool> asg_needed;
  for (const auto& a : mine.assignments) asg_needed[a.id] = true;
  for (const auto& u : facts->updates)
    if (asg_needed.count(u.assignment_id)) mine.updates.push_back(u);
  json summary = nullptr;
  for (const auto& row : OwnersTable(mine, as_of))
    if (row.owner_id == owner_id) summary = OwnerRowJson(row);

  std::stable_sort(held.begin(), held.end(), [&](const AssignmentAsOf* x, const AssignmentAsOf* y) {
    bool ox = x->st.response_status == ResponseStatus::kOverdue && x->due;
    bool oy = y->st.response_status == ResponseStatus::kOverdue && y->due;
    if (ox != oy) return ox;
    if (ox && oy && *x->due != *y->due) return *x->due < *y->due;  // longest overdue first
    return x->a->id < y->a->id;
  });
  json items = json::array();
  int overdue = 0;
  for (const AssignmentAsOf* c : held) {
    json a = AssignmentJson(*c, as_of);
    if (c->st.response_status == ResponseStatus::kOverdue) ++overdue;
    a["source"] = c->source->slug;
    a["source_title"] = c->source->title;
    a["ref"] = c->rec->ref;
    a["recommendation_id"] = c->rec->id;
    a["text"] = c->rec->text;
    a["links"] = {{"html", fmt::format("/recommendations/{}", c->rec->id)},
                  {"source", "/sources/" + PercentEncodeSlug(c->source->slug)}};
    items.push_back(std::move(a));
  }
  return json{{"id", owner->id},
              {"name", owner->name},
              {"tier", owner->tier},
              {"aliases", owner->aliases},
              {"as_of", as_of.ToIso()},
              {"summary", summary},
              {"overdue", overdue},
              {"assignments", items}};
}

Result<json> NonResponsesDoc(Store& store, Date as_of, const std::string& kind) {
  auto facts = store.LoadFacts(FactsFilter{"", "", false, false});
  if (!facts) return Fail(facts.error());
  std::set<std::string> kinds;
  for (const auto& s : facts->sources) kinds.insert(s.kind);
  if (!kind.empty() && !kinds.count(kind))
    return Fail(Error::Invalid(fmt::format(
        "kind '{}': no source of that kind (the kinds are {})", kind,
        kinds.empty() ? std::string("none yet")
                      : Join(std::vector<std::string>(kinds.begin(), kinds.end()), ", "))));
  FactsIndex index(*facts, as_of);
  std::vector<const AssignmentAsOf*> overdue;
  for (const auto& c : index.computed())
    if (c.st.response_status == ResponseStatus::kOverdue && c.due) overdue.push_back(&c);
  // Per kind, over every kind (the page's tabs).
  std::map<std::string, std::pair<int, std::set<int64_t>>> per_kind;
  for (const AssignmentAsOf* c : overdue) {
    auto& k = per_kind[c->source->kind];
    ++k.first;
    k.second.insert(c->a->owner_id);
  }
  json kinds_doc = json::array();
  for (const auto& [k, v] : per_kind)
    kinds_doc.push_back({{"kind", k}, {"non_responses", v.first}, {"owners", v.second.size()}});
  if (!kind.empty())
    overdue.erase(std::remove_if(overdue.begin(), overdue.end(),
                                 [&](const AssignmentAsOf* c) { return c->source->kind != kind; }),
                  overdue.end());
  std::stable_sort(overdue.begin(), overdue.end(), [](const AssignmentAsOf* x, const AssignmentAsOf* y) {
    if (*x->due != *y->due) return *x->due < *y->due;  // longest overdue first
    return x->a->id < y->a->id;
  });
  std::vector<int64_t> ids;
  for (const AssignmentAsOf* c : overdue) ids.push_back(c->a->id);
  auto chased = ChaseCounts(store, ids);
  if (!chased) return Fail(chased.error());
  json items = json::array();
  struct OwnerTotal {
    const Owner* owner = nullptr;
    int count = 0;
    int longest = 0;
  };
  std::map<int64_t, OwnerTotal> owners;
  for (const AssignmentAsOf* c : overdue) {
    int days = as_of - *c->due;
    auto ch = chased->find(c->a->id);
    items.push_back({{"assignment_id", c->a->id},
                     {"source", c->source->slug},
                     {"source_title", c->source->title},
                     {"kind", c->source->kind},
                     {"source_date", OptDate(c->source->date)},
                     {"ref", c->rec->ref},
                     {"recommendation_id", c->rec->id},
                     {"owner_id", c->a->owner_id},
                     {"owner", c->owner ? c->owner->name : ""},
                     {"tier", c->owner ? c->owner->tier : "unclassified"},
                     {"due", c->due->ToIso()},
                     {"days_overdue", days},
                     {"chasers_sent", ch == chased->end() ? 0 : ch->second.sent},
                     {"last_chased", ch == chased->end() ? json(nullptr)
                                                         : json(ch->second.last_sent_at.substr(0, 10))},
                     {"links",
                      {{"html", fmt::format("/recommendations/{}", c->rec->id)},
                       {"source", "/sources/" + PercentEncodeSlug(c->source->slug)},
                       {"owner", fmt::format("/owners/{}", c->a->owner_id)}}}});
    auto& o = owners[c->a->owner_id];
    o.owner = c->owner;
    ++o.count;
    o.longest = std::max(o.longest, days);
  }
  std::vector<std::pair<int64_t, OwnerTotal>> by_count(owners.begin(), owners.end());
  std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) {
    if (a.second.count != b.second.count) return a.second.count > b.second.count;
    std::string an = a.second.owner ? a.second.owner->name : "", bn = b.second.owner ? b.second.owner->name : "";
    return an < bn;
  });
  json owners_doc = json::array();
  for (const auto& [id, o] : by_count)
    owners_doc.push_back({{"owner_id", id},
                          {"owner", o.owner ? o.owner->name : ""},
                          {"tier", o.owner ? o.owner->tier : "unclassified"},
                          {"non_responses", o.count},
                          {"longest_days_overdue", o.longest},
                          {"links", {{"html", fmt::format("/owners/{}", id)}}}});
  return json{{"as_of", as_of.ToIso()},
              {"kind", kind.empty() ? json(nullptr) : json(kind)},
              {"total", items.size()},
              {"owners_count", owners_doc.size()},
              {"kinds", kinds_doc},
              {"owners", owners_doc},
              {"items", items}};
}

Result<json> SearchDoc(Store& store, const std::string& query, const Page& page) {
  // The cursor is where the next page starts, "s" and a number: results are
  // ranked, so a position is the one thing that says where a page ends.
  int offset = 0;
  if (!page.after.empty()) {
    const std::string& a = page.after;
    auto [end, ec] = std::from_chars(a.data() + 1, a.data() + a.size(), offset);
    if (a[0] != 's' || a.size() < 2 || ec != std::errc() || end != a.data() + a.size() ||
        offset < 0 || offset > kMaxSearchOffset)
      return Fail(Error::Invalid(
          fmt::format("after: '{}' is not a cursor of this search (use the next_cursor of the "
                      "page before; results go to {} at most)",
                      a, kMaxSearchOffset)));
  }
  const int limit = std::clamp(page.limit, 1, 200);
  auto total = store.SearchCount(query);
  if (!total) return Fail(total.error());
  auto hits = store.Search(query, limit, offset);
  if (!hits) return Fail(hits.error());
  const int64_t shown_to = offset + static_cast<int64_t>(hits->size());
  std::string next;
  if (shown_to < *total && shown_to < kMaxSearchOffset) next = fmt::format("s{}", shown_to);
  json items = json::array();
  for (const auto& h : *hits)
    items.push_back({{"source", h.source_slug},
                     {"ref", h.ref},
                     {"recommendation_id", h.recommendation_id},
                     {"field", h.field},
                     {"snippet", h.snippet},
                     {"rank", h.rank},
                     {"links", {{"html", fmt::format("/recommendations/{}", h.recommendation_id)},
                                {"self", fmt::format("/api/v1/recommendations/{}",
                                                     h.recommendation_id)}}}});
  return json{{"query", query},
              {"total", *total},
              {"offset", offset},
              {"results", items},
              {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
}

Result<json> PublicationDoc(Store& store, int64_t id) {
  // Served only if it passes its own check: never a forged one.
  auto pub = CheckedPublication(store, id);
  if (!pub) return Fail(pub.error());
  auto snapshot = json::parse(pub->snapshot_json, nullptr, false);
  if (snapshot.is_discarded())
    return Fail(Error::Corrupt(fmt::format("publication {} has an unreadable snapshot", id)));
  // Self-contained and signed (docs/signatures.md): `rectrack verify-publication`
  // checks this document offline. "snapshot_json" is the snapshot exactly as
  // stored and digested; "snapshot" is the same, parsed, for reading.
  // A correction is a new publication; the one it corrects stays, marked.
  auto corrected = CorrectionOf(store, id);
  if (!corrected) return Fail(corrected.error());
  json corrected_by = nullptr;
  if (*corrected) {
    auto later = ReportFromJson((*corrected)->snapshot_json);
    corrected_by = {{"id", (*corrected)->id},
                    {"title", (*corrected)->title},
                    {"created_at", (*corrected)->created_at},
                    {"reason", later ? later->correction_reason : std::string()},
                    {"links", {{"html", fmt::format("/publications/{}", (*corrected)->id)}}}};
  }
  json corrects = nullptr;
  if (snapshot.contains("publication") && snapshot["publication"].contains("corrects"))
    corrects = snapshot["publication"]["corrects"];
  json signature = nullptr;
  if (!pub->signature.empty())
    signature = {{"alg", "ed25519"},
                 {"public_key", pub->signing_key},
                 {"signature", pub->signature},
                 {"signed", "rectrack-publication-v1"}};
  return json{{"id", pub->id},
              {"source", pub->source_slug},
              {"title", pub->title},
              {"as_of", pub->as_of.ToIso()},
              {"created_at", pub->created_at},
              {"ledger_seq", pub->ledger_seq},
              {"ledger_hash", pub->ledger_hash},
              {"snapshot_sha256", pub->snapshot_sha256},
              {"corrects", corrects},
              {"corrected_by", corrected_by},
              {"snapshot", snapshot},
              {"snapshot_json", pub->snapshot_json},
              {"signature", signature},
              {"links", {{"html", fmt::format("/publications/{}", pub->id)},
                         {"self", fmt::format("/api/v1/publications/{}", pub->id)},
                         {"signing_key", "/api/v1/signing-key"}}}};
}

}  // namespace rectrack

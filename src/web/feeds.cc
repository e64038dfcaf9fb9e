#include "web/feeds.h"

#include <algorithm>
#include <unordered_map>

#include "app/views.h"
#include "core/text.h"
#include "fmt/format.h"

namespace rectrack::web {
namespace {

// The tagging entity of every id. A bare name is a valid DNSname for RFC 4151;
// the date is fixed forever, since changing it would change every id.
constexpr std::string_view kTagPrefix = "tag:rectrack,2016:";
constexpr size_t kMaxEntries = 200;

std::string AtomDate(Date d) { return d.ToIso() + "T00:00:00Z"; }

// An http(s) URL, the only evidence that becomes a link.
bool IsWebUrl(std::string_view u) {
  std::string lower = ToLowerAscii(u.substr(0, 8));
  return lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0;
}

struct Entry {
  const Update* update;
  const Assignment* assignment;
  const Recommendation* rec;
  const Source* source;
  const Owner* owner;
};

std::string Changes(const Update& u) {
  std::vector<std::string> parts;
  if (u.implementation)
    parts.push_back(fmt::format("implementation: {}", Label(*u.implementation)));
  if (u.response) parts.push_back(fmt::format("response: {}", Label(*u.response)));
  if (u.response_status)
    parts.push_back(fmt::format("response status: {}", Label(*u.response_status)));
  return parts.empty() ? "note" : Join(parts, ", ");
}

// The entry's content as HTML (type="html": escaped once more by XmlEscape).
std::string ContentHtml(const Entry& e) {
  const Update& u = *e.update;
  std::string html = "<p>" + HtmlEscape(Changes(u)) + "</p>";
  if (!u.narrative.empty()) html += "<p>" + HtmlEscape(u.narrative) + "</p>";
  if (!u.response_text.empty())
    html += "<blockquote>" + HtmlEscape(u.response_text) + "</blockquote>";
  if (!u.evidence.empty()) {
    html += "<p>Evidence:</p><ul>";
    for (const auto& ev : u.evidence) {
      if (IsWebUrl(ev))
        html += "<li><a href=\"" + HtmlEscape(ev) + "\">" + HtmlEscape(ev) + "</a></li>";
      else
        html += "<li>" + HtmlEscape(ev) + "</li>";
    }
    html += "</ul>";
  }
  html += "<p>Recommendation " + HtmlEscape(e.rec->ref) + ": " + HtmlEscape(e.rec->text) + "</p>";
  return html;
}

std::string RenderFeed(const std::string& id, const std::string& title, const std::string& subtitle,
                       const std::string& self, const std::string& alternate,
                       std::optional<Date> fallback_updated, std::vector<Entry> entries,
                       bool name_source) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.update->date != b.update->date) return a.update->date > b.update->date;
    return a.update->id > b.update->id;
  });
  if (entries.size() > kMaxEntries) entries.resize(kMaxEntries);
  Date updated = entries.empty() ? fallback_updated.value_or(Date()) : entries.front().update->date;
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n";
  out += "  <id>" + XmlEscape(id) + "</id>\n";
  out += "  <title>" + XmlEscape(title) + "</title>\n";
  out += "  <subtitle>" + XmlEscape(subtitle) + "</subtitle>\n";
  out += "  <updated>" + AtomDate(updated) + "</updated>\n";
  out += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"" + XmlEscape(self) + "\"/>\n";
  out += "  <link rel=\"alternate\" type=\"text/html\" href=\"" + XmlEscape(alternate) + "\"/>\n";
  // Where outsiders get the tracker's signed checkpoints (docs/trust.md).
  out += "  <link rel=\"related\" type=\"application/json\" title=\"Signed checkpoints of the "
         "tracker's ledger\" href=\"/api/v1/checkpoints\"/>\n";
  out += "  <author><name>rectrack</name></author>\n";
  out += "  <generator>rectrack</generator>\n";
  for (const Entry& e : entries) {
    const Update& u = *e.update;
    std::string owner = e.owner ? e.owner->name : "unknown owner";
    std::string entry_title = (name_source ? e.source->slug + " " : std::string()) + e.rec->ref +
                              " – " + owner + ": " + Changes(u);
    out += "  <entry>\n";
    out += "    <id>" + XmlEscape(fmt::format("{}update/{}", kTagPrefix, u.id)) + "</id>\n";
    out += "    <title>" + XmlEscape(entry_title) + "</title>\n";
    out += "    <updated>" + AtomDate(u.date) + "</updated>\n";
    out += "    <published>" + AtomDate(u.date) + "</published>\n";
    out += "    <link rel=\"alternate\" type=\"text/html\" href=\"" +
           XmlEscape(fmt::format("/recommendations/{}", e.rec->id)) + "\"/>\n";
    if (!u.author.empty()) out += "    <author><name>" + XmlEscape(u.author) + "</name></author>\n";
    if (u.implementation)
      out += "    <category term=\"" + XmlEscape(Name(*u.implementation)) + "\" label=\"" +
             XmlEscape(Label(*u.implementation)) + "\"/>\n";
    out += "    <summary type=\"text\">" +
           XmlEscape(e.source->title + " " + e.rec->ref + ": " + e.rec->text) + "</summary>\n";
    out += "    <content type=\"html\">" + XmlEscape(ContentHtml(e)) + "</content>\n";
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

// Every validated update of `facts` whose assignment passes `keep`.
template <typename Keep>
std::vector<Entry> Entries(const Facts& facts, Keep keep) {
  std::unordered_map<int64_t, const Source*> sources;
  std::unordered_map<int64_t, const Owner*> owners;
  std::unordered_map<int64_t, const Recommendation*> recs;
  std::unordered_map<int64_t, const Assignment*> assignments;
  for (const auto& s : facts.sources) sources[s.id] = &s;
  for (const auto& o : facts.owners) owners[o.id] = &o;
  for (const auto& r : facts.recommendations) recs[r.id] = &r;
  for (const auto& a : facts.assignments) assignments[a.id] = &a;
  std::vector<Entry> out;
  for (const auto& u : facts.updates) {
    if (u.state != UpdateState::kValidated) continue;
    auto a = assignments.find(u.assignment_id);
    if (a == assignments.end() || !keep(*a->second)) continue;
    auto r = recs.find(a->second->recommendation_id);
    if (r == recs.end()) continue;
    auto s = sources.find(r->second->source_id);
    if (s == sources.end()) continue;
    auto o = owners.find(a->second->owner_id);
    out.push_back({&u, a->second, r->second, s->second, o == owners.end() ? nullptr : o->second});
  }
  return out;
}

}  // namespace

std::string XmlEscape(std::string_view s) {
  std::string valid;
  if (!IsValidUtf8(s)) {
    for (unsigned char c : s) {
      if (c < 0x80)
        valid.push_back(static_cast<char>(c));
      else
        valid += "\xEF\xBF\xBD";
    }
    s = valid;
  }
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out.push_back(static_cast<char>(c));
        break;
      default:
        if (c < 0x20 || c == 0x7F) break;  // not allowed (0x7F is, but useless)
        // U+FFFE and U+FFFF (EF BF BE / EF BF BF) are not XML characters.
        if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
            (static_cast<unsigned char>(s[i + 2]) == 0xBE ||
             static_cast<unsigned char>(s[i + 2]) == 0xBF)) {
          i += 2;
          break;
        }
        out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

Result<std::string> SourceFeed(Store& store, const std::string& slug) {
  FactsFilter filter;
  filter.source_slug = slug;
  filter.with_text = true;
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  if (facts->sources.empty()) return Fail(Error::NotFound(fmt::format("no source '{}'", slug)));
  const Source& s = facts->sources.front();
  std::string path = PercentEncodeSlug(s.slug);
  return RenderFeed(std::string(kTagPrefix) + "source/" + path, s.title + ": validated updates",
                    "Validated changes to the recommendations of " + s.title + ", newest first.",
                    "/feeds/sources/" + path + ".atom", "/sources/" + path,
                    s.recorded_on ? s.recorded_on : s.date,
                    Entries(*facts, [](const Assignment&) { return true; }), false);
}

Result<std::string> OwnerFeed(Store& store, int64_t owner_id) {
  // Every source, without texts (an owner's few entries fetch theirs below):
  // most owners of the PFD data have no validated update at all.
  FactsFilter filter;
  auto facts = store.LoadFacts(filter);
  if (!facts) return Fail(facts.error());
  const Owner* owner = nullptr;
  for (const auto& o : facts->owners)
    if (o.id == owner_id) owner = &o;
  if (!owner) return Fail(Error::NotFound(fmt::format("no owner {}", owner_id)));
  std::optional<Date> fallback;
  std::unordered_map<int64_t, bool> held;
  for (const auto& a : facts->assignments)
    if (a.owner_id == owner_id) held[a.recommendation_id] = true;
  for (const auto& r : facts->recommendations)
    if (held.count(r.id) && r.made && (!fallback || *r.made > *fallback)) fallback = r.made;
  auto entries =
      Entries(*facts, [owner_id](const Assignment& a) { return a.owner_id == owner_id; });
  std::unordered_map<int64_t, std::string> texts;
  for (const Entry& e : entries) {
    if (texts.count(e.rec->id)) continue;
    auto v = store.GetRecommendationById(e.rec->id);
    if (!v) return Fail(v.error());
    texts[e.rec->id] = v->recommendation.text;
  }
  for (auto& r : facts->recommendations)
    if (auto t = texts.find(r.id); t != texts.end()) r.text = t->second;
  return RenderFeed(
      fmt::format("{}owner/{}", kTagPrefix, owner_id), owner->name + ": validated updates",
      "Validated changes to what " + owner->name + " holds, across sources, newest first.",
      fmt::format("/feeds/owners/{}.atom", owner_id), fmt::format("/owners/{}", owner_id), fallback,
      std::move(entries), true);
}

Result<std::string> NonResponsesFeed(Store& store, Date as_of, const std::string& kind) {
  auto doc = NonResponsesDoc(store, as_of, kind);
  if (!doc) return Fail(doc.error());
  std::vector<const nlohmann::json*> items;
  for (const auto& i : (*doc)["items"]) items.push_back(&i);
  // The most recently overdue first: what a reader has not seen yet.
  std::stable_sort(items.begin(), items.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return (*a)["due"].get<std::string>() > (*b)["due"].get<std::string>();
  });
  if (items.size() > kMaxEntries) items.resize(kMaxEntries);
  auto overdue_from = [](const nlohmann::json& i) {
    return Date::ParseIso(i["due"].get<std::string>())->AddDays(1);
  };
  Date updated = items.empty() ? as_of : overdue_from(*items.front());
  std::string query = kind.empty() ? "" : "?kind=" + PercentEncodeSlug(kind);
  std::string self = kind.empty() ? std::string("/feeds/non-responses.atom")
                                  : "/feeds/non-responses/" + PercentEncodeSlug(kind) + ".atom";
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en-GB\">\n";
  out += "  <id>" + XmlEscape(fmt::format("{}non-responses/{}", kTagPrefix, kind.empty() ? "all" : kind)) + "</id>\n";
  out += "  <title>" + XmlEscape(kind.empty() ? std::string("Overdue responses")
                                             : "Overdue responses: " + kind) + "</title>\n";
  out += "  <subtitle>" +
         XmlEscape(fmt::format("Responses not received when due, as of {}: {} in all", as_of.ToLong(),
                               (*doc)["total"].get<int64_t>())) +
         "</subtitle>\n";
  out += "  <updated>" + AtomDate(updated) + "</updated>\n";
  out += "  <link rel=\"self\" type=\"application/atom+xml\" href=\"" +
         XmlEscape(self) + "\"/>\n";
  out += "  <link rel=\"alternate\" type=\"text/html\" href=\"" + XmlEscape("/non-responses" + query) +
         "\"/>\n";
  out += "  <link rel=\"related\" type=\"application/json\" title=\"Signed checkpoints of the "
         "tracker's ledger\" href=\"/api/v1/checkpoints\"/>\n";
  out += "  <author><name>rectrack</name></author>\n";
  out += "  <generator>rectrack</generator>\n";
  for (const nlohmann::json* ip : items) {
    const nlohmann::json& i = *ip;
    Date from = overdue_from(i);
    std::string owner = i["owner"].get<std::string>();
    // PFD refs repeat their report's slug ("pfd-2024-0131", "2024-0131").
    const std::string slug = i["source"].get<std::string>(), ref = i["ref"].get<std::string>();
    bool echoes = slug.size() >= ref.size() && slug.compare(slug.size() - ref.size(), ref.size(), ref) == 0;
    std::string what = echoes ? slug : slug + " " + ref;
    std::string due = Date::ParseIso(i["due"].get<std::string>())->ToLong();
    out += "  <entry>\n";
    out += "    <id>" +
           XmlEscape(fmt::format("{}non-response/{}/{}", kTagPrefix, i["assignment_id"].get<int64_t>(),
                                 i["due"].get<std::string>())) +
           "</id>\n";
    out += "    <title>" + XmlEscape(fmt::format("{} has not responded to {} (due {})", owner, what, due)) +
           "</title>\n";
    out += "    <updated>" + AtomDate(from) + "</updated>\n";
    out += "    <published>" + AtomDate(from) + "</published>\n";
    out += "    <link rel=\"alternate\" type=\"text/html\" href=\"" +
           XmlEscape(i["links"]["html"].get<std::string>()) + "\"/>\n";
    out += "    <category term=\"" + XmlEscape(i["kind"].get<std::string>()) + "\"/>\n";
    out += "    <summary type=\"text\">" +
           XmlEscape(fmt::format("{}: {}. The response from {} was due on {}.",
                                 i["source_title"].get<std::string>(), what, owner, due)) +
           "</summary>\n";
    out += "  </entry>\n";
  }
  out += "</feed>\n";
  return out;
}

}  // namespace rectrack::web

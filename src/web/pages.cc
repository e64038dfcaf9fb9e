#include "web/pages.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "app/service.h"
#include "app/views.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "report/report_render.h"
#include "report/svg.h"
#include "web/embedded.h"
#include "web/feeds.h"
#include "web/static_files.h"
#include "web/templates.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;

// Kinds with more sources than this are summarised on the home page as a count
// linking to their own paged list (4,926 PFD reports would bury the rest).
constexpr size_t kListedPerKind = 12;
// The most RecommendationsDoc gives at once: a static copy shows a whole list.
constexpr int kWholeList = 500;
constexpr size_t kMaxQuery = 500;
constexpr size_t kExcerpt = 240;

constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
constexpr std::string_view kLiveCache = "public, max-age=0, must-revalidate";
constexpr std::string_view kStaticCache = "public, max-age=31536000, immutable";

// ---- what every page is rendered with ------------------------------------------

struct PageCtx {
  Date as_of;
  bool as_of_given = false;  // ?as_of= was in the address: links keep it
  std::string today_href;    // this address without ?as_of=
  const PagesOptions* options = nullptr;
  std::optional<Viewer> viewer;
  bool static_site() const { return options->static_site; }
};

// A page before the layout: its body template and the chrome around it.
struct PageView {
  std::string title;                 // "<title> – rectrack"
  std::string section;               // nav item to mark current: "sources", "owners", "search"
  json breadcrumbs = json::array();  // [{href, text}], ancestors only
  std::string template_name;
  json view = json::object();
  std::string feed_href, feed_title;  // <link rel="alternate"> and the footer
  std::string json_href;              // "this page's data as JSON"
  int status = 200;
  bool has_error = false;  // "Error: " before the title (GOV.UK pattern)
  bool wide = false;       // a page of wide tables: a wider column (1200 px)
};

// A finished response body.
struct Rendered {
  int status = 200;
  std::string body;
  std::string content_type = std::string(kHtmlType);
  std::string csp;  // replaces the server's default when set
  std::string disposition;
  int retry_after = 0;  // seconds, for a 503 that will pass (Retry-After)
};

using Query = std::vector<std::pair<std::string, std::string>>;

// A link to one of our pages; keeps ?as_of= when the reader chose a date.
std::string Href(const PageCtx& pc, std::string path, Query query = {}) {
  if (pc.as_of_given) query.emplace_back("as_of", pc.as_of.ToIso());
  std::string sep = "?";
  for (const auto& [k, v] : query) {
    if (v.empty()) continue;
    path += sep + PercentEncode(k) + "=" + PercentEncode(v);
    sep = "&";
  }
  return path;
}

std::string SourcePath(const std::string& slug) { return "/sources/" + PercentEncodeSlug(slug); }
std::string OwnerPath(int64_t id) { return fmt::format("/owners/{}", id); }
std::string RecPath(int64_t id) { return fmt::format("/recommendations/{}", id); }

// A chart both ways: the wide one on a wide screen, the narrow one on a
// phone's (CSS picks by the width; the hidden one is not in the page's
// accessibility tree).
std::string ResponsiveChart(const std::string& wide, const std::string& narrow) {
  return "<div class=\"rt-chart rt-chart--wide\">\n" + wide +
         "</div>\n<div class=\"rt-chart rt-chart--narrow\">\n" + narrow + "</div>\n";
}

// A report's charts, each given its narrow twin for phones. The report's
// bytes stay as frozen: this is the web page around them.
std::string WithNarrowCharts(std::string body, const ReportData& data) {
  const std::pair<std::string, std::string> charts[] = {
      {StatusBreakdownSvg(data), StatusBreakdownSvg(data, ChartLayout::kNarrow, "status-chart-narrow")},
      {ImplementedOverTimeSvg(data),
       ImplementedOverTimeSvg(data, ChartLayout::kNarrow, "timeline-chart-narrow")}};
  for (const auto& [wide, narrow] : charts)
    if (size_t at = body.find(wide); at != std::string::npos)
      body.replace(at, wide.size(), ResponsiveChart(wide, narrow));
  return body;
}


std::string Str(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
int64_t Int(const json& v) { return v.is_number() ? v.get<int64_t>() : 0; }

std::string Count(int64_t n) { return WithThousands(n); }

// "25 October 2017" from "2017-10-25"; the text as given if it is no date.
std::string LongDate(const json& iso) {
  std::string s = Str(iso);
  if (s.empty()) return "";
  auto d = Date::ParseIso(s);
  return d ? d->ToLong() : s;
}

bool IsWebUrl(std::string_view u) {
  std::string lower = ToLowerAscii(u.substr(0, 8));
  return lower.rfind("http://", 0) == 0 || lower.rfind("https://", 0) == 0;
}

// A source of this few recommendations shows them whole (a coroner's
// concerns, not their first lines) and without a status chart of zeros.
constexpr int64_t kWholeTextUpTo = 5;
constexpr int64_t kMinForChart = 3;

// The response clock a source leads with when responses are owed: late (by
// how long, since when), awaited (due when), or all in. Null when the source
// owes none (no response duty, no due date).
json ResponseClock(const json& s) {
  const json& c = s["response_clock"];
  const int64_t bodies = Int(c["bodies"]), overdue = Int(c["overdue"]);
  const int64_t pending = Int(c["pending"]), responded = Int(c["responded"]);
  if (bodies == 0) return nullptr;
  if (overdue > 0 && c["longest_overdue_days"].is_number()) {
    const std::string late = DaysInWords(Int(c["longest_overdue_days"]));
    std::string body =
        bodies == 1 ? fmt::format("The response was due on {}.", LongDate(c["overdue_since"]))
                    : fmt::format("{} of {} bodies have not responded; the first was due on {}.",
                                  overdue, bodies, LongDate(c["overdue_since"]));
    return {{"tone", "late"}, {"title", "Response overdue by " + late}, {"body", body}};
  }
  if (pending > 0 && c["next_due"].is_string())
    return {{"tone", "neutral"},
            {"title", "Response due on " + LongDate(c["next_due"])},
            {"body", bodies == 1 ? std::string("Awaited from the one body named.")
                                 : fmt::format("{} of {} bodies have responded.", responded, bodies)}};
  if (responded == bodies && s["response_days"].is_number())
    return {{"tone", "done"},
            {"title", bodies == 1 ? std::string("The response has been received")
                                  : fmt::format("All {} bodies have responded", bodies)},
            {"body", "Within or after the response duty; each answer is below."}};
  return nullptr;
}

std::string Excerpt(const std::string& text) {
  if (text.size() <= kExcerpt) return text;
  size_t cut = text.rfind(' ', kExcerpt);
  if (cut == std::string::npos || cut < kExcerpt / 2) cut = kExcerpt;
  // Never cut inside a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

// ---- vocabulary for people ------------------------------------------------------

struct KindWords {
  std::string_view kind, one, many;
};
constexpr KindWords kKinds[] = {
    {"review", "Review", "Reviews"},
    {"inquiry", "Inquiry", "Inquiries"},
    {"audit", "Audit", "Audits"},
    {"pfd", "Prevention of future deaths report", "Prevention of future deaths reports"},
    {"upr", "UN Universal Periodic Review", "UN Universal Periodic Reviews"},
};

std::string KindLabel(const std::string& kind, bool plural) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return std::string(plural ? k.many : k.one);
  std::string s = kind.empty() ? "Source" : kind;
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return plural ? s + "s" : s;
}

// A status tag: the words always say it, the colour only repeats them.
json Tag(std::string_view label, std::string_view colour) {
  return {{"label", label}, {"colour", colour}};
}

json ImplementationTag(const std::string& name) {
  auto i = ParseImplementation(name);
  if (!i) return Tag(name, "grey");
  switch (*i) {
    case Implementation::kImplemented:
      return Tag(Label(*i), "green");
    case Implementation::kPartiallyImplemented:
      return Tag(Label(*i), "turquoise");
    case Implementation::kInProgress:
      return Tag(Label(*i), "blue");
    case Implementation::kNotStarted:
      return Tag(Label(*i), "grey");
    case Implementation::kNotImplemented:
      return Tag(Label(*i), "red");
    case Implementation::kSuperseded:
      return Tag(Label(*i), "purple");
    case Implementation::kUnknown:
      return Tag(Label(*i), "yellow");
  }
  return Tag(name, "grey");
}

json ResponseStatusTag(const std::string& name) {
  auto s = ParseResponseStatus(name);
  if (!s) return Tag(name, "grey");
  switch (*s) {
    case ResponseStatus::kResponded:
      return Tag(Label(*s), "green");
    case ResponseStatus::kPartial:
      return Tag(Label(*s), "turquoise");
    case ResponseStatus::kOverdue:
      return Tag(Label(*s), "red");
    case ResponseStatus::kPending:
      return Tag(Label(*s), "yellow");
  }
  return Tag(name, "grey");
}

json ResponseTag(const std::string& name) {
  auto r = ParseResponseKind(name);
  if (!r) return Tag(name, "grey");
  switch (*r) {
    case ResponseKind::kAccepted:
      return Tag(Label(*r), "green");
    case ResponseKind::kAcceptedInPrinciple:
    case ResponseKind::kPartiallyAccepted:
      return Tag(Label(*r), "turquoise");
    case ResponseKind::kRejected:
      return Tag(Label(*r), "red");
    case ResponseKind::kUnderConsideration:
      return Tag(Label(*r), "blue");
    case ResponseKind::kNoted:
    case ResponseKind::kNone:
      return Tag(Label(*r), "grey");
  }
  return Tag(name, "grey");
}

// A tag that says what it is about ("Implementation: implemented"), for lists
// where two tags stand side by side.
json Prefixed(json tag, std::string_view prefix) {
  tag["tag_prefix"] = prefix;
  return tag;
}

// An assignment's (or recommendation's) response in one tag: what the body
// said when it has answered (a rejection in red, not a green "responded"),
// else whether the answer is awaited or overdue.
json ResponseSummaryTag(const json& a) {
  const std::string status = Str(a["response_status"]);
  const std::string kind = a.contains("response") ? Str(a["response"]) : "";
  if ((status == "responded" || status == "partial") && !kind.empty() && kind != "none")
    return Prefixed(ResponseTag(kind), "Response");
  return Prefixed(ResponseStatusTag(status), "Response");
}

std::string OverdueText(const json& days) {
  if (!days.is_number()) return "";
  return "overdue by " + Plural(Int(days), "day", "days");
}

// Beside an assignment's implementation: "past its target by 65 days".
std::string PastTargetText(const json& days) {
  if (!days.is_number()) return "";
  return "past its target by " + Plural(Int(days), "day", "days");
}

// ---- rendering ------------------------------------------------------------------

std::string Sha256Base64(std::string_view data) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, hash, sizeof hash, sodium_base64_VARIANT_ORIGINAL);
  return b64;
}

json Nav(const PageCtx& pc, const std::string& section) {
  json nav = json::array();
  auto item = [&](std::string_view key, std::string_view text, std::string href) {
    nav.push_back({{"href", href}, {"text", text}, {"current", section == key}});
  };
  item("sources", "Sources", Href(pc, "/sources"));
  item("owners", "Owners", Href(pc, "/owners"));
  item("non-responses", "Overdue responses", Href(pc, "/non-responses"));
  if (!pc.static_site()) item("search", "Search", Href(pc, "/search"));
  return nav;
}

Result<Rendered> Finish(const PageCtx& pc, PageView page) {
  page.view["static_site"] = pc.static_site();
  auto content = RenderTemplate(page.template_name, page.view);
  if (!content) return Fail(content.error());
  json layout = {
      {"title", (page.has_error ? "Error: " : "") + page.title},
      {"css", StaticUrl("static/rectrack.css")},
      {"home", Href(pc, "/")},
      {"nav", Nav(pc, page.section)},
      {"breadcrumbs", page.breadcrumbs},
      {"has_breadcrumbs", !page.breadcrumbs.empty()},
      {"wide", page.wide},
      {"content", *content},
      {"static_site", pc.static_site()},
      {"as_of_given", pc.as_of_given},
      {"as_of", pc.as_of.ToLong()},
      {"today_href", pc.today_href},
  };
  if (!page.feed_href.empty())
    layout["feed"] = {{"href", page.feed_href}, {"title", page.feed_title}};
  if (!page.json_href.empty()) layout["json_href"] = page.json_href;
  if (pc.viewer) {
    layout["viewer"] = {{"name", pc.viewer->name},
                        {"role", pc.viewer->role},
                        {"csrf_token", pc.viewer->csrf_token}};
  } else if (!pc.static_site()) {
    layout["sign_in"] = pc.options->sign_in_path;
  }
  auto html = RenderTemplate("layout", layout);
  if (!html) return Fail(html.error());
  Rendered r;
  r.status = page.status;
  r.body = std::move(*html);
  return r;
}

PageView ErrorView(int status, const std::string& detail, bool unavailable = false) {
  PageView p;
  p.status = status;
  p.template_name = "error";
  if (unavailable) {
    p.title = "Sorry, the service is busy";
    p.view = {{"unavailable", true}, {"retry_after", kRetryAfterSeconds}};
  } else if (status == 404) {
    p.title = "Page not found";
    p.view = {{"not_found", true}, {"detail", detail}};
  } else if (status == 400) {
    p.title = "There is a problem with this address";
    p.view = {{"bad_request", true}, {"detail", detail}};
  } else if (status == 503) {
    p.title = "This tracker's data failed its integrity check";
    p.view = {{"integrity_failed", true}, {"detail", detail}};
  } else {
    p.title = "Sorry, there is a problem with the service";
    p.view = {{"server_error", true}};
  }
  p.view["title"] = p.title;
  return p;
}

int StatusFor(const Error& e) {
  switch (e.code) {
    case Error::Code::kInvalidInput:
      return 400;
    case Error::Code::kNotFound:
      return 404;
    case Error::Code::kCorrupt:
    case Error::Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// The error page as a complete response, for failures before or while rendering.
Rendered ErrorPage(const PageCtx& pc, const Error& e) {
  int status = StatusFor(e);
  if (status == 500) LogServerError(e.message);
  const bool unavailable = e.code == Error::Code::kUnavailable;
  auto r = Finish(pc, ErrorView(status, status == 500 ? "" : e.message, unavailable));
  if (r) {
    if (unavailable) r->retry_after = kRetryAfterSeconds;
    return *r;
  }
  Rendered plain;  // the templates themselves failed: say so plainly
  plain.status = 500;
  plain.body =
      "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Sorry, there is "
      "a problem with the service – rectrack</title></head><body><main id=\"main-content\"><h1>"
      "Sorry, there is a problem with the service</h1></main></body></html>\n";
  return plain;
}

// An error summary and the message beside one field (GOV.UK's pattern).
json FieldError(const std::string& field_id, const std::string& message) {
  return {{"href", "#" + field_id}, {"text", message}};
}

// ---- the pages --------------------------------------------------------------------

json ProgressCells(const json& s) {
  int64_t recs = Int(s["recommendations"]), done = Int(s["implemented"]);
  return {{"recommendations", Count(recs)},
          {"implemented", Count(done)},
          {"percent", Int(s["percent_implemented"])},
          {"progress", fmt::format("{} of {}", Count(done), Count(recs))},
          {"overdue", Count(Int(s["overdue_assignments"]))}};
}

json SourceRow(const PageCtx& pc, const json& s) {
  json row = ProgressCells(s);
  row["href"] = Href(pc, SourcePath(Str(s["slug"])));
  row["title"] = Str(s["title"]);
  row["slug"] = Str(s["slug"]);
  row["date"] = LongDate(s["date"]);
  row["author"] = Str(s["author"]);
  return row;
}

Result<PageView> HomePage(Store& store, const PageCtx& pc) {
  auto sources = store.ListSources();
  if (!sources) return Fail(sources.error());
  std::map<std::string, size_t> kinds;
  for (const auto& s : *sources) ++kinds[s.kind];
  json listed = json::array(), summarised = json::array();
  for (const auto& [kind, count] : kinds) {
    if (count > kListedPerKind) {
      summarised.push_back({{"kind", kind},
                            {"label", KindLabel(kind, true)},
                            {"count", Count(static_cast<int64_t>(count))},
                            {"href", Href(pc, "/sources", {{"kind", kind}})}});
      continue;
    }
    auto doc = SourcesDoc(store, pc.as_of, kind, Page{"", kWholeList});
    if (!doc) return Fail(doc.error());
    json rows = json::array();
    for (const auto& s : (*doc)["sources"]) rows.push_back(SourceRow(pc, s));
    listed.push_back({{"kind", kind},
                      {"label", KindLabel(kind, true)},
                      {"id", "kind-" + Slugify(kind)},
                      {"sources", rows}});
  }
  PageView p;
  p.title = "Are official recommendations carried out?";
  p.template_name = "home";
  p.view = {{"title", p.title},
            {"listed", listed},
            {"summarised", summarised},
            {"has_summarised", !summarised.empty()},
            {"empty", kinds.empty()},
            {"total_sources", Count(static_cast<int64_t>(sources->size()))},
            {"owners_href", Href(pc, "/owners")}};
  return p;
}

json Option(const std::string& value, const std::string& text, const std::string& selected) {
  return {{"value", value}, {"text", text}, {"selected", value == selected}};
}

json Pagination(const std::string& first_href, const std::string& next_href,
                const std::string& what) {
  if (first_href.empty() && next_href.empty()) return nullptr;
  json p = {{"what", what}, {"first", nullptr}, {"next", nullptr}};
  if (!first_href.empty()) p["first"] = {{"href", first_href}};
  if (!next_href.empty()) p["next"] = {{"href", next_href}};
  return p;
}

Result<PageView> SourcesPage(Store& store, const PageCtx& pc, const SourcesFilter& want,
                             const std::string& year_text, const std::string& after) {
  const std::string& kind = want.kind;
  if (!after.empty() && !DecodeCursor(after))
    return Fail(
        Error::Invalid("The link to this page of sources is not valid. Start again from "
                       "the first page."));
  auto all = store.ListSources();
  if (!all) return Fail(all.error());
  std::map<std::string, size_t> kinds;
  for (const auto& s : *all) ++kinds[s.kind];
  if (!kind.empty() && !kinds.count(kind))
    return Fail(Error::NotFound(fmt::format("There are no sources of the kind '{}'.", kind)));
  // The filters: each problem shown at its field, the list then unfiltered by it.
  json errors = json::array();
  json field_errors = json::object();
  auto field_error = [&](const std::string& field, const std::string& message) {
    errors.push_back(FieldError("sources-" + field, message));
    field_errors[field] = message;
  };
  SourcesFilter f = want;
  if (!year_text.empty() && f.year == 0) field_error("year", "Choose a year from the list");
  auto doc = SourcesDoc(store, pc.as_of, f, Page{after, pc.options->page_size});
  if (!doc && doc.error().code == Error::Code::kNotFound && !f.owner.empty()) {
    field_error("owner", fmt::format("No body is called ‘{}’: use a name from the owners page",
                                     f.owner));
    f.owner.clear();
    doc = SourcesDoc(store, pc.as_of, f, Page{after, pc.options->page_size});
  }
  if (!doc) return Fail(doc.error());
  json rows = json::array();
  for (const auto& s : (*doc)["sources"]) rows.push_back(SourceRow(pc, s));
  const std::string year_s = want.year ? std::to_string(want.year) : "";
  Query filters = {{"kind", kind}, {"year", year_s}, {"area", want.area},
                   {"theme", want.theme}, {"owner", want.owner}};
  auto with_after = [&](const std::string& a) {
    Query q = filters;
    q.push_back({"after", a});
    return q;
  };
  json years = json::array({Option("", "Any year", year_s)});
  for (const auto& y : (*doc)["years"])
    years.push_back(Option(std::to_string(y.get<int>()), std::to_string(y.get<int>()), year_s));
  json themes = json::array({Option("", "Any category", want.theme)});
  for (const auto& t : (*doc)["themes"]) themes.push_back(Option(Str(t), Str(t), want.theme));
  json kind_links = json::array();
  kind_links.push_back({{"href", Href(pc, "/sources")},
                        {"text", "All kinds"},
                        {"count", Count(static_cast<int64_t>(all->size()))},
                        {"current", kind.empty()}});
  for (const auto& [k, n] : kinds)
    kind_links.push_back({{"href", Href(pc, "/sources", {{"kind", k}})},
                          {"text", KindLabel(k, true)},
                          {"count", Count(static_cast<int64_t>(n))},
                          {"current", k == kind}});
  const int64_t total = Int((*doc)["total"]);
  const bool filtered = want.any();
  PageView p;
  p.title = kind.empty() ? "All sources" : KindLabel(kind, true);
  p.section = "sources";
  p.template_name = "sources";
  p.breadcrumbs = json::array({{{"href", Href(pc, "/")}, {"text", "Home"}}});
  if (!kind.empty()) p.breadcrumbs.push_back({{"href", Href(pc, "/sources")}, {"text", "Sources"}});
  std::string next = Str((*doc)["next_cursor"]);
  if (!errors.empty()) {
    p.has_error = true;
    p.status = 400;
  }
  p.view = {{"title", p.title},
            {"kinds", kind_links},
            {"sources", rows},
            {"empty", rows.empty()},
            {"caption", fmt::format("{}{}: {}{}", p.title, filtered ? ", filtered" : "",
                                    Count(total), after.empty() ? "" : ", continued")},
            {"form", pc.static_site() ? json(nullptr)
                                      : json{{"kind", kind},
                                             {"years", years},
                                             {"themes", themes},
                                             {"has_themes", themes.size() > 1},
                                             {"area", want.area},
                                             {"owner", want.owner},
                                             {"clear", Href(pc, "/sources", {{"kind", kind}})}}},
            {"errors", errors},
            {"has_errors", !errors.empty()},
            {"field_errors", field_errors},
            {"pagination",
             Pagination(after.empty() ? "" : Href(pc, "/sources", filters),
                        next.empty() ? "" : Href(pc, "/sources", with_after(next)), "sources")}};
  return p;
}

json OwnerTableRow(const PageCtx& pc, const json& o) {
  int64_t total = Int(o["total"]), implemented = Int(o["implemented"]);
  int64_t unknown = Int(o["unknown"]), superseded = Int(o["superseded"]);
  json median = o["median_days_since_progress"];
  return {{"owner", Str(o["owner"])},
          {"href", Href(pc, OwnerPath(Int(o["owner_id"])))},
          {"tier", std::string(TierLabel(Str(o["tier"])))},
          {"total", Count(total)},
          {"responded", Count(Int(o["responded"]))},
          {"partial", Count(Int(o["partial"]))},
          {"overdue", Count(Int(o["overdue"]))},
          {"implemented", Count(implemented)},
          {"outstanding", Count(total - implemented - superseded - unknown)},
          {"not_reported", Count(unknown)},
          {"past_target", Count(Int(o["past_target"]))},
          {"median", median.is_number() ? fmt::format("{:.0f}", median.get<double>()) : "–"},
          {"median_words", median.is_number()
                               ? json(DaysInWords(static_cast<int64_t>(median.get<double>() + 0.5)))
                               : json(nullptr)}};
}

// Rows grouped by tier, central government first: "who holds it up" by tier.
json OwnerGroups(const PageCtx& pc, const json& owners) {
  std::vector<std::string> order;
  std::map<std::string, json> groups;
  for (const auto& o : owners) {
    std::string tier = Str(o["tier"]);
    if (!groups.count(tier)) {
      groups[tier] = json::array();
      order.push_back(tier);
    }
    groups[tier].push_back(OwnerTableRow(pc, o));
  }
  auto rank = [](const std::string& t) {
    for (size_t i = 0; i < std::size(kTiers); ++i)
      if (kTiers[i] == t) return t == "central_government" ? -1 : static_cast<int>(i);
    return static_cast<int>(std::size(kTiers));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  json out = json::array();
  for (const auto& t : order)
    out.push_back({{"tier", std::string(TierLabel(t))}, {"owners", groups[t]}});
  return out;
}

// A row of a summary list. Its value may have text (with an href), a tag, a
// note after it, or code; absent parts are null so that the template never
// picks up a name from an enclosing section.
json Summary(std::string key, json value) {
  for (const char* part : {"text", "href", "tag", "note", "code"})
    if (!value.contains(part)) value[part] = nullptr;
  return {{"key", key}, {"value", value}};
}

struct SourceFilter {
  ListFilter filter;
  std::string overdue_raw;
  std::string after;
};


Result<PageView> SourcePage(Store& store, const PageCtx& pc, const std::string& slug,
                            const SourceFilter& sf) {
  auto doc = SourceDoc(store, slug, pc.as_of);
  if (!doc) return Fail(doc.error());
  const json& s = *doc;
  std::string path = SourcePath(slug);
  const ListFilter& f = sf.filter;

  // The filters come from our own form; a bad value is a tampered or stale link.
  json errors = json::array();
  json field_errors = json::object();
  auto field_error = [&](const std::string& field, const std::string& message) {
    errors.push_back(FieldError("filter-" + field, message));
    field_errors[field] = message;
  };
  std::set<std::string> owner_names;
  for (const auto& o : s["owners"]) owner_names.insert(Str(o["owner"]));
  if (!f.owner.empty() && !owner_names.count(f.owner)) {
    // The API takes an alias as well as the name; so does the page.
    bool alias = false;
    if (auto all = store.ListOwners()) {
      for (const auto& o : *all)
        if (owner_names.count(o.name) &&
            std::find(o.aliases.begin(), o.aliases.end(), f.owner) != o.aliases.end())
          alias = true;
    }
    if (!alias) field_error("owner", "Choose an owner from the list");
  }
  if (!f.tier.empty() && !IsTier(f.tier)) field_error("tier", "Choose a tier from the list");
  if (!f.status.empty() && !ParseResponseStatus(f.status) && !ParseImplementation(f.status))
    field_error("status", "Choose a status from the list");
  if (!sf.overdue_raw.empty() && sf.overdue_raw != "true" && sf.overdue_raw != "false" &&
      sf.overdue_raw != "1" && sf.overdue_raw != "0")
    field_error("overdue", "Tick the box to see only overdue responses, or leave it empty");
  if (!sf.after.empty() && !DecodeCursor(sf.after))
    errors.push_back({{"href", "#recommendations"},
                      {"text",
                       "The link to this page of recommendations is out of date: "
                       "showing the first page"}});

  json list = nullptr;
  if (field_errors.empty()) {
    Page page{DecodeCursor(sf.after) ? sf.after : "",
              pc.static_site() ? kWholeList : pc.options->page_size};
    auto recs = RecommendationsDoc(store, slug, pc.as_of, f, page);
    if (!recs && recs.error().code == Error::Code::kNotFound && !f.owner.empty()) {
      field_error("owner", "Choose an owner from the list");
    } else if (!recs) {
      return Fail(recs.error());
    } else {
      json rows = json::array();
      for (const auto& r : (*recs)["recommendations"]) {
        json owners = json::array();
        for (const auto& a : r["assignments"]) {
          owners.push_back({{"owner", Str(a["owner"])},
                            {"href", Href(pc, OwnerPath(Int(a["owner_id"])))},
                            {"implementation", Prefixed(ImplementationTag(Str(a["implementation"])),
                                                        "Implementation")},
                            {"response_status", ResponseSummaryTag(a)},
                            {"overdue", OverdueText(a["days_overdue"])},
                            {"past_target", PastTargetText(a["days_past_target"])}});
        }
        rows.push_back({{"ref", Str(r["ref"])},
                        {"href", Href(pc, RecPath(Int(r["id"])))},
                        {"text", Int(s["recommendations"]) <= kWholeTextUpTo ? Str(r["text"])
                                                                             : Excerpt(Str(r["text"]))},
                        {"owners", owners},
                        {"single", owners.size() == 1},
                        {"implementation", Prefixed(ImplementationTag(Str(r["implementation"])),
                                                    "Implementation")},
                        {"response_status", Prefixed(ResponseStatusTag(Str(r["response_status"])),
                                                     "Response")}});
      }
      Query filters = {{"owner", f.owner},
                       {"tier", f.tier},
                       {"status", f.status},
                       {"overdue", f.overdue ? "true" : ""}};
      auto with = [&](Query q, std::initializer_list<std::pair<std::string, std::string>> more) {
        for (const auto& m : more) q.push_back(m);
        return q;
      };
      std::string next = Str((*recs)["next_cursor"]);
      int64_t total = Int((*recs)["total"]);
      bool filtered = !f.owner.empty() || !f.tier.empty() || !f.status.empty() || f.overdue;
      std::string api = "/api/v1/sources/" + PercentEncodeSlug(slug) + "/recommendations";
      list = {
          {"rows", rows},
          {"empty", rows.empty()},
          {"count", filtered ? fmt::format("{} match the filters",
                                           Plural(total, "recommendation", "recommendations"))
                             : Plural(total, "recommendation", "recommendations")},
          {"caption", fmt::format("Recommendations of {}{}", Str(s["title"]),
                                  sf.after.empty() ? "" : ", continued")},
          {"pagination",
           Pagination(sf.after.empty() ? "" : Href(pc, path, filters) + "#recommendations",
                      next.empty()
                          ? ""
                          : Href(pc, path, with(filters, {{"after", next}})) + "#recommendations",
                      "recommendations")},
          {"downloads",
           json::array(
               {{{"href", Href(pc, api, with(filters, {{"format", "csv"}}))}, {"text", "CSV"}},
                {{"href", Href(pc, api, with(filters, {{"format", "xlsx"}}))},
                 {"text", "Excel (XLSX)"}},
                {{"href",
                  Href(pc, api,
                       with(filters, {{"format", "json"}, {"limit", std::to_string(kWholeList)}}))},
                 {"text", "JSON"}}})},
      };
    }
  }

  // The filter form's choices: the source's own owners and tiers.
  json owner_options = json::array({Option("", "Any owner", f.owner)});
  for (const auto& name : owner_names) owner_options.push_back(Option(name, name, f.owner));
  std::set<std::string> tiers;
  for (const auto& o : s["owners"]) tiers.insert(Str(o["tier"]));
  json tier_options = json::array({Option("", "Any tier", f.tier)});
  for (const auto& t : tiers) tier_options.push_back(Option(t, std::string(TierLabel(t)), f.tier));
  json response_options = json::array(), impl_options = json::array();
  for (ResponseStatus r : kAllResponseStatuses)
    response_options.push_back(Option(std::string(Name(r)), std::string(Label(r)), f.status));
  for (Implementation i : kAllImplementations)
    impl_options.push_back(Option(std::string(Name(i)), std::string(Label(i)), f.status));

  // The status chart draws from the same numbers as the tables beside it.
  ReportData chart;
  chart.total = static_cast<int>(Int(s["recommendations"]));
  json impl_rows = json::array(), response_rows = json::array();
  for (Implementation i : kAllImplementations) {
    int n = static_cast<int>(Int(s["by_implementation"][std::string(Name(i))]));
    chart.by_implementation[static_cast<int>(i)] = n;
    impl_rows.push_back({{"label", Label(i)}, {"count", Count(n)}});
  }
  for (ResponseStatus r : kAllResponseStatuses)
    response_rows.push_back({{"label", Label(r)},
                             {"count", Count(Int(s["by_response_status"][std::string(Name(r))]))}});

  json funding = json::array();
  std::string currency = "GBP";
  for (const auto& fl : s["funding"]) {
    currency = Str(fl["currency"]);
    funding.push_back({{"owner", Str(fl["owner"])},
                       {"item", Str(fl["item"])},
                       {"period", Str(fl["period"])},
                       {"cost", FormatMoney(Int(fl["cost"]), currency)},
                       {"funded", FormatMoney(Int(fl["funded"]), currency)},
                       {"gap", FormatMoney(Int(fl["gap"]), currency)}});
  }
  const json& ft = s["funding_totals"];
  json changes = json::array();
  for (const auto& c : s["changes"]["items"]) {
    auto label = [&](const json& v) {
      std::string n = Str(v);
      if (auto i = ParseImplementation(n)) return std::string(Label(*i));
      if (auto r = ParseResponseStatus(n)) return std::string(Label(*r));
      return n;
    };
    changes.push_back({{"ref", Str(c["ref"])},
                       {"owner", Str(c["owner"])},
                       {"field", Str(c["field"])},
                       {"from", label(c["from"])},
                       {"to", label(c["to"])}});
  }
  json since = nullptr;
  if (!s["changes"]["since"].is_null()) {
    const json& p = s["changes"]["since"];
    since = {{"title", Str(p["title"])},
             {"as_of", LongDate(p["as_of"])},
             {"href", Href(pc, fmt::format("/publications/{}", Int(p["publication_id"])))}};
  }
  json pubs = json::array();
  for (const auto& p : s["publications"])
    pubs.push_back({{"title", Str(p["title"])},
                    {"as_of", LongDate(p["as_of"])},
                    {"href", Href(pc, fmt::format("/publications/{}", Int(p["id"])))}});

  json details = json::array();
  auto detail = [&](std::string key, std::string value, std::string href = "") {
    if (value.empty()) return;
    json v = {{"text", value}};
    if (!href.empty()) v["href"] = href;
    details.push_back(Summary(std::move(key), std::move(v)));
  };
  detail("Author", Str(s["author"]));
  detail("Commissioned by", Str(s["commissioned_by"]));
  detail("Published", LongDate(s["date"]));
  if (s["response_days"].is_number())
    detail("Response duty",
           fmt::format("{} from the date of the {}", Plural(Int(s["response_days"]), "day", "days"),
                       ToLowerAscii(KindLabel(Str(s["kind"]), false))));
  if (IsWebUrl(Str(s["url"])))
    detail("Original document", Str(s["url"]), Str(s["url"]));
  else
    detail("Original document", Str(s["url"]));
  detail("Notes", Str(s["notes"]));

  int64_t total = Int(s["recommendations"]), done = Int(s["implemented"]);
  std::string stated;
  if (s["stated_total"].is_number() && Int(s["stated_total"]) != total)
    stated = fmt::format("The {} made {}; {} of them {} tracked here.",
                         ToLowerAscii(KindLabel(Str(s["kind"]), false)),
                         Plural(Int(s["stated_total"]), "recommendation", "recommendations"),
                         Count(total), total == 1 ? "is" : "are");

  PageView p;
  p.title = Str(s["title"]);
  p.section = "sources";
  p.template_name = "source";
  p.has_error = !errors.empty();
  p.status = field_errors.empty() ? 200 : 400;
  p.breadcrumbs = json::array({{{"href", Href(pc, "/")}, {"text", "Home"}},
                               {{"href", Href(pc, "/sources", {{"kind", Str(s["kind"])}})},
                                {"text", KindLabel(Str(s["kind"]), true)}}});
  p.feed_href = "/feeds/sources/" + PercentEncodeSlug(slug) + ".atom";
  p.feed_title = "Validated updates of " + Str(s["title"]) + " (Atom feed)";
  p.json_href = Href(pc, "/api/v1/sources/" + PercentEncodeSlug(slug));
  p.view = {
      {"title", p.title},
      {"kind", KindLabel(Str(s["kind"]), false)},
      {"slug", slug},
      {"details", {{"rows", details}}},
      {"owners_caption", "Recommendations held by each body"},
      {"headline", fmt::format("{} of {} implemented", Count(done),
                               Plural(total, "recommendation", "recommendations"))},
      {"complete", total > 0 && done == total},
      {"clock", ResponseClock(s)},
      {"show_chart", total >= kMinForChart},
      {"percent", Int(s["percent_implemented"])},
      {"as_of", LongDate(s["as_of"])},
      {"last_changed", s["last_changed"].is_string() ? json(LongDate(s["last_changed"])) : json(nullptr)},
      {"stated", stated},
      {"chart", ResponsiveChart(StatusBreakdownSvg(chart),
                                StatusBreakdownSvg(chart, ChartLayout::kNarrow, "status-chart-narrow"))},
      {"by_implementation", impl_rows},
      {"by_response_status", response_rows},
      {"owner_groups", OwnerGroups(pc, s["owners"])},
      {"has_owners", !s["owners"].empty()},
      {"funding", funding},
      {"has_funding", !funding.empty()},
      {"funding_totals",
       {{"cost", FormatMoney(Int(ft["cost"]), currency)},
        {"funded", FormatMoney(Int(ft["funded"]), currency)},
        {"gap", FormatMoney(Int(ft["gap"]), currency)}}},
      {"since", since},
      {"changes", changes},
      {"has_changes", !changes.empty()},
      {"publications", pubs},
      {"has_publications", !pubs.empty()},
      {"errors", errors},
      {"has_errors", !errors.empty()},
      {"field_errors", field_errors},
      {"form",
       {{"action", path},
        {"as_of", pc.as_of_given ? pc.as_of.ToIso() : ""},
        {"owners", owner_options},
        {"tiers", tier_options},
        {"response_statuses", response_options},
        {"implementations", impl_options},
        {"overdue", f.overdue},
        {"clear", Href(pc, path) + "#recommendations"}}},
      {"list", list},
      {"feed", {{"href", p.feed_href}}},
  };
  return p;
}

Result<PageView> RecommendationPage(Store& store, const PageCtx& pc, int64_t id) {
  auto doc = RecommendationDoc(store, id, pc.as_of, false);
  if (!doc) return Fail(doc.error());
  const json& r = *doc;
  const json& src = r["source"];
  std::vector<std::string> themes;
  for (const auto& t : r["themes"]) themes.push_back(Str(t));
  json details = json::array();
  details.push_back(Summary(
      "Source", {{"text", Str(src["title"])}, {"href", Href(pc, SourcePath(Str(src["slug"])))}}));
  auto detail = [&](std::string key, std::string value) {
    if (!value.empty()) details.push_back(Summary(std::move(key), {{"text", value}}));
  };
  detail("Made", LongDate(r["made"]));
  detail("Made by", Str(r["made_by"]));
  detail("Target date", LongDate(r["target"]));
  detail("Themes", Join(themes, ", "));
  json assignments = json::array();
  for (const auto& a : r["assignments"]) {
    json updates = json::array();
    for (const auto& u : a["updates"]) {
      json changes = json::array();
      if (!u["implementation"].is_null())
        changes.push_back(
            {{"what", "Implementation"}, {"tag", ImplementationTag(Str(u["implementation"]))}});
      if (!u["response"].is_null())
        changes.push_back({{"what", "Response"}, {"tag", ResponseTag(Str(u["response"]))}});
      if (!u["response_status"].is_null())
        changes.push_back(
            {{"what", "Response status"}, {"tag", ResponseStatusTag(Str(u["response_status"]))}});
      json evidence = json::array();
      for (const auto& e : u["evidence"]) {
        std::string url = Str(e);
        evidence.push_back({{"text", url}, {"is_link", IsWebUrl(url)}});
      }
      updates.push_back({{"date", LongDate(u["date"])},
                         {"iso", Str(u["date"])},
                         {"changes", changes},
                         {"narrative", Str(u["narrative"])},
                         {"response_text", Str(u["response_text"])},
                         {"evidence", evidence},
                         {"has_evidence", !evidence.empty()},
                         {"author", Str(u["author"])}});
    }
    std::reverse(updates.begin(), updates.end());  // newest first
    json rows = json::array();
    rows.push_back(Summary("Response", {{"tag", ResponseTag(Str(a["response"]))}}));
    std::string overdue = OverdueText(a["days_overdue"]);
    rows.push_back(
        Summary("Response status",
                {{"tag", ResponseStatusTag(Str(a["response_status"]))}, {"note", overdue}}));
    if (!Str(a["due"]).empty())
      rows.push_back(Summary("Response due", {{"text", LongDate(a["due"])}}));
    if (!Str(a["response_date"]).empty())
      rows.push_back(Summary("Responded on", {{"text", LongDate(a["response_date"])}}));
    rows.push_back(Summary("Implementation", {{"tag", ImplementationTag(Str(a["implementation"]))},
                                              {"note", PastTargetText(a["days_past_target"])}}));
    if (!Str(a["target"]).empty())
      rows.push_back(Summary("Implementation target", {{"text", LongDate(a["target"])}}));
    if (!Str(a["last_progress"]).empty())
      rows.push_back(Summary("Last progress", {{"text", LongDate(a["last_progress"])}}));
    std::vector<std::string> raw;
    if (!Str(a["raw_response"]).empty()) raw.push_back(Str(a["raw_response"]));
    if (!Str(a["raw_status"]).empty() && Str(a["raw_status"]) != Str(a["raw_response"]))
      raw.push_back(Str(a["raw_status"]));
    if (!raw.empty())
      rows.push_back(Summary("As the source recorded it", {{"text", Join(raw, "; ")}}));
    assignments.push_back({{"owner", Str(a["owner"])},
                           {"href", Href(pc, OwnerPath(Int(a["owner_id"])))},
                           {"tier", std::string(TierLabel(Str(a["tier"])))},
                           {"id", fmt::format("owner-{}", Int(a["owner_id"]))},
                           {"rows", rows},
                           {"response_text", Str(a["response_text"])},
                           {"updates", updates},
                           {"has_updates", !updates.empty()}});
  }
  PageView p;
  p.title = fmt::format("Recommendation {}", Str(r["ref"]));
  p.section = "sources";
  p.template_name = "recommendation";
  p.breadcrumbs = json::array(
      {{{"href", Href(pc, "/")}, {"text", "Home"}},
       {{"href", Href(pc, "/sources", {{"kind", Str(src["kind"])}})},
        {"text", KindLabel(Str(src["kind"]), true)}},
       {{"href", Href(pc, SourcePath(Str(src["slug"])))}, {"text", Str(src["title"])}}});
  p.feed_href = "/feeds/sources/" + PercentEncodeSlug(Str(src["slug"])) + ".atom";
  p.feed_title = "Validated updates of " + Str(src["title"]) + " (Atom feed)";
  p.json_href = Href(pc, fmt::format("/api/v1/recommendations/{}", id));
  p.title = fmt::format("Recommendation {} – {}", Str(r["ref"]), Str(src["title"]));
  p.view = {{"title", fmt::format("Recommendation {}", Str(r["ref"]))},
            {"source_title", Str(src["title"])},
            {"text", Str(r["text"])},
            {"url", IsWebUrl(Str(r["url"])) ? Str(r["url"]) : ""},
            {"details", {{"rows", details}}},
            {"implementation", ImplementationTag(Str(r["implementation"]))},
            {"response_status", ResponseStatusTag(Str(r["response_status"]))},
            {"assignments", assignments},
            {"has_assignments", !assignments.empty()},
            {"as_of", LongDate(r["as_of"])}};
  return p;
}

struct OwnersFilter {
  std::string kind, source, sort, tier, name, page;
};

Result<PageView> OwnersPage(Store& store, const PageCtx& pc, const OwnersFilter& f) {
  auto known = KindsInStore(store);
  if (!known) return Fail(known.error());
  const std::vector<std::string>& kinds = *known;
  auto is_kind = [&](const std::string& k) { return std::binary_search(kinds.begin(), kinds.end(), k); };
  json errors = json::array(), field_errors = json::object();
  auto field_error = [&](const std::string& field, const std::string& message) {
    errors.push_back(FieldError("owners-" + field, message));
    field_errors[field] = message;
  };
  if (!f.kind.empty() && !is_kind(f.kind)) field_error("kind", "Choose a kind from the list");
  if (!f.source.empty()) {
    if (!f.kind.empty()) {
      field_error("source", "Give a kind or a source, not both");
    } else {
      auto s = store.GetSource(f.source);
      if (!s && s.error().code == Error::Code::kNotFound)
        field_error("source",
                    "Enter the short name of a source, as in its address, like "
                    "harris-2016");
      else if (!s)
        return Fail(s.error());
    }
  }
  static const std::vector<std::pair<std::string, std::string>> kSorts = {
      {"name", "Name"},
      {"overdue", "Most overdue responses first"},
      {"held", "Most held first"},
      {"outstanding", "Most outstanding first"},
      {"stale", "Longest without progress first"}};
  auto is_sort = [&](const std::string& v) {
    return std::any_of(kSorts.begin(), kSorts.end(), [&](const auto& x) { return x.first == v; });
  };
  if (!f.sort.empty() && !is_sort(f.sort)) field_error("sort", "Choose an order from the list");
  if (!f.tier.empty() && !std::any_of(std::begin(kTiers), std::end(kTiers),
                                      [&](const auto& t) { return f.tier == t; }))
    field_error("tier", "Choose a tier from the list");
  int64_t page = 1;
  if (!f.page.empty()) {
    auto [end, ec] = std::from_chars(f.page.data(), f.page.data() + f.page.size(), page);
    if (ec != std::errc() || end != f.page.data() + f.page.size() || page < 1) page = 0;
  }
  const int64_t per_page = pc.static_site() ? std::numeric_limits<int64_t>::max() / 2
                                            : pc.options->page_size;
  json rows = json::array();
  int64_t matched = 0, first_shown = 0;
  if (field_errors.empty()) {
    auto doc = OwnersDoc(store, f.source, f.kind, pc.as_of);
    if (!doc) return Fail(doc.error());
    std::vector<json> owners;
    const std::string want_name = ToLowerAscii(f.name);
    for (const auto& o : (*doc)["owners"]) {
      if (!f.tier.empty() && Str(o["tier"]) != f.tier) continue;
      if (!want_name.empty() && ToLowerAscii(Str(o["owner"])).find(want_name) == std::string::npos)
        continue;
      owners.push_back(o);
    }
    auto by = [&](auto key) {
      std::stable_sort(owners.begin(), owners.end(),
                       [&](const json& a, const json& b) { return key(a) > key(b); });
    };
    if (f.sort == "overdue") by([](const json& o) { return Int(o["overdue"]); });
    if (f.sort == "held") by([](const json& o) { return Int(o["total"]); });
    if (f.sort == "outstanding")
      by([](const json& o) {
        return Int(o["total"]) - Int(o["implemented"]) - Int(o["superseded"]) - Int(o["unknown"]);
      });
    if (f.sort == "stale")
      by([](const json& o) {
        const json& m = o["median_days_since_progress"];
        return m.is_number() ? m.get<double>() : -1.0;
      });
    matched = static_cast<int64_t>(owners.size());
    // Pages, counted without multiplying the page asked for, which can be
    // any 64-bit number (page × per_page would overflow: found by fuzzing).
    const int64_t pages = std::max<int64_t>(1, (matched + per_page - 1) / per_page);
    if (page == 0 || page > pages) {
      field_error("page", "That page does not exist: start from the first page");
      page = 1;
    }
    first_shown = (page - 1) * per_page;
    for (int64_t i = first_shown; i < matched && i < first_shown + per_page; ++i)
      rows.push_back(OwnerTableRow(pc, owners[static_cast<size_t>(i)]));
  }
  json kind_options = json::array({Option("", "Every kind", f.kind)});
  for (const auto& k : kinds) kind_options.push_back(Option(k, KindLabel(k, true), f.kind));
  json sort_options = json::array();
  for (const auto& [value, text] : kSorts)
    sort_options.push_back(Option(value, text, f.sort.empty() ? "name" : f.sort));
  json tier_options = json::array({Option("", "Every tier", f.tier)});
  for (std::string_view t : kTiers)
    tier_options.push_back(Option(std::string(t), std::string(TierLabel(t)), f.tier));
  Query filters = {{"kind", f.kind}, {"source", f.source}};
  Query shown = {{"kind", f.kind}, {"source", f.source}, {"tier", f.tier},
                 {"name", f.name}, {"sort", f.sort}};
  auto page_href = [&](int64_t n) {
    Query q = shown;
    if (n > 1) q.emplace_back("page", std::to_string(n));
    return Href(pc, "/owners", q);
  };
  const bool more = first_shown + per_page < matched;
  auto download = [&](const std::string& format) {
    Query q = filters;
    q.emplace_back("format", format);
    return Href(pc, "/api/v1/owners", q);
  };
  PageView p;
  p.title = "Who holds the recommendations";
  p.section = "owners";
  p.template_name = "owners";
  p.has_error = !errors.empty();
  p.status = errors.empty() ? 200 : 400;
  p.breadcrumbs = json::array({{{"href", Href(pc, "/")}, {"text", "Home"}}});
  p.json_href = Href(pc, "/api/v1/owners", filters);
  std::string scope = !f.source.empty() ? "of " + f.source
                      : !f.kind.empty() ? "of " + ToLowerAscii(KindLabel(f.kind, true))
                                        : "of every source";
  p.wide = true;
  p.view = {{"title", p.title},
            {"rows", rows},
            {"empty", rows.empty() && errors.empty()},
            {"has_rows", !rows.empty()},
            {"caption", "Recommendations held by each body, " + scope},
            {"range", matched > static_cast<int64_t>(rows.size())
                          ? json(fmt::format("Showing {} to {} of {} bodies", Count(first_shown + 1),
                                             Count(first_shown + static_cast<int64_t>(rows.size())),
                                             Count(matched)))
                          : json(nullptr)},
            {"pagination", Pagination(page > 1 ? page_href(1) : "", more ? page_href(page + 1) : "",
                                      "bodies")},
            {"errors", errors},
            {"has_errors", !errors.empty()},
            {"field_errors", field_errors},
            {"form",
             {{"action", "/owners"},
              {"as_of", pc.as_of_given ? pc.as_of.ToIso() : ""},
              {"kinds", kind_options},
              {"source", f.source},
              {"tiers", tier_options},
              {"name", f.name},
              {"sorts", sort_options},
              {"clear", Href(pc, "/owners")}}},
            {"downloads", json::array({{{"href", download("csv")}, {"text", "CSV"}},
                                       {{"href", download("xlsx")}, {"text", "Excel (XLSX)"}},
                                       {{"href", download("json")}, {"text", "JSON"}}})}};
  return p;
}

Result<PageView> NonResponsesPage(Store& store, const PageCtx& pc, const std::string& kind) {
  constexpr size_t kItemsShown = 500, kOwnersShown = 20;
  auto known = KindsInStore(store);
  if (!known) return Fail(known.error());
  const std::vector<std::string>& kinds = *known;
  auto is_kind = [&](const std::string& k) { return std::binary_search(kinds.begin(), kinds.end(), k); };
  json errors = json::array(), field_errors = json::object();
  if (!kind.empty() && !is_kind(kind)) {
    errors.push_back(FieldError("non-responses-kind", "Choose a kind from the list"));
    field_errors["kind"] = "Choose a kind from the list";
  }
  json doc = nullptr;
  if (errors.empty()) {
    auto d = NonResponsesDoc(store, pc.as_of, kind);
    if (!d) return Fail(d.error());
    doc = std::move(*d);
  }
  json kind_rows = json::array(), owner_rows = json::array(), item_rows = json::array();
  int64_t total = 0, owners_total = 0;
  if (!doc.is_null()) {
    total = Int(doc["total"]);
    owners_total = Int(doc["owners_count"]);
    for (const auto& k : doc["kinds"])
      // A static copy holds the whole list only (its downloads take no filter).
      kind_rows.push_back({{"kind", KindLabel(Str(k["kind"]), true)},
                           {"href", pc.static_site()
                                        ? json(nullptr)
                                        : json(Href(pc, "/non-responses", {{"kind", Str(k["kind"])}}))},
                           {"count", Count(Int(k["non_responses"]))},
                           {"owners", Count(Int(k["owners"]))}});
    for (const auto& o : doc["owners"]) {
      if (owner_rows.size() == kOwnersShown) break;
      owner_rows.push_back({{"owner", Str(o["owner"])},
                            {"href", Href(pc, Str(o["links"]["html"]))},
                            {"count", Count(Int(o["non_responses"]))},
                            {"longest", DaysInWords(Int(o["longest_days_overdue"]))}});
    }
    for (const auto& i : doc["items"]) {
      if (item_rows.size() == kItemsShown) break;
      item_rows.push_back({{"owner", Str(i["owner"])},
                           {"owner_href", Href(pc, Str(i["links"]["owner"]))},
                           {"source_title", Str(i["source_title"])},
                           {"source", Str(i["source"])},
                           // PFD refs repeat their report's slug.
                           {"ref", Str(i["source"]).size() >= Str(i["ref"]).size() &&
                                           Str(i["source"]).compare(
                                               Str(i["source"]).size() - Str(i["ref"]).size(),
                                               std::string::npos, Str(i["ref"])) == 0
                                       ? ""
                                       : Str(i["ref"])},
                           {"href", Href(pc, Str(i["links"]["html"]))},
                           {"due", LongDate(i["due"])},
                           {"days", Count(Int(i["days_overdue"]))},
                           {"days_words", DaysInWords(Int(i["days_overdue"]))},
                           {"chasers", Count(Int(i["chasers_sent"]))}});
    }
  }
  json kind_options = json::array({Option("", "Every kind", kind)});
  for (const auto& k : kinds) kind_options.push_back(Option(k, KindLabel(k, true), kind));
  Query filters = {{"kind", kind}};
  auto download = [&](const std::string& format) {
    Query q = filters;
    q.emplace_back("format", format);
    return Href(pc, "/api/v1/non-responses", q);
  };
  PageView p;
  p.title = kind.empty() || !errors.empty() ? "Overdue responses"
                                            : "Overdue responses: " + ToLowerAscii(KindLabel(kind, true));
  p.section = "non-responses";
  p.template_name = "non_responses";
  p.has_error = !errors.empty();
  p.status = errors.empty() ? 200 : 400;
  p.breadcrumbs = json::array({{{"href", Href(pc, "/")}, {"text", "Home"}}});
  p.json_href = Href(pc, "/api/v1/non-responses", filters);
  if (errors.empty()) {
    p.feed_href = Href(pc, kind.empty() ? std::string("/feeds/non-responses.atom")
                                        : "/feeds/non-responses/" + PercentEncodeSlug(kind) + ".atom");
    p.feed_title = "Overdue responses";
  }
  std::string lead;
  if (!doc.is_null())
    lead = total == 0
               ? fmt::format("As of {}, no response is overdue.", pc.as_of.ToLong())
               : fmt::format("As of {}, {} {} not responded when due: {} overdue {} in all.",
                             pc.as_of.ToLong(), Count(owners_total),
                             owners_total == 1 ? "body has" : "bodies have", Count(total),
                             total == 1 ? "response" : "responses");
  p.view = {{"title", p.title},
            {"lead", lead},
            {"as_of_long", pc.as_of.ToLong()},
            {"errors", errors},
            {"has_errors", !errors.empty()},
            {"field_errors", field_errors},
            {"kind_rows", kind_rows},
            {"has_kinds", kind_rows.size() > 1 || (!kind.empty() && !kind_rows.empty())},
            {"owner_rows", owner_rows},
            {"owners_more", owners_total > static_cast<int64_t>(kOwnersShown)
                                ? json(Count(owners_total - static_cast<int64_t>(kOwnersShown)))
                                : json(nullptr)},
            {"item_rows", item_rows},
            {"items_caption", kind.empty() ? "Every overdue response, longest first"
                                           : "Every overdue response to " +
                                                 ToLowerAscii(KindLabel(kind, true)) + ", longest first"},
            {"items_more", total > static_cast<int64_t>(kItemsShown)},
            {"shown", Count(static_cast<int64_t>(kItemsShown))},
            {"total", Count(total)},
            {"has_items", !item_rows.empty()},
            {"empty", errors.empty() && item_rows.empty()},
            {"form",
             {{"action", "/non-responses"},
              {"as_of", pc.as_of_given ? pc.as_of.ToIso() : ""},
              {"kinds", kind_options},
              {"clear", Href(pc, "/non-responses")}}},
            {"downloads", json::array({{{"href", download("csv")}, {"text", "CSV"}},
                                       {{"href", download("xlsx")}, {"text", "Excel (XLSX)"}},
                                       {{"href", download("json")}, {"text", "JSON"}}})}};
  return p;
}

Result<PageView> OwnerPage(Store& store, const PageCtx& pc, int64_t id) {
  auto doc = OwnerDoc(store, id, pc.as_of);
  if (!doc) return Fail(doc.error());
  const json& o = *doc;
  json overdue = json::array(), held = json::array();
  int64_t longest = 0;
  for (const auto& a : o["assignments"]) {
    json row = {{"source", Str(a["source_title"])},
                {"source_href", Href(pc, SourcePath(Str(a["source"])))},
                {"ref", Str(a["ref"])},
                {"href", Href(pc, RecPath(Int(a["recommendation_id"])))},
                {"text", Excerpt(Str(a["text"]))},
                {"due", LongDate(a["due"])},
                {"implementation", ImplementationTag(Str(a["implementation"]))},
                {"response_status", ResponseStatusTag(Str(a["response_status"]))}};
    if (a["days_overdue"].is_number()) {
      row["days_overdue"] = Count(Int(a["days_overdue"]));
      longest = std::max(longest, Int(a["days_overdue"]));
      overdue.push_back(row);
    } else {
      held.push_back(row);
    }
  }
  json summary = json::array();
  if (o["summary"].is_object()) {
    json r = OwnerTableRow(pc, o["summary"]);
    auto row = [&](std::string key, const char* field) {
      summary.push_back(Summary(std::move(key), {{"text", r[field]}}));
    };
    row("Recommendations held", "total");
    row("Responded", "responded");
    row("Partial response", "partial");
    row("Responses overdue", "overdue");
    row("Implemented", "implemented");
    row("Outstanding", "outstanding");
    row("Implementation not reported", "not_reported");
    row("Median days since last progress", "median");
  }
  std::vector<std::string> aliases;
  for (const auto& a : o["aliases"]) aliases.push_back(Str(a));
  PageView p;
  p.title = Str(o["name"]);
  p.section = "owners";
  p.template_name = "owner";
  p.breadcrumbs = json::array({{{"href", Href(pc, "/")}, {"text", "Home"}},
                               {{"href", Href(pc, "/owners")}, {"text", "Owners"}}});
  p.feed_href = fmt::format("/feeds/owners/{}.atom", id);
  p.feed_title = "Validated updates of " + Str(o["name"]) + " (Atom feed)";
  p.json_href = Href(pc, fmt::format("/api/v1/owners/{}", id));
  std::string headline = overdue.empty() ? "No response is overdue."
                                         : fmt::format("{} overdue; the longest has waited {}.",
                                                       Plural(static_cast<int64_t>(overdue.size()),
                                                              "response is", "responses are"),
                                                       Plural(longest, "day", "days"));
  p.view = {{"title", p.title},
            {"tier", std::string(TierLabel(Str(o["tier"])))},
            {"aliases", Join(aliases, ", ")},
            {"summary", summary.empty() ? json(nullptr) : json{{"rows", summary}}},
            {"headline", headline},
            {"overdue", overdue},
            {"has_overdue", !overdue.empty()},
            {"held", held},
            {"has_held", !held.empty()},
            {"as_of", LongDate(o["as_of"])},
            {"feed", {{"href", p.feed_href}}}};
  return p;
}

// The report's own HTML body (its <main>) without its <h1>, which the page
// shows as its own heading: the words are the publication's own.
std::string ReportBody(const std::string& html) {
  size_t start = html.find("<main>");
  size_t end = html.rfind("</main>");
  if (start == std::string::npos || end == std::string::npos || end < start) return "";
  std::string body = html.substr(start + 6, end - start - 6);
  size_t h1 = body.find("<h1>");
  size_t h1_end = body.find("</h1>");
  if (h1 != std::string::npos && h1_end != std::string::npos) body.erase(h1, h1_end + 5 - h1);
  return body;
}

}  // namespace

std::string LongTimestamp(const std::string& iso) {
  if (iso.size() < 16 || iso[10] != 'T' || iso[13] != ':') return iso;
  auto day = Date::ParseIso(iso.substr(0, 10));
  if (!day) return iso;
  return day->ToLong() + " at " + iso.substr(11, 5) + " UTC";
}

namespace {

Result<PageView> PublicationPage(Store& store, const PageCtx& pc, int64_t id) {
  auto doc = PublicationDoc(store, id);
  if (!doc) return Fail(doc.error());
  auto data = PublishedReport(store, id);
  if (!data) return Fail(data.error());
  const json& d = *doc;
  json verification =
      json::array({Summary(data->published_on ? "Recorded here" : "Published",
                           {{"text", LongTimestamp(Str(d["created_at"]))},
                            {"note", "(" + Str(d["created_at"]) + ")"}}),
                   Summary("As of", {{"text", LongDate(d["as_of"])}}),
                   Summary("Ledger event", {{"text", std::to_string(Int(d["ledger_seq"]))}}),
                   Summary("Ledger hash at that event", {{"code", Str(d["ledger_hash"])}}),
                   Summary("Snapshot SHA-256", {{"code", Str(d["snapshot_sha256"])}})});
  if (data->published_on)
    verification.insert(verification.begin(),
                        Summary("First published", {{"text", data->published_on->ToLong()}}));
  const json& sig = d["signature"];
  if (sig.is_object()) {
    verification.push_back(Summary("Signature (Ed25519)", {{"code", Str(sig["signature"])}}));
    verification.push_back(Summary("Signed with the tracker’s key", {{"code", Str(sig["public_key"])}}));
  } else {
    verification.push_back(Summary(
        "Signature", {{"text", "None: published before this tracker signed its updates. The "
                               "ledger still pins it."}}));
  }
  std::string base = fmt::format("/publications/{}", id);
  PageView p;
  p.title = Str(d["title"]);
  p.section = "sources";
  p.template_name = "publication";
  p.breadcrumbs =
      json::array({{{"href", Href(pc, "/")}, {"text", "Home"}},
                   {{"href", Href(pc, "/sources", {{"kind", data->kind}})},
                    {"text", KindLabel(data->kind, true)}},
                   {{"href", Href(pc, SourcePath(data->slug))}, {"text", data->title}}});
  p.json_href = fmt::format("/api/v1/publications/{}", id);
  // The checkpoint made with it, of the ledger at its own event.
  auto cps = store.Checkpoints();
  if (!cps) return Fail(cps.error());
  bool checkpointed = std::any_of(cps->begin(), cps->end(), [&](const Checkpoint& c) {
    return c.ledger_seq == Int(d["ledger_seq"]) + 1;
  });
  json corrected_by = nullptr;
  if (d["corrected_by"].is_object()) {
    const json& c = d["corrected_by"];
    corrected_by = {{"href", Href(pc, Str(c["links"]["html"]))},
                    {"id", Int(c["id"])},
                    {"title", Str(c["title"])},
                    {"when", LongTimestamp(Str(c["created_at"]))},
                    {"reason", Str(c["reason"])}};
  }
  json corrects = nullptr;
  if (d["corrects"].is_number())
    corrects = {{"href", Href(pc, fmt::format("/publications/{}", Int(d["corrects"])))},
                {"id", Int(d["corrects"])}};
  p.view = {{"title", p.title},
            {"corrected_by", corrected_by},
            {"corrects", corrects},
            {"checkpoint_seq", checkpointed ? json(Int(d["ledger_seq"]) + 1) : json(nullptr)},
            {"checkpoints_href", Href(pc, "/api/v1/checkpoints")},
            {"source_title", data->title},
            {"source_href", Href(pc, SourcePath(data->slug))},
            {"as_of", LongDate(d["as_of"])},
            {"id", id},
            {"verification", {{"rows", verification}}},
            {"signed", sig.is_object()},
            {"public_key", sig.is_object() ? Str(sig["public_key"]) : ""},
            {"document_href", Href(pc, fmt::format("/api/v1/publications/{}", id))},
            {"report", WithNarrowCharts(ReportBody(RenderReport(*data, ReportFormat::kHtml)), *data)},
            {"downloads", json::array({{{"href", base + ".md"}, {"text", "Markdown"}},
                                       {{"href", base + ".html"}, {"text", "HTML"}},
                                       {{"href", base + ".json"}, {"text", "JSON"}}})}};
  return p;
}

// Snippets mark matches with [ and ]: escape the text, then turn the markers
// into <mark>, balanced whatever the text holds.
std::string HighlightSnippet(const std::string& snippet) {
  std::string escaped = HtmlEscape(snippet), out;
  bool open = false;
  for (char c : escaped) {
    if (c == '[' && !open) {
      out += "<mark>";
      open = true;
    } else if (c == ']' && open) {
      out += "</mark>";
      open = false;
    } else {
      out.push_back(c);
    }
  }
  if (open) out += "</mark>";
  return out;
}

Result<PageView> SearchPage(Store& store, const PageCtx& pc, const std::string& raw_q,
                            const std::string& after) {
  std::string q(Trim(raw_q));
  PageView p;
  p.title = "Search recommendations";
  p.section = "search";
  p.template_name = "search";
  p.breadcrumbs = json::array({{{"href", Href(pc, "/")}, {"text", "Home"}}});
  json errors = json::array();
  json results = json::array();
  bool searched = false;
  int64_t total = 0, offset = 0;
  std::string next;
  if (q.size() > kMaxQuery) {
    errors.push_back(FieldError("search-q", "Search words must be 500 characters or fewer"));
  } else if (!q.empty()) {
    auto doc = SearchDoc(store, q, ::rectrack::Page{after, pc.options->page_size});
    if (!doc && doc.error().code == Error::Code::kInvalidInput) {
      errors.push_back(FieldError("search-q", doc.error().message.rfind("after:", 0) == 0
                                                  ? "That page of results does not exist: search again"
                                                  : "Enter words to search for"));
    } else if (!doc) {
      return Fail(doc.error());
    } else {
      searched = true;
      total = Int((*doc)["total"]);
      offset = Int((*doc)["offset"]);
      next = Str((*doc)["next_cursor"]);
      std::map<std::string, std::string> titles;
      for (const auto& h : (*doc)["results"]) {
        std::string slug = Str(h["source"]);
        if (!titles.count(slug)) {
          auto s = store.GetSource(slug);
          titles[slug] = s ? s->title : slug;
        }
        results.push_back(
            {{"href", Href(pc, RecPath(Int(h["recommendation_id"])))},
             {"ref", Str(h["ref"])},
             {"source", titles[slug]},
             {"field", Str(h["field"]) == "response" ? "In a response" : "In the recommendation"},
             {"snippet", HighlightSnippet(Str(h["snippet"]))}});
      }
    }
  }
  if (!errors.empty()) {
    p.has_error = true;
    p.status = 400;
  }
  if (searched) p.title = "Search results for ‘" + q + "’";
  p.view = {{"title", "Search recommendations"},
            {"q", raw_q.size() > kMaxQuery ? raw_q.substr(0, kMaxQuery) : raw_q},
            {"as_of", pc.as_of_given ? pc.as_of.ToIso() : ""},
            {"errors", errors},
            {"has_errors", !errors.empty()},
            {"error", errors.empty() ? json(nullptr) : errors[0]["text"]},
            {"searched", searched},
            {"results", results},
            {"count", Plural(total, "result", "results")},
            {"range", results.size() < static_cast<size_t>(total)
                          ? json(fmt::format("Showing {} to {} of {}", offset + 1,
                                             offset + static_cast<int64_t>(results.size()), total))
                          : json(nullptr)},
            {"start", offset + 1},
            {"query", q},
            {"none", searched && results.empty()},
            {"pagination",
             Pagination(offset > 0 ? Href(pc, "/search", {{"q", q}}) : "",
                        next.empty() ? "" : Href(pc, "/search", {{"q", q}, {"after", next}}),
                        "results")}};
  return p;
}

// ---- serving ----------------------------------------------------------------------

Result<Date> ParseAsOf(const Request& req, const AppContext& ctx, bool* given) {
  std::string v = req.Query("as_of");
  *given = !v.empty();
  if (v.empty()) return ctx.today();
  auto d = Date::ParseIso(v);
  if (!d)
    return Fail(Error::Invalid("as_of must be a date written as YYYY-MM-DD, like 2017-10-25"));
  return d;
}

// The style the report's HTML carries inline, allowed by its hash alone.
std::string ReportCsp(const std::string& html) {
  size_t a = html.find("<style>"), b = html.find("</style>");
  std::string style = a == std::string::npos || b == std::string::npos || b < a
                          ? std::string()
                          : html.substr(a + 7, b - a - 7);
  return fmt::format(
      "default-src 'none'; style-src 'sha256-{}'; img-src data:; frame-ancestors 'none'; "
      "base-uri 'none'; form-action 'none'",
      Sha256Base64(style));
}

// A publication's HTML download, whose inline style needs ReportCsp.
bool IsReportHtml(const std::string& path, const std::string& content_type) {
  return path.rfind("/publications/", 0) == 0 && path.size() > 5 &&
         path.compare(path.size() - 5, 5, ".html") == 0 && content_type.rfind("text/html", 0) == 0;
}

Response ToResponse(const Rendered& r, const std::string& etag, std::string_view cache_control,
                    bool personal) {
  Response resp = Response::Text(r.status, r.body, r.content_type);
  if (!etag.empty()) resp.Set("ETag", etag);
  resp.Set("Cache-Control", personal ? "private, no-cache" : std::string(cache_control));
  if (!r.csp.empty()) resp.Set("Content-Security-Policy", r.csp);
  if (!r.disposition.empty()) resp.Set("Content-Disposition", r.disposition);
  if (r.retry_after > 0) resp.Set("Retry-After", std::to_string(r.retry_after));
  return resp;
}

enum class Pin { kLedger, kForever };

using Build = std::function<Result<Rendered>(Store&, const PageCtx&)>;

// Renders (or fetches from the cache) one response. Live pages are keyed by the
// ledger head and the as-of date, so they are rebuilt when either moves;
// `Pin::kForever` documents (publications) only by their address.
Response Serve(AppContext& ctx, const PagesOptions& options, const Request& req, Pin pin,
               const Build& build) {
  PageCtx pc;
  pc.options = &options;
  if (options.viewer) pc.viewer = options.viewer(req);
  auto as_of = ParseAsOf(req, ctx, &pc.as_of_given);
  if (pc.as_of_given) {
    Query rest;
    for (const auto& [k, v] : req.query)
      if (k != "as_of") rest.emplace_back(k, v);
    PageCtx plain;
    pc.today_href = Href(plain, req.path, rest);
  }
  pc.as_of = as_of ? *as_of : ctx.today();
  if (!as_of) return ToResponse(ErrorPage(pc, as_of.error()), "", "no-store", false);
  auto store = ctx.stores->Get();
  if (!store) return ToResponse(ErrorPage(pc, store.error()), "", "no-store", false);
  auto head = HeadSeq(ctx, **store);
  if (!head) return ToResponse(ErrorPage(pc, head.error()), "", "no-store", false);
  const bool personal = pc.viewer.has_value();
  std::string key =
      pin == Pin::kForever
          ? fmt::format("page|{}|{}", options.static_site ? "static" : "live", req.target)
          : fmt::format("page|{}|{}|{}|{}", options.static_site ? "static" : "live", req.target,
                        *head, pc.as_of.ToIso());
  std::string_view cache_control = kLiveCache;
  // A cached document is sent as it is, shared with the cache, not copied.
  auto respond = [&](std::shared_ptr<const DocumentCache::Entry> e) {
    Response resp = CachedResponse(e);
    resp.Set("Cache-Control", std::string(cache_control));
    if (IsReportHtml(req.path, e->content_type)) resp.Set("Content-Security-Policy", ReportCsp(e->body));
    return resp;
  };
  if (!personal) {
    if (auto hit = ctx.cache->Get(key)) return respond(std::move(hit));
  }
  Result<Rendered> r = build(**store, pc);
  if (!r) return ToResponse(ErrorPage(pc, r.error()), "", "no-store", personal);
  if (r->status == 200 && !personal) {
    DocumentCache::Entry e;
    e.etag = StrongEtag(r->body);
    e.body = std::move(r->body);
    e.content_type = std::move(r->content_type);
    e.disposition = std::move(r->disposition);
    return respond(ctx.cache->Put(key, std::move(e)));
  }
  return ToResponse(*r, r->status == 200 ? StrongEtag(r->body) : "",
                    r->status == 200 ? cache_control : "no-store", personal);
}

Build Page(std::function<Result<PageView>(Store&, const PageCtx&)> fn) {
  return [fn = std::move(fn)](Store& store, const PageCtx& pc) -> Result<Rendered> {
    auto view = fn(store, pc);
    if (!view) {
      if (view.error().code == Error::Code::kInvalidInput ||
          view.error().code == Error::Code::kNotFound)
        return ErrorPage(pc, view.error());
      return Fail(view.error());
    }
    return Finish(pc, std::move(*view));
  };
}

// Splits "12.md" into "12" and "md" (no dot: ext empty).
std::pair<std::string, std::string> SplitExt(const std::string& s) {
  size_t dot = s.rfind('.');
  if (dot == std::string::npos) return {s, ""};
  return {s.substr(0, dot), s.substr(dot + 1)};
}

Result<Rendered> NotFound(const PageCtx& pc, const std::string& what) {
  return Finish(pc, ErrorView(404, what));
}

// An Atom feed as the answer: the 404 page when the address names no feed
// (`found` false, or the feed's maker failing with `missing`).
Result<Rendered> AtomFeed(const PageCtx& pc, bool found,
                          const std::function<Result<std::string>()>& make, Error::Code missing) {
  if (!found) return NotFound(pc, "There is no feed at this address.");
  auto feed = make();
  if (!feed && feed.error().code == missing) return NotFound(pc, "There is no feed at this address.");
  if (!feed) return Fail(feed.error());
  Rendered r;
  r.body = std::move(*feed);
  r.content_type = "application/atom+xml; charset=utf-8";
  return r;
}

}  // namespace

std::string StaticUrl(std::string_view file) {
  std::string_view body = EmbeddedFile(file);
  if (body.empty()) return "";
  std::string etag = StrongEtag(body);  // "\"<hex>\""
  std::string_view name = file.substr(file.find('/') + 1);
  return fmt::format("/static/{}?v={}", name, etag.substr(1, 10));
}

std::string IntegrityRefusal(const std::string& problem) {
  return fmt::format(
      "This tracker's data does not match its ledger, so it is not served until that is put "
      "right: {}. Published updates that pass their own check are still served at their "
      "addresses, and the tracker's signed checkpoints are at /api/v1/checkpoints.",
      problem);
}

Response IntegrityFailedPage(const std::string& problem, const PagesOptions& options) {
  PageCtx pc;
  pc.options = &options;
  pc.as_of = Date();
  Rendered r = ErrorPage(pc, Error::Corrupt(IntegrityRefusal(problem)));
  r.status = 503;
  return ToResponse(r, "", "no-store", false);
}

Response NotFoundPage(const PagesOptions& options) {
  PageCtx pc;
  pc.options = &options;
  pc.as_of = Date();
  Rendered r = ErrorPage(pc, Error::NotFound(""));
  return ToResponse(r, "", "no-store", false);
}

void RegisterPages(Router& router, AppContext& ctx, PagesOptions options) {
  // Shared by every handler; lives as long as the router's handlers do.
  auto opts = std::make_shared<const PagesOptions>(std::move(options));

  router.Add("GET", "/", [&ctx, opts](Request& req) {
    return Serve(ctx, *opts, req, Pin::kLedger, Page(HomePage));
  });
  router.Add("GET", "/sources", [&ctx, opts](Request& req) {
    std::string after = req.Query("after"), year = req.Query("year");
    SourcesFilter f;
    f.kind = req.Query("kind");
    if (!opts->static_site) {
      int y = 0;
      auto [end, ec] = std::from_chars(year.data(), year.data() + year.size(), y);
      if (ec == std::errc() && end == year.data() + year.size() && y >= 1800 && y <= 2200) f.year = y;
      f.area = std::string(Trim(req.Query("area")));
      f.theme = req.Query("theme");
      f.owner = std::string(Trim(req.Query("owner")));
    }
    return Serve(ctx, *opts, req, Pin::kLedger, Page([&](Store& s, const PageCtx& pc) {
                   return SourcesPage(s, pc, f, year, after);
                 }));
  });
  router.Add("GET", "/sources/{slug}", [&ctx, opts](Request& req) {
    std::string slug = req.Param("slug");
    SourceFilter sf;
    if (!opts->static_site) {
      sf.filter.owner = req.Query("owner");
      sf.filter.tier = req.Query("tier");
      sf.filter.status = req.Query("status");
      sf.overdue_raw = req.Query("overdue");
      sf.filter.overdue = sf.overdue_raw == "true" || sf.overdue_raw == "1";
    }
    sf.after = req.Query("after");
    return Serve(ctx, *opts, req, Pin::kLedger,
                 Page([&](Store& s, const PageCtx& pc) { return SourcePage(s, pc, slug, sf); }));
  });
  router.Add("GET", "/recommendations/{id}", [&ctx, opts](Request& req) {
    auto id = PositiveId(req.Param("id"));
    return Serve(ctx, *opts, req, Pin::kLedger, [&](Store& s, const PageCtx& pc) {
      if (!id) return NotFound(pc, "There is no recommendation at this address.");
      return Page([&](Store& st, const PageCtx& p) { return RecommendationPage(st, p, *id); })(s,
                                                                                               pc);
    });
  });
  router.Add("GET", "/owners", [&ctx, opts](Request& req) {
    OwnersFilter f;
    if (!opts->static_site) {
      f.kind = req.Query("kind");
      f.source = req.Query("source");
      f.sort = req.Query("sort");
      f.tier = req.Query("tier");
      f.name = std::string(Trim(req.Query("name")));
      f.page = req.Query("page");
    }
    return Serve(ctx, *opts, req, Pin::kLedger,
                 Page([&](Store& s, const PageCtx& pc) { return OwnersPage(s, pc, f); }));
  });
  router.Add("GET", "/non-responses", [&ctx, opts](Request& req) {
    std::string kind = opts->static_site ? std::string() : req.Query("kind");
    return Serve(ctx, *opts, req, Pin::kLedger, Page([&](Store& s, const PageCtx& pc) {
                   return NonResponsesPage(s, pc, kind);
                 }));
  });
  // Every overdue response, and those of one kind: a path each (a static copy
  // holds no query).
  auto non_responses_feed = [&ctx, opts](Request& req, std::string kind, bool found) {
    return Serve(ctx, *opts, req, Pin::kLedger,
                 [&](Store& s, const PageCtx& pc) {
                   // An unknown kind is the API's 400 and the feeds' 404.
                   return AtomFeed(pc, found, [&] { return NonResponsesFeed(s, pc.as_of, kind); },
                                   Error::Code::kInvalidInput);
                 });
  };
  router.Add("GET", "/feeds/non-responses.atom", [non_responses_feed](Request& req) {
    return non_responses_feed(req, "", true);
  });
  router.Add("GET", "/feeds/non-responses/{file}", [non_responses_feed](Request& req) {
    auto [kind, ext] = SplitExt(req.Param("file"));
    return non_responses_feed(req, kind, ext == "atom" && !kind.empty());
  });
  router.Add("GET", "/owners/{id}", [&ctx, opts](Request& req) {
    auto id = PositiveId(req.Param("id"));
    return Serve(ctx, *opts, req, Pin::kLedger, [&](Store& s, const PageCtx& pc) {
      if (!id) return NotFound(pc, "There is no owner at this address.");
      return Page([&](Store& st, const PageCtx& p) { return OwnerPage(st, p, *id); })(s, pc);
    });
  });
  router.Add("GET", "/publications/{id}", [&ctx, opts](Request& req) {
    auto [id_text, ext] = SplitExt(req.Param("id"));
    auto id = PositiveId(id_text);
    return Serve(ctx, *opts, req, Pin::kForever,
                 [&, ext = ext](Store& s, const PageCtx& pc) -> Result<Rendered> {
                   if (!id) return NotFound(pc, "There is no publication at this address.");
                   if (ext.empty())
                     return Page([&](Store& st, const PageCtx& p) {
                       return PublicationPage(st, p, *id);
                     })(s, pc);
                   auto format = ParseReportFormat(ext);
                   if (!format) return NotFound(pc, "There is no publication at this address.");
                   auto data = PublishedReport(s, *id);
                   if (!data && data.error().code == Error::Code::kNotFound)
                     return NotFound(pc, "There is no publication at this address.");
                   if (!data) return Fail(data.error());
                   Rendered r;
                   r.body = RenderReport(*data, *format);
                   switch (*format) {
                     case ReportFormat::kMarkdown:
                       r.content_type = "text/markdown; charset=utf-8";
                       break;
                     case ReportFormat::kHtml:
                       r.content_type = std::string(kHtmlType);
                       r.csp = ReportCsp(r.body);
                       break;
                     case ReportFormat::kJson:
                       r.content_type = "application/json";
                       break;
                   }
                   r.disposition = fmt::format("inline; filename=\"{}-publication-{}.{}\"",
                                               Slugify(data->slug), *id, ext);
                   return r;
                 });
  });
  router.Add("GET", "/search", [&ctx, opts](Request& req) {
    std::string q = req.Query("q");
    return Serve(ctx, *opts, req, Pin::kLedger,
                 Page([&](Store& s, const PageCtx& pc) {
                   return SearchPage(s, pc, q, req.Query("after"));
                 }));
  });
  router.Add("GET", "/feeds/sources/{file}", [&ctx, opts](Request& req) {
    auto [slug, ext] = SplitExt(req.Param("file"));
    return Serve(ctx, *opts, req, Pin::kLedger,
                 [&, slug = slug, ext = ext](Store& s, const PageCtx& pc) {
                   return AtomFeed(pc, ext == "atom", [&] { return SourceFeed(s, slug); },
                                   Error::Code::kNotFound);
                 });
  });
  router.Add("GET", "/feeds/owners/{file}", [&ctx, opts](Request& req) {
    auto [id_text, ext] = SplitExt(req.Param("file"));
    auto id = PositiveId(id_text);
    return Serve(ctx, *opts, req, Pin::kLedger,
                 [&, ext = ext](Store& s, const PageCtx& pc) {
                   return AtomFeed(pc, ext == "atom" && id, [&] { return OwnerFeed(s, *id); },
                                   Error::Code::kNotFound);
                 });
  });
  router.Add("GET", "/static/{file...}", [opts](Request& req) {
    std::string name = "static/" + req.Param("file");
    std::string_view body = EmbeddedFile(name);
    if (body.empty() || name.find("..") != std::string::npos) return NotFoundPage(*opts);
    Response r = Response::Text(200, std::string(body), std::string(ContentTypeFor(name)));
    r.Set("ETag", StrongEtag(body));
    r.Set("Cache-Control", std::string(kStaticCache));
    return r;
  });
}

}  // namespace rectrack::web

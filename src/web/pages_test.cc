// The public pages, rendered from a real SQLite store holding the Harris
// example, the PFD sample and a source whose texts try to inject markup.
#include "web/pages.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <set>
#include <thread>
#include <string>
#include <vector>

#include "app/service.h"
#include "app/views.h"
#include "core/text.h"
#include "fmt/format.h"
#include "report/report_render.h"
#include "web/feeds.h"
#include "web/pages_test_util.h"
#include "web/templates.h"
#include "web/test_client.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;
using testing_util::AttrValues;
using testing_util::kScript;
using testing_util::kToday;
using testing_util::Occurrences;
using testing_util::Site;
using testing_util::SiteStore;
using testing_util::XmlProblem;

testing::AssertionResult Has(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "the page does not contain '" << part << "'";
}

testing::AssertionResult Lacks(const std::string& text, std::string_view part) {
  size_t at = text.find(part);
  if (at == std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "the page contains '" << part << "': ..."
                                     << text.substr(at > 80 ? at - 80 : 0, 200) << "...";
}

int64_t RecId(const std::string& slug, const std::string& ref) {
  auto v = SiteStore::Get().store().GetRecommendation(slug, ref);
  if (!v) throw std::runtime_error(v.error().message);
  return v->recommendation.id;
}

int64_t OwnerId(const std::string& name) {
  auto owners = SiteStore::Get().store().ListOwners();
  if (!owners) throw std::runtime_error(owners.error().message);
  for (const auto& o : *owners)
    if (o.name == name) return o.id;
  throw std::runtime_error("no owner " + name);
}

// The owner holding the PFD assignment that has waited longest, and its wait.
std::pair<int64_t, int64_t> LongestOverduePfdOwner() {
  auto doc = OwnersDoc(SiteStore::Get().store(), "", "pfd", kToday);
  if (!doc) throw std::runtime_error(doc.error().message);
  int64_t best_owner = 0, best_days = -1;
  for (const auto& o : (*doc)["owners"]) {
    if (o["overdue"].get<int>() == 0) continue;
    auto od = OwnerDoc(SiteStore::Get().store(), o["owner_id"].get<int64_t>(), kToday);
    if (!od) throw std::runtime_error(od.error().message);
    const json& first = (*od)["assignments"][0];
    if (first["days_overdue"].is_number() && first["days_overdue"].get<int64_t>() > best_days) {
      best_days = first["days_overdue"].get<int64_t>();
      best_owner = o["owner_id"].get<int64_t>();
    }
  }
  return {best_owner, best_days};
}

// What every page must have: one h1, the language, the skip link and its
// target, a title "X – rectrack", labelled form fields, scoped table headers,
// and nothing the Content-Security-Policy would block.
void ExpectAccessiblePage(const std::string& url, const Response& r) {
  SCOPED_TRACE(url);
  const std::string& html = r.body;
  EXPECT_EQ(r.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Occurrences(html, "<h1"), 1);
  EXPECT_TRUE(Has(html, "<html lang=\"en-GB\""));
  EXPECT_TRUE(
      Has(html, "<a href=\"#main-content\" class=\"rt-skip-link\">Skip to main content</a>"));
  EXPECT_EQ(Occurrences(html, "id=\"main-content\""), 1);
  EXPECT_TRUE(std::regex_search(html, std::regex("<title>[^<]+ – rectrack</title>")));
  EXPECT_TRUE(Has(html, "<nav class=\"rt-service-nav\" aria-label=\"Menu\">"));
  EXPECT_TRUE(Has(html, "<footer"));
  EXPECT_TRUE(Lacks(html, "<script"));
  EXPECT_TRUE(Lacks(html, "<style"));
  EXPECT_TRUE(Lacks(html, " style=\""));
  EXPECT_TRUE(Lacks(html, "href=\"javascript:"));
  // Every <th> says what it heads.
  std::regex th("<th(\\s[^>]*)?>");
  for (std::sregex_iterator it(html.begin(), html.end(), th), end; it != end; ++it)
    EXPECT_TRUE(Has(it->str(), "scope=\"")) << it->str();
  // Every visible field has a <label for> naming its id.
  std::set<std::string> labels;
  for (const auto& f : AttrValues(html, "for")) labels.insert(f);
  std::regex field("<(select|input|textarea)\\s[^>]*>");
  std::regex id_re("\\sid=\"([^\"]+)\"");
  for (std::sregex_iterator it(html.begin(), html.end(), field), end; it != end; ++it) {
    std::string tag = it->str();
    if (tag.find("type=\"hidden\"") != std::string::npos) continue;
    std::smatch id;
    ASSERT_TRUE(std::regex_search(tag, id, id_re)) << "field without an id: " << tag;
    EXPECT_TRUE(labels.count(id[1].str())) << "field without a label: " << tag;
  }
  // Ids are unique.
  std::map<std::string, int> ids;
  for (const auto& id : AttrValues(html, "id")) ++ids[id];
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << "id used " << n << " times: " << id;
}

class PagesTest : public testing::Test {
 protected:
  Site site_;
};

TEST_F(PagesTest, EveryPageTypeIsAccessible) {
  const std::vector<std::string> urls = {
      "/",
      "/sources",
      "/sources?kind=pfd",
      "/sources/harris-2016",
      "/sources/harris-2016?owner=Home%20Office&status=not_started&overdue=true",
      "/sources/harris-2016?status=bogus",
      "/sources/hostile-2020",
      fmt::format("/recommendations/{}", RecId("harris-2016", "G1")),
      fmt::format("/recommendations/{}", RecId("hostile-2020", "X1")),
      "/owners",
      "/owners?kind=pfd&sort=overdue",
      "/owners?kind=pfd&source=harris-2016",
      "/non-responses",
      "/non-responses?kind=pfd",
      "/non-responses?kind=nope",
      fmt::format("/owners/{}", OwnerId("Home Office")),
      "/publications/2",
      "/search",
      "/search?q=barriers",
      "/search?q=script",
      "/sources/no-such-source",
      "/recommendations/abc",
      "/sources/harris-2016?as_of=not-a-date",
  };
  for (const auto& url : urls) ExpectAccessiblePage(url, site_.Get(url));
}

TEST_F(PagesTest, HomeListsEverySourceWithProgressAndSummarisesBigKinds) {
  Response r = site_.Get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Has(r.body, "<a href=\"/sources/harris-2016\">An independent review of London"));
  EXPECT_TRUE(Has(r.body, "7 of 21"));
  // 31 PFD reports are too many to list: a count and a link to their pages.
  EXPECT_TRUE(Has(r.body, "There are 31 of them"));
  EXPECT_TRUE(Has(r.body, "href=\"/sources?kind=pfd\""));
  EXPECT_TRUE(Lacks(r.body, "/sources/pfd-"));
  // Titles are escaped.
  EXPECT_TRUE(Has(r.body, "Inquiry into &lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;"));
  EXPECT_TRUE(Has(r.body, "href=\"/sign-in\">Sign in</a>"));
}

TEST_F(PagesTest, SourcesListPagesByCursor) {
  PagesOptions options;
  options.page_size = 10;
  Site small(options);
  Response first = small.Get("/sources?kind=pfd");
  ASSERT_EQ(first.status, 200);
  EXPECT_TRUE(Has(first.body, "Prevention of future deaths reports: 31"));
  EXPECT_EQ(Occurrences(first.body, "href=\"/sources/pfd-"), 10);
  std::smatch next;
  ASSERT_TRUE(std::regex_search(
      first.body, next,
      std::regex("href=\"(/sources\\?kind=pfd&amp;after=r[0-9]+)\" rel=\"next\"")));
  std::string next_url = std::regex_replace(next[1].str(), std::regex("&amp;"), "&");
  Response second = small.Get(next_url);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(Occurrences(second.body, "href=\"/sources/pfd-"), 10);
  EXPECT_TRUE(Has(second.body, "First page"));
  // No report shows twice.
  std::regex link("href=\"(/sources/pfd-[^\"]+)\"");
  std::set<std::string> seen;
  for (const auto* body : {&first.body, &second.body})
    for (std::sregex_iterator it(body->begin(), body->end(), link), end; it != end; ++it)
      EXPECT_TRUE(seen.insert((*it)[1].str()).second) << (*it)[1].str();
  Response bad = small.Get("/sources?kind=pfd&after=garbage");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Has(bad.body, "There is a problem with this address"));
  EXPECT_EQ(small.Get("/sources?kind=nonsense").status, 404);
}

TEST_F(PagesTest, SourcePageHasHeadlineChartOwnersFundingChangesAndList) {
  Response r = site_.Get("/sources/harris-2016");
  ASSERT_EQ(r.status, 200);
  const std::string& h = r.body;
  EXPECT_TRUE(
      Has(h, "<h1 class=\"rt-heading-xl\">An independent review of London&apos;s preparedness"));
  EXPECT_TRUE(Has(h, "7 of 21 recommendations implemented"));
  EXPECT_TRUE(Has(h, "The review made 127 recommendations; 21 of them are tracked here."));
  // The chart: an accessible SVG beside the same numbers as tables.
  EXPECT_TRUE(Has(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\""));
  EXPECT_TRUE(Has(h, "role=\"img\""));
  EXPECT_TRUE(Has(
      h, "<caption class=\"rt-table__caption rt-table__caption--s\">By implementation</caption>"));
  // Owners, grouped by tier, central government first, the Home Office in it.
  size_t central = h.find(">Central government</th>");
  size_t home_office = h.find(">Home Office</a></th>");
  ASSERT_NE(central, std::string::npos);
  ASSERT_NE(home_office, std::string::npos);
  EXPECT_LT(central, home_office);
  EXPECT_LT(central, h.find("</tbody>", central));
  EXPECT_GT(h.find("</tbody>", central), home_office);  // in the same group
  EXPECT_TRUE(Has(h, "scope=\"rowgroup\""));
  // The funding gap.
  EXPECT_TRUE(Has(h, "£172m short"));
  EXPECT_TRUE(Has(h, "Capital Cities"));
  // Changes since the last publication, and the publications.
  EXPECT_TRUE(Has(h, "What changed since the last official update"));
  EXPECT_TRUE(Has(h, "October 2017 update: one year on"));
  EXPECT_TRUE(Has(h, "href=\"/publications/1\""));
  EXPECT_TRUE(Has(h, "href=\"/publications/2\""));
  // The list, its filter form and its downloads.
  EXPECT_TRUE(Has(h, "21 recommendations"));
  EXPECT_TRUE(Has(
      h,
      "<form class=\"rt-filter\" method=\"get\" action=\"/sources/harris-2016#recommendations\""));
  EXPECT_TRUE(Has(h, "<label class=\"rt-label\" for=\"filter-owner\">Owner</label>"));
  EXPECT_TRUE(Has(h, "<option value=\"Home Office\">Home Office</option>"));
  EXPECT_TRUE(Has(h, "href=\"/api/v1/sources/harris-2016/recommendations?format=csv\""));
  EXPECT_TRUE(Has(h, "href=\"/api/v1/sources/harris-2016/recommendations?format=xlsx\""));
  EXPECT_TRUE(
      Has(h, "href=\"/api/v1/sources/harris-2016/recommendations?format=json&amp;limit=500\""));
  // Each tag says what it is about; an answer says what the body said (a
  // rejection in red, not a green "responded"); a row of one owner does not
  // repeat itself as "Overall"; the headline says when anything last changed.
  EXPECT_TRUE(Has(h, "<strong class=\"rt-tag rt-tag--green\"><span class=\"rt-tag__prefix\">"
                     "Implementation: </span>implemented</strong>"));
  EXPECT_TRUE(Has(h, "<strong class=\"rt-tag rt-tag--red\"><span class=\"rt-tag__prefix\">"
                     "Response: </span>rejected</strong>"));
  EXPECT_TRUE(Lacks(h, "</span>responded</strong>"));
  EXPECT_TRUE(Has(h, "As its one owner"));
  EXPECT_TRUE(Has(h, "% as of 1 June 2024. Last changed on 25 October 2017"));
  EXPECT_TRUE(Has(h, "href=\"/feeds/sources/harris-2016.atom\""));
  EXPECT_TRUE(Has(h, "<link rel=\"alternate\" type=\"application/atom+xml\""));
  // Every download link answers.
  for (const auto& href : AttrValues(h, "href"))
    if (href.rfind("/api/v1/", 0) == 0) {
      EXPECT_EQ(site_.Get(href).status, 200) << href;
    }
}

TEST_F(PagesTest, ACoronersReportLeadsWithTheResponseClock) {
  // Due 56 days after 11 March 2024; unanswered on 1 June 2024.
  Response r = site_.Get("/sources/pfd-2024-0131");
  ASSERT_EQ(r.status, 200);
  const std::string& h = r.body;
  size_t clock = h.find("<div class=\"rt-panel rt-panel--late\">\n<p class=\"rt-panel__title\">"
                        "Response overdue by 26 days</p>");
  size_t headline = h.find("0 of 1 recommendation implemented");
  ASSERT_NE(clock, std::string::npos);
  ASSERT_NE(headline, std::string::npos);
  EXPECT_LT(clock, headline) << "the clock comes first";
  EXPECT_TRUE(Has(h, "The response was due on 6 May 2024."));
  EXPECT_TRUE(Has(h, "<div class=\"rt-panel rt-panel--neutral\">\n<p class=\"rt-panel__title\">0 of 1"))
      << "nothing implemented is not a green panel";
  EXPECT_TRUE(Lacks(h, "Status of the recommendations")) << "no chart of zeros for one recommendation";
  EXPECT_TRUE(Has(site_.Get("/sources/harris-2016").body, "Status of the recommendations"));
  auto doc = SourceDoc(SiteStore::Get().store(), "pfd-2024-0131", kToday);
  ASSERT_TRUE(doc);
  EXPECT_EQ((*doc)["response_clock"]["overdue"], 1);
  EXPECT_EQ((*doc)["response_clock"]["longest_overdue_days"], 26);
  EXPECT_EQ((*doc)["response_clock"]["overdue_since"], "2024-05-06");
}

TEST_F(PagesTest, TheSourcesListIsNewestFirstAndFindsByYearAreaCategoryAndRecipient) {
  Response all = site_.Get("/sources?kind=pfd");
  ASSERT_EQ(all.status, 200);
  // Newest first: the list's order is the document's, whose dates fall.
  auto whole = SourcesDoc(SiteStore::Get().store(), kToday, "pfd", Page{"", 1000});
  ASSERT_TRUE(whole);
  std::vector<std::string> dates;
  for (const auto& src : (*whole)["sources"])
    if (src["date"].is_string()) dates.push_back(src["date"].get<std::string>());
  ASSERT_GT(dates.size(), 5u);
  EXPECT_TRUE(std::is_sorted(dates.rbegin(), dates.rend())) << "newest first";
  const std::string first_slug = (*whole)["sources"][0]["slug"].get<std::string>();
  const std::string second_slug = (*whole)["sources"][1]["slug"].get<std::string>();
  EXPECT_LT(all.body.find("href=\"/sources/" + first_slug + "\""),
            all.body.find("href=\"/sources/" + second_slug + "\""));
  EXPECT_TRUE(Has(all.body, "<label class=\"rt-label\" for=\"sources-year\">Year</label>"));
  EXPECT_TRUE(Has(all.body, "<option value=\"2024\">2024</option>"));

  auto count = [&](const std::string& query) {
    Response r = site_.Get("/sources?kind=pfd&" + query);
    EXPECT_EQ(r.status, 200) << query;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r.body, m, std::regex("filtered: ([0-9]+)"))) << query;
    return m.empty() ? -1 : std::stoi(m[1]);
  };
  // Each filter against the data it filters on, read from the API's document.
  auto doc = SourcesDoc(SiteStore::Get().store(), kToday, "pfd", Page{"", 1000});
  ASSERT_TRUE(doc);
  int in_2024 = 0;
  for (const auto& src : (*doc)["sources"])
    if (src["date"].is_string() && src["date"].get<std::string>().rfind("2024", 0) == 0) ++in_2024;
  EXPECT_EQ(count("year=2024"), in_2024);
  EXPECT_GT(in_2024, 0);
  EXPECT_LT(in_2024, (*doc)["total"].get<int>());
  EXPECT_EQ(count("area=GWENT"), 1) << "case ignored; the coroner's area is in the notes";
  ASSERT_FALSE((*doc)["themes"].empty());
  const std::string theme = (*doc)["themes"][0].get<std::string>();
  EXPECT_GT(count("theme=" + PercentEncode(theme)), 0);
  auto owners = OwnersDoc(SiteStore::Get().store(), "", "pfd", kToday);
  ASSERT_TRUE(owners);
  const json& some = (*owners)["owners"][0];
  EXPECT_GT(count("owner=" + PercentEncode(some["owner"].get<std::string>())), 0)
      << "a body a report was sent to";
  EXPECT_LE(count("owner=" + PercentEncode(some["owner"].get<std::string>())),
            some["total"].get<int>())
      << "no more reports than the body holds recommendations of them";
  Response unknown = site_.Get("/sources?kind=pfd&owner=Nobody%20At%20All");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(Has(unknown.body, "No body is called ‘Nobody At All’"));
  // The filters stay in the next page's link.
  PagesOptions options;
  options.page_size = 2;
  Site small(options);
  Response first = small.Get("/sources?kind=pfd&year=2024");
  EXPECT_TRUE(std::regex_search(first.body, std::regex("href=\"/sources\\?kind=pfd&amp;year=2024&amp;after=r[0-9]+\" rel=\"next\"")));
}

TEST_F(PagesTest, SourceListFiltersAndKeepsTheFilterInItsLinks) {
  Response r = site_.Get("/sources/harris-2016?owner=Home%20Office&status=not_started");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Has(r.body, "match the filters"));
  EXPECT_TRUE(Has(r.body, "<option value=\"Home Office\" selected>Home Office</option>"));
  EXPECT_TRUE(Has(r.body, "<option value=\"not_started\" selected>not started</option>"));
  EXPECT_TRUE(Has(r.body,
                  "href=\"/api/v1/sources/harris-2016/recommendations?owner=Home%20Office&amp;"
                  "status=not_started&amp;format=csv\""));
  // Only the Home Office's recommendations are listed.
  EXPECT_TRUE(Has(r.body, ">G3</a>"));
  EXPECT_TRUE(Lacks(r.body, ">G1</a>"));  // the Home Office's, but not implemented
  EXPECT_TRUE(Lacks(r.body, ">D1</a>"));

  PagesOptions options;
  options.page_size = 5;
  Site small(options);
  Response page = small.Get("/sources/harris-2016?tier=central_government");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(
      std::regex_search(page.body, std::regex("href=\"/sources/"
                                              "harris-2016\\?tier=central_government&amp;after=r[0-"
                                              "9]+#recommendations\" rel=\"next\"")));
}

TEST_F(PagesTest, BadFilterShowsTheErrorSummaryPattern) {
  Response r = site_.Get("/sources/harris-2016?status=bogus&owner=Nobody");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(Has(r.body, "<title>Error: "));
  EXPECT_TRUE(Has(r.body, "There is a problem"));
  EXPECT_TRUE(Has(r.body, "<a href=\"#filter-status\">Choose a status from the list</a>"));
  EXPECT_TRUE(Has(r.body, "id=\"filter-status-error\""));
  EXPECT_TRUE(Has(r.body, "aria-describedby=\"filter-status-error\""));
  // Every problem at once, in the order of the form.
  EXPECT_TRUE(Has(r.body, "<a href=\"#filter-owner\">Choose an owner from the list</a>"));
  EXPECT_LT(r.body.find("#filter-owner\">"), r.body.find("#filter-status\">"));
  Response owner = site_.Get("/sources/harris-2016?owner=Nobody");
  EXPECT_EQ(owner.status, 400);
  EXPECT_TRUE(Has(owner.body, "<a href=\"#filter-owner\">Choose an owner from the list</a>"));
  // An alias names its owner, as in the API.
  Response alias = site_.Get("/sources/harris-2016?owner=DCLG");
  EXPECT_EQ(alias.status, 200);
  EXPECT_TRUE(Has(alias.body, ">G2</a>"));
}

TEST_F(PagesTest, RecommendationPageShowsOwnersResponsesAndValidatedTimeline) {
  int64_t id = RecId("hostile-2020", "X1");
  Response r = site_.Get(fmt::format("/recommendations/{}", id));
  ASSERT_EQ(r.status, 200);
  const std::string& h = r.body;
  // The hostile text comes back escaped, never as markup.
  EXPECT_TRUE(Lacks(h, kScript));
  EXPECT_TRUE(Lacks(h, "<img src=x"));
  EXPECT_TRUE(Lacks(h, "<em>bob"));
  EXPECT_TRUE(
      Has(h, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; Fix the [locks] &amp; bolts"));
  EXPECT_TRUE(Has(h, "&lt;img src=x onerror=alert(1)&gt; work has begun"));
  // The owner, its response status and how long it is overdue.
  EXPECT_TRUE(
      Has(h, fmt::format("<a href=\"/owners/{}\">Home Office</a>", OwnerId("Home Office"))));
  int64_t days = kToday - testing_util::D("2020-03-01");
  EXPECT_TRUE(Has(h, fmt::format("overdue by {} days", WithThousands(days))));
  EXPECT_TRUE(Has(h, "<strong class=\"rt-tag rt-tag--red\">overdue</strong>"));
  // The validated update with its evidence: only the web address is a link.
  EXPECT_TRUE(Has(h, "<time datetime=\"2020-06-01\">1 June 2020</time>"));
  EXPECT_TRUE(
      Has(h, "<a href=\"https://example.org/report?a=1&amp;b=2\" rel=\"noopener noreferrer\">"));
  EXPECT_TRUE(
      Has(h, "javascript:alert(1) <span class=\"rt-secondary\">(not a web address)</span>"));
  EXPECT_TRUE(Lacks(h, "href=\"javascript:"));
  // The submitted, unvalidated update is not public.
  EXPECT_TRUE(Lacks(h, "SECRET-DRAFT"));
  // Breadcrumbs lead back to the source.
  EXPECT_TRUE(Has(h, "<nav class=\"rt-breadcrumbs\" aria-label=\"Breadcrumb\">"));
  EXPECT_TRUE(Has(h, "href=\"/sources/hostile-2020\""));
  EXPECT_TRUE(Has(h, fmt::format("href=\"/api/v1/recommendations/{}\"", id)));

  Response harris = site_.Get(fmt::format("/recommendations/{}", RecId("harris-2016", "D1")));
  ASSERT_EQ(harris.status, 200);
  EXPECT_TRUE(Has(harris.body, "Metropolitan Police Service"));
  EXPECT_TRUE(Has(harris.body, "<time datetime=\"2017-10-25\">25 October 2017</time>"));
}

TEST_F(PagesTest, TheOwnersTableComesInPagesFilteredSortedAndInWords) {
  PagesOptions options;
  options.page_size = 5;
  Site small(options);
  auto doc = OwnersDoc(SiteStore::Get().store(), "", "", kToday);
  ASSERT_TRUE(doc);
  const int64_t bodies = static_cast<int64_t>((*doc)["owners"].size());
  ASSERT_GT(bodies, 10);
  Response first = small.Get("/owners");
  ASSERT_EQ(first.status, 200);
  EXPECT_TRUE(Has(first.body, fmt::format("Showing 1 to 5 of {} bodies", bodies)));
  EXPECT_EQ(Occurrences(first.body, "<th scope=\"row\" class=\"rt-table__header\"><a href=\"/owners/"), 5);
  EXPECT_TRUE(Has(first.body, "href=\"/owners?page=2\" rel=\"next\""));
  EXPECT_TRUE(Has(first.body, "rt-width-container rt-width-container--wide"));
  Response second = small.Get("/owners?page=2");
  EXPECT_TRUE(Has(second.body, fmt::format("Showing 6 to 10 of {} bodies", bodies)));
  EXPECT_TRUE(Has(second.body, "First page"));
  EXPECT_EQ(small.Get("/owners?page=0").status, 400);
  EXPECT_EQ(small.Get("/owners?page=9999").status, 400);
  // A page whose first row, (page - 1) × 5, wraps around 64 bits to -1 (the
  // HTTP fuzzer found the like: build-fuzz's UBSan called it an overflow).
  EXPECT_EQ(small.Get("/owners?page=3689348814741910324").status, 400);
  EXPECT_EQ(small.Get("/owners?page=6148914691236517192").status, 400);
  EXPECT_EQ(small.Get("/owners?tier=nope").status, 400);
  // A name filter, case ignored; a tier filter.
  Response named = small.Get("/owners?name=home%20OFFICE");
  ASSERT_EQ(named.status, 200);
  EXPECT_TRUE(Has(named.body, ">Home Office</a>"));
  Response central = small.Get("/owners?tier=central_government&page=1");
  ASSERT_EQ(central.status, 200);
  for (const auto& o : (*doc)["owners"]) {
    if (o["tier"] == "central_government") continue;
    EXPECT_TRUE(Lacks(central.body, ">" + HtmlEscape(o["owner"].get<std::string>()) + "</a>"))
        << o["owner"];
  }
  // Most held first: the first row holds the most.
  int64_t most = 0;
  std::string most_name;
  for (const auto& o : (*doc)["owners"])
    if (o["total"].get<int64_t>() > most) {
      most = o["total"].get<int64_t>();
      most_name = o["owner"].get<std::string>();
    }
  Response held = small.Get("/owners?sort=held");
  std::smatch row;
  ASSERT_TRUE(std::regex_search(held.body, row,
                                std::regex("<th scope=\"row\" class=\"rt-table__header\"><a "
                                           "href=\"/owners/[0-9]+\">([^<]+)</a>")));
  EXPECT_EQ(row[1].str(), HtmlEscape(most_name)) << "the body that holds most comes first";
  // The median time since progress, in words beside the number.
  EXPECT_TRUE(std::regex_search(first.body, std::regex("[0-9]+<span class=\"rt-secondary rt-block\">[0-9]+ (years?|months?|days?)")));
}

TEST_F(PagesTest, OwnersTableAndItsErrors) {
  Response r = site_.Get("/owners");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(
      Has(r.body, fmt::format("<a href=\"/owners/{}\">Home Office</a>", OwnerId("Home Office"))));
  EXPECT_TRUE(Has(r.body,
                  "<th scope=\"col\" class=\"rt-table__header rt-table__header--numeric\">Response "
                  "overdue</th>"));
  EXPECT_TRUE(Has(r.body, "href=\"/api/v1/owners?format=csv\""));
  Response both = site_.Get("/owners?kind=pfd&source=harris-2016");
  EXPECT_EQ(both.status, 400);
  EXPECT_TRUE(Has(both.body, "<a href=\"#owners-source\">Give a kind or a source, not both</a>"));
  Response unknown = site_.Get("/owners?source=nope");
  EXPECT_EQ(unknown.status, 400);
  // Most overdue first.
  Response sorted = site_.Get("/owners?kind=pfd&sort=overdue");
  ASSERT_EQ(sorted.status, 200);
  EXPECT_TRUE(Has(sorted.body, "<option value=\"overdue\" selected>"));
}

// The non-response list: every overdue response, longest first, the same on
// the page, in the downloads and in the feed; counted independently here from
// each owner's own page.
TEST_F(PagesTest, NonResponseListShowsEveryOverdueResponseLongestFirst) {
  int64_t expected = 0, owner = 0, days = -1;
  auto owners = OwnersDoc(SiteStore::Get().store(), "", "", kToday);
  ASSERT_TRUE(owners);
  for (const auto& o : (*owners)["owners"]) {
    auto od = OwnerDoc(SiteStore::Get().store(), o["owner_id"].get<int64_t>(), kToday);
    ASSERT_TRUE(od);
    for (const auto& a : (*od)["assignments"]) {
      if (a["response_status"] != "overdue") continue;
      ++expected;
      if (a["days_overdue"].get<int64_t>() > days) {
        days = a["days_overdue"].get<int64_t>();
        owner = o["owner_id"].get<int64_t>();
      }
    }
  }
  ASSERT_GT(expected, 0);

  Response page = site_.Get("/non-responses");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(Has(page.body, fmt::format("{} overdue responses in all", WithThousands(expected))))
      << page.body.substr(0, 3000);
  // The first row is the longest overdue, with the days in words beside the number.
  size_t first_row = page.body.find("id=\"items-title\"");
  ASSERT_NE(first_row, std::string::npos);
  size_t owner_link = page.body.find(fmt::format("href=\"/owners/{}\"", owner), first_row);
  size_t any_owner_link = page.body.find("href=\"/owners/", first_row);
  EXPECT_EQ(owner_link, any_owner_link);
  EXPECT_TRUE(Has(page.body, DaysInWords(days) + " <span class=\"rt-hint\">(" +
                                 WithThousands(days) + " days)</span>"));
  EXPECT_TRUE(Has(page.body, "href=\"/api/v1/non-responses?format=csv\""));
  EXPECT_TRUE(Has(page.body, "href=\"/feeds/non-responses.atom\""));
  EXPECT_TRUE(Has(page.body, "<a class=\"rt-service-nav__link\" href=\"/non-responses\" "
                             "aria-current=\"true\">Overdue responses</a>"));

  Response json_doc = site_.Get("/api/v1/non-responses");
  ASSERT_EQ(json_doc.status, 200);
  auto doc = json::parse(json_doc.body);
  EXPECT_EQ(doc["total"].get<int64_t>(), expected);
  ASSERT_EQ(static_cast<int64_t>(doc["items"].size()), expected);
  EXPECT_EQ(doc["items"][0]["days_overdue"].get<int64_t>(), days);
  for (size_t i = 1; i < doc["items"].size(); ++i)
    EXPECT_GE(doc["items"][i - 1]["days_overdue"].get<int64_t>(),
              doc["items"][i]["days_overdue"].get<int64_t>());
  Response csv = site_.Get("/api/v1/non-responses?format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(Occurrences(csv.body, "\r\n"), expected + 1);
  EXPECT_TRUE(Has(csv.body, "owner,tier,source,source_title,kind,source_date,ref,due,days_overdue,"
                            "chasers_sent,last_chased,link\r\n"));
  EXPECT_EQ(site_.Get("/api/v1/non-responses?format=xlsx").status, 200);

  // A kind: only its sources; an unknown one is an error that names the kinds.
  auto harris = json::parse(site_.Get("/api/v1/non-responses?kind=review").body);
  for (const auto& i : harris["items"]) EXPECT_EQ(i["kind"], "review");
  Response bad = site_.Get("/api/v1/non-responses?kind=nope");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Has(bad.body, "the kinds are"));
  Response bad_page = site_.Get("/non-responses?kind=nope");
  EXPECT_EQ(bad_page.status, 400);
  EXPECT_TRUE(Has(bad_page.body, "<a href=\"#non-responses-kind\">Choose a kind from the list</a>"));

  // The feed: the most recently overdue first, an entry each.
  Response feed = site_.Get("/feeds/non-responses.atom");
  ASSERT_EQ(feed.status, 200);
  EXPECT_EQ(feed.Get("Content-Type"), "application/atom+xml; charset=utf-8");
  EXPECT_EQ(Occurrences(feed.body, "<entry>"), std::min<int64_t>(expected, 200));
  std::string latest_due;
  for (const auto& i : doc["items"]) latest_due = std::max(latest_due, i["due"].get<std::string>());
  size_t first_entry = feed.body.find("<entry>");
  size_t first_due = feed.body.find("/" + latest_due + "</id>");
  EXPECT_LT(first_entry, first_due);
  EXPECT_LT(first_due, feed.body.find("</entry>"));
  EXPECT_EQ(site_.Get("/feeds/non-responses/nope.atom").status, 404);
  Response pfd_feed = site_.Get("/feeds/non-responses/pfd.atom");
  ASSERT_EQ(pfd_feed.status, 200);
  EXPECT_TRUE(Has(pfd_feed.body, "href=\"/feeds/non-responses/pfd.atom\""));
  EXPECT_TRUE(Has(site_.Get("/non-responses?kind=pfd").body,
                  "href=\"/feeds/non-responses/pfd.atom\""));
}

TEST_F(PagesTest, OwnerPageShowsWhatIsOverdueAndForHowLong) {
  auto [owner, days] = LongestOverduePfdOwner();
  ASSERT_GT(owner, 0);
  ASSERT_GT(days, 0);
  Response r = site_.Get(fmt::format("/owners/{}", owner));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Has(r.body, "Responses overdue"));
  EXPECT_TRUE(Has(r.body, fmt::format("the longest has waited {} days", WithThousands(days))));
  EXPECT_TRUE(
      Has(r.body, fmt::format("<td class=\"rt-table__cell rt-table__cell--numeric\">{}</td>",
                              WithThousands(days))));
  EXPECT_TRUE(Has(r.body, fmt::format("href=\"/feeds/owners/{}.atom\"", owner)));

  Response ho = site_.Get(fmt::format("/owners/{}", OwnerId("Home Office")));
  ASSERT_EQ(ho.status, 200);
  EXPECT_TRUE(Has(ho.body, "<span class=\"rt-caption-l\">Central government</span>"));
  EXPECT_TRUE(Has(site_
                      .Get(fmt::format("/owners/{}",
                                       OwnerId("Department for Communities and Local Government")))
                      .body,
                  "Also known as DCLG."));
  EXPECT_TRUE(Has(ho.body, "href=\"/sources/harris-2016\""));
  EXPECT_TRUE(Lacks(ho.body, kScript));
  EXPECT_EQ(site_.Get("/owners/999999").status, 404);
  EXPECT_EQ(site_.Get("/owners/x").status, 404);
}

TEST_F(PagesTest, PublicationPageAndDownloadsMatchTheCommandLine) {
  Store& store = SiteStore::Get().store();
  auto pub = store.GetPublication(2);
  ASSERT_TRUE(pub) << pub.error().message;
  Response r = site_.Get("/publications/2");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Has(r.body, "<h1 class=\"rt-heading-xl\">October 2017 update: one year on</h1>"));
  EXPECT_TRUE(Has(r.body, pub->ledger_hash));
  EXPECT_TRUE(Has(r.body, pub->snapshot_sha256));
  EXPECT_TRUE(Has(r.body, "7 of 21 recommendations implemented (33%)"));
  EXPECT_TRUE(Has(r.body, "<h3>Home Office</h3>"));
  EXPECT_TRUE(Has(r.body, "href=\"/publications/2.md\""));
  // When it was published, in words, with the exact timestamp beside it.
  auto day = Date::ParseIso(pub->created_at.substr(0, 10));
  ASSERT_TRUE(day) << pub->created_at;
  EXPECT_TRUE(Has(r.body, day->ToLong() + " at " + pub->created_at.substr(11, 5) + " UTC"));
  EXPECT_TRUE(Has(r.body, "(" + pub->created_at + ")"));
  // The signature and how to check it offline.
  ASSERT_FALSE(pub->signature.empty()) << "publishing signs";
  EXPECT_TRUE(Has(r.body, "<code class=\"rt-code\">" + pub->signature + "</code>"));
  EXPECT_TRUE(Has(r.body, "rectrack verify-publication FILE --key " + pub->signing_key));
  EXPECT_TRUE(Has(r.body, "href=\"/api/v1/publications/2\">the signed update as JSON</a>"));
  auto data = PublishedReport(store, 2);
  ASSERT_TRUE(data);
  for (auto [ext, format] :
       {std::pair{"md", ReportFormat::kMarkdown}, std::pair{"html", ReportFormat::kHtml},
        std::pair{"json", ReportFormat::kJson}}) {
    Response d = site_.Get(fmt::format("/publications/2.{}", ext));
    ASSERT_EQ(d.status, 200) << ext;
    EXPECT_EQ(d.body, RenderReport(*data, format)) << ext;
  }
  Response html = site_.Get("/publications/2.html");
  EXPECT_TRUE(Has(html.Get("Content-Security-Policy"), "style-src 'sha256-"));
  EXPECT_TRUE(Has(html.Get("Content-Security-Policy"), "default-src 'none'"));
  EXPECT_TRUE(Has(html.Get("Content-Security-Policy"), "base-uri 'none'; form-action 'none'"));
  EXPECT_EQ(site_.Get("/publications/2.pdf").status, 404);
  EXPECT_EQ(site_.Get("/publications/99").status, 404);
}

TEST_F(PagesTest, SearchHighlightsAndEscapes) {
  Response r = site_.Get("/search?q=barriers");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Has(r.body, "<mark>barriers</mark>"));
  EXPECT_TRUE(Has(r.body, "<label class=\"rt-label rt-label--m\" for=\"search-q\">"));
  Response s = site_.Get("/search?q=script");
  ASSERT_EQ(s.status, 200);
  EXPECT_TRUE(Lacks(s.body, "<script"));
  EXPECT_TRUE(Has(s.body, "&lt;<mark>script</mark>&gt;"));
  // Brackets in the text itself never unbalance the marks.
  EXPECT_EQ(Occurrences(s.body, "<mark>"), Occurrences(s.body, "</mark>"));
  Response echo = site_.Get("/search?q=%22%3E%3Cscript%3E");
  EXPECT_TRUE(Lacks(echo.body, "\"><script>"));
  Response long_q = site_.Get("/search?q=" + std::string(600, 'a'));
  EXPECT_EQ(long_q.status, 400);
  EXPECT_TRUE(Has(long_q.body, "There is a problem"));
}

TEST_F(PagesTest, SearchResultsComeInPagesWithTheirTotal) {
  PagesOptions options;
  options.page_size = 4;
  Site small(options);
  auto count = SiteStore::Get().store().SearchCount("London");
  ASSERT_TRUE(count);
  ASSERT_GT(*count, 8) << "the fixture needs three pages of matches";
  Response first = small.Get("/search?q=London");
  ASSERT_EQ(first.status, 200);
  EXPECT_TRUE(Has(first.body, fmt::format("{} results for", *count)));
  EXPECT_TRUE(Has(first.body, fmt::format("Showing 1 to 4 of {}", *count)));
  EXPECT_EQ(Occurrences(first.body, "class=\"rt-results__item\""), 4);
  EXPECT_TRUE(Has(first.body, "href=\"/search?q=London&amp;after=s4\" rel=\"next\""));
  EXPECT_TRUE(Lacks(first.body, "First page"));
  Response second = small.Get("/search?q=London&after=s4");
  ASSERT_EQ(second.status, 200);
  EXPECT_TRUE(Has(second.body, fmt::format("Showing 5 to 8 of {}", *count)));
  EXPECT_TRUE(Has(second.body, "<ol class=\"rt-results\" aria-labelledby=\"results\" start=\"5\">"));
  EXPECT_TRUE(Has(second.body, "First page"));
  // No page repeats another's results.
  std::regex link("<h3 class=\"rt-heading-s\"><a href=\"(/recommendations/[0-9]+)\"");
  std::set<std::string> seen;
  size_t listed = 0;
  for (const Response* r : {&first, &second})
    for (auto it = std::sregex_iterator(r->body.begin(), r->body.end(), link);
         it != std::sregex_iterator(); ++it, ++listed)
      seen.insert((*it)[1]);
  EXPECT_EQ(listed, 8u);
  EXPECT_EQ(seen.size(), 8u);
  Response bad = small.Get("/search?q=London&after=zzz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Has(bad.body, "That page of results does not exist"));
}

TEST_F(PagesTest, AtomFeedsAreWellFormedEscapedAndStable) {
  Response r = site_.Get("/feeds/sources/harris-2016.atom");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Get("Content-Type"), "application/atom+xml; charset=utf-8");
  EXPECT_EQ(XmlProblem(r.body), "");
  EXPECT_TRUE(Has(r.body, "<feed xmlns=\"http://www.w3.org/2005/Atom\""));
  EXPECT_TRUE(Has(r.body, "<id>tag:rectrack,2016:source/harris-2016</id>"));
  EXPECT_TRUE(Has(r.body, "<updated>2017-10-25T00:00:00Z</updated>"));
  EXPECT_TRUE(std::regex_search(r.body, std::regex("<id>tag:rectrack,2016:update/[0-9]+</id>")));
  EXPECT_EQ(Occurrences(r.body, "<entry>"), 23);
  // Stable: the same ids in the same order every time.
  EXPECT_EQ(site_.Get("/feeds/sources/harris-2016.atom").body, r.body);

  Response hostile = site_.Get("/feeds/sources/hostile-2020.atom");
  ASSERT_EQ(hostile.status, 200);
  EXPECT_EQ(XmlProblem(hostile.body), "");
  EXPECT_TRUE(Lacks(hostile.body, "<script"));
  EXPECT_TRUE(Lacks(hostile.body, "<img"));
  EXPECT_TRUE(Has(hostile.body, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"));
  EXPECT_TRUE(Lacks(hostile.body, "SECRET-DRAFT"));
  EXPECT_EQ(Occurrences(hostile.body, "<entry>"), 1);
  // Inside type="html" content the text is escaped twice: a reader shows the tags as text.
  EXPECT_TRUE(Has(hostile.body, "&amp;lt;img src=x onerror=alert(1)&amp;gt;"));
  EXPECT_TRUE(
      Has(hostile.body, "&lt;a href=&quot;https://example.org/report?a=1&amp;amp;b=2&quot;&gt;"));
  EXPECT_TRUE(Lacks(hostile.body, "href=&quot;javascript"));

  Response owner = site_.Get(fmt::format("/feeds/owners/{}.atom", OwnerId("Home Office")));
  ASSERT_EQ(owner.status, 200);
  EXPECT_EQ(XmlProblem(owner.body), "");
  EXPECT_TRUE(Has(owner.body, "hostile-2020 X1"));
  EXPECT_EQ(site_.Get("/feeds/sources/nope.atom").status, 404);
  EXPECT_EQ(site_.Get("/feeds/sources/harris-2016.rss").status, 404);
  EXPECT_EQ(site_.Get("/feeds/owners/0.atom").status, 404);
}

TEST(XmlEscapeTest, DropsWhatXmlForbids) {
  EXPECT_EQ(XmlEscape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&apos;");
  EXPECT_EQ(XmlEscape(std::string("x\x01y\x0bz\tw\n", 9)), "xyz\tw\n");
  EXPECT_EQ(XmlEscape("bad \xff byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBE"), "");
  EXPECT_EQ(XmlProblem("<a>" + XmlEscape(std::string("\x02<&>\x1f", 5)) + "</a>"), "");
}

TEST(XmlProblemTest, CatchesMalformedXml) {
  EXPECT_EQ(XmlProblem("<a><b/></a>"), "");
  EXPECT_NE(XmlProblem("<a><b></a>"), "");
  EXPECT_NE(XmlProblem("<a>x & y</a>"), "");
  EXPECT_NE(XmlProblem("<a>&nbsp;</a>"), "");
  EXPECT_NE(XmlProblem("<a x=1></a>"), "");
  EXPECT_NE(XmlProblem("<a></a><b></b>"), "");
}

TEST_F(PagesTest, StaticFilesAreEmbeddedVersionedAndLongCached) {
  std::string css_url = StaticUrl("static/rectrack.css");
  EXPECT_TRUE(std::regex_match(css_url, std::regex("/static/rectrack\\.css\\?v=[0-9a-f]{10}")));
  Response home = site_.Get("/");
  EXPECT_TRUE(Has(home.body, "<link rel=\"stylesheet\" href=\"" + css_url + "\">"));
  Response css = site_.Get(css_url);
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.Get("Content-Type").rfind("text/css", 0), 0u);
  EXPECT_EQ(css.Get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(css.Get("ETag"), StrongEtag(css.body));
  EXPECT_TRUE(Has(css.body, ".rt-skip-link"));
  EXPECT_EQ(site_.Get("/static/nope.css").status, 404);
  EXPECT_EQ(site_.Get("/static/../openapi.json").status, 404);
  EXPECT_EQ(site_.Get("/static/").status, 404);
}

TEST_F(PagesTest, NotFoundAndBadRequestAreHtmlPages) {
  Response nf = site_.Get("/sources/no-such-source");
  EXPECT_EQ(nf.status, 404);
  EXPECT_TRUE(Has(nf.body, "<h1 class=\"rt-heading-xl\">Page not found</h1>"));
  EXPECT_EQ(site_.Get("/recommendations/0").status, 404);
  EXPECT_EQ(site_.Get("/recommendations/123456789").status, 404);
  Response bad = site_.Get("/?as_of=2017-13-45");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(Has(bad.body, "as_of must be a date"));
  Response fallback = NotFoundPage();
  EXPECT_EQ(fallback.status, 404);
  EXPECT_TRUE(Has(fallback.body, "Page not found"));
}

TEST_F(PagesTest, AsOfShowsThePastAndLinksKeepIt) {
  Response r = site_.Get("/sources/harris-2016?as_of=2016-11-01");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(Has(r.body, "0 of 21 recommendations implemented"));
  EXPECT_TRUE(Has(r.body, "as of <strong>1 November 2016</strong>"));
  EXPECT_TRUE(Has(r.body, "href=\"/sources/harris-2016\">See today’s state</a>"));
  EXPECT_TRUE(Has(r.body, fmt::format("href=\"/recommendations/{}?as_of=2016-11-01\"",
                                      RecId("harris-2016", "D1"))));
  EXPECT_TRUE(Has(r.body, "<input type=\"hidden\" name=\"as_of\" value=\"2016-11-01\">"));
}

TEST_F(PagesTest, PagesAreCachedUntilTheLedgerMoves) {
  Response a = site_.Get("/sources/harris-2016");
  size_t bytes = site_.cache().bytes();
  EXPECT_GT(bytes, 0u);
  Response b = site_.Get("/sources/harris-2016");
  EXPECT_EQ(a.Get("ETag"), b.Get("ETag"));
  EXPECT_FALSE(a.Get("ETag").empty());
  EXPECT_EQ(a.Get("Cache-Control"), "public, max-age=0, must-revalidate");
  EXPECT_EQ(site_.cache().bytes(), bytes);  // served from the cache
  Response err = site_.Get("/sources/nope");
  EXPECT_EQ(err.Get("Cache-Control"), "no-store");
}

TEST_F(PagesTest, CachedDocumentsAreSharedNotCopiedAndGzippedOnce) {
  Request req;
  req.method = "GET";
  req.target = req.path = "/sources/harris-2016";
  Response first = site_.Dispatch(req);
  Request again = req;
  Response r = site_.Dispatch(again);
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.shared_body) << "a cached page is the cache's own bytes";
  ASSERT_TRUE(r.shared_gzip);
  EXPECT_EQ(*r.shared_body, first.body);
  EXPECT_EQ(Gunzip(*r.shared_gzip), *r.shared_body);
  EXPECT_LT(r.shared_gzip->size(), r.shared_body->size() / 2);
  EXPECT_EQ(r.Get("ETag"), StrongEtag(*r.shared_body));
  // Both views point into one cache entry: the same bytes, not a copy.
  Request third = req;
  Response r3 = site_.Dispatch(third);
  EXPECT_EQ(r3.shared_body.get(), r.shared_body.get());
}

// A store with one source, and a function that adds another (moving the head).
struct SmallStore {
  rectrack::testing_util::TempDir dir;
  std::unique_ptr<Store> store;
  int added = 0;
  SmallStore() {
    auto s = ::rectrack::testing_util::OpenTestStore(dir.File("small.db"));
    if (!s) throw std::runtime_error(s.error().message);
    store = std::move(*s);
    Add(*store);
  }
  // Adds a source through `via` (another connection, as the CLI would be).
  void Add(Store& via) {
    ImportBatch b = testing_util::HostileBatch();
    b.sources[0].source.slug = "small-" + std::to_string(++added);
    if (!via.Import(b, Actor{"test"}, "small")) throw std::runtime_error("import failed");
  }
};

TEST(HeadWatchTest, ReadsTheStoreAgainOnlyAfterInvalidateOrTheRecheckInterval) {
  SmallStore t;
  auto other = ::rectrack::testing_util::OpenTestStore(t.dir.File("small.db"));  // a second writer, as another process
  ASSERT_TRUE(other);
  const int64_t start = t.store->Head()->seq;

  HeadWatch lazy(std::chrono::hours(1));
  ASSERT_EQ(lazy.Seq(*t.store).value_or(-1), start);
  t.Add(**other);
  const int64_t moved = t.store->Head()->seq;
  ASSERT_GT(moved, start);
  EXPECT_EQ(lazy.Seq(*t.store).value_or(-1), start) << "remembered, not read again";
  lazy.Invalidate();
  EXPECT_EQ(lazy.Seq(*t.store).value_or(-1), moved);

  HeadWatch eager(std::chrono::milliseconds(0));
  EXPECT_EQ(eager.Seq(*t.store).value_or(-1), moved);
  t.Add(**other);
  EXPECT_EQ(eager.Seq(*t.store).value_or(-1), t.store->Head()->seq) << "zero: every time";

  HeadWatch brief(std::chrono::milliseconds(20));
  const int64_t now = brief.Seq(*t.store).value_or(-1);
  t.Add(**other);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (brief.Seq(*t.store).value_or(-1) == now && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(brief.Seq(*t.store).value_or(-1), t.store->Head()->seq)
      << "another process's write shows once the interval has passed";
}

TEST(HeadWatchTest, ThreadsNeverSeeTheHeadGoBack) {
  SmallStore t;
  HeadWatch watch(std::chrono::milliseconds(0));
  std::atomic<bool> stop{false};
  std::atomic<int> regressions{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 2; ++i) {
    readers.emplace_back([&] {
      auto store = ::rectrack::testing_util::OpenTestStore(t.dir.File("small.db"));
      if (!store) return;
      int64_t last = 0;
      while (!stop) {
        int64_t seq = watch.Seq(**store).value_or(-1);
        if (seq < last) ++regressions;
        last = seq;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    t.Add(*t.store);
    watch.Invalidate();
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(regressions, 0);
  EXPECT_EQ(watch.Seq(*t.store).value_or(-1), t.store->Head()->seq);
}

TEST_F(PagesTest, SignedInViewerSeesTheirNameAndPagesAreNotShared) {
  PagesOptions options;
  options.viewer = [](const Request& req) -> std::optional<Viewer> {
    if (req.Header("Cookie").empty()) return std::nullopt;
    return Viewer{"Alice <A>", "editor", "tok\"123"};
  };
  Site site(options);
  Response anon = site.Get("/");
  EXPECT_TRUE(Has(anon.body, "href=\"/sign-in\">Sign in</a>"));
  EXPECT_TRUE(Lacks(anon.body, "Signed in as"));
  EXPECT_FALSE(anon.Get("ETag").empty());
  Request req;
  req.method = "GET";
  req.target = req.path = "/";
  req.headers["Cookie"] = "session=1";
  Response alice = site.Dispatch(req);
  ASSERT_EQ(alice.status, 200);
  EXPECT_TRUE(Has(alice.body, "Signed in as Alice &lt;A&gt; (editor)"));
  EXPECT_TRUE(
      Has(alice.body, "<input type=\"hidden\" name=\"csrf_token\" value=\"tok&quot;123\">"));
  EXPECT_TRUE(Lacks(alice.body, "Sign in</a>"));
  EXPECT_EQ(alice.Get("Cache-Control"), "private, no-cache");
  // The public still gets the public page, not Alice's.
  EXPECT_TRUE(Lacks(site.Get("/").body, "Alice"));
}

TEST(TemplatesTest, JsonToMustacheData) {
  json view = {{"s", "<b>"},  {"n", 42},           {"f", 1.5},
               {"t", true},   {"no", false},       {"null", nullptr},
               {"empty", ""}, {"list", {1, 2, 3}}, {"obj", {{"k", "v"}}}};
  auto d = ToMustacheData(view);
  kainjow::mustache::mustache t(
      "{{s}}|{{{s}}}|{{n}}|{{f}}|{{#t}}T{{/t}}|{{#no}}N{{/no}}|{{^null}}Z{{/null}}|"
      "{{#empty}}E{{/empty}}{{^empty}}e{{/empty}}|{{#list}}{{.}},{{/list}}|{{obj.k}}");
  EXPECT_EQ(t.render(d), "&lt;b&gt;|<b>|42|1.5|T||Z|e|1,2,3,|v");
  EXPECT_FALSE(RenderTemplate("no-such-template", json::object()));
}

}  // namespace
}  // namespace rectrack::web

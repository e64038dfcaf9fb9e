#include "report/report_render.h"

#include <string>
#include <vector>

#include "core/text.h"
#include "core/vocab.h"
#include "gtest/gtest.h"
#include "report/svg.h"

namespace rectrack {
namespace {

Date D(const char* iso) { return *Date::ParseIso(iso); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

ReportData::Item Item(std::string ref, std::string text, std::string owner, std::string tier,
                      ResponseKind response, ResponseStatus status, Implementation impl,
                      std::string note = "") {
  ReportData::Item i;
  i.ref = std::move(ref);
  i.text = std::move(text);
  i.owner = std::move(owner);
  i.tier = std::move(tier);
  i.response = response;
  i.response_status = status;
  i.implementation = impl;
  i.due = D("2016-12-23");
  i.note = std::move(note);
  return i;
}

// A published update in the style of the Harris review's one-year-on update,
// with every field set and text that tries to break out of its format.
ReportData Rich() {
  ReportData d;
  d.slug = "harris-2016";
  d.title = "An independent review of London\xE2\x80\x99s preparedness";
  d.kind = "review";
  d.author = "Lord Toby Harris";
  d.commissioned_by = "Mayor of London";
  d.url = "https://www.london.gov.uk/harris";
  d.notes = "Most of the 127 recommendations\nare not itemised in public.";
  d.date = D("2016-10-28");
  d.stated_total = 127;
  d.response_days = 56;
  d.as_of = D("2017-10-25");
  d.publication_id = 2;
  d.publication_title = "One year on";
  d.ledger_seq = 42;
  d.ledger_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  d.total = 3;
  d.implemented = 2;
  d.by_implementation[static_cast<int>(Implementation::kImplemented)] = 2;
  d.by_implementation[static_cast<int>(Implementation::kNotImplemented)] = 1;
  d.by_response_status[static_cast<int>(ResponseStatus::kResponded)] = 2;
  d.by_response_status[static_cast<int>(ResponseStatus::kOverdue)] = 1;
  d.done = {
      Item("R7", "Deploy Project Servator | across London", "Metropolitan Police",
           "emergency_service", ResponseKind::kAccepted, ResponseStatus::kResponded,
           Implementation::kImplemented),
      Item("R9", "Clarify the Mayor's role in COBR", "Cabinet Office", "central_government",
           ResponseKind::kAccepted, ResponseStatus::kResponded, Implementation::kImplemented)};
  d.central_government = {{"Home Office",
                           "central_government",
                           {Item("R1", "Fund the NICC grant in full <script>alert(1)</script>",
                                 "Home Office", "central_government", ResponseKind::kRejected,
                                 ResponseStatus::kResponded, Implementation::kNotImplemented,
                                 "Costs \xC2\xA3"
                                 "346m;\nreceives \xC2\xA3"
                                 "174m.")}}};
  d.outstanding_other = {
      {"Port of London Authority",
       "regulator",
       {Item("R12", "Widen the remit to include security", "Port of London Authority", "regulator",
             ResponseKind::kNone, ResponseStatus::kOverdue, Implementation::kNotStarted)}}};
  d.tiers = {{"central_government", 2, 1, 1, 0, 0}, {"regulator", 1, 0, 1, 1, 1}};
  ReportData::Item unreported;
  unreported.ref = "L2";
  unreported.text = "Provide extra resources to the ambulance service";
  unreported.owner = "Department of Health";
  unreported.tier = "central_government";
  unreported.implementation = Implementation::kUnknown;
  unreported.note = "Not in the 2017 update.";
  d.not_reported = {unreported};
  d.overdue = {{"R12", "Port of London Authority", D("2016-12-23"), 306}};
  d.previous = ReportData::PreviousPublication{1, "Baseline", D("2016-10-28")};
  d.changes = {{"R7", "Metropolitan Police", "implementation", "in_progress", "implemented"},
               {"R1", "Home Office", "response status", "pending", "responded"}};
  d.funding = {{"Home Office", "NICC grant", "per year", 346000000, 174000000, 172000000, "GBP"},
               {"Home Office", "Permanent barriers", "2017/18", 2500000, 0, 2500000, "GBP"}};
  d.funding_cost = 348500000;
  d.funding_funded = 174000000;
  d.funding_gap = 174500000;
  d.timeline = {{D("2016-10-28"), 0}, {D("2017-03-01"), 1}, {D("2017-09-01"), 2}};
  d.states = {
      {"R1", "Home Office", ResponseStatus::kResponded, Implementation::kNotImplemented},
      {"R7", "Metropolitan Police", ResponseStatus::kResponded, Implementation::kImplemented}};
  return d;
}

std::string Md(const ReportData& d) { return RenderReport(d, ReportFormat::kMarkdown); }
std::string Html(const ReportData& d) { return RenderReport(d, ReportFormat::kHtml); }

TEST(ReportRenderTest, ParseReportFormat) {
  EXPECT_EQ(*ParseReportFormat("md"), ReportFormat::kMarkdown);
  EXPECT_EQ(*ParseReportFormat("html"), ReportFormat::kHtml);
  EXPECT_EQ(*ParseReportFormat("json"), ReportFormat::kJson);
  auto bad = ParseReportFormat("pdf");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(Contains(bad.error().message, "'pdf'"));
}

TEST(ReportRenderTest, HeadlineRoundsDown) {
  ReportData d = Rich();
  std::string md = Md(d);
  EXPECT_TRUE(Contains(md, "**2 of 3 recommendations implemented (66%)**")) << md;
  EXPECT_TRUE(Contains(md, "The review made 127 recommendations; 3 of them are itemised here."));
  EXPECT_TRUE(Contains(Html(d),
                       "<div class=\"panel\">\n<p>2 of 3 recommendations implemented "
                       "(66%)</p>"));
}

TEST(ReportRenderTest, StatedTotalLineOnlyWhenItDiffers) {
  ReportData d = Rich();
  d.stated_total = 3;
  EXPECT_FALSE(Contains(Md(d), "itemised here"));
  d.stated_total.reset();
  EXPECT_FALSE(Contains(Md(d), "itemised here"));
  d.stated_total = 5;
  d.kind = "pfd";
  EXPECT_TRUE(Contains(Md(d), "The report made 5 recommendations; 3 of them are itemised here."));
}

TEST(ReportRenderTest, NoRecommendationsHasNoPercentage) {
  ReportData d;
  d.title = "T";
  d.as_of = D("2020-01-01");
  EXPECT_TRUE(Contains(Md(d), "**0 of 0 recommendations implemented**\n"));
}

TEST(ReportRenderTest, TitleAndAsOf) {
  ReportData d = Rich();
  std::string md = Md(d);
  EXPECT_EQ(md.rfind("# One year on\n\nAs of 25 October 2017\n", 0), 0u) << md;
  d.publication_title.clear();
  md = Md(d);
  EXPECT_EQ(md.rfind("# Progress update: An independent review of London\xE2\x80\x99s "
                     "preparedness\n",
                     0),
            0u)
      << md;
  EXPECT_TRUE(Contains(Html(d),
                       "<title>Progress update: An independent review of "
                       "London\xE2\x80\x99s preparedness</title>"));
}

TEST(ReportRenderTest, SourceDetails) {
  std::string md = Md(Rich());
  EXPECT_TRUE(Contains(md, "## About the review\n\n- Title: An independent review"));
  EXPECT_TRUE(Contains(md, "- Author: Lord Toby Harris\n"));
  EXPECT_TRUE(Contains(md, "- Commissioned by: Mayor of London\n"));
  EXPECT_TRUE(Contains(md, "- Published: 28 October 2016\n"));
  EXPECT_TRUE(Contains(md, "- Response due: 56 days after publication\n"));
  EXPECT_TRUE(Contains(md, "- Link: <https://www.london.gov.uk/harris>\n"));
  EXPECT_TRUE(Contains(md, "- Notes: Most of the 127 recommendations are not itemised"));
  std::string html = Html(Rich());
  EXPECT_TRUE(Contains(html, "<dt>Link</dt><dd><a href=\"https://www.london.gov.uk/harris\">"));
  EXPECT_TRUE(Contains(html, "recommendations<br>are not itemised"));
}

TEST(ReportRenderTest, OnlyWebAddressesBecomeLinks) {
  ReportData d = Rich();
  d.url = "javascript:alert(1)";
  EXPECT_FALSE(Contains(Html(d), "href=\"javascript"));
  EXPECT_TRUE(Contains(Html(d), "<dd>javascript:alert(1)</dd>"));
  EXPECT_FALSE(Contains(Md(d), "<javascript"));
}

TEST(ReportRenderTest, StatusBreakdownUsesLabels) {
  std::string md = Md(Rich());
  EXPECT_TRUE(Contains(md, "| " + std::string(Label(Implementation::kImplemented)) + " | 2 |"));
  EXPECT_TRUE(Contains(md, "| " + std::string(Label(Implementation::kNotImplemented)) + " | 1 |"));
  EXPECT_TRUE(Contains(md, "| " + std::string(Label(ResponseStatus::kOverdue)) + " | 1 |"));
  EXPECT_TRUE(Contains(md, "| " + std::string(Label(ResponseStatus::kPartial)) + " | 0 |"));
  EXPECT_TRUE(Contains(md, "| --- | ---: |"));
}

TEST(ReportRenderTest, MarkdownEscapesCells) {
  std::string md = Md(Rich());
  // '|' would split the cell; '<' would open raw HTML; newlines would end the row.
  EXPECT_TRUE(Contains(md,
                       "| R7 | Deploy Project Servator \\| across London | Metropolitan "
                       "Police |"))
      << md;
  EXPECT_TRUE(Contains(md, "in full \\<script\\>alert(1)\\</script\\>"));
  EXPECT_TRUE(Contains(md,
                       "Costs \xC2\xA3"
                       "346m;<br>receives"));
  EXPECT_FALSE(Contains(md, "<script>"));
  // Every table row has as many cell separators as its header.
  size_t start = md.find("| Ref | Recommendation | Implementation | Response | Note |");
  ASSERT_NE(start, std::string::npos);
  size_t row = md.find("| R1 |", start);
  size_t end = md.find('\n', row);
  std::string line = md.substr(row, end - row);
  EXPECT_EQ(Count(line, " |") - Count(line, "\\|"), 5u) << line;
}

// Each character Markdown reads as markup, at every offset of a long text (the
// escaper looks at sixteen bytes at a time): escaped wherever it falls, and
// the plain bytes around it copied as they are.
TEST(ReportRenderTest, MarkdownEscapesAMarkupCharacterAtEveryOffset) {
  const std::string specials = "\\`*_[]<>|#~";
  for (char special : specials) {
    for (size_t at = 0; at < 40; ++at) {
      std::string text(40, 'a');
      for (size_t k = 0; k < text.size(); ++k) text[k] = static_cast<char>('a' + k % 26);
      text[at] = special;
      ReportData d = Rich();
      d.done = {Item("R7", text, "Metropolitan Police", "emergency_service",
                     ResponseKind::kAccepted, ResponseStatus::kResponded,
                     Implementation::kImplemented)};
      std::string escaped = text.substr(0, at) + "\\" + special + text.substr(at + 1);
      std::string md = Md(d);
      EXPECT_TRUE(Contains(md, "| R7 | " + escaped + " | Metropolitan Police |"))
          << "'" << special << "' at " << at;
    }
  }
  // Line breaks at any offset: <br> in a cell, a CRLF once.
  for (size_t at = 0; at < 40; ++at) {
    std::string text(40, 'x');
    text.replace(at, 0, "\r\n");
    ReportData d = Rich();
    d.done = {Item("R7", text, "Metropolitan Police", "emergency_service", ResponseKind::kAccepted,
                   ResponseStatus::kResponded, Implementation::kImplemented)};
    EXPECT_TRUE(Contains(Md(d), "| R7 | " + std::string(at, 'x') + "<br>" +
                                    std::string(40 - at, 'x') + " | Metropolitan Police |"))
        << at;
  }
}

TEST(ReportRenderTest, HtmlEscapesAllText) {
  ReportData d = Rich();
  d.publication_title = "Update <b>\"bold\"</b> & 'co'";
  d.central_government[0].owner = "Home <Office>";
  std::string html = Html(d);
  EXPECT_FALSE(Contains(html, "<script"));
  EXPECT_FALSE(Contains(html, "<b>"));
  EXPECT_FALSE(Contains(html, "<Office>"));
  EXPECT_TRUE(Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(Contains(html,
                       "<h1>Update &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; "
                       "&#39;co&#39;</h1>"));
  EXPECT_TRUE(Contains(html, "<h3>Home &lt;Office&gt;</h3>"));
}

TEST(ReportRenderTest, HtmlIsAStandaloneAccessibleDocument) {
  std::string html = Html(Rich());
  EXPECT_EQ(
      html.rfind("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">", 0),
      0u);
  EXPECT_TRUE(html.ends_with("</main>\n</body>\n</html>\n"));
  EXPECT_EQ(Count(html, "<main>"), 1u);
  EXPECT_EQ(Count(html, "<h1>"), 1u);
  EXPECT_EQ(Count(html, "<table>"), Count(html, "<caption>"));
  EXPECT_GT(Count(html, "<th scope=\"col\""), 0u);
  EXPECT_GT(Count(html, "<th scope=\"row\""), 0u);
  EXPECT_EQ(Count(html, "<svg "), 2u);
  EXPECT_EQ(Count(html, "role=\"img\""), 2u);
  EXPECT_FALSE(Contains(html, "<script"));
  EXPECT_FALSE(Contains(html,
                        " on"
                        "click="));
  EXPECT_TRUE(Contains(html, "<style>"));
  EXPECT_FALSE(Contains(html, "<link"));  // nothing fetched from elsewhere
  // Headings never skip a level on the way down.
  int previous = 0;
  for (size_t at = html.find("<h"); at != std::string::npos; at = html.find("<h", at + 2)) {
    char c = html[at + 2];
    if (c < '1' || c > '6') continue;
    int level = c - '0';
    EXPECT_LE(level, previous + 1) << html.substr(at, 40);
    previous = level;
  }
}

TEST(ReportRenderTest, ChangesSincePreviousPublication) {
  std::string md = Md(Rich());
  EXPECT_TRUE(Contains(md, "## What changed since Baseline (28 October 2016)\n"));
  EXPECT_TRUE(Contains(md, "| R7 | Metropolitan Police | implementation | " +
                               std::string(Label(Implementation::kInProgress)) + " | " +
                               std::string(Label(Implementation::kImplemented)) + " |"));
  EXPECT_TRUE(Contains(md, "| R1 | Home Office | response status | " +
                               std::string(Label(ResponseStatus::kPending)) + " | " +
                               std::string(Label(ResponseStatus::kResponded)) + " |"));
  ReportData d = Rich();
  d.changes.clear();
  md = Md(d);
  EXPECT_TRUE(Contains(md, "## What changed since Baseline (28 October 2016)\n\nNone.\n"));
  d.previous.reset();
  md = Md(d);
  EXPECT_TRUE(Contains(md, "No previous publication."));
}

TEST(ReportRenderTest, OutstandingGroupedByOwner) {
  std::string md = Md(Rich());
  size_t central = md.find("## Outstanding with central government");
  size_t other = md.find("## Outstanding with other owners");
  ASSERT_NE(central, std::string::npos);
  ASSERT_NE(other, std::string::npos);
  size_t home = md.find("### Home Office\n");
  EXPECT_GT(home, central);
  EXPECT_LT(home, other);
  EXPECT_TRUE(Contains(md, "| R1 | Fund the NICC grant"));
  EXPECT_TRUE(Contains(md, " | " + std::string(Label(Implementation::kNotImplemented)) + " | " +
                               std::string(Label(ResponseKind::kRejected)) + " | Costs"));
  // Without a formal response, the response status says where things stand.
  EXPECT_TRUE(
      Contains(md, "### Port of London Authority (" + std::string(TierLabel("regulator")) + ")\n"));
  EXPECT_TRUE(Contains(md, " | " + std::string(Label(Implementation::kNotStarted)) + " | " +
                               std::string(Label(ResponseStatus::kOverdue)) + " |  |"));
  EXPECT_GT(md.find("### Port of London Authority"), other);
}

TEST(ReportRenderTest, DoneTiersOverdueAndFunding) {
  std::string md = Md(Rich());
  EXPECT_TRUE(Contains(md, "## Done\n\n| Ref | Recommendation | Owner |\n"));
  EXPECT_TRUE(Contains(md, "| R9 | Clarify the Mayor's role in COBR | Cabinet Office |\n"));
  EXPECT_TRUE(
      Contains(md, "| " + std::string(TierLabel("central_government")) + " | 2 | 1 | 1 | 0 | 0 |\n"));
  EXPECT_TRUE(Contains(md, "| " + std::string(TierLabel("regulator")) + " | 1 | 0 | 1 | 1 | 1 |\n"));
  EXPECT_TRUE(Contains(md, "## Not reported\n"));
  EXPECT_TRUE(Contains(md, "| L2 | Provide extra resources to the ambulance service | Department of "
                           "Health | Not in the 2017 update. |\n"));
  EXPECT_TRUE(Contains(md, "| R12 | Port of London Authority | 23 December 2016 | 306 |\n"));
  EXPECT_TRUE(Contains(md,
                       "| Home Office | NICC grant | per year | \xC2\xA3"
                       "346m | \xC2\xA3"
                       "174m | \xC2\xA3"
                       "172m |\n"));
  EXPECT_TRUE(Contains(md, "| **Total** |  |  | **" + FormatMoney(348500000, "GBP") + "** | **" +
                               FormatMoney(174000000, "GBP") + "** | **" +
                               FormatMoney(174500000, "GBP") + "** |\n"));
  std::string html = Html(Rich());
  EXPECT_TRUE(Contains(html, "<tfoot>\n<tr><th scope=\"row\">Total</th>"));
}

TEST(ReportRenderTest, VerificationFooterWhenPublished) {
  ReportData d = Rich();
  std::string md = Md(d);
  EXPECT_TRUE(Contains(md,
                       "## Verification\n\nPublication `2`, frozen at ledger entry `42` with "
                       "hash `9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`"))
      << md;
  EXPECT_TRUE(Contains(Html(d),
                       "<code>9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0"
                       "f00a08</code>"));
  d.publication_id = 0;
  d.ledger_hash.clear();
  md = Md(d);
  EXPECT_FALSE(Contains(md, "ledger entry"));
  EXPECT_TRUE(Contains(md, "Draft: not published"));
}

TEST(ReportRenderTest, EmptySectionsSayNone) {
  ReportData d;
  d.title = "Empty";
  d.as_of = D("2020-01-01");
  std::string md = Md(d);
  // Timeline, done, central government, other owners, not reported, tiers,
  // overdue, funding.
  EXPECT_EQ(Count(md, "\nNone.\n"), 8u) << md;
  EXPECT_TRUE(Contains(md, "No previous publication."));
  std::string html = Html(d);
  EXPECT_EQ(Count(html, "<p>None.</p>"), 8u);
  EXPECT_EQ(Count(html, "<svg "), 1u);  // the status chart, with its zero bars
}

TEST(ReportRenderTest, NoCurrentTimeAnywhere) {
  ReportData d = Rich();
  for (ReportFormat f : {ReportFormat::kMarkdown, ReportFormat::kHtml, ReportFormat::kJson})
    EXPECT_EQ(RenderReport(d, f), RenderReport(Rich(), f));
}

TEST(ReportJsonTest, SnapshotHoldsEveryField) {
  std::string json = ReportToJson(Rich());
  EXPECT_EQ(json.rfind("{\n  \"format\": \"rectrack-report/1\",\n  \"source\": {\n    \"slug\": "
                       "\"harris-2016\",",
                       0),
            0u)
      << json;
  EXPECT_TRUE(json.ends_with("}\n"));
  for (const char* key : {"\"states\"", "\"timeline\"", "\"previous\"", "\"changes\"",
                          "\"funding_total\"", "\"ledger_hash\"", "\"stated_total\": 127",
                          "\"response_days\": 56", "\"days_overdue\": 306",
                          "\"implementation\": \"not_implemented\"", "\"date\": \"2017-09-01\""})
    EXPECT_TRUE(Contains(json, key)) << key;
  EXPECT_TRUE(Contains(json, "London\xE2\x80\x99s"));  // UTF-8 as is
}

TEST(ReportJsonTest, RoundTripRendersIdenticalBytes) {
  for (ReportData d : {Rich(), ReportData{}}) {
    std::string json = ReportToJson(d);
    auto back = ReportFromJson(json);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(ReportToJson(*back), json);
    for (ReportFormat f : {ReportFormat::kMarkdown, ReportFormat::kHtml, ReportFormat::kJson})
      EXPECT_EQ(RenderReport(*back, f), RenderReport(d, f));
  }
}

TEST(ReportJsonTest, RoundTripKeepsUnsetOptionals) {
  ReportData d = Rich();
  d.date.reset();
  d.stated_total.reset();
  d.previous.reset();
  d.done[0].due.reset();
  auto back = ReportFromJson(ReportToJson(d));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back->date);
  EXPECT_FALSE(back->stated_total);
  EXPECT_EQ(back->response_days, 56);
  EXPECT_FALSE(back->previous);
  EXPECT_FALSE(back->done[0].due);
  EXPECT_EQ(back->done[1].due, D("2016-12-23"));
  ASSERT_EQ(back->states.size(), 2u);
  EXPECT_EQ(back->states[1].implementation, Implementation::kImplemented);
  EXPECT_EQ(back->funding_gap, 174500000);
}

TEST(ReportJsonTest, RejectsBadSnapshots) {
  EXPECT_FALSE(ReportFromJson("{"));
  EXPECT_FALSE(ReportFromJson("[]"));
  auto wrong_format = ReportFromJson(R"({"format": "rectrack/1", "as_of": "2020-01-01"})");
  ASSERT_FALSE(wrong_format);
  EXPECT_TRUE(Contains(wrong_format.error().message, "format"));
  auto unknown =
      ReportFromJson(R"({"format": "rectrack-report/1", "as_of": "2020-01-01", "totl": 3})");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(Contains(unknown.error().message, "unknown key 'totl'"));
  auto bad_enum = ReportFromJson(R"({"format": "rectrack-report/1", "as_of": "2020-01-01",
      "states": [{"ref": "R1", "implementation": "done"}]})");
  ASSERT_FALSE(bad_enum);
  EXPECT_EQ(bad_enum.error().message,
            "report snapshot: states[0].implementation: unknown value 'done'");
  auto bad_type =
      ReportFromJson(R"({"format": "rectrack-report/1", "as_of": "2020-01-01", "total": "3"})");
  ASSERT_FALSE(bad_type);
  EXPECT_EQ(bad_type.error().message, "report snapshot: total: expected an integer");
  EXPECT_FALSE(ReportFromJson(R"({"format": "rectrack-report/1"})"));  // no as_of
}

TEST(SvgTest, StatusBreakdownIsAccessibleAndCarriesNumbers) {
  ReportData d = Rich();
  std::string svg = StatusBreakdownSvg(d);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_TRUE(Contains(svg, "role=\"img\""));
  EXPECT_TRUE(Contains(svg, "<title id=\"status-chart-title\">"));
  EXPECT_TRUE(Contains(svg, "<desc id=\"status-chart-desc\">Of 3 recommendations: 2 " +
                                HtmlEscape(Label(Implementation::kImplemented))));
  EXPECT_TRUE(Contains(svg, ">" + HtmlEscape(Label(Implementation::kSuperseded)) + "</text>"));
  EXPECT_EQ(Count(svg, "<rect "), std::size(kAllImplementations));
  // The longest bar is full width; a zero bar has zero width.
  EXPECT_TRUE(Contains(svg, "width=\"340\""));
  EXPECT_TRUE(Contains(svg, "width=\"0\""));
  EXPECT_EQ(svg, StatusBreakdownSvg(Rich()));
}

TEST(SvgTest, ImplementedOverTimeIsAStepLine) {
  ReportData d = Rich();
  std::string svg = ImplementedOverTimeSvg(d);
  EXPECT_TRUE(Contains(svg, "role=\"img\""));
  EXPECT_TRUE(Contains(svg, "<title id=\"timeline-chart-title\">"));
  EXPECT_TRUE(Contains(svg, "0 on 28 October 2016 and 2 by 25 October 2017, of 3 tracked"));
  EXPECT_TRUE(Contains(svg, ">28 October 2016</text>"));
  EXPECT_TRUE(Contains(svg, ">25 October 2017</text>"));
  // Starts at the first date at zero (bottom), ends at the as-of date (right edge).
  EXPECT_TRUE(Contains(svg, "d=\"M60 200 H"));
  EXPECT_TRUE(Contains(svg, " H600\" fill=\"none\" stroke=\"#00703c\""));
  EXPECT_EQ(Count(svg, "<circle "), 3u);
  d.timeline.clear();
  svg = ImplementedOverTimeSvg(d);
  EXPECT_TRUE(Contains(svg, "No dated progress to chart."));
  EXPECT_FALSE(Contains(svg, "<path"));
}

}  // namespace
}  // namespace rectrack

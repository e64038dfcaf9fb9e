#include "ingest/document.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/text.h"
#include "ingest/draft.h"
#include "ingest/pdf_text.h"

namespace rectrack {
namespace {

Draft Extract(const std::vector<std::string>& pages, DocumentPreset preset) {
  ExtractOptions o;
  o.preset = preset;
  auto d = ExtractRecommendations(pages, o);
  EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message);
  return d ? *d : Draft{};
}

const DraftItem* Find(const Draft& d, const std::string& ref) {
  for (const auto& i : d.items)
    if (i.ref == ref) return &i;
  return nullptr;
}

std::vector<std::string> Refs(const Draft& d) {
  std::vector<std::string> out;
  for (const auto& i : d.items) out.push_back(i.ref);
  return out;
}

// Three pages of a UPR report laid out as in 2009: items "1." under
// paragraphs whose lead-in gives the decision, running headers and page
// numbers, an item broken across a page, a footnote mark and its note.
const std::vector<std::string> kUpr2009 = {
    "                                                          A/HRC/12/9\n"
    "                                                          Page 1\n"
    "          Report of the Working Group on the Universal Periodic Review*\n"
    "\n"
    "                                  Afghanistan\n"
    "\n"
    "      94.    The delegation thanked the Council.\n"
    "\n"
    "                  II. CONCLUSIONS AND/OR RECOMMENDATIONS\n"
    "\n"
    "95.   The recommendations formulated during the interactive dialogue have been examined by\n"
    "Afghanistan and the recommendations listed below enjoy the support of Afghanistan:\n"
    "\n"
    "       1.     Incorporate international conventions into domestic legal reform\n"
    "              initiatives (Norway);\n"
    "\n"
    "       2.     Review all its national legislation to protect the right to privacy and non-\n"
    "              discrimination (Czech Republic);\n"
    "\n"
    "       3.     Strengthen the Afghanistan Independent Human Rights Commission so that it\n",
    "                                                          A/HRC/12/9\n"
    "                                                          Page 2\n"
    "\n"
    "              discharges its mandate in the most effective manner (Jordan);\n"
    "\n"
    "96.     The following recommendations will be examined by Afghanistan which will provide\n"
    "responses in due time:\n"
    "\n"
    "       1.     Sign (France) and ratify the Optional Protocol to the Convention against Torture\n"
    "              (France, Argentina, Czech Republic);\n"
    "\n"
    "       2.     Review the penal laws that prevent journalists from carrying out their mission\n"
    "              (Belgium); 1\n"
    "\n"
    "       1\n"
    "         The recommendation as read during the interactive dialogue: \"Review the laws\".\n"
    "                                                          3\n",
    "                                                          A/HRC/12/9\n"
    "                                                          Page 3\n"
    "\n"
    "97.    The following recommendations did not enjoy the support of Afghanistan:\n"
    "\n"
    "       1.     Abolish the death penalty (United Kingdom of Great Britain and Northern\n"
    "              Ireland, Trinidad and Tobago);\n"
    "\n"
    "98.     All conclusions and/or recommendations contained in the present report reflect the\n"
    "position of the submitting State(s) and /or the State under review thereon.\n"
    "\n"
    "                                         Annex\n"
    "       1.     Composition of the delegation\n"};

TEST(DocumentTest, UprItemsDecisionsAndStates) {
  Draft d = Extract(kUpr2009, DocumentPreset::kUpr);
  EXPECT_EQ(d.state_under_review, "Afghanistan");
  EXPECT_EQ(d.symbol, "A/HRC/12/9");
  EXPECT_EQ(Refs(d), (std::vector<std::string>{"95.1", "95.2", "95.3", "96.1", "96.2", "97.1"}));
  const DraftItem* a = Find(d, "95.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "Incorporate international conventions into domestic legal reform initiatives");
  EXPECT_EQ(a->recommended_by, (std::vector<std::string>{"Norway"}));
  EXPECT_EQ(a->decision, "support");
  EXPECT_EQ(a->addressees, (std::vector<std::string>{"Afghanistan"}));
  EXPECT_EQ(Find(d, "96.2")->decision, "consider");
  EXPECT_EQ(Find(d, "97.1")->decision, "reject");
  // Names of states with "and" in them stay whole.
  EXPECT_EQ(Find(d, "97.1")->recommended_by,
            (std::vector<std::string>{"United Kingdom of Great Britain and Northern Ireland",
                                      "Trinidad and Tobago"}));
  // A state named in a bracket inside the text, and again at its end, once.
  EXPECT_EQ(Find(d, "96.1")->recommended_by,
            (std::vector<std::string>{"France", "Argentina", "Czech Republic"}));
  EXPECT_EQ(Find(d, "96.1")->text,
            "Sign (France) and ratify the Optional Protocol to the Convention against Torture");
}

TEST(DocumentTest, TextJoinsAcrossLinesAndPagesWithoutHeadersFootersOrNotes) {
  Draft d = Extract(kUpr2009, DocumentPreset::kUpr);
  // Across a page: the running header ("A/HRC/12/9", "Page 2") is not text.
  const DraftItem* c = Find(d, "95.3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text,
            "Strengthen the Afghanistan Independent Human Rights Commission so that it discharges "
            "its mandate in the most effective manner");
  ASSERT_EQ(c->quotes.size(), 2u);
  EXPECT_EQ(c->quotes[0].page, 1);
  EXPECT_EQ(c->quotes[1].page, 2);
  // The quotes are where the text is in each page's text.
  std::string_view first = std::string_view(kUpr2009[0]).substr(
      c->quotes[0].begin, c->quotes[0].end - c->quotes[0].begin);
  EXPECT_TRUE(first.starts_with("Strengthen the Afghanistan")) << first;
  std::string_view second = std::string_view(kUpr2009[1]).substr(
      c->quotes[1].begin, c->quotes[1].end - c->quotes[1].begin);
  EXPECT_TRUE(second.starts_with("discharges its mandate")) << second;
  EXPECT_TRUE(second.ends_with("(Jordan);")) << second;
  // A compound broken at its hyphen keeps it; the footnote mark and the note go.
  EXPECT_EQ(Find(d, "95.2")->text,
            "Review all its national legislation to protect the right to privacy and "
            "non-discrimination");
  EXPECT_EQ(Find(d, "96.2")->text,
            "Review the penal laws that prevent journalists from carrying out their mission");
  EXPECT_EQ(Find(d, "96.2")->recommended_by, (std::vector<std::string>{"Belgium"}));
}

TEST(DocumentTest, HyphenationIsUndoneWhereTheDocumentWritesTheWordWhole) {
  const std::vector<std::string> pages = {
      "II. Conclusions and/or recommendations\n"
      "80. The recommendations listed below enjoy the support of Tonga:\n"
      "  80.1. Strengthen the independence of the judiciary and the imple-\n"
      "  mentation of its judgements (Chile);\n"
      "  80.2. Report on the implementation of the plan (Peru);\n"};
  Draft d = Extract(pages, DocumentPreset::kUpr);
  EXPECT_EQ(Find(d, "80.1")->text,
            "Strengthen the independence of the judiciary and the implementation of its judgements");
}

// The later layout: "102.1." alone on its line, the text on the next; a
// paragraph after the list that gives some of its items another decision.
TEST(DocumentTest, NumbersOnTheirOwnLineAndDecisionsGivenAfterTheList) {
  const std::vector<std::string> pages = {
      "II. Conclusions and/or recommendations\n"
      "102. The recommendations formulated during the interactive dialogue and listed below\n"
      "have been examined by Kenya and enjoy its support:\n"
      "102.1.\n"
      "Ratify the Convention on the Rights of Persons with Disabilities (Spain);\n"
      "102.2.\n"
      "Adopt a national action plan on human rights\n"
      "(Norway);\n"
      "102.3.Strengthen the national human rights institution (Ghana).\n"
      "103. Kenya considers that recommendations Nos. 1 and 3 above are already implemented or in\n"
      "the process of implementation.\n"
      "104. All conclusions and/or recommendations contained in the present report reflect the\n"
      "position of the submitting State(s).\n"};
  Draft d = Extract(pages, DocumentPreset::kUpr);
  EXPECT_EQ(Refs(d), (std::vector<std::string>{"102.1", "102.2", "102.3"}));
  EXPECT_EQ(Find(d, "102.1")->decision, "implemented");
  EXPECT_EQ(Find(d, "102.2")->decision, "support");
  EXPECT_EQ(Find(d, "102.3")->decision, "implemented");
  EXPECT_EQ(Find(d, "102.2")->text, "Adopt a national action plan on human rights");
  EXPECT_EQ(Find(d, "102.3")->recommended_by, (std::vector<std::string>{"Ghana"}));
  EXPECT_EQ(d.state_under_review, "Kenya");  // from the lead-in when the title does not say
}

// Slips of real documents: a number without its full stop (Albania 2010), a
// letter lost by the PDF's text (France 2008: "o remove"), a paragraph number
// mistyped (Honduras 2011: 84.93 among 82.x), a stray glyph (Spain 2010).
TEST(DocumentTest, NumberingSlipsOfRealDocumentsAreReadInTheirSequence) {
  const std::vector<std::string> pages = {
      "II. Conclusions and/or recommendations\n"
      "82. The following recommendations will be examined by Honduras:\n"
      "82.1. Fully implement the law (Peru);\n"
      "84.2. Take all necessary measures to protect freedom of expression (Sweden);\n"
      "82.3. |Implement the human rights goals (Brazil).\n"
      "83. All conclusions and/or recommendations contained in the present report reflect the\n"
      "position of the submitting State(s).\n"};
  Draft d = Extract(pages, DocumentPreset::kUpr);
  EXPECT_EQ(Refs(d), (std::vector<std::string>{"82.1", "82.2", "82.3"}));
  const std::vector<std::string> relative = {
      "II. Conclusions and/or recommendations\n"
      "67. The recommendations listed below enjoy the support of Albania:\n"
      "    1.   Facilitate the registration of all children (Mexico);\n"
      "    2    Take appropriate measures to promote registration (Azerbaijan);\n"
      "    3.   o remove reservations to the Covenant (Russian Federation);\n"
      "    4.   Continue the efforts in 2009 and\n"
      "    5    more (Peru).\n"};
  Draft r = Extract(relative, DocumentPreset::kUpr);
  EXPECT_EQ(Refs(r), (std::vector<std::string>{"67.1", "67.2", "67.3", "67.4"}));
  EXPECT_EQ(Find(r, "67.2")->text, "Take appropriate measures to promote registration");
  EXPECT_EQ(Find(r, "67.3")->text, "o remove reservations to the Covenant");
  // "5    more": lower case after a number with no full stop is text.
  EXPECT_EQ(Find(r, "67.4")->text, "Continue the efforts in 2009 and 5 more");
  EXPECT_EQ(Find(d, "82.2")->text, "Take all necessary measures to protect freedom of expression");
  EXPECT_NE(std::find(d.notes.begin(), d.notes.end(), "the document numbers 82.2 as 84.2"), d.notes.end());
  EXPECT_EQ(Find(d, "82.3")->text, "|Implement the human rights goals");
}

TEST(DocumentTest, AYearAtTheStartOfALineIsNoParagraph) {
  const std::vector<std::string> pages = {
      "II. Conclusions and/or recommendations\n"
      "81. The recommendations listed below will be examined by Palau, which will respond\n"
      "no later than the session of the Council in September\n"
      "2011. The response of Palau will be included in the outcome report:\n"
      "  81.1. Ratify the core human rights treaties (Chile);\n"
      "  81.2. Consider ratifying OP-CAT (France);\n"};
  Draft d = Extract(pages, DocumentPreset::kUpr);
  EXPECT_EQ(Refs(d), (std::vector<std::string>{"81.1", "81.2"}));
  EXPECT_EQ(Find(d, "81.2")->decision, "consider");
}

TEST(DocumentTest, GenericNumberingStylesSubItemsAndAddressees) {
  const std::vector<std::string> pages = {
      "Chapter 4: Findings\n"
      "12. The witness said the Home Office should have acted.\n"
      "Recommendations\n"
      "Recommendation 1: The Home Office should publish its guidance on\n"
      "evacuation by March.\n"
      "Recommendation 2: We recommend that NHS England and the Department of Health fund\n"
      "trauma training for ambulance crews.\n"
      "Recommendation 3: The London Fire Brigade should:\n"
      "(a) review its training;\n"
      "(b) buy new radios; and\n"
      "(c) report to the Mayor.\n"
      "Recommendation 4: That the Government consider a levy.\n"
      "Annex A\n"
      "1. A list of witnesses.\n"};
  Draft d = Extract(pages, DocumentPreset::kGeneric);
  EXPECT_EQ(Refs(d), (std::vector<std::string>{"1", "2", "3(a)", "3(b)", "3(c)", "4"}));
  EXPECT_EQ(Find(d, "1")->addressees, (std::vector<std::string>{"Home Office"}));
  EXPECT_EQ(Find(d, "1")->text, "The Home Office should publish its guidance on evacuation by March.");
  EXPECT_EQ(Find(d, "2")->addressees,
            (std::vector<std::string>{"NHS England", "Department of Health"}));
  // Sub-items take the addressee of their lead-in; the lead-in is no item.
  EXPECT_EQ(Find(d, "3(b)")->addressees, (std::vector<std::string>{"London Fire Brigade"}));
  EXPECT_EQ(Find(d, "3(b)")->text, "buy new radios");
  EXPECT_EQ(Find(d, "4")->addressees, (std::vector<std::string>{"Government"}));
}

TEST(DocumentTest, GenericDottedAndPrefixedNumbers) {
  const std::vector<std::string> pages = {
      "Summary of recommendations\n"
      "R1 The Department should appoint a lead.\n"
      "R2 The Department should publish data.\n"
      "113.6 Ministers should report annually.\n"
      "113.7 Ministers should consult.\n"
      "The board met 12 times in 2019 and 2.5 million people were affected.\n"};
  Draft d = Extract(pages, DocumentPreset::kGeneric);
  EXPECT_EQ(Refs(d), (std::vector<std::string>{"R1", "R2", "113.6", "113.7"}));
  EXPECT_EQ(Find(d, "113.7")->text,
            "Ministers should consult. The board met 12 times in 2019 and 2.5 million people "
            "were affected.");
  EXPECT_EQ(Find(d, "113.6")->addressees, (std::vector<std::string>{"Ministers"}));
}

TEST(DocumentTest, NoRecommendationsIsAnError) {
  ExtractOptions o;
  o.preset = DocumentPreset::kUpr;
  auto d = ExtractRecommendations({"A letter.\nIt has no numbered items.\n"}, o);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("no numbered recommendations"), std::string::npos);
  EXPECT_FALSE(ParseDocumentPreset("fancy").has_value());
}

// Found by the document harness's campaign (docs/reliability.md): a text
// document whose first control character was a page's form feed was read
// whole, NULs and all, since only the first one was looked at; its draft then
// held U+0000, and a U+0001 inside a bracket came out as " and " (the mark that
// keeps "Trinidad and Tobago" whole), so "(France, Argentina<U+0001>)" gave
// the state "Argentina and ".
TEST(DocumentTest, AControlCharacterAnywhereInATextDocumentIsRefused) {
  const auto file = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                    "tests" / "fixtures" / "documents" / "control-after-page-break.txt";
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in) << file;
  std::ostringstream raw;
  raw << in.rdbuf();
  auto pages = DocumentPageTexts(raw.str(), "fuzz.txt", PdfLimits{});
  ASSERT_FALSE(pages.has_value());
  EXPECT_NE(pages.error().message.find("fuzz.txt: a control character (U+0000) at byte "),
            std::string::npos)
      << pages.error().message;

  auto late = DocumentPageTexts("Page one.\fPage two \x01 here.\f", "late.txt", PdfLimits{});
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().message, "late.txt: a control character (U+0001) at byte 19: not a text");
  auto fine = DocumentPageTexts("Page one.\tTab.\r\nLine.\fPage two.\f", "fine.txt", PdfLimits{});
  ASSERT_TRUE(fine.has_value()) << fine.error().message;
  EXPECT_EQ(fine->size(), 2u);

  // The extractor itself (a pure function of pages, whoever calls it): a
  // U+0001 in a bracket is no " and ".
  const Draft d = Extract({"II. Conclusions and/or recommendations\n\n"
                           "95. The recommendations below enjoy the support of Chad:\n"
                           "1. Ratify OP-CAT (France, Argentina\x01);\n"
                           "2. Adopt a plan (Trinidad and Tobago and Chile).\n"},
                          DocumentPreset::kUpr);
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_EQ(d.items[0].recommended_by, (std::vector<std::string>{"France", "Argentina"}));
  EXPECT_EQ(d.items[1].recommended_by, (std::vector<std::string>{"Trinidad and Tobago", "Chile"}));
}

TEST(DocumentTest, NormalizeForComparison) {
  EXPECT_EQ(NormalizeForComparison("  Take \u201Call\u201D  the\n women\u2019s  "),
            "Take \"all\" the women's");
}

TEST(DraftTest, RoundTripsAndRefusesWhatAPersonMayBreak) {
  DraftFile f;
  f.draft = Extract(kUpr2009, DocumentPreset::kUpr);
  f.file = "afghanistan2009.pdf";
  f.sha256 = "ab";
  f.page_texts = {"Page one\n", "Page \xc3\xa9 two\f"};
  std::string json = DraftToJson(f);
  auto back = DraftFromJson(json, "d.json");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(DraftToJson(*back), json);
  EXPECT_EQ(back->page_texts, f.page_texts);
  f.page_texts.clear();
  EXPECT_EQ(DraftToJson(f).find("page_texts"), std::string::npos);  // only when asked for

  auto bad = [](const std::string& text) {
    auto r = DraftFromJson(text, "d.json");
    return r ? std::string("accepted") : r.error().message;
  };
  EXPECT_NE(bad("{").find("not JSON"), std::string::npos);
  EXPECT_NE(bad("{\"format\": \"other\"}").find("not a draft"), std::string::npos);
  std::string head = "{\"format\": \"rectrack-draft/1\", \"preset\": \"upr\", \"items\": ";
  EXPECT_NE(bad(head + "[]}").find("no items"), std::string::npos);
  EXPECT_NE(bad(head + "[{\"ref\": \"1\", \"text\": \"\"}]}").find("item 1 (ref 1): empty \"text\""),
            std::string::npos);
  EXPECT_NE(bad(head + "[{\"ref\": \"1\", \"text\": \"a\"}, {\"ref\": \"1\", \"text\": \"b\"}]}")
                .find("item 2 (ref 1): the ref is repeated"),
            std::string::npos);
  EXPECT_NE(bad(head + "[{\"ref\": \"1\", \"text\": \"a\", \"decision\": \"maybe\"}]}")
                .find("unknown decision 'maybe'"),
            std::string::npos);
  EXPECT_NE(bad(head + "[{\"ref\": 1, \"text\": \"a\"}]}").find("\"ref\" must be a string"),
            std::string::npos);
  // Wrong types where the reader takes a default: an error, not an exception.
  EXPECT_NE(bad("{\"format\": 1}").find("not a valid draft"), std::string::npos);
  EXPECT_NE(bad(head + "[{\"ref\": \"1\", \"text\": \"a\", \"quotes\": [{\"page\": \"two\"}]}]}")
                .find("not a valid draft"),
            std::string::npos);
}

TEST(DraftTest, BatchHasOneSourceWithStatesAndDecisions) {
  DraftFile f;
  f.draft = Extract(kUpr2009, DocumentPreset::kUpr);
  auto batch = DraftToBatch(f, {});
  ASSERT_TRUE(batch.has_value()) << batch.error().message;
  ASSERT_EQ(batch->sources.size(), 1u);
  const auto& s = batch->sources[0];
  EXPECT_EQ(s.source.slug, "upr-a-hrc-12-9-afghanistan");
  EXPECT_EQ(s.source.kind, "upr");
  EXPECT_EQ(s.source.vocabulary, "upr");
  ASSERT_EQ(s.recommendations.size(), 6u);
  const auto& r = s.recommendations[3];  // 96.1
  EXPECT_EQ(r.recommendation.ref, "96.1");
  EXPECT_EQ(r.recommendation.made_by, "France, Argentina, Czech Republic");
  ASSERT_EQ(r.assignments.size(), 1u);
  EXPECT_EQ(r.assignments[0].owner, "Afghanistan");
  EXPECT_EQ(r.assignments[0].assignment.raw_response, "consider");
  auto named = DraftToBatch(f, {"upr-2009-afghanistan", "UPR 2009: Afghanistan", "", std::nullopt});
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->sources[0].source.slug, "upr-2009-afghanistan");
  EXPECT_EQ(named->sources[0].source.title, "UPR 2009: Afghanistan");
}

}  // namespace
}  // namespace rectrack

namespace rectrack {
namespace {

TEST(DraftTest, MergingMakesOneItemOfTheTickedOnesAtTheFirstsPlace) {
  Draft d;
  auto item = [](std::string ref, std::string text, std::vector<std::string> to,
                 std::vector<std::string> by, std::string decision, int page) {
    DraftItem i;
    i.ref = std::move(ref);
    i.text = std::move(text);
    i.addressees = std::move(to);
    i.recommended_by = std::move(by);
    i.decision = std::move(decision);
    i.quotes = {{page, 10, 20}};
    return i;
  };
  d.items = {item("1", "One.", {"Kenya"}, {"France"}, "", 1),
             item("2", "Two begins", {"Kenya"}, {"Chile"}, "support", 1),
             item("3", "and ends.", {"Kenya", "Home Office"}, {"France"}, "reject", 2),
             item("4", "Four.", {"Kenya"}, {"Peru"}, "support", 2)};
  ASSERT_TRUE(MergeDraftItems(&d, {1, 2}));
  ASSERT_EQ(d.items.size(), 3u);
  const DraftItem& m = d.items[1];
  EXPECT_EQ(m.ref, "2");
  EXPECT_EQ(m.text, "Two begins and ends.");
  EXPECT_EQ(m.addressees, (std::vector<std::string>{"Kenya", "Home Office"}));
  EXPECT_EQ(m.recommended_by, (std::vector<std::string>{"Chile", "France"}));
  ASSERT_EQ(m.quotes.size(), 2u);
  EXPECT_EQ(m.quotes[1].page, 2);
  EXPECT_EQ(m.decision, "support");  // the first said, and a note that they differed
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("support, reject"), std::string::npos) << m.notes[0];
  EXPECT_EQ(d.items[2].ref, "4");
  // A first item with no decision takes the next one's, without a note.
  ASSERT_TRUE(MergeDraftItems(&d, {0, 2}));
  EXPECT_EQ(d.items[0].decision, "support");
  EXPECT_TRUE(d.items[0].notes.empty());
  EXPECT_EQ(d.items.size(), 2u);
  // Fewer than two, out of range, out of order or repeated: refused, nothing changed.
  for (const std::vector<size_t>& bad :
       {std::vector<size_t>{0}, std::vector<size_t>{}, std::vector<size_t>{0, 5},
        std::vector<size_t>{1, 0}, std::vector<size_t>{1, 1}}) {
    Draft before = d;
    EXPECT_FALSE(MergeDraftItems(&d, bad));
    EXPECT_EQ(d.items.size(), before.items.size());
    EXPECT_EQ(d.items[0].text, before.items[0].text);
  }
}

}  // namespace
}  // namespace rectrack

namespace rectrack {
namespace {

TEST(DraftTest, AddresseesAreCheckedAgainstTheOwnersAndTheirAliases) {
  std::vector<Owner> owners(2);
  owners[0].name = "Home Office";
  owners[0].aliases = {"HO"};
  owners[1].name = "Department for Levelling Up";
  owners[1].aliases = {"DCLG"};
  Draft d;
  d.items.resize(2);
  d.items[0].ref = "1";
  d.items[0].addressees = {"Home Office", "DCLG", "NHS England"};
  d.items[1].ref = "2";
  d.items[1].addressees = {"the  home office", "HOME OFFICE", "Home Office"};
  MapAddressees(&d, owners);
  // A name or alias as written stays (the import resolves an alias itself).
  EXPECT_EQ(d.items[0].addressees, (std::vector<std::string>{"Home Office", "DCLG", "NHS England"}));
  ASSERT_EQ(d.items[0].notes.size(), 1u);
  EXPECT_NE(d.items[0].notes[0].find("'NHS England' is not an owner yet"), std::string::npos);
  // Case and spacing: the owner's name, said; the same owner twice: once.
  EXPECT_EQ(d.items[1].addressees, (std::vector<std::string>{"the  home office", "Home Office"}))
      << "'the' is a word of the name: not guessed away";
  EXPECT_EQ(d.items[1].notes.size(), 2u);
  EXPECT_NE(Join(d.items[1].notes, "|").find("'HOME OFFICE' read as the owner 'Home Office'"),
            std::string::npos);
  EXPECT_NE(Join(d.items[1].notes, "|").find("'the  home office' is not an owner yet"),
            std::string::npos);
  // Again: no note twice.
  MapAddressees(&d, owners);
  EXPECT_EQ(d.items[0].notes.size(), 1u);
  EXPECT_EQ(d.items[1].notes.size(), 2u);
}

}  // namespace
}  // namespace rectrack

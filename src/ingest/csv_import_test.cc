#include "ingest/csv_import.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"

namespace rectrack {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "tests" /
    "fixtures";

std::string ReadFixture(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << p;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CsvMapping BasicMapping() {
  CsvMapping m;
  m.columns = {
      {"ref", "ref"}, {"text", "text"}, {"owner", "owner"}, {"status", "status"}, {"due", "due"}};
  return m;
}

std::string ErrorOf(const Result<ImportBatch>& r) {
  return r ? std::string("(no error)") : r.error().message;
}

TEST(IsCsvFieldTest, KnownFields) {
  for (const char* f : {"source", "ref", "text", "owner", "made", "due", "status", "response",
                        "response_text", "theme", "url"})
    EXPECT_TRUE(IsCsvField(f)) << f;
  EXPECT_FALSE(IsCsvField("owners"));
  EXPECT_FALSE(IsCsvField(""));
}

TEST(ImportCsvTest, OneRowPerRecommendation) {
  CsvMapping m;
  m.columns = {{"ref", "No."},        {"text", "Recommendation"},
               {"owner", "Lead"},     {"made", "Made"},
               {"due", "Due"},        {"status", "Status"},
               {"response", "Reply"}, {"response_text", "Reply text"},
               {"theme", "Themes"},   {"url", "Link"}};
  m.owner_sep = ";";
  m.theme_sep = "|";
  m.date_format = "%d/%m/%Y";
  m.vocabulary = "uk_gov";
  m.source_title = "Harris review";
  m.source_kind = "review";
  m.response_days = 56;
  m.recorded_on = *Date::ParseIso("2017-10-25");
  std::string csv =
      "No.,Recommendation,Lead,Made,Due,Status,Reply,Reply text,Themes,Link\r\n"
      "R1,\"Fund the \"\"centre\"\", properly\",Home Office; MOPAC ,28/10/2016,2017-01-31,"
      "in progress,accepted in principle,We agree,policing | funding,https://x/r1\r\n"
      "R2,Review the plan,MOPAC,,,,,,,\r\n";
  auto r = ImportCsv(csv, "harris.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->sources.size(), 1u);
  const auto& s = r->sources[0];
  EXPECT_EQ(s.source.slug, "harris-review");
  EXPECT_EQ(s.source.title, "Harris review");
  EXPECT_EQ(s.source.kind, "review");
  EXPECT_EQ(s.source.vocabulary, "uk_gov");
  EXPECT_EQ(s.source.response_days, 56);
  EXPECT_EQ(OptionalIso(s.source.recorded_on), "2017-10-25");
  ASSERT_EQ(s.recommendations.size(), 2u);
  const auto& r1 = s.recommendations[0];
  EXPECT_EQ(r1.recommendation.ref, "R1");
  EXPECT_EQ(r1.recommendation.text, "Fund the \"centre\", properly");
  EXPECT_EQ(r1.recommendation.themes, (std::vector<std::string>{"policing", "funding"}));
  EXPECT_EQ(OptionalIso(r1.recommendation.made), "2016-10-28");
  EXPECT_EQ(r1.recommendation.url, "https://x/r1");
  ASSERT_EQ(r1.assignments.size(), 2u);
  EXPECT_EQ(r1.assignments[0].owner, "Home Office");
  EXPECT_EQ(r1.assignments[1].owner, "MOPAC");
  for (const auto& a : r1.assignments) {
    EXPECT_EQ(OptionalIso(a.assignment.due), "2017-01-31");  // ISO accepted too
    EXPECT_EQ(a.assignment.initial.implementation, Implementation::kInProgress);
    EXPECT_EQ(a.assignment.initial.response, ResponseKind::kAcceptedInPrinciple);
    EXPECT_EQ(a.assignment.initial.response_text, "We agree");
    EXPECT_EQ(a.assignment.raw_status, "in progress");
    EXPECT_EQ(a.assignment.raw_response, "accepted in principle");
  }
  const auto& r2 = s.recommendations[1];
  ASSERT_EQ(r2.assignments.size(), 1u);
  EXPECT_EQ(r2.assignments[0].assignment.initial, AssignmentState{});
  EXPECT_FALSE(r2.assignments[0].assignment.due);
  EXPECT_TRUE(r2.recommendation.themes.empty());
}

TEST(ImportCsvTest, RowsWithTheSameRefMergeIntoOneRecommendation) {
  CsvMapping m = BasicMapping();
  std::string csv =
      "ref,text,owner,status,due\n"
      "R1,Fund it,Home Office,implemented,\n"
      "R2,Plan it,MOPAC,,\n"
      "R1,Fund it,MOPAC,in_progress,2017-05-01\n";
  auto r = ImportCsv(csv, "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  const auto& recs = r->sources[0].recommendations;
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_EQ(recs[0].assignments.size(), 2u);
  EXPECT_EQ(recs[0].assignments[0].owner, "Home Office");
  EXPECT_EQ(recs[0].assignments[0].assignment.initial.implementation, Implementation::kImplemented);
  EXPECT_EQ(recs[0].assignments[1].owner, "MOPAC");
  EXPECT_EQ(recs[0].assignments[1].assignment.initial.implementation, Implementation::kInProgress);
  EXPECT_EQ(OptionalIso(recs[0].assignments[1].assignment.due), "2017-05-01");
  EXPECT_EQ(r->RecommendationCount(), 2u);
}

TEST(ImportCsvTest, MergedRowsMustAgreeOnText) {
  std::string csv =
      "ref,text,owner,status,due\n"
      "R1,Fund it,Home Office,,\n"
      "R1,Fund it now,MOPAC,,\n";
  EXPECT_EQ(ErrorOf(ImportCsv(csv, "x.csv", BasicMapping())),
            "x.csv:3:4: recommendation 'R1' of source 'x' appears again with different text "
            "(first on line 2); --repeated-text first or --repeated-text longest keeps one of "
            "them");
}

// Issue 9, item 6: one row per recipient, the copies differing trivially.
TEST(ImportCsvTest, CopiesThatDifferTriviallyAreOneRecommendation) {
  std::string csv =
      "ref,text,owner,status,due\n"
      "012/21,\"Review the \"\"duty\"\" of care.\",Home Office,,\n"
      "012/21,\"Review  the \xE2\x80\x9C" "duty\xE2\x80\x9D of care. (012/21)\",MOPAC,,\n"
      "012/21,\"Review the \"\"duty\"\"\n of care.\",Met Police,,\n"
      "013/21,Another,MOPAC,,\n";
  CsvRepeats repeats;
  auto r = ImportCsv(csv, "x.csv", BasicMapping(), &repeats);
  ASSERT_TRUE(r) << r.error().message;
  const auto& recs = r->sources[0].recommendations;
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].recommendation.text, "Review the \"duty\" of care.");  // the first row's
  ASSERT_EQ(recs[0].assignments.size(), 3u);
  EXPECT_EQ(recs[0].assignments[2].owner, "Met Police");
  EXPECT_EQ(repeats.trivial, 2u);
  EXPECT_EQ(repeats.trivial_line, 3u);
  EXPECT_EQ(repeats.trivial_ref, "012/21");
  EXPECT_EQ(repeats.differing, 0u);
  auto notes = repeats.Notes(BasicMapping());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0],
            "2 rows repeated a recommendation with a text that differs only in spacing, quotes "
            "or a bracketed echo of its ref (the first: line 3, ref '012/21'); each was read as "
            "the same recommendation, keeping the first row's text");
  // Rows with the same text say nothing.
  CsvRepeats none;
  ASSERT_TRUE(ImportCsv("ref,text,owner,status,due\nR1,A,X\nR1,A,Y\n", "y.csv", BasicMapping(), &none));
  EXPECT_TRUE(none.Notes(BasicMapping()).empty());
}

TEST(ImportCsvTest, DifferentTextsKeepTheFirstOrTheLongestWhenAsked) {
  std::string csv =
      "ref,text,owner,status,due\n"
      "R1,Fund it,Home Office,,\n"
      "R1,Fund it fully by 2018,MOPAC,,\n"
      "R1,Fund it now,Met Police,,\n"
      "R2,Plan,Met Police,,\n";
  CsvMapping m = BasicMapping();
  m.repeated_text = RepeatedText::kFirst;
  CsvRepeats first;
  auto r = ImportCsv(csv, "x.csv", m, &first);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->sources[0].recommendations.size(), 2u);
  EXPECT_EQ(r->sources[0].recommendations[0].recommendation.text, "Fund it");
  EXPECT_EQ(r->sources[0].recommendations[0].assignments.size(), 3u);
  EXPECT_EQ(first.differing, 2u);
  EXPECT_EQ(first.differing_line, 3u);
  EXPECT_EQ(first.texts_replaced, 0u);
  ASSERT_EQ(first.Notes(m).size(), 1u);
  EXPECT_EQ(first.Notes(m)[0],
            "2 rows repeated a recommendation with a different text (the first: line 3, ref "
            "'R1'); as --repeated-text first says, the first row's text was kept");

  m.repeated_text = RepeatedText::kLongest;
  CsvRepeats longest;
  r = ImportCsv(csv, "x.csv", m, &longest);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sources[0].recommendations[0].recommendation.text, "Fund it fully by 2018");
  EXPECT_EQ(longest.texts_replaced, 1u);
  EXPECT_EQ(longest.Notes(m).size(), 2u);
}

// The error's place is the repeated text's cell, deep in a file too (the
// report said FILE:302:302).
TEST(ImportCsvTest, ADifferentTextIsReportedAtItsCell) {
  std::string csv = "owner,ref,text,status,due\n";
  for (int i = 1; i <= 300; ++i) csv += fmt::format("MOPAC,R{},\"Text {}\"\n", i, i);
  csv += "Home Office,R150,\"Text 150, again\"\n";
  CsvMapping m = BasicMapping();
  EXPECT_EQ(ErrorOf(ImportCsv(csv, "x.csv", m)),
            "x.csv:302:18: recommendation 'R150' of source 'x' appears again with different "
            "text (first on line 151); --repeated-text first or --repeated-text longest keeps "
            "one of them");
}

TEST(ImportCsvTest, SameOwnerTwiceIsAnError) {
  std::string csv =
      "ref,text,owner,status,due\n"
      "R1,Fund it,Home Office,,\n"
      "R1,Fund it,Home Office,,\n";
  EXPECT_EQ(ErrorOf(ImportCsv(csv, "x.csv", BasicMapping())),
            "x.csv:3:12: owner 'Home Office' appears twice for recommendation 'R1' of source "
            "'x'");
}

TEST(ImportCsvTest, DefaultsRefToRowNumberAndTitleToFileName) {
  CsvMapping m;
  m.columns = {{"text", "text"}};
  auto r = ImportCsv("text\nfirst\n\nsecond\n", "some/dir/Audit 2019.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->sources.size(), 1u);
  EXPECT_EQ(r->sources[0].source.title, "Audit 2019");
  EXPECT_EQ(r->sources[0].source.slug, "audit-2019");
  const auto& recs = r->sources[0].recommendations;
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].recommendation.ref, "1");
  EXPECT_EQ(recs[1].recommendation.ref, "2");  // blank lines are not rows
  EXPECT_TRUE(recs[0].assignments.empty());    // no owner column: no assignments
}

TEST(ImportCsvTest, SourceColumnMakesSeveralSources) {
  CsvMapping m;
  m.columns = {{"source", "report"}, {"ref", "n"}, {"text", "text"}};
  m.source_kind = "inquiry";
  auto r = ImportCsv(
      "report,n,text\n"
      "Grenfell Tower Inquiry,1,Do a\n"
      "Manchester Arena Inquiry,1,Do b\n"
      "Grenfell Tower Inquiry,2,Do c\n"
      "grenfell tower inquiry,3,Do d\n",
      "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->sources.size(), 2u);
  EXPECT_EQ(r->sources[0].source.slug, "grenfell-tower-inquiry");
  EXPECT_EQ(r->sources[0].source.title, "Grenfell Tower Inquiry");
  EXPECT_EQ(r->sources[0].source.kind, "inquiry");
  EXPECT_EQ(r->sources[0].recommendations.size(), 3u);  // same slug, same source
  EXPECT_EQ(r->sources[1].source.slug, "manchester-arena-inquiry");
  EXPECT_EQ(r->sources[1].recommendations.size(), 1u);
}

TEST(ImportCsvTest, EmptySourceCellIsAnError) {
  CsvMapping m;
  m.columns = {{"source", "report"}, {"text", "text"}};
  EXPECT_EQ(ErrorOf(ImportCsv("report,text\n  ,Do a\n", "x.csv", m)),
            "x.csv:2:1: empty source title");
}

TEST(ImportCsvTest, HeaderMatchIsExactThenCaseInsensitive) {
  CsvMapping m;
  m.columns = {{"text", "recommendation"}, {"ref", "REF"}};
  auto r = ImportCsv(" Ref , Recommendation \nA1,Do it\n", "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sources[0].recommendations[0].recommendation.ref, "A1");
  EXPECT_EQ(r->sources[0].recommendations[0].recommendation.text, "Do it");
}

TEST(ImportCsvTest, MissingColumnNamesItAndLineOne) {
  CsvMapping m = BasicMapping();
  m.columns["theme"] = "Themes";
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1,x,y,,\n", "x.csv", m)),
            "x.csv:1:1: no column 'Themes' (mapped to theme); the header has: 'ref', 'text', "
            "'owner', 'status', 'due'");
}

TEST(ImportCsvTest, DuplicateHeaderColumnIsAnError) {
  CsvMapping m;
  m.columns = {{"text", "text"}};
  EXPECT_EQ(ErrorOf(ImportCsv("text,text\na,b\n", "x.csv", m)),
            "x.csv:1:1: column 'text' (mapped to text) appears more than once in the header");
}

TEST(ImportCsvTest, MappingProblems) {
  CsvMapping m;
  m.columns = {{"ref", "ref"}};
  EXPECT_EQ(ErrorOf(ImportCsv("ref\n1\n", "x.csv", m)),
            "x.csv: the column map must name the column that holds the recommendation text "
            "(--map text=COLUMN)");
  m.columns = {{"text", "text"}, {"owners", "o"}};
  EXPECT_NE(ErrorOf(ImportCsv("text\n1\n", "x.csv", m)).find("unknown field 'owners'"),
            std::string::npos);
  m.columns = {{"text", "text"}, {"status", "s"}};
  EXPECT_EQ(ErrorOf(ImportCsv("text,s\n1,done\n", "x.csv", m)),
            "x.csv: 'status' is mapped but 'owner' is not; statuses belong to an owner (--map "
            "owner=COLUMN)");
  m.columns = {{"text", "text"}};
  m.vocabulary = "klingon";
  EXPECT_NE(ErrorOf(ImportCsv("text\n1\n", "x.csv", m)).find("unknown vocabulary 'klingon'"),
            std::string::npos);
}

TEST(ImportCsvTest, UnknownStatusWord) {
  CsvMapping m = BasicMapping();
  m.vocabulary = "gao";
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1,x,HO,Done-ish,\n", "x.csv", m)),
            "x.csv:2:9: unknown status word 'Done-ish' (vocabulary gao); map it with "
            "--status-map 'Done-ish=implemented'");
  // The user's own words fix it.
  ASSERT_TRUE(AddUserMapping("done-ish=partially_implemented", &m.user_words));
  auto r = ImportCsv("ref,text,owner,status,due\nR1,x,HO,Done-ish,\n", "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  const auto& a = r->sources[0].recommendations[0].assignments[0].assignment;
  EXPECT_EQ(a.initial.implementation, Implementation::kPartiallyImplemented);
  EXPECT_EQ(a.raw_status, "Done-ish");
}

TEST(ImportCsvTest, UnknownResponseWord) {
  CsvMapping m;
  m.columns = {{"text", "text"}, {"owner", "owner"}, {"response", "reply"}};
  EXPECT_EQ(ErrorOf(ImportCsv("text,owner,reply\nx,HO,meh\n", "x.csv", m)),
            "x.csv:2:6: unknown response word 'meh' (vocabulary canonical); map it with "
            "--status-map 'meh=accepted'");
}

TEST(ImportCsvTest, ResponseWordWithoutAResponsePartStillCounts) {
  CsvMapping m;
  m.columns = {{"text", "text"}, {"owner", "owner"}, {"response", "reply"}};
  auto r = ImportCsv("text,owner,reply\nx,HO,overdue\n", "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  const auto& a = r->sources[0].recommendations[0].assignments[0].assignment;
  EXPECT_EQ(a.initial.response, ResponseKind::kNone);
  EXPECT_EQ(a.initial.recorded_status, ResponseStatus::kOverdue);
  EXPECT_EQ(a.raw_response, "overdue");
}

TEST(ImportCsvTest, BadDateNamesTheValue) {
  CsvMapping m = BasicMapping();
  m.date_format = "%d/%m/%Y";
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1,x,HO,,31/02/2017\n", "x.csv", m)),
            "x.csv:2:10: bad date '31/02/2017' (expected %d/%m/%Y or YYYY-MM-DD)");
}

TEST(ImportCsvTest, EmptyCellsThatMatter) {
  CsvMapping m = BasicMapping();
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1, ,HO,,\n", "x.csv", m)),
            "x.csv:2:4: empty recommendation text");
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1,x,,,\n", "x.csv", m)),
            "x.csv:2:6: empty owner");
}

TEST(ImportCsvTest, ShortRowsAreFilledExtraValuesAreNot) {
  CsvMapping m = BasicMapping();
  auto r = ImportCsv("ref,text,owner,status,due\nR1,x,HO\n", "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sources[0].recommendations[0].assignments[0].owner, "HO");
  // Trailing empty cells beyond the header are harmless.
  EXPECT_TRUE(ImportCsv("ref,text,owner,status,due\nR1,x,HO,,,,\n", "x.csv", m));
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1,x,HO,,,oops\n", "x.csv", m)),
            "x.csv:2:11: value in column 6 but the header has only 5 columns");
  // A short row that lacks the text column.
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\nR1\n", "x.csv", m)),
            "x.csv:2:1: empty recommendation text");
}

TEST(ImportCsvTest, EmptyAndHeaderOnlyFiles) {
  CsvMapping m = BasicMapping();
  EXPECT_EQ(ErrorOf(ImportCsv("", "e.csv", m)), "e.csv: empty file");
  EXPECT_EQ(ErrorOf(ImportCsv("\xEF\xBB\xBF\r\n\r\n", "e.csv", m)), "e.csv: empty file");
  EXPECT_EQ(ErrorOf(ImportCsv("ref,text,owner,status,due\n", "e.csv", m)),
            "e.csv: no rows after the header");
}

TEST(ImportCsvTest, OtherEncodings) {
  CsvMapping m;
  m.columns = {{"text", "text"}, {"owner", "owner"}};
  std::string csv = "text,owner\n\x93Quoted\x94 plan,Minist\xE8re\n";
  EXPECT_NE(ErrorOf(ImportCsv(csv, "x.csv", m)).find("x.csv:2:1: invalid UTF-8 byte 0x93"),
            std::string::npos);
  m.encoding = Encoding::kWindows1252;
  auto r = ImportCsv(csv, "x.csv", m);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sources[0].recommendations[0].recommendation.text,
            "\xE2\x80\x9CQuoted\xE2\x80\x9D plan");
  EXPECT_EQ(r->sources[0].recommendations[0].assignments[0].owner, "Minist\xC3\xA8re");
}

TEST(ImportCsvTest, NothingIsPartial) {
  // An error on the last row fails the whole import.
  std::string csv = "ref,text,owner,status,due\n";
  for (int i = 0; i < 1000; ++i) csv += "R" + std::to_string(i) + ",x,HO,pending,\n";
  csv += "R9999,x,HO,whatever,\n";
  auto r = ImportCsv(csv, "x.csv", BasicMapping());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kInvalidInput);
  EXPECT_EQ(r.error().message.substr(0, 15), "x.csv:1002:12: ");
}

// The fixtures of tests/fixtures/bad, with the map its README gives.
TEST(ImportCsvTest, BadFixtures) {
  const std::pair<const char*, const char*> cases[] = {
      {"unbalanced-quote.csv",
       "unbalanced-quote.csv:2:4: unbalanced quote: the quoted field that starts here has no "
       "closing quote"},
      {"bad-date.csv", "bad-date.csv:3:38: bad date '2017-02-30' (expected %Y-%m-%d)"},
      {"unknown-status.csv",
       "unknown-status.csv:3:26: unknown status word 'sort of done' (vocabulary canonical); "
       "map it with --status-map 'sort of done=implemented'"},
      {"missing-column.csv",
       "missing-column.csv:1:1: no column 'owner' (mapped to owner); the header has: 'ref', "
       "'text', 'status', 'due'"},
      {"invalid-utf8.csv",
       "invalid-utf8.csv:3:13: invalid UTF-8 byte 0xD5 (pass --encoding windows-1252, latin1 "
       "or mac-roman if the file is not UTF-8)"},
      {"empty.csv", "empty.csv: empty file"},
  };
  for (const auto& [file, want] : cases) {
    std::string raw = ReadFixture(kFixtures / "bad" / file);
    EXPECT_EQ(ErrorOf(ImportCsv(raw, file, BasicMapping())), want) << file;
  }
}

}  // namespace
}  // namespace rectrack

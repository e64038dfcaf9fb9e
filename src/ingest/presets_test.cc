#include "ingest/presets.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace rectrack {
namespace {

// Excerpts of the real data (tests/fixtures/README.md says where from), so the
// tests do not need the full files.
const std::filesystem::path kFixtures =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "tests" /
    "fixtures";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kFixtures / name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << (kFixtures / name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const ImportBatch::SourceIn* FindSource(const ImportBatch& b, std::string_view slug) {
  for (const auto& s : b.sources)
    if (s.source.slug == slug) return &s;
  return nullptr;
}

const ImportBatch::RecommendationIn* FindRec(const ImportBatch::SourceIn& s, std::string_view ref) {
  for (const auto& r : s.recommendations)
    if (r.recommendation.ref == ref) return &r;
  return nullptr;
}

std::string TierOf(const ImportBatch& b, std::string_view owner) {
  for (const auto& o : b.owners)
    if (o.name == owner) return o.tier;
  return "(not declared)";
}

// ---------------------------------------------------------------- PFD

class PfdTest : public testing::Test {
 protected:
  void SetUp() override {
    auto r = ImportPfd(ReadFixture("pfd-sample.csv"), "pfd-sample.csv", {});
    ASSERT_TRUE(r) << r.error().message;
    batch_ = std::move(*r);
  }
  const ImportBatch::SourceIn& Source(std::string_view slug) {
    const auto* s = FindSource(batch_, slug);
    EXPECT_NE(s, nullptr) << slug;
    static const ImportBatch::SourceIn kEmpty;
    return s ? *s : kEmpty;
  }
  ImportBatch batch_;
};

TEST_F(PfdTest, EveryRowIsAReportWithOneRecommendation) {
  EXPECT_EQ(batch_.sources.size(), 31u);
  EXPECT_EQ(batch_.RecommendationCount(), 31u);
  std::set<std::string> slugs;
  for (const auto& s : batch_.sources) {
    EXPECT_TRUE(slugs.insert(s.source.slug).second) << s.source.slug;
    EXPECT_EQ(s.source.kind, "pfd");
    EXPECT_EQ(s.source.vocabulary, "pfd");
    EXPECT_EQ(s.source.response_days, 56);
    EXPECT_EQ(OptionalIso(s.source.recorded_on), "2024-03-17");
    EXPECT_EQ(s.recommendations.size(), 1u);
  }
}

TEST_F(PfdTest, ReportFields) {
  const auto& s = Source("pfd-2024-0130");
  EXPECT_EQ(s.source.title, "Prevention of future deaths report: Nicola Rayner");
  EXPECT_EQ(s.source.author, "Mr Nigel Parsley");
  EXPECT_EQ(s.source.notes, "Senior Coroner for Suffolk");
  EXPECT_EQ(OptionalIso(s.source.date), "2024-03-07");
  EXPECT_EQ(s.source.url,
            "https://www.judiciary.uk/prevention-of-future-death-reports/"
            "nicola-rayner-prevention-of-future-deaths-report/");
  const auto& r = s.recommendations[0].recommendation;
  EXPECT_EQ(r.ref, "2024-0130");
  EXPECT_EQ(OptionalIso(r.made), "2024-03-07");
  EXPECT_EQ(r.themes, std::vector<std::string>{"Suicide (from 2015)"});
  EXPECT_EQ(r.url,
            "https://www.judiciary.uk/wp-content/uploads/2024/03/"
            "Nicola-Rayner-Prevention-of-future-deaths-report-2024-0130_Published.pdf");
  // The matters of concern, a multi-line field, as written.
  EXPECT_EQ(r.text.substr(0, 47), "During the course of the inquest the evidence r");
  EXPECT_NE(r.text.find('\n'), std::string::npos);
  EXPECT_EQ(r.text.substr(r.text.size() - 32), "risk of future deaths occurring.");
}

TEST_F(PfdTest, MissingConcernsSaySo) {
  const auto& s = Source("pfd-2024-0131");
  EXPECT_EQ(s.source.title, "Prevention of future deaths report: Keith Smith");
  EXPECT_EQ(s.source.author, "");
  EXPECT_EQ(s.source.notes, "Coroner area: London East");
  EXPECT_EQ(s.recommendations[0].recommendation.text,
            "(matters of concern not captured by the source data)");
}

TEST_F(PfdTest, ThemesSplitOnBars) {
  EXPECT_EQ(Source("pfd-2023-0045").recommendations[0].recommendation.themes,
            (std::vector<std::string>{
                "Hospital Death (Clinical Procedures and medical management) related deaths",
                "Prevention of Future Deaths",
                "Wales prevention of future deaths reports (2019 onwards)"}));
}

TEST_F(PfdTest, EachRecipientIsAnAssignmentWithTheRowsStatus) {
  const auto& rec = Source("pfd-2024-0100").recommendations[0];
  ASSERT_EQ(rec.assignments.size(), 4u);
  EXPECT_EQ(rec.assignments[0].owner, "NHS England");
  EXPECT_EQ(rec.assignments[1].owner, "Surrey County Council");
  EXPECT_EQ(rec.assignments[2].owner, "Surrey Police");
  EXPECT_EQ(rec.assignments[3].owner, "Surrey and Borders Partnership NHS Foundation Trust");
  for (const auto& a : rec.assignments) {
    EXPECT_EQ(a.assignment.initial.recorded_status, ResponseStatus::kOverdue);
    EXPECT_EQ(a.assignment.initial.response, ResponseKind::kNone);
    EXPECT_EQ(a.assignment.raw_status, "overdue");
    // PFD data records replies, never implementation.
    EXPECT_EQ(a.assignment.initial.implementation, Implementation::kUnknown);
    EXPECT_FALSE(a.assignment.due);  // the source's 56-day duty gives it
  }
  auto status_of = [&](std::string_view slug) {
    return Source(slug).recommendations[0].assignments.at(0).assignment.initial.recorded_status;
  };
  EXPECT_EQ(status_of("pfd-2024-0131"), ResponseStatus::kPending);
  EXPECT_EQ(status_of("pfd-2024-0109"), ResponseStatus::kResponded);
  EXPECT_EQ(status_of("pfd-2023-0456"), ResponseStatus::kPartial);
  EXPECT_EQ(Source("pfd-2023-0456").recommendations[0].assignments.size(), 2u);
}

TEST_F(PfdTest, NoRequestsAndFailedRows) {
  // No addressee found / not parsed: the report is kept, with nobody to answer.
  for (const char* slug : {"pfd-2024-0130", "pfd-2024-0122", "pfd-2022-0311"})
    EXPECT_TRUE(Source(slug).recommendations[0].assignments.empty()) << slug;
  // One "no requests" row names a recipient who replied (1 of 1).
  const auto& a = Source("pfd-2023-0045").recommendations[0].assignments;
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].owner, "Sainsbury\xE2\x80\x99s");
  EXPECT_EQ(a[0].assignment.raw_status, "no requests");
  EXPECT_EQ(a[0].assignment.initial.recorded_status, ResponseStatus::kResponded);
}

TEST_F(PfdTest, RepeatedAndMissingRefsGetDistinctSlugs) {
  // The same ref twice (two reports in the data), in file order.
  EXPECT_EQ(Source("pfd-2024-0031").source.title, "Prevention of future deaths report: REDACTED");
  EXPECT_EQ(Source("pfd-2024-0031-2").source.title,
            "Prevention of future deaths report: Leonard Moaven");
  EXPECT_EQ(Source("pfd-2024-0031-2").recommendations[0].recommendation.ref, "2024-0031");
  // An en dash in the ref folds into the slug; the ref stays as written.
  EXPECT_EQ(Source("pfd-2016-0396").recommendations[0].recommendation.ref,
            "2016 \xE2\x80\x93 0396");
  EXPECT_EQ(Source("pfd-2016-0396-2").source.title,
            "Prevention of future deaths report: Gareth Willington");
  // No ref: the deceased's name, else "unnumbered".
  EXPECT_EQ(Source("pfd-jamil-ahmed").recommendations[0].recommendation.ref, "unnumbered");
  EXPECT_EQ(Source("pfd-unnumbered").source.title,
            "Prevention of future deaths report (unnumbered)");
  EXPECT_TRUE(Source("pfd-unnumbered-2").recommendations[0].assignments.empty());
}

TEST_F(PfdTest, MissingDateMeansNoDate) {
  const auto& s = Source("pfd-2024-0117");
  EXPECT_FALSE(s.source.date);
  EXPECT_FALSE(s.recommendations[0].recommendation.made);
  EXPECT_FALSE(Source("pfd-unnumbered-2").source.date);
}

TEST_F(PfdTest, RecipientNamedTwiceOwesOneReply) {
  const auto& a = Source("pfd-2023-0513").recommendations[0].assignments;
  EXPECT_EQ(a.size(), 13u);  // 14 names, "Avon Fire and Rescue Services" twice
  size_t total = 0;
  for (const auto& s : batch_.sources) total += s.recommendations[0].assignments.size();
  EXPECT_EQ(total, 52u);
}

TEST_F(PfdTest, RecipientsAreDeclaredOwnersWithAGuessedTier) {
  EXPECT_EQ(batch_.owners.size(), 39u);
  for (size_t i = 1; i < batch_.owners.size(); ++i)
    EXPECT_LT(batch_.owners[i - 1].name, batch_.owners[i].name);
  EXPECT_EQ(TierOf(batch_, "NHS England"), "nhs");
  EXPECT_EQ(TierOf(batch_, "Department of Health and Social Care"), "central_government");
  EXPECT_EQ(TierOf(batch_, "Ministry of Defence"), "central_government");
  EXPECT_EQ(TierOf(batch_, "London Borough of Hackney"), "local_authority");
  EXPECT_EQ(TierOf(batch_, "Surrey County Council"), "local_authority");
  EXPECT_EQ(TierOf(batch_, "London Fire Brigade"), "emergency_service");
  EXPECT_EQ(TierOf(batch_, "Cumbria Constabulary"), "emergency_service");
  EXPECT_EQ(TierOf(batch_, "Environment Agency"), "regulator");
  EXPECT_EQ(TierOf(batch_, "OFCOM"), "regulator");
  EXPECT_EQ(TierOf(batch_, "Lancashire and South Cumbria Integrated Care Board"), "nhs");
  EXPECT_EQ(TierOf(batch_, "Hampshire and Isle of Wight CCG"), "nhs");
  EXPECT_EQ(TierOf(batch_, "Network Rail"), "unclassified");
  EXPECT_EQ(TierOf(batch_, "College of Policing"), "unclassified");
  EXPECT_EQ(TierOf(batch_, "Sainsbury\xE2\x80\x99s"), "unclassified");
}

TEST(PfdImportTest, RecordedOnCanBeGiven) {
  PresetOptions o;
  o.recorded_on = *Date::ParseIso("2024-06-01");
  auto r = ImportPfd(ReadFixture("pfd-sample.csv"), "p.csv", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(OptionalIso(r->sources[0].source.recorded_on), "2024-06-01");
}

const char kPfdHeader[] =
    "response status,date_of_report,ref,deceased_name,coroner_name,coroner_title,"
    "coroner_area,category,this_report_is_being_sent_to,no. recipients,no. replies,"
    "report_url,pdf_url,reply_urls,circumstances,concerns,inquest,action,response,legal\n";

// Defect 7: pfd-2017-0173 is "overdue" with one reply of two recipients and a
// reply URL; the count says replies came, though not from whom. Each
// recipient shows "partial", never "no response, overdue".
TEST(PfdImportTest, RepliesTheDataCountsAreNotOverdue) {
  auto import = [](const std::string& status, const std::string& recipients,
                   const std::string& replies) {
    auto r = ImportPfd(std::string(kPfdHeader) + status + ",31/05/2017,2017-0173,A,B,,X,Other," +
                           "Home Office | HMP Wandsworth," + recipients + "," + replies +
                           ",u,p,https://example.org/reply.pdf,,c,,,,\n",
                       "p.csv", {});
    EXPECT_TRUE(r) << r.error().message;
    std::vector<ResponseStatus> out;
    for (const auto& a : r->sources[0].recommendations[0].assignments)
      out.push_back(a.assignment.initial.recorded_status);
    return out;
  };
  using RS = ResponseStatus;
  EXPECT_EQ(import("overdue", "2", "1"), (std::vector<RS>{RS::kPartial, RS::kPartial}));
  EXPECT_EQ(import("overdue", "2", "2"), (std::vector<RS>{RS::kResponded, RS::kResponded}));
  EXPECT_EQ(import("pending", "2", "1"), (std::vector<RS>{RS::kPartial, RS::kPartial}));
  EXPECT_EQ(import("overdue", "2", "0"), (std::vector<RS>{RS::kOverdue, RS::kOverdue}));
  EXPECT_EQ(import("overdue", "2", ""), (std::vector<RS>{RS::kOverdue, RS::kOverdue}));
  // The raw word is kept beside what it was read as.
  auto r = ImportPfd(std::string(kPfdHeader) +
                         "overdue,31/05/2017,2017-0173,A,B,,X,Other,Home Office,1,1,u,p,,,c,,,,\n",
                     "p.csv", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->sources[0].recommendations[0].assignments[0].assignment.raw_status, "overdue");
}

TEST(PfdImportTest, Errors) {
  auto error = [](const std::string& csv) {
    auto r = ImportPfd(csv, "p.csv", {});
    return r ? std::string("(no error)") : r.error().message;
  };
  EXPECT_EQ(error(""), "p.csv: empty file");
  EXPECT_EQ(error(kPfdHeader), "p.csv: no rows after the header");
  EXPECT_EQ(error(std::string(kPfdHeader) +
                  "completed,31/02/2020,2020-0001,A,B,,X,Other,HO,1,1,u,p,,,c,,,,\n"),
            "p.csv:2:11: bad date_of_report '31/02/2020' (expected dd/mm/yyyy)");
  EXPECT_EQ(error(std::string(kPfdHeader) +
                  "answered,01/02/2020,2020-0001,A,B,,X,Other,HO,1,1,u,p,,,c,,,,\n"),
            "p.csv:2:1: unknown response status 'answered' (known: completed, partial, "
            "overdue, pending, no requests, failed)");
  EXPECT_EQ(error("ref,concerns\n1,x\n").substr(0, 60),
            "p.csv:1:1: no column 'response status', which the PFD format");
  EXPECT_NE(error("\xFF").find("invalid UTF-8 byte 0xFF"), std::string::npos);
}

TEST(GuessPfdTierTest, ObviousNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"NHS England", "nhs"},
      {"Leeds Teaching Hospitals NHS Trust", "nhs"},
      {"North East London Foundation Trust", "nhs"},
      {"Betsi Cadwaladr University Health Board", "nhs"},
      {"NHS Trafford Clinical Commissioning Group", "nhs"},
      {"Brighton and Hove Clinical Commission Group", "nhs"},
      {"Cheshire and Merseyside Integrated Care Board", "nhs"},
      {"Birmingham City Council", "local_authority"},
      {"Royal Borough of Greenwich", "local_authority"},
      {"Secretary of State for Justice", "central_government"},
      {"Department for Transport", "central_government"},
      {"Department of Health and Social Care", "central_government"},
      {"Minister for Prisons", "central_government"},
      {"The Ministry of Justice", "central_government"},
      {"Home Office", "central_government"},
      {"Greater Manchester Police", "emergency_service"},
      {"National Police Chiefs\xE2\x80\x99 Council", "emergency_service"},
      {"West Yorkshire Fire and Rescue Service", "emergency_service"},
      {"East Midlands Ambulance Service", "emergency_service"},
      {"Welsh Ambulance Services NHS Trust", "emergency_service"},
      {"Care Quality Commission", "regulator"},
      {"CQC", "regulator"},
      {"Medicines & Healthcare products Regulatory Agency", "regulator"},
      {"MHRA", "regulator"},
      {"Ofsted", "regulator"},
      {"General Medical Council", "regulator"},
      {"Nursing and Midwifery Council", "regulator"},
      {"Health and Safety Executive", "regulator"},
      {"Driver & Vehicle Licensing Agency", "regulator"},
      // Words that only look like a tier.
      {"National Trust", "unclassified"},
      {"The Canal and River Trust", "unclassified"},
      {"Resuscitation Council UK", "unclassified"},
      {"Construction Industry Council", "unclassified"},
      {"Lean on Me Care Agency", "unclassified"},
      {"College of Policing", "unclassified"},
      {"Firearms Licensing Unit", "unclassified"},
      {"Network Rail", "unclassified"},
      {"", "unclassified"},
  };
  for (const auto& [name, tier] : cases) EXPECT_EQ(GuessPfdTier(name), tier) << name;
}

// ---------------------------------------------------------------- UPR

Result<ImportBatch> Upr(const std::string& fixture, PresetOptions o = {}) {
  return ImportUpr(ReadFixture(fixture), fixture, o);
}

TEST(UprTest, SourcesAreStatesUnderReviewPerYear) {
  auto b = Upr("upr-2009-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->RecommendationCount(), 29u);
  ASSERT_EQ(b->sources.size(), 7u);
  const auto* s = FindSource(*b, "upr-2009-afghanistan");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->source.title, "Universal Periodic Review 2009: Afghanistan");
  EXPECT_EQ(s->source.kind, "upr");
  EXPECT_EQ(s->source.vocabulary, "upr");
  EXPECT_FALSE(s->source.recorded_on);
  EXPECT_EQ(s->recommendations.size(), 19u);
  const auto& r = s->recommendations[0];
  EXPECT_EQ(r.recommendation.ref, "96.1");
  EXPECT_EQ(r.recommendation.text,
            "Sign the Optional Protocol to the Convention against Torture (France);");
  EXPECT_EQ(r.recommendation.made_by, "France");
  ASSERT_EQ(r.assignments.size(), 1u);
  EXPECT_EQ(r.assignments[0].owner, "Afghanistan");
  EXPECT_EQ(r.assignments[0].assignment.raw_response, "consider");
  EXPECT_EQ(r.assignments[0].assignment.initial.response, ResponseKind::kUnderConsideration);
  // Every state under review is a declared national government.
  ASSERT_EQ(b->owners.size(), 7u);
  for (const auto& o : b->owners) EXPECT_EQ(o.tier, "national_government");
  EXPECT_EQ(b->owners[0].name, "Afghanistan");
}

TEST(UprTest, MacRomanIsDecoded) {
  auto b = Upr("upr-2009-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  const auto* afg = FindSource(*b, "upr-2009-afghanistan");
  ASSERT_NE(afg, nullptr);
  const auto* r = FindRec(*afg, "96.6");
  ASSERT_NE(r, nullptr);
  EXPECT_NE(r->recommendation.text.find("Ministry for Women\xE2\x80\x99s Rights"),
            std::string::npos);  // 0xD5 -> U+2019
  const auto* bf = FindSource(*b, "upr-2009-burkina-faso");
  ASSERT_NE(bf, nullptr);
  EXPECT_NE(FindRec(*bf, "98.18.1")->recommendation.text.find("C\xC3\xB4te d\xE2\x80\x99Iv"),
            std::string::npos);  // 0x99 -> ô
}

TEST(UprTest, ForcingUtf8FailsOnTheFirstMacRomanByte) {
  PresetOptions o;
  o.encoding = Encoding::kUtf8;
  auto b = Upr("upr-2009-sample.csv", o);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("upr-2009-sample.csv:9:76: invalid UTF-8 byte 0xD5"),
            std::string::npos)
      << b.error().message;
}

TEST(UprTest, ParagraphNumbersBecomeRefs) {
  auto b = Upr("upr-2009-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  const auto* bf = FindSource(*b, "upr-2009-burkina-faso");
  ASSERT_NE(bf, nullptr);
  // "98.18.2, with the assistance ..."
  const auto* r = FindRec(*bf, "98.18.2");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->recommendation.text.substr(0, 26), "with the assistance of the");
  // "67.17.2and increase ..." twice (made by Qatar and by Jordan).
  const auto* dj = FindSource(*b, "upr-2009-djibouti");
  ASSERT_NE(dj, nullptr);
  ASSERT_EQ(dj->recommendations.size(), 2u);
  EXPECT_EQ(dj->recommendations[0].recommendation.ref, "67.17.2");
  EXPECT_EQ(dj->recommendations[1].recommendation.ref, "67.17.2-2");
  EXPECT_EQ(dj->recommendations[0].recommendation.text.substr(0, 12), "and increase");
  EXPECT_EQ(dj->recommendations[0].recommendation.made_by, "Qatar");
  EXPECT_EQ(dj->recommendations[1].recommendation.made_by, "Jordan");
  // "Azerbaijan " is trimmed.
  const auto* car = FindSource(*b, "upr-2009-centeral-african-republic");
  ASSERT_NE(car, nullptr);
  EXPECT_EQ(car->recommendations[0].recommendation.made_by, "Azerbaijan");
}

TEST(UprTest, Decisions) {
  auto b = Upr("upr-2009-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  const auto& afg = *FindSource(*b, "upr-2009-afghanistan");
  EXPECT_EQ(FindRec(afg, "97.1")->assignments[0].assignment.initial.response,
            ResponseKind::kRejected);
  EXPECT_EQ(FindRec(afg, "95.4")->assignments[0].assignment.initial.response,
            ResponseKind::kAccepted);
  // Accepting is not doing: implementation stays unreported.
  EXPECT_EQ(FindRec(afg, "95.4")->assignments[0].assignment.initial.implementation,
            Implementation::kUnknown);
  const auto& china = *FindSource(*b, "upr-2009-china");
  const auto& a = FindRec(china, "115.1")->assignments[0].assignment;
  EXPECT_EQ(a.initial.response, ResponseKind::kAccepted);
  EXPECT_EQ(a.initial.implementation, Implementation::kImplemented);
  EXPECT_EQ(a.raw_response, "implemented");
}

TEST(UprTest, CrLineEndings2008) {
  auto b = Upr("upr-2008-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->RecommendationCount(), 15u);
  const auto* fin = FindSource(*b, "upr-2008-finland");
  ASSERT_NE(fin, nullptr);
  ASSERT_EQ(fin->recommendations.size(), 2u);
  EXPECT_EQ(fin->recommendations[1].recommendation.ref, "50.1-2");
  EXPECT_EQ(fin->recommendations[1].recommendation.made_by, "Russia");
  const auto& a = fin->recommendations[0].assignments[0].assignment;
  EXPECT_EQ(a.raw_response, "unknown");
  EXPECT_EQ(a.initial.response, ResponseKind::kNone);
  const auto* gh = FindSource(*b, "upr-2008-ghana");
  ASSERT_NE(gh, nullptr);
  EXPECT_EQ(gh->recommendations[0].recommendation.ref, "68.11..1");
  EXPECT_EQ(gh->recommendations[0].recommendation.text.substr(0, 19), "To take action in o");
  // The data spells the same state two ways; they stay apart, as written.
  EXPECT_NE(FindSource(*b, "upr-2008-sri-lanka"), nullptr);
  EXPECT_NE(FindSource(*b, "upr-2008-srilanka"), nullptr);
}

TEST(UprTest, MixedLineEndings2010) {
  auto b = Upr("upr-2010-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->RecommendationCount(), 29u);
  const auto* alb = FindSource(*b, "upr-2010-albania");
  ASSERT_NE(alb, nullptr);
  EXPECT_EQ(alb->source.title, "Universal Periodic Review 2010: albania");
  // Notes (the state's explanation) span lines inside quotes.
  const auto* r = FindRec(*alb, "70.1");
  ASSERT_NE(r, nullptr);
  const auto& note = r->assignments[0].assignment.initial.response_text;
  EXPECT_EQ(note.substr(0, 40), "The Albanian legislation provides necess");
  EXPECT_EQ(r->assignments[0].assignment.initial.response, ResponseKind::kRejected);
  // "implement" (Nicaragua only) reads as "implemented"; the raw word is kept.
  const auto* nic = FindSource(*b, "upr-2010-nicaragua");
  ASSERT_NE(nic, nullptr);
  ASSERT_EQ(nic->recommendations.size(), 4u);
  const auto& a = nic->recommendations[0].assignments[0].assignment;
  EXPECT_EQ(a.raw_response, "implement");
  EXPECT_EQ(a.initial.response, ResponseKind::kAccepted);
  EXPECT_EQ(a.initial.implementation, Implementation::kImplemented);
  // "96.1. Take ..." -> 96.1; repeats of "93.1." get -2, -3.
  const auto* arm = FindSource(*b, "upr-2010-armenia");
  ASSERT_NE(arm, nullptr);
  std::vector<std::string> refs;
  for (const auto& rec : arm->recommendations) refs.push_back(rec.recommendation.ref);
  EXPECT_EQ(refs, (std::vector<std::string>{"96.1", "93.1", "93.1-2", "93.1-3", "93.3..1",
                                            "93.3..2", "93.3..2-2"}));
  EXPECT_EQ(arm->recommendations[0].recommendation.text.substr(0, 13), "Take measures");
}

TEST(UprTest, Quirks2011) {
  auto b = Upr("upr-2011-sample.csv");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->RecommendationCount(), 30u);
  // Line 1037 of the real file: a stray ';' after the closing quote is kept.
  const auto* dk = FindSource(*b, "upr-2011-denmark");
  ASSERT_NE(dk, nullptr);
  const std::string& text = dk->recommendations[0].recommendation.text;
  EXPECT_EQ(dk->recommendations[0].recommendation.ref, "106.133");
  EXPECT_EQ(text.substr(text.size() - 19), "(The Netherlands).;");
  // Iceland's numbers lost their dot: "61 1." -> 61.1.
  const auto* ic = FindSource(*b, "upr-2011-iceland");
  ASSERT_NE(ic, nullptr);
  ASSERT_EQ(ic->recommendations.size(), 3u);
  EXPECT_EQ(ic->recommendations[0].recommendation.ref, "61.1");
  EXPECT_EQ(ic->recommendations[2].recommendation.ref, "61.3");
  EXPECT_EQ(ic->recommendations[0].recommendation.text.substr(0, 9), "Commit to");
  // "unknown": no response recorded.
  const auto* sd = FindSource(*b, "upr-2011-sudan");
  ASSERT_NE(sd, nullptr);
  EXPECT_EQ(sd->recommendations[0].assignments[0].assignment.initial.response, ResponseKind::kNone);
  EXPECT_NE(FindSource(*b, "upr-2011-south-sudan"), nullptr);
  // Mac Roman in 2011 too.
  const auto* ab = FindSource(*b, "upr-2011-antiguaandbarbuda");
  ASSERT_NE(ab, nullptr);
  EXPECT_NE(ab->recommendations[1].recommendation.text.find("Barbuda\xE2\x80\x99s prisons"),
            std::string::npos);
}

TEST(UprTest, Errors) {
  auto error = [](const std::string& csv) {
    auto r = ImportUpr(csv, "u.csv", {});
    return r ? std::string("(no error)") : r.error().message;
  };
  const std::string header = "text,to,decision,From,year,notes\r";
  EXPECT_EQ(error(""), "u.csv: empty file");
  EXPECT_EQ(error(header), "u.csv: no rows after the header");
  EXPECT_EQ(error(header + "1.1 Do it,Chad,maybe,France,2011,\r"),
            "u.csv:2:16: unknown decision 'maybe' (vocabulary upr: support, consider, reject, "
            "implemented, unknown)");
  EXPECT_EQ(error(header + "1.1 Do it,Chad,support,France,11,\r"), "u.csv:2:31: bad year '11'");
  EXPECT_EQ(error(header + "1.1 Do it,,support,France,2011,\r"),
            "u.csv:2:11: empty 'to' (state under review)");
  EXPECT_EQ(error("text,to,year\r1.1 x,Chad,2011\r").substr(0, 41),
            "u.csv:1:1: no column 'decision', which th");
  // Without a paragraph number the ref is a running number.
  auto r = ImportUpr(header + "Do it,Chad,support,France,2011,\rDo more,Chad,support,Mali,2011,\r",
                     "u.csv", {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->sources[0].recommendations[0].recommendation.ref, "1");
  EXPECT_EQ(r->sources[0].recommendations[1].recommendation.ref, "2");
  EXPECT_EQ(r->sources[0].recommendations[1].recommendation.text, "Do more");
}

// The full published files, when this checkout sits beside them (../shared/data);
// skipped elsewhere, e.g. in CI.
// The whole of both real datasets, kept in the repository: the PFD reports as
// the example (examples/pfd) and the UPR files as fixtures (tests/fixtures/upr).
TEST(FullDataTest, EveryRowImports) {
  const auto root = kFixtures.parent_path().parent_path();
  auto read = [&](const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const auto dir = root / "tests" / "fixtures" / "upr";
  auto pfd = ImportPfd(read(root / "examples" / "pfd" / "pfd-reports.csv"), "pfd-reports.csv", {});
  ASSERT_TRUE(pfd) << pfd.error().message;
  EXPECT_EQ(pfd->sources.size(), 4926u);
  size_t upr = 0;
  for (const char* f : {"upr-2008.csv", "upr-2009.csv", "upr-2010.csv", "upr-2011.csv"}) {
    auto b = ImportUpr(read(dir / f), f, {});
    ASSERT_TRUE(b) << b.error().message;
    upr += b->RecommendationCount();
  }
  EXPECT_EQ(upr, 19891u);
}

}  // namespace
}  // namespace rectrack

// Tests of the publish / live report / import-with-publications services,
// against a real SQLite store in a temporary directory.
#include "app/service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ingest/json_format.h"
#include "nlohmann/json.hpp"
#include "report/report_render.h"
#include "testing/test_store.h"

namespace rectrack {
namespace {

using json = nlohmann::json;
using testing_util::RawDb;
using testing_util::TempDir;

const Actor kAlice{"test:alice"};

const std::filesystem::path kRepo =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();

testing::AssertionResult Mentions(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

Date D(std::string_view iso) {
  auto d = Date::ParseIso(iso);
  if (!d) throw std::runtime_error("bad test date");
  return *d;
}

ImportBatch::AssignmentIn Assign(std::string owner,
                                 Implementation impl = Implementation::kNotStarted) {
  ImportBatch::AssignmentIn a;
  a.owner = std::move(owner);
  a.assignment.initial.implementation = impl;
  return a;
}

ImportBatch::RecommendationIn Rec(std::string ref, std::string text,
                                  std::vector<ImportBatch::AssignmentIn> assignments) {
  ImportBatch::RecommendationIn r;
  r.recommendation.ref = std::move(ref);
  r.recommendation.text = std::move(text);
  r.recommendation.made = D("2016-10-28");
  r.assignments = std::move(assignments);
  return r;
}

// No due dates and no response duty, so response statuses stay put over time
// and the only changes between dates are the ones the tests make.
ImportBatch Batch(const std::string& slug = "harris-2016") {
  ImportBatch b;
  Owner ho;
  ho.name = "Home Office";
  ho.tier = "central_government";
  ho.aliases = {"HO"};
  b.owners = {ho};
  ImportBatch::SourceIn s;
  s.source.slug = slug;
  s.source.kind = "review";
  s.source.title = "London's preparedness";
  s.source.author = "Lord Harris";
  s.source.date = D("2016-10-28");
  s.source.vocabulary = "canonical";
  s.recommendations = {
      Rec("R1", "Firearms officers and the fire brigade should train together",
          {Assign("HO", Implementation::kInProgress), Assign("London Fire Brigade")}),
      Rec("R2", "River security should be reviewed", {Assign("Metropolitan Police Service")}),
      Rec("R3", "The Mayor should appoint a resilience lead",
          {Assign("Mayor of London", Implementation::kImplemented)}),
  };
  ImportBatch::FundingIn f;
  f.owner = "HO";
  f.line.item = "Capital cities grant";
  f.line.period = "per year";
  f.line.cost = 346000000;
  f.line.funded = 174000000;
  s.funding = {f};
  b.sources = {s};
  return b;
}

std::string ChangesText(const ReportData& d) {
  std::string out;
  for (const auto& c : d.changes)
    out += c.ref + "|" + c.owner + "|" + c.field + "|" + c.from + "|" + c.to + "\n";
  return out;
}

// "" if equal, else the first line that differs in each (long outputs make
// unreadable failure messages).
std::string FirstDifference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  std::istringstream x(a), y(b);
  std::string lx, ly;
  for (int line = 1;; ++line) {
    bool gx = static_cast<bool>(std::getline(x, lx)), gy = static_cast<bool>(std::getline(y, ly));
    if (!gx && !gy) return "they differ in the final newline";
    if (!gx || !gy || lx != ly)
      return "line " + std::to_string(line) + ":\n  got:    " + (gx ? lx : "<end>") +
             "\n  wanted: " + (gy ? ly : "<end>");
  }
}

std::vector<std::string> RenderAll(const ReportData& d) {
  return {RenderReport(d, ReportFormat::kMarkdown), RenderReport(d, ReportFormat::kHtml),
          RenderReport(d, ReportFormat::kJson)};
}

class ServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore("rectrack.db");
    ASSERT_TRUE(store_);
    auto sum = store_->Import(Batch(), kAlice, "batch");
    ASSERT_TRUE(sum) << sum.error().message;
  }

  std::unique_ptr<Store> OpenStore(const std::string& name) {
    auto s = testing_util::OpenTestStore(dir_.File(name));
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  int64_t AssignmentId(const std::string& ref, const std::string& owner) {
    auto v = store_->GetRecommendation("harris-2016", ref);
    EXPECT_TRUE(v.has_value());
    if (!v) return 0;
    for (const auto& a : v->assignments)
      if (a.owner.name == owner) return a.assignment.id;
    ADD_FAILURE() << "no assignment of " << owner << " on " << ref;
    return 0;
  }

  void SetImplementation(const std::string& ref, const std::string& owner, Implementation impl,
                         Date date) {
    Update u;
    u.date = date;
    u.implementation = impl;
    u.narrative = "now " + std::string(Name(impl));
    auto r = store_->AddUpdate(AssignmentId(ref, owner), u, kAlice);
    ASSERT_TRUE(r) << r.error().message;
  }

  std::vector<LedgerEvent> Events() {
    std::vector<LedgerEvent> out;
    EXPECT_TRUE(store_->ForEachEvent([&](const LedgerEvent& e) {
      out.push_back(e);
      return true;
    }));
    return out;
  }

  std::string Dump() {
    RawDb raw(dir_.File("rectrack.db"));
    return raw.Dump();
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// Publishing safely (issue 9): the as-of date within the source's life, a
// second update of a day only as a correction or with a reason, corrections
// never editing what they correct, and a preview that is what is signed.
TEST_F(ServiceTest, PublishingRefusesDatesOutsideTheSourcesLife) {
  PublishRequest r;
  r.title = "t";
  r.today = D("2018-01-01");
  auto future = PublishSource(*store_, "harris-2016", D("2018-01-02"), r, kAlice);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, Error::Code::kInvalidInput);
  EXPECT_TRUE(Mentions(future.error().message, "is after today (2018-01-01)"));
  auto before = PublishSource(*store_, "harris-2016", D("2016-10-27"), r, kAlice);
  ASSERT_FALSE(before);
  EXPECT_TRUE(Mentions(before.error().message, "before the review itself (2016-10-28)"));
  EXPECT_TRUE(PublishSource(*store_, "harris-2016", D("2016-10-28"), r, kAlice));
  EXPECT_TRUE(PublishSource(*store_, "harris-2016", D("2017-01-01"), r, kAlice));
  r.title = "";
  EXPECT_FALSE(PublishSource(*store_, "harris-2016", D("2017-02-01"), r, kAlice));
  r.title = "t";
  r.commentary = std::string("bell\x07");
  EXPECT_FALSE(PublishSource(*store_, "harris-2016", D("2017-02-01"), r, kAlice));
}

TEST_F(ServiceTest, ACorrectionIsANewPublicationAndTheOldOneStays) {
  PublishRequest r;
  r.title = "March";
  r.commentary = "The **grant** is short.";
  auto first = PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice);
  ASSERT_TRUE(first) << first.error().message;
  const std::string first_snapshot = first->snapshot_json;
  // The same day again: refused unless it says why.
  r.title = "March again";
  auto again = PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Error::Code::kConflict);
  EXPECT_TRUE(Mentions(again.error().message, "is as of 2017-03-01 already"));
  // A correction needs its reason and a publication of this source.
  r.corrects = first->id;
  EXPECT_FALSE(PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice));
  r.reason = "The fire brigade's status was wrong";
  r.corrects = 999;
  EXPECT_FALSE(PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice));
  r.corrects = first->id;
  SetImplementation("R1", "London Fire Brigade", Implementation::kInProgress, D("2017-02-01"));
  auto fixed = PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice);
  ASSERT_TRUE(fixed) << fixed.error().message;
  // Both stay, unchanged; the old one is marked corrected by the new one.
  auto old = store_->GetPublication(first->id);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->snapshot_json, first_snapshot);
  auto by = CorrectionOf(*store_, first->id);
  ASSERT_TRUE(by && *by);
  EXPECT_EQ((*by)->id, fixed->id);
  auto data = PublishedReport(*store_, fixed->id);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->corrects, first->id);
  std::string md = RenderReport(*data, ReportFormat::kMarkdown);
  EXPECT_TRUE(Mentions(md, "This update corrects publication " + std::to_string(first->id)));
  EXPECT_TRUE(Mentions(md, "The fire brigade's status was wrong"));
  // A corrected publication is not corrected twice: the correction is.
  r.title = "Third";
  auto twice = PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice);
  ASSERT_FALSE(twice);
  EXPECT_TRUE(Mentions(twice.error().message, "was corrected by publication"));
  // The commentary is in the frozen update, sanitised in HTML.
  auto first_data = PublishedReport(*store_, first->id);
  ASSERT_TRUE(first_data);
  EXPECT_TRUE(Mentions(RenderReport(*first_data, ReportFormat::kHtml),
                       "<div class=\"commentary\">\n<p>The <strong>grant</strong> is short.</p>"));
}

TEST_F(ServiceTest, APreviewIsExactlyWhatIsSignedAndWritesNothing) {
  PublishRequest r;
  r.title = "Preview me";
  r.commentary = "Our words.";
  auto head = store_->Head();
  auto preview = PreviewPublication(*store_, "harris-2016", D("2017-03-01"), r);
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_EQ(store_->Head()->seq, head->seq);  // nothing written
  EXPECT_EQ(preview->ledger_seq, head->seq);
  auto pub = PublishSource(*store_, "harris-2016", D("2017-03-01"), r, kAlice);
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->snapshot_json, ReportToJson(*preview));
  // The same checks: a preview of a refused publication is refused.
  EXPECT_FALSE(PreviewPublication(*store_, "harris-2016", D("2017-03-01"), r));
}

TEST_F(ServiceTest, AnImportedPublicationShowsWhenItWasFirstPublished) {
  ImportBatch b = Batch("second-2016");
  b.owners.clear();
  b.sources[0].publications = {{"One year on", D("2017-10-25"), D("2017-11-02")}};
  ASSERT_TRUE(ImportWithPublications(*store_, b, kAlice, "second"));
  auto pubs = store_->ListPublications("second-2016");
  ASSERT_TRUE(pubs);
  ASSERT_EQ(pubs->size(), 1u);
  auto data = PublishedReport(*store_, (*pubs)[0].id);
  ASSERT_TRUE(data);
  ASSERT_TRUE(data->published_on);
  EXPECT_EQ(*data->published_on, D("2017-11-02"));
  EXPECT_TRUE(Mentions(RenderReport(*data, ReportFormat::kMarkdown),
                       "First published on 2 November 2017"));
  // The export keeps it, so that a copy shows it too.
  auto exported = store_->ExportAll();
  ASSERT_TRUE(exported);
  bool found = false;
  for (const auto& s : exported->sources)
    for (const auto& p : s.publications)
      if (s.source.slug == "second-2016") {
        found = true;
        ASSERT_TRUE(p.published);
        EXPECT_EQ(*p.published, D("2017-11-02"));
      }
  EXPECT_TRUE(found);
}

TEST_F(ServiceTest, PublishSourcePinsTheHeadBeforeItsOwnEvent) {
  SetImplementation("R1", "London Fire Brigade", Implementation::kInProgress, D("2017-02-01"));
  auto head = store_->Head();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->seq, 3);  // the store's key, the import, the update

  auto pub = PublishSource(*store_, "harris-2016", D("2017-03-01"), "March update", kAlice);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->ledger_seq, head->seq);
  EXPECT_EQ(pub->ledger_hash, head->hash);
  EXPECT_EQ(pub->as_of, D("2017-03-01"));
  EXPECT_EQ(pub->title, "March update");
  EXPECT_EQ(pub->snapshot_sha256, Sha256Hex(pub->snapshot_json));

  auto events = Events();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].kind, "publish");
  EXPECT_EQ(events[3].prev_hash, head->hash);
  auto payload = json::parse(events[3].payload);
  EXPECT_EQ(payload["about"]["publication_id"], pub->id);
  const json& row = payload["changes"]["insert"]["publications"][0];
  EXPECT_EQ(row[4], head->seq);
  EXPECT_EQ(row[5], head->hash);
  EXPECT_EQ(row[8], pub->snapshot_sha256);
  EXPECT_EQ(row[9], pub->signature);
  // A checkpoint of the head the publication made, for outsiders to keep.
  EXPECT_EQ(events[4].kind, "checkpoint");
  auto cps = store_->Checkpoints();
  ASSERT_TRUE(cps);
  ASSERT_EQ(cps->size(), 1u);
  EXPECT_EQ((*cps)[0].ledger_seq, events[3].seq);
  EXPECT_EQ((*cps)[0].ledger_hash, events[3].hash);

  auto data = PublishedReport(*store_, pub->id);
  ASSERT_TRUE(data) << data.error().message;
  EXPECT_EQ(data->publication_id, pub->id);
  EXPECT_EQ(data->publication_title, "March update");
  EXPECT_EQ(data->ledger_seq, head->seq);
  EXPECT_EQ(data->ledger_hash, head->hash);
  EXPECT_EQ(data->as_of, D("2017-03-01"));
  EXPECT_EQ(data->slug, "harris-2016");
  EXPECT_EQ(data->total, 3);
  EXPECT_EQ(data->implemented, 1);  // R3
  EXPECT_EQ(data->funding_gap, 172000000);
  EXPECT_FALSE(data->previous.has_value());
  // The rendered footer carries the pin.
  EXPECT_TRUE(Mentions(RenderReport(*data, ReportFormat::kMarkdown), head->hash));

  auto v = store_->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems[0]);
  EXPECT_EQ(v->events, 5);
  EXPECT_EQ(v->checkpoints, 1);
}

TEST_F(ServiceTest, PublishedReportIsFrozen) {
  auto pub = PublishSource(*store_, "harris-2016", D("2017-03-01"), "March update", kAlice);
  ASSERT_TRUE(pub) << pub.error().message;
  auto before = PublishedReport(*store_, pub->id);
  ASSERT_TRUE(before);
  const auto rendered = RenderAll(*before);

  // Changes dated before the publication's as_of, and to owners, afterwards.
  SetImplementation("R1", "London Fire Brigade", Implementation::kImplemented, D("2017-02-01"));
  SetImplementation("R1", "Home Office", Implementation::kImplemented, D("2017-02-01"));
  ASSERT_TRUE(store_->SetOwnerTier("Metropolitan Police Service", "emergency_service", kAlice));
  ASSERT_TRUE(store_->SetAlias("the Met", "Metropolitan Police Service", kAlice));

  auto after = PublishedReport(*store_, pub->id);
  ASSERT_TRUE(after);
  EXPECT_EQ(RenderAll(*after), rendered);
  EXPECT_EQ(after->implemented, 1);

  // While the live report of the same day sees the changes.
  auto live = LiveReport(*store_, "harris-2016", D("2017-03-01"), pub->id);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->implemented, 2);
  EXPECT_NE(RenderReport(*live, ReportFormat::kMarkdown), rendered[0]);

  // Reopening the store changes nothing either.
  store_.reset();
  store_ = OpenStore("rectrack.db");
  ASSERT_TRUE(store_);
  auto reopened = PublishedReport(*store_, pub->id);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(RenderAll(*reopened), rendered);
}

TEST_F(ServiceTest, LiveReportDiffsAgainstTheLatestPublicationStrictlyBefore) {
  auto p1 = PublishSource(*store_, "harris-2016", D("2017-01-01"), "January", kAlice);
  ASSERT_TRUE(p1) << p1.error().message;
  SetImplementation("R1", "London Fire Brigade", Implementation::kInProgress, D("2017-02-01"));
  auto p2 = PublishSource(*store_, "harris-2016", D("2017-03-01"), "March", kAlice);
  ASSERT_TRUE(p2) << p2.error().message;
  SetImplementation("R1", "London Fire Brigade", Implementation::kImplemented, D("2017-04-01"));

  // March's own publication compared itself with January's.
  auto march = PublishedReport(*store_, p2->id);
  ASSERT_TRUE(march);
  ASSERT_TRUE(march->previous);
  EXPECT_EQ(march->previous->id, p1->id);
  EXPECT_EQ(ChangesText(*march), "R1|London Fire Brigade|implementation|not_started|in_progress\n");

  auto may = LiveReport(*store_, "harris-2016", D("2017-05-01"));
  ASSERT_TRUE(may) << may.error().message;
  ASSERT_TRUE(may->previous);
  EXPECT_EQ(may->previous->id, p2->id);
  EXPECT_EQ(may->previous->title, "March");
  EXPECT_EQ(may->previous->as_of, D("2017-03-01"));
  EXPECT_EQ(ChangesText(*may), "R1|London Fire Brigade|implementation|in_progress|implemented\n");
  EXPECT_TRUE(Mentions(RenderReport(*may, ReportFormat::kMarkdown), "March"));

  // On the day of a publication, the one before it is the comparison.
  auto on_march = LiveReport(*store_, "harris-2016", D("2017-03-01"));
  ASSERT_TRUE(on_march);
  ASSERT_TRUE(on_march->previous);
  EXPECT_EQ(on_march->previous->id, p1->id);
  EXPECT_EQ(ChangesText(*on_march),
            "R1|London Fire Brigade|implementation|not_started|in_progress\n");

  // Excluding March compares with January.
  auto may_vs_jan = LiveReport(*store_, "harris-2016", D("2017-05-01"), p2->id);
  ASSERT_TRUE(may_vs_jan);
  ASSERT_TRUE(may_vs_jan->previous);
  EXPECT_EQ(may_vs_jan->previous->id, p1->id);
  EXPECT_EQ(ChangesText(*may_vs_jan),
            "R1|London Fire Brigade|implementation|not_started|implemented\n");

  // Before any publication there is nothing to compare with.
  auto before = LiveReport(*store_, "harris-2016", D("2016-12-31"));
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->previous);
  EXPECT_TRUE(before->changes.empty());

  auto unknown = LiveReport(*store_, "no-such-source", D("2017-05-01"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Error::Code::kNotFound);
}

TEST_F(ServiceTest, FailedPublishLeavesNothingAndReleasesTheStore) {
  const std::string before = Dump();
  auto untitled = PublishSource(*store_, "harris-2016", D("2017-03-01"), "", kAlice);
  ASSERT_FALSE(untitled);
  EXPECT_EQ(untitled.error().code, Error::Code::kInvalidInput);
  auto unknown = PublishSource(*store_, "no-such-source", D("2017-03-01"), "T", kAlice);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Error::Code::kNotFound);
  EXPECT_EQ(Dump(), before);
  // No transaction was left open: another store on the file can write at once.
  auto other = OpenStore("rectrack.db");
  ASSERT_TRUE(other);
  auto sum = other->Import(Batch("other"), kAlice, "other");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->ledger_seq, 3);
}

TEST_F(ServiceTest, PublishedReportErrors) {
  auto missing = PublishedReport(*store_, 77);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Error::Code::kNotFound);

  auto pub = PublishSource(*store_, "harris-2016", D("2017-03-01"), "March", kAlice);
  ASSERT_TRUE(pub);
  {
    RawDb raw(dir_.File("rectrack.db"));
    ASSERT_EQ(raw.Exec("UPDATE publications SET snapshot = 'not json' WHERE id = " +
                       std::to_string(pub->id)),
              testing_util::RawDb::kOk);
  }
  auto broken = PublishedReport(*store_, pub->id);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, Error::Code::kCorrupt);
  // A live report that would diff against it says so rather than guessing.
  auto live = LiveReport(*store_, "harris-2016", D("2017-05-01"));
  ASSERT_FALSE(live);
  EXPECT_EQ(live.error().code, Error::Code::kCorrupt);
}

TEST_F(ServiceTest, ImportWithPublicationsLandsEverything) {
  auto fresh = OpenStore("fresh.db");
  ASSERT_TRUE(fresh);
  ImportBatch b = Batch();
  b.sources[0].publications = {{"Baseline", D("2016-10-28")}, {"One year on", D("2017-10-25")}};
  auto sum = ImportWithPublications(*fresh, b, kAlice, "harris.json");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->recommendations, 3);
  EXPECT_EQ(sum->ledger_seq, 2);

  std::vector<LedgerEvent> events;
  ASSERT_TRUE(fresh->ForEachEvent([&](const LedgerEvent& e) {
    events.push_back(e);
    return true;
  }));
  std::vector<std::string> kinds;
  for (const auto& e : events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"tracker_key", "import", "publish", "checkpoint",
                                             "publish", "checkpoint"}));

  auto pubs = fresh->ListPublications("harris-2016");
  ASSERT_TRUE(pubs);
  ASSERT_EQ(pubs->size(), 2u);
  EXPECT_EQ((*pubs)[0].title, "Baseline");
  EXPECT_EQ((*pubs)[0].ledger_seq, 2);
  EXPECT_EQ((*pubs)[0].ledger_hash, events[1].hash);
  EXPECT_EQ((*pubs)[1].title, "One year on");
  EXPECT_EQ((*pubs)[1].ledger_seq, 4);
  auto second = PublishedReport(*fresh, (*pubs)[1].id);
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->previous);
  EXPECT_EQ(second->previous->title, "Baseline");
  auto v = fresh->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->events, 6);
}

TEST_F(ServiceTest, ImportWithPublicationsIsAllOrNothing) {
  const std::string before = Dump();
  ImportBatch b = Batch("second");
  b.sources[0].recommendations[1].assignments = {Assign("Ministry of Truth")};  // a new owner
  b.sources[0].publications = {{"Fine", D("2017-01-01")}, {"", D("2017-06-01")}};
  auto r = ImportWithPublications(*store_, b, kAlice, "second.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kInvalidInput);
  EXPECT_TRUE(Mentions(r.error().message, "second"));
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(store_->GetSource("second").error().code, Error::Code::kNotFound);

  // The owner made and undone above is created afresh; row ids are reused after
  // a rollback, so a remembered id would point at whichever owner came next.
  ImportBatch again = Batch("third");
  again.sources[0].recommendations[0].assignments = {Assign("Acme Ltd")};
  again.sources[0].recommendations[1].assignments = {Assign("Ministry of Truth")};
  auto sum = store_->Import(again, kAlice, "third.json");
  ASSERT_TRUE(sum) << sum.error().message;
  auto r1 = store_->GetRecommendation("third", "R1");
  auto r2 = store_->GetRecommendation("third", "R2");
  ASSERT_TRUE(r1);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r1->assignments[0].owner.name, "Acme Ltd");
  EXPECT_EQ(r2->assignments[0].owner.name, "Ministry of Truth");
  const std::string after_third = Dump();

  // An existing slug: nothing either.
  ImportBatch dup = Batch();
  dup.sources[0].publications = {{"Fine", D("2017-01-01")}};
  auto d = ImportWithPublications(*store_, dup, kAlice, "dup.json");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Error::Code::kConflict);
  EXPECT_EQ(Dump(), after_third);
}

// The example data set goes in with its publications and comes back out as the
// same bytes.
TEST_F(ServiceTest, HarrisExampleRoundTrips) {
  std::ifstream in(kRepo / "examples" / "harris" / "harris-2016.json", std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto batch = ReadNativeJson(ss.str(), "harris-2016.json");
  ASSERT_TRUE(batch) << batch.error().message;
  auto fresh = OpenStore("harris.db");
  ASSERT_TRUE(fresh);
  auto sum = ImportWithPublications(*fresh, *batch, kAlice, "harris-2016.json");
  ASSERT_TRUE(sum) << sum.error().message;
  auto exported = fresh->ExportAll();
  ASSERT_TRUE(exported) << exported.error().message;
  // The file is hand-formatted; its canonical form is what export writes.
  const std::string canonical = WriteNativeJson(*batch);
  EXPECT_EQ(FirstDifference(WriteNativeJson(*exported), canonical), "");
  auto v = fresh->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->events, 6);  // the key, the import, two publications and their checkpoints

  // And the export, imported again, exports the same bytes again.
  auto reread = ReadNativeJson(WriteNativeJson(*exported), "export.json");
  ASSERT_TRUE(reread) << reread.error().message;
  auto second = OpenStore("harris-2.db");
  ASSERT_TRUE(second);
  ASSERT_TRUE(ImportWithPublications(*second, *reread, kAlice, "export.json"));
  auto again = second->ExportAll();
  ASSERT_TRUE(again);
  EXPECT_EQ(FirstDifference(WriteNativeJson(*again), canonical), "");
  // Its publications hold the same report data (only the pins differ).
  auto p1 = fresh->ListPublications("harris-2016");
  auto p2 = second->ListPublications("harris-2016");
  ASSERT_TRUE(p1);
  ASSERT_TRUE(p2);
  ASSERT_EQ(p1->size(), 2u);
  ASSERT_EQ(p2->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto a = PublishedReport(*fresh, (*p1)[i].id);
    auto b = PublishedReport(*second, (*p2)[i].id);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(a->ledger_seq, b->ledger_seq);
    b->ledger_hash = a->ledger_hash;
    EXPECT_EQ(FirstDifference(ReportToJson(*b), ReportToJson(*a)), "");
  }
}

TEST(TodayInLondonTest, IsWithinADayOfUtc) {
  auto utc_days = std::chrono::duration_cast<std::chrono::hours>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() /
                  24;
  int32_t today = TodayInLondon().days();
  EXPECT_LE(std::abs(today - static_cast<int32_t>(utc_days)), 1);
}

}  // namespace
}  // namespace rectrack

// The owners table and the live report read a part of the recommendations at
// a time (Store::ScanRecommendations, OwnersTally, ReportBuilder with a sink,
// StreamedReport): the same rows and the same bytes as the whole-facts path,
// whatever the size of the parts, on either store.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "app/service.h"
#include "ingest/json_format.h"
#include "ingest/presets.h"
#include "report/owners_render.h"
#include "report/report_render.h"
#include "store/sql/sql_store.h"
#include "testing/test_store.h"

namespace rectrack {
namespace {

using testing_util::TempDir;

const Actor kCli{"test:cli"};
const std::filesystem::path kRepo =
    std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Date D(std::string_view iso) { return *Date::ParseIso(iso); }

// What a FILE* received.
class Captured {
 public:
  Captured() : file_(std::tmpfile()) {}
  ~Captured() {
    if (file_) std::fclose(file_);
  }
  std::FILE* file() { return file_; }
  std::string Text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  std::FILE* file_;
};

class StreamingTest : public ::testing::Test {
 protected:
  // Harris (small, with publications and updates), the PFD sample and the
  // UPR 2008 rows: many sources of different sizes and kinds in one store.
  void SetUp() override {
    auto store = testing_util::OpenTestStore(dir_.File("all.db"));
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "harris");
    ASSERT_TRUE(harris) << harris.error().message;
    ASSERT_TRUE(ImportWithPublications(*store_, *harris, kCli, "harris"));
    auto pfd = ImportPfd(ReadAll(kRepo / "tests/fixtures/pfd-sample.csv"), "pfd", {});
    ASSERT_TRUE(pfd) << pfd.error().message;
    ASSERT_TRUE(store_->Import(*pfd, kCli, "pfd"));
    auto upr = ImportUpr(ReadAll(kRepo / "tests/fixtures/upr/upr-2008.csv"), "upr", {});
    ASSERT_TRUE(upr) << upr.error().message;
    ASSERT_TRUE(store_->Import(*upr, kCli, "upr"));
    // Two of Harris's recommendations done by their only owners in June 2017
    // (for the Done list and the timeline), one owner of a shared one too.
    FactsFilter harris_only;
    harris_only.source_slug = "harris-2016";
    auto facts = store_->LoadFacts(harris_only);
    ASSERT_TRUE(facts);
    std::map<int64_t, std::vector<int64_t>> by_rec;
    for (const auto& a : facts->assignments) by_rec[a.recommendation_id].push_back(a.id);
    int done = 0, shared = 0;
    for (const auto& [rec, asgs] : by_rec) {
      bool one = asgs.size() == 1;
      if ((one && done < 2) || (!one && shared < 1)) {
        Update u;
        u.date = D("2017-06-01");
        u.implementation = Implementation::kImplemented;
        u.narrative = "Done | with <care> *and* _marks_";
        ASSERT_TRUE(store_->AddUpdate(asgs.front(), u, kCli));
        (one ? done : shared)++;
      }
    }
    ASSERT_EQ(done + shared, 3);
    // Targets agreed with some owners, spread over the store (a scan reads
    // them by the range of a part's assignments): every 97th assignment.
    auto all = store_->LoadFacts(FactsFilter{});
    ASSERT_TRUE(all);
    int targets = 0;
    for (size_t k = 0; k < all->assignments.size(); k += 97, ++targets)
      ASSERT_TRUE(store_->SetAssignmentTarget(all->assignments[k].id, D("2009-03-01"),
                                              std::nullopt, kCli));
    ASSERT_GT(targets, 5);
    auto sources = store_->ListSources();
    ASSERT_TRUE(sources);
    for (const auto& s : *sources) slugs_.push_back(s.slug);
    ASSERT_GT(slugs_.size(), 10u);
  }

  // All parts of a scan, joined.
  Facts Scanned(const FactsFilter& filter, size_t part_size, int* parts) {
    Facts out;
    *parts = 0;
    auto s = store_->ScanRecommendations(
        filter, part_size,
        [&](std::vector<Recommendation>& recs, std::vector<Assignment>& asgs) {
          ++*parts;
          EXPECT_LE(recs.size(), part_size);
          EXPECT_FALSE(recs.empty());
          // Each part's assignments belong to its own recommendations.
          for (const auto& a : asgs) {
            bool mine = false;
            for (const auto& r : recs) mine |= r.id == a.recommendation_id;
            EXPECT_TRUE(mine) << "assignment " << a.id;
          }
          out.recommendations.insert(out.recommendations.end(), recs.begin(), recs.end());
          out.assignments.insert(out.assignments.end(), asgs.begin(), asgs.end());
          return Status{};
        });
    EXPECT_TRUE(s) << s.error().message;
    return out;
  }

  void ExpectSameRows(const FactsFilter& filter) {
    auto whole = store_->LoadFacts(filter);
    ASSERT_TRUE(whole) << whole.error().message;
    ASSERT_FALSE(whole->recommendations.empty());
    // A selection under a quarter of the store's recommendations is found by
    // the index, else the table is read: the rule, against an exact count.
    auto* sql = dynamic_cast<sql::SqlStore*>(store_.get());
    ASSERT_NE(sql, nullptr);
    auto everything = store_->LoadFacts(FactsFilter{});
    ASSERT_TRUE(everything);
    int64_t largest = 0;
    for (const auto& r : everything->recommendations) largest = std::max(largest, r.id);
    const bool selects = !filter.source_slug.empty() || !filter.source_kind.empty();
    const int expected_by_index =
        selects && static_cast<int64_t>(whole->recommendations.size()) * 4 < largest ? 1 : 0;
    for (size_t part : {size_t{1}, size_t{7}, size_t{100000}}) {
      int parts = 0;
      const int scans_before = sql->index_scans();
      Facts got = Scanned(filter, part, &parts);
      SCOPED_TRACE("part size " + std::to_string(part) + ", slug '" + filter.source_slug +
                   "', kind '" + filter.source_kind + "'");
      EXPECT_EQ(sql->index_scans() - scans_before, expected_by_index);
      EXPECT_EQ(static_cast<size_t>(parts),
                (whole->recommendations.size() + part - 1) / part);
      ASSERT_EQ(got.recommendations.size(), whole->recommendations.size());
      for (size_t i = 0; i < got.recommendations.size(); ++i) {
        const auto& x = got.recommendations[i];
        const auto& y = whole->recommendations[i];
        EXPECT_EQ(x.id, y.id);
        EXPECT_EQ(x.source_id, y.source_id);
        EXPECT_EQ(x.ref, y.ref);
        EXPECT_EQ(x.text, y.text);
        EXPECT_EQ(x.made_by, y.made_by);
        EXPECT_EQ(x.themes, y.themes);
        EXPECT_EQ(x.made, y.made);
      }
      // LoadFacts lists assignments by id; the parts by recommendation.
      auto by_id = [](std::vector<Assignment> v) {
        std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        return v;
      };
      auto a = by_id(got.assignments), b = by_id(whole->assignments);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].id, b[i].id);
        EXPECT_EQ(a[i].recommendation_id, b[i].recommendation_id);
        EXPECT_EQ(a[i].owner_id, b[i].owner_id);
        EXPECT_EQ(a[i].due, b[i].due);
        EXPECT_EQ(a[i].target, b[i].target) << "assignment " << a[i].id;
        EXPECT_TRUE(a[i].initial == b[i].initial) << "assignment " << a[i].id;
        EXPECT_EQ(a[i].raw_status, b[i].raw_status);
      }
    }
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<std::string> slugs_;
};

TEST_F(StreamingTest, ScanRecommendationsGivesLoadFactsRowsInParts) {
  ExpectSameRows(FactsFilter{});
  FactsFilter texts;
  texts.with_text = true;
  ExpectSameRows(texts);
  for (const std::string& slug : {std::string("harris-2016"), slugs_.back()}) {
    FactsFilter one;
    one.source_slug = slug;
    one.with_text = true;
    ExpectSameRows(one);  // a small part of the store: by the index
  }
  for (const char* kind : {"pfd", "upr"}) {
    FactsFilter k;
    k.source_kind = kind;
    ExpectSameRows(k);
  }
  FactsFilter none;
  none.source_slug = "no-such-source";
  auto s = store_->ScanRecommendations(none, 10, [](auto&, auto&) { return Status{}; });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Error::Code::kNotFound);
}

// Which way a selection is read, at the rule's edge: under a quarter of the
// store's recommendations by the index, a quarter or more (and a selection of
// every source, which is the whole table, without counting it) by the table.
// ExpectSameRows checks the way against an exact count, and the rows.
TEST_F(StreamingTest, ASelectionUnderAQuarterOfTheStoreIsFoundByTheIndex) {
  auto source = [](const std::string& slug, const std::string& kind, int n) {
    ImportBatch b;
    ImportBatch::SourceIn s;
    s.source.slug = slug;
    s.source.kind = kind;
    s.source.title = "Source " + slug;
    s.source.vocabulary = "canonical";
    for (int i = 1; i <= n; ++i) {
      ImportBatch::RecommendationIn r;
      r.recommendation.ref = std::to_string(i);
      r.recommendation.text = "Recommendation " + std::to_string(i) + " of " + slug;
      ImportBatch::AssignmentIn a;
      a.owner = "Home Office";
      r.assignments.push_back(std::move(a));
      s.recommendations.push_back(std::move(r));
    }
    b.sources = {std::move(s)};
    return b;
  };
  store_.reset();
  auto store = testing_util::OpenTestStore(dir_.File("quarter.db"));
  ASSERT_TRUE(store) << store.error().message;
  store_ = std::move(*store);
  auto* sql = dynamic_cast<sql::SqlStore*>(store_.get());
  ASSERT_NE(sql, nullptr);
  ASSERT_TRUE(store_->Import(source("a", "review", 10), kCli, "a"));
  ASSERT_TRUE(store_->Import(source("b", "review", 30), kCli, "b"));
  FactsFilter a;
  a.source_slug = "a";
  FactsFilter reviews;
  reviews.source_kind = "review";
  // 10 of 40: exactly a quarter, so the table.
  int before = sql->index_scans();
  ExpectSameRows(a);
  ExpectSameRows(reviews);  // every source: the whole table
  EXPECT_EQ(sql->index_scans(), before);
  // 10 of 41: under a quarter, so the index; the reviews, 40 of 41, the table.
  ASSERT_TRUE(store_->Import(source("c", "inquiry", 1), kCli, "c"));
  before = sql->index_scans();
  ExpectSameRows(a);
  ExpectSameRows(reviews);
  EXPECT_EQ(sql->index_scans() - before, 3);  // a, at each of three part sizes
}

// In a read transaction a big scan is shared with a second connection that
// takes every second part, in the same snapshot; the parts reach the caller in
// order. Lowered here to any size: the same rows as one connection reads.
TEST_F(StreamingTest, AScanInAReadTransactionIsSharedWithASecondReader) {
  auto* sql = dynamic_cast<sql::SqlStore*>(store_.get());
  ASSERT_NE(sql, nullptr);
  sql->set_parallel_scan_from(1);
  ASSERT_TRUE(store_->BeginRead());
  const int before = sql->parallel_scans();
  ExpectSameRows(FactsFilter{});
  FactsFilter texts;
  texts.with_text = true;
  ExpectSameRows(texts);
  FactsFilter upr;
  upr.source_kind = "upr";
  ExpectSameRows(upr);
  // Part sizes 1 and 7 of each (100,000 is one part: read alone).
  EXPECT_GE(sql->parallel_scans() - before, 6);
  // An error from a part stops both readers.
  int calls = 0;
  auto s = store_->ScanRecommendations(FactsFilter{}, 5, [&](auto&, auto&) -> Status {
    if (++calls == 4) return Fail(Error::Io("disk full"));
    return {};
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(calls, 4);
  store_->EndRead();
}

// Another server's write after the read transaction began is not in the scan,
// on either connection: PostgreSQL's second reader takes the transaction's
// snapshot (pg_export_snapshot); SQLite's cannot, sees a later ledger head and
// is not used.
TEST_F(StreamingTest, ASharedScanSeesTheReadTransactionsSnapshotOnly) {
  auto* sql = dynamic_cast<sql::SqlStore*>(store_.get());
  ASSERT_NE(sql, nullptr);
  sql->set_parallel_scan_from(1);
  ASSERT_TRUE(store_->BeginRead());
  auto then = store_->LoadFacts(FactsFilter{});
  ASSERT_TRUE(then) << then.error().message;

  auto other = testing_util::OpenTestStore(dir_.File("all.db"));
  ASSERT_TRUE(other) << other.error().message;
  auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "harris");
  ASSERT_TRUE(harris);
  harris->sources.front().source.slug = "harris-again";
  ASSERT_TRUE((*other)->Import(*harris, kCli, "harris"));

  const int before = sql->parallel_scans();
  int parts = 0;
  Facts got = Scanned(FactsFilter{}, 7, &parts);
  EXPECT_EQ(sql->parallel_scans() - before, testing_util::UsingPostgres() ? 1 : 0);
  ASSERT_EQ(got.recommendations.size(), then->recommendations.size());
  for (size_t i = 0; i < got.recommendations.size(); ++i)
    EXPECT_EQ(got.recommendations[i].id, then->recommendations[i].id);
  EXPECT_EQ(got.assignments.size(), then->assignments.size());
  store_->EndRead();

  // After the transaction, the new source is there.
  got = Scanned(FactsFilter{}, 7, &parts);
  EXPECT_EQ(got.recommendations.size(),
            then->recommendations.size() + harris->sources.front().recommendations.size());
}

TEST_F(StreamingTest, AScanOfTheOnlySourceReadsTheTableInOrder) {
  // One source is the whole store: the keyset path rather than the index.
  TempDir d;
  auto store = testing_util::OpenTestStore(d.File("one.db"));
  ASSERT_TRUE(store);
  auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "harris");
  ASSERT_TRUE(harris);
  ASSERT_TRUE(ImportWithPublications(**store, *harris, kCli, "harris"));
  store_ = std::move(*store);
  FactsFilter one;
  one.source_slug = "harris-2016";
  one.with_text = true;
  ExpectSameRows(one);
}

TEST_F(StreamingTest, AnErrorFromAPartStopsTheScanAndIsReturned) {
  int calls = 0;
  auto s = store_->ScanRecommendations(FactsFilter{}, 5, [&](auto&, auto&) -> Status {
    if (++calls == 3) return Fail(Error::Io("disk full"));
    return {};
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(calls, 3);
}

TEST_F(StreamingTest, TheOwnersTableInPartsIsTheWholeOne) {
  for (const auto& [slug, kind] : std::vector<std::pair<std::string, std::string>>{
           {"", ""}, {"", "pfd"}, {"", "upr"}, {"harris-2016", ""}}) {
    for (Date as_of : {D("2017-03-01"), D("2024-06-01")}) {
      FactsFilter f;
      f.source_slug = slug;
      f.source_kind = kind;
      auto facts = store_->LoadFacts(f);
      ASSERT_TRUE(facts);
      std::string whole = RenderOwners(OwnersTable(*facts, as_of), TableFormat::kJson);
      auto live = LiveOwnersTable(*store_, f, as_of);
      ASSERT_TRUE(live) << live.error().message;
      EXPECT_EQ(RenderOwners(*live, TableFormat::kJson), whole) << slug << kind;
      // And OwnersTally over parts of two recommendations.
      OwnersTally tally(*facts, as_of);
      for (size_t at = 0; at < facts->recommendations.size(); at += 2) {
        std::vector<Recommendation> recs(
            facts->recommendations.begin() + at,
            facts->recommendations.begin() + std::min(at + 2, facts->recommendations.size()));
        std::vector<Assignment> asgs;
        for (const auto& a : facts->assignments)
          if (a.recommendation_id >= recs.front().id && a.recommendation_id <= recs.back().id)
            asgs.push_back(a);
        tally.Add(recs, asgs);
      }
      EXPECT_EQ(RenderOwners(tally.Finish(), TableFormat::kJson), whole);
    }
  }
}

TEST_F(StreamingTest, TheReportBuiltInPartsIsTheWholeOne) {
  FactsFilter f;
  f.source_slug = "harris-2016";
  f.with_text = true;
  auto facts = store_->LoadFacts(f);
  ASSERT_TRUE(facts);
  const int64_t id = facts->sources.front().id;
  ReportData::PreviousPublication prev{7, "Earlier", D("2017-01-01")};
  std::vector<ReportData::StateRow> states = {
      {"1", "Metropolitan Police Service", ResponseStatus::kPending, Implementation::kNotStarted},
      {"gone", "Nobody", ResponseStatus::kPending, Implementation::kNotStarted}};
  for (bool with_previous : {false, true}) {
    ReportData whole = BuildReport(*facts, id, D("2017-10-01"), with_previous ? &prev : nullptr,
                                   with_previous ? &states : nullptr);
    ASSERT_GT(whole.total, 10);
    ASSERT_EQ(whole.done.size(), 2u);
    ReportBuilder parts(*facts, id, D("2017-10-01"), with_previous ? &prev : nullptr,
                        with_previous ? &states : nullptr);
    for (size_t at = 0; at < facts->recommendations.size(); at += 3) {
      std::vector<Recommendation> recs(
          facts->recommendations.begin() + at,
          facts->recommendations.begin() + std::min(at + 3, facts->recommendations.size()));
      std::vector<Assignment> asgs;
      for (const auto& a : facts->assignments)
        if (a.recommendation_id >= recs.front().id && a.recommendation_id <= recs.back().id)
          asgs.push_back(a);
      parts.Add(recs, asgs);
    }
    EXPECT_EQ(ReportToJson(parts.Finish()), ReportToJson(whole));
  }
}

// The command's path: the same bytes as the report built whole, for every
// source, in both formats, with and without a previous publication to diff.
TEST_F(StreamingTest, TheStreamedReportHasTheBytesOfTheWholeOne) {
  int compared = 0;
  for (const std::string& slug : slugs_) {
    for (Date as_of : {D("2017-03-01"), D("2017-10-01"), D("2024-06-01")}) {
      auto data = LiveReport(*store_, slug, as_of);
      ASSERT_TRUE(data) << data.error().message;
      for (ReportFormat format : {ReportFormat::kMarkdown, ReportFormat::kHtml, ReportFormat::kJson}) {
        Captured out;
        auto s = WriteLiveReport(*store_, slug, as_of, format, out.file());
        ASSERT_TRUE(s) << s.error().message;
        ASSERT_EQ(out.Text(), RenderReport(*data, format))
            << slug << " as of " << as_of.ToIso() << " format " << static_cast<int>(format);
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 30);
  // Harris as of October 2017 has a publication before it: its diff is streamed too.
  auto data = LiveReport(*store_, "harris-2016", D("2017-10-01"));
  ASSERT_TRUE(data);
  EXPECT_TRUE(data->previous.has_value());
  EXPECT_FALSE(data->done.empty());
  EXPECT_FALSE(data->outstanding_other.empty());
}

TEST_F(StreamingTest, AFailedWriteIsAnErrorNotAHalfReport) {
  std::FILE* full = std::fopen("/dev/full", "w");
  ASSERT_NE(full, nullptr);
  auto s = WriteLiveReport(*store_, "harris-2016", D("2017-10-01"), ReportFormat::kMarkdown, full);
  std::fclose(full);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Error::Code::kIo);
  Captured out;
  auto unknown = WriteLiveReport(*store_, "no-such", D("2017-10-01"), ReportFormat::kHtml, out.file());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Error::Code::kNotFound);
  EXPECT_EQ(out.Text(), "");
  // The store is still usable: the read transaction was ended.
  EXPECT_TRUE(store_->Begin());
  EXPECT_TRUE(store_->Commit());
}

// LoadFacts reads the validated updates from the sources' side or from the
// updates' side, whichever is smaller, counting each only as far as the
// choice needs (the cap lowered here, so that every branch is taken: small
// sources, big ones, both sides over the cap): the same updates either way,
// the ones the recommendations' own views list as validated, in order.
TEST_F(StreamingTest, TheValidatedUpdatesAreTheSameFromEitherSide) {
  auto* sql = dynamic_cast<sql::SqlStore*>(store_.get());
  ASSERT_NE(sql, nullptr);
  // A validated update in a source of one recommendation too, so that both
  // kinds of source have some.
  FactsFilter pfd;
  pfd.source_kind = "pfd";
  auto pfd_facts = store_->LoadFacts(pfd);
  ASSERT_TRUE(pfd_facts);
  ASSERT_FALSE(pfd_facts->assignments.empty());
  Update u;
  u.date = D("2020-02-02");
  u.implementation = Implementation::kInProgress;
  u.narrative = "Started";
  ASSERT_TRUE(store_->AddUpdate(pfd_facts->assignments.front().id, u, kCli));
  for (int64_t cap : {int64_t{1}, int64_t{2}, int64_t{10000}}) {
    sql->set_side_count_cap(cap);
    int with_updates = 0;
    for (const std::string& slug : slugs_) {
      FactsFilter one;
      one.source_slug = slug;
      auto facts = store_->LoadFacts(one);
      ASSERT_TRUE(facts) << facts.error().message;
      std::vector<std::tuple<int64_t, Date, int64_t>> want, got;
      for (const auto& r : facts->recommendations) {
        auto view = store_->GetRecommendationById(r.id);
        ASSERT_TRUE(view);
        for (const auto& av : view->assignments)
          for (const auto& x : av.updates)
            if (x.state == UpdateState::kValidated) want.emplace_back(x.assignment_id, x.date, x.id);
      }
      std::sort(want.begin(), want.end());
      for (const auto& x : facts->updates) got.emplace_back(x.assignment_id, x.date, x.id);
      EXPECT_EQ(got, want) << slug << ", cap " << cap;
      with_updates += !got.empty();
    }
    EXPECT_EQ(with_updates, 2) << "Harris and the PFD report, cap " << cap;
  }
}

// A source big enough that its long lists outgrow their buffers (256 KB) and
// go through the temporary file, which is then copied to the output by the
// kernel (sendfile) or, where the output takes no sendfile, read back: the
// same bytes to a file, to a pipe and to a stream without a descriptor, and
// an error to a full disk.
TEST_F(StreamingTest, LongListsThroughTheTemporaryFileKeepTheirBytes) {
  std::string csv = "text,to,decision,From,year,notes";
  const char* decisions[] = {"support", "consider", "reject", "implemented"};
  for (int i = 1; i <= 6000; ++i) {
    csv += "\r" + std::to_string(100 + i / 100) + "." + std::to_string(i % 100 + 1) +
           "   That the state | ensure *every* [right] <of> people_" + std::to_string(i) +
           " is protected by law and in practice with a plan and money to carry it out "
           "(Kuwait). );,Bigland," + decisions[i % 4] + ",Kuwait,2008,";
  }
  auto upr = ImportUpr(csv, "big", {});
  ASSERT_TRUE(upr) << upr.error().message;
  ASSERT_TRUE(store_->Import(*upr, kCli, "big"));
  auto sources = store_->ListSources();
  ASSERT_TRUE(sources);
  std::string slug;
  for (const auto& src : *sources)
    if (std::find(slugs_.begin(), slugs_.end(), src.slug) == slugs_.end()) slug = src.slug;
  ASSERT_FALSE(slug.empty());
  for (ReportFormat format : {ReportFormat::kMarkdown, ReportFormat::kHtml}) {
    auto data = LiveReport(*store_, slug, D("2024-06-01"));
    ASSERT_TRUE(data) << data.error().message;
    const std::string whole = RenderReport(*data, format);
    ASSERT_GT(whole.size(), 1000000u);  // several buffers' worth of rows
    Captured file;
    ASSERT_TRUE(WriteLiveReport(*store_, slug, D("2024-06-01"), format, file.file()));
    EXPECT_EQ(file.Text(), whole);
    // A pipe, read as it is written.
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::string piped;
    std::thread reader([&] {
      char buf[65536];
      ssize_t n;
      while ((n = read(fds[0], buf, sizeof buf)) > 0) piped.append(buf, static_cast<size_t>(n));
      close(fds[0]);
    });
    std::FILE* w = fdopen(fds[1], "w");
    ASSERT_NE(w, nullptr);
    auto s = WriteLiveReport(*store_, slug, D("2024-06-01"), format, w);
    std::fclose(w);
    reader.join();
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(piped, whole);
    // A stream with no descriptor (what the benchmark counts bytes with).
    std::string cooked;
    cookie_io_functions_t io{};
    io.write = [](void* c, const char* buf, size_t size) -> ssize_t {
      static_cast<std::string*>(c)->append(buf, size);
      return static_cast<ssize_t>(size);
    };
    std::FILE* cookie = fopencookie(&cooked, "w", io);
    ASSERT_NE(cookie, nullptr);
    ASSERT_LT(fileno(cookie), 0);
    auto via_cookie = WriteLiveReport(*store_, slug, D("2024-06-01"), format, cookie);
    std::fclose(cookie);
    ASSERT_TRUE(via_cookie) << via_cookie.error().message;
    EXPECT_EQ(cooked, whole);
    std::FILE* full = std::fopen("/dev/full", "w");
    ASSERT_NE(full, nullptr);
    auto failed = WriteLiveReport(*store_, slug, D("2024-06-01"), format, full);
    std::fclose(full);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Error::Code::kIo);
  }
}

}  // namespace
}  // namespace rectrack

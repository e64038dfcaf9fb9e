// LoadFacts reads a big selection in table order (and its assignments on a
// second connection): the same facts, in the same order, as for a small one.
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "testing/test_store.h"

namespace rectrack {
namespace {

class LoadFactsTest : public ::testing::Test {
 protected:
  LoadFactsTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rectrack-facts-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~LoadFactsTest() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_;
};

ImportBatch::SourceIn Source(const std::string& slug, const std::string& kind, int recs) {
  ImportBatch::SourceIn s;
  s.source.slug = slug;
  s.source.title = slug;
  s.source.kind = kind;
  for (int i = 0; i < recs; ++i) {
    ImportBatch::RecommendationIn r;
    r.recommendation.ref = std::to_string(i + 1);
    r.recommendation.text = fmt::format("Recommendation {} of {}", i + 1, slug);
    for (int k = 0; k <= i % 3; ++k) {  // one to three owners
      ImportBatch::AssignmentIn a;
      a.owner = fmt::format("Owner {}", (i + k) % 7);
      a.assignment.initial.implementation =
          i % 5 == 0 ? Implementation::kImplemented : Implementation::kInProgress;
      a.assignment.initial.response_text = i % 11 == 0 ? "Agreed" : "";
      r.assignments.push_back(a);
    }
    s.recommendations.push_back(std::move(r));
  }
  return s;
}

// What a selection must hold: every recommendation of the sources, each with its
// assignments, all in id order (one source after the other, as imported).
void ExpectFacts(const Facts& f, const std::vector<std::pair<std::string, int>>& sources,
                 bool with_text) {
  size_t want_recs = 0, want_asg = 0;
  for (const auto& [slug, n] : sources) {
    want_recs += n;
    for (int i = 0; i < n; ++i) want_asg += 1 + i % 3;
  }
  ASSERT_EQ(f.recommendations.size(), want_recs);
  ASSERT_EQ(f.assignments.size(), want_asg);
  std::map<int64_t, std::string> slug_of;
  for (const auto& s : f.sources) slug_of[s.id] = s.slug;
  size_t r = 0, a = 0;
  for (const auto& [slug, n] : sources) {
    for (int i = 0; i < n; ++i, ++r) {
      const Recommendation& rec = f.recommendations[r];
      ASSERT_EQ(slug_of[rec.source_id], slug) << r;
      ASSERT_EQ(rec.ref, std::to_string(i + 1));
      ASSERT_EQ(rec.text, with_text ? fmt::format("Recommendation {} of {}", i + 1, slug) : "");
      if (r > 0) {
        ASSERT_LT(f.recommendations[r - 1].id, rec.id);
      }
      for (int k = 0; k <= i % 3; ++k, ++a) {
        const Assignment& as = f.assignments[a];
        ASSERT_EQ(as.recommendation_id, rec.id) << a;
        if (a > 0) {
          ASSERT_LT(f.assignments[a - 1].id, as.id);
        }
        ASSERT_EQ(as.initial.implementation, i % 5 == 0 ? Implementation::kImplemented
                                                         : Implementation::kInProgress);
        ASSERT_EQ(as.initial.response_text, with_text && i % 11 == 0 ? "Agreed" : "");
      }
    }
  }
}

TEST_F(LoadFactsTest, BigAndSmallSelectionsAlike) {
  auto store = testing_util::OpenTestStore(dir_ + "/facts.db");
  ASSERT_TRUE(store) << store.error().message;
  ImportBatch batch;
  // Big enough to be read in table order on two connections (50,000 and more).
  batch.sources.push_back(Source("big", "review", 60000));
  batch.sources.push_back(Source("small", "inquiry", 40));
  batch.sources.push_back(Source("tiny", "review", 3));
  auto sum = (*store)->Import(batch, Actor{"cli:test"}, "x");
  ASSERT_TRUE(sum) << sum.error().message;

  for (bool with_text : {false, true}) {
    SCOPED_TRACE(with_text ? "with text" : "without text");
    FactsFilter all;
    all.with_text = with_text;
    auto f = (*store)->LoadFacts(all);
    ASSERT_TRUE(f) << f.error().message;
    ExpectFacts(*f, {{"big", 60000}, {"small", 40}, {"tiny", 3}}, with_text);

    FactsFilter big = all;
    big.source_slug = "big";
    f = (*store)->LoadFacts(big);
    ASSERT_TRUE(f) << f.error().message;
    ExpectFacts(*f, {{"big", 60000}}, with_text);

    FactsFilter small = all;
    small.source_slug = "small";
    f = (*store)->LoadFacts(small);
    ASSERT_TRUE(f) << f.error().message;
    ExpectFacts(*f, {{"small", 40}}, with_text);

    FactsFilter reviews = all;
    reviews.source_kind = "review";
    f = (*store)->LoadFacts(reviews);
    ASSERT_TRUE(f) << f.error().message;
    ExpectFacts(*f, {{"big", 60000}, {"tiny", 3}}, with_text);
  }

  // Inside a transaction the connection's own writes are part of the facts.
  ASSERT_TRUE((*store)->Begin());
  ImportBatch more;
  more.sources.push_back(Source("more", "review", 5));
  ASSERT_TRUE((*store)->Import(more, Actor{"cli:test"}, "y"));
  auto f = (*store)->LoadFacts(FactsFilter{});
  ASSERT_TRUE(f) << f.error().message;
  ExpectFacts(*f, {{"big", 60000}, {"small", 40}, {"tiny", 3}, {"more", 5}}, false);
  (*store)->Rollback();
  f = (*store)->LoadFacts(FactsFilter{});
  ASSERT_TRUE(f) << f.error().message;
  ExpectFacts(*f, {{"big", 60000}, {"small", 40}, {"tiny", 3}}, false);
}

}  // namespace
}  // namespace rectrack

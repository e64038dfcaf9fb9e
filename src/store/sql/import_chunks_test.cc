// Import sessions written in chunks: continued recommendations, the origin set
// at the end, and (SQLite) the FTS settings a bulk import relies on.
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "store/sqlite/schema.h"
#include "store/store.h"
#include "testing/test_store.h"

namespace rectrack {
namespace {

class TempDb {
 public:
  TempDb() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rectrack-chunks-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_ + "/store.db"; }

 private:
  std::string dir_;
};

// One value from the store, on a connection of its own.
std::string Query(const std::string& path, const std::string& sql) {
  testing_util::RawDb raw(path);
  try {
    return raw.Text(sql);
  } catch (const std::exception& e) {
    return std::string("<error> ") + e.what();
  }
}

ImportBatch::AssignmentIn To(const std::string& owner, const std::string& response_text = "") {
  ImportBatch::AssignmentIn a;
  a.owner = owner;
  a.assignment.initial.response = ResponseKind::kAccepted;
  a.assignment.initial.response_text = response_text;
  return a;
}

ImportBatch::RecommendationIn Rec(const std::string& ref, const std::string& text,
                                  std::vector<ImportBatch::AssignmentIn> assignments,
                                  bool continued = false) {
  ImportBatch::RecommendationIn r;
  r.recommendation.ref = ref;
  r.recommendation.text = text;
  r.assignments = std::move(assignments);
  r.continued = continued;
  return r;
}

ImportBatch Chunk(std::vector<ImportBatch::RecommendationIn> recs) {
  ImportBatch b;
  b.sources.emplace_back();
  b.sources[0].source.slug = "big";
  b.sources[0].source.title = "Big review";
  b.sources[0].recommendations = std::move(recs);
  return b;
}

TEST(ImportChunksTest, ContinuedRecommendationGetsTheLaterRows) {
  TempDb tmp;
  auto store = testing_util::OpenTestStore(tmp.path());
  ASSERT_TRUE(store) << store.error().message;
  auto session = (*store)->StartImport(Actor{"cli:test"}, "big.csv");
  ASSERT_TRUE(session);

  auto first = Rec("1", "Fit smoke alarms", {To("Fire Service", "Agreed")});
  first.recommendation.themes = {"safety"};
  ASSERT_TRUE((*session)->Add(Chunk({first, Rec("2", "Train staff", {To("Home Office")})})));
  auto more = Rec("1", "Fit smoke alarms", {To("City Hall", "Funding found"), To("Met Police")},
                  /*continued=*/true);
  more.recommendation.themes = {"safety", "housing"};
  more.recommendation.made = *Date::ParseIso("2017-03-01");
  more.recommendation.url = "https://example.org/1";
  auto s = (*session)->Add(Chunk({more, Rec("3", "Publish data", {To("City Hall")})}));
  ASSERT_TRUE(s) << s.error().message;
  (*session)->SetOrigin("big.csv sha256:abc");
  auto sum = (*session)->Finish();
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->sources, 1);
  EXPECT_EQ(sum->recommendations, 3);  // a continuation is no new recommendation
  EXPECT_EQ(sum->assignments, 5);
  session->reset();

  auto view = (*store)->GetRecommendation("big", "1");
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->recommendation.themes, (std::vector<std::string>{"safety", "housing"}));
  EXPECT_EQ(view->recommendation.made, Date::ParseIso("2017-03-01").value());
  EXPECT_EQ(view->recommendation.url, "https://example.org/1");
  std::vector<std::string> owners;
  for (const auto& a : view->assignments) owners.push_back(a.owner.name);
  EXPECT_EQ(owners, (std::vector<std::string>{"Fire Service", "City Hall", "Met Police"}));
  // The responses of every chunk are searchable, in order, as one document.
  const bool pg = testing_util::UsingPostgres();
  EXPECT_EQ(Query(tmp.path(), std::string("SELECT responses FROM ") +
                                  (pg ? "recommendation_search WHERE id = " : "recommendation_fts WHERE rowid = ") +
                                  std::to_string(view->recommendation.id)),
            "Agreed\nFunding found");
  auto hits = (*store)->Search("funding", 10);
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].ref, "1");
  // The origin given at the end is the one in the ledger.
  std::vector<LedgerEvent> events;
  ASSERT_TRUE((*store)->ForEachEvent([&](const LedgerEvent& e) {
    events.push_back(e);
    return true;
  }));
  ASSERT_EQ(events.size(), 2u);  // the store's key, the import
  auto about = nlohmann::json::parse(events[1].payload)["about"];
  EXPECT_EQ(about["origin"], "big.csv sha256:abc");
  EXPECT_EQ(about["recommendations"], 3);
  // The continued rows are in the event as an update of the recommendation.
  auto changes = nlohmann::json::parse(events[1].payload)["changes"];
  EXPECT_EQ(changes["insert"]["recommendations"].size(), 3u);
  EXPECT_EQ(changes["update"]["recommendations"][0][1]["themes"], "[\"safety\",\"housing\"]");
}

TEST(ImportChunksTest, ContinuationKeepsWhatIsThere) {
  TempDb tmp;
  auto store = testing_util::OpenTestStore(tmp.path());
  ASSERT_TRUE(store);
  auto session = (*store)->StartImport(Actor{"cli:test"}, "x");
  ASSERT_TRUE(session);
  auto first = Rec("1", "Text", {To("A")});
  first.recommendation.made = *Date::ParseIso("2016-01-01");
  first.recommendation.url = "https://example.org/first";
  ASSERT_TRUE((*session)->Add(Chunk({first})));
  auto more = Rec("1", "Text", {To("B")}, true);
  more.recommendation.made = *Date::ParseIso("2017-01-01");
  more.recommendation.url = "https://example.org/later";
  ASSERT_TRUE((*session)->Add(Chunk({more})));
  ASSERT_TRUE((*session)->Finish());
  session->reset();
  auto view = (*store)->GetRecommendation("big", "1");
  ASSERT_TRUE(view);
  EXPECT_EQ(view->recommendation.made, Date::ParseIso("2016-01-01").value());
  EXPECT_EQ(view->recommendation.url, "https://example.org/first");
  EXPECT_EQ(view->assignments.size(), 2u);
}

TEST(ImportChunksTest, BadContinuationRollsBackEverything) {
  TempDb tmp;
  auto store = testing_util::OpenTestStore(tmp.path());
  ASSERT_TRUE(store);
  struct Case {
    ImportBatch::RecommendationIn rec;
    Error::Code code;
    std::string message;
  };
  std::vector<Case> cases = {
      {Rec("1", "Other text", {To("B")}, true), Error::Code::kConflict,
       "recommendation '1' of source 'big' appears again with different text"},
      {Rec("7", "Never written", {To("B")}, true), Error::Code::kInternal,
       "recommendation '7' of source 'big' is continued, but no earlier chunk of this import "
       "wrote it"},
      {Rec("1", "Text", {To("A")}, true), Error::Code::kConflict,
       "recommendation '1' of source 'big' is assigned to owner 'A' twice (names or aliases of "
       "one owner)"},
  };
  for (const auto& c : cases) {
    auto session = (*store)->StartImport(Actor{"cli:test"}, "x");
    ASSERT_TRUE(session);
    ASSERT_TRUE((*session)->Add(Chunk({Rec("1", "Text", {To("A")})})));
    auto s = (*session)->Add(Chunk({c.rec}));
    ASSERT_FALSE(s) << c.message;
    EXPECT_EQ(s.error().code, c.code);
    EXPECT_EQ(s.error().message, c.message);
    EXPECT_FALSE((*session)->Finish());
    session->reset();
    EXPECT_EQ(Query(tmp.path(), "SELECT COUNT(*) FROM recommendations"), "0");
    EXPECT_EQ(Query(tmp.path(), "SELECT COUNT(*) FROM owners"), "0");
    EXPECT_EQ(Query(tmp.path(), "SELECT COUNT(*) FROM ledger"), "1");  // the key only
  }
}

TEST(ImportChunksTest, ForeignKeysAreCheckedAgainAfterAnImport) {
  TempDb tmp;
  auto store = testing_util::OpenTestStore(tmp.path());
  ASSERT_TRUE(store);
  // A funding line of a source that does not exist: SQLite must refuse it.
  auto orphan = [&]() -> Status {
    ChangeSet cs;
    cs.Insert("funding", {Value::Int(77), Value::Int(999), Value::Int(1), Value::Text("x"),
                          Value::Text(""), Value::Int(1), Value::Int(0), Value::Text("GBP"),
                          Value::Text("")});
    RT_TRY((*store)->Begin());
    auto s = (*store)->Apply(cs, true);
    (*store)->Rollback();
    return s;
  };
  // After a session that commits, one that fails, and one abandoned.
  auto ok = (*store)->Import(Chunk({Rec("1", "Text", {To("A")})}), Actor{"cli:test"}, "x");
  ASSERT_TRUE(ok) << ok.error().message;
  auto r = orphan();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict) << r.error().message;
  EXPECT_FALSE((*store)->Import(Chunk({Rec("2", "Text", {To("A")})}), Actor{"cli:test"}, "x"));
  EXPECT_FALSE(orphan());
  {
    auto session = (*store)->StartImport(Actor{"cli:test"}, "x");
    ASSERT_TRUE(session);
  }
  r = orphan();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict) << r.error().message;
}

TEST(ImportChunksTest, OwnersMergedByAnotherConnectionAreSeen) {
  TempDb tmp;
  auto store = testing_util::OpenTestStore(tmp.path());
  ASSERT_TRUE(store);
  ImportBatch first = Chunk({Rec("1", "Text", {To("DCLG")}), Rec("2", "Text", {To("Communities")})});
  ASSERT_TRUE((*store)->Import(first, Actor{"cli:test"}, "x"));
  // Another connection makes DCLG another name of Communities (DCLG's own
  // owner row goes); this connection still knows DCLG's old id.
  {
    auto other = testing_util::OpenTestStore(tmp.path());
    ASSERT_TRUE(other);
    auto s = (*other)->SetAlias("DCLG", "Communities", Actor{"cli:other"});
    ASSERT_TRUE(s) << s.error().message;
  }
  ImportBatch more = Chunk({Rec("1", "More", {To("DCLG")})});
  more.sources[0].source.slug = "more";
  auto sum = (*store)->Import(more, Actor{"cli:test"}, "y");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->owners_created, 0);
  auto view = (*store)->GetRecommendation("more", "1");
  ASSERT_TRUE(view);
  ASSERT_EQ(view->assignments.size(), 1u);
  EXPECT_EQ(view->assignments[0].owner.name, "Communities");
}

TEST(SqliteImportChunksTest, FtsFlushesPendingTermsAtSixteenMegabytes) {
  TempDb tmp;
  ASSERT_TRUE(testing_util::OpenTestStore(tmp.path()));
  EXPECT_EQ(Query(tmp.path(), "SELECT v FROM recommendation_fts_config WHERE k = 'hashsize'"),
            "16777216");
  EXPECT_EQ(Query(tmp.path(), "PRAGMA user_version"),
            std::to_string(std::size(sqlite::kMigrations)));
}

}  // namespace
}  // namespace rectrack

// Merging, unmerging and renaming owners on a real store (SQLite file, or
// PostgreSQL as NAME/pg), each change checked against the ledger by `verify`;
// and the grouping suggest-aliases makes.
#include "app/owners.h"

#include <gtest/gtest.h>

#include "app/auth.h"
#include "app/chase.h"
#include "ingest/json_format.h"
#include "testing/test_store.h"

namespace rectrack {
namespace {

const Actor kActor{"cli:test"};

ImportBatch::RecommendationIn Rec(std::string ref, std::vector<std::string> owners) {
  ImportBatch::RecommendationIn r;
  r.recommendation.ref = std::move(ref);
  r.recommendation.text = "Do the thing " + r.recommendation.ref;
  for (auto& o : owners) {
    ImportBatch::AssignmentIn a;
    a.owner = std::move(o);
    r.assignments.push_back(std::move(a));
  }
  return r;
}

class OwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing_util::OpenTestStore(dir_.File("t.db"));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ImportBatch b;
    ImportBatch::SourceIn src;
    src.source.slug = "pfd-2019";
    src.source.kind = "pfd";
    src.source.title = "Reports";
    src.recommendations = {Rec("1", {"Surrey & Borders Partnership NHS Trust", "Surrey Police"}),
                           Rec("2", {"Surrey and Borders Partnership NHS Foundation Trust"}),
                           Rec("3", {"Surrey & Borders Partnership NHS Trust"})};
    b.sources = {src};
    ASSERT_TRUE(store_->Import(b, kActor, "test"));
    ASSERT_TRUE(store_->SetOwnerTier("Surrey & Borders Partnership NHS Trust", "nhs", kActor));
    ASSERT_TRUE(store_->SetAlias("SABP", "Surrey & Borders Partnership NHS Trust", kActor));
    ASSERT_TRUE(AddContact(*store_, "Surrey & Borders Partnership NHS Trust", "pfd@sabp.example",
                           "", "", kActor));
    ASSERT_TRUE(auth::CreateUser(*store_, "sam", "editor", {"Surrey & Borders Partnership NHS Trust"},
                           "a long pass phrase", kActor, auth::PasswordCost::kMinimal));
  }
  std::string Export() {
    auto b = store_->ExportAll();
    EXPECT_TRUE(b) << b.error().message;
    return b ? WriteNativeJson(*b) : "";
  }
  const Owner* Find(const std::vector<Owner>& owners, const std::string& name) {
    for (const auto& o : owners)
      if (o.name == name) return &o;
    return nullptr;
  }
  void ExpectVerified() {
    auto v = store_->Verify();
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->ok) << (v->problems.empty() ? "" : v->problems[0]);
  }
  testing_util::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(OwnersTest, UnmergeGivesBackWhatTheMergeMoved) {
  const std::string before = Export();
  auto owners = store_->ListOwners();
  ASSERT_TRUE(owners);
  const int64_t old_id = Find(*owners, "Surrey & Borders Partnership NHS Trust")->id;
  auto use = UseOfOwner(*store_, old_id);
  ASSERT_TRUE(use);
  EXPECT_EQ(use->assignments, 2);
  EXPECT_EQ(use->contacts, 1);
  EXPECT_EQ(use->aliases, 1);
  EXPECT_EQ(use->editors, 1);
  EXPECT_EQ(DescribeUse(*use), "2 assignments, 1 contact, 1 alias and 1 editor's account");

  ASSERT_TRUE(store_->SetAlias("Surrey & Borders Partnership NHS Trust",
                               "Surrey and Borders Partnership NHS Foundation Trust", kActor));
  EXPECT_NE(Export(), before);
  auto u = UnmergeOwner(*store_, "Surrey & Borders Partnership NHS Trust", kActor);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->from, "Surrey and Borders Partnership NHS Foundation Trust");
  EXPECT_EQ(u->moved_back.assignments, 2);
  EXPECT_EQ(u->moved_back.contacts, 1);
  EXPECT_EQ(u->moved_back.aliases, 1);
  EXPECT_EQ(u->moved_back.editors, 1);
  EXPECT_TRUE(u->stayed.empty());
  // Everything as it was: the owner with its id, name and tier, what it held.
  EXPECT_EQ(Export(), before);
  owners = store_->ListOwners();
  ASSERT_TRUE(owners);
  const Owner* back = Find(*owners, "Surrey & Borders Partnership NHS Trust");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, old_id);
  EXPECT_EQ(back->tier, "nhs");
  auto again = UseOfOwner(*store_, old_id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->editors, 1);
  EXPECT_EQ(again->contacts, 1);
  ExpectVerified();
  // Nothing left to undo.
  auto twice = UnmergeOwner(*store_, "Surrey & Borders Partnership NHS Trust", kActor);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("is an owner of its own"), std::string::npos);
  auto plain = UnmergeOwner(*store_, "SABP", kActor);
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message.find("never had assignments of its own"), std::string::npos);
}

TEST_F(OwnersTest, RowsALaterMergeCarriedOnComeBackToo) {
  ASSERT_TRUE(store_->SetAlias("Surrey & Borders Partnership NHS Trust",
                               "Surrey and Borders Partnership NHS Foundation Trust", kActor));
  // Then the owner it went into is itself merged into another, which carries
  // the rows along: they come back from there.
  ASSERT_TRUE(store_->SetAlias("Surrey and Borders Partnership NHS Foundation Trust",
                               "Surrey and Borders (all)", kActor));
  auto u = UnmergeOwner(*store_, "Surrey & Borders Partnership NHS Trust", kActor);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->from, "Surrey and Borders (all)");
  EXPECT_EQ(u->moved_back.assignments, 2);
  EXPECT_EQ(u->moved_back.contacts, 1);
  EXPECT_EQ(u->moved_back.aliases, 1);
  EXPECT_TRUE(u->stayed.empty());
  auto owners = store_->ListOwners();
  ASSERT_TRUE(owners);
  EXPECT_TRUE(Find(*owners, "Surrey & Borders Partnership NHS Trust"));
  ExpectVerified();
}

TEST_F(OwnersTest, RenameKeepsTheOwnerAndTheOldNameAsAnAlias) {
  auto owners = store_->ListOwners();
  ASSERT_TRUE(owners);
  const int64_t id = Find(*owners, "Surrey Police")->id;
  ASSERT_TRUE(RenameOwner(*store_, "Surrey Police", "Surrey Police (force)", kActor));
  owners = store_->ListOwners();
  ASSERT_TRUE(owners);
  const Owner* o = Find(*owners, "Surrey Police (force)");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->id, id);
  EXPECT_EQ(o->aliases, std::vector<std::string>{"Surrey Police"});
  // To one of its own aliases: the two swap.
  ASSERT_TRUE(RenameOwner(*store_, "Surrey Police (force)", "Surrey Police", kActor));
  owners = store_->ListOwners();
  o = Find(*owners, "Surrey Police");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->id, id);
  EXPECT_EQ(o->aliases, std::vector<std::string>{"Surrey Police (force)"});
  // Not to another owner's name or alias, nor from an alias.
  auto taken = RenameOwner(*store_, "Surrey Police", "SABP", kActor);
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message.find("--merge"), std::string::npos);
  EXPECT_FALSE(RenameOwner(*store_, "SABP", "Something", kActor));
  EXPECT_FALSE(RenameOwner(*store_, "Surrey Police", " padded", kActor));
  ExpectVerified();
}

TEST(SuggestAliasesTest, OneBodyWrittenFourWaysIsOneGroup) {
  const char* names[] = {"Surrey and Borders Partnership NHS Foundation Trust",
                         "Surrey and Borders NHS Partnership Trust",
                         "Surrey & Borders Partnership NHS Trust", "Surrey and Borders Partnership",
                         "Surrey Police", "Surrey County Council", "NHS England", "NHS England."};
  for (int i = 1; i < 4; ++i) EXPECT_EQ(OwnerNameKey(names[i]), OwnerNameKey(names[0])) << names[i];
  EXPECT_EQ(OwnerNameKey(names[0]), "borders surrey");
  EXPECT_NE(OwnerNameKey("Surrey Police"), OwnerNameKey("Surrey County Council"));
  std::vector<Owner> owners;
  std::vector<int64_t> held;
  for (size_t i = 0; i < std::size(names); ++i) {
    Owner o;
    o.id = static_cast<int64_t>(i) + 1;
    o.name = names[i];
    owners.push_back(o);
    held.push_back(i == 2 ? 5 : 1);
  }
  auto groups = SuggestAliases(owners, held);
  ASSERT_EQ(groups.size(), 2u);
  ASSERT_EQ(groups[0].names.size(), 4u);
  EXPECT_EQ(groups[0].names[0].name, "Surrey & Borders Partnership NHS Trust");  // holds most
  ASSERT_EQ(groups[1].names.size(), 2u);
  EXPECT_EQ(groups[1].names[0].name, "NHS England.");  // equal holdings: the fuller name
}

}  // namespace
}  // namespace rectrack

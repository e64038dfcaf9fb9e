#include "core/changes.h"

#include <gtest/gtest.h>

#include <string>

#include "core/signing.h"

namespace rectrack {
namespace {

using json = nlohmann::json;

EventPayload Sample() {
  EventPayload p;
  p.about = json{{"source", "harris-2016"}, {"part", 1}, {"last", true}, {"tags", {"a", "b"}}};
  p.changes.Insert("recommendations",
                   {Value::Int(7), Value::Int(1), Value::Text("R7"),
                    Value::Text("Quotes \" and \\ backslashes,\nnew lines,\ttabs, \x01 control, é, 日本"),
                    Value::Text("[\"x\"]"), Value::Text("2016-10-28"), Value::Null(), Value::Text(""),
                    Value::Text("")});
  p.changes.Insert("owners", {Value::Int(-3), Value::Text("Home Office"), Value::Text("central")});
  p.changes.Set("assignments", {Value::Int(14)}, "version", Value::Int(3));
  p.changes.Set("assignments", {Value::Int(14)}, "implementation", Value::Text("implemented"));
  p.changes.Set("assignments", {Value::Int(2)}, "due", Value::Null());
  p.changes.Delete("user_owners", {Value::Int(1), Value::Int(9)});
  return p;
}

TEST(ChangesTest, SerializeParseRoundTrips) {
  EventPayload p = Sample();
  auto text = SerializePayload(p);
  ASSERT_TRUE(text) << text.error().message;
  auto back = ParsePayload(*text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->about, p.about);
  ASSERT_EQ(back->changes.tables.size(), p.changes.tables.size());
  for (const auto& [name, t] : p.changes.tables) {
    const TableChanges& u = back->changes.tables.at(name);
    EXPECT_EQ(u.inserts, t.inserts) << name;
    EXPECT_EQ(u.updates, t.updates) << name;
    EXPECT_EQ(u.deletes, t.deletes) << name;
  }
  // And the bytes again: one canonical form.
  EXPECT_EQ(*SerializePayload(*back), *text);
}

TEST(ChangesTest, TheCanonicalFormIsNlohmannsCompactDump) {
  // So that anyone can reproduce it with an ordinary JSON library: parse, then
  // dump with sorted keys and no spaces.
  auto text = SerializePayload(Sample());
  ASSERT_TRUE(text);
  EXPECT_EQ(json::parse(*text).dump(), *text);
  EXPECT_NE(text->find("\"about\":{\"last\":true,\"part\":1,"), std::string::npos) << *text;
  EXPECT_NE(text->find("\\u0001"), std::string::npos);
  EXPECT_NE(text->find("\"update\":{\"assignments\":[[[2],{\"due\":null}],[[14],{\"implementation\""),
            std::string::npos)
      << *text;
  // Empty parts are left out.
  EventPayload bare;
  EXPECT_EQ(*SerializePayload(bare), "{\"about\":{},\"changes\":{}}");
}

TEST(ChangesTest, TextThatIsNotUtf8IsRefusedNotWritten) {
  EventPayload p;
  p.changes.Insert("owners", {Value::Int(1), Value::Text("Caf\xe9"), Value::Text("x")});
  auto text = SerializePayload(p);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("not valid UTF-8"), std::string::npos);
  EventPayload q;
  q.about = json{{"x", 1.5}};
  EXPECT_FALSE(SerializePayload(q));
}

TEST(ChangesTest, MalformedPayloadsAreErrorsNotCrashes) {
  for (const char* bad : {"", "{", "[]", "{}", "{\"about\":[]}", "{\"about\":{},\"changes\":{\"insert\":{\"t\":[[1,]]}}}",
                          "{\"about\":{},\"changes\":{\"insert\":{\"t\":[[1.5]]}}}",
                          "{\"about\":{},\"changes\":{\"insert\":{\"t\":[[99999999999999999999]]}}}",
                          "{\"about\":{},\"changes\":{\"remove\":{}}}",
                          "{\"about\":{},\"changes\":{\"update\":{\"t\":[[[1],{}]]}}}",
                          "{\"about\":{},\"changes\":{\"update\":{\"t\":[[[1],{\"a\":1}],[[1],{\"b\":2}]]}}}",
                          "{\"about\":{},\"changes\":{}} trailing",
                          "{\"about\":{},\"changes\":{\"insert\":{\"t\":[[\"\\ud800\"]]}}}",
                          "{\"about\":{},\"changes\":{\"insert\":{\"t\":[[\"\\q\"]]}}}",
                          "{\"about\":{},\"changes\":{\"insert\":{\"t\":[[\"a\nb\"]]}}}",
                          "{\"about\":{},\"about\":{}}"}) {
    auto p = ParsePayload(bad);
    EXPECT_FALSE(p) << bad;
    if (!p) {
      EXPECT_EQ(p.error().code, Error::Code::kCorrupt) << bad;
    }
  }
  // Deeply nested 'about' is refused, not recursed into without end.
  std::string deep = "{\"about\":{\"x\":" + std::string(10000, '[') + std::string(10000, ']') + "}}";
  EXPECT_FALSE(ParsePayload(deep));
}

TEST(ChangesTest, SplitPiecesKeepTheOrderAndTheBound) {
  ChangeSet cs;
  for (int i = 1; i <= 500; ++i) {
    cs.Insert("owners", {Value::Int(i), Value::Text(std::string(100, 'o')), Value::Text("t")});
    cs.Insert("recommendations", {Value::Int(i), Value::Int(1), Value::Text("R"), Value::Text(std::string(300, 'x')),
                                  Value::Text("[]"), Value::Null(), Value::Null(), Value::Text(""), Value::Text("")});
  }
  cs.Set("owners", {Value::Int(3)}, "tier", Value::Text("city"));
  cs.Delete("owners", {Value::Int(4)});
  ChangeSet copy = cs;
  const size_t kMax = 20000;
  auto pieces = SplitChangeSet(std::move(cs), kMax, {"owners", "recommendations"});
  ASSERT_GT(pieces.size(), 5u);
  // Each piece within the bound, and its real serialized size within its estimate.
  for (const auto& p : pieces) {
    EventPayload e;
    e.changes = p;
    auto text = SerializePayload(e);
    ASSERT_TRUE(text);
    EXPECT_LE(text->size(), kMax);
    EXPECT_LE(text->size(), SerializedBound(p));
  }
  // Read in order, the pieces are the whole: inserts (owners before
  // recommendations), then the update, then the delete.
  std::vector<std::string> order;
  ChangeSet joined;
  const std::vector<std::string> tables = {"owners", "recommendations"};
  for (auto& p : pieces) {
    // As a store applies a piece: inserts, updates, then deletes in reverse.
    for (const auto& n : tables)
      if (!p.tables[n].inserts.empty()) order.push_back("i:" + n);
    for (const auto& n : tables)
      if (!p.tables[n].updates.empty()) order.push_back("u:" + n);
    for (auto n = tables.rbegin(); n != tables.rend(); ++n)
      if (!p.tables[*n].deletes.empty()) order.push_back("d:" + *n);
    joined.Append(std::move(p));
  }
  EXPECT_EQ(joined.tables["owners"].inserts, copy.tables["owners"].inserts);
  EXPECT_EQ(joined.tables["recommendations"].inserts, copy.tables["recommendations"].inserts);
  EXPECT_EQ(joined.tables["owners"].updates, copy.tables["owners"].updates);
  EXPECT_EQ(joined.tables["owners"].deletes, copy.tables["owners"].deletes);
  EXPECT_EQ(order.front(), "i:owners");
  EXPECT_EQ(order.back(), "d:owners");
  auto first_rec = std::find(order.begin(), order.end(), "i:recommendations");
  auto update = std::find(order.begin(), order.end(), "u:owners");
  EXPECT_LT(first_rec, update);
  EXPECT_EQ(std::count(first_rec, order.end(), "i:owners"), 0);
}

TEST(ChangesTest, OneRowLargerThanTheBoundIsAPieceOfItsOwn) {
  ChangeSet cs;
  cs.Insert("publications", {Value::Int(1), Value::Text(std::string(5000, 's'))});
  cs.Insert("publications", {Value::Int(2), Value::Text("small")});
  auto pieces = SplitChangeSet(std::move(cs), 1000, {"publications"});
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].tables["publications"].inserts.size(), 1u);
  EXPECT_EQ(pieces[1].tables["publications"].inserts[0][0].i, 2);
}

TEST(ChangesTest, ValuesOrderAndDescribe) {
  EXPECT_LT(Value::Null(), Value::Int(-5));
  EXPECT_LT(Value::Int(-5), Value::Int(3));
  EXPECT_LT(Value::Int(99), Value::Text(""));
  EXPECT_LT(Value::Text("B"), Value::Text("a"));
  EXPECT_LT(Value::Text("z"), Value::Text("\xc3\xa9"));  // bytewise, as SQLite's BINARY
  EXPECT_EQ(Value::Null().Describe(), "NULL");
  EXPECT_EQ(Value::Int(12).Describe(), "12");
  EXPECT_EQ(Value::Text("a\nb").Describe(), "'a\\nb'");
  std::string long_text(200, 'x');
  EXPECT_NE(Value::Text(long_text).Describe().find("(200 bytes)"), std::string::npos);
}

TEST(SigningMessagesTest, HeadCheckpointAndRotationAreDistinctAndQuoted) {
  EXPECT_EQ(HeadSigningMessage(5, "ab"), "rectrack-head-v1\nledger_seq=5\nledger_hash=\"ab\"\n");
  EXPECT_EQ(CheckpointSigningMessage({5, "ab", "cd", "2026-12-06T00:00:00.000Z"}),
            "rectrack-checkpoint-v1\nledger_seq=5\nledger_hash=\"ab\"\nstate_digest=\"cd\"\n"
            "time=\"2026-12-06T00:00:00.000Z\"\n");
  EXPECT_EQ(KeyEndorsementMessage("old", "new", 9),
            "rectrack-key-rotation-v1\nprevious_key=\"old\"\npublic_key=\"new\"\nfirst_seq=9\n");
  // A signature of one kind never passes for another.
  auto key = GenerateSigningKey();
  auto sig = SignMessage(key.seed_hex, HeadSigningMessage(5, "ab"));
  ASSERT_TRUE(sig);
  EXPECT_TRUE(VerifySignature(key.public_key_hex, HeadSigningMessage(5, "ab"), *sig));
  EXPECT_FALSE(VerifySignature(key.public_key_hex, HeadSigningMessage(4, "ab"), *sig));
  EXPECT_FALSE(VerifySignature(key.public_key_hex,
                               CheckpointSigningMessage({5, "ab", "", ""}), *sig));
}

}  // namespace
}  // namespace rectrack

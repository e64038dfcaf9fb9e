#include "core/ledger.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace rectrack {
namespace {

testing::AssertionResult Mentions(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// ---- hashing ----

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Binary data, NUL bytes included, is hashed whole.
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a"));
}

TEST(Sha256Test, PartsHashAsTheWhole) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
  for (size_t step : {1, 3, 63, 64, 65, 999, 1000}) {
    Sha256 h;
    for (size_t at = 0; at < data.size(); at += step)
      h.Update(std::string_view(data).substr(at, step));
    EXPECT_EQ(h.HexDigest(), Sha256Hex(data)) << step;
  }
  Sha256 empty;
  EXPECT_EQ(empty.HexDigest(), Sha256Hex(""));
}

TEST(GenesisTest, SixtyFourZeros) { EXPECT_EQ(kGenesisHash, std::string(64, '0')); }

const std::string kTs = "2026-11-26T04:15:05.123Z";

TEST(EventHashTest, KnownValue) {
  // Computed independently (Python hashlib) from the documented layout: each of
  // "rectrack-ledger-v1", prev_hash, decimal seq, ts, actor, kind, payload as an
  // 8-byte big-endian length and its bytes. Existing ledgers depend on it.
  std::string h1 =
      ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", R"({"source":"harris-2016"})");
  EXPECT_EQ(h1, "65f730e426ca2d7b1d580bbddbffc4fb4eef8251c15e5f01510967e3028c8e9d");
  EXPECT_EQ(ComputeEventHash(h1, 2, "2026-11-26T04:16:00.000Z", "user:alice", "update",
                             R"({"assignment":7,"implementation":"implemented"})"),
            "f48b548d1ea833d48909e86bb19d568cccb930ba04f3d4a677dc107eb8669f30");
}

TEST(EventHashTest, DeterministicLowerHex) {
  std::string a = ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", "{}");
  std::string b = ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", "{}");
  EXPECT_EQ(a, b);
  EXPECT_TRUE(IsLowerHex64(a)) << a;
  EXPECT_NE(a, Sha256Hex("{}"));
}

TEST(EventHashTest, EveryFieldCounts) {
  const std::string base = ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", "{}");
  std::set<std::string> seen = {base};
  auto differs = [&](const std::string& h, const char* what) {
    EXPECT_NE(h, base) << what;
    EXPECT_TRUE(seen.insert(h).second) << what << " collides with another variant";
  };
  std::string other_prev = kGenesisHash;
  other_prev.back() = '1';
  differs(ComputeEventHash(other_prev, 1, kTs, "cli:root", "import", "{}"), "prev_hash");
  differs(ComputeEventHash(kGenesisHash, 2, kTs, "cli:root", "import", "{}"), "seq");
  differs(ComputeEventHash(kGenesisHash, -1, kTs, "cli:root", "import", "{}"), "negative seq");
  differs(ComputeEventHash(kGenesisHash, 1, "2026-11-26T04:15:05.124Z", "cli:root", "import", "{}"),
          "ts");
  differs(ComputeEventHash(kGenesisHash, 1, kTs, "cli:rooT", "import", "{}"), "actor");
  differs(ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "Import", "{}"), "kind");
  differs(ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", "{ }"), "payload");
  differs(ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", ""), "empty payload");
  differs(ComputeEventHash(kGenesisHash, 1, kTs, "cli:root", "import", std::string("{}\0", 3)),
          "trailing NUL");
}

TEST(EventHashTest, MovingBytesBetweenFieldsChangesTheHash) {
  auto h = [](std::string_view prev, int64_t seq, std::string_view ts, std::string_view actor,
              std::string_view kind, std::string_view payload) {
    return ComputeEventHash(prev, seq, ts, actor, kind, payload);
  };
  EXPECT_NE(h(kGenesisHash, 1, kTs, "ab", "c", "{}"), h(kGenesisHash, 1, kTs, "a", "bc", "{}"));
  EXPECT_NE(h(kGenesisHash, 1, kTs, "a", "b", "c"), h(kGenesisHash, 1, kTs, "a", "bc", ""));
  EXPECT_NE(h(kGenesisHash, 1, kTs, "", "ab", "c"), h(kGenesisHash, 1, kTs, "a", "b", "c"));
  EXPECT_NE(h(kGenesisHash, 1, "t", "x", "k", "p"), h(kGenesisHash, 1, "", "tx", "k", "p"));
  // prev_hash and ts share a boundary with seq.
  EXPECT_NE(h("ab", 1, "2", "a", "k", "p"), h("ab1", 2, "", "a", "k", "p"));
  EXPECT_NE(h("a", 12, "3", "x", "k", "p"), h("a", 1, "23", "x", "k", "p"));
  // Empty fields are not interchangeable either.
  EXPECT_NE(h("", 1, "", "", "", "x"), h("", 1, "", "", "x", ""));
}

// ---- chains ----

LedgerEvent Seal(LedgerEvent e) {
  e.hash = EventHash(e);
  return e;
}

// A well-formed chain of `n` events, hashed by `scheme` (2 unless said).
std::vector<LedgerEvent> MakeChain(int n, int scheme = 2) {
  std::vector<LedgerEvent> out;
  std::string prev = kGenesisHash;
  const char* kinds[] = {"import", "update", "alias", "publish"};
  for (int i = 1; i <= n; ++i) {
    LedgerEvent e;
    e.seq = i;
    e.ts = "2026-11-26T04:15:0" + std::to_string(i % 10) + ".000Z";
    e.actor = i % 2 ? "cli:root" : "user:alice";
    e.kind = kinds[i % 4];
    e.payload = R"({"n":)" + std::to_string(i) + "}";
    e.prev_hash = prev;
    e.scheme = scheme;
    e = Seal(e);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

// Feeds the chain; returns the verifier.
ChainVerifier Verify(const std::vector<LedgerEvent>& chain) {
  ChainVerifier v;
  for (const auto& e : chain) v.Add(e);
  return v;
}

TEST(ChainVerifierTest, EmptyChain) {
  ChainVerifier v;
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.count(), 0);
  EXPECT_EQ(v.head_seq(), 0);
  EXPECT_EQ(v.head_hash(), kGenesisHash);
  EXPECT_EQ(v.broken_seq(), 0);
  EXPECT_EQ(v.problem(), "");
}

TEST(ChainVerifierTest, ValidChain) {
  auto chain = MakeChain(6);
  ChainVerifier v;
  for (const auto& e : chain) EXPECT_TRUE(v.Add(e)) << e.seq << ": " << v.problem();
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.problem(), "");
  EXPECT_EQ(v.broken_seq(), 0);
  EXPECT_EQ(v.count(), 6);
  EXPECT_EQ(v.head_seq(), 6);
  EXPECT_EQ(v.head_hash(), chain.back().hash);
}

TEST(ChainVerifierTest, EditedPayload) {
  auto chain = MakeChain(5);
  chain[2].payload = R"({"n":33})";  // event 3, hash left as recorded
  ChainVerifier v;
  EXPECT_TRUE(v.Add(chain[0]));
  EXPECT_TRUE(v.Add(chain[1]));
  EXPECT_FALSE(v.Add(chain[2]));
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 3);
  EXPECT_TRUE(Mentions(v.problem(), "event 3"));
  EXPECT_TRUE(Mentions(v.problem(), "altered"));
  EXPECT_TRUE(Mentions(v.problem(), chain[2].kind));
  EXPECT_TRUE(Mentions(v.problem(), chain[2].actor));
  EXPECT_TRUE(Mentions(v.problem(), chain[2].hash));
  // The head stays at the last good event.
  EXPECT_EQ(v.head_seq(), 2);
  EXPECT_EQ(v.head_hash(), chain[1].hash);
  // Once broken it stops judging: later events neither pass nor change the report.
  const std::string problem = v.problem();
  EXPECT_FALSE(v.Add(chain[3]));
  EXPECT_FALSE(v.Add(chain[4]));
  EXPECT_EQ(v.problem(), problem);
  EXPECT_EQ(v.broken_seq(), 3);
  EXPECT_EQ(v.count(), 3);
}

TEST(ChainVerifierTest, EditedOtherFields) {
  for (int field = 0; field < 4; ++field) {
    auto chain = MakeChain(4);
    LedgerEvent& e = chain[1];
    if (field == 0) e.ts = "2026-11-26T04:15:09.000Z";
    if (field == 1) e.actor = "user:mallory";
    if (field == 2) e.kind = "publish";
    if (field == 3) e.hash[0] = e.hash[0] == 'a' ? 'b' : 'a';
    auto v = Verify(chain);
    EXPECT_FALSE(v.ok()) << field;
    EXPECT_EQ(v.broken_seq(), 2) << field;
    EXPECT_TRUE(Mentions(v.problem(), "event 2")) << field;
  }
}

TEST(ChainVerifierTest, EditedAndResealedEventBreaksTheNextLink) {
  auto chain = MakeChain(5);
  chain[2].payload = R"({"n":33})";
  chain[2] = Seal(chain[2]);
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 4);
  EXPECT_TRUE(Mentions(v.problem(), "event 4 does not link to event 3"));
}

TEST(ChainVerifierTest, DeletedMiddleEvent) {
  auto chain = MakeChain(5);
  chain.erase(chain.begin() + 2);  // event 3
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 4);
  EXPECT_TRUE(Mentions(v.problem(), "event 4"));
  EXPECT_TRUE(Mentions(v.problem(), "3..3 are missing"));
  EXPECT_EQ(v.head_seq(), 2);
}

TEST(ChainVerifierTest, DeletedAndRenumbered) {
  // Hiding the gap by renumbering the later events breaks their hashes.
  auto chain = MakeChain(5);
  chain.erase(chain.begin() + 2);
  for (size_t i = 2; i < chain.size(); ++i) --chain[i].seq;
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 3);
  EXPECT_TRUE(Mentions(v.problem(), "event 3"));
}

TEST(ChainVerifierTest, MissingFirstEvent) {
  auto chain = MakeChain(3);
  chain.erase(chain.begin());
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 2);
  EXPECT_TRUE(Mentions(v.problem(), "1..1 are missing"));
}

TEST(ChainVerifierTest, InsertedEventWithADuplicateSeq) {
  auto chain = MakeChain(4);
  // A forged event 3 that links properly to event 2, placed before the real one.
  LedgerEvent forged;
  forged.seq = 3;
  forged.ts = kTs;
  forged.actor = "user:mallory";
  forged.kind = "update";
  forged.payload = R"({"forged":true})";
  forged.prev_hash = chain[1].hash;
  chain.insert(chain.begin() + 2, Seal(forged));
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  // The forgery itself is well formed; the real event 3 after it is not.
  EXPECT_EQ(v.broken_seq(), 3);
  EXPECT_EQ(v.count(), 4);
  EXPECT_TRUE(Mentions(v.problem(), "event 3 comes after event 3"));
}

TEST(ChainVerifierTest, InsertedEventWithRenumbering) {
  auto chain = MakeChain(4);
  LedgerEvent forged;
  forged.seq = 3;
  forged.ts = kTs;
  forged.actor = "user:mallory";
  forged.kind = "update";
  forged.payload = R"({"forged":true})";
  forged.prev_hash = chain[1].hash;
  chain.insert(chain.begin() + 2, Seal(forged));
  for (size_t i = 3; i < chain.size(); ++i) ++chain[i].seq;
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 4);
  EXPECT_TRUE(Mentions(v.problem(), "event 4 does not link to event 3"));
}

TEST(ChainVerifierTest, ReorderedEvents) {
  auto chain = MakeChain(5);
  std::swap(chain[2], chain[3]);  // 1 2 4 3 5
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 4);
  EXPECT_TRUE(Mentions(v.problem(), "event 4"));
  EXPECT_EQ(v.head_seq(), 2);
}

TEST(ChainVerifierTest, ReorderedContentsUnderOriginalSeqs) {
  auto chain = MakeChain(5);
  std::swap(chain[2].payload, chain[3].payload);
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 3);
  EXPECT_TRUE(Mentions(v.problem(), "event 3"));
}

TEST(ChainVerifierTest, DuplicatedEvent) {
  auto chain = MakeChain(3);
  chain.insert(chain.begin() + 2, chain[1]);  // 1 2 2 3
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 2);
  EXPECT_TRUE(Mentions(v.problem(), "reordered or duplicated"));
}

TEST(ChainVerifierTest, WrongPrevHash) {
  auto chain = MakeChain(5);
  // Resealed, so only the link is wrong.
  chain[2].prev_hash = chain[0].hash;
  chain[2] = Seal(chain[2]);
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 3);
  EXPECT_TRUE(Mentions(v.problem(), "event 3 does not link to event 2"));
  EXPECT_TRUE(Mentions(v.problem(), chain[0].hash));
  EXPECT_TRUE(Mentions(v.problem(), chain[1].hash));
}

TEST(ChainVerifierTest, FirstEventMustLinkToGenesis) {
  auto chain = MakeChain(2);
  chain[0].prev_hash = std::string(64, 'f');
  chain[0] = Seal(chain[0]);
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 1);
  EXPECT_TRUE(Mentions(v.problem(), "event 1 does not link to event 0"));
  EXPECT_EQ(v.head_hash(), kGenesisHash);
}

// ---- hash schemes ----

TEST(EventHashTest, SchemeTwoKnownValue) {
  // Computed independently (Python hashlib) from the documented layout: the
  // content digest over "rectrack-event-v2", ts, actor, kind, payload, and the
  // link over "rectrack-ledger-v2", prev_hash, decimal seq, content digest;
  // each field an 8-byte big-endian length and its bytes.
  std::string d = EventContentDigest(kTs, "cli:root", "import", R"({"source":"harris-2016"})");
  EXPECT_EQ(d, "d6ea18205715365fa60a8921faca3d241851d9c171c7e0d91c1ad7e3f7f12877");
  EXPECT_EQ(LinkHash(kGenesisHash, 1, d),
            "e0b5855d6baf71407b4ec7bfca102467429e277fc7c940ef75ac609a2dee8a5f");
}

TEST(EventHashTest, SchemesDiffer) {
  LedgerEvent e = MakeChain(1, 1)[0];
  std::string v1 = EventHash(e);
  e.scheme = 2;
  EXPECT_NE(EventHash(e), v1);
  e.scheme = 3;
  EXPECT_EQ(EventHash(e), "");
}

TEST(ChainVerifierTest, OldSchemeChainsStillVerify) {
  auto chain = MakeChain(4, 1);
  auto v = Verify(chain);
  EXPECT_TRUE(v.ok()) << v.problem();
  EXPECT_EQ(v.head_seq(), 4);
}

TEST(ChainVerifierTest, SchemeGoesUpOnceNeverBack) {
  // A store made before the change: old events, then new ones.
  auto chain = MakeChain(2, 1);
  LedgerEvent e;
  e.seq = 3;
  e.ts = kTs;
  e.actor = "rectrack";
  e.kind = "baseline";
  e.payload = "{}";
  e.prev_hash = chain.back().hash;
  e.scheme = 2;
  chain.push_back(Seal(e));
  EXPECT_TRUE(Verify(chain).ok()) << Verify(chain).problem();
  // An old-scheme event after a new one is refused, even if well sealed.
  LedgerEvent back = chain.back();
  back.seq = 4;
  back.prev_hash = chain.back().hash;
  back.scheme = 1;
  chain.push_back(Seal(back));
  auto v = Verify(chain);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.broken_seq(), 4);
  EXPECT_TRUE(Mentions(v.problem(), "goes back to hash scheme 1"));
  // An unknown scheme is refused.
  auto odd = MakeChain(2);
  odd[1].scheme = 7;
  auto w = Verify(odd);
  EXPECT_FALSE(w.ok());
  EXPECT_TRUE(Mentions(w.problem(), "unknown hash scheme 7"));
}

TEST(ChainVerifierTest, LinksCheckWithoutTheContent) {
  // What a witness does with a consistency proof: only (seq, digest, hash).
  auto chain = MakeChain(5);
  std::string hash = chain[0].hash;
  for (size_t i = 1; i < chain.size(); ++i) {
    const LedgerEvent& e = chain[i];
    std::string digest = EventContentDigest(e.ts, e.actor, e.kind, e.payload);
    hash = LinkHash(hash, e.seq, digest);
    EXPECT_EQ(hash, e.hash);
  }
  // Another digest anywhere gives another head.
  EXPECT_NE(LinkHash(chain[0].hash, 2, std::string(64, '0')), chain[1].hash);
}

}  // namespace
}  // namespace rectrack

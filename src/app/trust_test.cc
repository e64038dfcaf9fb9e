// Verifiable state end to end (docs/trust.md): the key outside the store, its
// rotation, the upgrade of a store made by the previous build, rebuild from the
// ledger alone, checkpoints kept outside, and the verifier's incremental check.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/chase.h"
#include "app/checkpoints.h"
#include "app/service.h"
#include "ingest/json_format.h"
#include "ingest/presets.h"
#include "store/keyfile.h"
#include "store/rebuild.h"
#include "store/sqlite/schema.h"
#include "testing/test_store.h"
#include "store/verify.h"

namespace rectrack {
namespace {

// The latest SQLite migration: what every store is at once opened.
const int64_t kLatestSqliteSchema = static_cast<int64_t>(std::size(sqlite::kMigrations));

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing_util::RawDb;
using testing_util::TempDir;

const fs::path kRepo = fs::path(__FILE__).parent_path().parent_path().parent_path();
const Actor kCli{"cli:test"};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

std::string Export(Store& store) {
  auto b = store.ExportAll();
  EXPECT_TRUE(b) << b.error().message;
  return b ? WriteNativeJson(*b) : "";
}

// The Harris example with its publications, the PFD sample, a merge, an update.
void Load(Store& store) {
  auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "harris");
  ASSERT_TRUE(harris) << harris.error().message;
  ASSERT_TRUE(ImportWithPublications(store, *harris, kCli, "harris"));
  auto pfd = ImportPfd(ReadAll(kRepo / "tests/fixtures/pfd-sample.csv"), "pfd", {});
  ASSERT_TRUE(pfd) << pfd.error().message;
  ASSERT_TRUE(store.Import(*pfd, kCli, "pfd"));
  ASSERT_TRUE(store.SetAlias("Department of Health", "Department of Health and Social Care", kCli));
}

// ---- the key -------------------------------------------------------------------

TEST(KeyFileTest, TheKeyIsBesideTheStoreForItsOwnerAloneAndInNoTable) {
  TempDir d;
  const std::string db = d.File("t.db");
  std::string public_key;
  {
    auto store = testing_util::OpenTestStore(db);
    ASSERT_TRUE(store) << store.error().message;
    Load(**store);
    public_key = *(*store)->CurrentPublicKey();
  }
  struct stat st;
  ASSERT_EQ(stat((db + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto key = ReadKeyFile(db + ".key");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key_hex, public_key);
  // The seed is nowhere in the database's files, in hex or in bytes.
  unsigned char seed[32];
  for (int i = 0; i < 32; ++i)
    seed[i] = static_cast<unsigned char>(std::stoi(key->seed_hex.substr(i * 2, 2), nullptr, 16));
  for (const char* suffix : {"", "-wal"}) {  // an SQLite store's files
    if (!fs::exists(db + suffix)) continue;
    std::string bytes = ReadAll(db + suffix);
    EXPECT_EQ(bytes.find(key->seed_hex), std::string::npos) << suffix;
    EXPECT_EQ(bytes.find(std::string(reinterpret_cast<char*>(seed), 32)), std::string::npos) << suffix;
  }
  RawDb raw(db);
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM meta WHERE value LIKE '%" + key->seed_hex + "%'"), 0);
}

TEST(KeyFileTest, AKeyFileOthersMayReadIsRefusedAndReadsNeedNoKey) {
  TempDir d;
  const std::string db = d.File("t.db");
  ASSERT_TRUE(testing_util::OpenTestStore(db));
  ASSERT_EQ(chmod((db + ".key").c_str(), 0644), 0);
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);  // reading needs no key
  EXPECT_TRUE((*store)->ListSources());
  auto v = (*store)->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok);
  auto batch = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "h");
  auto imported = (*store)->Import(*batch, kCli, "h");
  ASSERT_FALSE(imported);
  EXPECT_NE(imported.error().message.find("chmod 600"), std::string::npos) << imported.error().message;
}

TEST(KeyFileTest, AnotherKeyIsRefusedAndTheEnvironmentsKeyServes) {
  TempDir d;
  const std::string db = d.File("t.db");
  std::string seed;
  {
    auto store = testing_util::OpenTestStore(db);
    ASSERT_TRUE(store);
    seed = ReadKeyFile(db + ".key")->seed_hex;
  }
  SigningKeyPair other = GenerateSigningKey();
  ASSERT_TRUE(WriteKeyFile(d.File("other.key"), other, true));
  auto wrong = testing_util::OpenTestStore(db, KeyOptions{d.File("other.key"), ""});
  ASSERT_TRUE(wrong);
  auto batch = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "h");
  auto w = (*wrong)->Import(*batch, kCli, "h");
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("is not this store's key"), std::string::npos) << w.error().message;
  // The seed itself, as a container gives it, with no file at all.
  fs::remove(db + ".key");
  auto env = testing_util::OpenTestStore(db, KeyOptions{"", seed});
  ASSERT_TRUE(env);
  auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "h");
  ASSERT_TRUE((*env)->Import(*harris, kCli, "h"));
  EXPECT_TRUE((*env)->Verify()->ok);
}

TEST(KeyRotationTest, ANewKeyEndorsedByTheOldAndOldPublicationsStillVerify) {
  TempDir d;
  const std::string db = d.File("t.db");
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  Load(**store);
  const std::string old_key = *(*store)->CurrentPublicKey();
  auto before = (*store)->GetPublication(1);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->signing_key, old_key);

  SigningKeyPair fresh = GenerateSigningKey();
  auto rotated = (*store)->RotateKey(fresh, kCli);
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->previous_key, old_key);
  EXPECT_EQ(*(*store)->CurrentPublicKey(), fresh.public_key_hex);
  EXPECT_EQ(ReadKeyFile(db + ".key")->public_key_hex, fresh.public_key_hex);
  EXPECT_FALSE(fs::exists(db + ".key.new"));
  auto keys = (*store)->TrackerKeys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_TRUE(VerifySignature(old_key, KeyEndorsementMessage(old_key, fresh.public_key_hex,
                                                              (*keys)[1].first_seq),
                              (*keys)[1].endorsement));
  // New publications are signed with the new key, old ones keep theirs.
  auto pub = PublishSource(**store, "harris-2016", *Date::ParseIso("2018-01-01"), "New key", kCli);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->signing_key, fresh.public_key_hex);
  for (int64_t id : {int64_t{1}, pub->id}) {
    auto p = (*store)->GetPublication(id);
    ASSERT_TRUE(p);
    auto own = CheckPublication(**store, *p);
    ASSERT_TRUE(own);
    EXPECT_TRUE(own->empty()) << Joined(*own);
  }
  VerifyOptions o;
  o.operator_key = fresh.public_key_hex;
  o.trusted_key = old_key;  // an outsider who pinned the first key follows the endorsement
  auto v = VerifyStore(**store, o);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_EQ(v->keys, 2);
}

// A store made by the build before the chase tables (tests/fixtures/stores/
// v4.db): its checkpoints' digests were computed by that build, without them.
TEST(SqliteChaseTablesMigrationTest, CheckpointsOfTheBuildBeforeStillVerify) {
  TempDir d;
  const std::string db = d.File("v4.db");
  fs::copy_file(kRepo / "tests/fixtures/stores/v4.db", db);
  fs::copy_file(kRepo / "tests/fixtures/stores/v4.db.key", db + ".key");
  fs::permissions(db + ".key", fs::perms::owner_read | fs::perms::owner_write);
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store) << store.error().message;
  {
    RawDb raw(db);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), kLatestSqliteSchema);
  }
  VerifyOptions o;
  std::ifstream cp(kRepo / "tests/fixtures/stores/v4-checkpoint.json");
  std::stringstream text;
  text << cp.rdbuf();
  auto parsed = ParseCheckpointDoc(nlohmann::json::parse(text.str()));
  ASSERT_TRUE(parsed) << parsed.error().message;
  o.checkpoints.push_back(*parsed);
  auto v = VerifyStore(**store, o);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_EQ(v->checkpoints, 2);  // in the ledger; the one given is checked besides
}

// A store made before the chase tables (schema 4 on SQLite, 1 on PostgreSQL)
// gets them on opening, with no event and no baseline; its checkpoints, whose
// state digests were computed without those tables, still verify.
TEST(ChaseTablesMigrationTest, AStoreWithoutThemGainsThemAndItsCheckpointsStillHold) {
  TempDir d;
  const std::string db = d.File("t.db");
  int64_t events = 0;
  {
    auto store = testing_util::OpenTestStore(db);
    ASSERT_TRUE(store);
    auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "h");
    ASSERT_TRUE((*store)->Import(*harris, kCli, "h"));
    ASSERT_TRUE(MakeCheckpoint(**store, kCli));
    events = (*store)->Head()->seq;
  }
  {
    RawDb raw(db);
    ASSERT_TRUE(raw.ok()) << raw.error();
    // And what came after them (document_drafts), as such a store had not.
    ASSERT_EQ(raw.Exec("DROP TABLE document_drafts; DROP TABLE assignment_targets; "
                       "DROP TABLE chase_items; DROP TABLE outbox; "
                       "DROP TABLE chase_schedules; DROP TABLE user_emails; "
                       "DROP TABLE owner_contacts"),
              RawDb::kOk);
    ASSERT_EQ(raw.Exec(raw.postgres() ? "UPDATE rectrack_schema SET version = 1"
                                      : "PRAGMA user_version = 4"),
              RawDb::kOk);
  }
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_TRUE((*store)->TakeNotices().empty());  // no baseline, nothing moved
  EXPECT_EQ((*store)->Head()->seq, events);
  auto v = (*store)->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_EQ(v->checkpoints, 1);
  // And the new tables work.
  ASSERT_TRUE(AddContact(**store, "Home Office", "ho@example.org", "", "", kCli));
  v = (*store)->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
}

TEST(KeyRotationTest, ARotationCutShortBeforeItsKeyFileWasRenamedIsFinished) {
  TempDir d;
  const std::string db = d.File("t.db");
  SigningKeyPair fresh = GenerateSigningKey();
  std::string old_seed;
  {
    auto store = testing_util::OpenTestStore(db);
    ASSERT_TRUE(store);
    old_seed = ReadKeyFile(db + ".key")->seed_hex;
    ASSERT_TRUE((*store)->RotateKey(fresh, kCli));
  }
  // As if the process had died after the commit and before the rename.
  ASSERT_TRUE(WriteKeyFile(db + ".key.new", fresh, false));
  ASSERT_TRUE(WriteKeyFile(db + ".key", *SigningKeyFromSeed(old_seed), false));
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  auto harris = ReadNativeJson(ReadAll(kRepo / "examples/harris/harris-2016.json"), "h");
  ASSERT_TRUE((*store)->Import(*harris, kCli, "h"));
  EXPECT_EQ(ReadKeyFile(db + ".key")->public_key_hex, fresh.public_key_hex);
  EXPECT_FALSE(fs::exists(db + ".key.new"));
  auto notices = (*store)->TakeNotices();
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices[0].find("finished a key rotation"), std::string::npos);
}

// ---- a store made by the previous build ------------------------------------------

TEST(SqliteUpgradeTest, AStoreOfTheEarlierBuildIsUpgradedWithABaselineAndItsKeyMovedOut) {
  TempDir d;
  const std::string db = d.File("v3.db");
  fs::copy_file(kRepo / "tests/fixtures/stores/v3.db", db);
  std::string old_seed;
  {
    RawDb raw(db);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), 3);
    old_seed = raw.Text("SELECT value FROM meta WHERE key = 'signing_key_seed'");
  }
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store) << store.error().message;
  auto notices = (*store)->TakeNotices();
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_NE(notices[0].find("moved the tracker's signing key out of the store"), std::string::npos);
  EXPECT_NE(notices[1].find("baseline"), std::string::npos);
  // The key is in the file, and nowhere in the store any more.
  EXPECT_EQ(ReadKeyFile(db + ".key")->seed_hex, old_seed);
  {
    RawDb raw(db);
    EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM meta WHERE key LIKE 'signing%'"), 0);
    EXPECT_EQ(raw.Int("PRAGMA user_version"), kLatestSqliteSchema);
  }
  for (const char* suffix : {"", "-wal"}) {
    if (fs::exists(db + suffix)) {
      EXPECT_EQ(ReadAll(db + suffix).find(old_seed), std::string::npos) << suffix;
    }
  }
  // Nothing the public reads changed.
  EXPECT_EQ(Export(**store), ReadAll(kRepo / "tests/fixtures/stores/v3-export.json"));
  // Everything is checked from the baseline on; the old events as a chain.
  auto v = (*store)->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_EQ(v->full_from, 22);
  EXPECT_EQ(v->publications, 3);
  // Its publications, signed before, still check out with the moved key.
  for (int64_t id : {1, 2, 3}) {
    auto p = (*store)->GetPublication(id);
    ASSERT_TRUE(p);
    auto own = CheckPublication(**store, *p);
    ASSERT_TRUE(own);
    EXPECT_TRUE(own->empty()) << id << ": " << Joined(*own);
  }
  // It takes writes, which are checked like any other.
  auto a = (*store)->GetRecommendation("harris-2016", "G3");
  ASSERT_TRUE(a);
  Update u;
  u.date = *Date::ParseIso("2019-06-01");
  u.narrative = "after the upgrade";
  ASSERT_TRUE((*store)->AddUpdate(a->assignments[0].assignment.id, u, kCli));
  ASSERT_TRUE(PublishSource(**store, "harris-2016", *Date::ParseIso("2019-06-30"), "June", kCli));
  v = (*store)->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  // Opening it again changes nothing.
  const std::string after = RawDb(db).Dump();
  store->reset();
  ASSERT_TRUE(OpenSqliteStore(db));
  EXPECT_EQ(RawDb(db).Dump(), after);
  // And an edit of what the baseline holds is caught.
  ASSERT_EQ(RawDb(db).Exec("UPDATE users SET role = 'admin' WHERE name = 'eddie'"), testing_util::RawDb::kOk);
  auto reopened = OpenSqliteStore(db);
  v = (*reopened)->Verify();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_NE(Joined(v->problems).find("column role: the ledger says 'editor'"), std::string::npos)
      << Joined(v->problems);
}

// ---- rebuild ---------------------------------------------------------------------

// `same_engine`: both stores on one engine, whose search answers the same
// (SQLite's FTS5 and PostgreSQL's tsvector rank differently: docs/postgres.md).
void ExpectRebuildIsTheSame(Store& live, const std::string& target, bool same_engine = true) {
  auto rebuilt = testing_util::CreateEmptyTestStore(target);
  ASSERT_TRUE(rebuilt) << rebuilt.error().message;
  // The target signs its head with the live store's key: give it the same key.
  auto sum = Rebuild(live, **rebuilt);
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(Export(**rebuilt), Export(live));
  auto a = StateDigest(live);
  auto b = StateDigest(**rebuilt);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto v = (*rebuilt)->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  // Search answers the same.
  for (const char* q : {"mental health", "police", "ambulance"}) {
    if (!same_engine) break;
    auto x = live.Search(q, 50);
    auto y = (*rebuilt)->Search(q, 50);
    ASSERT_TRUE(x && y);
    ASSERT_EQ(x->size(), y->size()) << q;
    for (size_t i = 0; i < x->size(); ++i) EXPECT_EQ((*x)[i].snippet, (*y)[i].snippet) << q;
  }
}

TEST(RebuildTest, TheExamplesRebuiltFromTheLedgerAloneExportTheSameBytes) {
  TempDir d;
  const std::string db = d.File("live.db");
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  Load(**store);
  auto a = (*store)->GetRecommendation("harris-2016", "G3");
  Update u;
  u.date = *Date::ParseIso("2018-06-04");
  u.implementation = Implementation::kImplemented;
  u.narrative = "CONTEST 2018 published";
  ASSERT_TRUE((*store)->AddUpdate(a->assignments[0].assignment.id, u, kCli));
  ASSERT_TRUE((*store)->SetOwnerTier("Port of London Authority", "regulator", kCli));
  // The rebuilt store signs its head with the same key, copied beside it.
  fs::copy_file(db + ".key", d.File("rebuilt.db.key"));
  ExpectRebuildIsTheSame(**store, d.File("rebuilt.db"));
}

TEST(RebuildTest, TheUprDataRebuiltFromTheLedgerAloneExportsTheSameBytes) {
  TempDir d;
  const std::string db = d.File("upr.db");
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  for (int year = 2008; year <= 2011; ++year) {
    std::string raw = ReadAll(kRepo / "tests/fixtures/upr" / ("upr-" + std::to_string(year) + ".csv"));
    auto batch = ImportUpr(raw, "upr", PresetOptions{});
    ASSERT_TRUE(batch) << batch.error().message;
    auto sum = (*store)->Import(*batch, kCli, "upr");
    ASSERT_TRUE(sum) << sum.error().message;
  }
  // Big enough to be several events (4 MB each at most).
  int64_t imports = 0;
  ASSERT_TRUE((*store)->ForEachEvent([&](const LedgerEvent& e) {
    if (e.kind == "import") {
      ++imports;
      EXPECT_LE(e.payload.size(), size_t{4} << 20);
    }
    return true;
  }));
  EXPECT_GE(imports, 4);
  fs::copy_file(db + ".key", d.File("rebuilt.db.key"));
  ExpectRebuildIsTheSame(**store, d.File("rebuilt.db"));
}

TEST(RebuildTest, AStoreOfTheEarlierBuildRebuildsFromItsBaseline) {
  TempDir d;
  const std::string db = d.File("v3.db");
  fs::copy_file(kRepo / "tests/fixtures/stores/v3.db", db);
  // The fixture is an SQLite file; the rebuilt store is on the engine under test.
  auto store = OpenSqliteStore(db);
  ASSERT_TRUE(store);
  fs::copy_file(db + ".key", d.File("rebuilt.db.key"));
  ExpectRebuildIsTheSame(**store, d.File("rebuilt.db"), !testing_util::UsingPostgres());
  // Secrets are not in the ledger: the rebuilt users have no password yet.
  RawDb raw(d.File("rebuilt.db"));
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM users WHERE password_hash <> ''"), 0);
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM users"), 3);
}

TEST(RebuildTest, ABrokenLedgerIsNotRebuilt) {
  TempDir d;
  const std::string db = d.File("live.db");
  {
    auto store = testing_util::OpenTestStore(db);
    Load(**store);
  }
  {
    RawDb raw(db);
    ASSERT_EQ(raw.DropLedgerTriggers(), RawDb::kOk) << raw.error();
    ASSERT_EQ(raw.Exec("UPDATE ledger SET actor = 'x' WHERE seq = 2"), RawDb::kOk) << raw.error();
  }
  auto store = testing_util::OpenTestStore(db);
  auto target = testing_util::CreateEmptyTestStore(d.File("r.db"));
  ASSERT_TRUE(target);
  auto sum = Rebuild(**store, **target);
  ASSERT_FALSE(sum);
  EXPECT_NE(sum.error().message.find("the ledger is broken"), std::string::npos);
  EXPECT_EQ((*target)->Head()->seq, 0);
  // A target that is not new is refused.
  EXPECT_FALSE(testing_util::CreateEmptyTestStore(db));
}

// ---- checkpoints and the incremental check -------------------------------------------

// `c` signed again with `seed`, as whoever holds the key could.
Checkpoint Resigned(Checkpoint c, const std::string& seed) {
  c.signature = *SignMessage(
      seed, CheckpointSigningMessage({c.ledger_seq, c.ledger_hash, c.state_digest, c.time}));
  return c;
}

TEST(CheckpointTest, KeptCheckpointsCatchARollbackAndAFork) {
  TempDir d;
  const std::string db = d.File("t.db");
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  Load(**store);
  auto cps = (*store)->Checkpoints();
  ASSERT_TRUE(cps);
  ASSERT_EQ(cps->size(), 2u);
  // A checkpoint document round-trips; an altered one does not parse.
  json doc = CheckpointDoc(cps->back());
  auto parsed = ParseCheckpointDoc(doc);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->ledger_hash, cps->back().ledger_hash);
  doc["state_digest"] = std::string(64, '1');
  EXPECT_FALSE(ParseCheckpointDoc(doc));
  // Made now, its state digest is the replayed state's.
  auto made = MakeCheckpoint(**store, kCli);
  ASSERT_TRUE(made) << made.error().message;
  auto digest = StateDigest(**store);
  ASSERT_TRUE(digest);
  EXPECT_NE(made->state_digest, *digest);  // the checkpoint's own row came after it
  VerifyOptions o;
  o.checkpoints = {cps->front(), *made};
  auto v = VerifyStore(**store, o);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  // A checkpoint from the future of this file: a rollback.
  const std::string seed = ReadKeyFile(db + ".key")->seed_hex;
  Checkpoint later = *made;
  later.ledger_seq += 5;
  o.checkpoints = {Resigned(later, seed)};
  v = VerifyStore(**store, o);
  EXPECT_FALSE(v->ok);
  EXPECT_NE(Joined(v->problems).find("cut short or rolled back"), std::string::npos);
  // One that names another hash at an event this ledger has: a fork.
  Checkpoint forked = cps->front();
  forked.ledger_hash = std::string(64, 'a');
  o.checkpoints = {Resigned(forked, seed)};
  v = VerifyStore(**store, o);
  EXPECT_FALSE(v->ok);
  EXPECT_NE(Joined(v->problems).find("(a fork)"), std::string::npos);
  // One with a state digest the ledger's state does not have there.
  Checkpoint wrong_state = cps->front();
  wrong_state.state_digest = std::string(64, 'b');
  o.checkpoints = {Resigned(wrong_state, seed)};
  v = VerifyStore(**store, o);
  EXPECT_FALSE(v->ok);
  EXPECT_NE(Joined(v->problems).find("the state the ledger gives there has digest"), std::string::npos);
}

TEST(VerifierTest, TheIncrementalCheckSeesNewRowsARewriteAndARollback) {
  TempDir d;
  const std::string db = d.File("t.db");
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  Load(**store);
  testing_util::CopyTestStore(db, d.File("older.db"));
  auto verifier = Verifier::Create();
  ASSERT_TRUE(verifier);
  auto first = (*verifier)->Full(**store, VerifyOptions{});
  ASSERT_TRUE(first && first->ok);
  // New events: only they are replayed, and the rows they changed compared.
  auto a = (*store)->GetRecommendation("harris-2016", "G3");
  Update u;
  u.date = *Date::ParseIso("2018-06-04");
  u.narrative = "checked incrementally";
  ASSERT_TRUE((*store)->AddUpdate(a->assignments[0].assignment.id, u, kCli));
  auto inc = (*verifier)->Incremental(**store, VerifyOptions{});
  ASSERT_TRUE(inc);
  EXPECT_TRUE(inc->ok) << Joined(inc->problems);
  int64_t compared = 0;
  for (const auto& [t, n] : inc->rows_checked) compared += n;
  EXPECT_EQ(compared, 2);  // the update and its assignment's version
  // A row a new event changes, forged after the event: caught.
  ASSERT_TRUE((*store)->SetOwnerTier("Home Office", "city", kCli));
  ASSERT_EQ(RawDb(db).Exec("UPDATE owners SET tier = 'private' WHERE name = 'Home Office'"), testing_util::RawDb::kOk);
  inc = (*verifier)->Incremental(**store, VerifyOptions{});
  ASSERT_TRUE(inc);
  EXPECT_FALSE(inc->ok);
  EXPECT_NE(Joined(inc->problems).find("column tier: the ledger says 'city', the table says 'private'"),
            std::string::npos)
      << Joined(inc->problems);
  // After a failure the next check is a full one; put right, it passes.
  ASSERT_EQ(RawDb(db).Exec("UPDATE owners SET tier = 'city' WHERE name = 'Home Office'"), testing_util::RawDb::kOk);
  inc = (*verifier)->Incremental(**store, VerifyOptions{});
  ASSERT_TRUE(inc);
  EXPECT_TRUE(inc->ok) << Joined(inc->problems);
  // The store swapped for an older copy: the events checked are gone.
  store->reset();
  testing_util::CopyTestStore(d.File("older.db"), db);
  auto older = testing_util::OpenTestStore(db);
  ASSERT_TRUE(older);
  inc = (*verifier)->Incremental(**older, VerifyOptions{});
  ASSERT_TRUE(inc);
  EXPECT_FALSE(inc->ok);
  EXPECT_NE(Joined(inc->problems).find("rolled back"), std::string::npos) << Joined(inc->problems);
}

TEST(VerifierTest, CompareSourceSeesARowMovedToAnotherSource) {
  TempDir d;
  const std::string db = d.File("t.db");
  auto store = testing_util::OpenTestStore(db);
  ASSERT_TRUE(store);
  Load(**store);
  auto verifier = Verifier::Create();
  ASSERT_TRUE((*verifier)->Full(**store, VerifyOptions{})->ok);
  auto harris = (*store)->GetSource("harris-2016");
  std::vector<std::string> problems;
  ASSERT_TRUE((*verifier)->CompareSource(**store, harris->id, &problems));
  EXPECT_TRUE(problems.empty()) << Joined(problems);
  ASSERT_EQ(RawDb(db).Exec("UPDATE recommendations SET source_id = 2 WHERE id = 1"), testing_util::RawDb::kOk);
  ASSERT_TRUE((*verifier)->CompareSource(**store, harris->id, &problems));
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("recommendations, id 1, column source_id"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace rectrack

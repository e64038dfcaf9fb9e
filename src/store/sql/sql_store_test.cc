// Tests of the SQL store against real databases: SQLite files in a temporary
// directory, and (run again as NAME/pg) schemas of a throw-away PostgreSQL
// cluster (src/testing/test_store.h). Where a test needs to see or change what
// the Store hides (the raw ledger rows), it uses a second connection to edit
// the database as an attacker with write access would; SqliteStoreTest reaches
// SQLite's own connection (its PRAGMAs) through an auto-extension.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <set>
#include <string>
#include <vector>

#include "core/ledger.h"
#include "ingest/json_format.h"
#include "nlohmann/json.hpp"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_db.h"
#include "testing/test_store.h"
#include "store/store.h"
#include "store/verify.h"

namespace rectrack {
namespace {

using json = nlohmann::json;
using testing_util::RawDb;
using testing_util::TempDir;

const Actor kAlice{"test:alice"};
const Actor kBob{"test:bob"};

testing::AssertionResult Mentions(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

Date D(std::string_view iso) {
  auto d = Date::ParseIso(iso);
  if (!d) throw std::runtime_error("bad test date");
  return *d;
}

// ---- sample data -----------------------------------------------------------

ImportBatch::AssignmentIn Assign(std::string owner) {
  ImportBatch::AssignmentIn a;
  a.owner = std::move(owner);
  return a;
}

ImportBatch::RecommendationIn Rec(std::string ref, std::string text) {
  ImportBatch::RecommendationIn r;
  r.recommendation.ref = std::move(ref);
  r.recommendation.text = std::move(text);
  return r;
}

ImportBatch::SourceIn Src(std::string slug) {
  ImportBatch::SourceIn s;
  s.source.slug = slug;
  s.source.kind = "review";
  s.source.title = "Review " + slug;
  s.source.vocabulary = "canonical";
  return s;
}

// A review with declared owners (tiers, aliases), a batch alias, an owner known
// only through an alias, an owner created as written, updates and funding.
ImportBatch HarrisBatch(const std::string& slug = "harris-2016") {
  ImportBatch b;
  Owner ho;
  ho.name = "Home Office";
  ho.tier = "central_government";
  ho.aliases = {"HO"};
  Owner lfb;
  lfb.name = "London Fire Brigade";
  lfb.tier = "emergency_service";
  lfb.aliases = {"LFB"};
  b.owners = {ho, lfb};
  b.aliases = {{"the Met", "Metropolitan Police Service"}};

  ImportBatch::SourceIn s = Src(slug);
  s.source.title = "London's preparedness to respond to a major terrorist incident";
  s.source.author = "Lord Harris";
  s.source.commissioned_by = "Mayor of London";
  s.source.date = D("2016-10-28");
  s.source.url = "https://example.org/harris";
  s.source.recorded_on = D("2017-10-25");
  s.source.stated_total = 127;
  s.source.notes = "Only the itemised recommendations.";

  auto r1 = Rec("R1", "Firearms officers and the fire brigade should train together");
  r1.recommendation.themes = {"training", "firearms"};
  r1.recommendation.made = D("2016-10-28");
  r1.recommendation.target = D("2017-10-28");
  r1.recommendation.url = "https://example.org/harris#r1";
  auto ho_r1 = Assign("HO");  // resolves to Home Office
  ho_r1.assignment.due = D("2017-01-31");
  ho_r1.assignment.initial.response = ResponseKind::kAccepted;
  ho_r1.assignment.initial.response_text = "The department accepts this recommendation";
  ho_r1.assignment.initial.response_date = D("2017-01-15");
  ho_r1.assignment.initial.recorded_status = ResponseStatus::kResponded;
  ho_r1.assignment.initial.implementation = Implementation::kInProgress;
  ho_r1.assignment.raw_status = "In progress";
  ho_r1.assignment.raw_response = "Accepted";
  Update u;
  u.date = D("2017-06-01");
  u.implementation = Implementation::kImplemented;
  u.narrative = "Joint exercises took place in every borough";
  u.evidence = {"https://example.org/evidence/1"};
  u.author = "HO desk";
  ho_r1.updates.push_back(u);
  auto lfb_r1 = Assign("London Fire Brigade");
  lfb_r1.assignment.raw_status = "Not started";
  r1.assignments = {ho_r1, lfb_r1};

  auto r2 = Rec("R2", "River security on the Thames should be reviewed");
  r2.assignments = {Assign("the Met"), Assign("Port of London Authority")};

  s.recommendations = {r1, r2};
  ImportBatch::FundingIn f;
  f.owner = "HO";
  f.line.item = "Capital cities grant";
  f.line.period = "per year";
  f.line.cost = 346000000;
  f.line.funded = 174000000;
  f.line.currency = "GBP";
  f.line.note = "bid against grant";
  s.funding = {f};
  b.sources = {s};
  return b;
}

// One source with the given recommendations, each assigned to `owner`.
ImportBatch SimpleBatch(const std::string& slug, const std::vector<std::string>& refs,
                        const std::string& owner = "Home Office") {
  ImportBatch b;
  auto s = Src(slug);
  for (const auto& ref : refs) {
    auto r = Rec(ref, "Recommendation " + ref + " of " + slug);
    r.assignments = {Assign(owner)};
    s.recommendations.push_back(r);
  }
  b.sources = {s};
  return b;
}

// ---- fixture ---------------------------------------------------------------

// No row names a row that is not there. SQLite's checks are off during a bulk
// import (ForeignKeysForImport), so they are run here; PostgreSQL checks every
// reference as it is written, always.
void ExpectNoDanglingReferences(const std::string& path) {
  if (testing_util::UsingPostgres()) return;
  RawDb raw(path);
  EXPECT_TRUE(raw.Rows("PRAGMA foreign_key_check").empty());
}

// The store under test: an SQLite file, or a PostgreSQL schema when the
// tests run on PostgreSQL (src/testing/test_store.h).
class StoreTest : public testing::Test {
 protected:
  std::unique_ptr<Store> Open() { return Open(path_name_); }
  std::unique_ptr<Store> Open(const std::string& name) {
    auto s = testing_util::OpenTestStore(dir_.File(name));
    EXPECT_TRUE(s.has_value()) << s.error().message;
    if (!s) return nullptr;
    return std::move(*s);
  }

  std::vector<LedgerEvent> Events(Store& store) {
    std::vector<LedgerEvent> out;
    auto s = store.ForEachEvent([&](const LedgerEvent& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return out;
  }

  int64_t AssignmentId(Store& store, const std::string& slug, const std::string& ref,
                       const std::string& owner) {
    auto v = store.GetRecommendation(slug, ref);
    EXPECT_TRUE(v.has_value()) << v.error().message;
    if (!v) return 0;
    for (const auto& a : v->assignments)
      if (a.owner.name == owner) return a.assignment.id;
    ADD_FAILURE() << "no assignment of " << owner << " on " << slug << "/" << ref;
    return 0;
  }

  std::string Dump() {
    RawDb raw(path());
    return raw.Dump();
  }

  std::string path() const { return dir_.File(path_name_); }

  TempDir dir_;
  std::string path_name_ = "rectrack.db";
};

// What only SQLite has: its file, its pragmas, its schema version.
class SqliteStoreTest : public StoreTest {};

// ---- opening ---------------------------------------------------------------

// Records every connection SQLite opens while alive, so a test can query the
// PRAGMAs of the Store's own connection (they are per connection).
class ConnectionSpy {
 public:
  ConnectionSpy() {
    current_ = this;
    sqlite3_auto_extension(reinterpret_cast<void (*)(void)>(&Entry));
  }
  ~ConnectionSpy() {
    sqlite3_cancel_auto_extension(reinterpret_cast<void (*)(void)>(&Entry));
    current_ = nullptr;
  }
  const std::vector<sqlite3*>& opened() const { return opened_; }

 private:
  static int Entry(sqlite3* db, char**, const sqlite3_api_routines*) {
    if (current_) current_->opened_.push_back(db);
    return SQLITE_OK;
  }
  static inline ConnectionSpy* current_ = nullptr;
  std::vector<sqlite3*> opened_;
};

std::string Pragma(sqlite3* db, const std::string& name) {
  sqlite3_stmt* st = nullptr;
  std::string sql = "PRAGMA " + name;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return "<error>";
  std::string out = "<no row>";
  if (sqlite3_step(st) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}

TEST_F(SqliteStoreTest, OpenCreatesTheSchema) {
  auto store = Open();
  ASSERT_TRUE(store);
  RawDb raw(path());
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.Int("PRAGMA user_version"), static_cast<int64_t>(std::size(sqlite::kMigrations)));
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");  // recorded in the file
  for (const char* t : {"meta", "owners", "owner_aliases", "sources", "recommendations",
                        "assignments", "updates", "funding", "publications", "ledger",
                        "recommendation_fts", "ledger_no_update", "ledger_no_delete"})
    EXPECT_TRUE(raw.HasTable(t)) << t;
  // A new store's first event is its key's public half; the key itself is in a
  // file beside it, readable by its owner only, and in no table.
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM ledger"), 1);
  EXPECT_EQ(raw.Text("SELECT kind FROM ledger WHERE seq = 1"), "tracker_key");
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 1);
  auto keys = store->TrackerKeys();
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].first_seq, 1);
  struct stat st;
  ASSERT_EQ(stat((path() + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM meta WHERE key LIKE '%seed%'"), 0);
}

TEST_F(SqliteStoreTest, ConnectionPragmas) {
  std::unique_ptr<Store> store;
  sqlite3* conn = nullptr;
  {
    ConnectionSpy spy;
    store = Open();
    ASSERT_TRUE(store);
    ASSERT_EQ(spy.opened().size(), 1u);
    conn = spy.opened()[0];
  }
  // Queried on the Store's connection, which is alive as long as `store` is.
  EXPECT_EQ(Pragma(conn, "journal_mode"), "wal");
  EXPECT_EQ(Pragma(conn, "foreign_keys"), "1");
  EXPECT_EQ(Pragma(conn, "synchronous"), "2");  // FULL
  EXPECT_EQ(std::stoi(Pragma(conn, "busy_timeout")), sqlite::kBusyTimeoutMs);

  // The same on reopening an existing file (PRAGMAs are not stored in it).
  store.reset();
  ConnectionSpy spy;
  store = Open();
  ASSERT_TRUE(store);
  ASSERT_EQ(spy.opened().size(), 1u);
  EXPECT_EQ(Pragma(spy.opened()[0], "foreign_keys"), "1");
  EXPECT_EQ(Pragma(spy.opened()[0], "synchronous"), "2");
}

TEST_F(StoreTest, ForeignKeysAreEnforced) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris.json"));
  const std::string before = Dump();
  Publication p;
  p.source_id = 999;  // no such source
  p.title = "Orphan";
  p.as_of = D("2017-01-01");
  p.snapshot_json = "{}";
  auto r = store->AddPublication(p, kAlice);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kNotFound) << r.error().message;
  EXPECT_EQ(Dump(), before);
  // Below the writes, Apply itself: SQLite refuses a row that names nothing.
  ChangeSet cs;
  cs.Insert("funding", {Value::Int(1), Value::Int(1), Value::Int(999), Value::Text("x"),
                        Value::Text(""), Value::Int(1), Value::Int(0), Value::Text("GBP"),
                        Value::Text("")});
  ASSERT_TRUE(store->Begin());
  auto a = store->Apply(cs, true);
  store->Rollback();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Error::Code::kConflict) << a.error().message;
  EXPECT_NE(a.error().message.find("funding line id 1"), std::string::npos) << a.error().message;
  EXPECT_EQ(Dump(), before);
}

TEST_F(StoreTest, ReopeningIsIdempotent) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris.json"));
  }
  const std::string before = Dump();
  for (int i = 0; i < 3; ++i) {
    auto store = Open();
    ASSERT_TRUE(store);
    auto v = store->Verify();
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->ok) << Joined(v->problems);
    EXPECT_EQ(v->events, 2);  // the key, the import
  }
  EXPECT_EQ(Dump(), before);
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsAnErrorNotACrash) {
  const std::string file = dir_.File("notes.txt");
  std::string content;
  for (int i = 0; i < 200; ++i) content += "These are my notes, not a database.\n";
  {
    std::ofstream out(file, std::ios::binary);
    out << content;
  }
  auto s = OpenSqliteStore(file);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Error::Code::kCorrupt) << s.error().message;
  EXPECT_TRUE(Mentions(s.error().message, file));
  EXPECT_TRUE(Mentions(s.error().message, "not a"));
  // The file is left as it was.
  std::ifstream in(file, std::ios::binary);
  std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, content);
}

TEST_F(SqliteStoreTest, UnopenablePathIsAnIoError) {
  auto s = OpenSqliteStore(dir_.File("no-such-dir/rectrack.db"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Error::Code::kIo) << s.error().message;
  auto d = OpenSqliteStore(dir_.path().string());  // a directory
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().code, Error::Code::kInternal) << d.error().message;
}

TEST_F(SqliteStoreTest, EmptyFileBecomesAStore) {
  { std::ofstream out(path(), std::ios::binary); }
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SimpleBatch("a", {"1"}), kAlice, "a"));
  RawDb raw(path());
  EXPECT_EQ(raw.Int("PRAGMA user_version"), static_cast<int64_t>(std::size(sqlite::kMigrations)));
}

// Another application's database whose tables clash with ours: a clean error,
// and the migration leaves nothing half done.
TEST_F(SqliteStoreTest, ForeignDatabaseIsRefusedUntouched) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE meta(x); INSERT INTO meta VALUES (42);", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = Dump();
  auto s = OpenSqliteStore(path());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().code, Error::Code::kInternal);
  EXPECT_TRUE(Mentions(s.error().message, "migration 1"));
  EXPECT_EQ(Dump(), before);
}

TEST_F(SqliteStoreTest, NewerSchemaVersionIsRefused) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris.json"));
  }
  const int64_t newer = static_cast<int64_t>(std::size(sqlite::kMigrations)) + 1;
  {
    RawDb raw(path());
    ASSERT_EQ(raw.Exec("PRAGMA user_version = " + std::to_string(newer)), RawDb::kOk);
  }
  const std::string before = Dump();
  auto s = OpenSqliteStore(path());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Error::Code::kCorrupt) << s.error().message;
  EXPECT_TRUE(Mentions(s.error().message, "newer"));
  EXPECT_TRUE(Mentions(s.error().message, std::to_string(newer)));
  EXPECT_EQ(Dump(), before);
}

// ---- import ----------------------------------------------------------------

TEST_F(StoreTest, DocumentDraftsAreKeptChangedAtTheirVersionAndDroppedOutsideTheLedger) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto head = store->Head();
  ASSERT_TRUE(head);
  DocumentDraftRecord d;
  d.user_id = 7;
  d.file_name = "report (final).pdf";
  d.file_sha256 = std::string(64, 'a');
  d.preset = "generic";
  d.created_at = "2026-12-07T10:00:00.000Z";
  d.items = 2;
  d.draft = R"({"format": "rectrack-draft/1", "items": []})";
  auto a = store->AddDocumentDraft(d);
  ASSERT_TRUE(a) << a.error().message;
  d.file_name = "second.pdf";
  auto b = store->AddDocumentDraft(d);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_NE(*a, *b);
  auto got = store->GetDocumentDraft(*a);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->file_name, "report (final).pdf");
  EXPECT_EQ((*got)->user_id, 7);
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ((*got)->items, 2);
  EXPECT_EQ((*got)->updated_at, d.created_at);
  EXPECT_EQ((*got)->draft, d.draft);
  auto list = store->ListDocumentDrafts();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, *b);  // newest first
  EXPECT_TRUE((*list)[0].draft.empty());

  ASSERT_TRUE(store->UpdateDocumentDraft(*a, 1, "{}", 1, "2026-12-07T11:00:00.000Z"));
  got = store->GetDocumentDraft(*a);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->version, 2);
  EXPECT_EQ((*got)->items, 1);
  EXPECT_EQ((*got)->draft, "{}");
  EXPECT_EQ((*got)->updated_at, "2026-12-07T11:00:00.000Z");
  // A change made from what version 1 showed is refused, and changes nothing.
  auto stale = store->UpdateDocumentDraft(*a, 1, "{\"lost\": 1}", 9, "2026-12-07T12:00:00.000Z");
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Error::Code::kPrecondition);
  auto stale_drop = store->DeleteDocumentDraft(*a, 1);
  ASSERT_FALSE(stale_drop);
  EXPECT_EQ(stale_drop.error().code, Error::Code::kPrecondition);
  got = store->GetDocumentDraft(*a);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->draft, "{}");
  ASSERT_TRUE(store->DeleteDocumentDraft(*a, 2));
  got = store->GetDocumentDraft(*a);
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  auto gone = store->UpdateDocumentDraft(*a, 2, "{}", 0, "2026-12-07T12:00:00.000Z");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Error::Code::kNotFound);
  // Not history: the ledger did not move, and the store still verifies.
  auto after = store->Head();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->seq, head->seq);
  auto report = store->Verify();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->problems.empty()) << Joined(report->problems);
}

TEST_F(StoreTest, ImportWritesEverything) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto sum = store->Import(HarrisBatch(), kAlice, "harris.json sha256:abc");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->sources, 1);
  EXPECT_EQ(sum->recommendations, 2);
  EXPECT_EQ(sum->assignments, 4);
  EXPECT_EQ(sum->updates, 1);
  EXPECT_EQ(sum->funding_lines, 1);
  EXPECT_EQ(sum->owners_created, 4);  // Home Office, LFB, Met, Port of London Authority
  EXPECT_EQ(sum->ledger_seq, 2);  // after the store's key

  auto src = store->GetSource("harris-2016");
  ASSERT_TRUE(src) << src.error().message;
  EXPECT_EQ(src->title, "London's preparedness to respond to a major terrorist incident");
  EXPECT_EQ(src->kind, "review");
  EXPECT_EQ(src->author, "Lord Harris");
  EXPECT_EQ(src->commissioned_by, "Mayor of London");
  EXPECT_EQ(src->date, D("2016-10-28"));
  EXPECT_EQ(src->recorded_on, D("2017-10-25"));
  EXPECT_EQ(src->stated_total, 127);
  EXPECT_EQ(src->response_days, std::nullopt);
  EXPECT_EQ(src->url, "https://example.org/harris");
  EXPECT_EQ(src->notes, "Only the itemised recommendations.");
  EXPECT_EQ(src->vocabulary, "canonical");

  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  ASSERT_EQ(owners->size(), 4u);  // sorted by name
  EXPECT_EQ((*owners)[0].name, "Home Office");
  EXPECT_EQ((*owners)[0].tier, "central_government");
  EXPECT_EQ((*owners)[0].aliases, std::vector<std::string>{"HO"});
  EXPECT_EQ((*owners)[1].name, "London Fire Brigade");
  EXPECT_EQ((*owners)[1].tier, "emergency_service");
  EXPECT_EQ((*owners)[1].aliases, std::vector<std::string>{"LFB"});
  EXPECT_EQ((*owners)[2].name, "Metropolitan Police Service");
  EXPECT_EQ((*owners)[2].tier, "unclassified");
  EXPECT_EQ((*owners)[2].aliases, std::vector<std::string>{"the Met"});
  EXPECT_EQ((*owners)[3].name, "Port of London Authority");
  EXPECT_EQ((*owners)[3].tier, "unclassified");
  EXPECT_TRUE((*owners)[3].aliases.empty());

  auto r1 = store->GetRecommendation("harris-2016", "R1");
  ASSERT_TRUE(r1) << r1.error().message;
  EXPECT_EQ(r1->source.slug, "harris-2016");
  EXPECT_EQ(r1->recommendation.text,
            "Firearms officers and the fire brigade should train together");
  EXPECT_EQ(r1->recommendation.themes, (std::vector<std::string>{"training", "firearms"}));
  EXPECT_EQ(r1->recommendation.made, D("2016-10-28"));
  EXPECT_EQ(r1->recommendation.target, D("2017-10-28"));
  EXPECT_EQ(r1->recommendation.url, "https://example.org/harris#r1");
  ASSERT_EQ(r1->assignments.size(), 2u);
  const auto& ho = r1->assignments[0];
  EXPECT_EQ(ho.owner.name, "Home Office");  // "HO" went through the alias list
  EXPECT_EQ(ho.owner.tier, "central_government");
  EXPECT_EQ(ho.assignment.due, D("2017-01-31"));
  EXPECT_EQ(ho.assignment.initial.response, ResponseKind::kAccepted);
  EXPECT_EQ(ho.assignment.initial.response_text, "The department accepts this recommendation");
  EXPECT_EQ(ho.assignment.initial.response_date, D("2017-01-15"));
  EXPECT_EQ(ho.assignment.initial.recorded_status, ResponseStatus::kResponded);
  EXPECT_EQ(ho.assignment.initial.implementation, Implementation::kInProgress);
  EXPECT_EQ(ho.assignment.raw_status, "In progress");
  EXPECT_EQ(ho.assignment.raw_response, "Accepted");
  ASSERT_EQ(ho.updates.size(), 1u);
  EXPECT_EQ(ho.updates[0].date, D("2017-06-01"));
  EXPECT_EQ(ho.updates[0].implementation, Implementation::kImplemented);
  EXPECT_EQ(ho.updates[0].response, std::nullopt);
  EXPECT_EQ(ho.updates[0].narrative, "Joint exercises took place in every borough");
  EXPECT_EQ(ho.updates[0].evidence, std::vector<std::string>{"https://example.org/evidence/1"});
  EXPECT_EQ(ho.updates[0].author, "HO desk");
  EXPECT_EQ(ho.updates[0].state, UpdateState::kValidated);
  EXPECT_EQ(r1->assignments[1].owner.name, "London Fire Brigade");
  EXPECT_EQ(r1->assignments[1].assignment.initial.implementation, Implementation::kNotStarted);
  EXPECT_EQ(r1->assignments[1].assignment.raw_status, "Not started");

  auto r2 = store->GetRecommendation("harris-2016", "R2");
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->assignments.size(), 2u);
  EXPECT_EQ(r2->assignments[0].owner.name, "Metropolitan Police Service");
  EXPECT_EQ(r2->assignments[1].owner.name, "Port of London Authority");
  auto by_id = store->GetRecommendationById(r2->recommendation.id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->recommendation.ref, "R2");

  auto facts = store->LoadFacts(FactsFilter{"harris-2016", "", true, false});
  ASSERT_TRUE(facts);
  ASSERT_EQ(facts->funding.size(), 1u);
  EXPECT_EQ(facts->funding[0].owner_id, ho.owner.id);
  EXPECT_EQ(facts->funding[0].item, "Capital cities grant");
  EXPECT_EQ(facts->funding[0].cost, 346000000);
  EXPECT_EQ(facts->funding[0].funded, 174000000);
  EXPECT_EQ(facts->funding[0].gap(), 172000000);
  EXPECT_EQ(facts->funding[0].note, "bid against grant");

  auto events = Events(*store);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "tracker_key");
  EXPECT_EQ(events[0].prev_hash, kGenesisHash);
  EXPECT_EQ(events[1].kind, "import");
  EXPECT_EQ(events[1].actor, "test:alice");
  EXPECT_EQ(events[1].seq, 2);
  EXPECT_EQ(events[1].prev_hash, events[0].hash);
  auto payload = json::parse(events[1].payload);
  EXPECT_EQ(payload["about"]["origin"], "harris.json sha256:abc");
  EXPECT_EQ(payload["about"]["recommendations"], 2);
  EXPECT_EQ(payload["about"]["assignments"], 4);
  EXPECT_EQ(payload["about"]["source_slugs"], json::array({"harris-2016"}));
  // The event holds the rows themselves, not a summary: R1's text, its owner, the grant.
  const json& ins = payload["changes"]["insert"];
  ASSERT_EQ(ins["recommendations"].size(), 2u);
  EXPECT_EQ(ins["recommendations"][0][2], "R1");
  EXPECT_EQ(ins["recommendations"][0][3], "Firearms officers and the fire brigade should train together");
  EXPECT_EQ(ins["assignments"].size(), 4u);
  EXPECT_EQ(ins["updates"][0][7], "Joint exercises took place in every borough");
  EXPECT_EQ(ins["funding"][0][5], 346000000);
  EXPECT_EQ(ins["owner_aliases"].size(), 3u);

  RawDb raw(path());
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM owner_aliases"), 3);
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM " + raw.SearchTable()), 2);
  EXPECT_EQ(raw.Text("SELECT value FROM meta WHERE key = 'ledger_head'"), "2 " + events[1].hash);
}

TEST_F(StoreTest, OwnersResolveThroughAliasesAcrossImports) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "a"));
  ImportBatch b = SimpleBatch("second", {"1", "2", "3"});
  b.sources[0].recommendations[0].assignments = {Assign("HO")};
  b.sources[0].recommendations[1].assignments = {Assign("the Met")};
  b.sources[0].recommendations[2].assignments = {Assign("Thames Water Utilities")};
  auto sum = store->Import(b, kBob, "b");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->owners_created, 1);
  EXPECT_EQ(sum->ledger_seq, 3);
  auto r = store->GetRecommendation("second", "1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Home Office");
  r = store->GetRecommendation("second", "2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Metropolitan Police Service");
  r = store->GetRecommendation("second", "3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Thames Water Utilities");
  EXPECT_EQ(r->assignments[0].owner.tier, "unclassified");
  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  EXPECT_EQ(owners->size(), 5u);
}

TEST_F(StoreTest, DeclaredTierFillsInButNeverOverrides) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SimpleBatch("a", {"1"}, "Acme Ltd"), kAlice, "a"));
  ImportBatch b = SimpleBatch("b", {"1"}, "Acme Ltd");
  Owner acme;
  acme.name = "Acme Ltd";
  acme.tier = "private";
  b.owners = {acme};
  ASSERT_TRUE(store->Import(b, kAlice, "b"));
  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  ASSERT_EQ(owners->size(), 1u);
  EXPECT_EQ((*owners)[0].tier, "private");  // filled in an unclassified owner
  ImportBatch c = SimpleBatch("c", {"1"}, "Acme Ltd");
  acme.tier = "charity";
  c.owners = {acme};
  ASSERT_TRUE(store->Import(c, kAlice, "c"));
  owners = store->ListOwners();
  ASSERT_TRUE(owners);
  EXPECT_EQ((*owners)[0].tier, "private");  // a choice is never overridden by an import
}

TEST_F(StoreTest, ImportingAnExistingSlugConflictsAndChangesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "first"));
  auto head = store->Head();
  ASSERT_TRUE(head);
  const std::string before = Dump();

  // Also carries a new owner and alias, which must not land either.
  ImportBatch again = HarrisBatch();
  again.aliases.push_back({"Mayor", "Mayor of London"});
  again.sources[0].recommendations[1].assignments.push_back(Assign("Brand New Agency"));
  auto r = store->Import(again, kAlice, "second");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict);
  EXPECT_TRUE(Mentions(r.error().message, "harris-2016"));
  EXPECT_EQ(Dump(), before) << RawDb(path()).Counts();
  auto head_after = store->Head();
  ASSERT_TRUE(head_after);
  EXPECT_EQ(head_after->seq, head->seq);
  EXPECT_EQ(head_after->hash, head->hash);

  // A conflicting source later in a batch undoes the sources before it.
  ImportBatch two = SimpleBatch("fresh", {"1"});
  two.sources.push_back(HarrisBatch().sources[0]);
  r = store->Import(two, kAlice, "third");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict);
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(store->GetSource("fresh").error().code, Error::Code::kNotFound);
}

// A batch that fails part way leaves the store exactly as it was, and the store
// keeps working (owners made by the failed batch are not remembered).
TEST_F(StoreTest, BatchFailingMidwayLeavesTheStoreUnchanged) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "first"));
  const std::string before = Dump();

  struct Case {
    const char* name;
    ImportBatch batch;
    Error::Code code;
    const char* mention;
  };
  std::vector<Case> cases;
  {
    ImportBatch b = SimpleBatch("dup-ref", {"1", "2", "1"}, "Zeta Agency");
    cases.push_back({"duplicate ref", b, Error::Code::kConflict, "'1' twice"});
  }
  {
    ImportBatch b = SimpleBatch("dup-owner", {"1", "2"}, "Zeta Agency");
    b.sources[0].recommendations[1].assignments = {Assign("HO"), Assign("Home Office")};
    cases.push_back({"same owner twice", b, Error::Code::kConflict, "twice"});
  }
  {
    ImportBatch b = SimpleBatch("alias-clash", {"1"}, "Zeta Agency");
    b.aliases = {{"LFB", "Zeta Agency"}};  // LFB already names London Fire Brigade
    cases.push_back({"alias of another owner", b, Error::Code::kConflict, "LFB"});
  }
  {
    ImportBatch b = SimpleBatch("no-title", {"1"}, "Zeta Agency");
    ImportBatch::SourceIn second = Src("no-title-2");
    second.source.title = "";
    b.sources.push_back(second);
    cases.push_back({"source without title", b, Error::Code::kInvalidInput, "no title"});
  }
  {
    ImportBatch b = SimpleBatch("empty-owner", {"1", "2"}, "Zeta Agency");
    b.sources[0].recommendations[1].assignments = {Assign("")};
    cases.push_back({"empty owner name", b, Error::Code::kInvalidInput, "empty"});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = store->Import(c.batch, kAlice, c.name);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.code) << r.error().message;
    EXPECT_TRUE(Mentions(r.error().message, c.mention));
    EXPECT_EQ(Dump(), before) << RawDb(path()).Counts();
  }

  // "Zeta Agency" was created (and rolled back) by each failed batch; it must
  // be created afresh, not resolved to a row that no longer exists.
  ImportBatch ok = SimpleBatch("ok", {"1", "2"}, "Zeta Agency");
  ok.sources[0].recommendations[0].assignments = {Assign("Another New Body")};
  auto sum = store->Import(ok, kAlice, "ok");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->owners_created, 2);
  auto r = store->GetRecommendation("ok", "1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Another New Body");
  r = store->GetRecommendation("ok", "2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Zeta Agency");
  auto v = store->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_EQ(v->events, 3);
}

TEST_F(StoreTest, ImportSessionDestroyedWithoutFinishRollsBack) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "first"));
  const std::string before = Dump();
  {
    auto session = store->StartImport(kAlice, "abandoned");
    ASSERT_TRUE(session) << session.error().message;
    ASSERT_TRUE((*session)->Add(SimpleBatch("abandoned", {"1", "2"}, "Abandoned Owner")));
    ASSERT_TRUE((*session)->Add(SimpleBatch("abandoned-2", {"1"}, "Abandoned Owner")));
  }  // destroyed unfinished
  EXPECT_EQ(Dump(), before);
  // The store is not left inside a transaction: another connection can write.
  {
    auto other = Open();
    ASSERT_TRUE(other);
    auto sum = other->Import(SimpleBatch("other", {"1"}), kBob, "other");
    ASSERT_TRUE(sum) << sum.error().message;
    EXPECT_EQ(sum->ledger_seq, 3);
  }
  // And this one can write, creating the abandoned owner afresh.
  auto sum = store->Import(SimpleBatch("abandoned", {"1"}, "Abandoned Owner"), kAlice, "again");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->ledger_seq, 4);
  EXPECT_EQ(sum->owners_created, 1);
  auto r = store->GetRecommendation("abandoned", "1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Abandoned Owner");
}

TEST_F(StoreTest, ChunkedImportAppendsToASourceCreatedInTheSession) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto session = store->StartImport(kAlice, "big.csv sha256:123");
  ASSERT_TRUE(session);
  ASSERT_TRUE((*session)->Add(SimpleBatch("big", {"1", "2"})));
  ImportBatch more = SimpleBatch("big", {"3"}, "HO");
  Owner ho;
  ho.name = "Home Office";
  ho.tier = "central_government";
  ho.aliases = {"HO"};
  more.owners = {ho};
  ASSERT_TRUE((*session)->Add(more));  // same slug, more recommendations
  ASSERT_TRUE((*session)->Add(SimpleBatch("small", {"1"})));
  // Nothing is visible to other connections before Finish.
  {
    RawDb raw(path());
    EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM recommendations"), 0);
  }
  auto sum = (*session)->Finish();
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->sources, 2);
  EXPECT_EQ(sum->recommendations, 4);
  EXPECT_EQ(sum->assignments, 4);
  EXPECT_EQ(sum->owners_created, 1);
  EXPECT_EQ(sum->ledger_seq, 2);
  session->reset();

  // Three small chunks make one event (events are cut at about 4 MB).
  auto events = Events(*store);
  ASSERT_EQ(events.size(), 2u);
  auto payload = json::parse(events[1].payload);
  EXPECT_EQ(payload["about"]["recommendations"], 4);
  EXPECT_EQ(payload["about"]["source_slugs"], json::array({"big", "small"}));
  EXPECT_EQ(payload["changes"]["insert"]["recommendations"].size(), 4u);
  auto r = store->GetRecommendation("big", "3");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->assignments[0].owner.name, "Home Office");  // alias from the later chunk
  auto facts = store->LoadFacts(FactsFilter{"big", "", false, false});
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->sources.size(), 1u);
  EXPECT_EQ(facts->recommendations.size(), 3u);
}

TEST_F(StoreTest, ChunkedImportFailureRollsBackEveryChunk) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SimpleBatch("existing", {"1"}), kAlice, "first"));
  const std::string before = Dump();

  // A duplicate ref in a later chunk.
  {
    auto session = store->StartImport(kAlice, "dup");
    ASSERT_TRUE(session);
    ASSERT_TRUE((*session)->Add(SimpleBatch("big", {"1", "2"}, "New Owner")));
    auto r = (*session)->Add(SimpleBatch("big", {"2"}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Error::Code::kConflict);
    // The session is dead: further calls fail, nothing lands.
    EXPECT_FALSE((*session)->Add(SimpleBatch("other", {"1"})));
    EXPECT_FALSE((*session)->Finish());
  }
  EXPECT_EQ(Dump(), before);

  // A slug that existed before the session.
  {
    auto session = store->StartImport(kAlice, "existing");
    ASSERT_TRUE(session);
    ASSERT_TRUE((*session)->Add(SimpleBatch("new", {"1"})));
    auto r = (*session)->Add(SimpleBatch("existing", {"2"}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Error::Code::kConflict);
  }
  EXPECT_EQ(Dump(), before);

  auto sum = store->Import(SimpleBatch("after", {"1"}, "New Owner"), kAlice, "after");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->owners_created, 1);
  EXPECT_EQ(sum->ledger_seq, 3);
}

// ---- transactions ------------------------------------------------------------

TEST_F(StoreTest, BeginCommitNestWithSavepoints) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "first"));
  int64_t lfb = AssignmentId(*store, "harris-2016", "R1", "London Fire Brigade");
  EXPECT_EQ(store->Commit().error().code, Error::Code::kInternal);  // nothing begun
  store->Rollback();                                                // harmless

  ASSERT_TRUE(store->Begin());
  Update u;
  u.date = D("2017-02-01");
  u.narrative = "kept";
  ASSERT_TRUE(store->AddUpdate(lfb, u, kAlice));
  ASSERT_TRUE(store->Begin());
  u.narrative = "undone";
  ASSERT_TRUE(store->AddUpdate(lfb, u, kAlice));
  store->Rollback();  // the inner one only
  u.narrative = "also kept";
  ASSERT_TRUE(store->AddUpdate(lfb, u, kAlice));
  ASSERT_TRUE(store->Commit());

  auto r = store->GetRecommendation("harris-2016", "R1");
  ASSERT_TRUE(r);
  std::vector<std::string> narratives;
  for (const auto& x : r->assignments[1].updates) narratives.push_back(x.narrative);
  EXPECT_EQ(narratives, (std::vector<std::string>{"kept", "also kept"}));
  auto v = store->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_EQ(v->events, 4);  // key, import, two updates, no hole where the undone one was
}

// Owners created inside a transaction the caller rolls back must be forgotten:
// SQLite reuses the rolled-back row ids, so a stale name -> id cache would
// silently give a later assignment to the wrong owner.
TEST_F(StoreTest, CallerRollbackForgetsOwnersItCreated) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SimpleBatch("first", {"1"}, "Home Office"), kAlice, "first"));
  ASSERT_TRUE(store->Begin());
  ASSERT_TRUE(store->Import(SimpleBatch("doomed", {"1"}, "Ministry of Truth"), kAlice, "doomed"));
  store->Rollback();
  EXPECT_EQ(store->GetSource("doomed").error().code, Error::Code::kNotFound);

  ImportBatch b = SimpleBatch("later", {"1", "2"});
  b.sources[0].recommendations[0].assignments = {Assign("Acme Ltd")};           // new row id
  b.sources[0].recommendations[1].assignments = {Assign("Ministry of Truth")};  // new too
  auto sum = store->Import(b, kAlice, "later");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->owners_created, 2);
  auto r1 = store->GetRecommendation("later", "1");
  auto r2 = store->GetRecommendation("later", "2");
  ASSERT_TRUE(r1);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r1->assignments[0].owner.name, "Acme Ltd");
  EXPECT_EQ(r2->assignments[0].owner.name, "Ministry of Truth");
}

TEST_F(StoreTest, ReadsOfMissingThingsAreNotFound) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  EXPECT_EQ(store->GetSource("nope").error().code, Error::Code::kNotFound);
  EXPECT_EQ(store->GetRecommendation("harris-2016", "R99").error().code, Error::Code::kNotFound);
  EXPECT_EQ(store->GetRecommendation("nope", "R1").error().code, Error::Code::kNotFound);
  EXPECT_EQ(store->GetRecommendationById(12345).error().code, Error::Code::kNotFound);
  EXPECT_EQ(store->LoadFacts(FactsFilter{"nope", "", false, false}).error().code,
            Error::Code::kNotFound);
  auto pubs = store->ListPublications("nope");
  ASSERT_TRUE(pubs);
  EXPECT_TRUE(pubs->empty());
}

TEST_F(StoreTest, LoadFactsFilters) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  ImportBatch pfd = SimpleBatch("pfd-1", {"1", "2"}, "NHS England");
  pfd.sources[0].source.kind = "pfd";
  ASSERT_TRUE(store->Import(pfd, kAlice, "pfd"));

  auto all = store->LoadFacts(FactsFilter{});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->sources.size(), 2u);
  EXPECT_EQ(all->recommendations.size(), 4u);
  EXPECT_EQ(all->assignments.size(), 6u);
  EXPECT_EQ(all->updates.size(), 1u);
  EXPECT_EQ(all->funding.size(), 1u);
  EXPECT_EQ(all->owners.size(), 5u);
  // Without with_text, long texts are left out.
  for (const auto& r : all->recommendations) EXPECT_TRUE(r.text.empty()) << r.ref;

  auto by_kind = store->LoadFacts(FactsFilter{"", "pfd", true, false});
  ASSERT_TRUE(by_kind);
  ASSERT_EQ(by_kind->sources.size(), 1u);
  EXPECT_EQ(by_kind->sources[0].slug, "pfd-1");
  EXPECT_EQ(by_kind->recommendations.size(), 2u);
  EXPECT_EQ(by_kind->recommendations[0].text, "Recommendation 1 of pfd-1");
  EXPECT_TRUE(by_kind->funding.empty());
  auto none = store->LoadFacts(FactsFilter{"", "audit", false, false});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->sources.empty());
  EXPECT_TRUE(none->recommendations.empty());
}

// ---- export ----------------------------------------------------------------

TEST_F(StoreTest, ExportImportExportRoundTrips) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  ImportBatch pfd = SimpleBatch("pfd-2024-0131", {"2024-0131"}, "NHS England");
  pfd.sources[0].source.kind = "pfd";
  pfd.sources[0].source.response_days = 56;
  pfd.sources[0].source.date = D("2024-03-01");
  ASSERT_TRUE(store->Import(pfd, kAlice, "pfd"));
  // A submitted (not yet validated) and a returned update are exported too.
  int64_t lfb = AssignmentId(*store, "harris-2016", "R1", "London Fire Brigade");
  Update sub;
  sub.date = D("2017-03-01");
  sub.implementation = Implementation::kInProgress;
  sub.narrative = "Submitted, awaiting validation";
  sub.state = UpdateState::kSubmitted;
  ASSERT_TRUE(store->AddUpdate(lfb, sub, kBob));
  Update ret = sub;
  ret.state = UpdateState::kReturned;
  ret.return_reason = "no evidence";
  ASSERT_TRUE(store->AddUpdate(lfb, ret, kBob));
  ASSERT_TRUE(store->SetOwnerTier("NHS England", "nhs", kAlice));
  ASSERT_TRUE(store->SetAlias("Met Police", "Metropolitan Police Service", kAlice));

  auto exported = store->ExportAll();
  ASSERT_TRUE(exported) << exported.error().message;
  const std::string first = WriteNativeJson(*exported);
  EXPECT_TRUE(Mentions(first, "Submitted, awaiting validation"));
  EXPECT_TRUE(Mentions(first, "no evidence"));
  EXPECT_TRUE(Mentions(first, "Met Police"));
  EXPECT_TRUE(Mentions(first, "\"nhs\""));

  auto fresh = Open("fresh.db");
  ASSERT_TRUE(fresh);
  auto sum = fresh->Import(*exported, kAlice, "export");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->sources, 2);
  EXPECT_EQ(sum->recommendations, 3);
  EXPECT_EQ(sum->assignments, 5);
  EXPECT_EQ(sum->updates, 3);
  EXPECT_EQ(sum->funding_lines, 1);
  auto again = fresh->ExportAll();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(WriteNativeJson(*again), first);

  // And through the file format, as `export` then `import` would.
  auto parsed = ReadNativeJson(first, "export.json");
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto third = Open("third.db");
  ASSERT_TRUE(third);
  ASSERT_TRUE(third->Import(*parsed, kAlice, "export.json"));
  auto third_export = third->ExportAll();
  ASSERT_TRUE(third_export);
  EXPECT_EQ(WriteNativeJson(*third_export), first);
}

TEST_F(StoreTest, ExportOfAnEmptyStore) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto b = store->ExportAll();
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->sources.empty());
  EXPECT_TRUE(b->owners.empty());
}

// ---- updates ---------------------------------------------------------------

TEST_F(StoreTest, AddUpdateIsStoredLedgeredAndSearchable) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  int64_t lfb = AssignmentId(*store, "harris-2016", "R1", "London Fire Brigade");
  auto none = store->Search("cormorant", 10);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  auto head = store->Head();
  ASSERT_TRUE(head);

  Update u;
  u.date = D("2017-09-12");
  u.response = ResponseKind::kAccepted;
  u.response_text = "We accept";
  u.response_status = ResponseStatus::kResponded;
  u.implementation = Implementation::kInProgress;
  u.narrative = "A cormorant nested on the training ground";
  u.evidence = {"https://example.org/lfb/1", "https://example.org/lfb/2"};
  u.author = "LFB liaison";
  auto id = store->AddUpdate(lfb, u, kBob);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_GT(*id, 0);

  auto r = store->GetRecommendation("harris-2016", "R1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->assignments[1].updates.size(), 1u);
  const Update& got = r->assignments[1].updates[0];
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.assignment_id, lfb);
  EXPECT_EQ(got.date, D("2017-09-12"));
  EXPECT_EQ(got.response, ResponseKind::kAccepted);
  EXPECT_EQ(got.response_text, "We accept");
  EXPECT_EQ(got.response_status, ResponseStatus::kResponded);
  EXPECT_EQ(got.implementation, Implementation::kInProgress);
  EXPECT_EQ(got.narrative, u.narrative);
  EXPECT_EQ(got.evidence, u.evidence);
  EXPECT_EQ(got.author, "LFB liaison");
  EXPECT_EQ(got.state, UpdateState::kValidated);

  auto events = Events(*store);
  ASSERT_EQ(events.size(), 3u);
  const LedgerEvent& e = events.back();
  EXPECT_EQ(e.seq, head->seq + 1);
  EXPECT_EQ(e.prev_hash, head->hash);
  EXPECT_EQ(e.kind, "update");
  EXPECT_EQ(e.actor, "test:bob");
  auto p = json::parse(e.payload);
  EXPECT_EQ(p["about"]["source"], "harris-2016");
  EXPECT_EQ(p["about"]["ref"], "R1");
  EXPECT_EQ(p["about"]["owner"], "London Fire Brigade");
  EXPECT_EQ(p["about"]["update_id"], *id);
  EXPECT_EQ(p["about"]["assignment_id"], lfb);
  // The whole update, as its row, and the assignment's new version.
  const json& row = p["changes"]["insert"]["updates"][0];
  EXPECT_EQ(row[0], *id);
  EXPECT_EQ(row[1], lfb);
  EXPECT_EQ(row[2], "2017-09-12");
  EXPECT_EQ(row[3], "accepted");
  EXPECT_EQ(row[4], "We accept");
  EXPECT_EQ(row[6], "in_progress");
  EXPECT_EQ(row[7], u.narrative);
  EXPECT_EQ(row[9], "LFB liaison");
  EXPECT_EQ(p["changes"]["update"]["assignments"][0][0], json::array({lfb}));
  EXPECT_EQ(p["changes"]["update"]["assignments"][0][1], (json{{"version", 2}}));

  // The update's narrative is now found, in the response field.
  auto hits = store->Search("cormorant", 10);
  ASSERT_TRUE(hits) << hits.error().message;
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].source_slug, "harris-2016");
  EXPECT_EQ((*hits)[0].ref, "R1");
  EXPECT_EQ((*hits)[0].recommendation_id, r->recommendation.id);
  EXPECT_EQ((*hits)[0].field, "response");
  EXPECT_TRUE(Mentions((*hits)[0].snippet, "[cormorant]"));
  // The imported texts are still indexed for that recommendation.
  hits = store->Search("firearms", 10);
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].ref, "R1");
  hits = store->Search("exercises", 10);  // the imported update's narrative
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].field, "response");
}

TEST_F(StoreTest, SubmittedUpdatesAreNotSearchedNorCounted) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  int64_t lfb = AssignmentId(*store, "harris-2016", "R1", "London Fire Brigade");
  Update u;
  u.date = D("2017-09-12");
  u.implementation = Implementation::kImplemented;
  u.narrative = "Unvalidated pelican claim";
  u.state = UpdateState::kSubmitted;
  ASSERT_TRUE(store->AddUpdate(lfb, u, kBob));
  auto hits = store->Search("pelican", 10);
  ASSERT_TRUE(hits);
  EXPECT_TRUE(hits->empty());
  auto facts = store->LoadFacts(FactsFilter{"harris-2016", "", true, false});
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->updates.size(), 1u);  // only the imported, validated one
  auto r = store->GetRecommendation("harris-2016", "R1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->assignments[1].updates.size(), 1u);  // but `show` sees it
  EXPECT_EQ(r->assignments[1].updates[0].state, UpdateState::kSubmitted);
}

TEST_F(StoreTest, AddUpdateToAnUnknownAssignmentChangesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  const std::string before = Dump();
  Update u;
  u.date = D("2017-09-12");
  u.narrative = "into the void";
  auto r = store->AddUpdate(424242, u, kBob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kNotFound);
  EXPECT_TRUE(Mentions(r.error().message, "424242"));
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(Events(*store).size(), 2u);
}

// ---- owners ------------------------------------------------------------------

TEST_F(StoreTest, SetAliasAddsAPlainAlias) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  ASSERT_TRUE(store->SetAlias("Home Office (UK)", "Home Office", kAlice));
  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  EXPECT_EQ((*owners)[0].aliases, (std::vector<std::string>{"HO", "Home Office (UK)"}));
  auto events = Events(*store);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].kind, "alias");
  auto p = json::parse(events[2].payload);
  EXPECT_EQ(p["about"]["alias"], "Home Office (UK)");
  EXPECT_EQ(p["about"]["owner"], "Home Office");
  EXPECT_EQ(p["about"]["merged_owner_id"], 0);
  EXPECT_EQ(p["changes"]["insert"]["owner_aliases"][0][0], "Home Office (UK)");
  // Imports now resolve the new alias.
  auto sum = store->Import(SimpleBatch("next", {"1"}, "Home Office (UK)"), kAlice, "next");
  ASSERT_TRUE(sum);
  EXPECT_EQ(sum->owners_created, 0);
  auto r = store->GetRecommendation("next", "1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->assignments[0].owner.name, "Home Office");
  // Setting an alias it already has changes nothing.
  const std::string before = Dump();
  ASSERT_TRUE(store->SetAlias("HO", "Home Office", kAlice));
  EXPECT_EQ(Dump(), before);
}

TEST_F(StoreTest, SetAliasMergesAnExistingOwner) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  // "Home Dept" is a separate owner with its own assignment, alias and funding.
  ImportBatch b = SimpleBatch("dup-body", {"1", "2"}, "Home Dept");
  b.aliases = {{"HD", "Home Dept"}};
  ImportBatch::FundingIn f;
  f.owner = "HD";
  f.line.item = "Training budget";
  f.line.cost = 100;
  f.line.funded = 40;
  b.sources[0].funding = {f};
  ASSERT_TRUE(store->Import(b, kAlice, "dup"));
  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  int64_t home_dept = 0, home_office = 0;
  for (const auto& o : *owners) {
    if (o.name == "Home Dept") home_dept = o.id;
    if (o.name == "Home Office") home_office = o.id;
  }
  ASSERT_NE(home_dept, 0);

  ASSERT_TRUE(store->SetAlias("Home Dept", "Home Office", kAlice));
  owners = store->ListOwners();
  ASSERT_TRUE(owners);
  for (const auto& o : *owners) EXPECT_NE(o.name, "Home Dept");
  EXPECT_EQ(owners->size(), 4u);
  EXPECT_EQ((*owners)[0].name, "Home Office");
  EXPECT_EQ((*owners)[0].aliases, (std::vector<std::string>{"HD", "HO", "Home Dept"}));
  for (const char* ref : {"1", "2"}) {
    auto r = store->GetRecommendation("dup-body", ref);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->assignments[0].owner.name, "Home Office");
  }
  auto facts = store->LoadFacts(FactsFilter{"dup-body", "", false, false});
  ASSERT_TRUE(facts);
  ASSERT_EQ(facts->funding.size(), 1u);
  EXPECT_EQ(facts->funding[0].owner_id, home_office);
  auto events = Events(*store);
  ASSERT_EQ(events.size(), 4u);
  auto p = json::parse(events[3].payload);
  EXPECT_EQ(p["about"]["merged_owner_id"], home_dept);
  EXPECT_EQ(p["about"]["rows_moved"], 4);  // two assignments, one funding line, one alias
  // Every moved row by its key, and the merged owner deleted.
  EXPECT_EQ(p["changes"]["update"]["assignments"].size(), 2u);
  EXPECT_EQ(p["changes"]["update"]["funding"].size(), 1u);
  EXPECT_EQ(p["changes"]["delete"]["owners"], json::array({json::array({home_dept})}));
  ExpectNoDanglingReferences(path());
  auto v = store->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
}

TEST_F(StoreTest, MergingOwnersThatShareARecommendationIsRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  const std::string before = Dump();
  // Both are assigned R1.
  auto r = store->SetAlias("London Fire Brigade", "Home Office", kAlice);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kConflict);
  EXPECT_TRUE(Mentions(r.error().message, "Nothing changed"));
  EXPECT_EQ(Dump(), before);
  // The store still works and its caches are sound.
  auto sum = store->Import(SimpleBatch("next", {"1"}, "LFB"), kAlice, "next");
  ASSERT_TRUE(sum);
  auto rec = store->GetRecommendation("next", "1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->assignments[0].owner.name, "London Fire Brigade");
}

TEST_F(StoreTest, SetAliasToANameNoOwnerHasRenamesTheOwner) {
  auto store = Open();
  ASSERT_TRUE(store);
  ImportBatch b = SimpleBatch("met-review", {"1", "2"}, "Metropolitan Police");
  b.aliases = {{"the Met", "Metropolitan Police"}};
  ASSERT_TRUE(store->Import(b, kAlice, "met"));
  ASSERT_TRUE(store->SetOwnerTier("Metropolitan Police", "emergency_service", kAlice));

  ASSERT_TRUE(store->SetAlias("Metropolitan Police", "Metropolitan Police Service", kAlice));
  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  ASSERT_EQ(owners->size(), 1u);
  EXPECT_EQ((*owners)[0].name, "Metropolitan Police Service");
  EXPECT_EQ((*owners)[0].tier, "emergency_service") << "the tier goes with it";
  EXPECT_EQ((*owners)[0].aliases,
            (std::vector<std::string>{"Metropolitan Police", "the Met"}));
  for (const char* ref : {"1", "2"}) {
    auto r = store->GetRecommendation("met-review", ref);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->assignments[0].owner.name, "Metropolitan Police Service");
  }
  ExpectNoDanglingReferences(path());
  auto v = store->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
}

TEST_F(StoreTest, BadAliasesAreRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  const std::string before = Dump();
  auto self = store->SetAlias("Home Office", "Home Office", kAlice);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, Error::Code::kInvalidInput);
  auto self_via_alias = store->SetAlias("Home Office", "HO", kAlice);
  ASSERT_FALSE(self_via_alias);
  EXPECT_EQ(self_via_alias.error().code, Error::Code::kInvalidInput);
  auto unknown = store->SetAlias("X", "No Such Owner", kAlice);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Error::Code::kNotFound);
  auto taken = store->SetAlias("LFB", "Home Office", kAlice);  // LFB is another's alias
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Error::Code::kConflict);
  EXPECT_EQ(Dump(), before);
}

TEST_F(StoreTest, SetOwnerTier) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  const std::string before = Dump();
  auto bad = store->SetOwnerTier("Home Office", "galactic_empire", kAlice);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Error::Code::kInvalidInput);
  EXPECT_TRUE(Mentions(bad.error().message, "galactic_empire"));
  auto nobody = store->SetOwnerTier("No Such Owner", "nhs", kAlice);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, Error::Code::kNotFound);
  EXPECT_EQ(Dump(), before);

  ASSERT_TRUE(store->SetOwnerTier("the Met", "emergency_service", kAlice));  // by alias
  auto owners = store->ListOwners();
  ASSERT_TRUE(owners);
  EXPECT_EQ((*owners)[2].name, "Metropolitan Police Service");
  EXPECT_EQ((*owners)[2].tier, "emergency_service");
  auto events = Events(*store);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].kind, "owner_tier");
  auto p = json::parse(events[2].payload);
  EXPECT_EQ(p["about"]["tier"], "emergency_service");
  EXPECT_EQ(p["changes"]["update"]["owners"][0][1], (json{{"tier", "emergency_service"}}));
}

// ---- search ----------------------------------------------------------------

ImportBatch SearchBatch() {
  ImportBatch b;
  auto s = Src("floods");
  // Same length, so only the term count differs.
  auto twice = Rec("TWICE", "flood defences must be maintained and flood warnings issued");
  twice.assignments = {Assign("Environment Agency")};
  auto once = Rec("ONCE", "river defences must be maintained and flood warnings issued");
  once.assignments = {Assign("Environment Agency")};
  auto none = Rec("NONE", "drought plans must be maintained and water warnings issued");
  none.assignments = {Assign("Environment Agency")};
  auto bracket = Rec("BRACKET", "See [annex 3] for the maintenance schedule");
  auto resp = Assign("Environment Agency");
  resp.assignment.initial.response_text = "The heron survey covers this";
  bracket.assignments = {resp};
  auto other1 = Rec("OTHER1", "Bridges should be inspected every year");
  other1.assignments = {Assign("Environment Agency")};
  auto other2 = Rec("OTHER2", "Reservoir owners should publish their plans");
  other2.assignments = {Assign("Environment Agency")};
  s.recommendations = {once, none, twice, bracket, other1, other2};
  b.sources = {s};
  return b;
}

TEST_F(StoreTest, SearchComesAPageAtATimeWithItsTotal) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<std::string> refs;
  for (int i = 1; i <= 25; ++i) refs.push_back("P" + std::to_string(i));
  ASSERT_TRUE(store->Import(SimpleBatch("paged", refs), kAlice, "paged"));
  ASSERT_TRUE(store->Import(SearchBatch(), kAlice, "floods"));
  auto total = store->SearchCount("paged");
  ASSERT_TRUE(total) << total.error().message;
  EXPECT_EQ(*total, 25);
  EXPECT_EQ(*store->SearchCount("flood"), 2);
  EXPECT_EQ(*store->SearchCount("zzqqxx"), 0);
  EXPECT_FALSE(store->SearchCount("  "));
  auto whole = store->Search("paged", 100);
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->size(), 25u);
  // Pages of ten, laid end to end, are the whole list in its order: ties in
  // rank (all 25 texts alike) are broken by id, the same on every page.
  std::vector<int64_t> paged;
  for (int offset : {0, 10, 20}) {
    auto page = store->Search("paged", 10, offset);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->size(), offset == 20 ? 5u : 10u);
    for (const auto& h : *page) paged.push_back(h.recommendation_id);
  }
  std::vector<int64_t> all;
  for (const auto& h : *whole) all.push_back(h.recommendation_id);
  EXPECT_EQ(paged, all);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 25u);
  EXPECT_TRUE(store->Search("paged", 10, 30)->empty());
}

TEST_F(StoreTest, SearchRanksAndMarksTerms) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SearchBatch(), kAlice, "floods"));
  auto hits = store->Search("flood", 10);
  ASSERT_TRUE(hits) << hits.error().message;
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].ref, "TWICE");
  EXPECT_EQ((*hits)[1].ref, "ONCE");
  EXPECT_LT((*hits)[0].rank, (*hits)[1].rank);
  EXPECT_EQ((*hits)[0].field, "text");
  EXPECT_TRUE(Mentions((*hits)[0].snippet, "[flood] defences"));
  EXPECT_TRUE(Mentions((*hits)[0].snippet, "and [flood] warnings"));
  EXPECT_TRUE(Mentions((*hits)[1].snippet, "and [flood] warnings"));
  // Porter stemming: "floods" finds "flood".
  auto stemmed = store->Search("Floods", 10);
  ASSERT_TRUE(stemmed);
  EXPECT_EQ(stemmed->size(), 2u);
  // Several words: all must occur.
  auto both = store->Search("river flood", 10);
  ASSERT_TRUE(both);
  ASSERT_EQ(both->size(), 1u);
  EXPECT_EQ((*both)[0].ref, "ONCE");
  // The limit holds.
  auto one = store->Search("maintained", 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
}

TEST_F(StoreTest, SearchNamesTheFieldEvenWhenTheTextHasBrackets) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SearchBatch(), kAlice, "floods"));
  auto hits = store->Search("heron", 10);
  ASSERT_TRUE(hits) << hits.error().message;
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].ref, "BRACKET");
  EXPECT_EQ((*hits)[0].field, "response");
  EXPECT_TRUE(Mentions((*hits)[0].snippet, "[heron]"));
  // A match in the text itself keeps the text's own brackets.
  hits = store->Search("annex", 10);
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].field, "text");
  EXPECT_TRUE(Mentions((*hits)[0].snippet, "[[annex] 3]"));
}

TEST_F(StoreTest, HostileSearchInputIsHarmless) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(SearchBatch(), kAlice, "floods"));
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  const std::string before = Dump();
  const std::vector<std::string> hostile = {
      "\"",
      "NEAR(",
      "NEAR(flood warnings, 2)",
      "text:",
      "text: flood",
      "responses:heron",
      "{text responses}: flood",
      "*",
      "flood*",
      "^flood",
      "'; DROP TABLE sources; --",
      "\"; DROP TABLE sources; --",
      "flood OR drought",
      "flood NOT river",
      "AND",
      "(",
      ")",
      "+",
      "-flood",
      ":",
      "a\"b\"c",
      "rowid:1",
      "\xff\xfe invalid utf-8",
      std::string(5000, 'x'),
      std::string("nul\0byte", 8),
  };
  for (const auto& q : hostile) {
    SCOPED_TRACE(q.substr(0, 40));
    auto r = store->Search(q, 10);
    if (!r) {
      EXPECT_EQ(r.error().code, Error::Code::kInvalidInput) << r.error().message;
    }
  }
  // Operators are words, not syntax: "OR" does not widen the search.
  auto or_hits = store->Search("flood OR drought", 10);
  ASSERT_TRUE(or_hits);
  EXPECT_TRUE(or_hits->empty());
  // Nothing to search for at all is a clean input error.
  for (const std::string& q : std::vector<std::string>{"", "   ", "\"\"", "\t\n"}) {
    auto r = store->Search(q, 10);
    ASSERT_FALSE(r) << "'" << q << "'";
    EXPECT_EQ(r.error().code, Error::Code::kInvalidInput);
  }
  EXPECT_EQ(Dump(), before);
  RawDb raw(path());
  EXPECT_TRUE(raw.HasTable("sources"));
  EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM sources"), 2);
  auto ok = store->Search("flood", 10);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 2u);
}

// ---- ledger and verify ------------------------------------------------------

// A store with a known history: import, update, tier, publication, update.
// Built once and copied for each test (every commit is an fsync).
class LedgerTest : public StoreTest {
 protected:
  void SetUp() override {
    if (testing_util::UsingPostgres()) {
      // A schema is not a file to copy: the history is made for each test.
      events_.clear();
      Build(path(), &events_);
      return;
    }
    if (!Template().built) BuildTemplate();
    ASSERT_TRUE(Template().built);
    std::filesystem::copy_file(Template().dir.File("template.db"), path());
    std::filesystem::copy_file(Template().dir.File("template.db.key"), path() + ".key");
    events_ = Template().events;
  }

  struct Shared {
    TempDir dir;
    bool built = false;
    std::vector<LedgerEvent> events;
  };
  static Shared& Template() {
    static Shared shared;
    return shared;
  }

  void BuildTemplate() {
    const std::string file = Template().dir.File("template.db");
    Build(file, &Template().events);
    // Closing the last connection checkpointed the WAL into the file.
    ASSERT_FALSE(std::filesystem::exists(file + "-wal"));
    Template().built = true;
  }

  void Build(const std::string& file, std::vector<LedgerEvent>* events) {
    {
      auto opened = testing_util::OpenTestStore(file);  // 1: its key
      ASSERT_TRUE(opened) << opened.error().message;
      Store& store = **opened;
      ASSERT_TRUE(store.Import(HarrisBatch(), kAlice, "harris"));  // 2
      int64_t lfb = AssignmentId(store, "harris-2016", "R1", "London Fire Brigade");
      Update u;
      u.date = D("2017-02-01");
      u.implementation = Implementation::kInProgress;
      u.narrative = "Work has begun";
      ASSERT_TRUE(store.AddUpdate(lfb, u, kBob));                               // 3
      ASSERT_TRUE(store.SetOwnerTier("the Met", "emergency_service", kAlice));  // 4
      auto src = store.GetSource("harris-2016");
      ASSERT_TRUE(src);
      Publication p;
      p.source_id = src->id;
      p.title = "First update";
      p.as_of = D("2017-03-01");
      p.snapshot_json = R"({"implemented": 1})";
      auto pub = store.AddPublication(p, kAlice);  // 5
      ASSERT_TRUE(pub) << pub.error().message;
      EXPECT_EQ(pub->ledger_seq, 4);
      u.date = D("2017-04-01");
      u.implementation = Implementation::kImplemented;
      u.narrative = "Done";
      ASSERT_TRUE(store.AddUpdate(lfb, u, kBob));  // 6
      *events = Events(store);
      ASSERT_EQ(events->size(), 6u);
    }
  }

  // Edits the file as an attacker would: triggers dropped first.
  void Tamper(const std::string& sql) {
    RawDb raw(path());
    ASSERT_EQ(raw.DropLedgerTriggers(), RawDb::kOk) << raw.error();
    ASSERT_EQ(raw.Exec(sql), RawDb::kOk) << raw.error() << "\n" << sql;
  }

  VerifyReport VerifyNow() {
    auto store = Open();
    EXPECT_TRUE(store);
    if (!store) return {};
    auto v = store->Verify();
    EXPECT_TRUE(v.has_value()) << v.error().message;
    return v ? *v : VerifyReport{};
  }

  // A well-sealed event (scheme 2) after `prev`, as someone who knows the
  // scheme but not the key would make it.
  static LedgerEvent Forge(int64_t seq, const std::string& prev, const std::string& payload) {
    LedgerEvent e;
    e.seq = seq;
    e.ts = "2030-01-01T00:00:00.000Z";
    e.actor = "user:mallory";
    e.kind = "update";
    e.payload = payload;
    e.prev_hash = prev;
    e.scheme = 2;
    e.hash = EventHash(e);
    return e;
  }
  static std::string InsertSql(const LedgerEvent& e) {
    return "INSERT INTO ledger(seq, ts, actor, kind, payload, prev_hash, hash, scheme) VALUES(" +
           std::to_string(e.seq) + ", '" + e.ts + "', '" + e.actor + "', '" + e.kind + "', '" +
           e.payload + "', '" + e.prev_hash + "', '" + e.hash + "', 2)";
  }

  // Replaces the store with a fresh copy of the template (on PostgreSQL, a
  // fresh history in a schema of its own).
  void Fresh() {
    if (testing_util::UsingPostgres()) {
      static int fresh = 0;
      path_name_ = "rectrack-" + std::to_string(++fresh) + ".db";
    } else {
      for (const char* suffix : {"", "-wal", "-shm", ".key"})
        std::filesystem::remove(path() + suffix);
    }
    SetUp();
  }

  std::vector<LedgerEvent> events_;
};

TEST_F(LedgerTest, CleanStoreVerifies) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto v = store->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
  EXPECT_TRUE(v->problems.empty());
  EXPECT_EQ(v->events, 6);
  EXPECT_EQ(v->head.seq, 6);
  EXPECT_EQ(v->head.hash, events_.back().hash);
  EXPECT_EQ(v->full_from, 1);
  EXPECT_EQ(v->publications, 1);
  EXPECT_EQ(v->keys, 1);
  auto head = store->Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->seq, 6);
  EXPECT_EQ(head->hash, events_.back().hash);
  std::vector<std::string> kinds;
  for (size_t i = 0; i < events_.size(); ++i) {
    kinds.push_back(events_[i].kind);
    EXPECT_EQ(events_[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(events_[i].scheme, 2);
    EXPECT_EQ(events_[i].prev_hash, i == 0 ? kGenesisHash : events_[i - 1].hash);
    EXPECT_EQ(events_[i].hash, EventHash(events_[i]));
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"tracker_key", "import", "update", "owner_tier",
                                             "publish", "update"}));
  // ForEachEvent stops when asked.
  int seen = 0;
  ASSERT_TRUE(store->ForEachEvent([&](const LedgerEvent&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
  // The state digest is the replay's, and a function of the tables alone.
  auto digest = StateDigest(*store);
  ASSERT_TRUE(digest);
  EXPECT_EQ(*digest, v->state_digest);
}

TEST_F(LedgerTest, TriggersRefuseEditsThroughSql) {
  {
    RawDb raw(path());
    EXPECT_EQ(raw.Exec("UPDATE ledger SET payload = '{}' WHERE seq = 2"), RawDb::kConstraint);
    EXPECT_TRUE(Mentions(raw.error(), "append-only"));
    EXPECT_EQ(raw.Exec("DELETE FROM ledger WHERE seq = 5"), RawDb::kConstraint);
    EXPECT_TRUE(Mentions(raw.error(), "append-only"));
    EXPECT_EQ(raw.Exec("DELETE FROM ledger"), RawDb::kConstraint);
    EXPECT_EQ(raw.Int("SELECT COUNT(*) FROM ledger"), 6);
  }
  EXPECT_TRUE(VerifyNow().ok);
}

TEST_F(LedgerTest, EditedPayloadNamesTheEvent) {
  Tamper(
      "UPDATE ledger SET payload = replace(payload, 'Work has begun', 'All done') "
      "WHERE seq = 3");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 3 "));
  EXPECT_TRUE(Mentions(v.problems[0], "altered"));
}

TEST_F(LedgerTest, EditedAndRehashedEventBreaksTheNextLink) {
  LedgerEvent e = events_[2];
  e.payload.replace(e.payload.find("Work has begun"), 14, "All done");
  e.hash = EventHash(e);
  Tamper("UPDATE ledger SET payload = '" + e.payload + "', hash = '" + e.hash + "' WHERE seq = 3");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 4 does not link to event 3"));
}

TEST_F(LedgerTest, DeletedMiddleEventNamesTheGap) {
  Tamper("DELETE FROM ledger WHERE seq = 4");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 5 follows event 3"));
  EXPECT_TRUE(Mentions(v.problems[0], "4..4 are missing"));
}

TEST_F(LedgerTest, ForgedEventWithABadHash) {
  LedgerEvent e = Forge(7, events_.back().hash, "{}");
  e.hash = std::string(64, 'f');
  Tamper(InsertSql(e));
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 7 "));
}

TEST_F(LedgerTest, ForgedEventWithAValidHashAfterTheHead) {
  // The attacker knows the hashing scheme but cannot sign the new head. A
  // well-formed change set, so that it replays: the update it adds is forged.
  std::string payload =
      R"({"about":{},"changes":{"update":{"assignments":[[[1],{"implementation":"implemented"}]]}}})";
  Tamper(InsertSql(Forge(7, events_.back().hash, payload)) +
         "; UPDATE assignments SET implementation = 'implemented' WHERE id = 1");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 7"));
  EXPECT_TRUE(Mentions(v.problems[0], "event 6"));
  EXPECT_TRUE(Mentions(v.problems[0], "added after the recorded head"));
  // And with the recorded head moved too, its signature gives it away.
  Tamper("UPDATE meta SET value = '7 " + Forge(7, events_.back().hash, payload).hash +
         "' WHERE key = 'ledger_head'");
  v = VerifyNow();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(Mentions(Joined(v.problems), "is not signed by the tracker's key"));
}

TEST_F(LedgerTest, ForgedEventInsertedInTheMiddle) {
  LedgerEvent f = Forge(5, events_[3].hash, "{}");
  Tamper(
      "UPDATE ledger SET seq = seq + 10 WHERE seq >= 5; "
      "UPDATE ledger SET seq = seq - 9 WHERE seq >= 15; " +
      InsertSql(f));
  {
    RawDb raw(path());
    ASSERT_EQ(raw.Int("SELECT COUNT(*) FROM ledger"), 7);
  }
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 5 ")) << v.problems[0];
}

TEST_F(LedgerTest, ReorderedEventsAreReported) {
  // Swap the seq of events 3 and 4.
  Tamper(
      "UPDATE ledger SET seq = -3 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = 4; "
      "UPDATE ledger SET seq = 4 WHERE seq = -3;");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 3 "));
}

TEST_F(LedgerTest, SwappedContentsAreReported) {
  // Swap everything but seq between events 3 and 4.
  Tamper(
      "CREATE TEMP TABLE t AS SELECT * FROM ledger WHERE seq IN (3, 4); "
      "UPDATE ledger SET (ts, actor, kind, payload, prev_hash, hash) = "
      "(SELECT ts, actor, kind, payload, prev_hash, hash FROM t WHERE t.seq = 7 - ledger.seq) "
      "WHERE seq IN (3, 4);");
  {
    RawDb raw(path());
    ASSERT_EQ(raw.Text("SELECT kind FROM ledger WHERE seq = 3"), "owner_tier");
  }
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 3 "));
}

TEST_F(LedgerTest, TruncatedTailIsReported) {
  Tamper("DELETE FROM ledger WHERE seq = 6");  // the recorded head still says 6
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(v.problems[0], "event 5"));
  EXPECT_TRUE(Mentions(v.problems[0], "event 6"));
  EXPECT_TRUE(Mentions(v.problems[0], "removed from the end"));
}

TEST_F(LedgerTest, TruncatedTailWithoutTheRecordedHeadIsReported) {
  Tamper("DELETE FROM ledger WHERE seq = 6; DELETE FROM meta WHERE key = 'ledger_head'");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_TRUE(Mentions(Joined(v.problems), "no record of its ledger head"));
}

TEST_F(LedgerTest, TruncatedTailWithTheHeadAndTablesFixedIsReported) {
  // One of the insider's cases: the last update cut off, its row deleted, the
  // version put back and the recorded head made to agree. Everything matches
  // but the head's signature, which needs the key.
  Tamper("DELETE FROM ledger WHERE seq = 6; DELETE FROM updates WHERE narrative = 'Done'; "
         "UPDATE assignments SET version = version - 1 WHERE id = (SELECT assignment_id FROM "
         "updates WHERE narrative = 'Work has begun'); "
         "UPDATE meta SET value = '5 " + events_[4].hash + "' WHERE key = 'ledger_head'");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(Mentions(Joined(v.problems), "head (event 5) is not signed by the tracker's key"))
      << Joined(v.problems);
}

TEST_F(LedgerTest, TruncationPastAPublicationIsReportedEvenWithTheHeadRewritten) {
  // Cut events 5 (the publication's own) and 6, and make the head agree.
  Tamper("DELETE FROM ledger WHERE seq >= 5; UPDATE meta SET value = '4 " + events_[3].hash +
         "' WHERE key = 'ledger_head'");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(Mentions(Joined(v.problems), "publications, id 1: row not in the ledger"));
  EXPECT_TRUE(Mentions(Joined(v.problems), "not signed by the tracker's key"));
}

TEST_F(LedgerTest, TamperedPublicationSnapshotIsReported) {
  Tamper("UPDATE publications SET snapshot = '{\"implemented\": 99}' WHERE id = 1");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(Mentions(Joined(v.problems),
                       "publications, id 1, column snapshot: the ledger says '{\"implemented\": 1}', "
                       "the table says '{\"implemented\": 99}'"))
      << Joined(v.problems);
}

TEST_F(LedgerTest, TamperedSnapshotWithItsDigestIsReported) {
  const std::string forged = R"({"implemented": 99})";
  Tamper("UPDATE publications SET snapshot = '" + forged + "', snapshot_sha256 = '" +
         Sha256Hex(forged) + "' WHERE id = 1");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(Mentions(Joined(v.problems), "publications, id 1, column snapshot"));
  // Checked alone, as the server does before serving it, it fails too.
  auto store = Open();
  ASSERT_TRUE(store);
  auto pub = store->GetPublication(1);
  ASSERT_TRUE(pub);
  auto alone = CheckPublication(*store, *pub);
  ASSERT_TRUE(alone);
  EXPECT_TRUE(Mentions(Joined(*alone), "its signature does not match")) << Joined(*alone);
  EXPECT_TRUE(Mentions(Joined(*alone), "column snapshot")) << Joined(*alone);
}

TEST_F(LedgerTest, TamperedPublicationPinIsReported) {
  Tamper("UPDATE publications SET ledger_seq = 2 WHERE id = 1");
  auto v = VerifyNow();
  EXPECT_FALSE(v.ok);
  EXPECT_TRUE(Mentions(Joined(v.problems), "publications, id 1, column ledger_seq"));
}

TEST_F(LedgerTest, EditedTablesAreReportedByTableKeyAndColumn) {
  struct Case {
    std::string sql;
    std::string named;
  };
  for (const Case& c : std::vector<Case>{
           {"UPDATE assignments SET implementation = 'implemented' WHERE id = 2",
            "assignments, id 2, column implementation: the ledger says 'not_started', the "
            "table says 'implemented'"},
           {"UPDATE recommendations SET text = 'Nothing to see' WHERE id = 1",
            "recommendations, id 1, column text"},
           {"DELETE FROM updates WHERE id = 2", "updates, id 2: row missing (the ledger has it)"},
           {"INSERT INTO owners(id, name, tier) VALUES(99, 'Ghost Body', 'city')",
            "owners, id 99: row not in the ledger"},
           {"UPDATE funding SET funded = cost WHERE id = 1", "funding, id 1, column funded"},
           {"UPDATE owners SET name = 'Home Department' WHERE name = 'Home Office'",
            "owners, id 1, column name"},
           {"UPDATE tracker_keys SET public_key = '" + std::string(64, 'a') + "'",
            "tracker_keys, id 1, column public_key"},
       }) {
    Fresh();  // a fresh copy per case
    Tamper(c.sql);
    auto v = VerifyNow();
    EXPECT_FALSE(v.ok) << c.sql;
    EXPECT_TRUE(Mentions(Joined(v.problems), c.named)) << c.sql << "\n" << Joined(v.problems);
  }
}

// A chain rewritten wholesale by someone who knows the scheme is consistent;
// what it must not do is crash the verifier with unexpected payloads.
TEST_F(LedgerTest, RewrittenChainWithOddPayloadsDoesNotCrash) {
  const std::vector<std::string> odd = {
      R"({"about": 1})",
      R"({"about":{},"changes":{"insert":{"owners":[["x", 2, 3]]}}})",
      R"({"about":{},"changes":{"insert":{"nowhere":[[1]]}}})",
      R"({"about":{},"changes":{"update":{"owners":[[[1],{"id":5}]]}}})",
      R"({"about":{},"changes":{"delete":{"publications":[[1]]}}})",
      R"({"publication_id": "one", "snapshot_sha256": 7})"};
  for (const auto& payload : odd) {
    Fresh();
    RawDb raw(path());
    ASSERT_EQ(raw.DropLedgerTriggers(), RawDb::kOk) << raw.error();
    auto rows = raw.Rows("SELECT seq, ts, actor, kind, payload FROM ledger ORDER BY seq");
    std::string prev = kGenesisHash;
    for (auto& r : rows) {
      LedgerEvent e{std::stoll(r[0]), r[1], r[2], r[3], r[4], prev, "", 2};
      if (e.seq == 3) e.payload = payload;
      e.hash = EventHash(e);
      EXPECT_EQ(raw.Exec("UPDATE ledger SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                         {e.payload, prev, e.hash, std::to_string(e.seq)}),
                RawDb::kOk)
          << raw.error();
      prev = e.hash;
    }
    ASSERT_EQ(raw.Exec("UPDATE meta SET value = '6 " + prev + "' WHERE key = 'ledger_head'"),
              RawDb::kOk);
    auto v = VerifyNow();
    EXPECT_FALSE(v.ok) << payload;
    EXPECT_TRUE(Mentions(Joined(v.problems), "event 3 (")) << payload << "\n" << Joined(v.problems);
  }
}

// ---- publications in the store ----------------------------------------------

TEST_F(StoreTest, AddPublicationPinsTheHeadBeforeItsOwnEvent) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Import(HarrisBatch(), kAlice, "harris"));
  auto head = store->Head();
  ASSERT_TRUE(head);
  auto src = store->GetSource("harris-2016");
  ASSERT_TRUE(src);
  Publication p;
  p.source_id = src->id;
  p.title = "Later";
  p.as_of = D("2017-10-25");
  p.snapshot_json = "{\"a\": 1}\n";
  auto later = store->AddPublication(p, kAlice);
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(later->ledger_seq, head->seq);
  EXPECT_EQ(later->ledger_hash, head->hash);
  EXPECT_EQ(later->snapshot_sha256, Sha256Hex(p.snapshot_json));
  EXPECT_FALSE(later->created_at.empty());
  // Signed by the tracker's key before it was stored.
  EXPECT_EQ(later->signing_key, *store->CurrentPublicKey());
  EXPECT_EQ(later->signature.size(), 128u);
  auto events = Events(*store);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].kind, "publish");
  auto payload = json::parse(events[2].payload);
  EXPECT_EQ(payload["about"]["publication_id"], later->id);
  EXPECT_EQ(payload["about"]["source"], "harris-2016");
  // The whole publication: snapshot, digest, pin and signature.
  const json& row = payload["changes"]["insert"]["publications"][0];
  EXPECT_EQ(row[0], later->id);
  EXPECT_EQ(row[4], head->seq);
  EXPECT_EQ(row[7], p.snapshot_json);
  EXPECT_EQ(row[8], later->snapshot_sha256);
  EXPECT_EQ(row[9], later->signature);

  p.title = "Earlier";
  p.as_of = D("2016-10-28");
  auto earlier = store->AddPublication(p, kAlice);
  ASSERT_TRUE(earlier);
  EXPECT_EQ(earlier->ledger_seq, 3);  // pinned to the first publication's event
  auto got = store->GetPublication(later->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->snapshot_json, p.snapshot_json);
  EXPECT_EQ(got->title, "Later");
  auto list = store->ListPublications("harris-2016");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].title, "Earlier");  // by as_of
  EXPECT_EQ((*list)[1].title, "Later");
  EXPECT_EQ(store->GetPublication(99).error().code, Error::Code::kNotFound);
  auto v = store->Verify();
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ok) << Joined(v->problems);
}

// ---- two stores on one file --------------------------------------------------

TEST_F(StoreTest, TwoStoresOnOneFileSeeConsistentData) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_TRUE(a->Import(HarrisBatch(), kAlice, "harris"));
  int64_t lfb = AssignmentId(*b, "harris-2016", "R1", "London Fire Brigade");

  ASSERT_TRUE(a->Begin());  // holds the write lock
  Update u;
  u.date = D("2017-02-01");
  u.narrative = "from a";
  ASSERT_TRUE(a->AddUpdate(lfb, u, kAlice));
  // b reads the last committed state while a writes (WAL).
  auto head_b = b->Head();
  ASSERT_TRUE(head_b) << head_b.error().message;
  EXPECT_EQ(head_b->seq, 2);
  auto view = b->GetRecommendation("harris-2016", "R1");
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->assignments[1].updates.empty());
  ASSERT_TRUE(a->Commit());

  // After a commits, b sees it and its own write chains onto a's event.
  auto head_a = a->Head();
  ASSERT_TRUE(head_a);
  u.narrative = "from b";
  ASSERT_TRUE(b->AddUpdate(lfb, u, kBob));
  auto events = Events(*a);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].actor, "test:bob");
  EXPECT_EQ(events[3].prev_hash, head_a->hash);
  view = a->GetRecommendation("harris-2016", "R1");
  ASSERT_TRUE(view);
  ASSERT_EQ(view->assignments[1].updates.size(), 2u);
  for (Store* s : {a.get(), b.get()}) {
    auto v = s->Verify();
    ASSERT_TRUE(v);
    EXPECT_TRUE(v->ok) << Joined(v->problems);
    EXPECT_EQ(v->events, 4);
  }
}

// An owner renamed or merged through one Store must resolve correctly in
// another Store open on the same file.
TEST_F(StoreTest, OwnerChangesThroughAnotherStoreAreSeen) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->Import(HarrisBatch(), kBob, "harris"));  // b now knows the owners
  ASSERT_TRUE(b->Import(SimpleBatch("old", {"1"}, "Met Police Service"), kBob, "old"));

  ASSERT_TRUE(a->SetAlias("Met", "Metropolitan Police Service", kAlice));
  ASSERT_TRUE(a->SetAlias("Met Police Service", "Metropolitan Police Service", kAlice));

  ImportBatch batch = SimpleBatch("new", {"1", "2"}, "Met");
  batch.sources[0].recommendations[1].assignments = {Assign("Met Police Service")};
  auto sum = b->Import(batch, kBob, "new");
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->owners_created, 0);
  for (const char* ref : {"1", "2"}) {
    auto r = b->GetRecommendation("new", ref);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->assignments[0].owner.name, "Metropolitan Police Service") << ref;
  }
  ExpectNoDanglingReferences(path());
}

}  // namespace
}  // namespace rectrack

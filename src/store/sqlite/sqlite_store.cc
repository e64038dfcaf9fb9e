// The SQLite store: one file, WAL, foreign keys on, synchronous=FULL. What it
// does differently from the SQL store it is (store/sql/sql_store.h): its
// pragmas and migrations, BEGIN IMMEDIATE, FTS5 for search, the upgrade of
// stores made before the ledger held every change (sqlite_baseline.cc), and the
// private scratch stores that verify replays into.
#include "store/sqlite/sqlite_store.h"

#include <sys/stat.h>

#include "fmt/format.h"
#include "store/sqlite/schema.h"

namespace rectrack {
namespace sqlite {

// 64 MB: the indexes' pages that imports and writes go back to.
constexpr char kCacheSize[] = "PRAGMA cache_size=-65536";

Status SqliteStore::Configure() {
  if (scratch()) {
    // Nothing of it outlives the process: no journal, no syncing.
    RT_TRY(db_->Exec("PRAGMA journal_mode=OFF"));
    RT_TRY(db_->Exec("PRAGMA synchronous=OFF"));
    RT_TRY(db_->Exec("PRAGMA foreign_keys=OFF"));
    RT_TRY(db_->Exec(kCacheSize));
    RT_TRY(db_->Exec("PRAGMA temp_store=FILE"));
    return {};
  }
  RT_TRY(db_->Exec("PRAGMA journal_mode=WAL"));
  RT_TRY(db_->Exec("PRAGMA synchronous=FULL"));
  RT_TRY(db_->Exec("PRAGMA foreign_keys=ON"));
  return db_->Exec(kCacheSize);
}

// SQLite's default (2 MB) for the scan; the pages it no longer holds are freed.
Status SqliteStore::ScanCache(bool on) {
  return db_->Exec(on ? "PRAGMA cache_size=-2000" : kCacheSize);
}

Result<int64_t> SqliteStore::ReadSchemaVersion() {
  auto st = db_->Prepare("PRAGMA user_version");
  if (!st) return Fail(st.error());
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  int64_t version = (*st)->Int(0);
  (*st)->Reset();
  return version;
}

Status SqliteStore::WriteSchemaVersion(int64_t version) {
  return db_->Exec(fmt::format("PRAGMA user_version={}", version));
}

std::vector<std::string_view> SqliteStore::Migrations() const {
  return std::vector<std::string_view>(std::begin(kMigrations), std::end(kMigrations));
}

Status SqliteStore::BeginOuter() { return db_->Exec("BEGIN IMMEDIATE"); }

Status SqliteStore::ForeignKeysForImport(bool on) {
  // SQLite's foreign key checks (two index lookups per assignment) only cost
  // an import time; the pragma cannot change inside a transaction.
  return db_->Exec(on ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
}

Status SqliteStore::CheckSearchStructure(std::vector<std::string>* problems) {
  if (scratch()) return {};
  // The index's own structure against its rows (FTS5 'integrity-check'): a
  // statement that writes nothing, in a savepoint of its own.
  RT_TRY(db_->Exec("SAVEPOINT fts_check"));
  auto s = db_->Exec("INSERT INTO recommendation_fts(recommendation_fts) VALUES('integrity-check')");
  (void)db_->Exec("ROLLBACK TO fts_check");
  (void)db_->Exec("RELEASE fts_check");
  if (!s)
    problems->push_back(fmt::format("recommendation_fts: the search index is damaged ({})",
                                    s.error().message));
  return {};
}

// Turns free text into an FTS5 query of quoted terms, so that user input is
// never parsed as FTS5 syntax (no column filters, NEAR, or syntax errors).
static std::string FtsQuery(const std::string& q) {
  std::string out, term;
  auto flush = [&]() {
    if (term.empty()) return;
    if (!out.empty()) out += " ";
    out += "\"" + term + "\"";
    term.clear();
  };
  for (unsigned char c : q) {
    // Control characters separate terms too: a NUL inside a quoted FTS5 string
    // is a syntax error ("unterminated string").
    if (c == '"' || c == ' ' || c < 0x20 || c == 0x7f) {
      flush();
    } else {
      term.push_back(static_cast<char>(c));
    }
  }
  flush();
  return out;
}

Result<int64_t> SqliteStore::SearchCount(const std::string& query) {
  std::string fts = FtsQuery(query);
  if (fts.empty()) return Fail(Error::Invalid("empty search"));
  auto st = db_->Prepare("SELECT count(*) FROM recommendation_fts WHERE recommendation_fts MATCH ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, fts);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  int64_t n = *r ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return n;
}

Result<std::vector<SearchHit>> SqliteStore::Search(const std::string& query, int limit,
                                                   int offset) {
  std::string fts = FtsQuery(query);
  if (fts.empty()) return Fail(Error::Invalid("empty search"));
  auto st = db_->Prepare(
      "SELECT f.rowid, s.slug, r.ref, bm25(recommendation_fts) AS rank, "
      "snippet(recommendation_fts, 0, char(1), char(2), '…', 16), "
      "snippet(recommendation_fts, 1, char(1), char(2), '…', 16) "
      "FROM recommendation_fts f JOIN recommendations r ON r.id = f.rowid "
      "JOIN sources s ON s.id = r.source_id "
      "WHERE recommendation_fts MATCH ? ORDER BY rank, f.rowid LIMIT ? OFFSET ?");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, fts).Bind(2, limit).Bind(3, std::max(offset, 0));
  std::vector<SearchHit> out;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    sql::Statement* s = *st;
    SearchHit h;
    h.recommendation_id = s->Int(0);
    h.source_slug = s->Str(1);
    h.ref = s->Str(2);
    h.rank = s->Double(3);
    std::string text = s->Str(4), resp = s->Str(5);
    h.field = sql::MatchedField(text, resp);
    h.snippet = h.field == "text" ? text : resp;
    sql::BracketMarks(&h.snippet);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace sqlite

namespace {

// Opens the store at `path` and migrates it; with `must_exist`, a database
// that holds no tracker is NotFound instead of made one.
Result<std::unique_ptr<Store>> OpenAt(const std::string& path, const KeyOptions& keys,
                                      bool must_exist) {
  auto db = sqlite::Db::Open(path);
  if (!db) return Fail(db.error());
  auto store = std::make_unique<sqlite::SqliteStore>(std::move(*db), path, keys, false);
  if (must_exist) store->set_must_exist();
  auto m = store->Open();
  if (!m) {
    Error e = m.error();
    if (e.code == Error::Code::kNotFound)
      e = Error::NotFound(fmt::format("no store at '{}': {}", path, e.message));
    else if (e.message.find("not a database") != std::string::npos ||
             e.code == Error::Code::kCorrupt)
      e = Error::Corrupt(fmt::format("'{}' is not a rectrack database: {}", path, e.message));
    return Fail(e);
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, const KeyOptions& keys) {
  return OpenAt(path, keys, false);
}

Result<std::unique_ptr<Store>> OpenExistingSqliteStore(const std::string& path,
                                                      const KeyOptions& keys) {
  // Checked before SQLite opens it: opening makes the file.
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || st.st_size == 0)
    return Fail(Error::NotFound(fmt::format(
        "no store at '{}': `rectrack init` makes one (or give --create)", path)));
  return OpenAt(path, keys, true);
}

Result<std::unique_ptr<Store>> CreateEmptySqliteStore(const std::string& path,
                                                      const KeyOptions& keys) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && st.st_size > 0)
    return Fail(Error::Conflict(fmt::format("'{}' exists already: give a new file", path)));
  auto db = sqlite::Db::Open(path);
  if (!db) return Fail(db.error());
  auto store = std::make_unique<sqlite::SqliteStore>(std::move(*db), path, keys, false);
  store->set_empty();
  RT_TRY(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenScratchStore() {
  // An empty name: SQLite's private temporary database, on disk beyond its
  // cache and deleted when closed.
  auto db = sqlite::Db::Open("");
  if (!db) return Fail(db.error());
  auto store = std::make_unique<sqlite::SqliteStore>(std::move(*db), "", KeyOptions{}, true);
  RT_TRY(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace rectrack

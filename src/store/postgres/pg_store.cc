// The PostgreSQL store: the SQL store (store/sql/sql_store.h) over libpq, for
// several rectrack servers on one database. What it does differently from
// SQLite: its migrations and schema table (pg_schema.h); writers serialised by
// a transaction-level advisory lock, so that the ledger stays one chain
// whoever writes; reads that must agree with each other in a REPEATABLE READ
// transaction; COPY for bulk inserts; search on a tsvector with a GIN index;
// a NOTIFY with every event, which servers LISTEN to instead of polling.
#include "store/postgres/pg_store.h"

#include "fmt/format.h"
#include "store/keyfile.h"
#include "store/postgres/pg_schema.h"

namespace rectrack {
namespace pg {
namespace {

// The advisory lock every writer takes: "rectrak" in ASCII.
constexpr int64_t kWriteLock = 0x72656374726b;

// Fewer rows than this go in with prepared inserts (no savepoint, no COPY).
constexpr size_t kCopyFrom = 64;

// A value in COPY's text format.
void CopyValue(std::string* out, const Value& v) {
  switch (v.type) {
    case Value::Type::kNull:
      *out += "\\N";
      return;
    case Value::Type::kInt:
      *out += std::to_string(v.i);
      return;
    case Value::Type::kText:
      break;
  }
  for (char c : v.s) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      default: out->push_back(c);
    }
  }
}

void CopyText(std::string* out, std::string_view s) { CopyValue(out, Value::Text(std::string(s))); }

// Columns the projection leaves out but the schema requires (as in
// sql_apply.cc's inserts): secrets the ledger never holds start unset.
std::string ExtraColumn(std::string_view table) {
  if (table == "users") return "password_hash";
  if (table == "api_tokens") return "token_hash";
  return "";
}

}  // namespace

std::string RedactUrl(const std::string& url) {
  // scheme://user:password@host... and ?password=... or &password=...
  std::string out = url;
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t at = out.find('@', scheme + 3);
    size_t slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      size_t colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (const char* key : {"?password=", "&password="}) {
    size_t p = out.find(key);
    if (p == std::string::npos) continue;
    size_t from = p + std::strlen(key);
    size_t end = out.find('&', from);
    out.replace(from, (end == std::string::npos ? out.size() : end) - from, "***");
  }
  return out;
}

Status PostgresStore::Configure() {
  auto st = db_->Prepare("SELECT current_setting('server_version_num')");
  if (!st) return Fail(st.error());
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  int64_t version = (*st)->Int(0);
  (*st)->Reset();
  // Generated columns (the search vector) came with PostgreSQL 12.
  if (version < 120000)
    return Fail(Error::Invalid(fmt::format(
        "PostgreSQL {}.{} is too old for rectrack: it needs 12 or later (15 is tested)",
        version / 10000, version % 10000)));
  return {};
}

Result<int64_t> PostgresStore::ReadSchemaVersion() {
  auto exists = db_->Prepare(
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND "
      "tablename = 'rectrack_schema'");
  if (!exists) return Fail(exists.error());
  auto r = (*exists)->Step();
  if (!r) return Fail(r.error());
  bool found = (*exists)->Int(0) > 0;
  (*exists)->Reset();
  if (!found) return int64_t{0};
  auto st = db_->Prepare("SELECT version FROM rectrack_schema");
  if (!st) return Fail(st.error());
  r = (*st)->Step();
  if (!r) return Fail(r.error());
  int64_t v = *r ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return v;
}

Status PostgresStore::WriteSchemaVersion(int64_t version) {
  RT_TRY(db_->Exec(
      "CREATE TABLE IF NOT EXISTS rectrack_schema (version BIGINT NOT NULL); "
      "DELETE FROM rectrack_schema"));
  auto st = db_->Prepare("INSERT INTO rectrack_schema(version) VALUES(?)");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, version);
  return (*st)->Run();
}

std::vector<std::string_view> PostgresStore::Migrations() const {
  return std::vector<std::string_view>(std::begin(kMigrations), std::end(kMigrations));
}

Status PostgresStore::BeginOuter() {
  RT_TRY(db_->Exec("BEGIN"));
  // One writer at a time, on every server: the ledger's next seq and hash are
  // read under this lock. A wait beyond lock_timeout is kUnavailable (503).
  auto s = db_->Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kWriteLock));
  if (!s) {
    (void)db_->Exec("ROLLBACK");
    return Fail(s.error());
  }
  return {};
}

Status PostgresStore::InsertRows(const TableDef& t, const std::vector<Row>& rows,
                                 sql::ApplyFailure* failure) {
  if (rows.size() < kCopyFrom) return SqlStore::InsertRows(t, rows, failure);
  std::string cols;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    if (i) cols += ", ";
    cols += t.columns[i].name;
  }
  const std::string extra = ExtraColumn(t.name);
  if (!extra.empty()) cols += ", " + extra;
  std::string data;
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) data.push_back('\t');
      CopyValue(&data, row[i]);
    }
    if (t.name == "users") data += "\t";
    else if (t.name == "api_tokens") data += fmt::format("\tnone:{}", row[0].i);
    data.push_back('\n');
  }
  // A failed COPY says which line but not in our words: undo it and insert
  // row by row, which stops at the row that fails with what is wrong with it.
  RT_TRY(db_->Exec("SAVEPOINT rt_copy"));
  auto copied = pg()->CopyIn(fmt::format("COPY {}({}) FROM STDIN", t.name, cols), data);
  if (copied) return db_->Exec("RELEASE rt_copy");
  if (copied.error().code == Error::Code::kUnavailable) return copied;
  RT_TRY(db_->Exec("ROLLBACK TO rt_copy"));
  (void)db_->Exec("RELEASE rt_copy");
  RT_TRY(SqlStore::InsertRows(t, rows, failure));
  return copied;  // every row went in one by one: COPY failed for another reason
}

Status PostgresStore::InsertSearchEntries(const std::vector<sql::SearchEntry>& entries) {
  if (entries.size() < kCopyFrom) return SqlStore::InsertSearchEntries(entries);
  std::string data;
  for (const auto& e : entries) {
    data += std::to_string(e.id);
    data.push_back('\t');
    CopyText(&data, e.text);
    data.push_back('\t');
    CopyText(&data, e.responses);
    data.push_back('\n');
  }
  return pg()->CopyIn("COPY recommendation_search(id, text, responses) FROM STDIN", data);
}

Status PostgresStore::AfterAppend(const LedgerEvent& e) {
  // Delivered when the transaction commits, to every server listening.
  auto st = db_->Prepare(fmt::format("SELECT pg_notify('{}', ?)", kLedgerChannel));
  if (!st) return Fail(st.error());
  (*st)->Bind(1, std::to_string(e.seq));
  return (*st)->Run();
}

Status PostgresStore::CheckSearchStructure(std::vector<std::string>* problems) {
  // The stored vectors against what the texts give now: a vector altered
  // behind the generated column's back (by a superuser) is caught here.
  auto st = db_->PrepareScan(
      "SELECT id FROM recommendation_search WHERE document IS DISTINCT FROM "
      "(setweight(to_tsvector('rectrack_english', text), 'A') || "
      "setweight(to_tsvector('rectrack_english', responses), 'B')) ORDER BY id");
  if (!st) return Fail(st.error());
  int n = 0;
  while (true) {
    auto r = (*st)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    if (++n <= 10)
      problems->push_back(fmt::format(
          "recommendation_search: the search vector of recommendation {} is not the one its "
          "text gives",
          (*st)->Int(0)));
  }
  if (n > 10)
    problems->push_back(
        fmt::format("recommendation_search: {} more search vectors are wrong", n - 10));
  return {};
}

Result<std::vector<SearchHit>> PostgresStore::Search(const std::string& query, int limit) {
  // Terms as SQLite's store takes them: split on spaces, quotes and control
  // characters; every term must match (plainto_tsquery ANDs them, stemmed).
  std::string terms;
  for (unsigned char c : query) {
    bool sep = c == '"' || c == ' ' || c < 0x20 || c == 0x7f;
    terms.push_back(sep ? ' ' : static_cast<char>(c));
  }
  if (terms.find_first_not_of(' ') == std::string::npos) return Fail(Error::Invalid("empty search"));
  // Best first by ts_rank_cd (cover density), negated so that lower is better
  // as with SQLite's bm25; snippets of about 16 words from the matching field.
  auto st = db_->Prepare(
      "SELECT h.id, s.slug, r.ref, -h.rank, "
      "ts_headline('rectrack_english', h.text, h.q, "
      "  'StartSel=\x01, StopSel=\x02, MaxWords=16, MinWords=8, ShortWord=1, "
      "   MaxFragments=1, FragmentDelimiter=…'), "
      "ts_headline('rectrack_english', h.responses, h.q, "
      "  'StartSel=\x01, StopSel=\x02, MaxWords=16, MinWords=8, ShortWord=1, "
      "   MaxFragments=1, FragmentDelimiter=…') "
      "FROM (SELECT f.id, f.text, f.responses, q.q, ts_rank_cd(f.document, q.q) AS rank "
      "      FROM recommendation_search f, "
      "           (SELECT plainto_tsquery('rectrack_english', ?) AS q) q "
      "      WHERE f.document @@ q.q ORDER BY rank DESC, f.id LIMIT ?) h "
      "JOIN recommendations r ON r.id = h.id JOIN sources s ON s.id = r.source_id "
      "ORDER BY h.rank DESC, h.id");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, terms).Bind(2, limit);
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
    bool in_text = text.find('\x01') != std::string::npos;
    h.field = in_text || resp.find('\x01') == std::string::npos ? "text" : "response";
    h.snippet = h.field == "text" ? text : resp;
    for (char& c : h.snippet) {
      if (c == '\x01') c = '[';
      else if (c == '\x02') c = ']';
    }
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

class PgListener : public ChangeListener {
 public:
  explicit PgListener(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}
  Result<bool> Wait(int timeout_ms) override { return conn_->WaitForNotification(timeout_ms); }

 private:
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<ChangeListener>> PostgresStore::ListenForChanges() {
  auto conn = PgConnection::Open(path_);
  if (!conn) return Fail(conn.error());
  RT_TRY((*conn)->Exec(fmt::format("LISTEN {}", kLedgerChannel)));
  return std::unique_ptr<ChangeListener>(new PgListener(std::move(*conn)));
}

}  // namespace pg

namespace {

Result<std::unique_ptr<pg::PostgresStore>> Connect(const std::string& url, const KeyOptions& keys) {
  auto conn = pg::PgConnection::Open(url);
  if (!conn) return Fail(conn.error());
  return std::make_unique<pg::PostgresStore>(std::move(*conn), url, keys);
}

Error Described(const std::string& url, Error e) {
  e.message = fmt::format("PostgreSQL store {}: {}", pg::RedactUrl(url), e.message);
  return e;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const KeyOptions& keys) {
  auto store = Connect(url, keys);
  if (!store) return Fail(Described(url, store.error()));
  if (auto m = (*store)->Open(); !m) return Fail(Described(url, m.error()));
  return std::unique_ptr<Store>(std::move(*store));
}

Result<std::unique_ptr<Store>> CreateEmptyPostgresStore(const std::string& url,
                                                        const KeyOptions& keys) {
  auto store = Connect(url, keys);
  if (!store) return Fail(Described(url, store.error()));
  (*store)->set_empty();
  if (auto m = (*store)->Open(); !m) return Fail(Described(url, m.error()));
  auto head = (*store)->Head();
  if (!head) return Fail(Described(url, head.error()));
  if (head->seq > 0)
    return Fail(Error::Conflict(fmt::format(
        "{} holds a tracker already ({} ledger events): give an empty database",
        pg::RedactUrl(url), head->seq)));
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace rectrack

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

// The advisory lock every writer takes, with the store's schema as its
// second key (trackers in different schemas of one database do not wait for
// each other): "rect" in ASCII.
constexpr int32_t kWriteLock = 0x72656374;

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
  auto s = db_->Exec(
      fmt::format("SELECT pg_advisory_xact_lock({}, hashtext(current_schema()))", kWriteLock));
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

// The sibling sees exactly this transaction's snapshot (pg_export_snapshot).
Status PostgresStore::JoinReadSnapshot(sql::Connection& sibling) {
  auto st = db_->Prepare("SELECT pg_export_snapshot()");
  if (!st) return Fail(st.error());
  auto row = (*st)->Step();
  if (!row) return Fail(row.error());
  if (!*row) return Fail(Error::Internal("pg_export_snapshot returned no row"));
  const std::string id = (*st)->Str(0);
  (*st)->Reset();
  // SET TRANSACTION SNAPSHOT takes no parameters: the id is the server's own,
  // and only hexadecimal digits and dashes get into the statement.
  if (id.empty() || id.find_first_not_of("0123456789ABCDEFabcdef-") != std::string::npos)
    return Fail(Error::Internal("unexpected snapshot id from the server"));
  RT_TRY(sibling.Exec(BeginReadSql()));
  return sibling.Exec("SET TRANSACTION SNAPSHOT '" + id + "'");
}

Status PostgresStore::AfterAppend(const LedgerEvent& e) {
  // Delivered when the transaction commits, to every server listening: "schema seq".
  auto st = db_->Prepare(
      fmt::format("SELECT pg_notify('{}', current_schema() || ' ' || ?)", kLedgerChannel));
  if (!st) return Fail(st.error());
  (*st)->Bind(1, std::to_string(e.seq));
  return (*st)->Run();
}

// A text with the characters that would make words into tags, addresses or
// paths blanked, as the schema's search vector has them (pg_schema.h,
// migration 5: replace() one character at a time, which is translate()'s
// result in an eighth of its time).
#define RT_BLANKED(col)                                                                         \
  "replace(replace(replace(replace(replace(replace(replace(" col ", '<', E'\\x0e'), "           \
  "'>', E'\\x0f'), '@', E'\\x10'), '/', E'\\x11'), '.', E'\\x12'), ':', E'\\x13'), "        \
  "'&', E'\\x14')"
// The search vector of a text, as the schema makes it.
#define RT_SEARCH_VECTOR(col) "to_tsvector('rectrack_english', " RT_BLANKED(col) ")"

Status PostgresStore::CheckSearchStructure(std::vector<std::string>* problems) {
  // The text search configuration and its dictionaries as migration 1 made
  // them. The check of the vectors below recomputes them with the
  // configuration as it is now: a table owner who altered it (a token type
  // unmapped, stop words added) and then made every vector again
  // (UPDATE ... SET text = text) would pass that check while search no longer
  // finds what the texts say (tests/tamper.sh).
  auto cfg = db_->Prepare(
      "SELECT 'token type ' || t.alias FROM pg_catalog.ts_token_type('default') t "
      "WHERE (SELECT array_agg(m.mapdict ORDER BY m.mapseqno) FROM pg_catalog.pg_ts_config_map m "
      "       WHERE m.mapcfg = 'rectrack_english'::regconfig AND m.maptokentype = t.tokid) "
      "  IS DISTINCT FROM CASE WHEN t.alias IN ('asciiword', 'asciihword', 'hword_asciipart', "
      "                                         'word', 'hword', 'hword_part') "
      "  THEN ARRAY['rectrack_ext.unaccent'::regdictionary::oid, "
      "             'rectrack_english_stem'::regdictionary::oid] "
      "  ELSE (SELECT array_agg(m.mapdict ORDER BY m.mapseqno) FROM pg_catalog.pg_ts_config_map m "
      "        WHERE m.mapcfg = 'pg_catalog.english'::regconfig AND m.maptokentype = t.tokid) END "
      "UNION ALL SELECT 'parser' FROM pg_catalog.pg_ts_config c "
      "  WHERE c.oid = 'rectrack_english'::regconfig AND c.cfgparser <> "
      "  (SELECT p.oid FROM pg_catalog.pg_ts_parser p WHERE p.prsname = 'default' "
      "   AND p.prsnamespace = 'pg_catalog'::regnamespace) "
      "UNION ALL SELECT 'dictionary ' || d.dictname FROM pg_catalog.pg_ts_dict d "
      "  JOIN pg_catalog.pg_ts_template tp ON tp.oid = d.dicttemplate "
      "  WHERE (d.oid = 'rectrack_english_stem'::regdictionary AND (tp.tmplname <> 'snowball' OR "
      "         d.dictinitoption IS DISTINCT FROM 'language = ''english''')) "
      "     OR (d.oid = 'rectrack_ext.unaccent'::regdictionary AND (tp.tmplname <> 'unaccent' OR "
      "         d.dictinitoption IS DISTINCT FROM 'rules = ''unaccent'''))");
  if (!cfg) return Fail(cfg.error());
  std::string changed;
  while (true) {
    auto r = (*cfg)->Step();
    if (!r) return Fail(r.error());
    if (!*r) break;
    changed += (changed.empty() ? "" : ", ") + (*cfg)->Str(0);
  }
  if (!changed.empty())
    problems->push_back(fmt::format(
        "recommendation_search: the text search configuration rectrack_english is not the one "
        "rectrack made (changed: {}): search would not find what the texts say",
        changed));
  // The stored vectors against what the texts give now: a vector altered
  // behind the generated column's back (by a superuser) is caught here.
  auto st = db_->PrepareScan(
      "SELECT id FROM recommendation_search WHERE document IS DISTINCT FROM "
      "(setweight(" RT_SEARCH_VECTOR("text") ", 'A') || "
      "setweight(" RT_SEARCH_VECTOR("responses") ", 'B')) ORDER BY id");
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

namespace {

// The characters the search vector blanks, and the control characters that
// stand in for them (pg_schema.h).
constexpr std::string_view kBlanked = "<>@/.:&";
constexpr std::string_view kStandIns = "\x0e\x0f\x10\x11\x12\x13\x14";

// ts_headline over the blanked text; the markers \x01 and \x02 around matches.
// A text of 16 words or fewer is shown whole, as SQLite's snippet() shows it.
#define RT_HEADLINE(col)                                                                      \
  "CASE WHEN array_length(regexp_split_to_array(btrim(" col "), '\\s+'), 1) <= 16 "            \
  "THEN ts_headline('rectrack_english', " RT_BLANKED(col) ", h.q, "                           \
  "  'StartSel=\x01, StopSel=\x02, HighlightAll=true') "                                     \
  "ELSE ts_headline('rectrack_english', " RT_BLANKED(col) ", h.q, "                           \
  "  'StartSel=\x01, StopSel=\x02, MaxWords=16, MinWords=8, ShortWord=1, MaxFragments=0') END"

// A snippet as SQLite's snippet() makes one: "…" where the text goes on
// before or after it, the blanked characters put back.
std::string Snippet(std::string headline, std::string_view text) {
  for (char& c : headline) {
    size_t k = kStandIns.find(c);
    if (k != std::string_view::npos) c = kBlanked[k];
  }
  std::string plain;
  for (char c : headline)
    if (c != '\x01' && c != '\x02') plain.push_back(c);
  size_t at = text.find(plain);
  if (plain.empty() || at == std::string_view::npos) return headline;
  // ts_headline starts and ends at words: the marks that cling to them (a
  // bracket, a quote, a full stop) come back, as SQLite's snippet keeps them.
  auto clings = [](char c) { return c != ' ' && c != '\n' && c != '\t' && c != '\r'; };
  size_t from = at, to = at + plain.size();
  while (from > 0 && clings(text[from - 1])) --from;
  while (to < text.size() && clings(text[to])) ++to;
  std::string out;
  if (from > 0) out += "…";
  out.append(text.substr(from, at - from));
  out += headline;
  out.append(text.substr(at + plain.size(), to - at - plain.size()));
  if (to < text.size()) out += "…";
  return out;
}

}  // namespace

// Terms as SQLite's store takes them: split on spaces, quotes and control
// characters; every term must match, and a term that is several words
// ("and/or", "A&E", "child's") matches them next to each other, as FTS5's
// quoted terms do (phraseto_tsquery per term, ANDed; stemmed). Terms go to
// the server one per line, with what the search vector blanks as spaces.
static Result<std::string> SearchTerms(const std::string& query) {
  std::string terms;
  bool any = false;
  for (unsigned char c : query) {
    bool sep = c == '"' || c == ' ' || c < 0x20 || c == 0x7f;
    if (sep) {
      if (!terms.empty() && terms.back() != '\n') terms.push_back('\n');
      continue;
    }
    bool blank = kBlanked.find(static_cast<char>(c)) != std::string_view::npos;
    any |= !blank;
    terms.push_back(blank ? ' ' : static_cast<char>(c));
  }
  if (!any) return Fail(Error::Invalid("empty search"));
  return terms;
}

// The query the terms make, as one tsquery named q.
#define RT_TSQUERY                                                                   \
  "(SELECT coalesce(string_agg('(' || t.q::text || ')', ' & ')::tsquery, "          \
  "                 ''::tsquery) AS q "                                              \
  " FROM (SELECT phraseto_tsquery('rectrack_english', term) AS q "                   \
  "       FROM regexp_split_to_table(?, E'\\n') AS term) t "                       \
  " WHERE numnode(t.q) > 0) q "

Result<int64_t> PostgresStore::SearchCount(const std::string& query) {
  auto terms = SearchTerms(query);
  if (!terms) return Fail(terms.error());
  auto st = db_->Prepare("SELECT count(*) FROM recommendation_search f, " RT_TSQUERY
                         "WHERE f.document @@ q.q");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, *terms);
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  int64_t n = *r ? (*st)->Int(0) : 0;
  (*st)->Reset();
  return n;
}

Result<std::vector<SearchHit>> PostgresStore::Search(const std::string& query, int limit,
                                                     int offset) {
  auto found = SearchTerms(query);
  if (!found) return Fail(found.error());
  const std::string& terms = *found;
  // Best first by ts_rank_cd (cover density), negated so that lower is better
  // as with SQLite's bm25; snippets of about 16 words from the matching field.
  auto st = db_->Prepare(
      "SELECT h.id, s.slug, r.ref, -h.rank, " RT_HEADLINE("h.text") ", " RT_HEADLINE(
          "h.responses") ", h.text, h.responses "
                         "FROM (SELECT f.id, f.text, f.responses, q.q, ts_rank_cd(f.document, q.q) AS rank "
                         "      FROM recommendation_search f, " RT_TSQUERY
                         "      WHERE f.document @@ q.q ORDER BY rank DESC, f.id LIMIT ? OFFSET ?) h "
                         "JOIN recommendations r ON r.id = h.id JOIN sources s ON s.id = r.source_id "
                         "ORDER BY h.rank DESC, h.id");
  if (!st) return Fail(st.error());
  (*st)->Bind(1, terms).Bind(2, limit).Bind(3, std::max(offset, 0));
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
    h.snippet = h.field == "text" ? Snippet(text, s->Text(6)) : Snippet(resp, s->Text(7));
    sql::BracketMarks(&h.snippet);
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

class PgListener : public ChangeListener {
 public:
  PgListener(std::unique_ptr<PgConnection> conn, std::string schema)
      : conn_(std::move(conn)), prefix_(std::move(schema) + " ") {}
  Result<bool> Wait(int timeout_ms) override {
    return conn_->WaitForNotification(timeout_ms, prefix_);
  }

 private:
  std::unique_ptr<PgConnection> conn_;
  std::string prefix_;  // events of this store's schema only
};

}  // namespace

Result<std::unique_ptr<ChangeListener>> PostgresStore::ListenForChanges() {
  auto conn = PgConnection::Open(path_);
  if (!conn) return Fail(conn.error());
  RT_TRY((*conn)->Exec(fmt::format("LISTEN {}", kLedgerChannel)));
  auto st = (*conn)->Prepare("SELECT current_schema()");
  if (!st) return Fail(st.error());
  auto r = (*st)->Step();
  if (!r) return Fail(r.error());
  std::string schema = (*st)->Str(0);
  (*st)->Reset();
  return std::unique_ptr<ChangeListener>(new PgListener(std::move(*conn), std::move(schema)));
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

// Connects and migrates; with `must_exist`, a schema that holds no tracker is
// NotFound instead of made one.
Result<std::unique_ptr<Store>> OpenTracker(const std::string& url, const KeyOptions& keys,
                                           bool must_exist) {
  auto store = Connect(url, keys);
  if (!store) return Fail(Described(url, store.error()));
  if (must_exist) (*store)->set_must_exist();
  if (auto m = (*store)->Open(); !m) return Fail(Described(url, m.error()));
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, const KeyOptions& keys) {
  return OpenTracker(url, keys, false);
}

Result<std::unique_ptr<Store>> OpenExistingPostgresStore(const std::string& url,
                                                        const KeyOptions& keys) {
  return OpenTracker(url, keys, true);
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

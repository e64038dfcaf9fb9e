#include "testing/test_store.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/ledger.h"
#include "store/postgres/pg_db.h"
#include "store/rebuild.h"
#include "fmt/format.h"

namespace rectrack::testing_util {
namespace {

const char* PgDir() {
  const char* d = std::getenv("RECTRACK_TEST_PG");
  return d && *d ? d : nullptr;
}

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line))
    throw std::runtime_error(fmt::format(
        "{} cannot be read: is the PostgreSQL test cluster running (the pg ctest fixture, "
        "tests/pg_fixture.sh)?",
        path));
  return line;
}

// The schema a test's store at `path` lives in.
std::string SchemaFor(const std::string& path) {
  std::string abs = std::filesystem::absolute(path).lexically_normal().string();
  return "t_" + Sha256Hex(abs).substr(0, 24);
}

// Runs SQL on a new connection to `url`; throws with the server's message.
void AdminExec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string m = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("test cluster: " + m);
  }
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  PGresult* r = PQexec(c, sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  std::string m = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("test cluster: " + sql + ": " + m);
}

}  // namespace

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rectrack-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool UsingPostgres() { return PgDir() != nullptr; }

const char* EngineName() { return UsingPostgres() ? "postgres" : "sqlite"; }

std::string PostgresAdminUrl() {
  if (!PgDir()) throw std::runtime_error("not testing on PostgreSQL (RECTRACK_TEST_PG is unset)");
  return ReadFirstLine(std::string(PgDir()) + "/test_url");
}

std::string StoreLocation(const std::string& path) {
  if (!UsingPostgres()) return path;
  const std::string base = PostgresAdminUrl();
  const std::string schema = SchemaFor(path);
  AdminExec(base, fmt::format("CREATE SCHEMA IF NOT EXISTS {}", schema));
  return fmt::format("{}{}options=-csearch_path%3D{}", base,
                     base.find('?') == std::string::npos ? "?" : "&", schema);
}

KeyOptions StoreKeys(const std::string& path, KeyOptions keys) {
  if (UsingPostgres() && keys.key_file.empty() && keys.seed_hex.empty())
    keys.key_file = path + ".key";
  return keys;
}

Result<std::unique_ptr<Store>> OpenTestStore(const std::string& path, KeyOptions keys) {
  return OpenStore(StoreLocation(path), StoreKeys(path, std::move(keys)));
}

Result<std::unique_ptr<Store>> CreateEmptyTestStore(const std::string& path, KeyOptions keys) {
  return CreateEmptyStore(StoreLocation(path), StoreKeys(path, std::move(keys)));
}

void CopyTestStore(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  if (!UsingPostgres()) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(to + suffix);
    return;
  }
  AdminExec(PostgresAdminUrl(), fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", SchemaFor(to)));
  auto source = OpenTestStore(from);
  if (!source) throw std::runtime_error(source.error().message);
  // The copy has the key of what it copies, beside it.
  if (fs::exists(from + ".key") && !fs::exists(to + ".key")) fs::copy_file(from + ".key", to + ".key");
  auto target = CreateEmptyTestStore(to);
  if (!target) throw std::runtime_error(target.error().message);
  RebuildOptions o;
  o.copy_secrets = true;
  auto sum = Rebuild(**source, **target, o);
  if (!sum) throw std::runtime_error(sum.error().message);
}

namespace {

class HeldLock : public WriteLock {
 public:
  explicit HeldLock(const std::string& path) : raw_(path) {}
  RawDb raw_;
};

}  // namespace

std::unique_ptr<WriteLock> HoldWriteLock(const std::string& path) {
  auto lock = std::make_unique<HeldLock>(path);
  if (!lock->raw_.ok()) return nullptr;
  // The same lock the store's writers take (pg_store.cc's BeginOuter), held
  // by this session until it ends.
  int rc = lock->raw_.postgres()
               ? lock->raw_.Exec("SELECT pg_advisory_lock(1919247220, hashtext(current_schema()))")
               : lock->raw_.Exec("BEGIN IMMEDIATE");
  if (rc != RawDb::kOk) return nullptr;
  return lock;
}

bool TestStoreExists(const std::string& path) {
  if (!UsingPostgres()) return std::filesystem::exists(path);
  RawDb raw(path);
  return raw.Int(fmt::format("SELECT count(*) FROM pg_tables WHERE schemaname = '{}'",
                             SchemaFor(path))) > 0;
}

// ---- RawDb -----------------------------------------------------------------------

struct RawDb::Impl {
  sqlite3* lite = nullptr;
  PGconn* pg = nullptr;
  bool ok = false;
  std::string schema;
};

RawDb::RawDb(const std::string& path) : impl_(std::make_unique<Impl>()) {
  if (UsingPostgres()) {
    impl_->schema = SchemaFor(path);
    impl_->pg = PQconnectdb(StoreLocation(path).c_str());
    impl_->ok = PQstatus(impl_->pg) == CONNECTION_OK;
    if (!impl_->ok) error_ = PQerrorMessage(impl_->pg);
    return;
  }
  int rc = sqlite3_open_v2(path.c_str(), &impl_->lite, SQLITE_OPEN_READWRITE, nullptr);
  sqlite3_busy_timeout(impl_->lite, 2000);
  impl_->ok = rc == SQLITE_OK;
}

RawDb::~RawDb() {
  if (impl_->lite) sqlite3_close_v2(impl_->lite);
  if (impl_->pg) PQfinish(impl_->pg);
}

bool RawDb::ok() const { return impl_->ok; }
bool RawDb::postgres() const { return impl_->pg != nullptr; }

int RawDb::Exec(const std::string& sql) {
  if (impl_->pg) {
    PGresult* r = PQexec(impl_->pg, sql.c_str());
    auto st = PQresultStatus(r);
    int out = kOk;
    error_.clear();
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      error_ = PQresultErrorMessage(r);
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      std::string s = state ? state : "";
      // A constraint, or a trigger's RAISE (SQLite's RAISE(ABORT) is a constraint error).
      out = s.substr(0, 2) == "23" || s == "P0001" ? kConstraint : kError;
    }
    PQclear(r);
    return out;
  }
  char* err = nullptr;
  int rc = sqlite3_exec(impl_->lite, sql.c_str(), nullptr, nullptr, &err);
  error_ = err ? err : "";
  sqlite3_free(err);
  return rc & 0xFF;
}

int RawDb::Exec(const std::string& sql, const std::vector<std::string>& params) {
  error_.clear();
  if (impl_->pg) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(impl_->pg, pg::DollarParams(sql).c_str(),
                               static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    int out = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK
                  ? kOk
                  : kError;
    if (out != kOk) error_ = PQresultErrorMessage(r);
    PQclear(r);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(impl_->lite, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    error_ = sqlite3_errmsg(impl_->lite);
    return kError;
  }
  for (size_t i = 0; i < params.size(); ++i)
    sqlite3_bind_text(st, static_cast<int>(i) + 1, params[i].c_str(),
                      static_cast<int>(params[i].size()), SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) error_ = sqlite3_errmsg(impl_->lite);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? kOk : rc & 0xFF;
}

std::vector<std::vector<std::string>> RawDb::Rows(const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  if (impl_->pg) {
    PGresult* r = PQexec(impl_->pg, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      error_ = PQresultErrorMessage(r);
      PQclear(r);
      throw std::runtime_error("RawDb: '" + sql + "': " + error_);
    }
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::string> row;
      for (int c = 0; c < PQnfields(r); ++c)
        row.push_back(PQgetisnull(r, i, c)
                          ? "NULL"
                          : std::string(PQgetvalue(r, i, c), static_cast<size_t>(PQgetlength(r, i, c))));
      out.push_back(std::move(row));
    }
    PQclear(r);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(impl_->lite, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    error_ = sqlite3_errmsg(impl_->lite);
    throw std::runtime_error("RawDb: cannot prepare '" + sql + "': " + error_);
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      if (sqlite3_column_type(st, c) == SQLITE_NULL) {
        row.push_back("NULL");
        continue;
      }
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
      row.emplace_back(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, c)));
    }
    out.push_back(std::move(row));
  }
  error_ = rc == SQLITE_DONE ? "" : sqlite3_errmsg(impl_->lite);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) throw std::runtime_error("RawDb: '" + sql + "': " + error_);
  return out;
}

std::string RawDb::Text(const std::string& sql) {
  auto rows = Rows(sql);
  if (rows.empty() || rows[0].empty()) throw std::runtime_error("RawDb: no row for " + sql);
  return rows[0][0];
}

bool RawDb::HasTable(const std::string& name) {
  if (impl_->pg) {
    // Tables, and triggers and text search configurations by name.
    return Int(fmt::format(
               "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND "
               "tablename = '{0}') + (SELECT count(*) FROM pg_trigger WHERE tgname = '{0}')",
               name)) > 0;
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(impl_->lite, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, nullptr);
  sqlite3_bind_text(st, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  bool found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return found;
}

int RawDb::DropLedgerTriggers() {
  if (impl_->pg)
    return Exec(
        "DROP TRIGGER IF EXISTS ledger_no_change ON ledger; "
        "DROP TRIGGER IF EXISTS ledger_no_truncate ON ledger");
  return Exec("DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete");
}

std::string RawDb::SearchTable() const {
  return impl_->pg ? "recommendation_search" : "recommendation_fts";
}

std::string RawDb::Dump() {
  std::string out;
  std::vector<std::string> tables;
  if (impl_->pg) {
    out += "schema=" + Text("SELECT COALESCE((SELECT version::text FROM rectrack_schema), 'none')") + "\n";
    auto cols = Rows(
        "SELECT table_name, column_name, data_type, COALESCE(column_default, '') FROM "
        "information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, "
        "ordinal_position");
    for (const auto& c : cols) out += c[0] + "." + c[1] + " " + c[2] + " " + c[3] + "\n";
    for (const auto& t : Rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                              "ORDER BY tablename"))
      tables.push_back(t[0]);
  } else {
    out += "user_version=" + Text("PRAGMA user_version") + "\n";
    auto all = Rows("SELECT name, type, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name");
    for (const auto& t : all) out += t[1] + " " + t[0] + ": " + t[2] + "\n";
    for (const auto& t : all)
      if (t[1] == "table") tables.push_back(t[0]);
  }
  for (const auto& t : tables) {
    auto rows = Rows("SELECT * FROM \"" + t + "\"");
    std::vector<std::string> lines;
    for (const auto& r : rows) {
      std::string line;
      for (const auto& v : r) line += std::to_string(v.size()) + ":" + v + "|";
      lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    out += "-- " + t + " (" + std::to_string(lines.size()) + " rows)\n";
    for (const auto& l : lines) out += l + "\n";
  }
  return out;
}

std::string RawDb::Counts() {
  std::string out;
  for (std::string t : {"owners", "owner_aliases", "sources", "recommendations", "assignments",
                        "updates", "funding", "publications", "ledger"})
    out += t + "=" + Text("SELECT COUNT(*) FROM " + t) + " ";
  out += SearchTable() + "=" + Text("SELECT COUNT(*) FROM " + SearchTable());
  return out;
}

}  // namespace rectrack::testing_util

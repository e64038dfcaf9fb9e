#include "store/sqlite/sqlite_db.h"

#include "fmt/format.h"

namespace rectrack::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = fmt::format("{}: {} ({})", what, db ? sqlite3_errmsg(db) : "", rc);
  int primary = rc & 0xFF;
  if (primary == SQLITE_CONSTRAINT) return Error::Conflict(msg);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Error::Corrupt(msg);
  // Another process held the write lock for longer than the busy timeout.
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Error::Unavailable(msg);
  return Error::Io(msg);
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    Reset();
    return false;
  }
  Error e = SqliteError(db_, rc, "database");
  Reset();
  return Fail(std::move(e));
}

Status Stmt::Run() {
  while (true) {
    auto r = Step();
    if (!r) return Fail(r.error());
    if (!*r) return {};
  }
}

Db::~Db() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path) {
  // Allocation statistics cost a global mutex and bookkeeping on every malloc
  // inside SQLite (a tenth of a bulk import's time) and nothing here reads
  // them. Only possible before SQLite initialises; later it is a no-op.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error e = SqliteError(raw, rc, fmt::format("cannot open database '{}'", path));
    sqlite3_close_v2(raw);
    return Fail(std::move(e));
  }
  sqlite3_extended_result_codes(raw, 1);
  // A writer waits at most this long for another's lock, then gives up with
  // kUnavailable (HTTP 503 and Retry-After): a bounded wait, not a hung request.
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return std::unique_ptr<Db>(new Db(raw));
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : "";
    sqlite3_free(err);
    Error e = SqliteError(db_, rc, "database");
    e.message = fmt::format("database: {} ({})", msg, rc);
    return Fail(std::move(e));
  }
  return {};
}

Result<sql::Statement*> Db::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return Fail(SqliteError(db_, rc, "preparing SQL"));
  auto stmt = std::make_unique<Stmt>(db_, s);
  Stmt* out = stmt.get();
  cache_.emplace(sql, std::move(stmt));
  return static_cast<sql::Statement*>(out);
}

Result<std::unique_ptr<sql::Statement>> Db::PrepareScan(const std::string& sql) {
  // Its own statement, outside the cache: several may step at once.
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) return Fail(SqliteError(db_, rc, "preparing SQL"));
  return std::unique_ptr<sql::Statement>(new Stmt(db_, s));
}

Result<std::unique_ptr<sql::Connection>> Db::OpenSibling() {
  const char* file = sqlite3_db_filename(db_, "main");
  if (!file || !*file) return std::unique_ptr<sql::Connection>();
  auto other = Open(file);
  if (!other) return Fail(other.error());
  return std::unique_ptr<sql::Connection>(std::move(*other));
}

}  // namespace rectrack::sqlite

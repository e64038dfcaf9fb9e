#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/date.h"
#include "core/result.h"
#include "store/sql/connection.h"

namespace rectrack::sqlite {

// How long a statement waits for another connection's write lock (SQLite's
// busy timeout) before failing with kUnavailable; PostgreSQL's lock_timeout is
// the same (store/postgres/pg_db.cc).
inline constexpr int kBusyTimeoutMs = 5000;

// A prepared statement. Binding is 1-based, like SQLite's; every value is bound,
// never spliced into SQL text.
class Stmt : public sql::Statement {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() override { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  using sql::Statement::Bind;

  Stmt& Bind(int i, int64_t v) override {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, double v) override {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) override {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindRef(int i, std::string_view v) override {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindNull(int i) override {
    sqlite3_bind_null(s_, i);
    return *this;
  }

  // SQLITE_ROW -> true, SQLITE_DONE -> false (and resets), else an error.
  Result<bool> Step() override;
  Status Run() override;
  void Reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  int64_t Int(int col) const override { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (!p) return {};
    return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  double Double(int col) const override { return sqlite3_column_double(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

// One connection with a cache of prepared statements.
class Db : public sql::Connection {
 public:
  ~Db() override;
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  Status Exec(const std::string& sql) override;
  // The statement for `sql`, prepared once and reset for reuse.
  Result<sql::Statement*> Prepare(const std::string& sql) override;
  Result<std::unique_ptr<sql::Statement>> PrepareScan(const std::string& sql) override;
  int64_t Changes() const override { return sqlite3_changes(db_); }
  Result<std::unique_ptr<sql::Connection>> OpenSibling() override;
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  std::string ErrMsg() const { return sqlite3_errmsg(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

Error SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace rectrack::sqlite

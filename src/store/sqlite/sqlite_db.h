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

namespace rectrack::sqlite {

// A prepared statement. Binding is 1-based, like SQLite's; every value is bound,
// never spliced into SQL text.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
  Stmt& Bind(int i, int v) { sqlite3_bind_int(s_, i, v); return *this; }
  Stmt& Bind(int i, double v) { sqlite3_bind_double(s_, i, v); return *this; }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  // Binds without a copy: the bytes must stay where they are until the
  // statement has run (Run, or Step to the end) or is reset.
  Stmt& BindRef(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& BindNull(int i) { sqlite3_bind_null(s_, i); return *this; }
  Stmt& Bind(int i, const std::optional<Date>& d) {
    if (d) return Bind(i, d->ToIso());
    return BindNull(i);
  }
  Stmt& Bind(int i, const std::optional<int>& v) {
    if (v) return Bind(i, *v);
    return BindNull(i);
  }

  // SQLITE_ROW -> true, SQLITE_DONE -> false (and resets), else an error.
  Result<bool> Step();
  // Runs to completion; for INSERT/UPDATE/DELETE.
  Status Run();
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (!p) return {};
    return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  std::string Str(int col) const { return std::string(Text(col)); }
  std::optional<Date> OptDate(int col) const;
  std::optional<int> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return static_cast<int>(Int(col));
  }
  double Double(int col) const { return sqlite3_column_double(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
};

// One connection with a cache of prepared statements.
class Db {
 public:
  ~Db();
  static Result<std::unique_ptr<Db>> Open(const std::string& path);
  Status Exec(const std::string& sql);
  // The statement for `sql`, prepared once and reset for reuse.
  Result<Stmt*> Prepare(const std::string& sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  std::string ErrMsg() const { return sqlite3_errmsg(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

Error SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace rectrack::sqlite

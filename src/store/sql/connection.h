#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/date.h"
#include "core/result.h"

namespace rectrack::sql {

// A database connection as the SQL stores use it, whatever the engine:
// SQLite (store/sqlite/sqlite_db.h) or PostgreSQL (store/postgres/pg_db.h).
// SQL is written once with `?` or `?N` placeholders (1-based, SQLite's); a
// connection rewrites them as its engine needs. Every value is bound, never
// spliced into SQL text.

class Statement {
 public:
  virtual ~Statement() = default;

  virtual Statement& Bind(int i, int64_t v) = 0;
  virtual Statement& Bind(int i, double v) = 0;
  virtual Statement& Bind(int i, std::string_view v) = 0;
  // Binds without a copy where the engine can: the bytes must stay where they
  // are until the statement has run (Run, or Step to the end) or is reset.
  virtual Statement& BindRef(int i, std::string_view v) = 0;
  virtual Statement& BindNull(int i) = 0;
  Statement& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const std::optional<Date>& d) {
    if (d) return Bind(i, d->ToIso());
    return BindNull(i);
  }
  Statement& Bind(int i, const std::optional<int>& v) {
    if (v) return Bind(i, static_cast<int64_t>(*v));
    return BindNull(i);
  }

  // Asks for results in the engine's binary form where it has one, for a
  // statement whose columns are all integers and texts (PostgreSQL: an
  // integer travels as 8 bytes instead of decimal text, which the server
  // formats and the client parses; a big scan's rows are mostly that).
  // Reading is the same either way. Set before the statement first runs.
  virtual Statement& PreferBinaryResults() { return *this; }
  // The next row: true, or false at the end (and the statement is reset).
  virtual Result<bool> Step() = 0;
  // Runs to completion; for INSERT/UPDATE/DELETE.
  virtual Status Run() = 0;
  // Ready to run again, bindings cleared.
  virtual void Reset() = 0;

  virtual int64_t Int(int col) const = 0;
  virtual bool IsNull(int col) const = 0;
  // Valid until the next Step, Reset or Run.
  virtual std::string_view Text(int col) const = 0;
  virtual double Double(int col) const = 0;
  std::string Str(int col) const { return std::string(Text(col)); }
  std::optional<Date> OptDate(int col) const {
    if (IsNull(col)) return std::nullopt;
    auto d = Date::ParseIso(Text(col));
    if (!d) return std::nullopt;
    return *d;
  }
  std::optional<int> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return static_cast<int>(Int(col));
  }
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Runs SQL without parameters (one or more statements).
  virtual Status Exec(const std::string& sql) = 0;
  // The statement for `sql`, prepared once, kept, and reset for reuse. For
  // statements that return few rows, or that run to completion before the
  // next one starts.
  virtual Result<Statement*> Prepare(const std::string& sql) = 0;
  // A statement of its own that streams many rows: several may be read at
  // once, alongside cached statements on the same connection. Inside a
  // transaction it sees the transaction's writes.
  virtual Result<std::unique_ptr<Statement>> PrepareScan(const std::string& sql) = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual int64_t Changes() const = 0;
  // Another connection to the same database (a second reader on a second
  // thread); nullptr where there is none to make (an in-memory database).
  virtual Result<std::unique_ptr<Connection>> OpenSibling() = 0;
};

}  // namespace rectrack::sql

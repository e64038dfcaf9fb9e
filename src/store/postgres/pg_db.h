#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/sql/connection.h"

namespace rectrack::pg {

// libpq behind the SQL store's connection (store/sql/connection.h). Values
// travel as text both ways; every statement takes bound parameters. A cached
// statement is prepared on the server once per session and its result read
// whole (statements that return few rows); a scan reads through a cursor, in
// batches, on this connection inside a transaction (so that it sees the
// transaction's writes) or on a second connection outside one.

// "?" and "?N" placeholders as PostgreSQL's "$N" (outside quoted text).
std::string DollarParams(std::string_view sql);

// An error of a result or the connection as the store's Error: constraint
// violations are conflicts; a lock or statement timeout, a cancelled query, a
// serialization failure and a lost connection are "unavailable" (try again:
// HTTP 503); the rest I/O.
Error PgError(PGconn* conn, const PGresult* res, std::string_view what);

class PgConnection;

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

class PgStatement : public sql::Statement {
 public:
  // `scan`: read through a cursor in batches instead of whole.
  PgStatement(PgConnection* conn, std::string sql, bool scan);
  ~PgStatement() override;
  using sql::Statement::Bind;

  PgStatement& Bind(int i, int64_t v) override;
  PgStatement& Bind(int i, double v) override;
  PgStatement& Bind(int i, std::string_view v) override;
  PgStatement& BindRef(int i, std::string_view v) override { return Bind(i, v); }
  PgStatement& BindNull(int i) override;
  PgStatement& PreferBinaryResults() override {
    binary_ = !scan_;  // a scan's cursor is fetched as text
    return *this;
  }

  Result<bool> Step() override;
  Status Run() override;
  void Reset() override;

  int64_t Int(int col) const override;
  bool IsNull(int col) const override;
  std::string_view Text(int col) const override;
  double Double(int col) const override;

 private:
  Status Execute();     // runs the query; for a scan, opens the cursor
  Status FetchBatch();  // the next batch of a scan
  void CloseScan();
  Result<PGresult*> Exec(PGconn* conn, const std::string& text);
  // After a binary result arrives: its columns' types, which must be integers
  // or texts (else kInternal: the statement should not have asked).
  Status TakeBinaryTypes();

  PgConnection* conn_;
  std::string sql_;  // with $N placeholders
  bool scan_;
  bool binary_ = false;         // PreferBinaryResults
  bool result_binary_ = false;  // the result at hand is in binary form
  std::vector<Oid> types_;      // its columns' types, when it is
  mutable std::vector<std::string> decimal_;  // Text() of a binary integer
  std::string name_;  // of the server-side prepared statement (cached statements)
  uint64_t prepared_in_ = 0;  // the connection's session it was prepared in (0: not yet)
  std::vector<std::optional<std::string>> params_;
  PgResult result_;
  int row_ = -1;
  int rows_ = 0;
  bool executed_ = false;
  bool exhausted_ = false;  // a scan has fetched its last batch
  int nul_param_ = 0;       // a bound text with a NUL byte: refused when run
  // A scan's cursor, and the connection it lives on (this statement's
  // connection, or a second one borrowed from it outside a transaction).
  std::string cursor_;
  std::unique_ptr<PgConnection> borrowed_;
  PGconn* cursor_conn_ = nullptr;
};

class PgConnection : public sql::Connection {
 public:
  ~PgConnection() override;
  // Connects to `url` (postgresql://...); the store's session settings come
  // with it (UTF-8, UTC, the lock and statement timeouts).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url);

  Status Exec(const std::string& sql) override;
  Result<sql::Statement*> Prepare(const std::string& sql) override;
  Result<std::unique_ptr<sql::Statement>> PrepareScan(const std::string& sql) override;
  int64_t Changes() const override { return changes_; }
  Result<std::unique_ptr<sql::Connection>> OpenSibling() override;

  // Runs COPY table(columns) FROM STDIN with `data` in COPY's text format.
  Status CopyIn(const std::string& copy_sql, std::string_view data);
  // Waits up to `timeout_ms` for a notification on a channel LISTENed to
  // whose payload starts with `prefix`: true when one came, false on timeout.
  Result<bool> WaitForNotification(int timeout_ms, std::string_view prefix);

  PGconn* raw() { return conn_; }
  const std::string& url() const { return url_; }
  bool InTransaction() const;
  // Makes sure the connection is up, reconnecting once if it was lost outside
  // a transaction (a restarted server). Inside one, a lost connection is the
  // transaction's end: an error.
  Status EnsureConnected();
  uint64_t session() const { return session_; }
  // A connection of the same database for a scan outside a transaction, and
  // its return when the scan is done (kept for the next, a few at most).
  Result<std::unique_ptr<PgConnection>> BorrowSpare();
  void ReturnSpare(std::unique_ptr<PgConnection> conn);
  void set_changes(int64_t n) { changes_ = n; }
  std::string NextName(const char* prefix) { return prefix + std::to_string(++names_); }
  Error ErrorOf(const PGresult* res, std::string_view what) { return PgError(conn_, res, what); }

 private:
  PgConnection(PGconn* conn, std::string url) : conn_(conn), url_(std::move(url)) {}
  PGconn* conn_;
  std::string url_;
  bool tx_open_ = false;  // BEGIN ran and neither COMMIT nor ROLLBACK since
  uint64_t session_ = 1;  // moves on every reconnection: server-side prepares are gone
  int64_t changes_ = 0;
  uint64_t names_ = 0;
  std::unordered_map<std::string, std::unique_ptr<PgStatement>> cache_;
  std::vector<std::unique_ptr<PgConnection>> spares_;
};

}  // namespace rectrack::pg

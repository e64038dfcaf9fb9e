#include "store/postgres/pg_db.h"

#include <chrono>
#include <cerrno>
#include <endian.h>
#include <poll.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "fmt/format.h"

namespace rectrack::pg {
namespace {

constexpr int kFetchRows = 4096;

bool StartsWithWord(std::string_view sql, std::string_view word) {
  size_t i = 0;
  while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\t')) ++i;
  if (sql.size() - i < word.size()) return false;
  for (size_t k = 0; k < word.size(); ++k) {
    char c = sql[i + k];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    if (c != word[k]) return false;
  }
  return true;
}

}  // namespace

std::string DollarParams(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (c != '?' || quoted) {
      out.push_back(c);
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
    if (j > i + 1) {
      out += "$";
      out.append(sql.substr(i + 1, j - i - 1));
      i = j - 1;
    } else {
      out += "$" + std::to_string(++next);
    }
  }
  return out;
}

Error PgError(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = res ? PQresultErrorMessage(res) : "";
  if (message.empty() && conn) message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : nullptr;
  if (detail && *detail) message += fmt::format(" ({})", detail);
  std::string full = fmt::format("{}: {}", what, message);
  std::string_view s = state ? state : "";
  if (s.substr(0, 2) == "23") return Error::Conflict(full);
  if (s == "55P03" || s == "57014" || s == "40001" || s == "40P01" || s.substr(0, 2) == "08" ||
      s == "57P01" || s == "57P02" || s == "57P03" || s == "53300" ||
      (conn && PQstatus(conn) != CONNECTION_OK))
    return Error::Unavailable(full);
  if (s == "XX001" || s == "XX002") return Error::Corrupt(full);
  // Text PostgreSQL cannot hold: not UTF-8, or a NUL byte (SQLite takes both).
  if (s == "22021" || s == "22P05") return Error::Invalid(full);
  return Error::Io(full);
}

// ---- statements ----------------------------------------------------------------

PgStatement::PgStatement(PgConnection* conn, std::string sql, bool scan)
    : conn_(conn), sql_(DollarParams(sql)), scan_(scan) {
  if (!scan_) name_ = conn_->NextName("s");
}

PgStatement::~PgStatement() { CloseScan(); }

PgStatement& PgStatement::Bind(int i, int64_t v) {
  if (static_cast<size_t>(i) > params_.size()) params_.resize(static_cast<size_t>(i));
  params_[static_cast<size_t>(i - 1)] = std::to_string(v);
  return *this;
}
PgStatement& PgStatement::Bind(int i, double v) {
  if (static_cast<size_t>(i) > params_.size()) params_.resize(static_cast<size_t>(i));
  params_[static_cast<size_t>(i - 1)] = fmt::format("{}", v);
  return *this;
}
PgStatement& PgStatement::Bind(int i, std::string_view v) {
  if (static_cast<size_t>(i) > params_.size()) params_.resize(static_cast<size_t>(i));
  // Values travel as C strings: a NUL byte would cut the text short, silently.
  if (v.find('\0') != std::string_view::npos) nul_param_ = i;
  params_[static_cast<size_t>(i - 1)] = std::string(v);
  return *this;
}
PgStatement& PgStatement::BindNull(int i) {
  if (static_cast<size_t>(i) > params_.size()) params_.resize(static_cast<size_t>(i));
  params_[static_cast<size_t>(i - 1)] = std::nullopt;
  return *this;
}

Result<PGresult*> PgStatement::Exec(PGconn* conn, const std::string& text) {
  std::vector<const char*> values(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) values[i] = params_[i] ? params_[i]->c_str() : nullptr;
  PGresult* r = PQexecParams(conn, text.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  return r;
}

Status PgStatement::Execute() {
  executed_ = true;
  if (nul_param_)
    return Fail(Error::Invalid(fmt::format(
        "a text holds a NUL byte, which PostgreSQL cannot store (value {} of the statement)",
        nul_param_)));
  if (!scan_) {
    RT_TRY(conn_->EnsureConnected());
    // A read outside a transaction that finds the connection gone (a
    // restarted server) reconnects and runs again, once: it changed nothing.
    const bool may_retry = !conn_->InTransaction() && StartsWithWord(sql_, "SELECT");
    ExecStatusType st = PGRES_FATAL_ERROR;
    for (int attempt = 0; attempt < 2; ++attempt) {
      PGconn* c = conn_->raw();
      if (prepared_in_ != conn_->session()) {
        PgResult prep(PQprepare(c, name_.c_str(), sql_.c_str(), 0, nullptr));
        if (PQresultStatus(prep.get()) != PGRES_COMMAND_OK) {
          if (attempt == 0 && may_retry && PQstatus(c) != CONNECTION_OK) {
            RT_TRY(conn_->EnsureConnected());
            continue;
          }
          return Fail(conn_->ErrorOf(prep.get(), "preparing SQL"));
        }
        prepared_in_ = conn_->session();
      }
      std::vector<const char*> values(params_.size());
      for (size_t i = 0; i < params_.size(); ++i)
        values[i] = params_[i] ? params_[i]->c_str() : nullptr;
      result_.reset(PQexecPrepared(c, name_.c_str(), static_cast<int>(values.size()),
                                   values.data(), nullptr, nullptr, binary_ ? 1 : 0));
      st = PQresultStatus(result_.get());
      if (st == PGRES_FATAL_ERROR && attempt == 0 && may_retry && PQstatus(c) != CONNECTION_OK) {
        RT_TRY(conn_->EnsureConnected());
        continue;
      }
      break;
    }
    if (st == PGRES_TUPLES_OK) {
      rows_ = PQntuples(result_.get());
      conn_->set_changes(rows_);
      if (binary_) return TakeBinaryTypes();
      return {};
    }
    if (st == PGRES_COMMAND_OK) {
      rows_ = 0;
      const char* n = PQcmdTuples(result_.get());
      conn_->set_changes(n && *n ? std::strtoll(n, nullptr, 10) : 0);
      return {};
    }
    Error e = conn_->ErrorOf(result_.get(), "database");
    result_.reset();
    return Fail(std::move(e));
  }
  // A scan: a cursor on this connection inside a transaction (it sees the
  // transaction's writes), else on a second connection of its own.
  RT_TRY(conn_->EnsureConnected());
  if (conn_->InTransaction()) {
    cursor_conn_ = conn_->raw();
  } else {
    auto other = conn_->BorrowSpare();
    if (!other) return Fail(other.error());
    borrowed_ = std::move(*other);
    PgResult begin(PQexec(borrowed_->raw(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    if (PQresultStatus(begin.get()) != PGRES_COMMAND_OK) {
      Error e = PgError(borrowed_->raw(), begin.get(), "starting a read");
      borrowed_.reset();
      return Fail(std::move(e));
    }
    cursor_conn_ = borrowed_->raw();
  }
  cursor_ = conn_->NextName("rtc");
  auto r = Exec(cursor_conn_, fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", cursor_, sql_));
  PgResult declared(*r);
  if (PQresultStatus(declared.get()) != PGRES_COMMAND_OK) {
    Error e = PgError(cursor_conn_, declared.get(), "reading");
    cursor_.clear();
    CloseScan();
    return Fail(std::move(e));
  }
  return FetchBatch();
}

Status PgStatement::FetchBatch() {
  result_.reset(PQexec(cursor_conn_, fmt::format("FETCH {} FROM {}", kFetchRows, cursor_).c_str()));
  if (PQresultStatus(result_.get()) != PGRES_TUPLES_OK) {
    Error e = PgError(cursor_conn_, result_.get(), "reading");
    result_.reset();
    return Fail(std::move(e));
  }
  rows_ = PQntuples(result_.get());
  row_ = -1;
  exhausted_ = rows_ < kFetchRows;
  return {};
}

void PgStatement::CloseScan() {
  if (!cursor_.empty() && cursor_conn_ && PQstatus(cursor_conn_) == CONNECTION_OK) {
    // Gone already if its transaction ended; then this fails, harmlessly.
    PgResult(PQexec(cursor_conn_, ("CLOSE " + cursor_).c_str()));
  }
  cursor_.clear();
  if (borrowed_) {
    PgResult done(PQexec(borrowed_->raw(), "ROLLBACK"));
    if (PQresultStatus(done.get()) == PGRES_COMMAND_OK) conn_->ReturnSpare(std::move(borrowed_));
    borrowed_.reset();
  }
  cursor_conn_ = nullptr;
}

Result<bool> PgStatement::Step() {
  if (!executed_) {
    auto s = Execute();
    if (!s) {
      Reset();
      return Fail(s.error());
    }
  }
  while (true) {
    if (++row_ < rows_) return true;
    if (!scan_ || exhausted_) break;
    auto s = FetchBatch();
    if (!s) {
      Reset();
      return Fail(s.error());
    }
  }
  Reset();
  return false;
}

Status PgStatement::Run() {
  auto s = Execute();
  Reset();
  return s;
}

void PgStatement::Reset() {
  CloseScan();
  result_.reset();
  result_binary_ = false;
  row_ = -1;
  rows_ = 0;
  executed_ = false;
  exhausted_ = false;
  nul_param_ = 0;
  params_.clear();
}

namespace {

// PostgreSQL's type oids (catalog/pg_type.h), of the types binary results may hold.
constexpr Oid kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kUnknown = 705, kBpchar = 1042,
              kVarchar = 1043;

bool IsInteger(Oid t) { return t == kInt8 || t == kInt4 || t == kInt2; }

// A binary integer: big-endian, of its type's width.
int64_t BigEndian(const char* p, int len) {
  if (len == 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<int64_t>(be64toh(v));
  }
  uint64_t v = 0;
  for (int i = 0; i < len; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  if (len < 8 && len > 0 && (v >> (len * 8 - 1)) & 1) v |= ~uint64_t{0} << (len * 8);  // sign
  return static_cast<int64_t>(v);
}

}  // namespace

Status PgStatement::TakeBinaryTypes() {
  result_binary_ = true;
  const int n = PQnfields(result_.get());
  types_.resize(static_cast<size_t>(n));
  decimal_.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const Oid t = PQftype(result_.get(), i);
    if (!IsInteger(t) && t != kText && t != kVarchar && t != kBpchar && t != kUnknown) {
      result_.reset();
      rows_ = 0;
      return Fail(Error::Internal(fmt::format(
          "binary results asked for a statement whose column {} has type oid {}", i + 1, t)));
    }
    types_[static_cast<size_t>(i)] = t;
  }
  return {};
}

int64_t PgStatement::Int(int col) const {
  if (result_binary_ && result_ && row_ >= 0 && row_ < rows_ &&
      IsInteger(types_[static_cast<size_t>(col)])) {
    // A NULL has length 0, and reads as 0 as in text form.
    return BigEndian(PQgetvalue(result_.get(), row_, col), PQgetlength(result_.get(), row_, col));
  }
  std::string_view t = Text(col);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

bool PgStatement::IsNull(int col) const {
  return !result_ || PQgetisnull(result_.get(), row_, col);
}

std::string_view PgStatement::Text(int col) const {
  if (!result_ || row_ < 0 || row_ >= rows_) return {};
  if (result_binary_ && IsInteger(types_[static_cast<size_t>(col)])) {
    // As the text form would have it.
    if (PQgetisnull(result_.get(), row_, col)) return {};
    std::string& d = decimal_[static_cast<size_t>(col)];
    d = std::to_string(Int(col));
    return d;
  }
  return std::string_view(PQgetvalue(result_.get(), row_, col),
                          static_cast<size_t>(PQgetlength(result_.get(), row_, col)));
}

double PgStatement::Double(int col) const {
  std::string t(Text(col));
  return std::strtod(t.c_str(), nullptr);
}

// ---- connections ------------------------------------------------------------------

namespace {

Status Settle(PGconn* conn) {
  // UTF-8 and UTC whatever the server's defaults; a write that waits for a
  // lock gives up after 5 s (an answer of 503, not a hung request).
  PgResult r(PQexec(conn,
                    "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; "
                    "SET lock_timeout = '5s'; SET client_min_messages = 'warning'"));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    return Fail(PgError(conn, r.get(), "setting up the session"));
  return {};
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url) {
  // A default connect timeout that the URL may override (later wins).
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "rectrack", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c) return Fail(Error::Unavailable("cannot connect to PostgreSQL: out of memory"));
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    PQfinish(c);
    return Fail(Error::Unavailable(fmt::format("cannot connect to PostgreSQL: {}", msg)));
  }
  if (auto s = Settle(c); !s) {
    PQfinish(c);
    return Fail(s.error());
  }
  return std::unique_ptr<PgConnection>(new PgConnection(c, url));
}

PgConnection::~PgConnection() {
  cache_.clear();
  spares_.clear();
  PQfinish(conn_);
}

bool PgConnection::InTransaction() const {
  if (tx_open_) return true;
  auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

Status PgConnection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return {};
  // A transaction that lost its connection is over and nothing of it was
  // kept: until it is rolled back, nothing may run (it would run outside it).
  if (tx_open_)
    return Fail(Error::Unavailable(
        "the connection to the database was lost in the middle of a transaction; nothing of it "
        "was saved"));
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Fail(Error::Unavailable(fmt::format("the database cannot be reached: {}", msg)));
  }
  ++session_;  // prepared statements are gone with the old session
  return Settle(conn_);
}

Status PgConnection::Exec(const std::string& sql) {
  const bool begins = StartsWithWord(sql, "BEGIN");
  const bool ends = StartsWithWord(sql, "COMMIT") ||
                    (StartsWithWord(sql, "ROLLBACK") && !StartsWithWord(sql, "ROLLBACK TO"));
  if (PQstatus(conn_) != CONNECTION_OK) {
    // A transaction whose connection was lost has ended: rolling it back is
    // done; anything else in it must fail, never run outside it.
    if (ends && StartsWithWord(sql, "ROLLBACK")) {
      tx_open_ = false;
      (void)EnsureConnected();
      return {};
    }
    if (tx_open_ || !(begins || StartsWithWord(sql, "SET") || StartsWithWord(sql, "SELECT") ||
                      StartsWithWord(sql, "LISTEN"))) {
      if (ends) tx_open_ = false;
      return Fail(Error::Unavailable(
          "the connection to the database was lost; nothing of the transaction was saved"));
    }
    RT_TRY(EnsureConnected());
  }
  const bool may_retry = !InTransaction() && (begins || StartsWithWord(sql, "SELECT") ||
                                              StartsWithWord(sql, "LISTEN"));
  PgResult r(PQexec(conn_, sql.c_str()));
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && may_retry &&
      PQstatus(conn_) != CONNECTION_OK) {
    // The server went away since the last statement (a restart): this one
    // never ran; once reconnected, run it again.
    RT_TRY(EnsureConnected());
    r.reset(PQexec(conn_, sql.c_str()));
    st = PQresultStatus(r.get());
  }
  const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  // A COMMIT that fails rolls back: either way the transaction is over.
  if (ends) tx_open_ = false;
  if (begins && ok) tx_open_ = true;
  if (!ok) return Fail(PgError(conn_, r.get(), "database"));
  return {};
}

Result<sql::Statement*> PgConnection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return static_cast<sql::Statement*>(it->second.get());
  }
  auto st = std::make_unique<PgStatement>(this, sql, false);
  PgStatement* out = st.get();
  cache_.emplace(sql, std::move(st));
  return static_cast<sql::Statement*>(out);
}

Result<std::unique_ptr<sql::Statement>> PgConnection::PrepareScan(const std::string& sql) {
  return std::unique_ptr<sql::Statement>(new PgStatement(this, sql, true));
}

Result<std::unique_ptr<PgConnection>> PgConnection::BorrowSpare() {
  while (!spares_.empty()) {
    auto c = std::move(spares_.back());
    spares_.pop_back();
    if (PQstatus(c->raw()) == CONNECTION_OK) return c;
  }
  return Open(url_);
}

void PgConnection::ReturnSpare(std::unique_ptr<PgConnection> conn) {
  constexpr size_t kMaxSpares = 2;
  if (spares_.size() < kMaxSpares && PQstatus(conn->raw()) == CONNECTION_OK &&
      PQtransactionStatus(conn->raw()) == PQTRANS_IDLE)
    spares_.push_back(std::move(conn));
}

Result<std::unique_ptr<sql::Connection>> PgConnection::OpenSibling() {
  auto other = Open(url_);
  if (!other) return Fail(other.error());
  return std::unique_ptr<sql::Connection>(std::move(*other));
}

Status PgConnection::CopyIn(const std::string& copy_sql, std::string_view data) {
  if (PQstatus(conn_) != CONNECTION_OK)
    return Fail(Error::Unavailable("the connection to the database was lost"));
  PgResult start(PQexec(conn_, copy_sql.c_str()));
  if (PQresultStatus(start.get()) != PGRES_COPY_IN) return Fail(PgError(conn_, start.get(), "COPY"));
  constexpr size_t kPiece = 1 << 20;
  for (size_t at = 0; at < data.size(); at += kPiece) {
    size_t n = std::min(kPiece, data.size() - at);
    if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) break;
  }
  PQputCopyEnd(conn_, nullptr);
  Status out;
  while (PGresult* raw = PQgetResult(conn_)) {
    PgResult r(raw);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK && out) out = Fail(PgError(conn_, r.get(), "COPY"));
    if (out) {
      const char* n = PQcmdTuples(r.get());
      changes_ = n && *n ? std::strtoll(n, nullptr, 10) : 0;
    }
  }
  return out;
}

Result<bool> PgConnection::WaitForNotification(int timeout_ms, std::string_view prefix) {
  auto drain = [&]() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      if (std::string_view(n->extra ? n->extra : "").substr(0, prefix.size()) == prefix) any = true;
      PQfreemem(n);
    }
    return any;
  };
  if (PQstatus(conn_) != CONNECTION_OK)
    return Fail(Error::Unavailable("the listening connection to the database was lost"));
  if (!PQconsumeInput(conn_)) return Fail(PgError(conn_, nullptr, "listening"));
  if (drain()) return true;
  // Notifications for other trackers (other schemas) do not end the wait.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    if (!PQconsumeInput(conn_)) return Fail(PgError(conn_, nullptr, "listening"));
    if (drain()) return true;
  }
}

}  // namespace rectrack::pg

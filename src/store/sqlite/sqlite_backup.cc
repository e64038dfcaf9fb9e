// `rectrack backup` of an SQLite store: SQLite's online backup API
// (sqlite3_backup_init/step/finish), which copies the database page by page
// and starts again by itself when another connection writes to the source
// between two steps, so that the copy is always one consistent state.
#include "store/sqlite/sqlite_backup.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "fmt/format.h"
#include "store/sqlite/sqlite_db.h"

namespace rectrack::sqlite {
namespace {

namespace fs = std::filesystem;

// Pages per step (4 KiB each): 1 MiB, then the source's lock is let go.
constexpr int kPagesPerStep = 256;
// After this many restarts (writers changed the store during the copy each
// time), the rest is copied in one step: one read transaction, which in WAL
// mode does not hold writers up, only delays the checkpoint.
constexpr int kMaxRestarts = 3;

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

Error SqliteError(sqlite3* db, const std::string& what) {
  return Error::Io(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

Result<DbPtr> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return Fail(SqliteError(raw, fmt::format("cannot open '{}'", path)));
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

// True when the database has a table named `name` (bound, as every value).
Result<bool> HasTable(sqlite3* db, const std::string& path, const char* name) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                         -1, &st, nullptr) != SQLITE_OK)
    return Fail(SqliteError(db, fmt::format("'{}' cannot be read as an SQLite database", path)));
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  bool found = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return Fail(SqliteError(db, fmt::format("'{}' cannot be read as an SQLite database", path)));
  return found;
}

Status QuickCheck(sqlite3* db, const std::string& what) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, nullptr) != SQLITE_OK)
    return Fail(SqliteError(db, what));
  std::string verdict;
  if (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    verdict = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  if (verdict != "ok")
    return Fail(Error::Corrupt(fmt::format("{}: the copy fails SQLite's quick_check: {}", what, verdict)));
  return {};
}

// The online backup of `from` into `to` (both open); counts restarts.
Status CopyOnline(sqlite3* from, sqlite3* to, const std::string& what, int* restarts) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) return Fail(SqliteError(to, what));
  int pages = kPagesPerStep;
  int last_remaining = -1;
  auto deadline_busy = std::chrono::steady_clock::now();
  bool waiting = false;
  int rc;
  while (true) {
    rc = sqlite3_backup_step(b, pages);
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) {
      waiting = false;
      int remaining = sqlite3_backup_remaining(b);
      // More to copy than after the last step: a writer changed the source and
      // the copy began again (the store may also have grown; either way the
      // copy is of one state, never a mix).
      if (last_remaining >= 0 && remaining > last_remaining && ++*restarts >= kMaxRestarts)
        pages = -1;
      last_remaining = remaining;
      sqlite3_sleep(1);  // let a writer in (it matters without WAL)
      continue;
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      auto now = std::chrono::steady_clock::now();
      if (!waiting) {
        waiting = true;
        deadline_busy = now + std::chrono::milliseconds(kBusyTimeoutMs * 6);
      } else if (now > deadline_busy) {
        break;
      }
      sqlite3_sleep(20);
      continue;
    }
    break;
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      return Fail(Error::Unavailable(fmt::format("{}: the store stayed locked for {} s; try again",
                                                 what, kBusyTimeoutMs * 6 / 1000)));
    return Fail(Error::Io(fmt::format("{}: {}", what, sqlite3_errstr(rc))));
  }
  if (sqlite3_errcode(to) != SQLITE_OK && sqlite3_errcode(to) != SQLITE_DONE)
    return Fail(SqliteError(to, what));
  return {};
}

// Copies the rectrack store at `path` into the empty file `tmp`.
Result<BackupInfo> CopyStore(const std::string& path, const std::string& tmp, const char* role) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    return Fail(Error::NotFound(fmt::format("no store at '{}': the file does not exist", path)));
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) == 0)
    return Fail(Error::NotFound(fmt::format("no store at '{}': not a store file", path)));
  auto from = OpenDb(path, SQLITE_OPEN_READONLY);
  if (!from) return Fail(from.error());
  auto ledger = HasTable(from->get(), path, "ledger");
  if (!ledger) return Fail(ledger.error());
  if (!*ledger)
    return Fail(Error::NotFound(fmt::format("'{}' is an SQLite file but not a rectrack {} (it has no "
                                            "ledger)",
                                            path, role)));
  auto to = OpenDb(tmp, SQLITE_OPEN_READWRITE);
  if (!to) return Fail(to.error());
  BackupInfo info;
  info.engine = "sqlite";
  std::string what = fmt::format("copying '{}'", path);
  RT_TRY(CopyOnline(from->get(), to->get(), what, &info.restarts));
  // A backup is one self-contained file: the source's pages came with its WAL
  // mode, which would make every reader of the copy write -wal and -shm files
  // beside it. A store opened from it goes back to WAL (sqlite_store.cc).
  {
    char* err = nullptr;
    if (sqlite3_exec(to->get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "";
      sqlite3_free(err);
      return Fail(Error::Io(fmt::format("{}: {}", what, m)));
    }
  }
  RT_TRY(QuickCheck(to->get(), what));
  if (sqlite3_close(to->release()) != SQLITE_OK)
    return Fail(Error::Io(fmt::format("{}: closing the copy failed", what)));
  return info;
}

}  // namespace

Result<BackupInfo> BackupFile(const std::string& path, const std::string& tmp) {
  return CopyStore(path, tmp, "store");
}

Result<BackupInfo> RestoreFile(const std::string& backup, const std::string& target) {
  std::error_code ec;
  bool empty_file = fs::exists(target, ec) && fs::is_regular_file(target, ec) &&
                    fs::file_size(target, ec) == 0;
  if (fs::exists(target, ec) && !empty_file)
    return Fail(Error::Conflict(fmt::format(
        "'{}' exists already: restore to a new file (a restore never overwrites a store)", target)));
  for (const char* suffix : {"-wal", "-shm", "-journal"})
    if (fs::exists(target + suffix, ec))
      return Fail(Error::Conflict(fmt::format(
          "'{}{}' exists: a store was there; remove it or restore to a new file", target, suffix)));
  auto tmp = backup_internal::TempFileBeside(target);
  if (!tmp) return Fail(tmp.error());
  // The backup API again rather than a byte copy: the result is checked page
  // by page, and a backup that is not a store is refused before it lands.
  auto info = CopyStore(backup, *tmp, "backup");
  if (!info) {
    std::remove(tmp->c_str());
    for (const char* suffix : {"-wal", "-shm", "-journal"}) std::remove((*tmp + suffix).c_str());
    return info;
  }
  RT_TRY(backup_internal::CommitFile(*tmp, target, empty_file));
  info->bytes = static_cast<int64_t>(fs::file_size(target, ec));
  return info;
}

}  // namespace rectrack::sqlite

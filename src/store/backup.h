#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace rectrack {

// Backups of a whole store and their restore (`rectrack backup`, `rectrack
// restore`; docs/deploy.md). A backup holds the store's tables, ledger and
// secrets' hashes; never the signing key, which lives outside the store.
//
// SQLite: a copy of the database file made with SQLite's online backup API
// (sqlite/sqlite_backup.cc), in steps, while servers keep writing; the copy is
// itself an SQLite store file. PostgreSQL: `pg_dump --format=custom` of the
// store's schema (postgres/pg_backup.cc), read in one snapshot.

struct BackupInfo {
  std::string engine;  // "sqlite" or "postgresql"
  std::string schema;  // PostgreSQL: the schema backed up, or restored into
  int64_t bytes = 0;   // the size of the backup file
  int restarts = 0;    // SQLite: copies started again because the store changed mid-way
};

enum class BackupFormat { kSqlite, kPgDump };

// Writes a consistent copy of the store at `location` to the file `out` (mode
// 0600: it holds password hashes), through a temporary file beside it that is
// renamed at the end, so that `out` is whole or absent. kConflict when `out`
// exists and `overwrite` is false; kNotFound when there is no store at
// `location` or no pg_dump to run.
Result<BackupInfo> BackupStore(const std::string& location, const std::string& out, bool overwrite);

// What kind of backup the file at `path` is; kInvalidInput when it is neither.
Result<BackupFormat> ReadBackupFormat(const std::string& path);

// Makes the backup at `backup` the store at `location`, which must hold none
// (kConflict otherwise): an SQLite file that does not exist (or is empty), or
// a PostgreSQL schema that does not exist or is empty. The result is not
// verified here: the caller runs verify, and RemoveRestoredStore if it fails.
Result<BackupInfo> RestoreStore(const std::string& backup, const std::string& location);

// Removes the store that RestoreStore put at `location`.
Status RemoveRestoredStore(const std::string& location);

namespace backup_internal {
// A new empty file (0600) beside `out`, for the copy to be written to.
Result<std::string> TempFileBeside(const std::string& out);
// Flushes `tmp` to disk and renames it to `out` (replacing it only when
// `overwrite`), then flushes the directory; `tmp` is removed on failure.
Status CommitFile(const std::string& tmp, const std::string& out, bool overwrite);
}  // namespace backup_internal

}  // namespace rectrack

#pragma once
// Test-only: the store a test runs against, SQLite or PostgreSQL.
//
// The store-facing tests are registered twice with ctest (CMakeLists.txt):
// once as they are, on SQLite files, and once with RECTRACK_TEST_PG set to the
// directory of a throw-away PostgreSQL cluster (scripts/pg-cluster.sh, started
// by the ctest fixture tests/pg_fixture.sh). A test names its store by the
// SQLite path it would use; on PostgreSQL that path maps to a fresh schema of
// the cluster's test database, and the key file to PATH.key, as SQLite's.
//
// RawDb is what an outsider with the database's credentials has: a connection
// outside the Store, to read or edit tables behind rectrack's back.

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.h"

namespace rectrack::testing_util {

// A fresh directory (mkdtemp), removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// True when the tests run against PostgreSQL (RECTRACK_TEST_PG is set).
bool UsingPostgres();
// "sqlite" or "postgres", for messages.
const char* EngineName();

// The location of the store a test keeps at `path`: the path itself on
// SQLite; on PostgreSQL a URL of the cluster's test database whose
// search_path is a schema of its own for `path` (made on first use).
std::string StoreLocation(const std::string& path);
// The cluster's test database without a schema of a test's own (PostgreSQL).
std::string PostgresAdminUrl();
// `keys`, with the key file at PATH.key on PostgreSQL unless given (SQLite's
// default is the same file).
KeyOptions StoreKeys(const std::string& path, KeyOptions keys = {});

Result<std::unique_ptr<Store>> OpenTestStore(const std::string& path, KeyOptions keys = {});
Result<std::unique_ptr<Store>> CreateEmptyTestStore(const std::string& path, KeyOptions keys = {});

// Makes the store at `to` a copy of the one at `from` as it is now, replacing
// whatever `to` held (an older copy put back, as a rollback would): the file
// copied on SQLite; on PostgreSQL the schema dropped and the tracker copied
// into it (rectrack copy), signed with `from`'s key.
void CopyTestStore(const std::string& from, const std::string& to);

// The store's write lock, held by another connection (another process as far
// as the store can tell) until this is destroyed: SQLite's BEGIN IMMEDIATE,
// PostgreSQL's advisory lock of the store's schema.
class WriteLock {
 public:
  virtual ~WriteLock() = default;
};
std::unique_ptr<WriteLock> HoldWriteLock(const std::string& path);

// Whether the store at `path` exists (an SQLite file; a schema with tables).
bool TestStoreExists(const std::string& path);

// A connection outside the Store to the store at `path` (SQLite file, or the
// PostgreSQL schema StoreLocation gives).
class RawDb {
 public:
  explicit RawDb(const std::string& path);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  bool ok() const;
  bool postgres() const;
  const std::string& error() const { return error_; }

  // Result codes of Exec, the same on both engines (SQLite's values).
  static constexpr int kOk = 0;          // SQLITE_OK
  static constexpr int kError = 1;       // SQLITE_ERROR
  static constexpr int kConstraint = 19; // SQLITE_CONSTRAINT: a constraint or a trigger refused it

  // Runs one or more statements.
  int Exec(const std::string& sql);
  // Runs one statement with `?` placeholders bound to `params` (as text).
  int Exec(const std::string& sql, const std::vector<std::string>& params);
  // Every row of one query, each value as text ("NULL" for NULL). Throws on error.
  std::vector<std::vector<std::string>> Rows(const std::string& sql);
  // The first column of the first row.
  std::string Text(const std::string& sql);
  int64_t Int(const std::string& sql) { return std::stoll(Text(sql)); }

  bool HasTable(const std::string& name);
  // Drops the triggers that keep the ledger append-only (an insider's first step).
  int DropLedgerTriggers();
  // The schema and every row of every table, sorted: equal dumps mean nothing changed.
  std::string Dump();
  // Row counts of the domain tables, for readable failure messages.
  std::string Counts();
  // The search index's table: recommendation_fts (SQLite) or recommendation_search.
  std::string SearchTable() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace rectrack::testing_util

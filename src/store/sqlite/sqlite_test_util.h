#pragma once
// Test-only helpers shared by store_tests and app_tests: a temporary directory,
// and a second, independent SQLite connection to a store's file (what an
// outsider, or an attacker with write access to the file, has).

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace rectrack::testing_util {

// A fresh directory (mkdtemp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rectrack-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A plain sqlite3 connection, outside the Store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    rc_ = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    sqlite3_busy_timeout(db_, 2000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3* raw() { return db_; }
  const std::string& error() const { return error_; }

  // Runs one or more statements; returns SQLite's (primary) result code.
  int Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    error_ = err ? err : "";
    sqlite3_free(err);
    return rc & 0xFF;
  }

  // Every row of one query, each value as text ("NULL" for NULL).
  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      error_ = sqlite3_errmsg(db_);
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
    error_ = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) throw std::runtime_error("RawDb: '" + sql + "': " + error_);
    return out;
  }

  // The first column of the first row.
  std::string Text(const std::string& sql) {
    auto rows = Rows(sql);
    if (rows.empty() || rows[0].empty()) throw std::runtime_error("RawDb: no row for " + sql);
    return rows[0][0];
  }
  int64_t Int(const std::string& sql) { return std::stoll(Text(sql)); }

  bool HasTable(const std::string& name) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db_, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, name.c_str(), -1, SQLITE_TRANSIENT);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
  }

  // The schema, user_version and every row of every table (FTS shadow tables
  // included), rows sorted within each table: equal dumps mean nothing changed.
  std::string Dump() {
    std::string out = "user_version=" + Text("PRAGMA user_version") + "\n";
    auto tables =
        Rows("SELECT name, type, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name");
    for (const auto& t : tables) out += t[1] + " " + t[0] + ": " + t[2] + "\n";
    for (const auto& t : tables) {
      if (t[1] != "table") continue;
      auto rows = Rows("SELECT * FROM \"" + t[0] + "\"");
      std::vector<std::string> lines;
      for (const auto& r : rows) {
        std::string line;
        for (const auto& v : r) line += std::to_string(v.size()) + ":" + v + "|";
        lines.push_back(line);
      }
      std::sort(lines.begin(), lines.end());
      out += "-- " + t[0] + " (" + std::to_string(lines.size()) + " rows)\n";
      for (const auto& l : lines) out += l + "\n";
    }
    return out;
  }

  // Row counts of the domain tables, for readable failure messages.
  std::string Counts() {
    std::string out;
    for (const char* t : {"owners", "owner_aliases", "sources", "recommendations", "assignments",
                          "updates", "funding", "publications", "ledger", "recommendation_fts"})
      out += std::string(t) + "=" + Text(std::string("SELECT COUNT(*) FROM ") + t) + " ";
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_OK;
  std::string error_;
};

}  // namespace rectrack::testing_util

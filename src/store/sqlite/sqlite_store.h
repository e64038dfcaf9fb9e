#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/sql/sql_store.h"
#include "store/sqlite/sqlite_db.h"

namespace rectrack::sqlite {

// The SQL store over SQLite (sqlite_store.cc says what it does differently).
class SqliteStore : public sql::SqlStore {
 public:
  SqliteStore(std::unique_ptr<Db> db, std::string path, KeyOptions keys, bool scratch)
      : sql::SqlStore(std::move(db), std::move(path), std::move(keys), scratch) {}

  using Store::Search;
  Result<std::vector<SearchHit>> Search(const std::string& query, int limit, int offset) override;
  Result<int64_t> SearchCount(const std::string& query) override;

 protected:
  Status Configure() override;
  Result<int64_t> ReadSchemaVersion() override;
  Status WriteSchemaVersion(int64_t version) override;
  std::vector<std::string_view> Migrations() const override;
  Status BeginOuter() override;
  Status Upgrade(int64_t from) override;  // sqlite_baseline.cc
  void AfterUpgrade() override;
  int64_t FirstLedgerSchema() const override { return 4; }
  sql::SearchTable search_table() const override { return {"recommendation_fts", "rowid"}; }
  Status CheckSearchStructure(std::vector<std::string>* problems) override;
  Status ForeignKeysForImport(bool on) override;
  Status ScanCache(bool on) override;
};

}  // namespace rectrack::sqlite

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/postgres/pg_db.h"
#include "store/sql/sql_store.h"

namespace rectrack::pg {

// The SQL store over PostgreSQL (pg_store.cc says what it does differently).
class PostgresStore : public sql::SqlStore {
 public:
  PostgresStore(std::unique_ptr<PgConnection> db, std::string url, KeyOptions keys)
      : sql::SqlStore(std::move(db), std::move(url), std::move(keys), false) {}

  using Store::Search;
  Result<std::vector<SearchHit>> Search(const std::string& query, int limit, int offset) override;
  Result<int64_t> SearchCount(const std::string& query) override;
  Result<std::unique_ptr<ChangeListener>> ListenForChanges() override;

 protected:
  Status Configure() override;
  Result<int64_t> ReadSchemaVersion() override;
  Status WriteSchemaVersion(int64_t version) override;
  std::vector<std::string_view> Migrations() const override;
  Status BeginOuter() override;
  std::string BeginReadSql() const override {
    return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  }
  Status JoinReadSnapshot(sql::Connection& sibling) override;
  sql::SearchTable search_table() const override { return {"recommendation_search", "id"}; }
  Status CheckSearchStructure(std::vector<std::string>* problems) override;
  Status InsertRows(const TableDef& t, const std::vector<Row>& rows,
                    sql::ApplyFailure* failure) override;
  Status InsertSearchEntries(const std::vector<sql::SearchEntry>& entries) override;
  Status AfterAppend(const LedgerEvent& e) override;

 private:
  PgConnection* pg() { return static_cast<PgConnection*>(db_.get()); }
};

// The channel every event's NOTIFY goes to (its payload: the event's seq).
inline constexpr char kLedgerChannel[] = "rectrack_ledger";

// A URL with its password replaced by "***", for messages and logs.
std::string RedactUrl(const std::string& url);

}  // namespace rectrack::pg

#include "store/store.h"

#include "fmt/format.h"
#include "store/postgres/pg_store.h"

namespace rectrack {

Status Store::ScanTable(const TableDef& table, const std::function<bool(Row&)>& fn) {
  auto cursor = ScanRows(table);
  if (!cursor) return Fail(cursor.error());
  Row row;
  while (true) {
    auto more = (*cursor)->Next(&row);
    if (!more) return Fail(more.error());
    if (!*more || !fn(row)) return {};
  }
}

bool IsPostgresUrl(const std::string& location) {
  return location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0;
}

std::string DisplayLocation(const std::string& location) {
  return IsPostgresUrl(location) ? pg::RedactUrl(location) : location;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& location, const KeyOptions& keys) {
  if (IsPostgresUrl(location)) return OpenPostgresStore(location, keys);
  return OpenSqliteStore(location, keys);
}

Result<std::unique_ptr<Store>> OpenExistingStore(const std::string& location,
                                                 const KeyOptions& keys) {
  if (IsPostgresUrl(location)) return OpenExistingPostgresStore(location, keys);
  return OpenExistingSqliteStore(location, keys);
}

Result<std::unique_ptr<Store>> CreateEmptyStore(const std::string& location,
                                                const KeyOptions& keys) {
  if (IsPostgresUrl(location)) return CreateEmptyPostgresStore(location, keys);
  return CreateEmptySqliteStore(location, keys);
}

}  // namespace rectrack

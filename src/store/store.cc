#include "store/store.h"

#include "fmt/format.h"

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

Result<std::unique_ptr<Store>> OpenStore(const std::string& location, const KeyOptions& keys) {
  if (location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0)
    return Fail(Error::Invalid(fmt::format(
        "'{}': PostgreSQL storage is not built yet; use an SQLite file path", location)));
  return OpenSqliteStore(location, keys);
}

}  // namespace rectrack

#include "store/store.h"

#include <chrono>
#include <ctime>

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

std::string UtcTimestamp(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

#include "store/store.h"

#include "fmt/format.h"

namespace rectrack {

Result<std::unique_ptr<Store>> OpenStore(const std::string& location) {
  if (location.rfind("postgres://", 0) == 0 || location.rfind("postgresql://", 0) == 0)
    return Fail(Error::Invalid(fmt::format(
        "'{}': PostgreSQL storage is not built yet; use an SQLite file path", location)));
  return OpenSqliteStore(location);
}

}  // namespace rectrack

#include "store/backup.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "fmt/format.h"
#include "store/postgres/pg_backup.h"
#include "store/sqlite/sqlite_backup.h"
#include "store/store.h"

namespace rectrack {
namespace backup_internal {

namespace fs = std::filesystem;

Result<std::string> TempFileBeside(const std::string& out) {
  fs::path p(out);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  // Hidden and named after the file it becomes, so that a crash leaves
  // something an operator recognises (and `backup.sh` skips).
  std::string pattern = (dir / ("." + p.filename().string() + ".partial-XXXXXX")).string();
  std::string buf = pattern;
  int fd = mkstemp(buf.data());
  if (fd < 0)
    return Fail(Error::Io(fmt::format("cannot write beside '{}': {}", out, std::strerror(errno))));
  (void)fchmod(fd, 0600);
  close(fd);
  return buf;
}

namespace {
Status SyncPath(const std::string& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Fail(Error::Io(fmt::format("{}: {}", path, std::strerror(errno))));
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  if (rc != 0) return Fail(Error::Io(fmt::format("{}: fsync: {}", path, std::strerror(saved))));
  return {};
}
}  // namespace

Status CommitFile(const std::string& tmp, const std::string& out, bool overwrite) {
  auto fail = [&](Error e) -> Status {
    std::remove(tmp.c_str());
    return Fail(std::move(e));
  };
  if (auto s = SyncPath(tmp, false); !s) return fail(s.error());
  // Without `overwrite`, never replace a file that appeared meanwhile.
  int rc = overwrite ? std::rename(tmp.c_str(), out.c_str())
                     : renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, out.c_str(), RENAME_NOREPLACE);
  if (rc != 0) {
    int saved = errno;
    if (saved == EEXIST)
      return fail(Error::Conflict(fmt::format("'{}' exists: give a new name, or --force", out)));
    return fail(Error::Io(fmt::format("cannot rename to '{}': {}", out, std::strerror(saved))));
  }
  fs::path p(out);
  return SyncPath(p.has_parent_path() ? p.parent_path().string() : ".", true);
}

}  // namespace backup_internal

Result<BackupInfo> BackupStore(const std::string& location, const std::string& out, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(out, ec))
    return Fail(Error::Conflict(fmt::format("'{}' exists: give a new name, or --force to replace it", out)));
  if (std::filesystem::is_directory(out, ec))
    return Fail(Error::Invalid(fmt::format("'{}' is a directory: give a file name", out)));
  auto tmp = backup_internal::TempFileBeside(out);
  if (!tmp) return Fail(tmp.error());
  Result<BackupInfo> info = IsPostgresUrl(location) ? pg::BackupSchema(location, *tmp)
                                                    : sqlite::BackupFile(location, *tmp);
  if (!info) {
    std::remove(tmp->c_str());
    return info;
  }
  if (auto s = backup_internal::CommitFile(*tmp, out, overwrite); !s) return Fail(s.error());
  info->bytes = static_cast<int64_t>(std::filesystem::file_size(out, ec));
  return info;
}

Result<BackupFormat> ReadBackupFormat(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path))
      return Fail(Error::NotFound(fmt::format("the backup '{}' does not exist", path)));
    return Fail(Error::Io(fmt::format("the backup '{}' cannot be read", path)));
  }
  char head[16] = {};
  in.read(head, sizeof head);
  std::string_view h(head, static_cast<size_t>(in.gcount()));
  if (h == std::string_view("SQLite format 3\0", 16)) return BackupFormat::kSqlite;
  if (h.substr(0, 5) == "PGDMP") return BackupFormat::kPgDump;
  return Fail(Error::Invalid(fmt::format(
      "'{}' is not a rectrack backup: neither an SQLite file nor a pg_dump archive (custom format)",
      path)));
}

Result<BackupInfo> RestoreStore(const std::string& backup, const std::string& location) {
  auto format = ReadBackupFormat(backup);
  if (!format) return Fail(format.error());
  bool to_pg = IsPostgresUrl(location);
  if (*format == BackupFormat::kSqlite && to_pg)
    return Fail(Error::Invalid(fmt::format(
        "'{}' is a backup of an SQLite store: restore it to a file, then `rectrack copy --from "
        "FILE --to {}`",
        backup, DisplayLocation(location))));
  if (*format == BackupFormat::kPgDump && !to_pg)
    return Fail(Error::Invalid(fmt::format(
        "'{}' is a backup of a PostgreSQL store (pg_dump): restore it to a postgresql:// URL, then "
        "`rectrack copy` it to a file if need be",
        backup)));
  return to_pg ? pg::RestoreSchema(backup, location) : sqlite::RestoreFile(backup, location);
}

Status RemoveRestoredStore(const std::string& location) {
  if (IsPostgresUrl(location)) return pg::DropRestoredSchema(location);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((location + suffix).c_str());
  return {};
}

}  // namespace rectrack

#pragma once

#include <string>

#include "core/result.h"
#include "store/backup.h"

namespace rectrack::sqlite {

// Copies the SQLite store at `path` into the (new, empty) file `tmp` with
// SQLite's online backup API, a few pages at a time so that writers are let in
// between steps; checks the copy (quick_check). kNotFound when `path` holds no
// rectrack store.
Result<BackupInfo> BackupFile(const std::string& path, const std::string& tmp);

// Puts the SQLite backup `backup` at `target` (which must not exist, or be an
// empty file), through a temporary file renamed at the end.
Result<BackupInfo> RestoreFile(const std::string& backup, const std::string& target);

}  // namespace rectrack::sqlite

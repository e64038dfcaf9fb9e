#pragma once

#include <functional>

#include "cli/trust_commands.h"

namespace CLI {
class App;
}

namespace rectrack::cli {

// Adds the commands of backups (docs/deploy.md):
//   backup OUT [--force] [--with-key]        a consistent copy of the store
//                                            (SQLite's online backup API, or
//                                            pg_dump of the store's schema)
//   restore BACKUP --to LOCATION [--key-file K]
//                                            the backup as a new store, then a
//                                            full verify of it
void AddBackupCommands(CLI::App& app, StoreAccess access,
                       const std::function<void(CLI::App*)>& add_db, int* rc);

}  // namespace rectrack::cli

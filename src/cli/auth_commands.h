#pragma once

#include <functional>
#include <memory>

#include "core/result.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace rectrack::cli {

// Adds the account commands and the offline publication check to `app`:
//   user add NAME --role R [--owner NAME]... [--password-file F]   (else stdin)
//   user list [--format text|json]
//   user disable NAME
//   user token NAME --name LABEL        prints a new API token, once
//   verify-publication FILE [--key PUBLIC_KEY_HEX]
// The command line is trusted: whoever can write the database file can do
// anything, so these need no sign-in. `open` opens the store of --db;
// `add_db` adds the --db option to a subcommand; the exit code goes to `rc`.
void AddAuthCommands(CLI::App& app,
                     std::function<Result<std::unique_ptr<Store>>()> open,
                     const std::function<void(CLI::App*)>& add_db, int* rc);

}  // namespace rectrack::cli

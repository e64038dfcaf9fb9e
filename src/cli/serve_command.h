#pragma once

#include <functional>
#include <string>

#include "cli/chase_commands.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace rectrack::cli {

// Adds `serve [--listen HOST:PORT] [--threads N] [--access-log FILE|-]
// [--cache-mb N] [--trust-forwarded-proto]` to `app`. `db` gives the store
// location chosen by --db / RECTRACK_DB, `create` whether --create was given
// (else a missing store is an error), `open` opens it (for chasing, with
// --chase-every); the exit code goes to `rc`.
void AddServeCommand(CLI::App& app, std::function<std::string()> db,
                     std::function<KeyOptions()> keys, std::function<bool()> create,
                     StoreOpener open, const std::function<void(CLI::App*)>& add_db, int* rc);

}  // namespace rectrack::cli

#pragma once

#include <functional>
#include <memory>

#include "core/result.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace rectrack::cli {

using StoreOpener = std::function<Result<std::unique_ptr<Store>>()>;

// Contacts of owners, under `owner`:
//   owner contact add OWNER EMAIL [--name N] [--role R]
//   owner contact list [OWNER] [--format table|csv|json]
//   owner contact remove OWNER EMAIL
//   owner contact import FILE.csv      (owner,email,name,role; all or nothing)
void AddContactCommands(CLI::App* owner, StoreOpener open,
                        const std::function<void(CLI::App*)>& add_db, int* rc);

// Chasing, under `app`:
//   chase [--as-of DATE] [--dry-run] [--smtp URL] [--from ADDR] [--public-url URL] ...
//   chase schedule [KIND [--before 14,7,1] [--overdue-every 7] [--target-every 30] [--off|--on]]
//   chase outbox [--state S] [--limit N] [--show ID]
//   chase resend ID
// and `user email NAME EMAIL` under `user`.
void AddChaseCommands(CLI::App& app, StoreOpener open,
                      const std::function<void(CLI::App*)>& add_db, int* rc);

// The chase settings of `serve --chase-every` (cli/serve_command.cc): the same
// options as `chase`, run from the server on a timer.
struct ChaseServeSettings {
  std::string every;  // "1d", "6h", "30m"; empty: no chasing
  std::string smtp, smtp_credentials, from, from_name, public_url;
  int max_messages = 100;
};
void AddChaseServeOptions(CLI::App* serve, ChaseServeSettings* settings);
// The timer of --chase-every: Start() runs a chase at once and then every
// interval on a thread of its own; Stop() ends it (waiting for a run in
// progress). Both do nothing without --chase-every. Errors in the settings
// are reported when it is made.
struct ChaseTimer {
  std::function<void()> Start, Stop;
};
Result<ChaseTimer> MakeChaseTimer(const ChaseServeSettings& settings, StoreOpener open);

}  // namespace rectrack::cli

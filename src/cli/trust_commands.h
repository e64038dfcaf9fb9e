#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace rectrack::cli {

// How the trust commands reach the store chosen by --db, --key-file and the
// environment.
struct StoreAccess {
  std::function<std::string()> db_path;
  std::function<KeyOptions()> keys;
  std::function<Result<std::unique_ptr<Store>>()> open;
};

// Adds the commands of verifiable state (docs/trust.md):
//   verify [--checkpoint FILE]... [--key HEX]   the chain, the tables against
//                                               the replayed ledger, signatures
//   rebuild TARGET                              a new store from the ledger alone
//   key rotate | key show                       the tracker's signing key
//   checkpoint [-o FILE]                        a signed checkpoint to keep
//   witness URL --keep DIR [--key HEX]          an outsider's check of a tracker
void AddTrustCommands(CLI::App& app, StoreAccess access,
                      const std::function<void(CLI::App*)>& add_db, int* rc);

}  // namespace rectrack::cli

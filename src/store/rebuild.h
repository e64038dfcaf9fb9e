#pragma once

#include <cstdint>
#include <functional>

#include "core/result.h"
#include "store/store.h"

namespace rectrack {

struct RebuildSummary {
  int64_t events = 0;    // copied
  int64_t replayed = 0;  // applied to the tables (the rest predate the store's baseline)
  int64_t rows = 0;      // rows the replayed events changed
  LedgerHead head;
  int64_t secrets = 0;   // password and token hashes copied (RebuildOptions::copy_secrets)
};

struct RebuildOptions {
  // Called after each event with how many are done of how many.
  std::function<void(int64_t done, int64_t total)> progress;
  // Also the secrets the ledger holds only digests of (a copy of the tracker,
  // not a rebuild from its ledger alone): users keep their passwords and API
  // tokens keep working.
  bool copy_secrets = false;
};

// Builds `target` (new and empty: CreateEmptySqliteStore) from `source`'s ledger
// alone: every event copied as it is, the events from the first key or
// baseline on applied with Store::Apply (the search index rebuilt with them),
// and the head signed with `target`'s key. No table of `source` but its ledger
// is read. One transaction: all of it or nothing. A ledger whose chain is
// broken, or an event that does not apply, stops it with the reason.
Result<RebuildSummary> Rebuild(Store& source, Store& target, const RebuildOptions& options = {});

}  // namespace rectrack

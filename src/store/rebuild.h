#pragma once

#include <cstdint>

#include "core/result.h"
#include "store/store.h"

namespace rectrack {

struct RebuildSummary {
  int64_t events = 0;    // copied
  int64_t replayed = 0;  // applied to the tables (the rest predate the store's baseline)
  int64_t rows = 0;      // rows the replayed events changed
  LedgerHead head;
};

// Builds `target` (new and empty: CreateEmptySqliteStore) from `source`'s ledger
// alone: every event copied as it is, the events from the first key or
// baseline on applied with Store::Apply (the search index rebuilt with them),
// and the head signed with `target`'s key. No table of `source` but its ledger
// is read. One transaction: all of it or nothing. A ledger whose chain is
// broken, or an event that does not apply, stops it with the reason.
Result<RebuildSummary> Rebuild(Store& source, Store& target);

}  // namespace rectrack

#pragma once

#include <optional>
#include <string>

#include "core/batch.h"
#include "core/metrics.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack {

// Operations that combine the store with core computations and the report
// layer; shared by the command line and (later) the web server, so the two can
// never disagree.

// Today's date in Europe/London, the default "as of" of every computation.
Date TodayInLondon();

// The report data of `slug` as of `as_of`, diffed against the latest publication
// of the source dated before `as_of` (excluding `exclude_publication`).
Result<ReportData> LiveReport(Store& store, const std::string& slug, Date as_of,
                              int64_t exclude_publication = 0);

// Freezes the update of `slug` as of `as_of` as a publication pinned to the
// ledger head. The snapshot is the report data as JSON; rendering it later
// reproduces the publication byte for byte.
Result<Publication> PublishSource(Store& store, const std::string& slug, Date as_of,
                                  const std::string& title, const Actor& actor);

// The report data frozen in a publication, with its verification details.
Result<ReportData> PublishedReport(Store& store, int64_t publication_id);

// Imports `batch` and then freezes the publications it lists, all in one
// transaction: either everything lands or nothing does.
Result<ImportSummary> ImportWithPublications(Store& store, const ImportBatch& batch,
                                             const Actor& actor, const std::string& origin);

}  // namespace rectrack

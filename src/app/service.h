#pragma once

#include <optional>
#include <string>

#include "core/batch.h"
#include "core/metrics.h"
#include "core/result.h"
#include "report/report_render.h"
#include "store/store.h"
#include "store/verify.h"

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

// LiveReport rendered (md or html) straight to `file`, the recommendations
// read a part at a time, so that neither the facts nor the report data of a
// big source are whole in memory: the bytes of RenderReport(LiveReport(...)).
// Read in one snapshot of the store.
Status WriteLiveReport(Store& store, const std::string& slug, Date as_of, ReportFormat format,
                       std::FILE* file);

// OwnersTable(LoadFacts(filter), as_of), the recommendations read a part at a
// time (the same rows, in less memory), in one snapshot of the store.
Result<std::vector<OwnerRow>> LiveOwnersTable(Store& store, const FactsFilter& filter, Date as_of);

// Freezes the update of `slug` as of `as_of` as a publication pinned to the
// ledger head, signed with the tracker's key, and then a checkpoint of the
// head it makes. The snapshot is the report data as JSON; rendering it later
// reproduces the publication byte for byte.
//
// Nothing forged is signed: first the store is checked against its ledger
// (`verifier` brought up to date, or a full check with a new one when none is
// given) and the source's rows compared one by one; a store that fails is
// refused (kCorrupt, naming the first difference) and nothing is written. The
// checkpoint's state digest is the replayed ledger's, never the tables'.
Result<Publication> PublishSource(Store& store, const std::string& slug, Date as_of,
                                  const std::string& title, const Actor& actor,
                                  Verifier* verifier = nullptr);

// What a publication says besides its data.
struct PublishRequest {
  std::string title;       // required, at most 300 bytes
  std::string commentary;  // the office's Markdown (core/markdown.h: CheckCommentary)
  // A correction: the publication it corrects (of the same source, not
  // corrected already), and why. A publication is never edited or deleted:
  // a correction is a new one, and both stay visible.
  int64_t corrects = 0;
  std::string reason;
  // An imported update: when it was first published (shown, not the import's date).
  std::optional<Date> published_on;
  // The as-of date may not be after it (default: today in Europe/London).
  std::optional<Date> today;
};
// PublishSource with everything a request may say, checked first: the as-of
// date lies between the source's date and today; a second publication as of
// the same date is a correction of the first (`corrects`) or gives a reason;
// a correction names a publication of this source not corrected yet, and
// why. kInvalidInput (or kNotFound, kConflict) naming what is wrong; nothing
// is written then.
Result<Publication> PublishSource(Store& store, const std::string& slug, Date as_of,
                                  const PublishRequest& request, const Actor& actor,
                                  Verifier* verifier = nullptr);
// Exactly what PublishSource would freeze now, without writing anything: the
// report data (pinned to the current head, which it names) after the same
// checks. Its Markdown rendering is what a person reads before publishing.
Result<ReportData> PreviewPublication(Store& store, const std::string& slug, Date as_of,
                                      const PublishRequest& request);
// The publication that corrects `publication_id`, if one does.
Result<std::optional<Publication>> CorrectionOf(Store& store, int64_t publication_id);

// A publication that passes its own check (store/verify.h: CheckPublication),
// else kCorrupt naming what fails: a forged one is never served as true.
Result<Publication> CheckedPublication(Store& store, int64_t publication_id);

// The report data frozen in a publication, with its verification details;
// kCorrupt when the publication fails its check.
Result<ReportData> PublishedReport(Store& store, int64_t publication_id);

// Signs and records a checkpoint of the current head, its state digest from
// `verifier` brought up to date (a full check with a new one when none is
// given). Refused (kCorrupt) when the store fails the check.
Result<Checkpoint> MakeCheckpoint(Store& store, const Actor& actor, Verifier* verifier = nullptr);

// Imports `batch` and then freezes the publications it lists, all in one
// transaction: either everything lands or nothing does.
Result<ImportSummary> ImportWithPublications(Store& store, const ImportBatch& batch,
                                             const Actor& actor, const std::string& origin);

}  // namespace rectrack

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "nlohmann/json.hpp"
#include "store/store.h"

namespace rectrack {

// The read side of the public site and the JSON API: each function returns the
// document the API serves, and the web pages render the same document through
// their templates, so the two can never disagree. Everything is computed from
// core/ (StateAt, OwnersTable, BuildReport) as of a date.

struct ListFilter {
  std::string owner;  // owner name or alias
  std::string tier;
  std::string status;  // a response status or an implementation status
  bool overdue = false;
  bool past_target = false;  // implementation past its target date
  std::string theme;
};

struct Page {
  std::string after;  // opaque cursor from the previous page's next_cursor
  int limit = 50;  // at least 1; the API bounds what clients ask (1..500)
};

// Every source with its progress ("7 of 21 implemented"), by kind then slug.
// `kind` filters. Sources of kinds with many members (PFD) are summarised in
// "kinds" as counts as well.
Result<nlohmann::json> SourcesDoc(Store& store, Date as_of, const std::string& kind,
                                  const Page& page);
// Which sources a list shows (each empty or 0: any). `area` is a few words of
// the coroner's area or the author (case ignored); `theme` a category of one
// of its recommendations; `owner` a body (name or alias) it names. Newest first
// within each kind. An unknown owner is NotFound.
struct SourcesFilter {
  std::string kind;
  int year = 0;
  std::string area;
  std::string theme;
  std::string owner;
  bool any() const { return year != 0 || !area.empty() || !theme.empty() || !owner.empty(); }
};
Result<nlohmann::json> SourcesDoc(Store& store, Date as_of, const SourcesFilter& filter,
                                  const Page& page);

// One source: headline, status breakdown, owners table, funding, changes since
// the last publication, publications, timeline.
Result<nlohmann::json> SourceDoc(Store& store, const std::string& slug, Date as_of);

// A source's recommendations with each owner's state, filtered, paged by cursor.
Result<nlohmann::json> RecommendationsDoc(Store& store, const std::string& slug, Date as_of,
                                          const ListFilter& filter, const Page& page);

// One recommendation: text, each owner's response and status, and the timeline
// of updates with evidence. `include_unvalidated`: submitted and returned
// updates too (for signed-in staff); the public sees validated ones only.
Result<nlohmann::json> RecommendationDoc(Store& store, int64_t id, Date as_of,
                                         bool include_unvalidated);

// The accountability table: as `rectrack owners`, from the same code.
Result<nlohmann::json> OwnersDoc(Store& store, const std::string& source,
                                 const std::string& kind, Date as_of);

// Everything one owner holds across sources; overdue first, longest first.
Result<nlohmann::json> OwnerDoc(Store& store, int64_t owner_id, Date as_of);

// The non-response list (what the Chief Coroner publishes by hand): every
// assignment whose response is overdue as of `as_of`, longest first, with how
// often the owner was chased; totals per source kind and per owner. `kind`
// (empty for all) must be a kind of the store's sources.
Result<nlohmann::json> NonResponsesDoc(Store& store, Date as_of, const std::string& kind);

// What validating a submitted update would change on its assignment, as of
// `today`: [{"field", "before", "after"}] for the response, its status and the
// implementation, each only when it changes (empty: it changes none of them).
Result<nlohmann::json> ChangesIfValidated(Store& store, const UpdateWithAssignment& x, Date today);

// Search results, best first, a page at a time: `page.after` is the previous
// page's next_cursor (empty: the first page). With the total of all matches.
// A cursor that is not one this gives is InvalidInput.
inline constexpr int kMaxSearchOffset = 10000;
Result<nlohmann::json> SearchDoc(Store& store, const std::string& query, const Page& page);

// A frozen publication: its report snapshot, digest and ledger pin.
Result<nlohmann::json> PublicationDoc(Store& store, int64_t id);

// The kinds of the store's sources, each once, sorted.
Result<std::vector<std::string>> KindsInStore(Store& store);

// A slug made safe for a URL path segment.
std::string PercentEncodeSlug(const std::string& s);

// Cursor encoding: opaque to clients, stable for the same data.
std::string EncodeCursor(int64_t last_id);
std::optional<int64_t> DecodeCursor(const std::string& cursor);

}  // namespace rectrack

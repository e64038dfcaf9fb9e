#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/date.h"
#include "core/result.h"

namespace rectrack::web {

// `rectrack export-site DIR`: the public site as static files, for any static
// host (or opened straight from disk).
//
// Layout: every page is a directory index ("sources/harris-2016/index.html");
// feeds, publication downloads and static assets keep their names
// ("feeds/sources/harris-2016.atom", "publications/2.md", "static/rectrack.css");
// API documents get the format as extension ("api/v1/sources/harris-2016.json",
// "api/v1/sources/harris-2016/recommendations.csv"). A page address with a
// query (the next page of a list) becomes extra segments: "/sources?kind=pfd&
// after=r50" is "sources/_kind-pfd/_after-r50/index.html" (slugs never start
// with '_').
//
// Links: every internal link is rewritten *relative* to the file it is in and
// names its file in full ("../../recommendations/5/index.html"), so the copy
// works under any path prefix, from file://, and on hosts that do not serve
// directory indexes. Inside API JSON, the "links" members are rewritten the same
// way; links to what a static copy cannot serve (write endpoints) are dropped.
//
// The copy is made by following links from the home page through the same
// handlers the server runs, so it shows exactly what the live site shows as of
// `as_of`, minus what needs a server: filters, search, sign-in.

struct ExportSummary {
  int files = 0;
  int64_t bytes = 0;
};

// Writes the site for the store at `store_location` into `dir` (created if
// need be; files already there are overwritten, others left alone).
Result<ExportSummary> ExportSite(const std::string& store_location, const std::string& dir,
                                 Date as_of);

// Where an internal address ("/sources?kind=pfd") lives in the static copy
// ("sources/_kind-pfd/index.html"), and the address to fetch it from; nullopt
// if the copy cannot hold it (a filter, a write endpoint).
struct StaticTarget {
  std::string file;
  std::string fetch;
};
std::optional<StaticTarget> StaticTargetFor(std::string_view url);

// The relative URL from file `from` to file `to` (both relative to the site's
// root), each path segment percent-encoded: ("a/b/index.html", "c/index.html")
// -> "../../c/index.html".
std::string RelativeUrl(std::string_view from, std::string_view to);

}  // namespace rectrack::web

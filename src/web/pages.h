#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "web/context.h"
#include "web/http.h"

namespace rectrack::web {

// Who is looking at a page. The public site has no viewer; the sign-in layer
// (sessions, roles) fills one in through PagesOptions::viewer, and the layout
// then shows their name, a sign-out form carrying `csrf_token`, and pages may
// show more to staff. Pages seen by a viewer are never cached or shared.
struct Viewer {
  std::string name;
  std::string role;        // "admin", "coordinator", "editor", "viewer"
  std::string csrf_token;  // for the forms the page carries
};

struct PagesOptions {
  // Returns the signed-in viewer of a request, or nullopt for the public.
  // Unset: everyone is the public, and the header offers "Sign in".
  std::function<std::optional<Viewer>(const Request&)> viewer;
  // Where "Sign in" points; the sign-in layer serves it.
  std::string sign_in_path = "/sign-in";
  // Items per page of the sources list, a source's recommendations and search results.
  int page_size = 50;
  // Renders for a static copy (export-site): no forms that need the server
  // (filters, search, sign-in), whole lists instead of filtered pages.
  bool static_site = false;
};

// The public site, server-rendered, without JavaScript:
//   GET /                          every source with its progress
//   GET /sources?kind=&after=      sources of a kind, cursor pages
//   GET /sources/{slug}            headline, chart, owners, funding, changes,
//                                  publications, the filterable list
//   GET /recommendations/{id}      text, each owner's response, timeline
//   GET /owners?kind=&source=      the accountability table
//   GET /owners/{id}               what one body holds, what is overdue
//   GET /publications/{id}         a frozen update with its verification
//   GET /publications/{id}.md|.html|.json   the same bytes as
//                                  `rectrack report --publication ID`
//   GET /search?q=                 full-text search, highlighted snippets
//   GET /feeds/sources/{slug}.atom, /feeds/owners/{id}.atom
//   GET /static/{file}             embedded web/static files
// Every page takes ?as_of=YYYY-MM-DD like the API. Pages are cached in
// ctx.cache by URL, ledger head and as-of date (publications by URL alone).
void RegisterPages(Router& router, AppContext& ctx, PagesOptions options = {});

// The HTML "Page not found" page, for a server's fallback on unmatched paths
// outside /api/ (the router's own 404 is problem+json).
Response NotFoundPage(const PagesOptions& options = {});

// What a refusal to serve a store that failed its integrity check says.
std::string IntegrityRefusal(const std::string& problem);
// The HTML page (503) the server answers with while its store fails its check.
Response IntegrityFailedPage(const std::string& problem, const PagesOptions& options = {});

// The address of an embedded static file with a version query that changes
// with its bytes ("/static/rectrack.css?v=1a2b3c4d5e"), so that it can be
// cached for a year; empty if the file is not embedded.
std::string StaticUrl(std::string_view file);
// A stored timestamp in words: "2026-11-26T07:00:12.345Z" -> "26 November
// 2026 at 07:00 UTC"; anything else comes back as it is.
std::string LongTimestamp(const std::string& iso);

}  // namespace rectrack::web

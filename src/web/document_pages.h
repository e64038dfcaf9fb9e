#pragma once

#include <cstddef>
#include <string>

#include "app/document_extract.h"
#include "web/auth_web.h"
#include "web/http.h"

namespace rectrack::web {

// The largest document a coordinator may upload (the server takes a body this
// large on POST /imports/document only; every other path keeps its 2 MB).
inline constexpr size_t kMaxDocumentUploadBytes = size_t{32} << 20;
inline constexpr const char* kDocumentUploadPath = "/imports/document";

struct DocumentPagesOptions {
  // The program that reads an uploaded document: `rectrack` itself, run as
  // `import document` in a child process under `limits`.
  std::string reader = "/proc/self/exe";
  ExtractLimits limits;
  // Documents read at once; more: 503 with Retry-After. A reading holds a
  // work thread for up to `limits.wall`: one at a time leaves the others
  // (serve starts two or more) to writes and sign-ins.
  int max_readers = 1;
};

// Reading a report on the web (issue 11), for the tracking office
// (coordinators and admins): upload a PDF, check its draft beside the page
// text with each quote marked, edit, drop or merge items, and confirm it as a
// new source. Forms without JavaScript, each POST with the session's CSRF
// token; never cached. A draft is changed at the version the form showed (a
// change made meanwhile by someone else is refused, not overwritten).
//   GET  /imports                          the upload form and the drafts being checked
//   POST /imports/document                 multipart: "document" (the file), "preset"
//   GET  /imports/drafts/{id}              a draft: its items, the page texts, confirm
//   POST /imports/drafts/{id}              "version", "items", per item N "ref.N",
//                                          "text.N", "addressees.N", "by.N",
//                                          "decision.N", "pick.N"; "action": save,
//                                          drop (the picked) or merge (the picked)
//   POST /imports/drafts/{id}/confirm      "version", "target" (new or existing), for a
//                                          new source "slug", "title", "kind", "date",
//                                          else "existing" (its slug): the import, one
//                                          ledger event set
//   POST /imports/drafts/{id}/discard      "version"
void RegisterDocumentPages(Router& router, WebAuth& auth, DocumentPagesOptions options);

}  // namespace rectrack::web

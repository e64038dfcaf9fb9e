#pragma once

#include "web/auth_web.h"
#include "web/http.h"

namespace rectrack::web {

// The staff pages of the workflow, server-rendered forms without JavaScript.
// Every POST carries the session's CSRF token (hidden field "csrf") and is
// refused 403 without it; a POST without a session is refused 401; a GET
// without one is sent to /login. Pages are never cached.
//   GET  /my-assignments              an editor's owners and their assignments
//   GET  /assignments/{id}/submit     the form (hidden "version": the If-Match
//   POST /assignments/{id}/submit     of the form; a stale one gets 412)
//   GET  /review                      submitted updates (coordinator, admin)
//   POST /updates/{id}/validate       (coordinator, admin)
//   POST /updates/{id}/return         "reason" (coordinator, admin)
//   GET  /publish?source=SLUG         to the form below
//   GET  /sources/{slug}/publish      the publishing form (coordinator, admin)
//   POST /sources/{slug}/publish      "title", "as_of"
void RegisterWorkflowPages(Router& router, WebAuth& auth);

}  // namespace rectrack::web

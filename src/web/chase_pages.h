#pragma once

#include "web/auth_web.h"
#include "web/http.h"

namespace rectrack::web {

// Chasing, for the tracking office (coordinators and admins): who is due to
// be chased, the outbox, the owners' contacts and the schedules. Forms
// without JavaScript, each POST with the session's CSRF token, answered by a
// redirect to the page it changed (or the form again with every problem at
// once). Never cached. Sending is not done here: `serve --chase-every` or
// `rectrack chase` sends what these pages show as due.
//   GET  /chasing                          what is due today, the outbox (?state=)
//   GET  /chasing/outbox/{id}              one message, as sent
//   POST /chasing/outbox/{id}/resend       an uncertain, failed or abandoned one again
//   GET  /chasing/contacts                 every contact (?owner= one owner's)
//   POST /chasing/contacts                 add one ("owner", "email", "name", "role")
//   POST /chasing/contacts/remove          "owner", "email"
//   GET  /chasing/schedules                the schedule of each source kind
//   POST /chasing/schedules                set one ("kind", "before", "overdue_every",
//                                          "target_every", "enabled")
// Each change is the same ledger event as on the command line.
void RegisterChasePages(Router& router, WebAuth& auth);

}  // namespace rectrack::web

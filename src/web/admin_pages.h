#pragma once

#include "web/auth_web.h"
#include "web/http.h"

namespace rectrack::web {

// Accounts, for admins: server-rendered forms without JavaScript, each POST
// with the session's CSRF token, each answered by a redirect to the page it
// changed (or the form again with every problem at once). Never cached.
//   GET  /accounts                       every account, its state and lock-outs;
//   POST /accounts                       add one ("name", "role", "owners", "password", "confirm")
//   POST /accounts/unlock-address        "address": lift an address's lock-out
//   GET  /accounts/{id}                  one account, with its forms
//   POST /accounts/{id}/role             "role", "owners" (one per line, editors only)
//   POST /accounts/{id}/disable          ends its sessions, revokes its API tokens
//   POST /accounts/{id}/enable
//   POST /accounts/{id}/unlock           its lock-outs, everywhere
//   POST /accounts/{id}/password         "password", "confirm": a reset; its sessions end
// Nobody disables or demotes themselves here, and the last active admin stays.
void RegisterAdminPages(Router& router, WebAuth& auth);

}  // namespace rectrack::web

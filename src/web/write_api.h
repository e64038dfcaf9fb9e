#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "app/updates.h"
#include "core/model.h"
#include "web/auth_web.h"
#include "web/context.h"
#include "web/http.h"

namespace rectrack::web {

// JSON API v1, the write side and what it needs to read:
//   GET  /api/v1/assignments/{id}            one assignment; ETag "asg-<id>-v<version>"
//   POST /api/v1/assignments/{id}/updates    submit an update (editor of the owner,
//                                            coordinator, admin); If-Match required:
//                                            428 without, 412 when stale, 201 on success
//   GET  /api/v1/updates/{id}                an update (unvalidated ones: staff only)
//   POST /api/v1/updates/{id}/validate       coordinator, admin
//   POST /api/v1/updates/{id}/return         coordinator, admin; {"reason": "..."}
//   GET  /api/v1/review                      the submitted updates (coordinator, admin)
//   POST /api/v1/sources/{slug}/publications coordinator, admin; {"as_of", "title"}
//   GET  /api/v1/signing-key                 the public key publications are signed with
// Writes take Authorization: Bearer <API token>, or the session cookie with an
// X-CSRF-Token header; bodies are application/json. Refusals are problem+json:
// 401 (who are you?), 403 (not allowed, or no CSRF token), 404, 409, 412, 415, 428.
void RegisterWriteApi(Router& router, WebAuth& auth);

// UpdateInput, MakeUpdate, CheckUpdateFor: app/updates.h (one set of checks for
// every path that writes an update).

// The assignment's entity tag: "\"asg-<id>-v<version>\"".
std::string AssignmentEtag(int64_t id, int64_t version);

}  // namespace rectrack::web

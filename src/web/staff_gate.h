#pragma once
// What every staff page (the workflow, the accounts) does first: who is asking,
// the form and its CSRF token, and the pages for what went wrong.

#include <optional>
#include <string>

#include "core/result.h"
#include "web/auth_web.h"
#include "web/http.h"

namespace rectrack::web {

// A short page: a title, a sentence and perhaps a link onward.
Response Message(int status, const std::string& title, const std::string& detail,
                 const std::optional<auth::Principal>& who, std::string href = "",
                 std::string link_text = "");
Response ServiceProblem(const std::optional<auth::Principal>& who);
// The page for an expected failure of the store (not found, conflict...).
Response ErrorPage(const Error& e, const std::optional<auth::Principal>& who);

// Who is on a staff page, or what to answer instead. GET without a session
// goes to sign-in; POST without one is 401; POST without the form's CSRF
// token is 403.
struct PageGate {
  std::optional<auth::Principal> who;
  std::optional<Response> refusal;
  FormFields form;
};
PageGate Gate(WebAuth& auth, const Request& req);

}  // namespace rectrack::web

#pragma once
// What every staff page (the workflow, the accounts) does first: who is asking,
// the form and its CSRF token, and the pages for what went wrong.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "nlohmann/json.hpp"
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
  std::vector<FormPart> files;  // an upload's files (multipart/form-data), when allowed
};
// `uploads`: a POST may be multipart/form-data (its files in `files`).
PageGate Gate(WebAuth& auth, const Request& req, bool uploads = false);

// The answer to a form that did what it asked: 303 to the page it changed,
// never cached.
Response Done(const std::string& href);

// Every field's problem at once (GOV.UK's error summary), in the order they
// were found (form order); the first problem of a field is the one shown.
struct FormErrors {
  std::vector<std::pair<std::string, std::string>> list;
  void Add(const std::string& field, const std::string& text);
  bool empty() const { return list.empty(); }
  // Sets "error_FIELD" for each, "errors" (the summary's links) and "has_errors".
  void Into(nlohmann::json& view) const;
};

// A text box's lines, each trimmed of spaces, tabs and CR, without the blank
// ones, in order (duplicates kept: the caller decides what they mean).
std::vector<std::string> FormLines(const std::string& text);

}  // namespace rectrack::web

#include "web/staff_gate.h"

#include "nlohmann/json.hpp"

namespace rectrack::web {

using json = nlohmann::json;

Response Message(int status, const std::string& title, const std::string& detail,
                 const std::optional<auth::Principal>& who, std::string href,
                 std::string link_text) {
  json view = {{"title", title}, {"detail", detail}, {"link", nullptr}};
  if (!href.empty()) view["link"] = {{"href", href}, {"text", link_text}};
  return StaffPage(status, title, "auth_message", view, who);
}

Response ServiceProblem(const std::optional<auth::Principal>& who) {
  return Message(500, "Sorry, there is a problem with the service", "Try again later.", who);
}

Response ErrorPage(const Error& e, const std::optional<auth::Principal>& who) {
  switch (e.code) {
    case Error::Code::kNotFound: return Message(404, "Page not found", e.message, who);
    case Error::Code::kInvalidInput: return Message(400, "There is a problem", e.message, who);
    case Error::Code::kConflict: return Message(409, "This has already been dealt with", e.message, who, "/review", "Back to the review queue");
    case Error::Code::kPrecondition: return Message(412, "This changed meanwhile", e.message, who);
    case Error::Code::kCorrupt:
      return Message(503, "This tracker's data failed its integrity check", e.message, who);
    case Error::Code::kUnavailable: {
      Response r = Message(503, "Sorry, the service is busy", BusyDetail(), who);
      r.Set("Retry-After", std::to_string(kRetryAfterSeconds));
      return r;
    }
    default:
      LogServerError(e.message);
      return ServiceProblem(who);
  }
}

PageGate Gate(WebAuth& auth, const Request& req, bool uploads) {
  PageGate g;
  const bool post = req.method == "POST";
  auto c = auth.Resolve(req);
  if (!c) {
    g.refusal = ErrorPage(c.error(), std::nullopt);
    return g;
  }
  if (c->bad_credentials) {
    g.refusal = Message(401, "Sign in", "The API token is not valid.", std::nullopt);
    return g;
  }
  if (!c->principal) {
    if (!post) {
      g.refusal = Response::Redirect("/login?next=" + PercentEncode(req.path));
      g.refusal->Set("Cache-Control", "no-store");
    } else {
      g.refusal = Message(401, "Sign in", "Sign in to do that.", std::nullopt,
                          "/login", "Sign in");
    }
    return g;
  }
  if (post) {
    if (!ParseForm(req, &g.form, uploads ? &g.files : nullptr)) {
      g.refusal = Message(415, "There is a problem", "Send this as a web form.", c->principal);
      return g;
    }
    if (!auth.CsrfOk(*c->principal, req, &g.form)) {
      g.refusal = Message(403, "The form had expired",
                          "Go back, reload the page and try again.", c->principal);
      return g;
    }
  }
  g.who = std::move(c->principal);
  return g;
}

Response Done(const std::string& href) {
  Response r = Response::Redirect(href);
  r.Set("Cache-Control", "no-store");
  return r;
}

void FormErrors::Add(const std::string& field, const std::string& text) {
  for (const auto& e : list)
    if (e.first == field) return;
  list.emplace_back(field, text);
}

void FormErrors::Into(json& view) const {
  json summary = json::array();
  for (const auto& [field, text] : list) {
    view["error_" + field] = text;
    summary.push_back({{"href", "#" + field}, {"text", text}});
  }
  view["errors"] = summary;
  view["has_errors"] = !list.empty();
}

std::vector<std::string> FormLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos)
      out.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace rectrack::web

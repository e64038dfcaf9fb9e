#include "web/auth_web.h"

#include <algorithm>

#include "core/signing.h"
#include "fmt/format.h"
#include "web/templates.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;

constexpr int64_t kLoginCsrfMaxAge = 3600;
constexpr size_t kMaxNext = 512;

bool IsLowerHex(std::string_view s, size_t digits) {
  return s.size() == digits && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Landing(const auth::Principal& p) {
  switch (p.role) {
    case auth::Role::kAdmin:
    case auth::Role::kCoordinator: return "/review";
    case auth::Role::kEditor: return "/my-assignments";
    case auth::Role::kViewer: return "/";
  }
  return "/";
}

json Nav(const std::optional<auth::Principal>& who) {
  json nav = json::array();
  auto item = [&](std::string_view text, std::string_view href) {
    nav.push_back({{"href", href}, {"text", text}, {"current", false}});
  };
  item("Sources", "/sources");
  item("Owners", "/owners");
  item("Search", "/search");
  if (who && auth::CanValidate(*who)) item("Review", "/review");
  if (who && auth::CanValidate(*who)) item("Chasing", "/chasing");
  if (who && auth::CanValidate(*who)) item("Import", "/imports");
  if (who && who->role == auth::Role::kEditor) item("My assignments", "/my-assignments");
  if (who && auth::CanManageUsers(*who)) item("Accounts", "/accounts");
  return nav;
}

Response LoginForm(int status, const Request& req, const std::string& error,
                   const std::string& name, const std::string& next, int64_t retry_after) {
  // One login CSRF token per browser, reused across tabs until it expires.
  std::string token = req.Cookie(kLoginCsrfCookie);
  bool fresh = !IsLowerHex(token, 64);
  if (fresh) token = RandomHex(32);
  json view = {{"title", "Sign in"},
               {"csrf", auth::MaskCsrf(token)},
               {"name", name},
               {"next", next},
               {"error", error.empty() ? json(nullptr) : json(error)},
               {"has_errors", !error.empty()},
               {"errors", error.empty() ? json::array()
                                        : json::array({{{"href", "#name"}, {"text", error}}})}};
  Response r = StaffPage(status, "Sign in", "auth_login", view, std::nullopt);
  if (fresh)
    r.Add("Set-Cookie",
          fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kLoginCsrfCookie,
                      token, kLoginCsrfMaxAge, req.secure ? "; Secure" : ""));
  if (retry_after > 0) r.Set("Retry-After", std::to_string(retry_after));
  return r;
}

Response ProblemPage(int status, const std::string& title, const std::string& detail,
                     const std::optional<auth::Principal>& who) {
  return StaffPage(status, title, "auth_message", json{{"title", title}, {"detail", detail}},
                   who);
}

// The page for a store that failed: 503 with Retry-After when the database
// is busy or unreachable for now, else 500.
Response StoreProblemPage(const Error& e, const std::optional<auth::Principal>& who) {
  if (e.code == Error::Code::kUnavailable) {
    Response r = ProblemPage(503, "Sorry, the service is busy", BusyDetail(), who);
    r.Set("Retry-After", std::to_string(kRetryAfterSeconds));
    return r;
  }
  LogServerError(e.message);
  return ProblemPage(500, "Sorry, there is a problem with the service", "Try again later.", who);
}

}  // namespace

std::string FormValue(const FormFields& f, std::string_view name) {
  auto it = f.find(std::string(name));
  return it == f.end() ? "" : it->second;
}

bool ParseForm(const Request& req, FormFields* out, std::vector<FormPart>* files) {
  std::string type = req.Header("Content-Type");
  if (files && IsMultipartForm(type)) {
    std::vector<FormPart> parts;
    if (!ParseMultipart(type, req.body, &parts)) return false;
    for (auto& p : parts) {
      if (p.is_file) files->push_back(std::move(p));
      else out->emplace(std::move(p.name), std::move(p.value));
    }
    return true;
  }
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type.rfind("application/x-www-form-urlencoded", 0) != 0) return false;
  return ParseQuery(req.body, out);
}

std::string SafeNext(std::string_view next) {
  // Only our own paths: "/x", never "//host" or "/\host" (browsers read both
  // as another site), nor anything with control characters.
  if (next.empty() || next.size() > kMaxNext || next[0] != '/') return "";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "";
  for (char c : next)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "";
  return std::string(next);
}

std::string SessionCookie(const std::string& token, int64_t max_age, bool secure) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}", kSessionCookie, token,
                     max_age, secure ? "; Secure" : "");
}

std::string ExpiredCookie(const char* name, bool secure) {
  return fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}", name,
                     secure ? "; Secure" : "");
}

Response StaffPage(int status, const std::string& title, const std::string& template_name,
                   json view, const std::optional<auth::Principal>& who) {
  if (!view.contains("title")) view["title"] = title;
  auto content = RenderTemplate(template_name, view);
  Result<std::string> html = Fail(Error::Internal("not rendered"));
  if (content) {
    // A form sent back with errors says so first in the page title (GOV.UK's
    // error summary pattern), so screen-reader users hear it at once.
    const bool errors = view.value("has_errors", false);
    json layout = {{"title", (errors ? "Error: " : "") + title},
                   {"css", StaticUrl("static/rectrack.css")},
                   {"home", "/"},
                   {"nav", Nav(who)},
                   {"breadcrumbs", json::array()},
                   {"has_breadcrumbs", false},
                   {"content", *content},
                   {"static_site", false},
                   {"as_of_given", false}};
    if (who && !who->csrf_token.empty())
      layout["viewer"] = {{"name", who->name},
                          {"role", auth::RoleName(who->role)},
                          {"csrf_token", auth::MaskCsrf(who->csrf_token)}};
    else
      layout["sign_in"] = "/login";
    html = RenderTemplate("layout", layout);
  }
  Response r = html ? Response::Html(std::move(*html), status)
                    : Response::Problem(500, "Internal error", "The page could not be rendered.");
  // Personal pages: never stored by the browser or any cache between.
  r.Set("Cache-Control", "no-store");
  return r;
}

Result<Caller> WebAuth::Resolve(const Request& req) const {
  Caller c;
  std::string authz = req.Header("Authorization");
  std::string session = req.Cookie(kSessionCookie);
  if (authz.empty() && session.empty()) return c;  // the public: no store needed
  auto store = ctx_.stores->Get();
  if (!store) return Fail(store.error());
  if (!authz.empty()) {
    constexpr std::string_view kBearer = "bearer ";
    std::string lower = authz.substr(0, kBearer.size());
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower != kBearer) {
      c.bad_credentials = true;
      return c;
    }
    std::string token = authz.substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.erase(token.begin());
    while (!token.empty() && token.back() == ' ') token.pop_back();
    auto p = authn_.AuthenticateApiToken(**store, token);
    if (!p) return Fail(p.error());
    if (*p)
      c.principal = std::move(**p);
    else
      c.bad_credentials = true;
    return c;
  }
  auto p = authn_.AuthenticateSession(**store, session);
  if (!p) return Fail(p.error());
  c.principal = std::move(*p);
  return c;
}

bool WebAuth::CsrfOk(const auth::Principal& p, const Request& req, const FormFields* form) const {
  if (p.via_api_token) return true;
  std::string submitted = req.Header("X-CSRF-Token");
  if (submitted.empty() && form) {
    submitted = FormValue(*form, "csrf");
    if (submitted.empty()) submitted = FormValue(*form, "csrf_token");
  }
  return auth::CsrfMatches(p.csrf_token, submitted);
}

std::optional<Viewer> WebAuth::ViewerFor(const Request& req) const {
  if (req.Cookie(kSessionCookie).empty()) return std::nullopt;
  auto c = Resolve(req);
  if (!c || !c->principal || c->principal->via_api_token) return std::nullopt;
  return Viewer{c->principal->name, std::string(auth::RoleName(c->principal->role)),
                auth::MaskCsrf(c->principal->csrf_token)};
}

namespace {
constexpr int64_t kTriesMemorySeconds = 15 * 60;  // as long as the sign-in limits count
constexpr size_t kTriesMemoryEntries = 100000;
constexpr int64_t kMostTriesCounted = 1000;
}  // namespace

int64_t WebAuth::CountSignIn(const std::string& address) const {
  const int64_t now = authn_.Now();
  std::lock_guard<std::mutex> lock(tries_mu_);
  if (tries_.size() >= kTriesMemoryEntries && !tries_.contains(address)) {
    std::erase_if(tries_, [&](const auto& e) { return now - e.second.last > kTriesMemorySeconds; });
    if (tries_.size() >= kTriesMemoryEntries) tries_.clear();
  }
  Tries& t = tries_[address];
  if (now - t.last > kTriesMemorySeconds) t.count = 0;
  const int64_t before = t.count;
  t.count = std::min(t.count + 1, kMostTriesCounted);
  t.last = now;
  return before;
}

void WebAuth::SignedIn(const std::string& address) const {
  std::lock_guard<std::mutex> lock(tries_mu_);
  tries_.erase(address);
}

WorkTicket WebAuth::TicketFor(const WorkInfo& w) const {
  if (w.method != "POST" || (w.path != "/login" && w.path != "/sign-in")) return {};
  std::string client(w.client);
  return WorkTicket{static_cast<int>(1 + CountSignIn(client)), "sign-in " + client};
}

void WebAuth::Register(Router& router) {
  auto get_login = [this](Request& req) {
    auto c = Resolve(req);
    if (c && c->principal && !c->principal->via_api_token) {
      std::string next = SafeNext(req.Query("next"));
      return Response::Redirect(next.empty() ? Landing(*c->principal) : next);
    }
    return LoginForm(200, req, "", "", SafeNext(req.Query("next")), 0);
  };
  auto post_login = [this](Request& req) {
    FormFields form;
    if (!ParseForm(req, &form))
      return ProblemPage(415, "Sign in", "Send the sign-in form as a web form.", std::nullopt);
    std::string name = FormValue(form, "name");
    std::string next = SafeNext(FormValue(form, "next"));
    std::string cookie = req.Cookie(kLoginCsrfCookie);
    std::string submitted = FormValue(form, "csrf");
    if (submitted.empty()) submitted = FormValue(form, "csrf_token");
    if (!IsLowerHex(cookie, 64) || !auth::CsrfMatches(cookie, submitted)) {
      Response r = LoginForm(403, req, "The form had expired. Sign in again.", name, next, 0);
      return r;
    }
    auto store = ctx_.stores->Get();
    if (!store) return StoreProblemPage(store.error(), std::nullopt);
    auto result = authn_.Login(**store, name, FormValue(form, "password"), req.remote_addr);
    if (!result) return StoreProblemPage(result.error(), std::nullopt);
    using Outcome = auth::LoginResult::Outcome;
    if (result->outcome == Outcome::kOk) SignedIn(req.remote_addr);
    LogSecurityEvent("sign_in",
                     result->outcome == Outcome::kOk           ? "ok"
                     : result->outcome == Outcome::kRateLimited ? "limited"
                                                                : "wrong",
                     name, req.remote_addr);
    if (result->outcome == Outcome::kRateLimited) {
      int64_t minutes = (result->retry_after + 59) / 60;
      return LoginForm(429, req,
                       fmt::format("Too many failed attempts. Try again in {} minute{}.", minutes,
                                   minutes == 1 ? "" : "s"),
                       name, next, result->retry_after);
    }
    if (result->outcome == Outcome::kBadCredentials)
      return LoginForm(401, req, "The name or password is not right.", name, next, 0);
    // A session cookie sent with the form belonged to someone before: end it.
    if (std::string old = req.Cookie(kSessionCookie); !old.empty())
      (void)authn_.Logout(**store, old);
    Response r = Response::Redirect(next.empty() ? Landing(result->principal) : next);
    r.Add("Set-Cookie", SessionCookie(result->session_token,
                                      result->expires_at - authn_.Now(), req.secure));
    r.Add("Set-Cookie", ExpiredCookie(kLoginCsrfCookie, req.secure));
    r.Set("Cache-Control", "no-store");
    return r;
  };
  auto post_logout = [this](Request& req) {
    FormFields form;
    ParseForm(req, &form);
    auto c = Resolve(req);
    if (!c) return StoreProblemPage(c.error(), std::nullopt);
    if (c->principal && !c->principal->via_api_token) {
      if (!CsrfOk(*c->principal, req, &form))
        return ProblemPage(403, "Sign out",
                           "The form had expired. Go back, reload the page and sign out again.",
                           c->principal);
      auto store = ctx_.stores->Get();
      if (!store) return StoreProblemPage(store.error(), c->principal);
      if (auto out = authn_.Logout(**store, req.Cookie(kSessionCookie)); !out)
        return StoreProblemPage(out.error(), c->principal);
      LogSecurityEvent("sign_out", "ok", c->principal->name, req.remote_addr);
    }
    Response r = Response::Redirect("/");
    r.Add("Set-Cookie", ExpiredCookie(kSessionCookie, req.secure));
    r.Set("Cache-Control", "no-store");
    return r;
  };
  for (const char* path : {"/login", "/sign-in"}) {
    router.Add("GET", path, get_login);
    router.Add("POST", path, post_login);
  }
  for (const char* path : {"/logout", "/sign-out"}) router.Add("POST", path, post_logout);
}

}  // namespace rectrack::web

#pragma once

#include <map>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>

#include "app/auth.h"
#include "nlohmann/json.hpp"
#include "web/context.h"
#include "web/http.h"
#include "web/pages.h"
#include "web/server.h"

namespace rectrack::web {

// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure behind TLS. It
// holds a random token of which the store keeps only the SHA-256.
inline constexpr char kSessionCookie[] = "rectrack_session";
// The sign-in form's CSRF token (double submit: cookie and hidden field), for
// the one form that is posted before there is a session.
inline constexpr char kLoginCsrfCookie[] = "rectrack_login_csrf";

// Who makes a request: a Bearer API token (Authorization header), else the
// session cookie. `bad_credentials`: an Authorization header was sent and is
// not valid, which is refused outright rather than read as the public.
struct Caller {
  std::optional<auth::Principal> principal;
  bool bad_credentials = false;
};

// Form fields of an application/x-www-form-urlencoded body.
using FormFields = std::multimap<std::string, std::string>;
std::string FormValue(const FormFields& f, std::string_view name);

// Sign-in, sign-out and resolving the caller of each request; shared by the
// write API and the staff pages. Thread-safe (stores come per thread).
class WebAuth {
 public:
  WebAuth(AppContext& ctx, auth::Authenticator authenticator)
      : ctx_(ctx), authn_(std::move(authenticator)) {}

  Result<Caller> Resolve(const Request& req) const;
  // The CSRF check of an unsafe request made with a session: the X-CSRF-Token
  // header or a form field ("csrf" or "csrf_token") must be a masked copy of
  // the session's token. Requests with an API token need none (a browser never
  // sends one by itself).
  bool CsrfOk(const auth::Principal& p, const Request& req, const FormFields* form) const;
  // For PagesOptions::viewer: the signed-in person, with a fresh masked CSRF token.
  std::optional<Viewer> ViewerFor(const Request& req) const;

  // GET/POST /login and /sign-in; POST /logout and /sign-out.
  void Register(Router& router);

  const auth::Authenticator& authenticator() const { return authn_; }
  AppContext& ctx() const { return ctx_; }

  // ServerOptions::work_ticket: where a request waits for a work thread.
  // Writes of those signed in go first (priority 0); then sign-ins, each
  // behind those from addresses that tried fewer times in the last 15
  // minutes (priority 1 + that count; a successful sign-in sets it back to
  // none), so that a flood of wrong passwords, each a password hash, queues
  // behind everyone else's sign-ins. Sign-ins carry the key "sign-in ADDRESS"
  // (at most ServerOptions::max_work_per_key at once from one address).
  WorkTicket TicketFor(const WorkInfo& w) const;

 private:
  // This process's memory of how many sign-ins each address tried lately
  // (the limits themselves are in the store, for every server); bounded.
  struct Tries {
    int64_t count = 0;
    int64_t last = 0;  // unix seconds
  };
  int64_t CountSignIn(const std::string& address) const;  // the tries before this one
  void SignedIn(const std::string& address) const;

  AppContext& ctx_;
  auth::Authenticator authn_;
  mutable std::mutex tries_mu_;
  mutable std::unordered_map<std::string, Tries> tries_;  // by address
};

// ---- helpers for the staff pages and the write API ------------------------------

// Whether the request came with a form's body: application/x-www-form-urlencoded,
// or multipart/form-data (an upload) when `files` is given. Parses its text
// fields into `out` and a multipart body's files into `files`.
bool ParseForm(const Request& req, FormFields* out, std::vector<FormPart>* files = nullptr);

// A staff page: web/templates/<template_name>.mustache inside the site's layout,
// never cached ("Cache-Control: no-store").
Response StaffPage(int status, const std::string& title, const std::string& template_name,
                   nlohmann::json view, const std::optional<auth::Principal>& who);

// A local path to return to after signing in ("/review"); anything else is "".
std::string SafeNext(std::string_view next);

// "Set-Cookie" values.
std::string SessionCookie(const std::string& token, int64_t max_age, bool secure);
std::string ExpiredCookie(const char* name, bool secure);

}  // namespace rectrack::web

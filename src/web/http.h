#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rectrack::web {

// Case-insensitive ordering for header names.
struct HeaderLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

// An HTTP request as the handlers see it: no Beast types leak above the server.
struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/sources?owner=Home%20Office"
  // Percent-decoded path, without the query. The server never passes on a path
  // with a ".." segment, a backslash or a NUL: those are answered 404/400 first.
  std::string path;
  std::multimap<std::string, std::string> query;  // decoded
  // Repeated headers are joined with ", " (Cookie with "; "), as RFC 9110 allows.
  std::map<std::string, std::string, HeaderLess> headers;
  std::string body;
  std::string remote_addr;
  bool secure = false;  // the client reached us over TLS (trusted X-Forwarded-Proto)
  std::map<std::string, std::string> params;  // from the route pattern: {slug} -> value

  // The first value, or "" when absent.
  std::string Header(std::string_view name) const;
  std::string Query(std::string_view name) const;
  std::string Param(std::string_view name) const;
  // Cookie value by name from the Cookie header, or "".
  std::string Cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  // Repeats are allowed (Set-Cookie); names are compared case-insensitively.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A body kept elsewhere (the document cache), sent without a copy: when set,
  // `body` is unused. `shared_gzip`, if set, is the same bytes gzipped, which
  // the server sends to clients that accept gzip instead of compressing anew.
  std::shared_ptr<const std::string> shared_body;
  std::shared_ptr<const std::string> shared_gzip;

  // The bytes to send: *shared_body when set, else body.
  std::string_view Body() const {
    return shared_body ? std::string_view(*shared_body) : std::string_view(body);
  }

  // Replaces any header of that name.
  Response& Set(std::string name, std::string value);
  // Adds a header, keeping others of the same name (Set-Cookie).
  Response& Add(std::string name, std::string value);
  // The first value of that header, or "".
  std::string Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  void Remove(std::string_view name);

  static Response Text(int status, std::string body, std::string content_type);
  static Response Html(std::string body, int status = 200);
  static Response Json(std::string body, int status = 200);
  // RFC 9457 problem details: application/problem+json with type, title, status, detail.
  static Response Problem(int status, std::string_view title, std::string_view detail,
                          std::string_view type = "about:blank");
  static Response Redirect(std::string location, int status = 303);
};

// Retry-After of a 503 for a database that is busy or unreachable for now.
inline constexpr int kRetryAfterSeconds = 5;
// What a page says with that 503.
inline std::string BusyDetail() {
  return "The database is busy or cannot be reached just now; nothing was changed. Try again in " +
         std::to_string(kRetryAfterSeconds) + " seconds.";
}

using Handler = std::function<Response(Request&)>;

// Routes by method and path pattern. A pattern segment "{name}" matches one
// non-empty segment and is put in Request::params; a last segment "{name...}"
// matches the rest of the path ("css/site.css"). Exact segments win over
// parameters, parameters over a rest (the leftmost difference decides). No match: 404 problem; path
// matched but not the method: 405 with Allow. HEAD falls back to GET.
// Add() is not thread-safe; Dispatch() and PatternFor() are, once routes are added.
class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);
  // Calls the matching handler. When `pattern` is given it receives the matched
  // route pattern, or "" when none matched (404/405).
  Response Dispatch(Request& request, std::string* pattern = nullptr) const;
  // The pattern that matches, for metrics labels ("" if none).
  std::string PatternFor(const Request& request) const;
  // Called after every handler of a method other than GET, HEAD and OPTIONS
  // has returned, whatever it answered: what may have written to the store
  // (HeadWatch::Invalidate). Set before serving.
  void SetAfterWrite(std::function<void()> fn) { after_write_ = std::move(fn); }
  // Called with every matched request and its route pattern before the
  // handler: a response it returns is sent instead (the server's refusal to
  // serve a store that failed its integrity check). Set before serving.
  using Guard = std::function<std::optional<Response>(const Request&, const std::string& pattern)>;
  void SetGuard(Guard fn) { guard_ = std::move(fn); }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::string pattern;
    Handler handler;
  };
  const Route* Match(const Request& r, bool* path_matched, std::string* allow) const;
  std::vector<Route> routes_;
  std::function<void()> after_write_;
  Guard guard_;
};

// Percent-decoding; returns false on a malformed escape or an embedded NUL.
bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space);
// Escapes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view in);
// Parses "a=1&b=x%20y" into `out` ('+' is a space). Returns false if malformed.
bool ParseQuery(std::string_view query, std::multimap<std::string, std::string>* out);
// One part of a multipart/form-data body (RFC 7578): a text field, or a file
// (`filename` set, without any folder a browser put before it).
struct FormPart {
  std::string name;
  std::string filename;
  bool is_file = false;
  std::string content_type;  // as sent; "" when the part names none
  std::string value;         // its bytes, as sent
};
// True for a Content-Type of multipart/form-data.
bool IsMultipartForm(std::string_view content_type);
// Parses a multipart/form-data body whose Content-Type (with its boundary) is
// `content_type`. False for anything malformed: no or a bad boundary, a part
// without a form-data name, a part header over 8 KB, no closing delimiter,
// more than `max_parts` parts.
bool ParseMultipart(std::string_view content_type, std::string_view body,
                    std::vector<FormPart>* out, size_t max_parts = 64);
// The host name a Host header names: lower case, without its port or a
// trailing dot ("Tracker.Example.org.:443" -> "tracker.example.org",
// "[::1]:80" -> "[::1]"); "" for an empty or malformed one.
std::string HostName(std::string_view host_header);
// The first field of `request` that is not valid UTF-8 (its path, a query
// parameter or a form field), said for a person: "the query parameter 'q'";
// nullopt when all are valid.
std::optional<std::string> InvalidUtf8Field(const Request& request);

// The id of the request this thread is handling ("" outside one): the server
// sets it, logs it with every 5xx and puts it in the 5xx problem document, so
// that a report of a failure can be found in the log.
const std::string& CurrentRequestId();
void SetCurrentRequestId(std::string id);
// Logs why this request failed on the server (standard error, with its id),
// through LogSafe.
void LogServerError(std::string_view why);
// One line on standard error for each event that matters to security: a
// sign-in (outcome "ok", "wrong" or "limited"), a sign-out, a password change
// ("ok", "wrong_current", "limited", "rejected"). JSON with the event, the
// outcome, the account named (as typed, for a failed sign-in), the client's
// address and the request id, after "rectrack serve: security: ", so that a
// log collector can count failures per account and address and alert.
void LogSecurityEvent(std::string_view event, std::string_view outcome, std::string_view account,
                      std::string_view address);
// Text for a log line: control characters (newlines, escapes) as \xNN, so
// that nothing a client sends can start a line of its own or drive a terminal.
std::string LogSafe(std::string_view text);

// A strong ETag over the body: "\"<first 32 hex of sha256>\"".
std::string StrongEtag(std::string_view body);
// Strong comparison (RFC 9110 8.8.3.2), as If-Match needs: true when the header
// value is "*" or lists `etag`; weak tags (W/"...") on either side never match.
bool EtagMatches(std::string_view header_value, std::string_view etag);
// Weak comparison, as RFC 9110 13.1.2 prescribes for If-None-Match: W/"x" and
// "x" match. A proxy that compresses (nginx) weakens our strong tags, and the
// browser then revalidates with the weak form.
bool EtagMatchesWeak(std::string_view header_value, std::string_view etag);

// A JSON string literal, quotes included. Control characters are escaped and
// invalid UTF-8 is replaced by U+FFFD, so the result is always valid JSON.
std::string JsonQuote(std::string_view s);

// Without HTTP's optional whitespace (spaces and tabs) at either end.
std::string_view TrimOws(std::string_view s);

// "12" -> 12: a path segment naming a row. Anything else (signs, spaces,
// trailing text, zero, overflow) -> nullopt.
std::optional<int64_t> PositiveId(std::string_view s);

// The standard reason phrase ("Not Found"), or "Unknown".
std::string_view StatusText(int status);

}  // namespace rectrack::web

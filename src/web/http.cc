#include "web/http.h"

#include <sodium.h>

#include "fmt/format.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

#include "core/text.h"

namespace rectrack::web {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}


int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "/a/b" -> {"a","b"}; "/" -> {}; "/a/" -> {"a",""}. Empty segments are kept so
// that "/a/" and "/a" stay different resources.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// "{name...}": the rest of the path, one or more segments, as the last pattern segment.
bool IsRest(std::string_view segment) {
  return segment.size() >= 6 && segment.front() == '{' &&
         segment.substr(segment.size() - 4) == "...}";
}

bool IsParam(std::string_view segment) {
  return segment.size() >= 3 && segment.front() == '{' && segment.back() == '}' && !IsRest(segment);
}

// Exact segments outrank {params}, which outrank {rest...}.
int Rank(std::string_view segment) { return IsRest(segment) ? 0 : IsParam(segment) ? 1 : 2; }

std::string ParamName(std::string_view segment) {
  size_t suffix = IsRest(segment) ? 4 : 1;
  segment.remove_prefix(1);
  segment.remove_suffix(suffix);
  return std::string(segment);
}

// One entity tag of a list: optional W/ then a quoted string. Returns false at
// the end of input or on garbage. `pos` moves past the tag and its comma.
bool NextEtag(std::string_view list, size_t* pos, bool* weak, std::string_view* opaque) {
  size_t i = *pos;
  while (i < list.size() && (list[i] == ' ' || list[i] == '\t' || list[i] == ',')) ++i;
  if (i >= list.size()) return false;
  *weak = false;
  if (list.compare(i, 2, "W/") == 0) {
    *weak = true;
    i += 2;
  }
  if (i >= list.size() || list[i] != '"') return false;
  size_t close = list.find('"', i + 1);
  if (close == std::string_view::npos) return false;
  *opaque = list.substr(i, close - i + 1);  // quotes included
  *pos = close + 1;
  return true;
}

bool SplitEtag(std::string_view etag, bool* weak, std::string_view* opaque) {
  etag = TrimOws(etag);
  *weak = false;
  if (etag.substr(0, 2) == "W/") {
    *weak = true;
    etag.remove_prefix(2);
  }
  if (etag.size() < 2 || etag.front() != '"' || etag.back() != '"') return false;
  *opaque = etag;
  return true;
}

bool EtagListMatches(std::string_view header_value, std::string_view etag, bool strong) {
  header_value = TrimOws(header_value);
  if (header_value == "*") return true;
  bool our_weak;
  std::string_view our;
  if (!SplitEtag(etag, &our_weak, &our)) return false;
  if (strong && our_weak) return false;
  size_t pos = 0;
  bool weak;
  std::string_view theirs;
  while (NextEtag(header_value, &pos, &weak, &theirs)) {
    if (strong && weak) continue;
    if (theirs == our) return true;
  }
  return false;
}

}  // namespace

bool HeaderLess::operator()(std::string_view a, std::string_view b) const {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    char x = Lower(a[i]), y = Lower(b[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
  }
  return a.size() < b.size();
}

std::string Request::Header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

std::string Request::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

std::string Request::Cookie(std::string_view name) const {
  auto it = headers.find(std::string_view("Cookie"));
  if (it == headers.end()) return "";
  std::string_view rest = it->second;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view pair = TrimOws(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    if (TrimOws(pair.substr(0, eq)) != name) continue;
    std::string_view value = TrimOws(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return "";
}

Response& Response::Set(std::string name, std::string value) {
  Remove(name);
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Response& Response::Add(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string Response::Get(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (IEquals(n, name)) return v;
  }
  return "";
}

bool Response::Has(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return IEquals(h.first, name); });
}

void Response::Remove(std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return IEquals(h.first, name); });
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.Set("Content-Type", std::move(content_type));
  return r;
}

Response Response::Html(std::string body, int status) {
  return Text(status, std::move(body), "text/html; charset=utf-8");
}

Response Response::Json(std::string body, int status) {
  return Text(status, std::move(body), "application/json");
}

Response Response::Problem(int status, std::string_view title, std::string_view detail,
                           std::string_view type) {
  std::string body = "{\"type\":" + JsonQuote(type) + ",\"title\":" + JsonQuote(title) +
                     ",\"status\":" + std::to_string(status) + ",\"detail\":" + JsonQuote(detail) +
                     "}";
  return Text(status, std::move(body), "application/problem+json");
}

Response Response::Redirect(std::string location, int status) {
  Response r;
  r.status = status;
  r.Set("Location", std::move(location));
  return r;
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  Route route;
  route.method = std::move(method);
  for (std::string_view s : SplitPath(pattern)) route.segments.emplace_back(s);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

const Router::Route* Router::Match(const Request& r, bool* path_matched, std::string* allow) const {
  std::vector<std::string_view> segments = SplitPath(r.path);
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // for HEAD without its own route
  std::vector<std::string> methods;
  *path_matched = false;
  // True when a is more specific than b: at the leftmost segment where they
  // differ in kind, the more exact one wins.
  auto more_specific = [](const Route* a, const Route* b) {
    size_t n = std::min(a->segments.size(), b->segments.size());
    for (size_t i = 0; i < n; ++i) {
      int ra = Rank(a->segments[i]), rb = Rank(b->segments[i]);
      if (ra != rb) return ra > rb;
    }
    return a->segments.size() > b->segments.size();
  };
  for (const Route& route : routes_) {
    bool rest = !route.segments.empty() && IsRest(route.segments.back());
    if (rest ? segments.size() < route.segments.size() : segments.size() != route.segments.size()) {
      continue;
    }
    bool ok = true;
    for (size_t i = 0; i < route.segments.size() && ok; ++i) {
      const std::string& want = route.segments[i];
      if (IsRest(want)) {
        ok = !(segments.size() == i + 1 && segments[i].empty());
      } else if (IsParam(want)) {
        ok = !segments[i].empty();
      } else {
        ok = want == segments[i];
      }
    }
    if (!ok) continue;
    *path_matched = true;
    methods.push_back(route.method);
    if (route.method == r.method) {
      if (!best || more_specific(&route, best)) best = &route;
    } else if (r.method == "HEAD" && route.method == "GET") {
      if (!best_get || more_specific(&route, best_get)) best_get = &route;
    }
  }
  if (!best) best = best_get;
  if (!best && allow) {
    if (std::find(methods.begin(), methods.end(), "GET") != methods.end()) {
      methods.push_back("HEAD");
    }
    std::sort(methods.begin(), methods.end());
    methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
    allow->clear();
    for (const std::string& m : methods) {
      if (!allow->empty()) *allow += ", ";
      *allow += m;
    }
  }
  return best;
}

Response Router::Dispatch(Request& request, std::string* pattern) const {
  bool path_matched = false;
  std::string allow;
  const Route* route = Match(request, &path_matched, &allow);
  if (pattern) pattern->clear();
  if (!route) {
    if (path_matched) {
      Response r = Response::Problem(405, "Method Not Allowed",
                                     "This resource does not accept " + request.method + ".");
      r.Set("Allow", allow);
      return r;
    }
    return Response::Problem(404, "Not Found", "Nothing is published at this address.");
  }
  if (pattern) *pattern = route->pattern;
  request.params.clear();
  std::vector<std::string_view> segments = SplitPath(request.path);
  for (size_t i = 0; i < route->segments.size(); ++i) {
    const std::string& s = route->segments[i];
    if (IsParam(s)) {
      request.params[ParamName(s)] = std::string(segments[i]);
    } else if (IsRest(s)) {
      std::string rest(segments[i]);
      for (size_t k = i + 1; k < segments.size(); ++k) rest.append("/").append(segments[k]);
      request.params[ParamName(s)] = std::move(rest);
    }
  }
  if (guard_)
    if (auto refused = guard_(request, route->pattern)) return std::move(*refused);
  if (!after_write_ || request.method == "GET" || request.method == "HEAD" ||
      request.method == "OPTIONS") {
    return route->handler(request);
  }
  struct After {  // also when the handler throws
    const std::function<void()>& fn;
    ~After() { fn(); }
  } after{after_write_};
  return route->handler(request);
}

std::string Router::PatternFor(const Request& request) const {
  bool path_matched = false;
  const Route* route = Match(request, &path_matched, nullptr);
  return route ? route->pattern : std::string();
}

bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return false;
    out->push_back(c);
  }
  return true;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The parameters of a header value after its first ';' ("form-data; name="a";
// filename="b.pdf"" -> name, filename), names in lower case; a quoted value
// with its backslash escapes undone. False when a quote is not closed.
bool HeaderParams(std::string_view value, std::map<std::string, std::string>* out) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return true;
    std::string name = LowerAscii(TrimOws(value.substr(i, eq - i)));
    size_t j = eq + 1;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      ++j;
      bool closed = false;
      for (; j < value.size(); ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) {
          v += value[++j];
        } else if (value[j] == '"') {
          closed = true;
          ++j;
          break;
        } else {
          v += value[j];
        }
      }
      if (!closed) return false;
      i = value.find(';', j);
    } else {
      const size_t end = value.find(';', j);
      v = std::string(TrimOws(value.substr(j, end == std::string_view::npos ? end : end - j)));
      i = end;
    }
    out->emplace(std::move(name), std::move(v));
  }
  return true;
}

}  // namespace

bool IsMultipartForm(std::string_view content_type) {
  return LowerAscii(TrimOws(content_type.substr(0, content_type.find(';')))) ==
         "multipart/form-data";
}

bool ParseMultipart(std::string_view content_type, std::string_view body,
                    std::vector<FormPart>* out, size_t max_parts) {
  constexpr size_t kMaxPartHeader = 8 * 1024;
  if (!IsMultipartForm(content_type)) return false;
  std::map<std::string, std::string> params;
  if (!HeaderParams(content_type, &params)) return false;
  auto b = params.find("boundary");
  if (b == params.end() || b->second.empty() || b->second.size() > 70) return false;
  const std::string delimiter = "--" + b->second;
  // The first delimiter opens the body or follows a preamble's line.
  size_t at;
  if (body.substr(0, delimiter.size()) == delimiter) {
    at = delimiter.size();
  } else {
    const size_t d = body.find("\r\n" + delimiter);
    if (d == std::string_view::npos) return false;
    at = d + 2 + delimiter.size();
  }
  const std::string next = "\r\n" + delimiter;
  std::vector<FormPart> parts;
  while (true) {
    if (body.substr(at, 2) == "--") break;  // the closing delimiter
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;  // padding
    if (body.substr(at, 2) != "\r\n") return false;
    at += 2;
    if (parts.size() == max_parts) return false;
    const size_t header_end = body.find("\r\n\r\n", at);
    const size_t stop = body.find(next, at);
    if (header_end == std::string_view::npos || stop == std::string_view::npos ||
        header_end > stop || header_end - at > kMaxPartHeader)
      return false;
    FormPart part;
    bool named = false;
    std::string_view headers = body.substr(at, header_end + 2 - at);
    while (!headers.empty()) {
      const size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers.remove_prefix(eol + 2);
      if (line.empty()) continue;
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      const std::string field = LowerAscii(TrimOws(line.substr(0, colon)));
      std::string_view value = TrimOws(line.substr(colon + 1));
      if (field == "content-disposition") {
        if (LowerAscii(TrimOws(value.substr(0, value.find(';')))) != "form-data") return false;
        std::map<std::string, std::string> p;
        if (!HeaderParams(value, &p)) return false;
        auto name = p.find("name");
        if (name == p.end()) return false;
        part.name = name->second;
        named = true;
        if (auto f = p.find("filename"); f != p.end()) {
          part.is_file = true;
          const size_t slash = f->second.find_last_of("/\\");
          part.filename = slash == std::string::npos ? f->second : f->second.substr(slash + 1);
        }
      } else if (field == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!named) return false;
    part.value = std::string(body.substr(header_end + 4, stop - header_end - 4));
    parts.push_back(std::move(part));
    at = stop + next.size();
  }
  *out = std::move(parts);
  return true;
}

bool ParseQuery(std::string_view query, std::multimap<std::string, std::string>* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), &key, true)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &value, true)) {
      return false;
    }
    out->emplace(std::move(key), std::move(value));
  }
  return true;
}

std::string HostName(std::string_view host) {
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t')) host.remove_suffix(1);
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) host.remove_prefix(1);
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {  // an IPv6 literal
    size_t close = host.find(']');
    if (close == std::string_view::npos) return "";
    name = host.substr(0, close + 1);
    host.remove_prefix(close + 1);
    if (!host.empty() && host.front() != ':') return "";
  } else {
    size_t colon = host.find(':');
    name = host.substr(0, colon);
    host = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
  }
  if (!host.empty()) {  // ":PORT"
    host.remove_prefix(1);
    if (host.empty() || host.size() > 5 ||
        !std::all_of(host.begin(), host.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return "";
  }
  if (!name.empty() && name.back() == '.' && name.front() != '[') name.remove_suffix(1);
  if (name.empty() || name.size() > 255) return "";
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '[' || c == ']' || c == ':';
    if (!ok) return "";
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

std::optional<std::string> InvalidUtf8Field(const Request& request) {
  // A name that is not UTF-8 itself is shown percent-encoded.
  auto shown = [](const std::string& name) {
    return IsValidUtf8(name) ? name : PercentEncode(name);
  };
  if (!IsValidUtf8(request.path)) return std::string("the path");
  for (const auto& [k, v] : request.query)
    if (!IsValidUtf8(k) || !IsValidUtf8(v)) return "the query parameter '" + shown(k) + "'";
  std::string type = request.Header("Content-Type");
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    std::multimap<std::string, std::string> form;
    if (ParseQuery(request.body, &form))
      for (const auto& [k, v] : form)
        if (!IsValidUtf8(k) || !IsValidUtf8(v)) return "the form field '" + shown(k) + "'";
  } else if (IsMultipartForm(type)) {
    // A file's bytes are its own (a PDF is not text); its name and the text
    // fields are text.
    std::vector<FormPart> parts;
    if (ParseMultipart(request.Header("Content-Type"), request.body, &parts))
      for (const auto& p : parts)
        if (!IsValidUtf8(p.name) || !IsValidUtf8(p.filename) || (!p.is_file && !IsValidUtf8(p.value)))
          return "the form field '" + shown(p.name) + "'";
  }
  return std::nullopt;
}

namespace {
thread_local std::string current_request_id;
}  // namespace

const std::string& CurrentRequestId() { return current_request_id; }
void SetCurrentRequestId(std::string id) { current_request_id = std::move(id); }

std::string LogSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

void LogSecurityEvent(std::string_view event, std::string_view outcome, std::string_view account,
                      std::string_view address) {
  const std::string& id = current_request_id;
  std::string line = fmt::format(
      "rectrack serve: security: {{\"event\":{},\"outcome\":{},\"account\":{},\"address\":{},"
      "\"request_id\":{}}}\n",
      JsonQuote(event), JsonQuote(outcome), JsonQuote(account), JsonQuote(address),
      JsonQuote(id.empty() ? "-" : id));
  std::fputs(line.c_str(), stderr);  // one write per line: lines of threads do not mix
}

void LogServerError(std::string_view why) {
  const std::string& id = current_request_id;
  std::fprintf(stderr, "rectrack serve: request %s: %s\n", id.empty() ? "-" : id.c_str(),
               LogSafe(why).c_str());
}

std::string StrongEtag(std::string_view body) {
  static const bool initialised = sodium_init() >= 0;
  (void)initialised;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (int i = 0; i < 16; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  out.push_back('"');
  return out;
}

bool EtagMatches(std::string_view header_value, std::string_view etag) {
  return EtagListMatches(header_value, etag, /*strong=*/true);
}

bool EtagMatchesWeak(std::string_view header_value, std::string_view etag) {
  return EtagListMatches(header_value, etag, /*strong=*/false);
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  auto replacement = [&] { out += "\xEF\xBF\xBD"; };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: check length, continuation bytes, overlongs and surrogates.
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > s.size()) {
      replacement();
      ++i;
      continue;
    }
    bool ok = true;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) ok = false;
    }
    unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
    if (ok && c == 0xE0 && c1 < 0xA0) ok = false;   // overlong
    if (ok && c == 0xED && c1 >= 0xA0) ok = false;  // surrogate
    if (ok && c == 0xF0 && c1 < 0x90) ok = false;   // overlong
    if (ok && c == 0xF4 && c1 >= 0x90) ok = false;  // above U+10FFFF
    if (!ok) {
      replacement();
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  out.push_back('"');
  return out;
}

std::optional<int64_t> PositiveId(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace rectrack::web

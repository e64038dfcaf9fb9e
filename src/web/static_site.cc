#include "web/static_site.h"

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <vector>

#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/api.h"
#include "web/context.h"
#include "web/embedded.h"
#include "web/http.h"
#include "web/pages.h"

namespace rectrack::web {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The most a list document gives at once (RecommendationsDoc's cap): the
// static copy's JSON download of a source's list is the whole list.
constexpr std::string_view kWholeList = "500";

using Params = std::vector<std::pair<std::string, std::string>>;

// Splits a query in order, decoded ('+' is a space). False if malformed.
bool SplitQuery(std::string_view q, Params* out) {
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string k, v;
    if (!PercentDecode(part.substr(0, eq), &k, true)) return false;
    if (eq != std::string_view::npos && !PercentDecode(part.substr(eq + 1), &v, true)) return false;
    out->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

// Decoded path segments of an absolute path; nullopt if one is unsafe as a
// file name.
std::optional<std::vector<std::string>> Segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string seg;
    if (!PercentDecode(path.substr(0, slash), &seg, false)) return std::nullopt;
    if (seg.empty() || seg == "." || seg == ".." ||
        seg.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos)
      return std::nullopt;
    out.push_back(std::move(seg));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

bool SafeValue(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return v != "." && v != "..";
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string HtmlUnescapeAttr(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'},   {"&quot;", '"'}, {"&#39;", '\''},
          {"&apos;", '\''}, {"&lt;", '<'},   {"&gt;", '>'}};
      bool done = false;
      for (const auto& [e, c] : kEntities) {
        if (s.substr(i, e.size()) == e) {
          out.push_back(c);
          i += e.size() - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

// An internal link: an absolute path, not a network-path reference ("//host").
bool IsInternal(std::string_view url) {
  return !url.empty() && url.front() == '/' && (url.size() == 1 || url[1] != '/');
}

class Exporter {
 public:
  Exporter(const std::string& store_location, fs::path dir, Date as_of)
      : provider_(store_location), cache_(8 << 20), dir_(std::move(dir)) {
    ctx_.stores = &provider_;
    ctx_.cache = &cache_;
    ctx_.today = [as_of] { return as_of; };
    PagesOptions options;
    options.static_site = true;
    RegisterPages(router_, ctx_, std::move(options));
    RegisterReadApi(router_, ctx_);
  }

  Result<ExportSummary> Run() {
    Enqueue("/", "(start)");
    for (std::string_view name : EmbeddedFileNames())
      if (StartsWith(name, "static/")) Enqueue("/" + std::string(name), "(static files)");
    while (!queue_.empty()) {
      Item item = std::move(queue_.front());
      queue_.pop_front();
      RT_TRY(Export(item));
    }
    if (!error_.empty()) return Fail(Error::Internal(error_));
    return summary_;
  }

 private:
  struct Item {
    StaticTarget target;
    std::string referrer;
  };

  // Queues the file behind `url` once; returns it, or nullopt (and records why).
  std::optional<StaticTarget> Enqueue(const std::string& url, const std::string& referrer) {
    auto t = StaticTargetFor(url);
    if (!t) {
      if (error_.empty())
        error_ = fmt::format("{} links to {}, which a static copy cannot hold", referrer, url);
      return std::nullopt;
    }
    if (seen_.insert(t->file).second) queue_.push_back({*t, referrer});
    return t;
  }

  // Whether `fetch` answers 200 (rendered once more when it is exported; the
  // document cache makes that cheap).
  bool Answers(const std::string& fetch) {
    Request req = RequestFor(fetch);
    return router_.Dispatch(req).status == 200;
  }

  static Request RequestFor(const std::string& fetch) {
    Request req;
    req.method = "GET";
    req.target = fetch;
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) {
      Params params;
      SplitQuery(std::string_view(req.target).substr(q + 1), &params);  // ours: well formed
      for (auto& [k, v] : params) req.query.emplace(std::move(k), std::move(v));
    }
    std::string decoded;
    if (PercentDecode(req.path, &decoded, false)) req.path = decoded;
    return req;
  }

  Status Export(const Item& item) {
    Request req = RequestFor(item.target.fetch);
    Response resp = router_.Dispatch(req);
    if (resp.status != 200)
      return Fail(Error::Internal(fmt::format("{} links to {}, which answered {}", item.referrer,
                                              item.target.fetch, resp.status)));
    std::string type = resp.Get("Content-Type");
    const std::string& file = item.target.file;
    std::string body(resp.Body());
    if (StartsWith(type, "text/html") || StartsWith(type, "application/atom+xml"))
      body = RewriteMarkup(body, file);
    else if (StartsWith(type, "application/json") && StartsWith(file, "api/v1/"))
      body = RewriteJson(body, file);
    if (!error_.empty()) return Fail(Error::Internal(error_));
    fs::path out = dir_ / fs::path(file);
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    if (ec)
      return Fail(
          Error::Io(fmt::format("cannot create {}: {}", out.parent_path().string(), ec.message())));
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f.write(body.data(), static_cast<std::streamsize>(body.size()));
    f.close();
    if (!f) return Fail(Error::Io("cannot write " + out.string()));
    ++summary_.files;
    summary_.bytes += static_cast<int64_t>(body.size());
    return {};
  }

  // Rewrites href="/..." and src="/..." (HTML and Atom alike) to relative links.
  std::string RewriteMarkup(const std::string& body, const std::string& file) {
    static const std::regex kAttr(R"re(\b(href|src)="([^"]*)")re");
    std::string out;
    out.reserve(body.size() + body.size() / 8);
    auto last = body.cbegin();
    for (std::sregex_iterator it(body.begin(), body.end(), kAttr), end; it != end; ++it) {
      const std::smatch& m = *it;
      out.append(last, m[0].first);
      last = m[0].second;
      std::string url = HtmlUnescapeAttr(m[2].str());
      if (!IsInternal(url)) {
        out += m[0].str();
        continue;
      }
      std::string fragment;
      if (size_t hash = url.find('#'); hash != std::string::npos) {
        fragment = url.substr(hash);
        url.resize(hash);
      }
      auto target = Enqueue(url, file);
      std::string rel = target ? RelativeUrl(file, target->file) + fragment : url;
      out += m[1].str() + "=\"" + HtmlEscape(rel) + "\"";
    }
    out.append(last, body.cend());
    return out;
  }

  void RewriteLinks(json& v, const std::string& file) {
    if (v.is_array()) {
      for (auto& e : v) RewriteLinks(e, file);
      return;
    }
    if (!v.is_object()) return;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (it.key() != "links" || !it.value().is_object()) {
        RewriteLinks(it.value(), file);
        continue;
      }
      json& links = it.value();
      std::vector<std::string> drop;
      for (auto l = links.begin(); l != links.end(); ++l) {
        if (!l.value().is_string() || !IsInternal(l.value().get<std::string>())) continue;
        std::string url = l.value().get<std::string>();
        // A write endpoint, or a document this copy's handlers do not serve
        // (the API grows faster than the copy): nothing to link to here.
        auto target = StaticTargetFor(url);
        if (!target || (!seen_.count(target->file) && !Answers(target->fetch))) {
          drop.push_back(l.key());
          continue;
        }
        Enqueue(url, file);
        l.value() = RelativeUrl(file, target->file);
      }
      for (const auto& k : drop) links.erase(k);
    }
  }

  std::string RewriteJson(const std::string& body, const std::string& file) {
    json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded()) return body;
    RewriteLinks(doc, file);
    return doc.dump(2) + "\n";
  }

  StoreProvider provider_;
  DocumentCache cache_;
  AppContext ctx_;
  Router router_;
  fs::path dir_;
  std::deque<Item> queue_;
  std::set<std::string> seen_;
  std::string error_;
  ExportSummary summary_;
};

}  // namespace

std::optional<StaticTarget> StaticTargetFor(std::string_view url) {
  if (!IsInternal(url)) return std::nullopt;
  size_t hash = url.find('#');
  if (hash != std::string_view::npos) url = url.substr(0, hash);
  size_t qpos = url.find('?');
  std::string_view path = url.substr(0, qpos);
  Params params;
  if (qpos != std::string_view::npos && !SplitQuery(url.substr(qpos + 1), &params))
    return std::nullopt;
  // The reader's date and the assets' version say nothing about which file.
  std::erase_if(params, [](const auto& p) { return p.first == "as_of" || p.first == "v"; });
  auto segments = Segments(path);
  if (!segments) return std::nullopt;
  std::string joined = Join(*segments, "/");
  std::string clean_path = path.size() > 1 && path.back() == '/'
                               ? std::string(path.substr(0, path.size() - 1))
                               : std::string(path);

  if (StartsWith(path, "/api/")) {
    if (path == "/api/openapi.json" && params.empty())
      return StaticTarget{joined, "/api/openapi.json"};
    if (!StartsWith(path, "/api/v1/") || StartsWith(path, "/api/v1/assignments/"))
      return std::nullopt;
    std::string format = "json";
    for (const auto& [k, v] : params) {
      if (k == "format")
        format = v;
      else if (k != "limit")
        return std::nullopt;  // a filter: the copy holds whole lists only
    }
    if (format != "json" && format != "csv" && format != "xlsx") return std::nullopt;
    std::string fetch = clean_path + "?format=" + format;
    if (format == "json" && EndsWith(clean_path, "/recommendations"))
      fetch += "&limit=" + std::string(kWholeList);
    return StaticTarget{joined + "." + format, fetch};
  }
  // Files with their own names.
  if (StartsWith(path, "/static/") || StartsWith(path, "/feeds/") ||
      (StartsWith(path, "/publications/") && segments->size() == 2 &&
       segments->back().find('.') != std::string::npos)) {
    if (!params.empty()) return std::nullopt;
    return StaticTarget{joined, clean_path};
  }
  // Pages: directory indexes, a query's parameters as extra segments.
  std::string file = joined;
  std::string fetch = clean_path;
  std::string sep = "?";
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    if (!SafeValue(k) || !SafeValue(v)) return std::nullopt;
    file += (file.empty() ? "_" : "/_") + k + "-" + v;
    fetch += sep + PercentEncode(k) + "=" + PercentEncode(v);
    sep = "&";
  }
  file += file.empty() ? "index.html" : "/index.html";
  return StaticTarget{file, fetch};
}

std::string RelativeUrl(std::string_view from, std::string_view to) {
  auto split = [](std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
      size_t slash = s.find('/');
      out.push_back(s.substr(0, slash));
      if (slash == std::string_view::npos) break;
      s = s.substr(slash + 1);
    }
    return out;
  };
  auto a = split(from), b = split(to);
  // Directories of `from` are all but its last segment.
  size_t common = 0;
  while (common + 1 < a.size() && common + 1 < b.size() && a[common] == b[common]) ++common;
  std::string out;
  for (size_t i = common; i + 1 < a.size(); ++i) out += "../";
  for (size_t i = common; i < b.size(); ++i) {
    if (i > common) out += "/";
    out += PercentEncode(b[i]);
  }
  return out;
}

Result<ExportSummary> ExportSite(const std::string& store_location, const std::string& dir,
                                 Date as_of) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Error::Io(fmt::format("cannot create {}: {}", dir, ec.message())));
  Exporter exporter(store_location, dir, as_of);
  return exporter.Run();
}

}  // namespace rectrack::web

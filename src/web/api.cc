#include "web/api.h"

#include <charconv>

#include "app/checkpoints.h"
#include "app/views.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/download.h"
#include "web/openapi.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;
using DocFn = std::function<Result<json>(Store&, Date)>;

Result<Date> AsOfParam(const Request& req, const AppContext& ctx) {
  std::string v = req.Query("as_of");
  if (v.empty()) return ctx.today();
  auto d = Date::ParseIso(v);
  if (!d) return Fail(Error::Invalid("as_of: " + d.error().message));
  return d;
}

Result<int> IntParam(const Request& req, std::string_view name, int fallback) {
  std::string v = req.Query(name);
  if (v.empty()) return fallback;
  int out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size())
    return Fail(Error::Invalid(fmt::format("{} must be a whole number", name)));
  return out;
}

// A page size asked for by a client: 1..500.
Result<int> LimitParam(const Request& req, int fallback) {
  auto v = IntParam(req, "limit", fallback);
  if (!v) return v;
  if (*v < 1 || *v > 500) return Fail(Error::Invalid("limit must be between 1 and 500"));
  return v;
}


// The requested download format: ?format=, else the Accept header, else json.
std::string Format(const Request& req) {
  std::string f = req.Query("format");
  if (!f.empty()) return f;
  std::string accept = req.Header("Accept");
  if (accept.find("text/csv") != std::string::npos) return "csv";
  if (accept.find("spreadsheetml") != std::string::npos) return "xlsx";
  return "json";
}

// Serves a JSON document, cached per URL and ledger head: live documents are
// rebuilt when the head moves (or the day changes, for the default as_of).
Response Serve(AppContext& ctx, const Request& req, const DocFn& fn,
               const std::function<Result<Table>(const json&)>& table = nullptr) {
  auto store = ctx.stores->Get();
  if (!store) return ProblemFor(store.error());
  auto as_of = AsOfParam(req, ctx);
  if (!as_of) return ProblemFor(as_of.error());
  auto head = HeadSeq(ctx, **store);
  if (!head) return ProblemFor(head.error());
  std::string format = Format(req);
  if (format != "json" && (!table || (format != "csv" && format != "xlsx")))
    return ProblemFor(Error::Invalid(fmt::format(
        "format '{}' is not offered here (json{})", format, table ? ", csv, xlsx" : "")));
  std::string key = fmt::format("{}|{}|{}|{}", req.target, as_of->ToIso(), *head, format);
  auto respond = [](std::shared_ptr<const DocumentCache::Entry> e) {
    Response r = CachedResponse(std::move(e));
    r.Set("Cache-Control", "public, max-age=0, must-revalidate");
    return r;
  };
  if (auto hit = ctx.cache->Get(key)) return respond(std::move(hit));
  auto doc = fn(**store, *as_of);
  if (!doc) return ProblemFor(doc.error());
  DocumentCache::Entry e;
  if (format == "json") {
    e.body = doc->dump(2) + "\n";
    e.content_type = "application/json";
  } else {
    auto t = table(*doc);
    if (!t) return ProblemFor(t.error());
    e.disposition = fmt::format("attachment; filename=\"{}.{}\"", Slugify(t->name), format);
    if (format == "csv") {
      e.body = TableCsv(*t);
      e.content_type = "text/csv; charset=utf-8";
    } else {
      auto x = TableXlsx(*t);
      if (!x) return ProblemFor(x.error());
      e.body = std::move(*x);
      e.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
  }
  e.etag = StrongEtag(e.body);
  return respond(ctx.cache->Put(key, std::move(e)));
}

std::string S(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Every assignment of the listed recommendations, one row each: the download
// of the list, complete, with the links to each item.
Table RecommendationsTable(const json& doc, const std::string& base) {
  Table t;
  t.name = S(doc["source"]) + "-recommendations";
  t.header = {"source", "ref", "text", "themes", "owner", "tier", "response", "response_status",
              "implementation", "due", "days_overdue", "target", "days_past_target", "url",
              "link"};
  for (const auto& r : doc["recommendations"]) {
    std::vector<std::string> themes;
    for (const auto& th : r["themes"]) themes.push_back(th.get<std::string>());
    auto row = [&](const json& a) {
      t.rows.push_back({S(doc["source"]), S(r["ref"]), S(r["text"]), Join(themes, "; "),
                        S(a["owner"]), S(a["tier"]), S(a["response"]), S(a["response_status"]),
                        S(a["implementation"]), S(a["due"]), S(a["days_overdue"]), S(a["target"]),
                        S(a["days_past_target"]), S(r["url"]), base + S(r["links"]["html"])});
    };
    // A recommendation nobody holds still gets its row; the owner's cells are
    // empty (operator[] on a const json must only name keys that exist).
    if (r["assignments"].empty())
      row(json{{"owner", nullptr}, {"tier", nullptr}, {"response", nullptr},
               {"response_status", nullptr}, {"implementation", nullptr}, {"due", nullptr},
               {"days_overdue", nullptr}, {"target", nullptr}, {"days_past_target", nullptr}});
    for (const auto& a : r["assignments"]) row(a);
  }
  return t;
}

Table OwnersTableDownload(const json& doc, const std::string& base) {
  Table t;
  t.name = "owners";
  t.header = {"owner", "tier", "total"};
  for (ResponseStatus s : kAllResponseStatuses) t.header.emplace_back(Name(s));
  for (Implementation i : kAllImplementations) t.header.emplace_back(Name(i));
  t.header.push_back("past_target");
  t.header.push_back("median_days_since_progress");
  t.header.push_back("link");
  for (const auto& o : doc["owners"]) {
    std::vector<std::string> row;
    for (size_t i = 0; i + 1 < t.header.size(); ++i) row.push_back(S(o[t.header[i]]));
    row.push_back(base + S(o["links"]["html"]));
    t.rows.push_back(std::move(row));
  }
  return t;
}

// Every overdue response, one row each, as the page and the feed list them.
Table NonResponsesTable(const json& doc, const std::string& base) {
  Table t;
  t.name = doc["kind"].is_null() ? "non-responses" : S(doc["kind"]) + "-non-responses";
  t.header = {"owner", "tier", "source", "source_title", "kind", "source_date", "ref", "due",
              "days_overdue", "chasers_sent", "last_chased", "link"};
  for (const auto& i : doc["items"])
    t.rows.push_back({S(i["owner"]), S(i["tier"]), S(i["source"]), S(i["source_title"]),
                      S(i["kind"]), S(i["source_date"]), S(i["ref"]), S(i["due"]),
                      S(i["days_overdue"]), S(i["chasers_sent"]), S(i["last_chased"]),
                      base + S(i["links"]["html"])});
  return t;
}

}  // namespace

Result<int64_t> IdParam(const Request& req, std::string_view name) {
  std::string v = req.Param(name);
  if (auto id = PositiveId(v)) return *id;
  return Fail(Error::NotFound(fmt::format("no such {}: '{}'", name, v)));
}

std::optional<Response> UnknownQueryProblem(const Request& req, std::vector<std::string> known) {
  for (const auto& [name, value] : req.query) {
    (void)value;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string guess = ClosestMatch(name, known);
    std::sort(known.begin(), known.end());
    return ProblemFor(Error::Invalid(fmt::format(
        "unknown query parameter '{}'{}: this address takes {}", name,
        guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess),
        known.empty() ? std::string("none") : Join(known, ", "))));
  }
  return std::nullopt;
}

Response ProblemFor(const Error& e) {
  switch (e.code) {
    case Error::Code::kInvalidInput: return Response::Problem(400, "Bad request", e.message);
    case Error::Code::kNotFound: return Response::Problem(404, "Not found", e.message);
    case Error::Code::kConflict: return Response::Problem(409, "Conflict", e.message);
    case Error::Code::kPrecondition:
      return Response::Problem(412, "Precondition Failed", e.message);
    case Error::Code::kCorrupt:
      return Response::Problem(503, "Failed its integrity check", e.message);
    case Error::Code::kUnavailable: {
      Response r = Response::Problem(
          503, "Service Unavailable",
          "The database is busy or cannot be reached just now; nothing was changed. Try again.");
      r.Set("Retry-After", std::to_string(kRetryAfterSeconds));
      return r;
    }
    default:
      LogServerError(e.message);
      return Response::Problem(500, "Internal error",
                               "The server could not answer; the problem was logged with the "
                               "request id below.");
  }
}

namespace {

// A read route of the API and the query parameters it takes, besides as_of
// and format, which every document takes. Any other parameter is a 400 that
// names the ones it takes (with a guess), checked before anything is read: a
// mistyped ?cursor= for ?after= must not silently give the first page.
template <typename Handler>
void AddRead(Router& router, const char* path, std::vector<std::string> known, Handler handler) {
  known.push_back("as_of");
  known.push_back("format");
  router.Add("GET", path, [known = std::move(known), handler](Request& req) -> Response {
    if (auto problem = UnknownQueryProblem(req, known)) return *problem;
    return handler(req);
  });
}

}  // namespace

void RegisterReadApi(Router& router, AppContext& ctx) {
  router.Add("GET", "/api/openapi.json", [](Request&) {
    Response r = Response::Text(200, std::string(OpenApiJson()), "application/json");
    r.Set("Cache-Control", "public, max-age=3600");
    return r;
  });
  AddRead(router, "/api/v1/sources", {"after", "kind", "limit", "year", "area", "theme", "owner"},
          [&ctx](Request& req) {
    auto limit = LimitParam(req, 50);
    if (!limit) return ProblemFor(limit.error());
    // Downloads are complete: every page at once.
    Page page{req.Query("after"), Format(req) == "json" ? *limit : 1 << 30};
    SourcesFilter f;
    f.kind = req.Query("kind");
    const std::string& kind = f.kind;
    auto year = IntParam(req, "year", 0);
    if (!year) return ProblemFor(year.error());
    if (*year != 0 && (*year < 1800 || *year > 2200))
      return ProblemFor(Error::Invalid("year: give a year such as 2024"));
    f.year = *year;
    f.area = req.Query("area");
    f.theme = req.Query("theme");
    f.owner = req.Query("owner");
    const std::string& base = ctx.public_url;
    return Serve(
        ctx, req, [&](Store& s, Date d) { return SourcesDoc(s, d, f, page); },
        [&](const json& doc) -> Result<Table> {
          Table t;
          t.name = kind.empty() ? "sources" : kind + "-sources";
          t.header = {"slug", "kind", "title", "author", "date", "recommendations", "implemented",
                      "percent_implemented", "overdue_assignments", "link"};
          for (const auto& s : doc["sources"])
            t.rows.push_back({S(s["slug"]), S(s["kind"]), S(s["title"]), S(s["author"]),
                              S(s["date"]), S(s["recommendations"]), S(s["implemented"]),
                              S(s["percent_implemented"]), S(s["overdue_assignments"]),
                              base + S(s["links"]["html"])});
          return t;
        });
  });
  AddRead(router, "/api/v1/sources/{slug}", {}, [&ctx](Request& req) {
    std::string slug = req.Param("slug");
    return Serve(ctx, req, [&](Store& s, Date d) { return SourceDoc(s, slug, d); });
  });
  AddRead(router, "/api/v1/sources/{slug}/recommendations", {"owner", "tier", "status", "theme", "overdue", "past_target", "after", "limit"}, [&ctx](Request& req) {
    std::string slug = req.Param("slug");
    ListFilter f;
    f.owner = req.Query("owner");
    f.tier = req.Query("tier");
    f.status = req.Query("status");
    f.theme = req.Query("theme");
    for (auto [flag, name] : {std::pair{&f.overdue, "overdue"}, {&f.past_target, "past_target"}}) {
      std::string v = req.Query(name);
      if (!v.empty() && v != "true" && v != "false" && v != "1" && v != "0")
        return ProblemFor(Error::Invalid(fmt::format("{} must be true or false", name)));
      *flag = v == "true" || v == "1";
    }
    auto limit = LimitParam(req, 50);
    if (!limit) return ProblemFor(limit.error());
    std::string format = Format(req);
    // Downloads are complete: every page at once.
    Page page{req.Query("after"), format == "json" ? *limit : 1 << 30};
    const std::string& base = ctx.public_url;
    return Serve(
        ctx, req, [&](Store& s, Date d) { return RecommendationsDoc(s, slug, d, f, page); },
        [&](const json& doc) -> Result<Table> { return RecommendationsTable(doc, base); });
  });
  AddRead(router, "/api/v1/recommendations/{id}", {}, [&ctx](Request& req) {
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    return Serve(ctx, req,
                 [&](Store& s, Date d) { return RecommendationDoc(s, *id, d, false); });
  });
  AddRead(router, "/api/v1/owners", {"source", "kind"}, [&ctx](Request& req) {
    std::string source = req.Query("source"), kind = req.Query("kind");
    if (!source.empty() && !kind.empty())
      return ProblemFor(Error::Invalid("give source or kind, not both"));
    const std::string& base = ctx.public_url;
    return Serve(
        ctx, req, [&](Store& s, Date d) { return OwnersDoc(s, source, kind, d); },
        [&](const json& doc) -> Result<Table> { return OwnersTableDownload(doc, base); });
  });
  AddRead(router, "/api/v1/non-responses", {"kind"}, [&ctx](Request& req) {
    std::string kind = req.Query("kind");
    const std::string& base = ctx.public_url;
    return Serve(
        ctx, req, [&](Store& s, Date d) { return NonResponsesDoc(s, d, kind); },
        [&](const json& doc) -> Result<Table> { return NonResponsesTable(doc, base); });
  });
  AddRead(router, "/api/v1/owners/{id}", {}, [&ctx](Request& req) {
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    const std::string& base = ctx.public_url;
    return Serve(
        ctx, req, [&](Store& s, Date d) { return OwnerDoc(s, *id, d); },
        [&](const json& doc) -> Result<Table> {
          Table t;
          t.name = S(doc["name"]) + "-assignments";
          t.header = {"owner", "source", "ref", "text", "response", "response_status",
                      "implementation", "due", "days_overdue", "target", "days_past_target",
                      "link"};
          for (const auto& a : doc["assignments"])
            t.rows.push_back({S(doc["name"]), S(a["source"]), S(a["ref"]), S(a["text"]),
                              S(a["response"]), S(a["response_status"]), S(a["implementation"]),
                              S(a["due"]), S(a["days_overdue"]), S(a["target"]),
                              S(a["days_past_target"]), base + S(a["links"]["html"])});
          return t;
        });
  });
  AddRead(router, "/api/v1/search", {"q", "limit", "after"}, [&ctx](Request& req) {
    std::string q = req.Query("q");
    if (Trim(q).empty()) return ProblemFor(Error::Invalid("q: give some words to search for"));
    if (q.size() > 500) return ProblemFor(Error::Invalid("q: at most 500 characters"));
    auto limit = IntParam(req, "limit", 20);
    if (!limit) return ProblemFor(limit.error());
    if (*limit < 1 || *limit > 200)
      return ProblemFor(Error::Invalid("limit must be between 1 and 200"));
    Page page{req.Query("after"), *limit};
    const std::string& base = ctx.public_url;
    return Serve(
        ctx, req, [&](Store& s, Date) { return SearchDoc(s, q, page); },
        [&](const json& doc) -> Result<Table> {
          Table t;
          t.name = "search";
          t.header = {"source", "ref", "field", "snippet", "rank", "link"};
          for (const auto& r : doc["results"])
            t.rows.push_back({S(r["source"]), S(r["ref"]), S(r["field"]), S(r["snippet"]),
                              S(r["rank"]), base + S(r["links"]["html"])});
          return t;
        });
  });
  AddRead(router, "/api/v1/publications/{id}", {}, [&ctx](Request& req) {
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    return Serve(ctx, req, [&](Store& s, Date) { return PublicationDoc(s, *id); });
  });
  // Signed checkpoints for witnesses (docs/trust.md), and the proofs that one
  // extends another.
  AddRead(router, "/api/v1/checkpoints", {}, [&ctx](Request& req) {
    return Serve(ctx, req, [&](Store& s, Date) { return CheckpointsDoc(s); });
  });
  AddRead(router, "/api/v1/checkpoints/latest", {}, [&ctx](Request& req) {
    return Serve(ctx, req, [&](Store& s, Date) -> Result<json> {
      auto cps = s.Checkpoints();
      if (!cps) return Fail(cps.error());
      if (cps->empty()) return Fail(Error::NotFound("the tracker has made no checkpoint yet"));
      json doc = CheckpointDoc(cps->back());
      doc["links"] = {{"all", "/api/v1/checkpoints"}};
      return doc;
    });
  });
  AddRead(router, "/api/v1/ledger/proof", {"from", "to"}, [&ctx](Request& req) {
    auto number = [&](const char* name) -> Result<int64_t> {
      std::string v = req.Query(name);
      auto n = PositiveId(v);
      if (v == "0") return int64_t{0};
      if (!n) return Fail(Error::Invalid(fmt::format("'{}' must be a ledger event number", name)));
      return *n;
    };
    auto from = number("from");
    if (!from) return ProblemFor(from.error());
    auto to = number("to");
    if (!to) return ProblemFor(to.error());
    return Serve(ctx, req, [&](Store& s, Date) { return ProofDoc(s, *from, *to); });
  });
}

}  // namespace rectrack::web

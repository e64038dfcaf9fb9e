#include "web/write_api.h"

#include <algorithm>

#include "app/checkpoints.h"
#include "app/service.h"
#include "app/views.h"
#include "core/vocab.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/api.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;


Response Unauthorised(std::string_view detail) {
  Response r = Response::Problem(401, "Unauthorized", detail);
  r.Set("WWW-Authenticate", "Bearer realm=\"rectrack\"");
  return r;
}

Response Forbidden(std::string_view detail) { return Response::Problem(403, "Forbidden", detail); }

Response NoStore(Response r) {
  r.Set("Cache-Control", "no-store");
  return r;
}

bool IsJsonBody(const Request& req) {
  std::string type = req.Header("Content-Type");
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type.rfind("application/json", 0) == 0;
}

// The body as a JSON object, or the problem to answer.
std::optional<Response> ParseBody(const Request& req, json* out) {
  if (!IsJsonBody(req))
    return Response::Problem(415, "Unsupported Media Type", "send the body as application/json");
  *out = json::parse(req.body, nullptr, false);
  if (out->is_discarded() || !out->is_object())
    return Response::Problem(400, "Bad request", "the body is not a JSON object");
  return std::nullopt;
}

// A string member, "" when absent or null; an error when of another type.
Result<std::string> StrMember(const json& j, const char* name) {
  if (!j.contains(name) || j[name].is_null()) return std::string();
  if (!j[name].is_string()) return Fail(Error::Invalid(fmt::format("{} must be a string", name)));
  return j[name].get<std::string>();
}

// Who writes, once authenticated and past the CSRF check; or the refusal.
struct Gate {
  std::optional<auth::Principal> who;
  std::optional<Response> refusal;
};

Gate Authenticate(WebAuth& auth, const Request& req) {
  Gate g;
  auto c = auth.Resolve(req);
  if (!c) {
    g.refusal = ProblemFor(c.error());
  } else if (c->bad_credentials) {
    g.refusal = Unauthorised("the API token is not valid (revoked, unknown or malformed)");
  } else if (!c->principal) {
    g.refusal = Unauthorised(
        "sign in, or send Authorization: Bearer <API token> (rectrack user token NAME)");
  } else if (!auth.CsrfOk(*c->principal, req, nullptr)) {
    g.refusal = Forbidden("a request made with a session needs its X-CSRF-Token header");
  } else {
    g.who = std::move(c->principal);
  }
  return g;
}

// The version an If-Match header names for assignment `id`, given its current
// version: the current one if its ETag is listed, else nullopt (stale). "*"
// ("any version") is not enough: a write names the version it saw, so that
// a blind write cannot pass the lost-update check.
std::optional<int64_t> IfMatchVersion(std::string_view header, int64_t id, int64_t current) {
  if (header.find_first_not_of(" \t*") == std::string_view::npos) return std::nullopt;
  if (EtagMatches(header, AssignmentEtag(id, current))) return current;
  return std::nullopt;
}

// A write to an assignment names the version it was based on: If-Match with
// its current ETag. Without it, 428; with another, 412. Else nullopt and
// *version set.
std::optional<Response> RequireIfMatch(const Request& req, const AssignmentRef& a,
                                       int64_t* version) {
  std::string if_match = req.Header("If-Match");
  if (if_match.empty())
    return Response::Problem(
        428, "Precondition Required",
        fmt::format("send If-Match with the assignment's ETag (GET /api/v1/assignments/{}), "
                    "so that no one's change is overwritten unseen",
                    a.id));
  if (if_match.find_first_not_of(" \t*,") == std::string::npos)
    return Response::Problem(
        428, "Precondition Required",
        fmt::format("If-Match: * is not enough: send the assignment's ETag (GET "
                    "/api/v1/assignments/{}), so that no one's change is overwritten unseen",
                    a.id));
  auto v = IfMatchVersion(if_match, a.id, a.version);
  if (!v)
    return Response::Problem(412, "Precondition Failed",
                             fmt::format("the assignment has changed: its ETag is now {}",
                                         AssignmentEtag(a.id, a.version)));
  *version = *v;
  return std::nullopt;
}

json UpdateJson(const UpdateWithAssignment& u) {
  const Update& x = u.update;
  return json{{"id", x.id},
              {"assignment_id", u.assignment.id},
              {"source", u.assignment.source_slug},
              {"ref", u.assignment.ref},
              {"owner", u.assignment.owner},
              {"date", x.date.ToIso()},
              {"state", Name(x.state)},
              {"response", x.response ? json(Name(*x.response)) : json(nullptr)},
              {"response_text", x.response_text},
              {"response_status",
               x.response_status ? json(Name(*x.response_status)) : json(nullptr)},
              {"implementation", x.implementation ? json(Name(*x.implementation)) : json(nullptr)},
              {"narrative", x.narrative},
              {"evidence", x.evidence},
              {"author", x.author},
              {"return_reason", x.return_reason},
              {"links",
               {{"self", fmt::format("/api/v1/updates/{}", x.id)},
                {"assignment", fmt::format("/api/v1/assignments/{}", u.assignment.id)},
                {"recommendation",
                 fmt::format("/api/v1/recommendations/{}", u.assignment.recommendation_id)}}}};
}

Result<json> AssignmentDoc(Store& store, const AssignmentRef& a, Date as_of) {
  auto rec = RecommendationDoc(store, a.recommendation_id, as_of, false);
  if (!rec) return Fail(rec.error());
  json state = nullptr;
  for (const auto& x : (*rec)["assignments"])
    if (x["assignment_id"] == a.id) state = x;
  return json{{"id", a.id},
              {"version", a.version},
              {"etag", AssignmentEtag(a.id, a.version)},
              {"source", a.source_slug},
              {"ref", a.ref},
              {"owner", a.owner},
              {"owner_id", a.owner_id},
              {"recommendation_id", a.recommendation_id},
              {"as_of", as_of.ToIso()},
              {"state", state},
              {"links",
               {{"self", fmt::format("/api/v1/assignments/{}", a.id)},
                {"updates", fmt::format("/api/v1/assignments/{}/updates", a.id)},
                {"recommendation", fmt::format("/api/v1/recommendations/{}", a.recommendation_id)},
                {"html", fmt::format("/recommendations/{}", a.recommendation_id)},
                {"submit", fmt::format("/assignments/{}/submit", a.id)}}}};
}

}  // namespace

std::string AssignmentEtag(int64_t id, int64_t version) {
  return fmt::format("\"asg-{}-v{}\"", id, version);
}

void RegisterWriteApi(Router& router, WebAuth& auth) {
  AppContext& ctx = auth.ctx();

  router.Add("GET", "/api/v1/signing-key", [&ctx](Request& req) {
    if (auto problem = UnknownQueryProblem(req, {})) return *problem;
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto keys = (*store)->TrackerKeys();
    if (!keys) return ProblemFor(keys.error());
    if (keys->empty()) return ProblemFor(Error::Corrupt("the store has no signing key"));
    const std::string& current = keys->back().public_key;
    Response r = Response::Json(json{{"alg", "ed25519"},
                                     {"public_key", current},
                                     {"encoding", "hex"},
                                     {"verify", "rectrack verify-publication FILE --key " + current},
                                     {"keys", KeysDoc(*keys)},
                                     {"links", {{"checkpoints", "/api/v1/checkpoints"}}}}
                                    .dump(2) + "\n");
    r.Set("Cache-Control", "public, max-age=300");
    return r;
  });

  router.Add("GET", "/api/v1/assignments/{id}", [&ctx](Request& req) {
    if (auto problem = UnknownQueryProblem(req, {})) return *problem;
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto a = (*store)->GetAssignment(*id);
    if (!a) return ProblemFor(a.error());
    Date today = ctx.today();
    std::string key = fmt::format("asg|{}|{}|{}", a->id, a->version, today.ToIso());
    std::shared_ptr<const DocumentCache::Entry> e = ctx.cache->Get(key);
    if (!e) {
      auto doc = AssignmentDoc(**store, *a, today);
      if (!doc) return ProblemFor(doc.error());
      DocumentCache::Entry entry;
      entry.body = doc->dump(2) + "\n";
      entry.content_type = "application/json";
      entry.etag = AssignmentEtag(a->id, a->version);
      e = ctx.cache->Put(key, std::move(entry));
    }
    Response r = CachedResponse(std::move(e));
    r.Set("Cache-Control", "public, max-age=0, must-revalidate");
    return r;
  });

  router.Add("POST", "/api/v1/assignments/{id}/updates", [&auth, &ctx](Request& req) {
    Gate g = Authenticate(auth, req);
    if (g.refusal) return NoStore(*g.refusal);
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto a = (*store)->GetAssignment(*id);
    if (!a) return ProblemFor(a.error());
    if (!auth::CanSubmit(*g.who, a->owner_id))
      return Forbidden(fmt::format("{} may not submit updates for {}", g.who->name, a->owner));
    int64_t based_on = 0;
    if (auto refused = RequireIfMatch(req, *a, &based_on)) return *refused;
    json body;
    if (auto problem = ParseBody(req, &body)) return *problem;
    UpdateInput in;
    for (auto [field, name] : {std::pair{&in.date, "date"},
                               {&in.response, "response"},
                               {&in.response_text, "response_text"},
                               {&in.response_status, "response_status"},
                               {&in.implementation, "implementation"},
                               {&in.narrative, "narrative"}}) {
      auto v = StrMember(body, name);
      if (!v) return ProblemFor(v.error());
      *field = std::move(*v);
    }
    if (in.response_status.empty()) {
      auto v = StrMember(body, "status");
      if (!v) return ProblemFor(v.error());
      in.response_status = std::move(*v);
    }
    if (body.contains("evidence") && !body["evidence"].is_null()) {
      if (!body["evidence"].is_array())
        return ProblemFor(Error::Invalid("evidence must be an array of URLs"));
      for (const auto& e : body["evidence"]) {
        if (!e.is_string()) return ProblemFor(Error::Invalid("evidence must be an array of URLs"));
        in.evidence.push_back(e.get<std::string>());
      }
    }
    std::string field;
    auto update = MakeUpdate(in, ctx.today(), g.who->name, &field);
    if (!update) return ProblemFor(Error::Invalid(field + ": " + update.error().message));
    if (auto fits = CheckUpdateFor(**store, *a, *update, &field); !fits) {
      if (fits.error().code != Error::Code::kInvalidInput) return ProblemFor(fits.error());
      return ProblemFor(Error::Invalid(field + ": " + fits.error().message));
    }
    auto uid = (*store)->SubmitUpdate(a->id, *update, based_on, g.who->actor());
    if (!uid) {
      if (uid.error().code == Error::Code::kPrecondition)
        return Response::Problem(412, "Precondition Failed", uid.error().message);
      return ProblemFor(uid.error());
    }
    auto stored = (*store)->GetUpdate(*uid);
    if (!stored) return ProblemFor(stored.error());
    json out = UpdateJson(*stored);
    out["assignment_etag"] = AssignmentEtag(a->id, stored->assignment.version);
    Response r = Response::Json(out.dump(2) + "\n", 201);
    r.Set("Location", fmt::format("/api/v1/updates/{}", *uid));
    r.Set("ETag", AssignmentEtag(a->id, stored->assignment.version));
    return NoStore(std::move(r));
  });

  // The implementation target agreed with the assignment's owner (issue 9,
  // item 5). The office sets it, not the body that must act: coordinators and
  // admins only. {"target": "YYYY-MM-DD"} sets it, {"target": null} clears it.
  router.Add("PUT", "/api/v1/assignments/{id}/target", [&auth, &ctx](Request& req) {
    Gate g = Authenticate(auth, req);
    if (g.refusal) return NoStore(*g.refusal);
    if (!auth::CanValidate(*g.who))
      return NoStore(Forbidden("only coordinators and admins set implementation targets"));
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto a = (*store)->GetAssignment(*id);
    if (!a) return ProblemFor(a.error());
    int64_t based_on = 0;
    if (auto refused = RequireIfMatch(req, *a, &based_on)) return *refused;
    json body;
    if (auto problem = ParseBody(req, &body)) return *problem;
    if (!body.is_object() || !body.contains("target") ||
        !(body["target"].is_null() || body["target"].is_string()))
      return ProblemFor(Error::Invalid(
          "target: send {\"target\": \"YYYY-MM-DD\"}, or {\"target\": null} to clear it"));
    for (const auto& [key, value] : body.items())
      if (key != "target")
        return ProblemFor(Error::Invalid(fmt::format("{}: not a field of a target (send target)", key)));
    auto view = (*store)->GetRecommendationById(a->recommendation_id);
    if (!view) return ProblemFor(view.error());
    const std::string text = body["target"].is_null() ? "none" : body["target"].get<std::string>();
    auto target = ParseTarget(*view, text);
    if (!target) return ProblemFor(Error::Invalid("target: " + target.error().message));
    int64_t now = a->version;
    bool has_own = false;
    for (const auto& av : view->assignments)
      if (av.assignment.id == a->id) has_own = av.assignment.target.has_value();
    if (*target || has_own) {
      auto v = (*store)->SetAssignmentTarget(a->id, *target, based_on, g.who->actor());
      if (!v) {
        if (v.error().code == Error::Code::kPrecondition)
          return Response::Problem(412, "Precondition Failed", v.error().message);
        return ProblemFor(v.error());
      }
      now = *v;
    }
    auto fresh = (*store)->GetAssignment(a->id);
    if (!fresh) return ProblemFor(fresh.error());
    auto doc = AssignmentDoc(**store, *fresh, ctx.today());
    if (!doc) return ProblemFor(doc.error());
    Response r = Response::Json(doc->dump(2) + "\n");
    r.Set("ETag", AssignmentEtag(a->id, now));
    return NoStore(std::move(r));
  });

  router.Add("GET", "/api/v1/updates/{id}", [&auth, &ctx](Request& req) {
    if (auto problem = UnknownQueryProblem(req, {})) return *problem;
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto u = (*store)->GetUpdate(*id);
    if (!u) return ProblemFor(u.error());
    if (u->update.state != UpdateState::kValidated) {
      // Not public: only staff who may act for the owner see it; others are
      // told nothing of it.
      auto c = auth.Resolve(req);
      if (!c) return ProblemFor(c.error());
      if (c->bad_credentials) return NoStore(Unauthorised("the API token is not valid"));
      if (!c->principal || !auth::CanSeeUnvalidated(*c->principal, u->assignment.owner_id))
        return ProblemFor(Error::NotFound(fmt::format("no update {}", *id)));
      return NoStore(Response::Json(UpdateJson(*u).dump(2) + "\n"));
    }
    return Response::Json(UpdateJson(*u).dump(2) + "\n");
  });

  auto transition = [&auth, &ctx](Request& req, bool validate) {
    Gate g = Authenticate(auth, req);
    if (g.refusal) return NoStore(*g.refusal);
    if (!auth::CanValidate(*g.who))
      return Forbidden(fmt::format("only coordinators and admins may {} updates",
                                   validate ? "validate" : "return"));
    auto id = IdParam(req, "id");
    if (!id) return ProblemFor(id.error());
    std::string reason;
    if (!validate) {
      json body;
      if (auto problem = ParseBody(req, &body)) return *problem;
      auto r = StrMember(body, "reason");
      if (!r) return ProblemFor(r.error());
      reason = std::move(*r);
    }
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    if (validate) {
      auto u = (*store)->GetUpdate(*id);
      if (u && !auth::MayValidateUpdate(*g.who, u->update))
        return Forbidden(fmt::format(
            "update {} was submitted by {}: another coordinator or an admin validates it",
            *id, g.who->name));
    }
    Status s = validate ? (*store)->ValidateUpdate(*id, g.who->actor())
                        : (*store)->ReturnUpdate(*id, reason, g.who->actor());
    if (!s) return ProblemFor(s.error());
    auto u = (*store)->GetUpdate(*id);
    if (!u) return ProblemFor(u.error());
    return NoStore(Response::Json(UpdateJson(*u).dump(2) + "\n"));
  };
  router.Add("POST", "/api/v1/updates/{id}/validate",
             [transition](Request& req) { return transition(req, true); });
  router.Add("POST", "/api/v1/updates/{id}/return",
             [transition](Request& req) { return transition(req, false); });

  router.Add("GET", "/api/v1/review", [&auth, &ctx](Request& req) {
    if (auto problem = UnknownQueryProblem(req, {})) return NoStore(*problem);
    Gate g = Authenticate(auth, req);
    if (g.refusal) return NoStore(*g.refusal);
    if (!auth::CanValidate(*g.who))
      return NoStore(Forbidden("only coordinators and admins see the review queue"));
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto queue = (*store)->SubmittedUpdates();
    if (!queue) return ProblemFor(queue.error());
    json items = json::array();
    for (const auto& u : *queue) items.push_back(UpdateJson(u));
    return NoStore(Response::Json(json{{"submitted", items}}.dump(2) + "\n"));
  });

  router.Add("POST", "/api/v1/sources/{slug}/publications", [&auth, &ctx](Request& req) {
    Gate g = Authenticate(auth, req);
    if (g.refusal) return NoStore(*g.refusal);
    if (!auth::CanPublish(*g.who))
      return Forbidden("only coordinators and admins may publish official updates");
    json body;
    if (auto problem = ParseBody(req, &body)) return *problem;
    auto title = StrMember(body, "title");
    if (!title) return ProblemFor(title.error());
    auto as_of_s = StrMember(body, "as_of");
    if (!as_of_s) return ProblemFor(as_of_s.error());
    Date as_of = ctx.today();
    if (!as_of_s->empty()) {
      auto d = Date::ParseIso(*as_of_s);
      if (!d) return ProblemFor(Error::Invalid("as_of: " + d.error().message));
      as_of = *d;
    }
    if (title->empty() || title->size() > 300)
      return ProblemFor(Error::Invalid("title: give a title of 1 to 300 characters"));
    PublishRequest pr;
    pr.title = *title;
    auto commentary = StrMember(body, "commentary");
    if (!commentary) return ProblemFor(commentary.error());
    pr.commentary = *commentary;
    auto reason = StrMember(body, "reason");
    if (!reason) return ProblemFor(reason.error());
    pr.reason = *reason;
    if (body.contains("corrects")) {
      if (!body["corrects"].is_number_integer() || body["corrects"].get<int64_t>() < 1)
        return ProblemFor(Error::Invalid("corrects: give the id of the publication corrected"));
      pr.corrects = body["corrects"].get<int64_t>();
    }
    auto store = ctx.stores->Get();
    if (!store) return ProblemFor(store.error());
    auto pub = Publish(ctx, **store, req.Param("slug"), as_of, pr, g.who->actor());
    if (!pub) return ProblemFor(pub.error());
    auto doc = PublicationDoc(**store, pub->id);
    if (!doc) return ProblemFor(doc.error());
    Response r = Response::Json(doc->dump(2) + "\n", 201);
    r.Set("Location", fmt::format("/api/v1/publications/{}", pub->id));
    return NoStore(std::move(r));
  });
}

}  // namespace rectrack::web

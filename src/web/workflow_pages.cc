#include "web/workflow_pages.h"

#include <cctype>
#include <charconv>

#include <sodium.h>

#include "app/chase.h"
#include "app/service.h"
#include "core/markdown.h"
#include "core/text.h"
#include "report/report_render.h"
#include "app/views.h"
#include "core/vocab.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/staff_gate.h"
#include "web/write_api.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;

constexpr int kMaxAssignmentsListed = 500;

template <typename E, size_t N>
json Options(const E (&all)[N], const std::string& selected, bool with_none) {
  json out = json::array();
  if (with_none) out.push_back({{"value", ""}, {"label", "No change"}, {"selected", selected.empty()}});
  for (E e : all)
    out.push_back({{"value", Name(e)},
                   {"label", SentenceCase(Label(e))},
                   {"selected", selected == Name(e)}});
  return out;
}

bool IsWebLink(const std::string& s) {
  return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0;
}

json EvidenceJson(const std::vector<std::string>& evidence) {
  json out = json::array();
  for (const auto& e : evidence)
    out.push_back({{"text", e}, {"href", IsWebLink(e) ? json(e) : json(nullptr)}});
  return out;
}

// Renders the submit form for assignment `a`, with `in` as typed and `error`.
// A canonical value ("not_started") in words as the public pages put them
// ("Not started"); a value the parser does not know as it is; null if absent.
template <typename Parse>
json WordOf(const json& v, Parse parse) {
  if (!v.is_string()) return nullptr;
  auto x = parse(v.get<std::string>());
  return x ? json(SentenceCase(Label(*x))) : v;
}

Response SubmitPage(int status, Store& store, const AssignmentRef& a, Date today,
                    const auth::Principal& who, const UpdateInput& in,
                    const std::vector<FieldProblem>& problems, int64_t submitted_id) {
  auto rec = RecommendationDoc(store, a.recommendation_id, today, true);
  if (!rec) return ErrorPage(rec.error(), who);
  json state = nullptr, history = json::array();
  for (const auto& x : (*rec)["assignments"]) {
    if (x["assignment_id"] != a.id) continue;
    auto word = [&](const char* key, auto parse) {
      return x.contains(key) ? WordOf(x[key], parse) : json(nullptr);
    };
    state = {{"response", word("response", ParseResponseKind)},
             {"response_status", word("response_status", ParseResponseStatus)},
             {"implementation", word("implementation", ParseImplementation)},
             {"due", nullptr}};
    if (x.contains("due") && x["due"].is_string())
      if (auto d = Date::ParseIso(x["due"].get<std::string>())) state["due"] = d->ToLong();
    for (const auto& u : x["updates"]) {
      json h = u;
      h["evidence"] = EvidenceJson(u["evidence"].get<std::vector<std::string>>());
      h["returned"] = u["state"] == "returned";
      h["state"] = u["state"] == "returned"    ? "Returned"
                   : u["state"] == "submitted" ? "Awaiting review"
                                               : "Validated";
      if (u.contains("date") && u["date"].is_string())
        if (auto d = Date::ParseIso(u["date"].get<std::string>())) h["date"] = d->ToLong();
      h["submitted"] = u["state"] == "submitted";
      history.push_back(std::move(h));
    }
  }
  std::string evidence;
  for (const auto& e : in.evidence) evidence += e + "\n";
  json view = {
      {"title", "Submit an update"},
      {"assignment_id", a.id},
      {"version", a.version},
      {"csrf", auth::MaskCsrf(who.csrf_token)},
      {"source", a.source_slug},
      {"ref", a.ref},
      {"owner", a.owner},
      {"recommendation_href", fmt::format("/recommendations/{}", a.recommendation_id)},
      {"text", (*rec)["text"]},
      {"state", state},
      {"history", history},
      {"has_history", !history.empty()},
      {"date", in.date.empty() ? today.ToIso() : in.date},
      {"responses", Options(kAllResponseKinds, in.response, true)},
      {"statuses", Options(kAllResponseStatuses, in.response_status, true)},
      {"implementations", Options(kAllImplementations, in.implementation, true)},
      {"response_text", in.response_text},
      {"narrative", in.narrative},
      {"evidence", evidence},
      {"submitted_id", submitted_id > 0 ? json(submitted_id) : json(nullptr)},
  };
  FormErrors errors;
  for (const auto& p : problems) errors.Add(p.field, p.message);
  errors.Into(view);
  return StaffPage(status, "Submit an update", "auth_submit", view, who);
}

UpdateInput InputFromForm(const FormFields& form) {
  UpdateInput in;
  in.date = FormValue(form, "date");
  in.response = FormValue(form, "response");
  in.response_text = FormValue(form, "response_text");
  in.response_status = FormValue(form, "response_status");
  in.implementation = FormValue(form, "implementation");
  in.narrative = FormValue(form, "narrative");
  in.evidence = FormLines(FormValue(form, "evidence"));
  return in;
}

}  // namespace

void RegisterWorkflowPages(Router& router, WebAuth& auth) {
  AppContext& ctx = auth.ctx();

  // Anyone signed in changes their own password; the session they use stays,
  // every other one ends.
  auto password = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (g.who->via_api_token)
      return Message(403, "Change your password", "Sign in with your password to change it.",
                     g.who);
    std::string error, field;
    int status = 200;
    if (req.method == "POST") {
      const std::string current = FormValue(g.form, "current");
      const std::string next = FormValue(g.form, "new");
      auto store = ctx.stores->Get();
      if (!store) return ErrorPage(store.error(), g.who);
      if (current.empty()) {
        error = "Enter your current password", field = "current";
      } else if (next != FormValue(g.form, "confirm")) {
        error = "The two new passwords are not the same", field = "confirm";
      } else {
        auto r = auth.authenticator().ChangePassword(**store, *g.who, current, next,
                                                     req.remote_addr);
        if (!r) return ErrorPage(r.error(), g.who);
        using Outcome = auth::Authenticator::PasswordChange::Outcome;
        LogSecurityEvent("password_change",
                         r->outcome == Outcome::kOk             ? "ok"
                         : r->outcome == Outcome::kWrongCurrent ? "wrong_current"
                         : r->outcome == Outcome::kRateLimited  ? "limited"
                                                                : "rejected",
                         g.who->name, req.remote_addr);
        switch (r->outcome) {
          case Outcome::kOk: {
            return Done("/account/password?changed=1");
          }
          case Outcome::kWrongCurrent:
            error = "Your current password is not right", field = "current";
            break;
          case Outcome::kRateLimited: {
            int64_t minutes = (r->retry_after + 59) / 60;
            error = fmt::format("Too many failed attempts. Try again in {} minute{}.", minutes,
                                minutes == 1 ? "" : "s");
            field = "current";
            status = 429;
            break;
          }
          case Outcome::kRejected:
            error = r->message, field = "new";
            error = SentenceCase(error);
            break;
        }
      }
      if (status == 200) status = 400;
    }
    json view = {{"title", "Change your password"},
                 {"name", g.who->name},
                 {"csrf", auth::MaskCsrf(g.who->csrf_token)},
                 {"changed", req.method == "GET" && req.Query("changed") == "1"},
                 {"has_errors", !error.empty()},
                 {"errors", error.empty() ? json::array()
                                          : json::array({{{"href", "#" + field}, {"text", error}}})}};
    for (const char* f : {"current", "new", "confirm"})
      view[std::string("error_") + f] = field == f ? json(error) : json(nullptr);
    return StaffPage(status, "Change your password", "auth_password", view, g.who);
  };
  router.Add("GET", "/account/password", password);
  router.Add("POST", "/account/password", password);

  // An editor's work: per body, what came back to fix, what waits for review,
  // then every assignment with its text, statuses and clocks, overdue first.
  router.Add("GET", "/my-assignments", [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const Date today = ctx.today();
    auto word = [](const json& v, auto parse) -> std::string {
      json w = WordOf(v, parse);
      return w.is_string() ? w.get<std::string>() : "";
    };
    auto long_date = [](const json& v) -> json {
      if (!v.is_string()) return nullptr;
      auto d = Date::ParseIso(v.get<std::string>());
      return d ? json(d->ToLong()) : v;
    };
    json owners = json::array();
    for (size_t i = 0; i < g.who->owner_ids.size(); ++i) {
      const int64_t owner_id = g.who->owner_ids[i];
      auto doc = OwnerDoc(**store, owner_id, today);
      if (!doc) return ErrorPage(doc.error(), g.who);
      auto open = (*store)->OpenUpdatesOfOwner(owner_id);
      if (!open) return ErrorPage(open.error(), g.who);
      json returned = json::array(), waiting = json::array();
      for (const auto& x : *open) {
        json item = {{"source", x.assignment.source_slug},
                     {"ref", x.assignment.ref},
                     {"date", x.update.date.ToLong()},
                     {"author", x.update.author},
                     {"reason", x.update.return_reason},
                     {"narrative", x.update.narrative},
                     {"href", fmt::format("/assignments/{}/submit", x.assignment.id)}};
        (x.update.state == UpdateState::kReturned ? returned : waiting).push_back(std::move(item));
      }
      json items = json::array();
      const json& all = (*doc)["assignments"];
      for (size_t k = 0; k < all.size() && k < static_cast<size_t>(kMaxAssignmentsListed); ++k) {
        const json& a = all[k];
        std::string text = a["text"].get<std::string>();
        if (text.size() > 280) {
          size_t cut = 280;
          while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
          text = text.substr(0, cut) + "…";
        }
        json overdue = nullptr, past_target = nullptr;
        if (a["days_overdue"].is_number())
          overdue = fmt::format("Response overdue by {}", DaysInWords(a["days_overdue"].get<int64_t>()));
        if (a["days_past_target"].is_number())
          past_target =
              fmt::format("Past its target by {}", DaysInWords(a["days_past_target"].get<int64_t>()));
        items.push_back(
            {{"source", a["source"]},
             {"ref", a["ref"]},
             {"text", text},
             {"response_status", word(a["response_status"], ParseResponseStatus)},
             {"implementation", word(a["implementation"], ParseImplementation)},
             {"due", long_date(a["due"])},
             {"target", long_date(a["target"])},
             {"overdue", overdue},
             {"past_target", past_target},
             {"href", fmt::format("/assignments/{}/submit", a["assignment_id"].get<int64_t>())},
             {"recommendation_href", a["links"]["html"]}});
      }
      owners.push_back({{"name", g.who->owner_names[i]},
                        {"href", fmt::format("/owners/{}", owner_id)},
                        {"returned", returned},
                        {"has_returned", !returned.empty()},
                        {"waiting", waiting},
                        {"has_waiting", !waiting.empty()},
                        {"overdue_count", (*doc)["overdue"]},
                        {"count", Plural(static_cast<int64_t>(all.size()), "assignment", "assignments")},
                        {"assignments", items},
                        {"capped", all.size() > static_cast<size_t>(kMaxAssignmentsListed)}});
    }
    json view = {{"title", "Your assignments"},
                 {"owners", owners},
                 {"has_owners", !owners.empty()},
                 {"staff", auth::CanValidate(*g.who)}};
    return StaffPage(200, "Your assignments", "auth_my_assignments", view, g.who);
  });

  auto submit = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    auto id = PositiveId(req.Param("id"));
    if (!id) return Message(404, "Page not found", "No such assignment.", g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    auto a = (*store)->GetAssignment(*id);
    if (!a) return ErrorPage(a.error(), g.who);
    if (!auth::CanSubmit(*g.who, a->owner_id))
      return Message(403, "You cannot submit updates for this body",
                     fmt::format("Updates for {} are submitted by its own editors.", a->owner),
                     g.who);
    Date today = ctx.today();
    if (req.method == "GET") {
      int64_t submitted = 0;
      std::string s = req.Query("submitted");
      std::from_chars(s.data(), s.data() + s.size(), submitted);
      return SubmitPage(200, **store, *a, today, *g.who, UpdateInput{}, {}, submitted);
    }
    UpdateInput in = InputFromForm(g.form);
    int64_t version = -1;
    std::string v = FormValue(g.form, "version");
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
    if (ec != std::errc() || p != v.data() + v.size())
      return SubmitPage(400, **store, *a, today, *g.who, in,
                        {{"narrative", "The form was incomplete. Submit it again."}}, 0);
    std::string field;
    std::vector<FieldProblem> problems;
    auto update = MakeUpdate(in, today, g.who->name, &field, &problems);
    if (!update) return SubmitPage(400, **store, *a, today, *g.who, in, problems, 0);
    if (auto fits = CheckUpdateFor(**store, *a, *update, &field); !fits) {
      if (fits.error().code != Error::Code::kInvalidInput) return ErrorPage(fits.error(), g.who);
      return SubmitPage(400, **store, *a, today, *g.who, in, {{field, fits.error().message}}, 0);
    }
    auto uid = (*store)->SubmitUpdate(a->id, *update, version, g.who->actor());
    if (!uid && uid.error().code == Error::Code::kPrecondition) {
      auto fresh = (*store)->GetAssignment(a->id);
      if (!fresh) return ErrorPage(fresh.error(), g.who);
      return SubmitPage(412, **store, *fresh, today, *g.who, in,
                        {{"narrative",
                          "Someone changed this assignment after you opened the form. Check its "
                          "updates below, then submit again."}},
                        0);
    }
    if (!uid) return ErrorPage(uid.error(), g.who);
    return Done(fmt::format("/assignments/{}/submit?submitted={}", a->id, *uid));
  };
  router.Add("GET", "/assignments/{id}/submit", submit);
  router.Add("POST", "/assignments/{id}/submit", submit);

  router.Add("GET", "/review", [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who))
      return Message(403, "Only the tracking office reviews updates",
                     "Coordinators and admins validate or return submitted updates.", g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    auto queue = (*store)->SubmittedUpdates();
    if (!queue) return ErrorPage(queue.error(), g.who);
    std::string csrf = auth::MaskCsrf(g.who->csrf_token);
    json items = json::array();
    for (const auto& x : *queue) {
      const Update& u = x.update;
      auto changes = ChangesIfValidated(**store, x, ctx.today());
      if (!changes) return ErrorPage(changes.error(), g.who);
      for (auto& c : *changes)
        for (const char* k : {"before", "after"}) c[k] = SentenceCase(c[k].get<std::string>());
      items.push_back(
          {{"id", u.id},
           {"source", x.assignment.source_slug},
           {"ref", x.assignment.ref},
           {"owner", x.assignment.owner},
           {"recommendation_href",
            fmt::format("/recommendations/{}", x.assignment.recommendation_id)},
           {"date", u.date.ToLong()},
           {"author", u.author},
           {"own", u.author == g.who->name},
           {"response", u.response ? json(SentenceCase(Label(*u.response))) : json(nullptr)},
           {"response_text", u.response_text},
           {"response_status", u.response_status ? json(SentenceCase(Label(*u.response_status))) : json(nullptr)},
           {"implementation", u.implementation ? json(SentenceCase(Label(*u.implementation))) : json(nullptr)},
           {"narrative", u.narrative},
           {"evidence", EvidenceJson(u.evidence)},
           {"changes", *changes},
           {"has_changes", !changes->empty()},
           {"csrf", csrf}});
    }
    std::string done = req.Query("done");
    json view = {{"title", "Review submitted updates"},
                 {"items", items},
                 {"count", items.size() == 1 ? std::string("1 update is")
                                             : fmt::format("{} updates are", items.size())},
                 {"none", items.empty()},
                 {"done", done == "validated" || done == "returned" ? json(done) : json(nullptr)}};
    return StaffPage(200, "Review submitted updates", "auth_review", view, g.who);
  });

  auto transition = [&auth, &ctx](Request& req, bool validate) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who))
      return Message(403, "Only the tracking office reviews updates",
                     "Coordinators and admins validate or return submitted updates.", g.who);
    auto id = PositiveId(req.Param("id"));
    if (!id) return Message(404, "Page not found", "No such update.", g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    if (validate) {
      auto u = (*store)->GetUpdate(*id);
      if (u && !auth::MayValidateUpdate(*g.who, u->update))
        return Message(403, "You cannot validate your own update",
                       "You submitted this update, so another coordinator or an admin "
                       "validates it. You can return it, to withdraw it.",
                       g.who, "/review", "Back to the review queue");
    }
    Status s = validate ? (*store)->ValidateUpdate(*id, g.who->actor())
                        : (*store)->ReturnUpdate(*id, FormValue(g.form, "reason"), g.who->actor());
    if (!s) {
      if (s.error().code == Error::Code::kInvalidInput)
        return Message(400, "Give a reason", "Say why the update goes back to its editor.",
                       g.who, "/review", "Back to the review queue");
      return ErrorPage(s.error(), g.who);
    }
    return Done(validate ? "/review?done=validated" : "/review?done=returned");
  };
  router.Add("POST", "/updates/{id}/validate",
             [transition](Request& req) { return transition(req, true); });
  router.Add("POST", "/updates/{id}/return",
             [transition](Request& req) { return transition(req, false); });

  // A contact's unsubscribe link (in every chaser, with List-Unsubscribe):
  // GET shows what it does, POST does it (RFC 8058's one-click POST from a
  // mail provider, or the page's button). The token in the address is the
  // authority: no session, no form token; a mail scanner's GET changes nothing.
  auto unsubscribe = [&ctx](Request& req) {
    auto id = PositiveId(req.Param("id"));
    const std::string token = req.Param("token");
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), std::nullopt);
    auto c = id ? GetContact(**store, *id) : Result<Contact>(Fail(Error::NotFound("")));
    bool valid = c && token.size() == c->unsubscribe_token.size() &&
                 sodium_memcmp(token.data(), c->unsubscribe_token.data(), token.size()) == 0;
    if (!valid)
      return Message(404, "This link is not valid",
                     "The unsubscribe link may be mistyped, or the contact was removed.",
                     std::nullopt);
    bool done = !c->unsubscribed_at.empty();
    if (req.method == "POST" && !done) {
      auto r = UnsubscribeContact(**store, *id, token);
      if (!r) return ErrorPage(r.error(), std::nullopt);
      done = true;
    }
    json view = {{"title", done ? "You are unsubscribed" : "Unsubscribe from reminders"},
                 {"done", done},
                 {"email", c->email},
                 {"owner", c->owner},
                 {"action", req.path}};
    Response r = StaffPage(200, view["title"].get<std::string>(), "unsubscribe", view, std::nullopt);
    r.Set("Cache-Control", "no-store");
    r.Set("Referrer-Policy", "no-referrer");
    return r;
  };
  router.Add("GET", "/unsubscribe/{id}/{token}", unsubscribe);
  router.Add("POST", "/unsubscribe/{id}/{token}", unsubscribe);

  router.Add("GET", "/publish", [](Request& req) {
    std::string slug = req.Query("source");
    if (slug.empty()) return Response::Redirect("/review");
    return Response::Redirect("/sources/" + PercentEncode(slug) + "/publish");
  });

  // Publishing: a preview first (exactly what will be signed, pinned to the
  // head it names), then publishing that, refused if the head moved since.
  auto publish = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanPublish(*g.who))
      return Message(403, "Only the tracking office publishes",
                     "Coordinators and admins publish official updates.", g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    std::string slug = req.Param("slug");
    auto source = (*store)->GetSource(slug);
    if (!source) return ErrorPage(source.error(), g.who);
    auto pubs = (*store)->ListPublications(slug);
    if (!pubs) return ErrorPage(pubs.error(), g.who);
    Date today = ctx.today();
    std::string title = FormValue(g.form, "title"), as_of_s = FormValue(g.form, "as_of");
    std::string commentary = FormValue(g.form, "commentary"), reason = FormValue(g.form, "reason");
    std::string corrects_s = FormValue(g.form, "corrects"), step = FormValue(g.form, "step");
    FormErrors errors;
    auto error = [&](const std::string& field, const std::string& text) { errors.Add(field, text); };
    json preview = nullptr;
    if (req.method == "POST") {
      PublishRequest pr;
      pr.title = title;
      pr.commentary = commentary;
      pr.reason = reason;
      pr.today = today;
      Date as_of = today;
      if (title.empty() || title.size() > 300) error("title", "Give the update a title (at most 300 characters)");
      if (!as_of_s.empty()) {
        auto d = Date::ParseIso(as_of_s);
        if (!d) error("as_of", "Enter a real day as YYYY-MM-DD, for example " + today.ToIso());
        else as_of = *d;
      }
      if (auto c = CheckCommentary(commentary); !c) error("commentary", "Shorten or fix the commentary: " + c.error().message);
      if (!corrects_s.empty()) {
        auto id = PositiveId(corrects_s);
        if (!id) error("corrects", "Choose a publication from the list");
        else pr.corrects = *id;
      }
      if (errors.empty()) {
        auto data = PreviewPublication(**store, slug, as_of, pr);
        if (!data) {
          const std::string& m = data.error().message;
          std::string field = m.find("as-of date") != std::string::npos ? "as_of"
                              : m.find("title") != std::string::npos   ? "title"
                              : m.find("commentary") != std::string::npos ? "commentary"
                              : m.find("says why") != std::string::npos || m.find("reason") != std::string::npos
                                  ? (m.find("is as of") != std::string::npos ? "corrects" : "reason")
                                  : "corrects";
          if (data.error().code == Error::Code::kCorrupt || data.error().code == Error::Code::kUnavailable ||
              data.error().code == Error::Code::kIo || data.error().code == Error::Code::kInternal)
            return ErrorPage(data.error(), g.who);
          error(field, m);
        } else if (step == "publish" &&
                   FormValue(g.form, "preview_seq") == std::to_string(data->ledger_seq)) {
          auto pub = Publish(ctx, **store, slug, as_of, pr, g.who->actor());
          if (!pub) return ErrorPage(pub.error(), g.who);
          return Done(fmt::format("/publications/{}", pub->id));
        } else {
          if (step == "publish")
            error("title", "The data changed since your preview: read the new preview, then publish");
          preview = {{"seq", data->ledger_seq}, {"markdown", RenderReport(*data, ReportFormat::kMarkdown)}};
        }
      }
    }
    json options = json::array({{{"value", ""}, {"text", "Nothing: a new update"}, {"selected", corrects_s.empty()}}});
    for (const auto& p : *pubs)
      options.push_back({{"value", std::to_string(p.id)},
                         {"text", fmt::format("{}: {} (as of {})", p.id, p.title, p.as_of.ToLong())},
                         {"selected", corrects_s == std::to_string(p.id)}});
    json view = {{"title", "Publish an official update"},
                 {"source", slug},
                 {"source_title", source->title},
                 {"action", "/sources/" + PercentEncode(slug) + "/publish"},
                 {"csrf", auth::MaskCsrf(g.who->csrf_token)},
                 {"update_title", title},
                 {"as_of", as_of_s.empty() ? today.ToIso() : as_of_s},
                 {"today", today.ToIso()},
                 {"earliest", source->date ? source->date->ToIso() : std::string("the source's date")},
                 {"commentary", commentary},
                 {"reason", reason},
                 {"publications", options},
                 {"has_publications", !pubs->empty()},
                 {"preview", errors.empty() ? preview : json(nullptr)}};
    errors.Into(view);
    return StaffPage(errors.empty() ? 200 : 400, "Publish an official update", "auth_publish", view,
                     g.who);
  };
  router.Add("GET", "/sources/{slug}/publish", publish);
  router.Add("POST", "/sources/{slug}/publish", publish);
}

}  // namespace rectrack::web

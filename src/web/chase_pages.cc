#include "web/chase_pages.h"

#include <algorithm>
#include <map>

#include "app/chase.h"
#include "app/views.h"
#include "core/text.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "web/staff_gate.h"

namespace rectrack::web {
namespace {

using json = nlohmann::json;

constexpr int kOutboxShown = 50;
const std::vector<std::string> kStates = {"queued",    "sending",   "sent",     "failed",
                                          "abandoned", "uncertain", "cancelled"};

Response NotOffice(const std::optional<auth::Principal>& who) {
  return Message(403, "Only the tracking office chases",
                 "Coordinators and admins see who is chased and manage contacts and schedules.",
                 who);
}

// The failures of a write that the form shows beside its fields; the others
// (the store broke) get the error page.
bool FormFailure(const Error& e) {
  return e.code == Error::Code::kInvalidInput || e.code == Error::Code::kNotFound ||
         e.code == Error::Code::kConflict;
}

// A message's state as a tag: its words and its colour.
json StateTag(const std::string& state) {
  static const std::map<std::string, std::pair<const char*, const char*>> kTags = {
      {"queued", {"Queued", "blue"}},          {"sending", {"Being sent", "blue"}},
      {"sent", {"Sent", "green"}},             {"failed", {"Failed: to be retried", "orange"}},
      {"abandoned", {"Given up", "red"}},      {"uncertain", {"Uncertain", "red"}},
      {"cancelled", {"Cancelled", "grey"}}};
  auto it = kTags.find(state);
  if (it == kTags.end()) return {{"text", state}, {"colour", "grey"}};
  return {{"text", it->second.first}, {"colour", it->second.second}};
}

bool Resendable(const std::string& state) {
  return state == "uncertain" || state == "failed" || state == "abandoned" ||
         state == "cancelled";
}

std::string ScheduleDays(const ChaseSchedule& s) {
  if (s.before.empty()) return "None";
  std::vector<std::string> days;
  for (int d : s.before) days.push_back(std::to_string(d));
  return fmt::format("{} days before", fmt::join(days, ", "));
}

std::string EveryText(int days) {
  return days == 0 ? "Once" : fmt::format("Every {}", Plural(days, "day", "days"));
}

// What a stage ("due-7", "overdue-3", "target-2026-01-31-0", "returned-41")
// chased, in words.
std::string StageWords(const std::string& stage) {
  if (stage.rfind("due-", 0) == 0) return "reminder: response due within " + Plural(std::atoi(stage.c_str() + 4), "day", "days");
  if (stage.rfind("overdue-", 0) == 0) return "response overdue";
  if (stage.rfind("target-", 0) == 0) return "implementation target passed";
  if (stage.rfind("returned-", 0) == 0) return "update returned";
  return stage;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      if (in[i] != '\r') out += in[i];
      continue;
    }
    if (in.substr(i + 1, 2) == "\r\n") {  // a soft line break
      i += 2;
    } else if (i + 2 < in.size() && HexDigit(in[i + 1]) >= 0 && HexDigit(in[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(in[i + 1]) * 16 + HexDigit(in[i + 2]));
      i += 2;
    } else {
      out += '=';
    }
  }
  return out;
}

// A message as a person reads it: its header block, and its plain-text part
// decoded (empty when it has none that this reads).
struct ReadableMessage {
  std::string headers, text;
};
ReadableMessage Readable(const std::string& message) {
  ReadableMessage r;
  const size_t end = message.find("\r\n\r\n");
  r.headers = message.substr(0, end);
  r.headers.erase(std::remove(r.headers.begin(), r.headers.end(), '\r'), r.headers.end());
  size_t part = message.find("Content-Type: text/plain", end);
  if (part == std::string::npos) return r;
  const size_t body = message.find("\r\n\r\n", part);
  if (body == std::string::npos) return r;
  const size_t stop = message.find("\r\n--", body + 4);
  std::string_view raw = std::string_view(message).substr(
      body + 4, stop == std::string::npos ? std::string::npos : stop - body - 4);
  const bool qp = message.substr(part, body - part).find("quoted-printable") != std::string::npos;
  r.text = qp ? DecodeQuotedPrintable(raw) : std::string(raw);
  r.text.erase(std::remove(r.text.begin(), r.text.end(), '\r'), r.text.end());
  return r;
}

}  // namespace

void RegisterChasePages(Router& router, WebAuth& auth) {
  AppContext& ctx = auth.ctx();

  // What is due today, per owner, and the outbox.
  router.Add("GET", "/chasing", [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    const std::string state = req.Query("state");
    if (!state.empty() && std::find(kStates.begin(), kStates.end(), state) == kStates.end())
      return Message(400, "There is a problem",
                     fmt::format("There is no state '{}': choose one of {}.", state,
                                 fmt::join(kStates, ", ")),
                     g.who, "/chasing", "Every message");
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const Date today = ctx.today();
    auto plan = PlanChase(**store, today);
    if (!plan) return ErrorPage(plan.error(), g.who);
    json due = json::array();
    size_t items = 0;
    for (const OwnerChase& oc : plan->owners) {
      int counts[4] = {0, 0, 0, 0};
      for (const ChaseItem& it : oc.items) ++counts[static_cast<int>(it.reason)];
      std::vector<std::string> what;
      if (counts[0]) what.push_back(Plural(counts[0], "response due soon", "responses due soon"));
      if (counts[1]) what.push_back(Plural(counts[1], "overdue response", "overdue responses"));
      if (counts[2]) what.push_back(Plural(counts[2], "passed target", "passed targets"));
      if (counts[3]) what.push_back(Plural(counts[3], "returned update", "returned updates"));
      std::vector<std::string> to;
      for (const Contact& c : oc.contacts) to.push_back(c.email);
      due.push_back({{"owner", oc.owner.name},
                     {"owner_href", fmt::format("/owners/{}", oc.owner.id)},
                     {"what", fmt::format("{}", fmt::join(what, "; "))},
                     {"to", fmt::format("{}", fmt::join(to, ", "))}});
      items += oc.items.size();
    }
    json without = json::array();
    for (const std::string& name : plan->without_contacts)
      without.push_back(
          {{"owner", name}, {"href", "/chasing/contacts?owner=" + PercentEncode(name) + "#add"}});
    auto messages = ListOutbox(**store, state, kOutboxShown);
    if (!messages) return ErrorPage(messages.error(), g.who);
    json rows = json::array();
    for (const OutboxMessage& m : *messages)
      rows.push_back({{"id", m.id},
                      {"href", fmt::format("/chasing/outbox/{}", m.id)},
                      {"kind", m.kind == "digest" ? "Weekly digest" : "Chaser"},
                      {"recipient", m.recipient},
                      {"subject", m.subject},
                      {"tag", StateTag(m.state)},
                      {"when", LongTimestamp(m.sent_at.empty() ? m.queued_at : m.sent_at)},
                      {"error", m.last_error}});
    json filters = json::array({{{"value", ""}, {"text", "Every state"}, {"selected", state.empty()}}});
    for (const std::string& s : kStates)
      filters.push_back(
          {{"value", s}, {"text", StateTag(s)["text"]}, {"selected", s == state}});
    json view = {
        {"title", "Chasing"},
        {"today", today.ToLong()},
        {"due", due},
        {"has_due", !due.empty()},
        {"due_text",
         due.empty() ? std::string("No owner with a contact has anything new to be chased for today.")
                     : fmt::format("{} for {} to {}.", Plural(static_cast<int64_t>(items), "item", "items"),
                                   Plural(static_cast<int64_t>(due.size()), "owner", "owners"),
                                   "be chased")},
        {"digests", Plural(static_cast<int64_t>(plan->digests.size()), "weekly digest", "weekly digests")},
        {"has_digests", !plan->digests.empty()},
        {"without", without},
        {"has_without", !without.empty()},
        {"without_text",
         fmt::format("{} due for {} with no contact: nothing can go to them.",
                     Plural(plan->items_without_contacts, "item", "items"),
                     Plural(static_cast<int64_t>(without.size()), "owner", "owners"))},
        {"messages", rows},
        {"has_messages", !rows.empty()},
        {"filters", filters},
        {"state", state},
        {"shown_text", rows.size() >= static_cast<size_t>(kOutboxShown)
                           ? fmt::format("The {} newest.", kOutboxShown)
                           : std::string()}};
    return StaffPage(200, "Chasing", "chasing", view, g.who);
  });

  // One message, as sent; one that may not have gone can be sent again.
  auto message = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    auto id = PositiveId(req.Param("id"));
    if (!id) return Message(404, "Page not found", "No such message.", g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const std::string back = fmt::format("/chasing/outbox/{}", *id);
    if (req.method == "POST") {
      auto s = ResendMessage(**store, *id, g.who->actor());
      if (!s && FormFailure(s.error()))
        return Message(s.error().code == Error::Code::kNotFound ? 404 : 409,
                       "This message cannot be sent again", SentenceCase(s.error().message),
                       g.who, back, "Back to the message");
      if (!s) return ErrorPage(s.error(), g.who);
      return Done(back + "?done=resend");
    }
    auto m = GetOutboxMessage(**store, *id);
    if (!m) return ErrorPage(m.error(), g.who);
    json items = json::array();
    for (const auto& [assignment_id, stage] : m->items) {
      auto a = (*store)->GetAssignment(assignment_id);
      if (!a) {
        items.push_back({{"text", fmt::format("Assignment {} (removed)", assignment_id)},
                         {"href", nullptr}, {"stage", StageWords(stage)}});
        continue;
      }
      items.push_back({{"text", fmt::format("{} {}: {}", a->source_slug, a->ref, a->owner)},
                       {"href", fmt::format("/recommendations/{}", a->recommendation_id)},
                       {"stage", StageWords(stage)}});
    }
    const ReadableMessage readable = Readable(m->message);
    auto as_of = Date::ParseIso(m->as_of);
    json view = {{"title", fmt::format("Message {}", m->id)},
                 {"subject", m->subject},
                 {"recipient", m->recipient},
                 {"what", fmt::format("{} {}, as of {}", m->kind == "digest" ? "Weekly digest" : "Chaser",
                                      m->id, as_of ? as_of->ToLong() : m->as_of)},
                 {"tag", StateTag(m->state)},
                 {"attempts", Plural(m->attempts, "attempt", "attempts")},
                 {"queued", LongTimestamp(m->queued_at)},
                 {"sent", m->sent_at.empty() ? json(nullptr) : json(LongTimestamp(m->sent_at))},
                 {"error", m->last_error.empty() ? json(nullptr) : json(m->last_error)},
                 {"message_id", m->message_id},
                 {"items", items},
                 {"has_items", !items.empty()},
                 {"headers", readable.headers},
                 {"text", readable.text},
                 {"resendable", Resendable(m->state)},
                 {"uncertain", m->state == "uncertain"},
                 {"action", back + "/resend"},
                 {"csrf", auth::MaskCsrf(g.who->csrf_token)},
                 {"done", req.Query("done") == "resend"}};
    return StaffPage(200, fmt::format("Message {}", m->id), "chasing_message", view, g.who);
  };
  router.Add("GET", "/chasing/outbox/{id}", message);
  router.Add("POST", "/chasing/outbox/{id}/resend", message);

  // The contacts, with the form to add one (shown again with its errors).
  auto contacts = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const bool post = req.method == "POST";
    std::string owner = post ? FormValue(g.form, "owner") : req.Query("owner");
    const std::string email = FormValue(g.form, "email"), name = FormValue(g.form, "name"),
                      role = FormValue(g.form, "role");
    FormErrors errors;
    if (post) {
      if (owner.empty()) errors.Add("owner", "Enter the body's name, as on the owners page");
      if (email.empty())
        errors.Add("email", "Enter the contact's e-mail address");
      else if (auto ok = CheckEmailAddress(email); !ok)
        errors.Add("email", "Enter an e-mail address like name@example.org");
      if (name.size() > 200) errors.Add("name", "Shorten the name to 200 characters");
      if (role.size() > 200) errors.Add("role", "Shorten the role to 200 characters");
      if (errors.empty()) {
        auto c = AddContact(**store, owner, email, name, role, g.who->actor());
        if (c)
          return Done("/chasing/contacts?owner=" + PercentEncode(c->owner) +
                      "&added=" + PercentEncode(c->email));
        if (!FormFailure(c.error())) return ErrorPage(c.error(), g.who);
        errors.Add(c.error().code == Error::Code::kConflict ? "email" : "owner",
                   SentenceCase(c.error().message));
      }
    }
    // One owner's contacts when it is named and known, else everyone's.
    std::string shown_owner = post ? "" : owner;
    auto list = ListContacts(**store, shown_owner);
    if (!list && list.error().code == Error::Code::kNotFound && !shown_owner.empty()) {
      errors.Add("owner", SentenceCase(list.error().message));
      shown_owner.clear();
      list = ListContacts(**store, "");
    }
    if (!list) return ErrorPage(list.error(), g.who);
    const std::string csrf = auth::MaskCsrf(g.who->csrf_token);
    json rows = json::array();
    for (const Contact& c : *list)
      rows.push_back({{"owner", c.owner},
                      {"owner_href", fmt::format("/owners/{}", c.owner_id)},
                      {"email", c.email},
                      {"name", c.name},
                      {"role", c.role},
                      {"subscribed", c.unsubscribed_at.empty()},
                      {"unsubscribed", c.unsubscribed_at.empty() ? std::string()
                                                                 : LongTimestamp(c.unsubscribed_at)},
                      {"csrf", csrf}});
    json view = {{"title", shown_owner.empty() ? std::string("Contacts")
                                               : "Contacts of " + shown_owner},
                 {"contacts", rows},
                 {"has_contacts", !rows.empty()},
                 {"count_text", Plural(static_cast<int64_t>(rows.size()), "contact", "contacts")},
                 {"filtered", !shown_owner.empty()},
                 {"csrf", csrf},
                 {"owner", owner},
                 {"email", email},
                 {"name", name},
                 {"role", role},
                 {"added", post ? json(nullptr) : json(req.Query("added"))},
                 {"removed", post ? json(nullptr) : json(req.Query("removed"))}};
    if (view["added"] == "") view["added"] = nullptr;
    if (view["removed"] == "") view["removed"] = nullptr;
    errors.Into(view);
    return StaffPage(errors.empty() ? 200 : 400, view["title"].get<std::string>(),
                     "chasing_contacts", view, g.who);
  };
  router.Add("GET", "/chasing/contacts", contacts);
  router.Add("POST", "/chasing/contacts", contacts);

  router.Add("POST", "/chasing/contacts/remove", [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    const std::string owner = FormValue(g.form, "owner"), email = FormValue(g.form, "email");
    auto s = RemoveContact(**store, owner, email, g.who->actor());
    if (!s && FormFailure(s.error()))
      return Message(404, "There is no such contact", SentenceCase(s.error().message), g.who,
                     "/chasing/contacts", "Back to the contacts");
    if (!s) return ErrorPage(s.error(), g.who);
    return Done("/chasing/contacts?owner=" + PercentEncode(owner) +
                "&removed=" + PercentEncode(email));
  });

  // The schedules, and the form to set one kind's.
  auto schedules = [&auth, &ctx](Request& req) {
    PageGate g = Gate(auth, req);
    if (g.refusal) return *g.refusal;
    if (!auth::CanValidate(*g.who)) return NotOffice(g.who);
    auto store = ctx.stores->Get();
    if (!store) return ErrorPage(store.error(), g.who);
    auto kinds = KindsInStore(**store);
    if (!kinds) return ErrorPage(kinds.error(), g.who);
    auto set = LoadChaseSchedules(**store);
    if (!set) return ErrorPage(set.error(), g.who);
    const bool post = req.method == "POST";
    std::string kind = post ? FormValue(g.form, "kind") : req.Query("kind");
    if (kind.empty()) kind = "default";
    const ChaseSchedule current = ScheduleFor(*set, kind);
    std::string before = post ? FormValue(g.form, "before") : FormatDayList(current.before);
    std::string overdue = post ? FormValue(g.form, "overdue_every")
                               : std::to_string(current.overdue_every);
    std::string target = post ? FormValue(g.form, "target_every")
                              : std::to_string(current.target_every);
    std::string enabled = post ? FormValue(g.form, "enabled") : (current.enabled ? "on" : "off");
    FormErrors errors;
    if (post) {
      ChaseSchedule s = current;
      if (kind != "default" && !std::binary_search(kinds->begin(), kinds->end(), kind))
        errors.Add("kind", "Choose a kind of source from the list");
      if (auto days = ParseDayList(before); !days)
        errors.Add("before", "Enter days before the due date as numbers from 1 to 365 separated "
                             "by commas, such as 14, 7, 1 (or leave it empty)");
      else
        s.before = *days;
      auto days_of = [&](const std::string& v, const char* field, int* out) {
        if (auto n = ParseIntervalDays(v))
          *out = *n;
        else
          errors.Add(field, "Enter a number of days from 0 (only once) to 365");
      };
      days_of(overdue, "overdue_every", &s.overdue_every);
      days_of(target, "target_every", &s.target_every);
      if (enabled != "on" && enabled != "off")
        errors.Add("enabled", "Choose whether to chase this kind");
      s.enabled = enabled == "on";
      if (errors.empty()) {
        auto r = SetChaseSchedule(**store, kind, s, g.who->actor());
        if (r) return Done("/chasing/schedules?done=" + PercentEncode(kind));
        if (!FormFailure(r.error())) return ErrorPage(r.error(), g.who);
        errors.Add("kind", SentenceCase(r.error().message));
      }
    }
    json rows = json::array(), options = json::array();
    std::vector<std::string> all = {"default"};
    all.insert(all.end(), kinds->begin(), kinds->end());
    for (const std::string& k : all) {
      const ChaseSchedule& s = ScheduleFor(*set, k);
      const bool own = set->count(k) > 0;
      rows.push_back({{"kind", k == "default" ? std::string("Default") : k},
                      {"href", "/chasing/schedules?kind=" + PercentEncode(k) + "#set"},
                      {"before", ScheduleDays(s)},
                      {"overdue", EveryText(s.overdue_every)},
                      {"target", EveryText(s.target_every)},
                      {"enabled", s.enabled},
                      {"note", k == "default" ? (own ? "" : "built in")
                                              : (own ? "" : "the default's")}});
      options.push_back({{"value", k},
                         {"text", k == "default" ? std::string("Default (kinds without their own)") : k},
                         {"selected", k == kind}});
    }
    json view = {{"title", "Chase schedules"},
                 {"rows", rows},
                 {"kinds", options},
                 {"csrf", auth::MaskCsrf(g.who->csrf_token)},
                 {"before", before},
                 {"overdue_every", overdue},
                 {"target_every", target},
                 {"enabled_on", enabled == "on"},
                 {"enabled_off", enabled == "off"},
                 {"done", post ? json(nullptr) : json(req.Query("done"))}};
    if (view["done"] == "") view["done"] = nullptr;
    errors.Into(view);
    return StaffPage(errors.empty() ? 200 : 400, "Chase schedules", "chasing_schedules", view,
                     g.who);
  };
  router.Add("GET", "/chasing/schedules", schedules);
  router.Add("POST", "/chasing/schedules", schedules);
}

}  // namespace rectrack::web

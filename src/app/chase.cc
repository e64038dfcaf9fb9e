#include "app/chase.h"

#include <signal.h>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <unordered_map>

#include "app/facts_index.h"
#include "app/views.h"
#include "core/signing.h"
#include "core/status.h"
#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

const TableDef& T(std::string_view name) { return *FindProjectedTable(name); }

template <typename F>
auto Transaction(Store& s, F&& fn) -> decltype(fn()) {
  auto b = s.Begin();
  if (!b) return Fail(b.error());
  auto r = fn();
  if (!r) {
    s.Rollback();
    return r;
  }
  auto c = s.Commit();
  if (!c) return Fail(c.error());
  return r;
}

Result<std::vector<Row>> RowsWhere(Store& store, std::string_view table, std::string_view column,
                                   const Value& v) {
  auto cursor = store.ScanRowsWhere(T(table), column, v);
  if (!cursor) return Fail(cursor.error());
  std::vector<Row> rows;
  Row row;
  while (true) {
    auto more = (*cursor)->Next(&row);
    if (!more) return Fail(more.error());
    if (!*more) break;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string TextOf(const Value& v) { return v.is_null() ? std::string() : v.s; }
Value TextOrNull(const std::string& s) { return s.empty() ? Value::Null() : Value::Text(s); }
Value IdOrNull(const std::optional<int64_t>& id) { return id ? Value::Int(*id) : Value::Null(); }
std::optional<int64_t> OptId(const Value& v) {
  return v.is_null() ? std::nullopt : std::optional<int64_t>(v.i);
}

// A name, role or other text that goes into a message header: one line.
Status CheckHeaderText(std::string_view what, std::string_view s) {
  if (s.size() > 200) return Fail(Error::Invalid(fmt::format("the {} is longer than 200 bytes", what)));
  if (!IsValidUtf8(s)) return Fail(Error::Invalid(fmt::format("the {} is not valid UTF-8", what)));
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return Fail(Error::Invalid(fmt::format("the {} holds a control character", what)));
  return {};
}

Result<Owner> FindOwner(Store& store, const std::string& name) {
  auto owners = store.ListOwners();
  if (!owners) return Fail(owners.error());
  for (auto& o : *owners) {
    if (o.name == name) return o;
    for (const auto& a : o.aliases)
      if (a == name) return o;
  }
  std::vector<std::string> names;
  for (const auto& o : *owners) names.push_back(o.name);
  std::string guess = ClosestMatch(name, names);
  return Fail(Error::NotFound(fmt::format("no owner '{}'{} (see `rectrack owner list`)", name,
                                          guess.empty() ? "" : fmt::format("; did you mean '{}'?", guess))));
}

Contact ContactOf(const Row& r) {
  Contact c;
  c.id = r[0].i;
  c.owner_id = r[1].i;
  c.email = r[2].s;
  c.name = r[3].s;
  c.role = r[4].s;
  c.created_at = r[5].s;
  c.unsubscribed_at = TextOf(r[6]);
  c.unsubscribe_token = r[7].s;
  return c;
}

Row RowOf(const Contact& c) {
  return {Value::Int(c.id),          Value::Int(c.owner_id),   Value::Text(c.email),
          Value::Text(c.name),       Value::Text(c.role),      Value::Text(c.created_at),
          TextOrNull(c.unsubscribed_at), Value::Text(c.unsubscribe_token)};
}

OutboxMessage MessageOf(const Row& r) {
  OutboxMessage m;
  m.id = r[0].i;
  m.kind = r[1].s;
  m.contact_id = OptId(r[2]);
  m.user_id = OptId(r[3]);
  m.owner_id = OptId(r[4]);
  m.recipient = r[5].s;
  m.subject = r[6].s;
  m.message_id = r[7].s;
  m.message = r[8].s;
  m.as_of = r[9].s;
  m.queued_at = r[10].s;
  m.state = r[11].s;
  m.attempts = r[12].i;
  m.next_attempt_at = TextOf(r[13]);
  m.claimed_by = r[14].s;
  m.last_error = r[15].s;
  m.sent_at = TextOf(r[16]);
  return m;
}

Row RowOf(const OutboxMessage& m) {
  return {Value::Int(m.id),          Value::Text(m.kind),        IdOrNull(m.contact_id),
          IdOrNull(m.user_id),       IdOrNull(m.owner_id),       Value::Text(m.recipient),
          Value::Text(m.subject),    Value::Text(m.message_id),  Value::Text(m.message),
          Value::Text(m.as_of),      Value::Text(m.queued_at),   Value::Text(m.state),
          Value::Int(m.attempts),    TextOrNull(m.next_attempt_at), Value::Text(m.claimed_by),
          Value::Text(m.last_error), TextOrNull(m.sent_at)};
}

nlohmann::json AboutMessage(const OutboxMessage& m) {
  nlohmann::json about = {{"outbox_id", m.id}, {"recipient", m.recipient}, {"kind", m.kind}};
  if (m.owner_id) about["owner_id"] = *m.owner_id;
  return about;
}

// Sets columns of an outbox row and records it as one event.
Status UpdateMessage(Store& store, int64_t id, std::string_view kind, nlohmann::json about,
                     const std::vector<std::pair<std::string, Value>>& columns,
                     const Actor& actor) {
  EventPayload p;
  p.about = std::move(about);
  for (const auto& [col, v] : columns) p.changes.Set("outbox", {Value::Int(id)}, col, v);
  auto e = store.RecordChange(actor, kind, p);
  if (!e) return Fail(e.error());
  return {};
}

Date MondayOf(Date d) {
  // 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays.
  int dow = ((d.days() + 3) % 7 + 7) % 7;
  return d.AddDays(-dow);
}

int ReasonOrder(ChaseReason r) {
  switch (r) {
    case ChaseReason::kUpdateReturned: return 0;
    case ChaseReason::kResponseOverdue: return 1;
    case ChaseReason::kResponseDue: return 2;
    case ChaseReason::kTargetPassed: return 3;
  }
  return 4;
}

void SortItems(std::vector<ChaseItem>* items) {
  std::stable_sort(items->begin(), items->end(), [](const ChaseItem& a, const ChaseItem& b) {
    if (ReasonOrder(a.reason) != ReasonOrder(b.reason)) return ReasonOrder(a.reason) < ReasonOrder(b.reason);
    // Overdue and passed: the longest late first; due: the soonest first.
    if (a.days != b.days)
      return a.reason == ChaseReason::kResponseDue ? a.days < b.days : a.days > b.days;
    if (a.source_slug != b.source_slug) return a.source_slug < b.source_slug;
    return a.ref < b.ref;
  });
}

bool ProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

// ---- contacts ------------------------------------------------------------------

Status CheckEmailAddress(std::string_view email) {
  auto bad = [&](std::string_view why) -> Status {
    return Fail(Error::Invalid(fmt::format("'{}' is not an e-mail address: {}", email, why)));
  };
  if (email.empty()) return bad("it is empty");
  if (email.size() > 254) return bad("it is longer than 254 characters");
  size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == email.size())
    return bad("it needs a name, an @ and a domain");
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.size() > 64) return bad("the part before the @ is longer than 64 characters");
  for (unsigned char c : local) {
    if (c <= 0x20 || c >= 0x7f || std::string_view("\"(),:;<>@[\\]").find(static_cast<char>(c)) !=
                                      std::string_view::npos)
      return bad("the part before the @ holds a space, a quote, a bracket or another character "
                 "that an address cannot have");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return bad("dots cannot start, end or repeat in the part before the @");
  for (unsigned char c : domain)
    if (!(std::isalnum(c) || c == '-' || c == '.'))
      return bad("the domain may hold only letters, digits, hyphens and dots");
  if (domain.front() == '.' || domain.back() == '.' || domain.front() == '-' ||
      domain.find("..") != std::string_view::npos)
    return bad("the domain is not a host name");
  return {};
}

Result<Contact> AddContact(Store& store, const std::string& owner, const std::string& email,
                           const std::string& name, const std::string& role, const Actor& actor) {
  RT_TRY(CheckEmailAddress(email));
  RT_TRY(CheckHeaderText("name", name));
  RT_TRY(CheckHeaderText("role", role));
  return Transaction(store, [&]() -> Result<Contact> {
    auto o = FindOwner(store, owner);
    if (!o) return Fail(o.error());
    auto existing = RowsWhere(store, "owner_contacts", "owner_id", Value::Int(o->id));
    if (!existing) return Fail(existing.error());
    for (const auto& r : *existing)
      if (ToLowerAscii(r[2].s) == ToLowerAscii(email))
        return Fail(Error::Conflict(fmt::format("{} is already a contact of {}", r[2].s, o->name)));
    auto id = store.NextRowId(T("owner_contacts"));
    if (!id) return Fail(id.error());
    Contact c;
    c.id = *id;
    c.owner_id = o->id;
    c.owner = o->name;
    c.email = email;
    c.name = name;
    c.role = role;
    c.created_at = UtcTimestamp(UnixMillisNow());
    c.unsubscribe_token = RandomHex(16);
    EventPayload p;
    p.about = {{"owner", o->name}, {"email", email}};
    p.changes.Insert("owner_contacts", RowOf(c));
    auto e = store.RecordChange(actor, "contact_add", p);
    if (!e) return Fail(e.error());
    return c;
  });
}

Result<std::vector<Contact>> ListContacts(Store& store, const std::string& owner) {
  auto owners = store.ListOwners();
  if (!owners) return Fail(owners.error());
  std::unordered_map<int64_t, std::string> names;
  for (const auto& o : *owners) names[o.id] = o.name;
  std::vector<Contact> out;
  if (!owner.empty()) {
    auto o = FindOwner(store, owner);
    if (!o) return Fail(o.error());
    auto rows = RowsWhere(store, "owner_contacts", "owner_id", Value::Int(o->id));
    if (!rows) return Fail(rows.error());
    for (const auto& r : *rows) out.push_back(ContactOf(r));
  } else {
    RT_TRY(store.ScanTable(T("owner_contacts"), [&](Row& r) {
      out.push_back(ContactOf(r));
      return true;
    }));
  }
  for (auto& c : out) c.owner = names[c.owner_id];
  std::stable_sort(out.begin(), out.end(), [](const Contact& a, const Contact& b) {
    return a.owner != b.owner ? a.owner < b.owner : a.email < b.email;
  });
  return out;
}

Result<Contact> GetContact(Store& store, int64_t id) {
  auto r = store.GetRow(T("owner_contacts"), {Value::Int(id)});
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no contact {}", id)));
  Contact c = ContactOf(**r);
  auto owners = store.ListOwners();
  if (!owners) return Fail(owners.error());
  for (const auto& o : *owners)
    if (o.id == c.owner_id) c.owner = o.name;
  return c;
}

Status RemoveContact(Store& store, const std::string& owner, const std::string& email,
                     const Actor& actor) {
  auto r = Transaction(store, [&]() -> Result<int64_t> {
    auto o = FindOwner(store, owner);
    if (!o) return Fail(o.error());
    auto rows = RowsWhere(store, "owner_contacts", "owner_id", Value::Int(o->id));
    if (!rows) return Fail(rows.error());
    for (const auto& row : *rows) {
      if (ToLowerAscii(row[2].s) != ToLowerAscii(email)) continue;
      EventPayload p;
      p.about = {{"owner", o->name}, {"email", row[2].s}};
      p.changes.Delete("owner_contacts", {row[0]});
      auto e = store.RecordChange(actor, "contact_remove", p);
      if (!e) return Fail(e.error());
      return row[0].i;
    }
    return Fail(Error::NotFound(fmt::format("{} is not a contact of {}", email, o->name)));
  });
  if (!r) return Fail(r.error());
  return {};
}

Result<bool> UnsubscribeContact(Store& store, int64_t id, std::string_view token) {
  return Transaction(store, [&]() -> Result<bool> {
    auto r = store.GetRow(T("owner_contacts"), {Value::Int(id)});
    if (!r) return Fail(r.error());
    const Error gone = Error::NotFound("this unsubscribe link is not valid (it may be mistyped, or "
                                       "the contact was removed)");
    if (!*r) return Fail(gone);
    Contact c = ContactOf(**r);
    if (token.size() != c.unsubscribe_token.size() ||
        sodium_memcmp(token.data(), c.unsubscribe_token.data(), token.size()) != 0)
      return Fail(gone);
    if (!c.unsubscribed_at.empty()) return false;
    EventPayload p;
    p.about = {{"contact_id", id}};
    p.changes.Set("owner_contacts", {Value::Int(id)}, "unsubscribed_at",
                  Value::Text(UtcTimestamp(UnixMillisNow())));
    auto e = store.RecordChange(Actor{fmt::format("contact:{}", id)}, "contact_unsubscribe", p);
    if (!e) return Fail(e.error());
    return true;
  });
}

Status SetUserEmail(Store& store, const std::string& user, const std::string& email,
                    const Actor& actor) {
  if (!email.empty()) RT_TRY(CheckEmailAddress(email));
  auto r = Transaction(store, [&]() -> Result<int64_t> {
    auto u = store.GetUser(user);
    if (!u) return Fail(u.error());
    auto have = store.GetRow(T("user_emails"), {Value::Int(u->id)});
    if (!have) return Fail(have.error());
    EventPayload p;
    p.about = {{"user", u->name}, {"email", email}};
    if (email.empty()) {
      if (!*have) return int64_t{0};
      p.changes.Delete("user_emails", {Value::Int(u->id)});
    } else if (*have) {
      p.changes.Set("user_emails", {Value::Int(u->id)}, "email", Value::Text(email));
    } else {
      p.changes.Insert("user_emails", {Value::Int(u->id), Value::Text(email)});
    }
    auto e = store.RecordChange(actor, "user_email", p);
    if (!e) return Fail(e.error());
    return u->id;
  });
  if (!r) return Fail(r.error());
  return {};
}

Result<std::map<int64_t, std::string>> UserEmails(Store& store) {
  std::map<int64_t, std::string> out;
  RT_TRY(store.ScanTable(T("user_emails"), [&](Row& r) {
    out[r[0].i] = r[1].s;
    return true;
  }));
  return out;
}

// ---- schedules -------------------------------------------------------------------

Result<std::map<std::string, ChaseSchedule>> LoadChaseSchedules(Store& store) {
  std::map<std::string, ChaseSchedule> out;
  Status bad;
  RT_TRY(store.ScanTable(T("chase_schedules"), [&](Row& r) {
    ChaseSchedule s;
    auto days = ParseDayList(r[1].s);
    if (!days) {
      bad = Fail(Error::Corrupt(fmt::format("the chase schedule of '{}': {}", r[0].s,
                                            days.error().message)));
      return false;
    }
    s.before = *days;
    s.overdue_every = static_cast<int>(r[2].i);
    s.target_every = static_cast<int>(r[3].i);
    s.enabled = r[4].i != 0;
    out[r[0].s] = s;
    return true;
  }));
  if (!bad) return Fail(bad.error());
  return out;
}

const ChaseSchedule& ScheduleFor(const std::map<std::string, ChaseSchedule>& schedules,
                                 const std::string& kind) {
  static const ChaseSchedule kDefault;
  auto it = schedules.find(kind);
  if (it != schedules.end()) return it->second;
  it = schedules.find("default");
  return it != schedules.end() ? it->second : kDefault;
}

Status SetChaseSchedule(Store& store, const std::string& kind, const ChaseSchedule& s,
                        const Actor& actor) {
  if (s.overdue_every < 0 || s.overdue_every > 365 || s.target_every < 0 || s.target_every > 365)
    return Fail(Error::Invalid("chase intervals are days from 0 (once) to 365"));
  auto r = Transaction(store, [&]() -> Result<int> {
    if (kind != "default") {
      auto known = KindsInStore(store);
      if (!known) return Fail(known.error());
      const std::vector<std::string>& kinds = *known;
      if (!std::binary_search(kinds.begin(), kinds.end(), kind)) {
        std::string guess = ClosestMatch(kind, kinds);
        return Fail(Error::NotFound(fmt::format(
            "no source of kind '{}'{}: give one of {} or default", kind,
            guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess),
            kinds.empty() ? std::string("(none yet)") : Join(kinds, ", "))));
      }
    }
    auto have = store.GetRow(T("chase_schedules"), {Value::Text(kind)});
    if (!have) return Fail(have.error());
    Row row = {Value::Text(kind), Value::Text(FormatDayList(s.before)), Value::Int(s.overdue_every),
               Value::Int(s.target_every), Value::Int(s.enabled ? 1 : 0)};
    EventPayload p;
    p.about = {{"kind", kind}};
    if (*have) {
      const auto& t = T("chase_schedules");
      for (size_t i = 1; i < row.size(); ++i)
        p.changes.Set("chase_schedules", {Value::Text(kind)}, std::string(t.columns[i].name), row[i]);
    } else {
      p.changes.Insert("chase_schedules", row);
    }
    auto e = store.RecordChange(actor, "chase_schedule", p);
    if (!e) return Fail(e.error());
    return 0;
  });
  if (!r) return Fail(r.error());
  return {};
}

// ---- what is due -----------------------------------------------------------------

Result<ChasePlan> PlanChase(Store& store, Date as_of) {
  ChasePlan plan;
  plan.as_of = as_of;
  auto facts = store.LoadFacts(FactsFilter{});
  if (!facts) return Fail(facts.error());
  auto schedules = LoadChaseSchedules(store);
  if (!schedules) return Fail(schedules.error());
  std::set<std::pair<int64_t, std::string>> chased;
  RT_TRY(store.ScanTable(T("chase_items"), [&](Row& r) {
    chased.emplace(r[1].i, r[2].s);
    return true;
  }));

  // Every assignment's state as of the date, read as the pages read it.
  FactsIndex index(*facts, as_of);
  std::unordered_map<int64_t, const AssignmentAsOf*> by_assignment;
  for (const auto& c : index.computed()) by_assignment[c.a->id] = &c;

  std::map<int64_t, std::vector<ChaseItem>> by_owner;  // new items
  std::vector<ChaseItem> due_soon, overdue;            // for digests: all, chased or not
  std::set<int64_t> overdue_owner_ids;
  auto item_of = [&](const AssignmentAsOf& c) {
    ChaseItem it;
    it.assignment_id = c.a->id;
    it.recommendation_id = c.rec->id;
    it.source_slug = c.source->slug;
    it.source_title = c.source->title;
    it.source_kind = c.source->kind;
    it.ref = c.rec->ref;
    return it;
  };
  for (const auto& c : index.computed()) {
    const ChaseSchedule& sched = ScheduleFor(*schedules, c.source->kind);
    const auto& due = c.due;
    bool awaiting = c.st.response_status == ResponseStatus::kPending ||
                    c.st.response_status == ResponseStatus::kOverdue;
    if (awaiting && due) {
      ChaseSchedule all = sched;
      all.before = {14};
      if (auto stage = ResponseStage(all, *due, as_of)) {
        ChaseItem it = item_of(c);
        it.reason = stage->reason;
        it.days = stage->days;
        it.date = due;
        if (stage->reason == ChaseReason::kResponseDue) {
          due_soon.push_back(it);
        } else {
          overdue.push_back(it);
          overdue_owner_ids.insert(c.a->owner_id);
        }
      }
      if (sched.enabled) {
        if (auto stage = ResponseStage(sched, *due, as_of);
            stage && !chased.count({c.a->id, stage->stage})) {
          ChaseItem it = item_of(c);
          it.reason = stage->reason;
          it.stage = stage->stage;
          it.days = stage->days;
          it.date = due;
          by_owner[c.a->owner_id].push_back(std::move(it));
        }
      }
    }
    if (sched.enabled && c.days_past_target) {
      if (auto stage = TargetStage(sched, *c.target, as_of);
          stage && !chased.count({c.a->id, stage->stage})) {
        ChaseItem it = item_of(c);
        it.reason = stage->reason;
        it.stage = stage->stage;
        it.days = stage->days;
        it.date = c.target;
        by_owner[c.a->owner_id].push_back(std::move(it));
      }
    }
  }

  // Returned updates that nothing came after.
  auto returned = RowsWhere(store, "updates", "state", Value::Text("returned"));
  if (!returned) return Fail(returned.error());
  for (const auto& u : *returned) {
    int64_t update_id = u[0].i, assignment_id = u[1].i;
    std::string stage = fmt::format("returned-{}", update_id);
    if (chased.count({assignment_id, stage})) continue;
    auto later = RowsWhere(store, "updates", "assignment_id", Value::Int(assignment_id));
    if (!later) return Fail(later.error());
    bool answered = std::any_of(later->begin(), later->end(),
                                [&](const Row& r) { return r[0].i > update_id; });
    if (answered) continue;
    auto cit = by_assignment.find(assignment_id);
    if (cit == by_assignment.end()) continue;
    const AssignmentAsOf& c = *cit->second;
    if (!ScheduleFor(*schedules, c.source->kind).enabled) continue;
    ChaseItem it = item_of(c);
    it.reason = ChaseReason::kUpdateReturned;
    it.stage = stage;
    it.update_id = update_id;
    it.return_reason = u[11].s;
    auto date = Date::ParseIso(u[2].s);
    if (date) it.date = *date;
    by_owner[c.a->owner_id].push_back(std::move(it));
  }

  auto contacts = ListContacts(store, "");
  if (!contacts) return Fail(contacts.error());
  std::map<int64_t, std::vector<Contact>> contacts_of;
  for (auto& c : *contacts)
    if (c.unsubscribed_at.empty()) contacts_of[c.owner_id].push_back(std::move(c));
  std::unordered_map<int64_t, const Owner*> owners;
  for (const auto& o : facts->owners) owners[o.id] = &o;
  for (auto& [owner_id, items] : by_owner) {
    auto oit = owners.find(owner_id);
    if (oit == owners.end()) continue;
    auto cit = contacts_of.find(owner_id);
    if (cit == contacts_of.end()) {
      plan.without_contacts.push_back(oit->second->name);
      plan.items_without_contacts += static_cast<int>(items.size());
      continue;
    }
    OwnerChase oc;
    oc.owner = *oit->second;
    oc.contacts = cit->second;
    oc.items = std::move(items);
    SortItems(&oc.items);
    plan.owners.push_back(std::move(oc));
  }
  std::sort(plan.owners.begin(), plan.owners.end(),
            [](const OwnerChase& a, const OwnerChase& b) { return a.owner.name < b.owner.name; });
  std::sort(plan.without_contacts.begin(), plan.without_contacts.end());

  // The week's digests, for admins and coordinators with an address.
  auto emails = UserEmails(store);
  if (!emails) return Fail(emails.error());
  if (!emails->empty()) {
    Date week = MondayOf(as_of);
    std::set<int64_t> sent_this_week;
    auto digests = RowsWhere(store, "outbox", "kind", Value::Text("digest"));
    if (!digests) return Fail(digests.error());
    for (const auto& r : *digests) {
      auto d = Date::ParseIso(r[9].s);
      if (d && MondayOf(*d) == week && !r[3].is_null()) sent_this_week.insert(r[3].i);
    }
    auto users = store.ListUsers();
    if (!users) return Fail(users.error());
    auto waiting = store.SubmittedUpdates();
    if (!waiting) return Fail(waiting.error());
    SortItems(&due_soon);
    SortItems(&overdue);
    for (const auto& u : *users) {
      if (u.disabled || (u.role != "admin" && u.role != "coordinator")) continue;
      auto e = emails->find(u.id);
      if (e == emails->end() || sent_this_week.count(u.id)) continue;
      if (due_soon.empty() && overdue.empty() && waiting->empty()) continue;
      Digest d;
      d.user = u;
      d.email = e->second;
      d.week = week;
      d.due_soon = due_soon;
      d.overdue = overdue;
      d.overdue_owners = static_cast<int>(overdue_owner_ids.size());
      d.waiting = *waiting;
      plan.digests.push_back(std::move(d));
    }
  }
  return plan;
}

// ---- the outbox ------------------------------------------------------------------

Result<QueuedRun> QueueChase(Store& store, Date as_of, const MessageRenderer& render,
                             const Actor& actor) {
  return Transaction(store, [&]() -> Result<QueuedRun> {
    QueuedRun run;
    auto plan = PlanChase(store, as_of);
    if (!plan) return Fail(plan.error());
    run.plan = std::move(*plan);
    auto next = store.NextRowId(T("outbox"));
    if (!next) return Fail(next.error());
    int64_t id = *next;
    const std::string now = UtcTimestamp(UnixMillisNow());
    EventPayload p;
    int items = 0;
    auto add = [&](const MessageFor& what, OutboxMessage m) -> Status {
      auto r = render(id, what);
      if (!r) return Fail(r.error());
      m.id = id;
      m.subject = r->subject;
      m.message_id = r->message_id;
      m.message = r->message;
      m.as_of = as_of.ToIso();
      m.queued_at = now;
      m.state = "queued";
      p.changes.Insert("outbox", RowOf(m));
      run.ids.push_back(id++);
      return {};
    };
    for (const auto& oc : run.plan.owners) {
      for (const auto& c : oc.contacts) {
        OutboxMessage m;
        m.kind = "chaser";
        m.contact_id = c.id;
        m.owner_id = oc.owner.id;
        m.recipient = c.email;
        RT_TRY(add(MessageFor{&oc, &c, nullptr}, m));
        for (const auto& it : oc.items) {
          p.changes.Insert("chase_items", {Value::Int(run.ids.back()), Value::Int(it.assignment_id),
                                           Value::Text(it.stage)});
          ++items;
        }
      }
    }
    for (const auto& d : run.plan.digests) {
      OutboxMessage m;
      m.kind = "digest";
      m.user_id = d.user.id;
      m.recipient = d.email;
      RT_TRY(add(MessageFor{nullptr, nullptr, &d}, m));
    }
    if (run.ids.empty()) return run;
    p.about = {{"as_of", as_of.ToIso()},
               {"messages", run.ids.size()},
               {"first_id", run.ids.front()},
               {"items", items}};
    auto e = store.RecordChange(actor, "chase_queue", p);
    if (!e) return Fail(e.error());
    return run;
  });
}

int64_t RetryDelayMs(int64_t attempts) {
  int64_t delay = 60 * 1000;
  for (int64_t i = 1; i < attempts && delay < 6 * 3600 * 1000; ++i) delay *= 2;
  return std::min<int64_t>(delay, 6 * 3600 * 1000);
}

Result<std::vector<int64_t>> MarkStaleSends(Store& store, int64_t now_ms, const std::string& host,
                                            const Actor& actor) {
  return Transaction(store, [&]() -> Result<std::vector<int64_t>> {
    std::vector<int64_t> ids;
    auto rows = RowsWhere(store, "outbox", "state", Value::Text("sending"));
    if (!rows) return Fail(rows.error());
    const std::string now = UtcTimestamp(now_ms);
    for (const auto& r : *rows) {
      OutboxMessage m = MessageOf(r);
      // claimed_by: "HOST pid PID"
      bool stale = !m.next_attempt_at.empty() && m.next_attempt_at < now;
      size_t sp = m.claimed_by.rfind(" pid ");
      if (!stale && sp != std::string::npos && m.claimed_by.substr(0, sp) == host) {
        int64_t pid = 0;
        try {
          pid = std::stoll(m.claimed_by.substr(sp + 5));
        } catch (const std::exception&) {
        }
        stale = !ProcessAlive(pid);
      }
      if (!stale) continue;
      nlohmann::json about = AboutMessage(m);
      about["claimed_by"] = m.claimed_by;
      RT_TRY(UpdateMessage(store, m.id, "chase_uncertain", about,
                           {{"state", Value::Text("uncertain")},
                            {"last_error", Value::Text(fmt::format(
                                               "its sender ({}) stopped while sending it: it may "
                                               "or may not have been delivered",
                                               m.claimed_by))},
                            {"next_attempt_at", Value::Null()}},
                           actor));
      ids.push_back(m.id);
    }
    return ids;
  });
}

Result<std::optional<OutboxMessage>> ClaimNextMessage(Store& store, int64_t now_ms,
                                                      const std::string& claimer, bool retry_now,
                                                      const Actor& actor) {
  return Transaction(store, [&]() -> Result<std::optional<OutboxMessage>> {
    const std::string now = UtcTimestamp(now_ms);
    auto queued = RowsWhere(store, "outbox", "state", Value::Text("queued"));
    if (!queued) return Fail(queued.error());
    auto failed = RowsWhere(store, "outbox", "state", Value::Text("failed"));
    if (!failed) return Fail(failed.error());
    std::vector<OutboxMessage> candidates;
    for (const auto& r : *queued) candidates.push_back(MessageOf(r));
    for (const auto& r : *failed) {
      OutboxMessage m = MessageOf(r);
      if (retry_now || m.next_attempt_at.empty() || m.next_attempt_at <= now)
        candidates.push_back(std::move(m));
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const OutboxMessage& a, const OutboxMessage& b) { return a.id < b.id; });
    for (auto& m : candidates) {
      if (m.contact_id) {
        auto c = store.GetRow(T("owner_contacts"), {Value::Int(*m.contact_id)});
        if (!c) return Fail(c.error());
        std::string why;
        if (!*c) why = "the contact was removed before it was sent";
        else if (!(**c)[6].is_null()) why = "the contact unsubscribed before it was sent";
        if (!why.empty()) {
          RT_TRY(UpdateMessage(store, m.id, "chase_cancel", AboutMessage(m),
                               {{"state", Value::Text("cancelled")},
                                {"last_error", Value::Text(why)},
                                {"next_attempt_at", Value::Null()}},
                               actor));
          continue;
        }
      }
      m.state = "sending";
      m.attempts += 1;
      m.claimed_by = claimer;
      m.next_attempt_at = UtcTimestamp(now_ms + kSendLeaseMs);
      nlohmann::json about = AboutMessage(m);
      about["attempt"] = m.attempts;
      RT_TRY(UpdateMessage(store, m.id, "chase_attempt", about,
                           {{"state", Value::Text(m.state)},
                            {"attempts", Value::Int(m.attempts)},
                            {"claimed_by", Value::Text(claimer)},
                            {"next_attempt_at", Value::Text(m.next_attempt_at)}},
                           actor));
      return std::optional<OutboxMessage>(std::move(m));
    }
    return std::optional<OutboxMessage>();
  });
}

Status MarkSent(Store& store, const OutboxMessage& m, int64_t now_ms, const Actor& actor) {
  auto r = Transaction(store, [&]() -> Result<int> {
    auto items = RowsWhere(store, "chase_items", "outbox_id", Value::Int(m.id));
    if (!items) return Fail(items.error());
    nlohmann::json about = AboutMessage(m);
    about["message_id"] = m.message_id;
    nlohmann::json chased = nlohmann::json::array();
    for (const auto& it : *items) chased.push_back({it[1].i, it[2].s});
    about["chased"] = chased;  // [assignment id, stage]
    RT_TRY(UpdateMessage(store, m.id, "chase_sent", about,
                         {{"state", Value::Text("sent")},
                          {"sent_at", Value::Text(UtcTimestamp(now_ms))},
                          {"next_attempt_at", Value::Null()},
                          {"last_error", Value::Text("")}},
                         actor));
    return 0;
  });
  if (!r) return Fail(r.error());
  return {};
}

Result<OutboxMessage> MarkFailed(Store& store, const OutboxMessage& m, const std::string& error,
                                 bool permanent, int64_t now_ms, const Actor& actor) {
  OutboxMessage out = m;
  bool give_up = permanent || m.attempts >= kMaxSendAttempts;
  out.state = give_up ? "abandoned" : "failed";
  out.next_attempt_at = give_up ? "" : UtcTimestamp(now_ms + RetryDelayMs(m.attempts));
  out.last_error = error.substr(0, 2000);
  nlohmann::json about = AboutMessage(m);
  about["error"] = out.last_error;
  about["attempt"] = m.attempts;
  RT_TRY(UpdateMessage(store, m.id, "chase_failed", about,
                       {{"state", Value::Text(out.state)},
                        {"next_attempt_at", TextOrNull(out.next_attempt_at)},
                        {"last_error", Value::Text(out.last_error)}},
                       actor));
  return out;
}

Status ResendMessage(Store& store, int64_t id, const Actor& actor) {
  auto r = Transaction(store, [&]() -> Result<int> {
    auto m = GetOutboxMessage(store, id);
    if (!m) return Fail(m.error());
    if (m->state == "sent")
      return Fail(Error::Conflict(fmt::format("message {} was sent at {}; it is not sent twice",
                                              id, m->sent_at)));
    if (m->state == "queued" || m->state == "sending")
      return Fail(Error::Conflict(fmt::format("message {} is {} already", id, m->state)));
    RT_TRY(UpdateMessage(store, id, "chase_resend", AboutMessage(*m),
                         {{"state", Value::Text("queued")}, {"next_attempt_at", Value::Null()}},
                         actor));
    return 0;
  });
  if (!r) return Fail(r.error());
  return {};
}

Result<OutboxMessage> GetOutboxMessage(Store& store, int64_t id) {
  auto r = store.GetRow(T("outbox"), {Value::Int(id)});
  if (!r) return Fail(r.error());
  if (!*r) return Fail(Error::NotFound(fmt::format("no message {} in the outbox", id)));
  OutboxMessage m = MessageOf(**r);
  auto items = RowsWhere(store, "chase_items", "outbox_id", Value::Int(id));
  if (!items) return Fail(items.error());
  for (const auto& it : *items) m.items.emplace_back(it[1].i, it[2].s);
  return m;
}

Result<std::vector<OutboxMessage>> ListOutbox(Store& store, const std::string& state, int limit) {
  std::vector<OutboxMessage> out;
  if (state.empty()) {
    RT_TRY(store.ScanTable(T("outbox"), [&](Row& r) {
      out.push_back(MessageOf(r));
      return true;
    }));
  } else {
    auto rows = RowsWhere(store, "outbox", "state", Value::Text(state));
    if (!rows) return Fail(rows.error());
    for (const auto& r : *rows) out.push_back(MessageOf(r));
  }
  std::reverse(out.begin(), out.end());
  if (limit > 0 && out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
  return out;
}

Result<std::map<int64_t, ChaseCount>> ChaseCounts(Store& store,
                                                  const std::vector<int64_t>& assignment_ids) {
  std::map<int64_t, ChaseCount> out;
  if (assignment_ids.empty()) return out;
  std::set<int64_t> wanted(assignment_ids.begin(), assignment_ids.end());
  // (assignment, stage) -> the messages that chased it; one pass over the
  // small table, then each message's state once.
  std::map<int64_t, std::map<std::string, std::vector<int64_t>>> chased;
  RT_TRY(store.ScanTable(T("chase_items"), [&](Row& r) {
    if (wanted.count(r[1].i)) chased[r[1].i][r[2].s].push_back(r[0].i);
    return true;
  }));
  std::unordered_map<int64_t, std::string> sent_at;  // outbox id -> sent_at ("" unsent)
  for (const auto& [assignment, stages] : chased) {
    ChaseCount count;
    for (const auto& [stage, messages] : stages) {
      bool any = false;
      for (int64_t id : messages) {
        auto known = sent_at.find(id);
        if (known == sent_at.end()) {
          auto row = store.GetRow(T("outbox"), {Value::Int(id)});
          if (!row) return Fail(row.error());
          std::string at = *row && (**row)[11].s == "sent" ? TextOf((**row)[16]) : std::string();
          known = sent_at.emplace(id, at).first;
        }
        if (known->second.empty()) continue;
        any = true;
        count.last_sent_at = std::max(count.last_sent_at, known->second);
      }
      count.sent += any;
    }
    if (count.sent) out[assignment] = count;
  }
  return out;
}

}  // namespace rectrack

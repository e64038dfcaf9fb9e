#include "cli/chase_commands.h"

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/chase.h"
#include "cli/common.h"
#include "core/text.h"
#include "fmt/format.h"
#include "ingest/csv_reader.h"
#include "ingest/encoding.h"
#include "mail/chase_run.h"
#include "nlohmann/json.hpp"
#include "report/owners_render.h"
#include "web/serve.h"

namespace rectrack::cli {
namespace {

using json = nlohmann::json;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The options every sending run needs, from the command line or the
// environment (RECTRACK_SMTP_URL, RECTRACK_MAIL_FROM, RECTRACK_PUBLIC_URL).
struct SendSettings {
  std::string smtp, smtp_credentials, from, from_name, public_url;
};

Result<mail::Sender> SenderOf(SendSettings s) {
  if (s.from.empty()) s.from = Env("RECTRACK_MAIL_FROM");
  if (s.public_url.empty()) s.public_url = Env("RECTRACK_PUBLIC_URL");
  if (s.from.empty())
    return Fail(Error::Invalid(
        "give --from ADDRESS (or RECTRACK_MAIL_FROM): the address the office's messages come from"));
  RT_TRY(CheckEmailAddress(s.from));
  if (s.public_url.empty())
    return Fail(Error::Invalid(
        "give --public-url URL (or RECTRACK_PUBLIC_URL): the tracker's address as readers reach "
        "it, for the links in the messages"));
  RT_TRY(web::CheckPublicUrl(s.public_url));
  while (!s.public_url.empty() && s.public_url.back() == '/') s.public_url.pop_back();
  mail::Sender sender;
  sender.from = s.from;
  sender.from_name = s.from_name;
  sender.public_url = s.public_url;
  return sender;
}

Result<std::unique_ptr<mail::Mailer>> MailerOf(SendSettings s) {
  if (s.smtp.empty()) s.smtp = Env("RECTRACK_SMTP_URL");
  if (s.smtp.empty())
    return Fail(Error::Invalid(
        "give --smtp URL (or RECTRACK_SMTP_URL): the SMTP server that sends the messages, "
        "smtp://HOST:PORT or smtps://HOST:PORT (or --dry-run to see them without sending)"));
  mail::SmtpOptions o;
  o.url = s.smtp;
  RT_TRY(mail::LoadSmtpCredentials(s.smtp_credentials, &o));
  return mail::OpenSmtpMailer(o);
}

void AddSendOptions(CLI::App* c, SendSettings* s) {
  c->add_option("--smtp", s->smtp,
                "SMTP server: smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT "
                "(default $RECTRACK_SMTP_URL); credentials from $RECTRACK_SMTP_USER and "
                "$RECTRACK_SMTP_PASSWORD or --smtp-credentials");
  c->add_option("--smtp-credentials", s->smtp_credentials,
                "A file (mode 600) holding one line, USER:PASSWORD");
  c->add_option("--from", s->from, "The address messages come from (default $RECTRACK_MAIL_FROM)");
  c->add_option("--from-name", s->from_name, "The office's name, shown as the sender");
  c->add_option("--public-url", s->public_url,
                "The tracker's address as readers reach it, for links (default "
                "$RECTRACK_PUBLIC_URL)");
}

int PrintReport(const mail::ChaseReport& r, Date as_of) {
  std::printf("chase: as of %s: queued %d message%s; sent %d", as_of.ToIso().c_str(), r.queued,
              r.queued == 1 ? "" : "s", r.sent);
  if (r.failed) std::printf(", failed %d (to be retried)", r.failed);
  if (r.abandoned) std::printf(", given up %d", r.abandoned);
  std::printf("; %d waiting in the outbox\n", r.waiting);
  if (!r.without_contacts.empty())
    std::printf("chase: %d item%s due for %zu owner%s with no contact, who cannot be chased: %s "
                "(`rectrack owner contact add OWNER EMAIL`)\n",
                r.items_without_contacts, r.items_without_contacts == 1 ? "" : "s",
                r.without_contacts.size(), r.without_contacts.size() == 1 ? "" : "s",
                Join(r.without_contacts, "; ").c_str());
  for (const auto& e : r.errors) std::fprintf(stderr, "rectrack: %s\n", e.c_str());
  if (r.stopped_on_connection)
    std::fprintf(stderr, "rectrack: the SMTP server could not be used; the other messages wait "
                         "for the next run\n");
  for (int64_t id : r.uncertain)
    std::fprintf(stderr,
                 "rectrack: message %lld was being sent when its run stopped: it may or may not "
                 "have been delivered, so it is not sent again by itself (`rectrack chase outbox "
                 "--show %lld`; `rectrack chase resend %lld` sends it again)\n",
                 static_cast<long long>(id), static_cast<long long>(id), static_cast<long long>(id));
  bool trouble = r.failed || r.abandoned || r.stopped_on_connection || !r.uncertain.empty();
  return trouble ? kError : kOk;
}

json MessageJson(const OutboxMessage& m) {
  json j = {{"id", m.id},         {"kind", m.kind},           {"recipient", m.recipient},
            {"subject", m.subject}, {"state", m.state},       {"attempts", m.attempts},
            {"as_of", m.as_of},   {"queued_at", m.queued_at}, {"sent_at", m.sent_at},
            {"last_error", m.last_error}, {"message_id", m.message_id}};
  json items = json::array();
  for (const auto& [a, stage] : m.items) items.push_back({{"assignment_id", a}, {"stage", stage}});
  j["items"] = items;
  return j;
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::NotFound(fmt::format("{}: cannot be read", path)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ToUtf8(ss.str(), Encoding::kUtf8, path);
}

// owner,email,name,role rows; the header names the columns (any order).
Result<int> ImportContacts(Store& store, const std::string& path) {
  auto text = ReadText(path);
  if (!text) return Fail(text.error());
  CsvReader reader(*text, path);
  std::vector<CsvField> fields;
  std::vector<std::string> header;
  int col_owner = -1, col_email = -1, col_name = -1, col_role = -1, added = 0;
  RT_TRY(store.Begin());
  auto fail = [&](Error e) -> Result<int> {
    store.Rollback();
    return Fail(std::move(e));
  };
  int line = 0;
  while (true) {
    auto more = reader.Next(&fields);
    if (!more) return fail(more.error());
    if (!*more) break;
    ++line;
    if (header.empty()) {
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string h = ToLowerAscii(Trim(fields[i].value));
        header.push_back(h);
        int idx = static_cast<int>(i);
        if (h == "owner") col_owner = idx;
        else if (h == "email" || h == "e-mail") col_email = idx;
        else if (h == "name") col_name = idx;
        else if (h == "role") col_role = idx;
      }
      if (col_owner < 0 || col_email < 0)
        return fail(Error::Invalid(fmt::format(
            "{}:1: the header must name the columns owner and email (and may name name and "
            "role); it names {}",
            path, Join(header, ", "))));
      continue;
    }
    auto cell = [&](int i) {
      return i >= 0 && static_cast<size_t>(i) < fields.size() ? std::string(Trim(fields[i].value))
                                                              : std::string();
    };
    if (cell(col_owner).empty() && cell(col_email).empty()) continue;
    auto c = AddContact(store, cell(col_owner), cell(col_email), cell(col_name), cell(col_role),
                        CliActor());
    if (!c)
      return fail(Error{c.error().code,
                        fmt::format("{}:{}: {}; nothing was imported", path, line, c.error().message)});
    ++added;
  }
  if (auto s = store.Commit(); !s) return Fail(s.error());
  return added;
}

}  // namespace

void AddContactCommands(CLI::App* owner, StoreOpener open,
                        const std::function<void(CLI::App*)>& add_db, int* rc) {
  auto* contact = owner->add_subcommand("contact", "The people an owner's chasers go to");
  contact->require_subcommand(1);

  struct Args {
    std::string owner, email, name, role, format = "table", file;
  };
  auto a = std::make_shared<Args>();

  auto* add = contact->add_subcommand("add", "Add a contact to an owner");
  add_db(add);
  add->add_option("OWNER", a->owner, "Owner (name or alias)")->required();
  add->add_option("EMAIL", a->email, "E-mail address")->required();
  add->add_option("--name", a->name, "The person's name");
  add->add_option("--role", a->role, "Their role (\"PFD responses\", \"head of policy\")");
  add->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto c = AddContact(**store, a->owner, a->email, a->name, a->role, CliActor());
    if (!c) {
      *rc = Report(c.error());
      return;
    }
    std::printf("added %s as a contact of %s (contact %lld)\n", c->email.c_str(), c->owner.c_str(),
                static_cast<long long>(c->id));
  });

  auto* list = contact->add_subcommand("list", "List contacts, of one owner or all");
  add_db(list);
  list->add_option("OWNER", a->owner, "Owner (name or alias); default all");
  list->add_option("--format", a->format, "table, csv or json");
  list->callback([=]() {
    auto f = ParseTableFormat(a->format);
    if (!f) {
      *rc = Report(f.error());
      return;
    }
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto cs = ListContacts(**store, a->owner);
    if (!cs) {
      *rc = Report(cs.error());
      return;
    }
    std::vector<std::vector<std::string>> rows;
    json j = json::array();
    for (const auto& c : *cs) {
      std::string state = c.unsubscribed_at.empty() ? "subscribed" : "unsubscribed " + c.unsubscribed_at.substr(0, 10);
      rows.push_back({c.owner, c.email, c.name, c.role, state});
      j.push_back({{"id", c.id}, {"owner", c.owner}, {"email", c.email}, {"name", c.name},
                   {"role", c.role}, {"created_at", c.created_at},
                   {"unsubscribed_at", c.unsubscribed_at.empty() ? json() : json(c.unsubscribed_at)}});
    }
    std::vector<std::string> header = {"owner", "email", "name", "role", "state"};
    std::string out = *f == TableFormat::kJson  ? j.dump(2) + "\n"
                      : *f == TableFormat::kCsv ? CsvTable(header, rows)
                                                : TextTable(header, rows);
    std::fwrite(out.data(), 1, out.size(), stdout);
  });

  auto* remove = contact->add_subcommand("remove", "Remove a contact from an owner");
  add_db(remove);
  remove->add_option("OWNER", a->owner, "Owner (name or alias)")->required();
  remove->add_option("EMAIL", a->email, "E-mail address")->required();
  remove->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto r = RemoveContact(**store, a->owner, a->email, CliActor());
    if (!r) {
      *rc = Report(r.error());
      return;
    }
    std::printf("removed %s from the contacts of %s\n", a->email.c_str(), a->owner.c_str());
  });

  auto* import = contact->add_subcommand(
      "import", "Add contacts from a CSV file with columns owner, email, name, role (all or none)");
  add_db(import);
  import->add_option("FILE", a->file, "CSV file (UTF-8)")->required();
  import->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto n = ImportContacts(**store, a->file);
    if (!n) {
      *rc = Report(n.error());
      return;
    }
    std::printf("added %d contact%s\n", *n, *n == 1 ? "" : "s");
  });
}

void AddChaseCommands(CLI::App& app, StoreOpener open,
                      const std::function<void(CLI::App*)>& add_db, int* rc) {
  struct Args {
    std::string as_of;
    bool dry_run = false, retry_now = false, send_only = false;
    int max_messages = 100;
    SendSettings send;
    // schedule
    std::string kind, before, overdue_every, target_every;
    bool off = false, on = false;
    // outbox
    std::string state, format = "table";
    int limit = 50;
    int64_t show = 0, resend = 0;
    // user email
    std::string user, email;
  };
  auto a = std::make_shared<Args>();

  auto* chase = app.add_subcommand(
      "chase", "E-mail owners what is due and overdue, and coordinators their weekly digest");
  add_db(chase);
  chase->add_option("--as-of", a->as_of, "Date to chase as of (default today in Europe/London)");
  chase->add_flag("--dry-run", a->dry_run, "Print the messages that would go; send and record nothing");
  chase->add_option("--max", a->max_messages, "Send at most this many messages (default 100)")
      ->check(CLI::Range(1, 100000));
  chase->add_flag("--retry-now", a->retry_now,
                  "Retry failed messages now, without waiting for their backoff");
  chase->add_flag("--send-only", a->send_only, "Send what the outbox holds; queue nothing new");
  AddSendOptions(chase, &a->send);
  chase->callback([=]() {
    if (!chase->get_subcommands().empty()) return;  // a subcommand ran
    auto as_of = AsOf(a->as_of);
    if (!as_of) {
      *rc = Report(as_of.error());
      return;
    }
    auto sender = SenderOf(a->send);
    if (!sender) {
      *rc = Report(sender.error());
      return;
    }
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    mail::ChaseOptions o;
    o.as_of = *as_of;
    o.sender = *sender;
    o.max_messages = a->max_messages;
    o.retry_now = a->retry_now;
    o.queue = !a->send_only;
    if (a->dry_run) {
      ChasePlan plan;
      auto msgs = mail::DryRun(**store, o, &plan);
      if (!msgs) {
        *rc = Report(msgs.error());
        return;
      }
      for (const auto& [m, r] : *msgs) {
        std::printf("To: %s\nSubject: %s\n\n%s\n", m.recipient.c_str(), r.subject.c_str(),
                    r.text.c_str());
        std::printf("----------------------------------------------------------------------\n");
      }
      size_t items = 0;
      for (const auto& oc : plan.owners) items += oc.items.size();
      std::printf("chase: dry run as of %s: %zu message%s would go (%zu item%s for %zu owner%s, "
                  "%zu digest%s); nothing was sent or recorded\n",
                  o.as_of.ToIso().c_str(), msgs->size(), msgs->size() == 1 ? "" : "s", items,
                  items == 1 ? "" : "s", plan.owners.size(), plan.owners.size() == 1 ? "" : "s",
                  plan.digests.size(), plan.digests.size() == 1 ? "" : "s");
      if (!plan.without_contacts.empty())
        std::printf("chase: %d item%s due for owners with no contact: %s\n",
                    plan.items_without_contacts, plan.items_without_contacts == 1 ? "" : "s",
                    Join(plan.without_contacts, "; ").c_str());
      return;
    }
    auto mailer = MailerOf(a->send);
    if (!mailer) {
      *rc = Report(mailer.error());
      return;
    }
    auto r = mail::RunChase(**store, o, **mailer, CliActor(), stdout);
    if (!r) {
      *rc = Report(r.error());
      return;
    }
    *rc = PrintReport(*r, o.as_of);
  });

  auto* schedule = chase->add_subcommand(
      "schedule", "Show the chase schedules, or set one source kind's (or the default)");
  add_db(schedule);
  schedule->add_option("KIND", a->kind, "A source kind of the store, or default");
  schedule->add_option("--before", a->before,
                       "Days before a response is due to remind, such as 14,7,1 ('' for none)");
  schedule->add_option("--overdue-every", a->overdue_every,
                       "Days between chasers of an overdue response (0: only the first)");
  schedule->add_option("--target-every", a->target_every,
                       "Days between chasers of a passed implementation target (0: only the first)");
  auto* off = schedule->add_flag("--off", a->off, "Do not chase this kind");
  schedule->add_flag("--on", a->on, "Chase this kind again")->excludes(off);
  schedule->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto schedules = LoadChaseSchedules(**store);
    if (!schedules) {
      *rc = Report(schedules.error());
      return;
    }
    bool setting = !a->before.empty() || schedule->count("--before") || !a->overdue_every.empty() ||
                   !a->target_every.empty() || a->off || a->on;
    if (setting && a->kind.empty()) {
      *rc = Report(Error::Invalid("name the source kind (or default) whose schedule to set"));
      return;
    }
    if (setting) {
      ChaseSchedule s = ScheduleFor(*schedules, a->kind);
      if (schedule->count("--before")) {
        auto days = ParseDayList(a->before);
        if (!days) {
          *rc = Report(Error::Invalid(fmt::format("--before: {}", days.error().message)));
          return;
        }
        s.before = *days;
      }
      auto days_of = [&](const std::string& v, const char* option, int* out) -> bool {
        if (v.empty()) return true;
        auto n = ParseIntervalDays(v);
        if (!n) {
          *rc = Report(Error::Invalid(fmt::format("{} '{}' must be days from 0 to 365", option, v)));
          return false;
        }
        *out = *n;
        return true;
      };
      if (!days_of(a->overdue_every, "--overdue-every", &s.overdue_every)) return;
      if (!days_of(a->target_every, "--target-every", &s.target_every)) return;
      if (a->off) s.enabled = false;
      if (a->on) s.enabled = true;
      auto r = SetChaseSchedule(**store, a->kind, s, CliActor());
      if (!r) {
        *rc = Report(r.error());
        return;
      }
      auto again = LoadChaseSchedules(**store);
      if (!again) {
        *rc = Report(again.error());
        return;
      }
      schedules = std::move(again);
    }
    std::vector<std::vector<std::string>> rows;
    auto row = [&](const std::string& kind, const ChaseSchedule& s, const char* note) {
      rows.push_back({kind, s.before.empty() ? "none" : FormatDayList(s.before),
                      s.overdue_every ? fmt::format("every {} days", s.overdue_every) : "once",
                      s.target_every ? fmt::format("every {} days", s.target_every) : "once",
                      std::string(s.enabled ? "on" : "off") + note});
    };
    if (!schedules->count("default")) row("default", ChaseSchedule{}, " (built in)");
    for (const auto& [kind, s] : *schedules)
      if (a->kind.empty() || kind == a->kind || !setting) row(kind, s, "");
    std::string t = TextTable({"kind", "days before due", "overdue", "target passed", "chasing"}, rows);
    std::fwrite(t.data(), 1, t.size(), stdout);
  });

  auto* outbox = chase->add_subcommand("outbox", "The messages queued, sent, failed or uncertain");
  add_db(outbox);
  outbox->add_option("--state", a->state,
                     "queued, sending, sent, failed, abandoned, uncertain or cancelled");
  outbox->add_option("--limit", a->limit, "At most this many, newest first (default 50)")
      ->check(CLI::Range(1, 1000000));
  outbox->add_option("--show", a->show, "One message whole, as sent");
  outbox->add_option("--format", a->format, "table or json");
  outbox->callback([=]() {
    static const std::vector<std::string> kStates = {"queued", "sending", "sent", "failed",
                                                     "abandoned", "uncertain", "cancelled"};
    if (!a->state.empty() &&
        std::find(kStates.begin(), kStates.end(), a->state) == kStates.end()) {
      std::string guess = ClosestMatch(a->state, kStates);
      *rc = Report(Error::Invalid(fmt::format("--state '{}': give one of {}{}", a->state,
                                              Join(kStates, ", "),
                                              guess.empty() ? "" : fmt::format("; did you mean {}?", guess))));
      return;
    }
    if (a->format != "table" && a->format != "json") {
      *rc = Report(Error::Invalid(fmt::format("--format '{}': give table or json", a->format)));
      return;
    }
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    if (a->show) {
      auto m = GetOutboxMessage(**store, a->show);
      if (!m) {
        *rc = Report(m.error());
        return;
      }
      if (a->format == "json") {
        json j = MessageJson(*m);
        j["message"] = m->message;
        std::printf("%s\n", j.dump(2).c_str());
      } else {
        std::printf("message %lld: %s, %lld attempt%s%s%s\n\n%s", static_cast<long long>(m->id),
                    m->state.c_str(), static_cast<long long>(m->attempts),
                    m->attempts == 1 ? "" : "s", m->last_error.empty() ? "" : "; ",
                    m->last_error.c_str(), m->message.c_str());
      }
      return;
    }
    auto ms = ListOutbox(**store, a->state, a->limit);
    if (!ms) {
      *rc = Report(ms.error());
      return;
    }
    if (a->format == "json") {
      json j = json::array();
      for (const auto& m : *ms) j.push_back(MessageJson(m));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : *ms)
      rows.push_back({std::to_string(m.id), m.state, m.recipient, Cell(m.subject, 60),
                      m.sent_at.empty() ? m.queued_at.substr(0, 16) : m.sent_at.substr(0, 16),
                      Cell(m.last_error, 60)});
    std::string t = TextTable({"id", "state", "to", "subject", "time", "error"}, rows);
    std::fwrite(t.data(), 1, t.size(), stdout);
  });

  auto* resend = chase->add_subcommand(
      "resend", "Queue an uncertain, failed, abandoned or cancelled message again");
  add_db(resend);
  resend->add_option("ID", a->resend, "The message's id (see `rectrack chase outbox`)")->required();
  resend->callback([=]() {
    auto store = open();
    if (!store) {
      *rc = Report(store.error());
      return;
    }
    auto r = ResendMessage(**store, a->resend, CliActor());
    if (!r) {
      *rc = Report(r.error());
      return;
    }
    std::printf("message %lld is queued again: the next `rectrack chase` sends it\n",
                static_cast<long long>(a->resend));
  });

  CLI::App* user = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* c) { return c->get_name() == "user"; }))
    user = sub;
  if (user) {
    auto* email = user->add_subcommand(
        "email", "Set the address where an admin or coordinator gets the weekly digest");
    add_db(email);
    email->add_option("NAME", a->user, "User name")->required();
    email->add_option("EMAIL", a->email, "E-mail address ('' removes it)")->required();
    email->callback([=]() {
      auto store = open();
      if (!store) {
        *rc = Report(store.error());
        return;
      }
      auto r = SetUserEmail(**store, a->user, a->email, CliActor());
      if (!r) {
        *rc = Report(r.error());
        return;
      }
      if (a->email.empty()) std::printf("%s gets no digest now\n", a->user.c_str());
      else std::printf("%s gets the weekly digest at %s\n", a->user.c_str(), a->email.c_str());
    });
  }
}

void AddChaseServeOptions(CLI::App* serve, ChaseServeSettings* s) {
  serve->add_option("--chase-every", s->every,
                    "Chase by e-mail on a timer: 30m, 6h, 1d (the `chase` options below apply)");
  serve->add_option("--smtp", s->smtp, "SMTP server for chasers (default $RECTRACK_SMTP_URL)");
  serve->add_option("--smtp-credentials", s->smtp_credentials,
                    "A file (mode 600) holding one line, USER:PASSWORD");
  serve->add_option("--from", s->from, "The address chasers come from (default $RECTRACK_MAIL_FROM)");
  serve->add_option("--from-name", s->from_name, "The office's name, shown as the sender");
  serve->add_option("--public-url", s->public_url,
                    "The tracker's address as readers reach it, such as https://tracker.example.org: "
                    "links in downloads and messages start with it, and the server answers for its "
                    "host (default $RECTRACK_PUBLIC_URL, else http://LISTEN-ADDRESS)");
  serve->add_option("--chase-max", s->max_messages, "Messages sent per chase run at most (default 100)");
}

Result<ChaseTimer> MakeChaseTimer(const ChaseServeSettings& s, StoreOpener open) {
  if (s.every.empty()) return ChaseTimer{[] {}, [] {}};
  // "30m", "6h", "1d", "90s"
  int64_t seconds = 0;
  {
    std::string v = s.every;
    char unit = v.empty() ? ' ' : v.back();
    int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    int64_t n = 0;
    try {
      size_t used = 0;
      n = std::stoll(v.substr(0, v.size() - 1), &used);
      if (used != v.size() - 1) n = 0;
    } catch (const std::exception&) {
    }
    seconds = n * mult;
    if (seconds < 10 || seconds > 30 * 86400)
      return Fail(Error::Invalid(fmt::format(
          "--chase-every '{}' must be a duration from 10s to 30d, such as 30m, 6h or 1d", s.every)));
  }
  SendSettings send{s.smtp, s.smtp_credentials, s.from, s.from_name, s.public_url};
  auto sender = SenderOf(send);
  if (!sender) return Fail(sender.error());
  auto mailer = MailerOf(send);
  if (!mailer) return Fail(mailer.error());
  struct Timer {
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    std::thread thread;
  };
  auto timer = std::make_shared<Timer>();
  auto shared_mailer = std::shared_ptr<mail::Mailer>(std::move(*mailer));
  mail::Sender snd = *sender;
  int max = s.max_messages;
  auto run = [timer, shared_mailer, snd, max, seconds, open]() {
    while (true) {
      {
        auto store = open();
        if (!store) {
          std::fprintf(stderr, "rectrack: chase: %s\n", store.error().message.c_str());
        } else {
          mail::ChaseOptions o;
          o.as_of = *AsOf("");
          o.sender = snd;
          o.max_messages = max;
          auto r = mail::RunChase(**store, o, *shared_mailer, Actor{"rectrack:chase"}, nullptr);
          if (!r) {
            std::fprintf(stderr, "rectrack: chase: %s\n", r.error().message.c_str());
          } else {
            std::fprintf(stderr, "rectrack: chase: queued %d, sent %d, failed %d, given up %d, "
                                 "%d waiting\n",
                         r->queued, r->sent, r->failed, r->abandoned, r->waiting);
            for (const auto& e : r->errors) std::fprintf(stderr, "rectrack: chase: %s\n", e.c_str());
          }
        }
      }
      std::unique_lock lock(timer->mu);
      if (timer->cv.wait_for(lock, std::chrono::seconds(seconds), [&] { return timer->stop; }))
        return;
    }
  };
  ChaseTimer t;
  t.Start = [timer, run]() {
    std::lock_guard lock(timer->mu);
    if (!timer->thread.joinable() && !timer->stop) timer->thread = std::thread(run);
  };
  t.Stop = [timer]() {
    {
      std::lock_guard lock(timer->mu);
      timer->stop = true;
    }
    timer->cv.notify_all();
    if (timer->thread.joinable()) timer->thread.join();
  };
  return t;
}

}  // namespace rectrack::cli

#include "mail/message.h"

#include <sodium.h>

#include <ctime>

#include "core/signing.h"
#include "core/text.h"
#include "fmt/format.h"
#include "web/templates.h"

namespace rectrack::mail {
namespace {

using json = nlohmann::json;

bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// Every line ends in CRLF.
std::string Crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 40);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n') out += "\r\n";
    else out += text[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string DomainOf(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string("localhost") : std::string(address.substr(at + 1));
}

std::string DaysText(int days) { return Plural(days, "day", "days"); }

std::string Link(const Sender& s, std::string_view path) { return s.public_url + std::string(path); }

constexpr size_t kItemsShown = 100;

struct ItemText {
  std::string label, line, url;
};

ItemText Describe(const ChaseItem& it, const Sender& s) {
  ItemText t;
  t.label = fmt::format("{} {}", it.source_slug, it.ref);
  std::string date = it.date ? it.date->ToLong() : std::string("no date");
  switch (it.reason) {
    case ChaseReason::kResponseDue:
      t.line = it.days == 0   ? fmt::format("response due today ({})", date)
               : it.days == 1 ? fmt::format("response due tomorrow ({})", date)
                              : fmt::format("response due {}, in {}", date, DaysText(it.days));
      break;
    case ChaseReason::kResponseOverdue:
      t.line = fmt::format("response was due {}: {} late", date, DaysText(it.days));
      break;
    case ChaseReason::kTargetPassed:
      t.line = fmt::format("implementation target {} passed {} ago", date, DaysText(it.days));
      break;
    case ChaseReason::kUpdateReturned:
      t.line = fmt::format("your update of {} was returned: {}", date,
                           it.return_reason.empty() ? "no reason given" : it.return_reason);
      break;
  }
  if (!it.source_title.empty()) t.line += fmt::format(" ({})", it.source_title);
  t.url = it.reason == ChaseReason::kUpdateReturned
              ? Link(s, fmt::format("/assignments/{}/submit", it.assignment_id))
              : Link(s, fmt::format("/recommendations/{}", it.recommendation_id));
  return t;
}

std::string_view GroupTitle(ChaseReason r) {
  switch (r) {
    case ChaseReason::kUpdateReturned: return "Updates returned to you";
    case ChaseReason::kResponseOverdue: return "Responses overdue";
    case ChaseReason::kResponseDue: return "Responses due soon";
    case ChaseReason::kTargetPassed: return "Implementation targets passed";
  }
  return "";
}

// Items in their groups (they come sorted by reason), at most kItemsShown.
json Groups(const std::vector<ChaseItem>& items, const Sender& s, size_t shown) {
  json groups = json::array();
  std::optional<ChaseReason> current;
  size_t n = 0;
  for (const auto& it : items) {
    if (n++ >= shown) break;
    if (!current || *current != it.reason) {
      int count = 0;
      for (const auto& x : items) count += x.reason == it.reason;
      groups.push_back({{"title", GroupTitle(it.reason)}, {"count", WithThousands(count)},
                        {"items", json::array()}});
      current = it.reason;
    }
    ItemText t = Describe(it, s);
    groups.back()["items"].push_back({{"label", t.label}, {"line", t.line}, {"url", t.url}});
  }
  return groups;
}

std::string Subject(const OwnerChase& oc) {
  int due = 0, overdue = 0, target = 0, returned = 0;
  for (const auto& it : oc.items) {
    due += it.reason == ChaseReason::kResponseDue;
    overdue += it.reason == ChaseReason::kResponseOverdue;
    target += it.reason == ChaseReason::kTargetPassed;
    returned += it.reason == ChaseReason::kUpdateReturned;
  }
  std::vector<std::string> parts;
  if (returned) parts.push_back(Plural(returned, "update returned", "updates returned"));
  if (overdue) parts.push_back(Plural(overdue, "response overdue", "responses overdue"));
  if (due) parts.push_back(Plural(due, "response due soon", "responses due soon"));
  if (target) parts.push_back(Plural(target, "target passed", "targets passed"));
  return fmt::format("{}: {}", oc.owner.name, Join(parts, ", "));
}

Result<RenderedMessage> Finish(int64_t outbox_id, const Sender& sender, int64_t now_ms,
                               const std::string& subject, const std::string& to_name,
                               const std::string& to, const std::string& unsubscribe,
                               const char* template_base, json view) {
  view["subject"] = subject;
  auto text = web::RenderTemplate(fmt::format("{}_text", template_base), view);
  if (!text) return Fail(text.error());
  auto html = web::RenderTemplate(fmt::format("{}_html", template_base), view);
  if (!html) return Fail(html.error());
  MessageParts parts;
  parts.from = sender.from;
  parts.from_name = sender.from_name;
  parts.to = to;
  parts.to_name = to_name;
  parts.subject = subject;
  std::string nonce = RandomHex(12);
  parts.message_id = MessageIdFor(outbox_id, sender, nonce);
  parts.date_ms = now_ms;
  parts.unsubscribe_url = unsubscribe;
  parts.text = *text;
  parts.html = *html;
  parts.extra_headers.emplace_back("Auto-Submitted", "auto-generated");
  parts.extra_headers.emplace_back("X-Rectrack-Outbox", std::to_string(outbox_id));
  RenderedMessage m;
  m.subject = subject;
  m.message_id = parts.message_id;
  m.message = BuildMessage(parts);
  m.text = parts.text;
  return m;
}

}  // namespace

std::string QuotedPrintable(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    bool last = end == std::string_view::npos;
    std::string_view line = text.substr(start, last ? std::string_view::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string cur;
    auto emit = [&](const std::string& piece) {
      if (cur.size() + piece.size() > 75) {  // 75 + "=" of the soft break
        out += cur;
        out += "=\r\n";
        cur.clear();
      }
      cur += piece;
    };
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool trailing_space = (c == ' ' || c == '\t') && i + 1 == line.size();
      // A leading "." and "From " are encoded too, for careless relays.
      bool risky_start = cur.empty() && c == '.';
      if ((c >= 33 && c <= 126 && c != '=' && !risky_start) ||
          ((c == ' ' || c == '\t') && !trailing_space)) {
        emit(std::string(1, static_cast<char>(c)));
      } else {
        emit(std::string{'=', hex[c >> 4], hex[c & 15]});
      }
    }
    out += cur;
    if (last) break;
    out += "\r\n";
    start = end + 1;
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  if (IsPrintableAscii(text)) return std::string(text);
  // Encoded-words of whole UTF-8 characters, each at most 75 characters long.
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i, len = 0;
    while (j < text.size()) {
      size_t n = 1;
      unsigned char c = static_cast<unsigned char>(text[j]);
      if (c >= 0xF0) n = 4;
      else if (c >= 0xE0) n = 3;
      else if (c >= 0xC0) n = 2;
      if ((len + n + 2) / 3 * 4 > 45) break;  // 12 + 45 + 2 fits in 75
      len += n;
      j += n;
    }
    if (j == i) j = std::min(text.size(), i + 1);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(i, j - i)) + "?=";
    i = j;
  }
  return out;
}

std::string Mailbox(std::string_view name, std::string_view address) {
  if (name.empty()) return std::string(address);
  std::string shown;
  if (IsPrintableAscii(name)) {
    shown = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') shown += '\\';
      shown += c;
    }
    shown += "\"";
  } else {
    shown = EncodeHeaderText(name);
  }
  return fmt::format("{} <{}>", shown, address);
}

std::string MailDate(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string BuildMessage(const MessageParts& p) {
  std::string boundary = "=_rectrack_" + RandomHex(12);
  std::string m;
  auto header = [&](std::string_view name, std::string_view value) {
    m += fmt::format("{}: {}\r\n", name, value);
  };
  header("From", Mailbox(p.from_name, p.from));
  header("To", Mailbox(p.to_name, p.to));
  header("Subject", EncodeHeaderText(p.subject));
  header("Date", MailDate(p.date_ms));
  header("Message-ID", p.message_id);
  header("MIME-Version", "1.0");
  if (!p.unsubscribe_url.empty()) {
    header("List-Unsubscribe", fmt::format("<{}>", p.unsubscribe_url));
    header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  }
  for (const auto& [name, value] : p.extra_headers) header(name, EncodeHeaderText(value));
  header("Content-Type", fmt::format("multipart/alternative; boundary=\"{}\"", boundary));
  m += "\r\n";
  m += "This is a message in MIME format: plain text and HTML.\r\n";
  auto part = [&](std::string_view type, std::string_view body) {
    m += fmt::format("\r\n--{}\r\n", boundary);
    m += fmt::format("Content-Type: {}; charset=utf-8\r\n", type);
    m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    m += QuotedPrintable(Crlf(body));
  };
  part("text/plain", p.text);
  part("text/html", p.html);
  m += fmt::format("\r\n--{}--\r\n", boundary);
  return m;
}

std::string MessageIdFor(int64_t outbox_id, const Sender& sender, std::string_view nonce) {
  return fmt::format("<rectrack.{}.{}@{}>", outbox_id, nonce, DomainOf(sender.from));
}

std::string UnsubscribeUrl(const Sender& sender, const Contact& contact) {
  return Link(sender, fmt::format("/unsubscribe/{}/{}", contact.id, contact.unsubscribe_token));
}

Result<RenderedMessage> RenderChaser(int64_t outbox_id, const OwnerChase& oc,
                                     const Contact& contact, Date as_of, const Sender& sender,
                                     int64_t now_ms) {
  json view;
  view["greeting"] = contact.name.empty() ? fmt::format("Dear {} contact,", oc.owner.name)
                                          : fmt::format("Dear {},", contact.name);
  view["intro"] = fmt::format(
      "{} tracks the recommendations made to {}. As of {}, the record shows the following for "
      "{}.",
      sender.from_name.empty() ? std::string("The tracking office") : sender.from_name,
      oc.owner.name, as_of.ToLong(), oc.owner.name);
  view["groups"] = Groups(oc.items, sender, kItemsShown);
  view["more"] = oc.items.size() > kItemsShown
                     ? fmt::format("And {} more: {}", WithThousands(oc.items.size() - kItemsShown),
                                   Link(sender, fmt::format("/owners/{}", oc.owner.id)))
                     : std::string();
  // Text: a blank line before the action, with the line above it when there is one.
  view["more_block"] = view["more"].get<std::string>().empty()
                           ? std::string()
                           : "\n" + view["more"].get<std::string>() + "\n";
  view["action"] = "Sign in to respond or report progress, with evidence:";
  view["action_url"] = Link(sender, "/my-assignments");
  view["ledger_note"] =
      "This reminder is recorded in the tracker's ledger, with the date it was sent.";
  view["footer"] = fmt::format("You get these reminders as {} for {}.",
                               contact.role.empty() ? std::string("a contact")
                                                    : fmt::format("the {} contact", contact.role),
                               oc.owner.name);
  std::string unsubscribe = UnsubscribeUrl(sender, contact);
  view["unsubscribe_url"] = unsubscribe;
  return Finish(outbox_id, sender, now_ms, Subject(oc), contact.name, contact.email, unsubscribe,
                "mail_chaser", std::move(view));
}

Result<RenderedMessage> RenderDigest(int64_t outbox_id, const Digest& d, Date as_of,
                                     const Sender& sender, int64_t now_ms) {
  constexpr size_t kShown = 20;
  json view;
  view["greeting"] = fmt::format("Dear {},", d.user.name);
  view["intro"] = fmt::format("The week beginning {}, as of {}: {}, {} (at {}), {}.",
                              d.week.ToLong(), as_of.ToLong(),
                              Plural(static_cast<int>(d.due_soon.size()), "response due in the next 14 days",
                                     "responses due in the next 14 days"),
                              Plural(static_cast<int>(d.overdue.size()), "response overdue",
                                     "responses overdue"),
                              Plural(d.overdue_owners, "owner", "owners"),
                              Plural(static_cast<int>(d.waiting.size()), "update waiting for review",
                                     "updates waiting for review"));
  json groups = json::array();
  auto group = [&](std::string_view title, const std::vector<ChaseItem>& items, std::string link) {
    if (items.empty()) return;
    json g = Groups(items, sender, kShown);
    if (g.empty()) return;
    json one = g[0];
    one["title"] = title;
    one["count"] = WithThousands(items.size());
    one["items"] = json::array();
    for (const auto& x : g) for (const auto& i : x["items"]) one["items"].push_back(i);
    one["more"] = items.size() > kShown
                      ? fmt::format("the first {} below; all at {}", kShown, link)
                      : std::string();
    groups.push_back(one);
  };
  group("Responses due in the next 14 days", d.due_soon, Link(sender, "/owners"));
  group("Responses overdue, longest first", d.overdue, Link(sender, "/owners"));
  if (!d.waiting.empty()) {
    json one = {{"title", "Updates waiting for review"},
                {"count", WithThousands(d.waiting.size())},
                {"items", json::array()}};
    for (size_t i = 0; i < d.waiting.size() && i < kShown; ++i) {
      const auto& w = d.waiting[i];
      one["items"].push_back(
          {{"label", fmt::format("{} {}", w.assignment.source_slug, w.assignment.ref)},
           {"line", fmt::format("{} on {}, by {}", w.assignment.owner, w.update.date.ToLong(),
                                w.update.author.empty() ? std::string("an editor") : w.update.author)},
           {"url", Link(sender, "/review")}});
    }
    one["more"] = d.waiting.size() > kShown
                      ? fmt::format("the first {} below; all at {}", kShown, Link(sender, "/review"))
                      : std::string();
    groups.push_back(one);
  }
  view["groups"] = groups;
  view["footer"] = fmt::format(
      "You get this weekly digest as a {} of the tracker, at this address. `rectrack user email "
      "{} ''` stops it.",
      d.user.role, d.user.name);
  std::string subject = fmt::format("Weekly digest, {}: {} overdue, {} due soon, {} to review",
                                    d.week.ToLong(), WithThousands(d.overdue.size()),
                                    WithThousands(d.due_soon.size()), WithThousands(d.waiting.size()));
  return Finish(outbox_id, sender, now_ms, subject, d.user.name, d.email, "", "mail_digest",
                std::move(view));
}

MessageRenderer Renderer(const Sender& sender, Date as_of, int64_t now_ms) {
  return [sender, as_of, now_ms](int64_t id, const MessageFor& what) -> Result<RenderedMessage> {
    if (what.digest) return RenderDigest(id, *what.digest, as_of, sender, now_ms);
    return RenderChaser(id, *what.owner, *what.contact, as_of, sender, now_ms);
  };
}

}  // namespace rectrack::mail

#include "mail/chase_run.h"

#include <unistd.h>

#include "fmt/format.h"

namespace rectrack::mail {
namespace {

std::string HostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

}  // namespace

std::string ClaimerName() { return fmt::format("{} pid {}", HostName(), static_cast<long>(::getpid())); }

Result<ChaseReport> RunChase(Store& store, const ChaseOptions& o, Mailer& mailer,
                             const Actor& actor, std::FILE* log) {
  ChaseReport rep;
  auto stale = MarkStaleSends(store, UnixMillisNow(), HostName(), actor);
  if (!stale) return Fail(stale.error());
  rep.uncertain = *stale;
  if (o.queue) {
    auto queued = QueueChase(store, o.as_of, Renderer(o.sender, o.as_of, UnixMillisNow()), actor);
    if (!queued) return Fail(queued.error());
    rep.queued = static_cast<int>(queued->ids.size());
    rep.without_contacts = queued->plan.without_contacts;
    rep.items_without_contacts = queued->plan.items_without_contacts;
  }
  const std::string claimer = ClaimerName();
  int attempted = 0;
  while (attempted < o.max_messages) {
    auto next = ClaimNextMessage(store, UnixMillisNow(), claimer, o.retry_now, actor);
    if (!next) return Fail(next.error());
    if (!*next) break;
    ++attempted;
    const OutboxMessage& m = **next;
    auto sent = mailer.Send(o.sender.from, m.recipient, m.message);
    if (sent) {
      RT_TRY(MarkSent(store, m, UnixMillisNow(), actor));
      ++rep.sent;
      if (log) std::fprintf(log, "sent %lld to %s: %s\n", static_cast<long long>(m.id),
                            m.recipient.c_str(), m.subject.c_str());
      continue;
    }
    auto failed = MarkFailed(store, m, sent.error().message, sent.error().permanent,
                             UnixMillisNow(), actor);
    if (!failed) return Fail(failed.error());
    std::string line =
        failed->state == "abandoned"
            ? fmt::format("message {} to {} given up after {} attempt{}: {}", m.id, m.recipient,
                          m.attempts, m.attempts == 1 ? "" : "s", sent.error().message)
            : fmt::format("message {} to {} failed (attempt {}), retried after {}: {}", m.id,
                          m.recipient, m.attempts, failed->next_attempt_at, sent.error().message);
    rep.errors.push_back(line);
    if (log) std::fprintf(log, "%s\n", line.c_str());
    if (failed->state == "abandoned") ++rep.abandoned;
    else ++rep.failed;
    if (sent.error().connection) {
      // The server is not there: every other message would fail the same way
      // and spend an attempt. They wait for the next run.
      rep.stopped_on_connection = true;
      break;
    }
  }
  auto queued = ListOutbox(store, "queued", 0);
  if (!queued) return Fail(queued.error());
  auto failed = ListOutbox(store, "failed", 0);
  if (!failed) return Fail(failed.error());
  rep.waiting = static_cast<int>(queued->size() + failed->size());
  return rep;
}

Result<std::vector<std::pair<OutboxMessage, RenderedMessage>>> DryRun(Store& store,
                                                                      const ChaseOptions& o,
                                                                      ChasePlan* plan_out) {
  auto plan = PlanChase(store, o.as_of);
  if (!plan) return Fail(plan.error());
  std::vector<std::pair<OutboxMessage, RenderedMessage>> out;
  auto render = Renderer(o.sender, o.as_of, UnixMillisNow());
  for (const auto& oc : plan->owners) {
    for (const auto& c : oc.contacts) {
      auto r = render(0, MessageFor{&oc, &c, nullptr});
      if (!r) return Fail(r.error());
      OutboxMessage m;
      m.kind = "chaser";
      m.contact_id = c.id;
      m.owner_id = oc.owner.id;
      m.recipient = c.email;
      m.subject = r->subject;
      for (const auto& it : oc.items) m.items.emplace_back(it.assignment_id, it.stage);
      out.emplace_back(std::move(m), std::move(*r));
    }
  }
  for (const auto& d : plan->digests) {
    auto r = render(0, MessageFor{nullptr, nullptr, &d});
    if (!r) return Fail(r.error());
    OutboxMessage m;
    m.kind = "digest";
    m.user_id = d.user.id;
    m.recipient = d.email;
    m.subject = r->subject;
    out.emplace_back(std::move(m), std::move(*r));
  }
  if (plan_out) *plan_out = std::move(*plan);
  return out;
}

}  // namespace rectrack::mail

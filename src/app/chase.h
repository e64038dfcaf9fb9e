#pragma once
// Chasing owners (issue 9): their contacts, the schedules per source kind,
// what is due to be chased as of a date, and the outbox that remembers every
// message from before it is sent until it is sent, failed or given up.
//
// Every change here is a ledger event over tables of the projection
// (owner_contacts, user_emails, chase_schedules, outbox, chase_items), so
// `verify` checks them like every other table, and "we chased them three
// times" is part of the verifiable record:
//   contact_add, contact_remove, contact_unsubscribe, user_email,
//   chase_schedule, chase_queue (the messages of a run, before any is sent),
//   chase_attempt (one is being sent), chase_sent, chase_failed,
//   chase_uncertain (its sender stopped mid-send), chase_resend.
// The rendering of messages (mail/) and sending them (SMTP) are not here.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/chase.h"
#include "core/date.h"
#include "core/model.h"
#include "core/result.h"
#include "store/store.h"

namespace rectrack {

// ---- contacts ----------------------------------------------------------------

// A person (or a shared mailbox) at an owner who gets its chasers.
struct Contact {
  int64_t id = 0;
  int64_t owner_id = 0;
  std::string owner;  // the owner's name
  std::string email;
  std::string name;
  std::string role;
  std::string created_at;
  std::string unsubscribed_at;  // empty: subscribed
  std::string unsubscribe_token;  // hex; in the unsubscribe link of every message
};

// An address a message can go to: one addr-spec (local@domain), printable
// ASCII without spaces, quotes, brackets or commas, at most 254 bytes, a
// domain of letters, digits, hyphens and dots.
Status CheckEmailAddress(std::string_view email);

// Adds a contact to an owner (by name or alias). An address the owner has
// already is a conflict. Ledger: "contact_add".
Result<Contact> AddContact(Store& store, const std::string& owner, const std::string& email,
                           const std::string& name, const std::string& role, const Actor& actor);
// The contacts of one owner (by name or alias), or of all when `owner` is empty.
Result<std::vector<Contact>> ListContacts(Store& store, const std::string& owner);
Result<Contact> GetContact(Store& store, int64_t id);
// Removes a contact; messages already sent to it stay in the outbox. Ledger:
// "contact_remove".
Status RemoveContact(Store& store, const std::string& owner, const std::string& email,
                     const Actor& actor);
// Unsubscribes the contact whose link this is (its id and token): true if it
// was subscribed, false if it had already gone. A wrong token is NotFound,
// as a missing contact is. Ledger: "contact_unsubscribe", by "contact:ID".
Result<bool> UnsubscribeContact(Store& store, int64_t id, std::string_view token);
// Sets (or, with an empty address, removes) the address where a user gets the
// weekly digest (admins and coordinators). Ledger: "user_email".
Status SetUserEmail(Store& store, const std::string& user, const std::string& email,
                    const Actor& actor);
// Users' addresses by user id.
Result<std::map<int64_t, std::string>> UserEmails(Store& store);

// ---- schedules ---------------------------------------------------------------

// The schedules set per source kind; "default" applies to kinds without one.
Result<std::map<std::string, ChaseSchedule>> LoadChaseSchedules(Store& store);
const ChaseSchedule& ScheduleFor(const std::map<std::string, ChaseSchedule>& schedules,
                                 const std::string& kind);
// Sets the schedule of a source kind (one the store has, or "default").
// Ledger: "chase_schedule".
Status SetChaseSchedule(Store& store, const std::string& kind, const ChaseSchedule& schedule,
                        const Actor& actor);

// ---- what is due -------------------------------------------------------------

// One thing an owner is chased for.
struct ChaseItem {
  int64_t assignment_id = 0;
  int64_t recommendation_id = 0;
  ChaseReason reason = ChaseReason::kResponseDue;
  std::string stage;  // chased once: "due-7", "overdue-2", "target-0", "returned-41"
  int days = 0;       // days left, or days late
  std::string source_slug;
  std::string source_title;
  std::string source_kind;
  std::string ref;
  std::optional<Date> date;   // the due date or target
  std::string return_reason;  // an update returned
  int64_t update_id = 0;
};

struct OwnerChase {
  Owner owner;
  std::vector<Contact> contacts;  // subscribed ones
  std::vector<ChaseItem> items;   // not chased at these stages before
};

// A coordinator's weekly digest.
struct Digest {
  User user;
  std::string email;
  Date week;  // the Monday of the week of the as-of date
  std::vector<ChaseItem> due_soon;  // responses due in the next 14 days
  std::vector<ChaseItem> overdue;   // overdue responses, longest first
  int overdue_owners = 0;
  std::vector<UpdateWithAssignment> waiting;  // submitted updates
};

struct ChasePlan {
  Date as_of;
  std::vector<OwnerChase> owners;  // with items and at least one contact
  std::vector<Digest> digests;
  // Owners with something to chase but no subscribed contact: nothing can go.
  std::vector<std::string> without_contacts;
  int items_without_contacts = 0;
};

// What is due to be chased as of `as_of` and not chased at that stage
// before: responses due soon and overdue, passed implementation targets,
// returned updates still unanswered, and the digests of the week not sent yet.
Result<ChasePlan> PlanChase(Store& store, Date as_of);

// ---- the outbox --------------------------------------------------------------

struct OutboxMessage {
  int64_t id = 0;
  std::string kind;  // "chaser" or "digest"
  std::optional<int64_t> contact_id, user_id, owner_id;
  std::string recipient;
  std::string subject;
  std::string message_id;  // "<...>", the Message-ID header
  std::string message;     // the whole message as sent (RFC 5322, CRLF)
  std::string as_of;
  std::string queued_at;
  // queued -> sending -> sent | failed (retried at next_attempt_at) |
  // abandoned | uncertain (the sender stopped mid-send) | cancelled
  // (the contact unsubscribed or went before it was sent).
  std::string state;
  int64_t attempts = 0;
  std::string next_attempt_at;
  std::string claimed_by;  // "HOST pid PID": who is sending it
  std::string last_error;
  std::string sent_at;
  std::vector<std::pair<int64_t, std::string>> items;  // assignment id, stage
};

// A message made for the outbox: the renderer gets its id (for Message-ID)
// and gives the rest.
struct RenderedMessage {
  std::string subject;
  std::string message_id;
  std::string message;
  std::string text;  // the plain text body, for a dry run to show
};
struct MessageFor {
  const OwnerChase* owner = nullptr;  // a chaser: to `contact`
  const Contact* contact = nullptr;
  const Digest* digest = nullptr;     // or a digest
};
using MessageRenderer =
    std::function<Result<RenderedMessage>(int64_t outbox_id, const MessageFor& what)>;

// Plans and queues a run in one transaction (two servers chasing one store
// cannot queue the same thing twice): one message per contact of each owner
// with items, one per digest. Returns the plan and the ids queued. Ledger:
// one "chase_queue" event (none when nothing is due).
struct QueuedRun {
  ChasePlan plan;
  std::vector<int64_t> ids;
};
Result<QueuedRun> QueueChase(Store& store, Date as_of, const MessageRenderer& render,
                             const Actor& actor);

// How long a claim holds before another sender may call its message uncertain.
inline constexpr int64_t kSendLeaseMs = 15 * 60 * 1000;
// Failed sends are retried after 1, 2, 4, ... minutes (at most 6 hours), and
// given up after this many attempts.
inline constexpr int kMaxSendAttempts = 8;
int64_t RetryDelayMs(int64_t attempts);

// Messages left "sending" by a sender that stopped (this host's process that
// is gone, or any whose lease ran out) become "uncertain": they may or may
// not have reached the server, so they are not sent again unless a person
// says so (ResendMessage). Returns their ids. Ledger: "chase_uncertain".
Result<std::vector<int64_t>> MarkStaleSends(Store& store, int64_t now_ms, const std::string& host,
                                            const Actor& actor);
// Takes the next message to send (queued, or failed and due for a retry, or
// any failed one with `retry_now`), marking it "sending" by `claimer`; a
// message whose contact has unsubscribed or gone is cancelled instead.
// nullopt: nothing to send. Ledger: "chase_attempt" (or "chase_cancel").
Result<std::optional<OutboxMessage>> ClaimNextMessage(Store& store, int64_t now_ms,
                                                      const std::string& claimer, bool retry_now,
                                                      const Actor& actor);
// Ledger: "chase_sent": who was chased, for what, when.
Status MarkSent(Store& store, const OutboxMessage& m, int64_t now_ms, const Actor& actor);
// A failed send: retried later, or abandoned when `permanent` (the server
// refused the recipient) or after kMaxSendAttempts. Ledger: "chase_failed".
Result<OutboxMessage> MarkFailed(Store& store, const OutboxMessage& m, const std::string& error,
                                 bool permanent, int64_t now_ms, const Actor& actor);
// Puts an uncertain, failed or abandoned message back in the queue. Ledger:
// "chase_resend".
Status ResendMessage(Store& store, int64_t id, const Actor& actor);
Result<OutboxMessage> GetOutboxMessage(Store& store, int64_t id);
// The outbox, newest first; `state` empty for every state.
Result<std::vector<OutboxMessage>> ListOutbox(Store& store, const std::string& state, int limit);
// How often each assignment was chased (messages sent), and when last.
struct ChaseCount {
  int sent = 0;
  std::string last_sent_at;
};
Result<std::map<int64_t, ChaseCount>> ChaseCounts(Store& store,
                                                  const std::vector<int64_t>& assignment_ids);

}  // namespace rectrack

#pragma once
// One chase run: queue what is due (app/chase.h), then send the outbox's
// messages one at a time, recording each attempt and its outcome in the
// ledger. Shared by `rectrack chase` and `serve --chase-every`.

#include <cstdio>
#include <string>
#include <vector>

#include "app/chase.h"
#include "mail/message.h"
#include "mail/smtp.h"

namespace rectrack::mail {

struct ChaseOptions {
  Date as_of;
  Sender sender;
  int max_messages = 100;  // sent per run at most; the rest wait for the next
  bool retry_now = false;  // retry failed messages without waiting for their backoff
  bool queue = true;       // plan and queue what is due (false: only send the outbox)
};

struct ChaseReport {
  int queued = 0;
  int sent = 0;
  int failed = 0;      // to be retried
  int abandoned = 0;   // given up
  int waiting = 0;     // left in the outbox for a later run (the cap, a backoff)
  std::vector<int64_t> uncertain;  // found mid-send from a run that stopped
  std::vector<std::string> without_contacts;
  int items_without_contacts = 0;
  std::vector<std::string> errors;  // one line per failed send
  bool stopped_on_connection = false;
};

// This host's name and process: who claims messages.
std::string ClaimerName();

// Queues and sends. `log` (may be null) gets a line per message.
Result<ChaseReport> RunChase(Store& store, const ChaseOptions& options, Mailer& mailer,
                             const Actor& actor, std::FILE* log);

// What a run would queue, rendered, without writing anything.
Result<std::vector<std::pair<OutboxMessage, RenderedMessage>>> DryRun(Store& store,
                                                                      const ChaseOptions& options,
                                                                      ChasePlan* plan);

}  // namespace rectrack::mail

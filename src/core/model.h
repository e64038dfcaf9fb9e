#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/vocab.h"

namespace rectrack {

// The domain, as DESIGN.md describes it. Ids are the store's; natural keys
// (source slug, recommendation ref within a source, owner name) identify things
// across stores and in files.

struct Source {
  int64_t id = 0;
  std::string slug;            // unique, URL-safe: "harris-2016", "pfd-2024-0131"
  std::string kind;            // review, inquiry, audit, pfd, upr, ...
  std::string title;
  std::string author;
  std::string commissioned_by;
  std::optional<Date> date;    // date of publication
  std::string url;
  std::optional<int> response_days;  // response duty: due = date + days
  std::optional<Date> recorded_on;   // date the imported statuses were true
  std::optional<int> stated_total;   // recommendations the source says it made
  std::string notes;
  std::string vocabulary;      // how its status words were read
};

struct Owner {
  int64_t id = 0;
  std::string name;  // as written
  std::string tier = "unclassified";
  std::vector<std::string> aliases;
};

struct Recommendation {
  int64_t id = 0;
  int64_t source_id = 0;
  std::string ref;     // "R12", "113.6", "2024-0131"
  std::string text;
  std::vector<std::string> themes;
  std::optional<Date> made;
  std::optional<Date> target;
  std::string made_by;  // e.g. the recommending state of a UN review
  std::string url;
};

// An owner's state on one recommendation, as imported or as of some date.
struct AssignmentState {
  ResponseKind response = ResponseKind::kNone;
  std::string response_text;
  std::optional<Date> response_date;
  // The status recorded by the data itself; pending/overdue are re-derived as of
  // a date, responded/partial stick.
  ResponseStatus recorded_status = ResponseStatus::kPending;
  Implementation implementation = Implementation::kNotStarted;
  friend bool operator==(const AssignmentState&, const AssignmentState&) = default;
};

struct Assignment {
  int64_t id = 0;
  int64_t recommendation_id = 0;
  int64_t owner_id = 0;
  std::optional<Date> due;
  // The implementation target agreed with this owner; when unset, the
  // recommendation's (EffectiveTarget, core/status.h).
  std::optional<Date> target;
  AssignmentState initial;    // state when the recommendation was made/imported
  std::string raw_status;     // the outside world's words, kept beside the mapping
  std::string raw_response;
};

enum class UpdateState { kSubmitted, kValidated, kReturned };
std::string_view Name(UpdateState s);
Result<UpdateState> ParseUpdateState(std::string_view s);

// A dated change on an assignment. Only validated updates count in metrics.
struct Update {
  int64_t id = 0;
  int64_t assignment_id = 0;
  Date date;
  std::optional<ResponseKind> response;
  std::string response_text;
  std::optional<ResponseStatus> response_status;
  std::optional<Implementation> implementation;
  std::string narrative;
  std::vector<std::string> evidence;  // URLs
  std::string author;
  UpdateState state = UpdateState::kValidated;
  std::string return_reason;
};

struct FundingLine {
  int64_t id = 0;
  int64_t source_id = 0;
  int64_t owner_id = 0;
  std::string item;
  std::string period;  // "per year", "2017/18"
  int64_t cost = 0;    // whole currency units (pounds)
  int64_t funded = 0;
  std::string currency = "GBP";
  std::string note;
  int64_t gap() const { return cost - funded; }
};

struct Publication {
  int64_t id = 0;
  int64_t source_id = 0;
  std::string title;
  Date as_of;
  int64_t ledger_seq = 0;     // ledger head when frozen
  std::string ledger_hash;
  std::string created_at;     // UTC timestamp
  std::string snapshot_json;  // the frozen report data; rendering it is deterministic
  std::string snapshot_sha256;
  std::string source_slug;    // filled when read back
  // Ed25519 over PublicationSigningMessage (core/signing.h), hex; empty on
  // publications made before signing existed.
  std::string signature;
  std::string signing_key;    // the public key that made `signature`, hex
};

}  // namespace rectrack

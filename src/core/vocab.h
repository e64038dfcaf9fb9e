#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace rectrack {

// An owner's formal answer to a recommendation.
enum class ResponseKind {
  kNone,                 // no response recorded
  kAccepted,
  kAcceptedInPrinciple,
  kPartiallyAccepted,
  kRejected,
  kNoted,
  kUnderConsideration,
};

// Whether an owner has answered. kPartial only arises from data that records a
// report-level roll-up without saying which recipient replied (PFD reports).
enum class ResponseStatus { kPending, kOverdue, kPartial, kResponded };

enum class Implementation {
  kNotStarted,
  kInProgress,
  kPartiallyImplemented,
  kImplemented,
  kNotImplemented,
  kSuperseded,
  kUnknown,  // nothing published about implementation
};

inline constexpr ResponseKind kAllResponseKinds[] = {
    ResponseKind::kNone,     ResponseKind::kAccepted, ResponseKind::kAcceptedInPrinciple,
    ResponseKind::kPartiallyAccepted, ResponseKind::kRejected, ResponseKind::kNoted,
    ResponseKind::kUnderConsideration};
inline constexpr ResponseStatus kAllResponseStatuses[] = {
    ResponseStatus::kResponded, ResponseStatus::kPartial, ResponseStatus::kOverdue,
    ResponseStatus::kPending};
inline constexpr Implementation kAllImplementations[] = {
    Implementation::kImplemented,   Implementation::kPartiallyImplemented,
    Implementation::kInProgress,    Implementation::kNotStarted,
    Implementation::kNotImplemented, Implementation::kSuperseded, Implementation::kUnknown};

// Canonical machine names ("accepted_in_principle") and their inverses.
std::string_view Name(ResponseKind v);
std::string_view Name(ResponseStatus v);
std::string_view Name(Implementation v);
// Human labels ("accepted in principle") for reports and pages.
std::string_view Label(ResponseKind v);
std::string_view Label(ResponseStatus v);
std::string_view Label(Implementation v);
Result<ResponseKind> ParseResponseKind(std::string_view name);
Result<ResponseStatus> ParseResponseStatus(std::string_view name);
Result<Implementation> ParseImplementation(std::string_view name);

// Owner tiers: who the body is, so that "central government" can be singled out.
inline constexpr std::string_view kTiers[] = {
    "city", "central_government", "emergency_service", "local_authority", "nhs",
    "regulator", "private", "national_government", "international", "judiciary",
    "charity", "education", "other", "unclassified"};
bool IsTier(std::string_view tier);

// The kinds of source rectrack knows by name (its pages and reports have words
// for them). A store may hold others, made with `import csv --new-kind`.
inline constexpr std::string_view kSourceKinds[] = {"review", "inquiry", "inquest", "audit",
                                                    "report", "pfd",     "upr"};
std::string_view TierLabel(std::string_view tier);

// What one word of the outside world says. Fields left empty say nothing.
struct StatusMapping {
  std::optional<ResponseKind> response;
  std::optional<ResponseStatus> response_status;
  std::optional<Implementation> implementation;
  friend bool operator==(const StatusMapping&, const StatusMapping&) = default;
};

// The vocabularies rectrack knows, by name: "canonical", "gao", "uk_gov", "pfd",
// "upr", "taic", "inquest", "harris".
std::vector<std::string> VocabularyNames();
// rectrack's own status words (implementation, response, response status).
std::vector<std::string> CanonicalWords();
bool IsVocabulary(std::string_view name);

// Normalises a wording for lookup: lower case, trimmed, inner whitespace collapsed,
// en/em dashes and underscores treated as '-'/' ' ("Closed – Implemented" ==
// "closed-implemented" == "closed implemented").
std::string NormaliseWord(std::string_view word);

// Words the user adds or overrides, e.g. from `--status-map "done=implemented"`.
// Keys are normalised words; values are canonical names, combined with '+'
// ("accepted+implemented").
using UserWordMap = std::map<std::string, StatusMapping>;
// Parses "word=canonical[+canonical...]" into the map. Error names the bad part.
Status AddUserMapping(std::string_view spec, UserWordMap* map);

// Maps `word` using `user` first, then the named vocabulary, then the canonical
// names. An unknown word is an error that names it and the vocabulary.
Result<StatusMapping> MapStatusWord(std::string_view vocabulary, std::string_view word,
                                    const UserWordMap* user = nullptr);

// The documented table of one vocabulary: each outside word and what it maps to.
std::vector<std::pair<std::string, StatusMapping>> VocabularyTable(std::string_view vocabulary);

}  // namespace rectrack

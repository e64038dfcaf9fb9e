#include "core/vocab.h"

#include <algorithm>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

struct Named {
  std::string_view name;
  std::string_view label;
};

constexpr Named kResponseNames[] = {
    {"none", "no response"},
    {"accepted", "accepted"},
    {"accepted_in_principle", "accepted in principle"},
    {"partially_accepted", "partially accepted"},
    {"rejected", "rejected"},
    {"noted", "noted"},
    {"under_consideration", "under consideration"},
};
constexpr Named kStatusNames[] = {
    {"pending", "pending"},
    {"overdue", "overdue"},
    {"partial", "partial"},
    {"responded", "responded"},
};
constexpr Named kImplementationNames[] = {
    {"not_started", "not started"},
    {"in_progress", "in progress"},
    {"partially_implemented", "partially implemented"},
    {"implemented", "implemented"},
    {"not_implemented", "not implemented"},
    {"superseded", "superseded"},
    {"unknown", "not reported"},
};

constexpr std::pair<std::string_view, std::string_view> kTierLabels[] = {
    {"city", "City government"},
    {"central_government", "Central government"},
    {"emergency_service", "Emergency services"},
    {"local_authority", "Local authorities"},
    {"nhs", "NHS"},
    {"regulator", "Regulators"},
    {"private", "Private sector"},
    {"national_government", "National governments"},
    {"international", "International bodies"},
    {"judiciary", "Judiciary"},
    {"charity", "Charities"},
    {"education", "Education"},
    {"other", "Other"},
    {"unclassified", "Unclassified"},
};

using R = ResponseKind;
using S = ResponseStatus;
using I = Implementation;

struct Entry {
  std::string_view word;
  StatusMapping mapping;
};

StatusMapping Resp(R r) { return {r, std::nullopt, std::nullopt}; }
StatusMapping Impl(I i) { return {std::nullopt, std::nullopt, i}; }
StatusMapping Stat(S s) { return {std::nullopt, s, std::nullopt}; }
StatusMapping Both(R r, I i) { return {r, std::nullopt, i}; }

// Each vocabulary's words, as published by the body that uses them. The words
// are stored normalised (see NormaliseWord). Why each reading was chosen is in
// docs/vocabularies.md.
const std::vector<Entry>& Table(std::string_view vocabulary) {
  static const std::vector<Entry> kGao = {
      // GAO keeps a recommendation "open" until the agency has fully acted.
      {"open", Impl(I::kInProgress)},
      {"open partially addressed", Impl(I::kPartiallyImplemented)},
      {"open unresolved", Impl(I::kNotStarted)},
      {"closed implemented", Impl(I::kImplemented)},
      {"closed not implemented", Impl(I::kNotImplemented)},
  };
  static const std::vector<Entry> kUkGov = {
      {"complete", Impl(I::kImplemented)},
      {"completed", Impl(I::kImplemented)},
      {"in progress", Impl(I::kInProgress)},
      {"not started", Impl(I::kNotStarted)},
      {"superseded", Impl(I::kSuperseded)},
      {"accepted", Resp(R::kAccepted)},
      {"accepted in full", Resp(R::kAccepted)},
      {"accepted in principle", Resp(R::kAcceptedInPrinciple)},
      {"accepted in part", Resp(R::kPartiallyAccepted)},
      {"partially accepted", Resp(R::kPartiallyAccepted)},
      {"not accepted", Resp(R::kRejected)},
      {"rejected", Resp(R::kRejected)},
      {"noted", Resp(R::kNoted)},
      {"under consideration", Resp(R::kUnderConsideration)},
  };
  // The scraper's roll-up of a report's replies.
  static const std::vector<Entry> kPfd = {
      {"completed", Stat(S::kResponded)},
      {"partial", Stat(S::kPartial)},
      {"overdue", Stat(S::kOverdue)},
      {"pending", Stat(S::kPending)},
  };
  static const std::vector<Entry> kUpr = {
      {"support", Resp(R::kAccepted)},
      {"supported", Resp(R::kAccepted)},
      {"accepted", Resp(R::kAccepted)},
      {"consider", Resp(R::kUnderConsideration)},
      {"noted", Resp(R::kNoted)},
      {"reject", Resp(R::kRejected)},
      {"rejected", Resp(R::kRejected)},
      {"implemented", Both(R::kAccepted, I::kImplemented)},
      {"already implemented", Both(R::kAccepted, I::kImplemented)},
      {"unknown", Resp(R::kNone)},
  };
  // New Zealand's Transport Accident Investigation Commission.
  static const std::vector<Entry> kTaic = {
      {"accepted and implemented", Both(R::kAccepted, I::kImplemented)},
      {"accepted and being implemented", Both(R::kAccepted, I::kInProgress)},
      {"accepted", Resp(R::kAccepted)},
      {"under consideration", Resp(R::kUnderConsideration)},
      {"rejected", Both(R::kRejected, I::kNotImplemented)},
      {"not accepted", Both(R::kRejected, I::kNotImplemented)},
  };
  static const std::vector<Entry> kInquest = {
      {"implemented", Impl(I::kImplemented)},
      {"partly implemented", Impl(I::kPartiallyImplemented)},
      {"partially implemented", Impl(I::kPartiallyImplemented)},
      {"rejected", Both(R::kRejected, I::kNotImplemented)},
      {"not responded", Stat(S::kPending)},
  };
  // The Mayor of London's October 2017 update on the Harris review.
  static const std::vector<Entry> kHarris = {
      {"implemented", Impl(I::kImplemented)},
      {"acted upon", Impl(I::kImplemented)},
      {"resolved", Impl(I::kImplemented)},
      {"underway", Impl(I::kInProgress)},
      {"under way", Impl(I::kInProgress)},
      {"outstanding", Impl(I::kNotStarted)},
      {"not taken forward", Both(R::kRejected, I::kNotImplemented)},
  };
  static const std::vector<Entry> kEmpty;
  if (vocabulary == "gao") return kGao;
  if (vocabulary == "uk_gov") return kUkGov;
  if (vocabulary == "pfd") return kPfd;
  if (vocabulary == "upr") return kUpr;
  if (vocabulary == "taic") return kTaic;
  if (vocabulary == "inquest") return kInquest;
  if (vocabulary == "harris") return kHarris;
  return kEmpty;
}

template <typename E, size_t N>
Result<E> ParseNamed(const Named (&names)[N], std::string_view name, std::string_view what) {
  std::string norm = NormaliseWord(name);
  for (size_t i = 0; i < N; ++i) {
    if (NormaliseWord(names[i].name) == norm) return static_cast<E>(i);
  }
  std::string known;
  for (size_t i = 0; i < N; ++i) known += (i ? ", " : "") + std::string(names[i].name);
  return Fail(Error::Invalid(fmt::format("unknown {} '{}' (known: {})", what, name, known)));
}

// A canonical name of any of the three vocabularies, as one mapping.
std::optional<StatusMapping> CanonicalWord(std::string_view word) {
  if (auto i = ParseNamed<Implementation>(kImplementationNames, word, "")) return Impl(*i);
  if (auto r = ParseNamed<ResponseKind>(kResponseNames, word, "")) return Resp(*r);
  if (auto s = ParseNamed<ResponseStatus>(kStatusNames, word, "")) return Stat(*s);
  return std::nullopt;
}

}  // namespace

std::vector<std::string> CanonicalWords() {
  std::vector<std::string> out;
  for (const auto& n : kImplementationNames) out.emplace_back(n.name);
  for (const auto& n : kResponseNames) out.emplace_back(n.name);
  for (const auto& n : kStatusNames) out.emplace_back(n.name);
  return out;
}

std::string_view Name(ResponseKind v) { return kResponseNames[static_cast<int>(v)].name; }
std::string_view Name(ResponseStatus v) { return kStatusNames[static_cast<int>(v)].name; }
std::string_view Name(Implementation v) { return kImplementationNames[static_cast<int>(v)].name; }
std::string_view Label(ResponseKind v) { return kResponseNames[static_cast<int>(v)].label; }
std::string_view Label(ResponseStatus v) { return kStatusNames[static_cast<int>(v)].label; }
std::string_view Label(Implementation v) { return kImplementationNames[static_cast<int>(v)].label; }

Result<ResponseKind> ParseResponseKind(std::string_view name) {
  return ParseNamed<ResponseKind>(kResponseNames, name, "response");
}
Result<ResponseStatus> ParseResponseStatus(std::string_view name) {
  return ParseNamed<ResponseStatus>(kStatusNames, name, "response status");
}
Result<Implementation> ParseImplementation(std::string_view name) {
  return ParseNamed<Implementation>(kImplementationNames, name, "implementation status");
}

bool IsTier(std::string_view tier) {
  return std::find(std::begin(kTiers), std::end(kTiers), tier) != std::end(kTiers);
}

std::string_view TierLabel(std::string_view tier) {
  for (const auto& [name, label] : kTierLabels)
    if (name == tier) return label;
  return tier;
}

std::vector<std::string> VocabularyNames() {
  return {"canonical", "gao", "uk_gov", "pfd", "upr", "taic", "inquest", "harris"};
}

bool IsVocabulary(std::string_view name) {
  auto names = VocabularyNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string NormaliseWord(std::string_view word) {
  std::string out;
  bool space = false;
  auto t = Trim(word);
  for (size_t i = 0; i < t.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    bool sep = c == ' ' || c == '\t' || c == '-' || c == '_' || c == '\r' || c == '\n';
    // U+2013 en dash, U+2014 em dash, U+2010 hyphen, U+2011 non-breaking hyphen.
    if (c == 0xE2 && i + 2 < t.size() && static_cast<unsigned char>(t[i + 1]) == 0x80) {
      unsigned char d = static_cast<unsigned char>(t[i + 2]);
      if (d == 0x93 || d == 0x94 || d == 0x90 || d == 0x91) {
        sep = true;
        i += 2;
      }
    }
    // U+00A0 no-break space.
    if (c == 0xC2 && i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) == 0xA0) {
      sep = true;
      i += 1;
    }
    if (sep) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
  }
  return out;
}

Status AddUserMapping(std::string_view spec, UserWordMap* map) {
  auto eq = spec.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
    return Fail(Error::Invalid(
        fmt::format("status mapping '{}' must be WORD=CANONICAL[+CANONICAL...]", spec)));
  std::string word = NormaliseWord(spec.substr(0, eq));
  auto parts = SplitTrimmed(spec.substr(eq + 1), "+");
  // " =done" and "done= " pass the checks above but name no word, or map it to nothing.
  if (word.empty() || parts.empty())
    return Fail(Error::Invalid(
        fmt::format("status mapping '{}' must be WORD=CANONICAL[+CANONICAL...]", spec)));
  StatusMapping m;
  for (const auto& part : parts) {
    if (auto i = ParseImplementation(part)) {
      m.implementation = *i;
    } else if (auto r = ParseResponseKind(part)) {
      m.response = *r;
    } else if (auto s = ParseResponseStatus(part)) {
      m.response_status = *s;
    } else {
      return Fail(Error::Invalid(fmt::format(
          "status mapping '{}': '{}' is not a canonical status (implementation: not_started, "
          "in_progress, partially_implemented, implemented, not_implemented, superseded, "
          "unknown; response: none, accepted, accepted_in_principle, partially_accepted, "
          "rejected, noted, under_consideration; response status: pending, overdue, partial, "
          "responded)",
          spec, part)));
    }
  }
  (*map)[word] = m;
  return {};
}

Result<StatusMapping> MapStatusWord(std::string_view vocabulary, std::string_view word,
                                    const UserWordMap* user) {
  std::string norm = NormaliseWord(word);
  if (user) {
    auto it = user->find(norm);
    if (it != user->end()) return it->second;
  }
  if (!IsVocabulary(vocabulary))
    return Fail(Error::Invalid(fmt::format("unknown vocabulary '{}' (known: {})", vocabulary,
                                           Join(VocabularyNames(), ", "))));
  for (const auto& e : Table(vocabulary))
    if (e.word == norm) return e.mapping;
  if (auto c = CanonicalWord(word)) return *c;
  return Fail(Error::Invalid(fmt::format(
      "unknown status word '{}' (vocabulary {}); map it with --status-map '{}=CANONICAL'",
      word, vocabulary, std::string(Trim(word)))));
}

std::vector<std::pair<std::string, StatusMapping>> VocabularyTable(std::string_view vocabulary) {
  std::vector<std::pair<std::string, StatusMapping>> out;
  if (vocabulary == "canonical") {
    for (const auto& n : kImplementationNames) out.emplace_back(n.name, *CanonicalWord(n.name));
    for (const auto& n : kResponseNames) out.emplace_back(n.name, *CanonicalWord(n.name));
    for (const auto& n : kStatusNames) out.emplace_back(n.name, *CanonicalWord(n.name));
    return out;
  }
  for (const auto& e : Table(vocabulary)) out.emplace_back(std::string(e.word), e.mapping);
  return out;
}

}  // namespace rectrack

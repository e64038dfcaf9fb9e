#include "core/vocab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace rectrack {
namespace {

using R = ResponseKind;
using S = ResponseStatus;
using I = Implementation;

const std::vector<std::string> kOutsideVocabularies = {"gao",  "uk_gov",  "pfd",   "upr",
                                                       "taic", "inquest", "harris"};

StatusMapping M(std::optional<R> r, std::optional<S> s, std::optional<I> i) { return {r, s, i}; }
StatusMapping Resp(R r) { return M(r, std::nullopt, std::nullopt); }
StatusMapping Stat(S s) { return M(std::nullopt, s, std::nullopt); }
StatusMapping Impl(I i) { return M(std::nullopt, std::nullopt, i); }
StatusMapping Both(R r, I i) { return M(r, std::nullopt, i); }

std::string Show(const StatusMapping& m) {
  std::string out = "{";
  out += m.response ? std::string(Name(*m.response)) : "-";
  out += ", ";
  out += m.response_status ? std::string(Name(*m.response_status)) : "-";
  out += ", ";
  out += m.implementation ? std::string(Name(*m.implementation)) : "-";
  return out + "}";
}

testing::AssertionResult Maps(std::string_view vocabulary, std::string_view word,
                              const StatusMapping& want, const UserWordMap* user = nullptr) {
  auto got = MapStatusWord(vocabulary, word, user);
  if (!got)
    return testing::AssertionFailure()
           << vocabulary << " '" << word << "' failed: " << got.error().message;
  if (!(*got == want))
    return testing::AssertionFailure()
           << vocabulary << " '" << word << "' maps to " << Show(*got) << ", want " << Show(want);
  return testing::AssertionSuccess();
}

testing::AssertionResult Mentions(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string Upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// ---- names and labels ----

TEST(VocabNamesTest, EnumArraysListEveryValueOnce) {
  std::set<int> r, s, i;
  for (auto v : kAllResponseKinds) r.insert(static_cast<int>(v));
  for (auto v : kAllResponseStatuses) s.insert(static_cast<int>(v));
  for (auto v : kAllImplementations) i.insert(static_cast<int>(v));
  EXPECT_EQ(r, (std::set<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(s, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(i, (std::set<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(std::size(kAllResponseKinds), 7u);
  EXPECT_EQ(std::size(kAllResponseStatuses), 4u);
  EXPECT_EQ(std::size(kAllImplementations), 7u);
}

TEST(VocabNamesTest, ResponseKindRoundTrip) {
  std::set<std::string> names, labels;
  for (auto v : kAllResponseKinds) {
    auto p = ParseResponseKind(Name(v));
    ASSERT_TRUE(p.has_value()) << Name(v);
    EXPECT_EQ(*p, v) << Name(v);
    // The human label reads back too (it normalises to the same words).
    auto l = ParseResponseKind(Label(v));
    if (v != R::kNone) {
      ASSERT_TRUE(l.has_value()) << Label(v);
      EXPECT_EQ(*l, v);
    }
    names.insert(std::string(Name(v)));
    labels.insert(std::string(Label(v)));
  }
  EXPECT_EQ(names.size(), std::size(kAllResponseKinds));
  EXPECT_EQ(labels.size(), std::size(kAllResponseKinds));
}

TEST(VocabNamesTest, ResponseStatusRoundTrip) {
  std::set<std::string> names;
  for (auto v : kAllResponseStatuses) {
    auto p = ParseResponseStatus(Name(v));
    ASSERT_TRUE(p.has_value()) << Name(v);
    EXPECT_EQ(*p, v);
    auto l = ParseResponseStatus(Label(v));
    ASSERT_TRUE(l.has_value());
    EXPECT_EQ(*l, v);
    names.insert(std::string(Name(v)));
  }
  EXPECT_EQ(names.size(), std::size(kAllResponseStatuses));
}

TEST(VocabNamesTest, ImplementationRoundTrip) {
  std::set<std::string> names, labels;
  for (auto v : kAllImplementations) {
    auto p = ParseImplementation(Name(v));
    ASSERT_TRUE(p.has_value()) << Name(v);
    EXPECT_EQ(*p, v);
    names.insert(std::string(Name(v)));
    labels.insert(std::string(Label(v)));
  }
  EXPECT_EQ(names.size(), std::size(kAllImplementations));
  EXPECT_EQ(labels.size(), std::size(kAllImplementations));
}

TEST(VocabNamesTest, SpecificNamesAndLabels) {
  EXPECT_EQ(Name(R::kAcceptedInPrinciple), "accepted_in_principle");
  EXPECT_EQ(Label(R::kAcceptedInPrinciple), "accepted in principle");
  EXPECT_EQ(Name(R::kNone), "none");
  EXPECT_EQ(Label(R::kNone), "no response");
  EXPECT_EQ(Name(S::kPending), "pending");
  EXPECT_EQ(Name(S::kOverdue), "overdue");
  EXPECT_EQ(Name(S::kPartial), "partial");
  EXPECT_EQ(Name(S::kResponded), "responded");
  EXPECT_EQ(Name(I::kNotStarted), "not_started");
  EXPECT_EQ(Name(I::kPartiallyImplemented), "partially_implemented");
  EXPECT_EQ(Name(I::kImplemented), "implemented");
  EXPECT_EQ(Name(I::kNotImplemented), "not_implemented");
  EXPECT_EQ(Name(I::kSuperseded), "superseded");
  EXPECT_EQ(Name(I::kUnknown), "unknown");
  EXPECT_EQ(Label(I::kUnknown), "not reported");
  EXPECT_EQ(Label(I::kInProgress), "in progress");
}

TEST(VocabNamesTest, ParseIsForgivingAboutSpelling) {
  EXPECT_EQ(ParseImplementation("In Progress").value(), I::kInProgress);
  EXPECT_EQ(ParseImplementation("  NOT-STARTED ").value(), I::kNotStarted);
  EXPECT_EQ(ParseResponseKind("Accepted – in principle").value(), R::kAcceptedInPrinciple);
  EXPECT_EQ(ParseResponseStatus("RESPONDED").value(), S::kResponded);
}

TEST(VocabNamesTest, ParseUnknownNamesTheWordAndTheChoices) {
  auto i = ParseImplementation("finished");
  ASSERT_FALSE(i.has_value());
  EXPECT_EQ(i.error().code, Error::Code::kInvalidInput);
  EXPECT_TRUE(Mentions(i.error().message, "'finished'"));
  EXPECT_TRUE(Mentions(i.error().message, "implementation status"));
  EXPECT_TRUE(Mentions(i.error().message, "partially_implemented"));
  auto r = ParseResponseKind("agreed");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(Mentions(r.error().message, "'agreed'"));
  EXPECT_TRUE(Mentions(r.error().message, "accepted_in_principle"));
  auto s = ParseResponseStatus("late");
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(Mentions(s.error().message, "'late'"));
  EXPECT_TRUE(Mentions(s.error().message, "overdue"));
  // One vocabulary's names are not another's.
  EXPECT_FALSE(ParseImplementation("accepted").has_value());
  EXPECT_FALSE(ParseResponseKind("implemented").has_value());
  EXPECT_FALSE(ParseResponseStatus("in_progress").has_value());
  EXPECT_FALSE(ParseImplementation("").has_value());
}

TEST(VocabNamesTest, Tiers) {
  std::set<std::string> labels;
  for (auto t : kTiers) {
    EXPECT_TRUE(IsTier(t)) << t;
    EXPECT_NE(TierLabel(t), t) << "tier without a label: " << t;
    labels.insert(std::string(TierLabel(t)));
  }
  EXPECT_EQ(labels.size(), std::size(kTiers));
  EXPECT_EQ(TierLabel("central_government"), "Central government");
  EXPECT_EQ(TierLabel("nhs"), "NHS");
  EXPECT_FALSE(IsTier("Central Government"));
  EXPECT_FALSE(IsTier("government"));
  EXPECT_FALSE(IsTier(""));
  // Unknown tiers are shown as written.
  EXPECT_EQ(TierLabel("space_agency"), "space_agency");
}

// ---- normalisation ----

TEST(NormaliseWordTest, CaseSpacesDashesUnderscores) {
  EXPECT_EQ(NormaliseWord("Closed – Implemented"), "closed implemented");  // en dash
  EXPECT_EQ(NormaliseWord("closed—implemented"), "closed implemented");    // em dash
  EXPECT_EQ(NormaliseWord("closed‐implemented"), "closed implemented");    // U+2010
  EXPECT_EQ(NormaliseWord("closed‑implemented"), "closed implemented");    // U+2011
  EXPECT_EQ(NormaliseWord("closed-implemented"), "closed implemented");
  EXPECT_EQ(NormaliseWord("CLOSED_IMPLEMENTED"), "closed implemented");
  EXPECT_EQ(NormaliseWord("  closed \t  implemented \r\n"), "closed implemented");
  EXPECT_EQ(NormaliseWord("closed\xC2\xA0implemented"), "closed implemented");  // NBSP
  EXPECT_EQ(NormaliseWord("\xC2\xA0 Closed - _ Implemented \xC2\xA0"), "closed implemented");
  EXPECT_EQ(NormaliseWord("-closed-"), "closed");
  EXPECT_EQ(NormaliseWord("closed –"), "closed");
  EXPECT_EQ(NormaliseWord(""), "");
  EXPECT_EQ(NormaliseWord(" - _ – "), "");
}

TEST(NormaliseWordTest, OtherCharactersKept) {
  EXPECT_EQ(NormaliseWord("Māori"), "māori");
  EXPECT_EQ(NormaliseWord("n/a"), "n/a");
  EXPECT_EQ(NormaliseWord("accepted (in part)"), "accepted (in part)");
  // Other punctuation in the 0xE2 0x80 block is not a dash.
  EXPECT_EQ(NormaliseWord("a…b"), "a…b");
  EXPECT_EQ(NormaliseWord("a’b"), "a’b");
}

// ---- vocabularies ----

TEST(VocabularyTest, Names) {
  auto names = VocabularyNames();
  std::vector<std::string> want = {"canonical", "gao",  "uk_gov",  "pfd",
                                   "upr",       "taic", "inquest", "harris"};
  EXPECT_EQ(names, want);
  for (const auto& n : names) EXPECT_TRUE(IsVocabulary(n)) << n;
  EXPECT_FALSE(IsVocabulary("GAO"));
  EXPECT_FALSE(IsVocabulary("ukgov"));
  EXPECT_FALSE(IsVocabulary(""));
}

TEST(VocabularyTest, EveryOutsideVocabularyHasATable) {
  for (const auto& v : kOutsideVocabularies) EXPECT_FALSE(VocabularyTable(v).empty()) << v;
  EXPECT_TRUE(VocabularyTable("nonsense").empty());
}

TEST(VocabularyTest, EveryTableWordMapsAsTheTableSays) {
  for (const auto& v : VocabularyNames()) {
    std::set<std::string> seen;
    for (const auto& [word, mapping] : VocabularyTable(v)) {
      EXPECT_TRUE(seen.insert(word).second) << v << " lists '" << word << "' twice";
      EXPECT_TRUE(Maps(v, word, mapping));
      // Every entry says something.
      EXPECT_TRUE(mapping.response || mapping.response_status || mapping.implementation)
          << v << " '" << word << "' maps to nothing";
    }
  }
}

TEST(VocabularyTest, TableWordsAreStoredNormalised) {
  for (const auto& v : kOutsideVocabularies)
    for (const auto& [word, mapping] : VocabularyTable(v))
      EXPECT_EQ(NormaliseWord(word), word) << v << " stores '" << word << "' unnormalised";
}

TEST(VocabularyTest, EveryTableWordMapsWhateverItsSpelling) {
  for (const auto& v : kOutsideVocabularies) {
    for (const auto& [word, mapping] : VocabularyTable(v)) {
      EXPECT_TRUE(Maps(v, Upper(word), mapping));
      EXPECT_TRUE(Maps(v, "  " + word + "\t", mapping));
      EXPECT_TRUE(Maps(v, Replace(word, " ", "_"), mapping));
      EXPECT_TRUE(Maps(v, Replace(word, " ", "-"), mapping));
      EXPECT_TRUE(Maps(v, Replace(word, " ", " – "), mapping));
      EXPECT_TRUE(Maps(v, Replace(word, " ", "   "), mapping));
    }
  }
}

TEST(VocabularyTest, CanonicalTableListsEveryName) {
  auto table = VocabularyTable("canonical");
  EXPECT_EQ(table.size(), std::size(kAllImplementations) + std::size(kAllResponseKinds) +
                              std::size(kAllResponseStatuses));
  auto find = [&](std::string_view w) -> std::optional<StatusMapping> {
    for (const auto& [word, m] : table)
      if (word == w) return m;
    return std::nullopt;
  };
  for (auto v : kAllImplementations) EXPECT_EQ(find(Name(v)), Impl(v)) << Name(v);
  for (auto v : kAllResponseKinds) EXPECT_EQ(find(Name(v)), Resp(v)) << Name(v);
  for (auto v : kAllResponseStatuses) EXPECT_EQ(find(Name(v)), Stat(v)) << Name(v);
}

TEST(VocabularyTest, CanonicalNamesAreUnderstoodInEveryVocabulary) {
  for (const auto& v : VocabularyNames()) {
    auto table = VocabularyTable(v);
    auto in_table = [&](std::string_view name) {
      std::string n = NormaliseWord(name);
      return std::any_of(table.begin(), table.end(), [&](const auto& e) { return e.first == n; });
    };
    // Where the vocabulary has its own reading of the word, that reading wins
    // (checked by EveryTableWordMapsAsTheTableSays); elsewhere the canonical one.
    for (auto i : kAllImplementations) {
      if (v != "canonical" && in_table(Name(i))) continue;
      EXPECT_TRUE(Maps(v, Name(i), Impl(i)));
      EXPECT_TRUE(Maps(v, Label(i) == "not reported" ? Name(i) : Label(i), Impl(i)));
    }
    for (auto r : kAllResponseKinds) {
      if (v != "canonical" && in_table(Name(r))) continue;
      EXPECT_TRUE(Maps(v, Name(r), Resp(r)));
    }
    for (auto s : kAllResponseStatuses) {
      if (v != "canonical" && in_table(Name(s))) continue;
      EXPECT_TRUE(Maps(v, Upper(std::string(Name(s))), Stat(s)));
    }
  }
}

TEST(VocabularyTest, GaoMeanings) {
  EXPECT_TRUE(Maps("gao", "Closed – Implemented", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("gao", "Closed - Implemented", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("gao", "closed—implemented", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("gao", "Closed – Not Implemented", Impl(I::kNotImplemented)));
  EXPECT_TRUE(Maps("gao", "Open", Impl(I::kInProgress)));
  EXPECT_TRUE(Maps("gao", "Open – Partially Addressed", Impl(I::kPartiallyImplemented)));
  EXPECT_TRUE(Maps("gao", "Open – Unresolved", Impl(I::kNotStarted)));
  EXPECT_EQ(VocabularyTable("gao").size(), 5u);
}

TEST(VocabularyTest, UkGovMeanings) {
  EXPECT_TRUE(Maps("uk_gov", "Complete", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("uk_gov", "Completed", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("uk_gov", "In progress", Impl(I::kInProgress)));
  EXPECT_TRUE(Maps("uk_gov", "Not started", Impl(I::kNotStarted)));
  EXPECT_TRUE(Maps("uk_gov", "Superseded", Impl(I::kSuperseded)));
  EXPECT_TRUE(Maps("uk_gov", "Accepted", Resp(R::kAccepted)));
  EXPECT_TRUE(Maps("uk_gov", "Accepted in full", Resp(R::kAccepted)));
  EXPECT_TRUE(Maps("uk_gov", "Accepted in principle", Resp(R::kAcceptedInPrinciple)));
  EXPECT_TRUE(Maps("uk_gov", "Accepted in part", Resp(R::kPartiallyAccepted)));
  EXPECT_TRUE(Maps("uk_gov", "Partially accepted", Resp(R::kPartiallyAccepted)));
  EXPECT_TRUE(Maps("uk_gov", "Not accepted", Resp(R::kRejected)));
  EXPECT_TRUE(Maps("uk_gov", "Rejected", Resp(R::kRejected)));
  EXPECT_TRUE(Maps("uk_gov", "Noted", Resp(R::kNoted)));
  EXPECT_TRUE(Maps("uk_gov", "Under consideration", Resp(R::kUnderConsideration)));
}

TEST(VocabularyTest, PfdMeanings) {
  // The scraper rolls replies up per report; only the response status is known.
  EXPECT_TRUE(Maps("pfd", "Completed", Stat(S::kResponded)));
  EXPECT_TRUE(Maps("pfd", "partial", Stat(S::kPartial)));
  EXPECT_TRUE(Maps("pfd", "Partial", Stat(S::kPartial)));
  EXPECT_TRUE(Maps("pfd", "Overdue", Stat(S::kOverdue)));
  EXPECT_TRUE(Maps("pfd", "Pending", Stat(S::kPending)));
  EXPECT_EQ(VocabularyTable("pfd").size(), 4u);
  // "completed" means the reply came, not that anything was implemented.
  auto c = MapStatusWord("pfd", "completed");
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->implementation.has_value());
}

TEST(VocabularyTest, UprMeanings) {
  EXPECT_TRUE(Maps("upr", "Supported", Resp(R::kAccepted)));
  EXPECT_TRUE(Maps("upr", "Support", Resp(R::kAccepted)));
  EXPECT_TRUE(Maps("upr", "Accepted", Resp(R::kAccepted)));
  EXPECT_TRUE(Maps("upr", "consider", Resp(R::kUnderConsideration)));
  EXPECT_TRUE(Maps("upr", "Noted", Resp(R::kNoted)));
  EXPECT_TRUE(Maps("upr", "Reject", Resp(R::kRejected)));
  EXPECT_TRUE(Maps("upr", "Rejected", Resp(R::kRejected)));
  // The vocabulary's own reading of a canonical word wins over the canonical one.
  EXPECT_TRUE(Maps("upr", "Implemented", Both(R::kAccepted, I::kImplemented)));
  EXPECT_TRUE(Maps("upr", "Already implemented", Both(R::kAccepted, I::kImplemented)));
  EXPECT_TRUE(Maps("upr", "unknown", Resp(R::kNone)));
}

TEST(VocabularyTest, TaicMeanings) {
  EXPECT_TRUE(Maps("taic", "Accepted and implemented", Both(R::kAccepted, I::kImplemented)));
  EXPECT_TRUE(Maps("taic", "Accepted and being implemented", Both(R::kAccepted, I::kInProgress)));
  EXPECT_TRUE(Maps("taic", "Accepted", Resp(R::kAccepted)));
  EXPECT_TRUE(Maps("taic", "Under consideration", Resp(R::kUnderConsideration)));
  EXPECT_TRUE(Maps("taic", "Rejected", Both(R::kRejected, I::kNotImplemented)));
  EXPECT_TRUE(Maps("taic", "Not accepted", Both(R::kRejected, I::kNotImplemented)));
}

TEST(VocabularyTest, InquestMeanings) {
  EXPECT_TRUE(Maps("inquest", "Implemented", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("inquest", "Partly implemented", Impl(I::kPartiallyImplemented)));
  EXPECT_TRUE(Maps("inquest", "Partially implemented", Impl(I::kPartiallyImplemented)));
  EXPECT_TRUE(Maps("inquest", "Rejected", Both(R::kRejected, I::kNotImplemented)));
  EXPECT_TRUE(Maps("inquest", "Not responded", Stat(S::kPending)));
  EXPECT_TRUE(Maps("inquest", "not_responded", Stat(S::kPending)));
}

TEST(VocabularyTest, HarrisMeanings) {
  EXPECT_TRUE(Maps("harris", "Implemented", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("harris", "Acted upon", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("harris", "Resolved", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("harris", "Underway", Impl(I::kInProgress)));
  EXPECT_TRUE(Maps("harris", "Under way", Impl(I::kInProgress)));
  EXPECT_TRUE(Maps("harris", "Outstanding", Impl(I::kNotStarted)));
  EXPECT_TRUE(Maps("harris", "Not taken forward", Both(R::kRejected, I::kNotImplemented)));
  EXPECT_EQ(VocabularyTable("harris").size(), 7u);
}

TEST(VocabularyTest, WordsDoNotLeakBetweenVocabularies) {
  EXPECT_FALSE(MapStatusWord("harris", "closed implemented").has_value());
  EXPECT_FALSE(MapStatusWord("gao", "acted upon").has_value());
  EXPECT_FALSE(MapStatusWord("uk_gov", "consider").has_value());
  EXPECT_FALSE(MapStatusWord("canonical", "complete").has_value());
  EXPECT_FALSE(MapStatusWord("pfd", "accepted and implemented").has_value());
  // The same word means different things in different vocabularies.
  EXPECT_TRUE(Maps("inquest", "rejected", Both(R::kRejected, I::kNotImplemented)));
  EXPECT_TRUE(Maps("uk_gov", "rejected", Resp(R::kRejected)));
  EXPECT_TRUE(Maps("canonical", "implemented", Impl(I::kImplemented)));
  EXPECT_TRUE(Maps("upr", "implemented", Both(R::kAccepted, I::kImplemented)));
}

TEST(VocabularyTest, UnknownWordNamesWordAndVocabulary) {
  for (const auto& v : VocabularyNames()) {
    auto r = MapStatusWord(v, "  Sort Of Done ");
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().code, Error::Code::kInvalidInput);
    EXPECT_TRUE(Mentions(r.error().message, "Sort Of Done"));
    EXPECT_TRUE(Mentions(r.error().message, "vocabulary " + v));
    // and says how to fix it
    EXPECT_TRUE(Mentions(r.error().message, "--status-map 'Sort Of Done=CANONICAL'"));
  }
  EXPECT_FALSE(MapStatusWord("gao", "").has_value());
}

TEST(VocabularyTest, UnknownVocabulary) {
  auto r = MapStatusWord("klingon", "implemented");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Error::Code::kInvalidInput);
  EXPECT_TRUE(Mentions(r.error().message, "'klingon'"));
  EXPECT_TRUE(Mentions(r.error().message, "harris"));
}

// ---- user mappings ----

TEST(UserMappingTest, AddsWordsAVocabularyLacks) {
  UserWordMap user;
  ASSERT_TRUE(AddUserMapping("done=implemented", &user).has_value());
  ASSERT_TRUE(AddUserMapping("ok=accepted+implemented", &user).has_value());
  EXPECT_FALSE(MapStatusWord("harris", "done").has_value());
  EXPECT_TRUE(Maps("harris", "Done", Impl(I::kImplemented), &user));
  EXPECT_TRUE(Maps("gao", "OK", Both(R::kAccepted, I::kImplemented), &user));
  EXPECT_TRUE(Maps("canonical", "ok", Both(R::kAccepted, I::kImplemented), &user));
}

TEST(UserMappingTest, OverridesTheVocabulary) {
  UserWordMap user;
  ASSERT_TRUE(AddUserMapping("Outstanding=in_progress", &user).has_value());
  ASSERT_TRUE(AddUserMapping("implemented=partially_implemented", &user).has_value());
  EXPECT_TRUE(Maps("harris", "outstanding", Impl(I::kInProgress), &user));
  // Canonical names too.
  EXPECT_TRUE(Maps("harris", "Implemented", Impl(I::kPartiallyImplemented), &user));
  // Other words still come from the vocabulary.
  EXPECT_TRUE(Maps("harris", "acted upon", Impl(I::kImplemented), &user));
  // A later mapping of the same word replaces the earlier one.
  ASSERT_TRUE(AddUserMapping("OUTSTANDING=not_started", &user).has_value());
  EXPECT_TRUE(Maps("harris", "outstanding", Impl(I::kNotStarted), &user));
  EXPECT_EQ(user.size(), 2u);
}

TEST(UserMappingTest, WordsAreNormalised) {
  UserWordMap user;
  ASSERT_TRUE(AddUserMapping("  Work_In – Hand =in progress", &user).has_value());
  ASSERT_EQ(user.count("work in hand"), 1u);
  EXPECT_TRUE(Maps("gao", "work-in-hand", Impl(I::kInProgress), &user));
  EXPECT_TRUE(Maps("gao", "WORK IN HAND", Impl(I::kInProgress), &user));
}

TEST(UserMappingTest, CombinesAllThreeKinds) {
  UserWordMap user;
  ASSERT_TRUE(AddUserMapping("replied late=responded + accepted_in_principle + in_progress", &user)
                  .has_value());
  EXPECT_TRUE(Maps("pfd", "Replied late", M(R::kAcceptedInPrinciple, S::kResponded, I::kInProgress),
                   &user));
  ASSERT_TRUE(AddUserMapping("nothing yet=none+pending", &user).has_value());
  EXPECT_TRUE(Maps("pfd", "nothing yet", M(R::kNone, S::kPending, std::nullopt), &user));
}

TEST(UserMappingTest, BadSpecsAreErrorsAndChangeNothing) {
  UserWordMap user;
  ASSERT_TRUE(AddUserMapping("done=implemented", &user).has_value());
  const UserWordMap before = user;
  for (const char* spec :
       {"done", "", "=implemented", "done=", "done=finished", "done=accepted+finished",
        "done= ", "done=+", "done= + ", " =implemented", "_=implemented"}) {
    auto s = AddUserMapping(spec, &user);
    ASSERT_FALSE(s.has_value()) << "'" << spec << "' was accepted";
    EXPECT_EQ(s.error().code, Error::Code::kInvalidInput) << spec;
    EXPECT_TRUE(Mentions(s.error().message, "'" + std::string(spec) + "'"));
    EXPECT_EQ(user, before) << spec;
  }
  auto s = AddUserMapping("done=accepted+finished", &user);
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(Mentions(s.error().message, "'finished' is not a canonical status"));
}

}  // namespace
}  // namespace rectrack

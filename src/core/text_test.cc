#include "core/text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rectrack {
namespace {

const std::string kNbsp = "\xC2\xA0";

TEST(TrimTest, AsciiWhitespace) {
  EXPECT_EQ(Trim("  abc  "), "abc");
  EXPECT_EQ(Trim("\t\r\nabc\r\n"), "abc");
  EXPECT_EQ(Trim("a b"), "a b");
  EXPECT_EQ(Trim(" a  b "), "a  b");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim(" \t\r\n "), "");
  EXPECT_EQ(Trim("abc"), "abc");
}

TEST(TrimTest, NonBreakingSpace) {
  EXPECT_EQ(Trim(kNbsp + "abc" + kNbsp), "abc");
  EXPECT_EQ(Trim(kNbsp + kNbsp + "abc"), "abc");
  EXPECT_EQ(Trim(kNbsp), "");
  // Inner no-break spaces stay.
  EXPECT_EQ(Trim("a" + kNbsp + "b"), "a" + kNbsp + "b");
  // A lone 0xC2 or 0xA0 is not a no-break space.
  EXPECT_EQ(Trim("abc\xC2"), "abc\xC2");
  EXPECT_EQ(Trim("\xA0"
                 "abc"),
            "\xA0"
            "abc");
  // "é" is C3 A9, not to be confused with C2 A0.
  EXPECT_EQ(Trim("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(TrimTest, MixedAsciiAndNonBreakingSpace) {
  // Pasted spreadsheet cells mix the two in any order.
  EXPECT_EQ(Trim(" " + kNbsp + "abc"), "abc");
  EXPECT_EQ(Trim(kNbsp + " abc"), "abc");
  EXPECT_EQ(Trim("abc " + kNbsp), "abc");
  EXPECT_EQ(Trim("abc" + kNbsp + " "), "abc");
  EXPECT_EQ(Trim(" " + kNbsp + " \t" + kNbsp + "abc" + kNbsp + " " + kNbsp + "\n"), "abc");
  EXPECT_EQ(Trim(" " + kNbsp + " "), "");
}

TEST(TextTest, ToLowerAscii) {
  EXPECT_EQ(ToLowerAscii("Closed – IMPLEMENTED"), "closed – implemented");
  EXPECT_EQ(ToLowerAscii("ÉCOLE"), "École");  // only ASCII folds
  EXPECT_EQ(ToLowerAscii("azAZ09@[`{"), "azaz09@[`{");
}

TEST(TextTest, SplitTrimmed) {
  EXPECT_EQ(SplitTrimmed("a, b ,c", ","), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitTrimmed(" a ;; b ; ", ";"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitTrimmed("", ","), std::vector<std::string>{});
  EXPECT_EQ(SplitTrimmed(" , , ", ","), std::vector<std::string>{});
  // The separator is a string, not a set of characters.
  EXPECT_EQ(SplitTrimmed("a; b;;c", ";;"), (std::vector<std::string>{"a; b", "c"}));
  EXPECT_EQ(SplitTrimmed("accepted+implemented", "+"),
            (std::vector<std::string>{"accepted", "implemented"}));
  EXPECT_EQ(SplitTrimmed("  whole  ", ""), std::vector<std::string>{"whole"});
  EXPECT_EQ(SplitTrimmed("   ", ""), std::vector<std::string>{});
}

TEST(TextTest, FindsTheControlCharactersNoTextMayHold) {
  EXPECT_EQ(FindControlCharacter("plain text, caf\xC3\xA9 \xE2\x80\x94 ok"), std::string_view::npos);
  EXPECT_EQ(FindControlCharacter("tab\tnew\nline\r\n"), std::string_view::npos);
  EXPECT_EQ(FindControlCharacter(std::string("a\0b", 3)), 1u);
  EXPECT_EQ(FindControlCharacter("bell\x07"), 4u);
  EXPECT_EQ(FindControlCharacter("esc\x1b[31m"), 3u);
  EXPECT_EQ(FindControlCharacter("del\x7f"), 3u);
  EXPECT_EQ(FindControlCharacter("c1 \xC2\x85 next line"), 3u);
  EXPECT_EQ(FindControlCharacter("nbsp \xC2\xA0 is fine"), std::string_view::npos);
  // From a position: the next one at or after it; a C1's second byte alone is none.
  EXPECT_EQ(FindControlCharacter("a\x01" "b\x02" "c", 1), 1u);
  EXPECT_EQ(FindControlCharacter("a\x01" "b\x02" "c", 2), 3u);
  EXPECT_EQ(FindControlCharacter("a\x01" "b\x02" "c", 4), std::string_view::npos);
  EXPECT_EQ(FindControlCharacter("c1 \xC2\x85 x", 4), std::string_view::npos);
  EXPECT_EQ(FindControlCharacter("ab", 5), std::string_view::npos);
  EXPECT_EQ(CodePointAt("bell\x07", 4), "U+0007");
  EXPECT_EQ(CodePointAt("c1 \xC2\x85", 3), "U+0085");
  EXPECT_EQ(CodePointAt(std::string("a\0", 2), 1), "U+0000");
}

TEST(TextTest, Join) {
  EXPECT_EQ(Join({}, ", "), "");
  EXPECT_EQ(Join({"a"}, ", "), "a");
  EXPECT_EQ(Join({"Home Office", "Met", "MOPAC"}, ", "), "Home Office, Met, MOPAC");
  EXPECT_EQ(Join({"", ""}, "|"), "|");
}

TEST(TextTest, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("source", "source"), 0u);
  EXPECT_EQ(EditDistance("sorce", "source"), 1u);     // a letter left out
  EXPECT_EQ(EditDistance("soucre", "source"), 1u);    // two neighbours swapped
  EXPECT_EQ(EditDistance("pdf", "pfd"), 1u);
  EXPECT_EQ(EditDistance("ca", "abc"), 3u);           // no edit twice over one letter
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
}

TEST(TextTest, ClosestMatch) {
  const std::vector<std::string> options = {"--source", "--kind", "--as-of", "--format", "--status"};
  EXPECT_EQ(ClosestMatch("--sorce", options), "--source");
  EXPECT_EQ(ClosestMatch("--SOURCE", options), "--source");   // case aside
  EXPECT_EQ(ClosestMatch("--knd", options), "--kind");
  EXPECT_EQ(ClosestMatch("pdf", {"pfd", "review", "upr"}), "pfd");
  EXPECT_EQ(ClosestMatch("--asof", options), "--as-of");
  EXPECT_EQ(ClosestMatch("--colour", options), "");           // nothing like it
  EXPECT_EQ(ClosestMatch("", options), "");
  // Equally near two: no guess.
  EXPECT_EQ(ClosestMatch("--statu", {"--status", "--statue"}), "");
  // Too far by distance, but the only one it begins: a prefix.
  EXPECT_EQ(ClosestMatch("inq", {"inquiry", "review", "pfd"}), "inquiry");
  EXPECT_EQ(ClosestMatch("inqiury", {"inquiry", "review", "pfd"}), "inquiry");
  EXPECT_EQ(ClosestMatch("r", {"review", "report"}), "");
}

TEST(SlugifyTest, Basics) {
  EXPECT_EQ(Slugify("Harris Review 2016"), "harris-review-2016");
  EXPECT_EQ(Slugify("harris-2016"), "harris-2016");
  EXPECT_EQ(Slugify("PFD 2024-0131"), "pfd-2024-0131");
}

TEST(SlugifyTest, PunctuationCollapsesToOneDash) {
  EXPECT_EQ(Slugify("Grenfell Tower Inquiry: Phase 2 (Report)"),
            "grenfell-tower-inquiry-phase-2-report");
  EXPECT_EQ(Slugify("a -- b"), "a-b");
  EXPECT_EQ(Slugify("a_b.c/d"), "a-b-c-d");
  EXPECT_EQ(Slugify("  --Leading and trailing!--  "), "leading-and-trailing");
  EXPECT_EQ(Slugify("113.6"), "113-6");
}

TEST(SlugifyTest, AccentsFoldToDash) {
  // Each non-ASCII character becomes one separator, whatever its byte length.
  EXPECT_EQ(Slugify("Café"), "caf");
  EXPECT_EQ(Slugify("Café au lait"), "caf-au-lait");
  EXPECT_EQ(Slugify("naïve"), "na-ve");
  EXPECT_EQ(Slugify("Māori Crown relations"), "m-ori-crown-relations");
  EXPECT_EQ(Slugify("a–b"), "a-b");  // en dash, 3 bytes
  EXPECT_EQ(Slugify("a😀b"), "a-b");  // 4 bytes
  EXPECT_EQ(Slugify("Straße"), "stra-e");
}

TEST(SlugifyTest, NeverEmpty) {
  EXPECT_EQ(Slugify(""), "x");
  EXPECT_EQ(Slugify("!!!"), "x");
  EXPECT_EQ(Slugify("   "), "x");
  EXPECT_EQ(Slugify("é"), "x");
  EXPECT_EQ(Slugify("–"), "x");
}

TEST(SlugifyTest, OutputIsAlwaysASlug) {
  for (const char* s : {"Hello, World!", "  x  ", "ÀÉÎÕÜ", "a\tb\nc", "R12 / R13", "--", "0"}) {
    std::string slug = Slugify(s);
    ASSERT_FALSE(slug.empty()) << s;
    EXPECT_NE(slug.front(), '-') << s;
    EXPECT_NE(slug.back(), '-') << s;
    EXPECT_EQ(slug.find("--"), std::string::npos) << s;
    for (char c : slug)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << s;
    EXPECT_EQ(Slugify(slug), slug) << "not idempotent: " << s;
  }
}

TEST(Utf8Test, Valid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii\t\n"));
  EXPECT_TRUE(IsValidUtf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9"));       // é, 2 bytes
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));          // U+0080, smallest 2-byte
  EXPECT_TRUE(IsValidUtf8("\xDF\xBF"));          // U+07FF
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  EXPECT_TRUE(IsValidUtf8("\xE2\x80\x93"));      // en dash
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, just below surrogates
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));      // U+E000, just above surrogates
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // 😀
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  EXPECT_TRUE(IsValidUtf8("Māori – £172m 😀 ok"));
}

TEST(Utf8Test, Overlongs) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // '/' in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // U+007F in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // NUL in 2 bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // '/' in 4 bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
}

TEST(Utf8Test, Surrogates) {
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xAF\xBF"));  // U+DBFF
  EXPECT_FALSE(IsValidUtf8("\xED\xB0\x80"));  // U+DC00
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));  // U+DFFF
  // CESU-8 style pair for U+1F600.
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\xBD\xED\xB8\x80"));
}

TEST(Utf8Test, BeyondUnicode) {
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));  // 5-byte form
  EXPECT_FALSE(IsValidUtf8("\xFE"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(Utf8Test, TruncatedAndStray) {
  EXPECT_FALSE(IsValidUtf8("\xC3"));  // lead byte at the end
  EXPECT_FALSE(IsValidUtf8("caf\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x80"));      // 3-byte cut after 2
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));  // 4-byte cut after 3
  EXPECT_FALSE(
      IsValidUtf8("\xF0\x9F\x98"
                  "a"));  // ASCII where continuation due
  EXPECT_FALSE(
      IsValidUtf8("\xC3"
                  "a"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x80\x93\x93"));  // extra continuation
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(
      IsValidUtf8("a\xBF"
                  "b"));
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));  // Latin-1 é
  EXPECT_FALSE(IsValidUtf8("\xC3\xC3\xA9"));
}

TEST(TextTest, HtmlEscape) {
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("plain"), "plain");
  EXPECT_EQ(HtmlEscape("<script>alert('x & \"y\"')</script>"),
            "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;");
  // Already-escaped text is escaped again, not trusted.
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");
  EXPECT_EQ(HtmlEscape("Māori – £"), "Māori – £");
}

TEST(TextTest, WithThousands) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(7), "7");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1000), "1,000");
  EXPECT_EQ(WithThousands(12345), "12,345");
  EXPECT_EQ(WithThousands(100000), "100,000");
  EXPECT_EQ(WithThousands(172000000), "172,000,000");
  EXPECT_EQ(WithThousands(1234567890), "1,234,567,890");
}

TEST(TextTest, WithThousandsNegative) {
  EXPECT_EQ(WithThousands(-1), "-1");
  EXPECT_EQ(WithThousands(-999), "-999");
  EXPECT_EQ(WithThousands(-1000), "-1,000");
  EXPECT_EQ(WithThousands(-172000000), "-172,000,000");
  EXPECT_EQ(WithThousands(std::numeric_limits<int64_t>::max()), "9,223,372,036,854,775,807");
  EXPECT_EQ(WithThousands(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854,775,808");
}

TEST(FormatMoneyTest, ExactMillions) {
  EXPECT_EQ(FormatMoney(172000000, "GBP"), "£172m");
  EXPECT_EQ(FormatMoney(1000000, "GBP"), "£1m");
  EXPECT_EQ(FormatMoney(2000000000, "GBP"), "£2,000m");
}

TEST(FormatMoneyTest, TenthsOfMillions) {
  EXPECT_EQ(FormatMoney(345500000, "GBP"), "£345.5m");
  EXPECT_EQ(FormatMoney(172400000, "GBP"), "£172.4m");
  EXPECT_EQ(FormatMoney(1500000, "GBP"), "£1.5m");
  // The whole millions group their thousands as exact millions do.
  EXPECT_EQ(FormatMoney(1234500000, "GBP"), "£1,234.5m");
}

TEST(FormatMoneyTest, ExactPounds) {
  EXPECT_EQ(FormatMoney(0, "GBP"), "£0");
  EXPECT_EQ(FormatMoney(999, "GBP"), "£999");
  EXPECT_EQ(FormatMoney(172450000, "GBP"), "£172,450,000");
  EXPECT_EQ(FormatMoney(1000001, "GBP"), "£1,000,001");
  EXPECT_EQ(FormatMoney(25000, "GBP"), "£25,000");
}

TEST(FormatMoneyTest, CurrenciesAndSign) {
  EXPECT_EQ(FormatMoney(5000000, "EUR"), "€5m");
  EXPECT_EQ(FormatMoney(12345, "USD"), "$12,345");
  EXPECT_EQ(FormatMoney(5000000, "NZD"), "NZD 5m");
  EXPECT_EQ(FormatMoney(-172000000, "GBP"), "-£172m");
  EXPECT_EQ(FormatMoney(-345500000, "GBP"), "-£345.5m");
  EXPECT_EQ(FormatMoney(-1234, "GBP"), "-£1,234");
}

}  // namespace
}  // namespace rectrack

namespace rectrack {
namespace {

TEST(DaysInWordsTest, SaysDaysAsPeopleDo) {
  EXPECT_EQ(DaysInWords(1), "1 day");
  EXPECT_EQ(DaysInWords(59), "59 days");
  EXPECT_EQ(DaysInWords(60), "2 months");
  EXPECT_EQ(DaysInWords(364), "12 months");
  EXPECT_EQ(DaysInWords(365), "1 year");
  EXPECT_EQ(DaysInWords(948), "2 years 7 months");
  EXPECT_EQ(DaysInWords(3420), "9 years 4 months");
}

TEST(NormalisedForRepeatTest, CopiesThatDifferTriviallyNormaliseAlike) {
  const std::string plain = NormalisedForRepeat("Review the \"duty\" of care.", "012/21");
  EXPECT_EQ(plain, "Review the \"duty\" of care.");
  EXPECT_EQ(NormalisedForRepeat("  Review  the\n\xE2\x80\x9C" "duty\xE2\x80\x9D of\xC2\xA0" "care. ",
                                "012/21"),
            plain);
  EXPECT_EQ(NormalisedForRepeat("Review the \"duty\" of care. (012/21)", "012/21"), plain);
  EXPECT_EQ(NormalisedForRepeat("Review the \"duty\" of care (012/21).", "012/21"), plain);
  EXPECT_EQ(NormalisedForRepeat("Review the \"duty\" of care. [ 012/21 ]", "012/21"), plain);
  EXPECT_EQ(NormalisedForRepeat("It\xE2\x80\x99s due", "1"), "It's due");
}

TEST(NormalisedForRepeatTest, RealDifferencesStay) {
  // Another ref in brackets is part of the text.
  EXPECT_EQ(NormalisedForRepeat("See also (012/22)", "012/21"), "See also (012/22)");
  EXPECT_NE(NormalisedForRepeat("Review the duty", "R1"), NormalisedForRepeat("Review a duty", "R1"));
  // Brackets alone, or an echo that is not at the end, are kept.
  EXPECT_EQ(NormalisedForRepeat("(R1)", "R1"), "(R1)");
  EXPECT_EQ(NormalisedForRepeat("Under (R1) do this", "R1"), "Under (R1) do this");
  // A full stop is not white space: these two differ.
  EXPECT_NE(NormalisedForRepeat("Do it (R1)", "R1"), NormalisedForRepeat("Do it.", "R1"));
  // With no ref, nothing is taken as an echo.
  EXPECT_EQ(NormalisedForRepeat("Do it ()", ""), "Do it ()");
}

}  // namespace
}  // namespace rectrack

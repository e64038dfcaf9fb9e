#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rectrack {

std::string_view Trim(std::string_view s);
std::string ToLowerAscii(std::string_view s);
// Splits on every occurrence of `sep` (a string, not a set); trims each part and
// drops empty ones.
std::vector<std::string> SplitTrimmed(std::string_view s, std::string_view sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// Lower-case ASCII letters, digits and single '-'; other characters (accents
// included) fold to '-'. Never empty: "" becomes "x".
std::string Slugify(std::string_view s);
// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);
// The first character that no text in rectrack may hold, in UTF-8 `s`: a C0
// control other than tab, LF and CR (NUL, BEL, ESC...), DEL, or a C1 control
// (U+0080 to U+009F), at or after `from`. npos if there is none. Such bytes are
// invisible, break terminals and feeds, and come from binary or mis-decoded files.
size_t FindControlCharacter(std::string_view s, size_t from = 0);
// "U+0007": the code point of the character that starts at `pos` (ASCII or
// a two-byte sequence, as FindControlCharacter finds them).
std::string CodePointAt(std::string_view s, size_t pos);
// Escapes for HTML text and attribute values (& < > " ').
std::string HtmlEscape(std::string_view s);
// Formats 172000000 as "172,000,000".
std::string WithThousands(int64_t n);
// Money for people: "£172m" for whole millions, "£345.5m" for tenths of a million
// (from £1m up), else whole units: "£172,412", "£500,000".
std::string FormatMoney(int64_t amount, std::string_view currency);
// A number of days as people say it: "9 years 1 month", "3 months", "12 days"
// (a year of 365 days, a month of 30; under two months in days).
std::string DaysInWords(int64_t days);
// "1 day", "2 days", "1,204 days": a count with thousands separators and the
// word for it.
std::string Plural(int64_t n, std::string_view one, std::string_view many);
// The text with its first letter a capital (ASCII): "not started" -> "Not started".
std::string SentenceCase(std::string_view s);
// The text of a recommendation as far as telling copies apart goes: runs of
// white space (NBSP included) become one space, curly quotes and primes become
// straight ones, the ends are trimmed, and a bracketed echo of the
// recommendation's own ref at the end ("... (012/21)", "... [R4]."), is
// dropped. Two rows whose texts normalise alike are copies of one recommendation.
std::string NormalisedForRepeat(std::string_view text, std::string_view ref);

// Edit distance between two byte strings: insertions, deletions, substitutions
// and swaps of two neighbouring bytes (Damerau's optimal string alignment).
size_t EditDistance(std::string_view a, std::string_view b);
// Of `candidates`, the one `word` most likely meant, ignoring ASCII case: the
// nearest by EditDistance if within a third of its length (at least 1, at
// most 3), else the only one that begins with `word`; "" when none is close
// or two are equally close.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace rectrack

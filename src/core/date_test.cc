#include "core/date.h"

#include <gtest/gtest.h>

#include <string>

namespace rectrack {
namespace {

Date Iso(std::string_view s) {
  auto d = Date::ParseIso(s);
  EXPECT_TRUE(d.has_value()) << s << ": " << (d ? "" : d.error().message);
  return d.value_or(Date());
}

testing::AssertionResult Mentions(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "'" << text << "' does not mention '" << part << "'";
}

TEST(DateTest, DefaultIsEpoch) {
  EXPECT_EQ(Date().days(), 0);
  EXPECT_EQ(Date().ToIso(), "1970-01-01");
}

TEST(DateTest, ParseIsoGivesDaysSinceEpoch) {
  EXPECT_EQ(Iso("1970-01-01").days(), 0);
  EXPECT_EQ(Iso("1969-12-31").days(), -1);
  EXPECT_EQ(Iso("2000-02-29").days(), 11016);
  EXPECT_EQ(Iso("2016-10-28").days(), 17102);
  EXPECT_EQ(Iso("2024-01-01").days(), 19723);
  EXPECT_EQ(Iso("0001-01-01").days(), -719162);
  EXPECT_EQ(Iso("9999-12-31").days(), 2932896);
}

TEST(DateTest, IsoRoundTrips) {
  for (const char* s : {"1970-01-01", "1969-12-31", "2000-02-29", "2016-10-28", "2024-12-31",
                        "0001-01-01", "9999-12-31", "1900-03-01"}) {
    EXPECT_EQ(Iso(s).ToIso(), s);
  }
  // Every day of a leap year and the year around it survives days -> ISO -> days.
  for (int32_t n = Iso("2023-06-01").days(); n < Iso("2025-06-01").days(); ++n) {
    Date d = Date::FromDays(n);
    auto back = Date::ParseIso(d.ToIso());
    ASSERT_TRUE(back.has_value()) << d.ToIso();
    ASSERT_EQ(back->days(), n) << d.ToIso();
  }
}

TEST(DateTest, ParseIsoRejectsDaysThatDoNotExist) {
  for (const char* s : {"2023-02-29", "2024-02-30", "2024-13-01", "2024-00-10", "2024-04-31",
                        "2024-01-00", "2024-01-32", "1900-02-29", "0000-01-01"}) {
    auto d = Date::ParseIso(s);
    ASSERT_FALSE(d.has_value()) << s << " parsed as " << d->ToIso();
    EXPECT_EQ(d.error().code, Error::Code::kInvalidInput) << s;
    EXPECT_TRUE(Mentions(d.error().message, s));
    EXPECT_TRUE(Mentions(d.error().message, "not a calendar day"));
  }
  // Leap days that do exist.
  EXPECT_TRUE(Date::ParseIso("2024-02-29").has_value());
  EXPECT_TRUE(Date::ParseIso("2000-02-29").has_value());
}

TEST(DateTest, ParseIsoRejectsMalformedText) {
  for (const char* s : {"", "2024", "2024-01", "2024-01-01 ", " 2024-01-01", "2024-01-01T00:00",
                        "2024/01/01", "24-01-01", "20240101", "2024-01-011", "2024-001-01",
                        "02024-01-01", "abcd-ef-gh", "2024--01-01", "-2024-01-01"}) {
    auto d = Date::ParseIso(s);
    ASSERT_FALSE(d.has_value()) << "'" << s << "' parsed as " << d->ToIso();
    EXPECT_EQ(d.error().code, Error::Code::kInvalidInput) << s;
    EXPECT_TRUE(Mentions(d.error().message, "'" + std::string(s) + "'"));
  }
}

// The code reads %m and %d as one or two digits, so ISO parsing is lenient about
// zero padding. Pinned here so that a change to it is a decision, not an accident.
TEST(DateTest, ParseIsoAcceptsUnpaddedMonthAndDay) {
  EXPECT_EQ(Iso("2024-1-1").ToIso(), "2024-01-01");
  EXPECT_EQ(Iso("2024-3-09").ToIso(), "2024-03-09");
  EXPECT_EQ(Iso("2024-12-5").ToIso(), "2024-12-05");
  // The year is always four digits.
  EXPECT_FALSE(Date::ParseIso("224-01-01").has_value());
}

TEST(DateTest, ParseDayMonthYearSlashes) {
  auto d = Date::Parse("25/10/2017", "%d/%m/%Y");
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->ToIso(), "2017-10-25");
  // Day first, not month first.
  auto e = Date::Parse("05/03/2024", "%d/%m/%Y");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->ToIso(), "2024-03-05");
  auto f = Date::Parse("5/3/2024", "%d/%m/%Y");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->ToIso(), "2024-03-05");
  // US order is not a real day here.
  auto g = Date::Parse("10/25/2017", "%d/%m/%Y");
  ASSERT_FALSE(g.has_value());
  EXPECT_TRUE(Mentions(g.error().message, "10/25/2017"));
  EXPECT_FALSE(Date::Parse("29/02/2023", "%d/%m/%Y").has_value());
  EXPECT_TRUE(Date::Parse("29/02/2024", "%d/%m/%Y").has_value());
  // Literal separators must match.
  EXPECT_FALSE(Date::Parse("25-10-2017", "%d/%m/%Y").has_value());
  EXPECT_FALSE(Date::Parse("25/10/2017/", "%d/%m/%Y").has_value());
}

TEST(DateTest, ParseLongMonthNames) {
  auto d = Date::Parse("25 October 2017", "%d %B %Y");
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(d->ToIso(), "2017-10-25");
  const char* months[] = {"January", "February", "March",     "April",   "May",      "June",
                          "July",    "August",   "September", "October", "November", "December"};
  for (int m = 0; m < 12; ++m) {
    std::string full = std::string("1 ") + months[m] + " 2020";
    auto a = Date::Parse(full, "%d %B %Y");
    ASSERT_TRUE(a.has_value()) << full;
    EXPECT_EQ(a->ToIso(), "2020-" + std::string(m < 9 ? "0" : "") + std::to_string(m + 1) + "-01");
    // Abbreviations and any case read the same.
    std::string abbrev = std::string("1 ") + std::string(months[m]).substr(0, 3) + " 2020";
    auto b = Date::Parse(abbrev, "%d %b %Y");
    ASSERT_TRUE(b.has_value()) << abbrev;
    EXPECT_EQ(*a, *b);
  }
  auto upper = Date::Parse("3 FEBRUARY 2021", "%d %B %Y");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(upper->ToIso(), "2021-02-03");
  auto lower = Date::Parse("3 feb 2021", "%d %B %Y");
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(lower->ToIso(), "2021-02-03");
}

TEST(DateTest, ParseRejectsBadMonthNames) {
  for (const char* s : {"1 Octobre 2017", "1 Oc 2017", "1 Sept 2017", "1  October 2017",
                        "1 10 2017", "31 April 2017", "29 February 2023"}) {
    auto d = Date::Parse(s, "%d %B %Y");
    ASSERT_FALSE(d.has_value()) << s << " parsed as " << d->ToIso();
    EXPECT_TRUE(Mentions(d.error().message, s));
  }
}

TEST(DateTest, ParseRejectsUnsupportedDirective) {
  auto d = Date::Parse("2024-01-01", "%Y-%j");
  ASSERT_FALSE(d.has_value());
  EXPECT_TRUE(Mentions(d.error().message, "%j"));
}

TEST(DateTest, ParseNeedsYearMonthAndDay) {
  EXPECT_FALSE(Date::Parse("2024-01", "%Y-%m").has_value());
  EXPECT_FALSE(Date::Parse("01/2024", "%m/%Y").has_value());
}

TEST(DateTest, FromYmd) {
  auto d = Date::FromYmd(2016, 10, 28);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->days(), 17102);
  EXPECT_FALSE(Date::FromYmd(2023, 2, 29).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, 13, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(2024, 0, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(0, 1, 1).has_value());
  EXPECT_FALSE(Date::FromYmd(10000, 1, 1).has_value());
  auto bad = Date::FromYmd(2023, 2, 29);
  EXPECT_TRUE(Mentions(bad.error().message, "2023-02-29"));
}

TEST(DateTest, ToLong) {
  EXPECT_EQ(Iso("2017-10-25").ToLong(), "25 October 2017");
  EXPECT_EQ(Iso("2016-01-01").ToLong(), "1 January 2016");  // no leading zero
  EXPECT_EQ(Iso("2024-02-29").ToLong(), "29 February 2024");
  EXPECT_EQ(Iso("1999-12-31").ToLong(), "31 December 1999");
  EXPECT_EQ(Iso("2020-05-09").ToLong(), "9 May 2020");
  // It reads back with the long pattern.
  for (const char* s : {"2017-10-25", "2016-01-01", "2024-02-29", "2020-09-30"}) {
    auto back = Date::Parse(Iso(s).ToLong(), "%d %B %Y");
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(back->ToIso(), s);
  }
}

TEST(DateTest, Year) {
  EXPECT_EQ(Iso("2016-12-31").year(), 2016);
  EXPECT_EQ(Iso("2017-01-01").year(), 2017);
  EXPECT_EQ(Iso("1969-12-31").year(), 1969);
}

TEST(DateTest, ArithmeticAndComparison) {
  Date a = Iso("2016-10-28");
  Date b = Iso("2016-12-23");
  EXPECT_EQ(b - a, 56);
  EXPECT_EQ(a - b, -56);
  EXPECT_EQ(a.AddDays(56), b);
  EXPECT_EQ(b.AddDays(-56), a);
  EXPECT_EQ(a.AddDays(0), a);
  EXPECT_LT(a, b);
  EXPECT_GT(b, a);
  EXPECT_LE(a, a);
  EXPECT_NE(a, a.AddDays(1));
  EXPECT_EQ(Iso("2024-12-31") - Iso("2024-01-01"), 365);  // leap year
  EXPECT_EQ(Iso("2023-12-31") - Iso("2023-01-01"), 364);
}

TEST(DateTest, AddDaysAcrossLeapDays) {
  EXPECT_EQ(Iso("2024-02-28").AddDays(1).ToIso(), "2024-02-29");
  EXPECT_EQ(Iso("2024-02-28").AddDays(2).ToIso(), "2024-03-01");
  EXPECT_EQ(Iso("2023-02-28").AddDays(1).ToIso(), "2023-03-01");
  EXPECT_EQ(Iso("2024-03-01").AddDays(-1).ToIso(), "2024-02-29");
  EXPECT_EQ(Iso("2023-03-01").AddDays(-1).ToIso(), "2023-02-28");
  EXPECT_EQ(Iso("2024-01-15").AddDays(56).ToIso(), "2024-03-11");
  EXPECT_EQ(Iso("2023-01-15").AddDays(56).ToIso(), "2023-03-12");
  EXPECT_EQ(Iso("2024-01-01").AddDays(366).ToIso(), "2025-01-01");
  EXPECT_EQ(Iso("2023-01-01").AddDays(365).ToIso(), "2024-01-01");
  // Century rules: 1900 was not a leap year, 2000 was.
  EXPECT_EQ(Iso("1900-02-28").AddDays(1).ToIso(), "1900-03-01");
  EXPECT_EQ(Iso("2000-02-28").AddDays(1).ToIso(), "2000-02-29");
  EXPECT_EQ(Iso("1969-12-31").AddDays(1).ToIso(), "1970-01-01");
}

TEST(DateTest, OptionalIso) {
  auto none = ParseOptionalIso("");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  auto some = ParseOptionalIso("2024-02-29");
  ASSERT_TRUE(some.has_value());
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->ToIso(), "2024-02-29");
  auto bad = ParseOptionalIso("2023-02-29");
  ASSERT_FALSE(bad.has_value());
  EXPECT_TRUE(Mentions(bad.error().message, "2023-02-29"));
  EXPECT_FALSE(ParseOptionalIso(" ").has_value());

  EXPECT_EQ(OptionalIso(std::nullopt), "");
  EXPECT_EQ(OptionalIso(Iso("2016-10-28")), "2016-10-28");
}

}  // namespace
}  // namespace rectrack

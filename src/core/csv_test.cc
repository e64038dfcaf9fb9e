#include "core/csv.h"

#include <gtest/gtest.h>

namespace rectrack {
namespace {

TEST(CsvTest, QuotesWhatNeedsQuoting) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvCell(""), "");
}

TEST(CsvTest, NeutralisesFormulasButNotNumbers) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"http://evil.example\",\"x\")"),
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"");
  EXPECT_EQ(CsvCell("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  EXPECT_EQ(CsvCell("@SUM(A1:A9)"), "'@SUM(A1:A9)");
  EXPECT_EQ(CsvCell("-2+3"), "'-2+3");
  EXPECT_EQ(CsvCell("\tx"), "'\tx");
  EXPECT_EQ(CsvCell("\rx"), "\"'\rx\"");
  for (const char* number : {"-3", "+2.5", "-0.75", "12"}) EXPECT_EQ(CsvCell(number), number);
  EXPECT_EQ(CsvCell("-"), "'-");
  EXPECT_EQ(CsvCell("a=b"), "a=b") << "only the first character counts";
  // For machines: the bytes as stored.
  EXPECT_EQ(CsvCell("=1+1", CsvFormulas::kKeep), "=1+1");
  EXPECT_EQ(CsvCell("=a,b", CsvFormulas::kKeep), "\"=a,b\"");
}

TEST(CsvTest, RowsEndAsAsked) {
  std::string out;
  AppendCsvRow({"a", "=b", "c,d"}, &out);
  AppendCsvRow({"x"}, &out, CsvFormulas::kKeep, "\n");
  EXPECT_EQ(out, "a,'=b,\"c,d\"\r\nx\n");
}

}  // namespace
}  // namespace rectrack

#include "ingest/csv_reader.h"

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rectrack {
namespace {

using Rows = std::vector<std::vector<std::string>>;

Result<Rows> ReadAll(std::string_view text, char delimiter = ',',
                     size_t max_field_bytes = CsvReader::kDefaultMaxFieldBytes) {
  CsvReader reader(text, "t.csv", delimiter, max_field_bytes);
  Rows rows;
  std::vector<CsvField> fields;
  while (true) {
    auto more = reader.Next(&fields);
    if (!more) return Fail(more.error());
    if (!*more) break;
    std::vector<std::string> row;
    for (const auto& f : fields) row.emplace_back(f.value);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string ErrorOf(std::string_view text, size_t max_field_bytes = 1u << 20) {
  auto r = ReadAll(text, ',', max_field_bytes);
  return r ? std::string("(no error)") : r.error().message;
}

TEST(CsvReaderTest, SimpleRecords) {
  EXPECT_EQ(*ReadAll("a,b,c\n1,2,3\n"), (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
  EXPECT_EQ(*ReadAll("a,b,c\n1,2,3"), (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
  EXPECT_EQ(*ReadAll(""), Rows{});
  EXPECT_EQ(*ReadAll("x"), (Rows{{"x"}}));
}

TEST(CsvReaderTest, EmptyFields) {
  EXPECT_EQ(*ReadAll(",\n"), (Rows{{"", ""}}));
  EXPECT_EQ(*ReadAll("a,,c,\n"), (Rows{{"a", "", "c", ""}}));
  EXPECT_EQ(*ReadAll("a,\"\",c"), (Rows{{"a", "", "c"}}));
  EXPECT_EQ(*ReadAll("a,b,"), (Rows{{"a", "b", ""}}));
}

TEST(CsvReaderTest, AllLineEndings) {
  Rows want{{"a", "b"}, {"1", "2"}, {"3", "4"}, {"5", "6"}};
  EXPECT_EQ(*ReadAll("a,b\n1,2\n3,4\n5,6\n"), want);
  EXPECT_EQ(*ReadAll("a,b\r\n1,2\r\n3,4\r\n5,6\r\n"), want);
  EXPECT_EQ(*ReadAll("a,b\r1,2\r3,4\r5,6\r"), want);
  EXPECT_EQ(*ReadAll("a,b\r1,2\r\n3,4\n5,6"), want);
}

TEST(CsvReaderTest, BlankLinesAreSkipped) {
  EXPECT_EQ(*ReadAll("\n\na,b\n\n\r\n  \t\r1,2\n\n"), (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(*ReadAll("\r\n\r\n"), Rows{});
  // With tab as the delimiter a line of tabs is empty fields, not a blank line.
  EXPECT_EQ(*ReadAll("a\tb\n\t\n", '\t'), (Rows{{"a", "b"}, {"", ""}}));
}

TEST(CsvReaderTest, QuotedFields) {
  EXPECT_EQ(*ReadAll("\"a,b\",\"say \"\"hi\"\"\",\"\"\"\"\n"), (Rows{{"a,b", "say \"hi\"", "\""}}));
  // Line breaks inside quotes are kept as written.
  EXPECT_EQ(*ReadAll("\"one\ntwo\",\"x\r\ny\",\"p\rq\"\r\nz,w"),
            (Rows{{"one\ntwo", "x\r\ny", "p\rq"}, {"z", "w"}}));
  // Spaces after a closing quote are ignored; a quote inside an unquoted field is literal.
  EXPECT_EQ(*ReadAll("\"a\"  ,b\"c\n"), (Rows{{"a", "b\"c"}}));
}

TEST(CsvReaderTest, OtherDelimiter) {
  EXPECT_EQ(*ReadAll("a;b,c;\"d;e\"\n", ';'), (Rows{{"a", "b,c", "d;e"}}));
}

TEST(CsvReaderTest, ValuesPointIntoTheBufferUnlessUnescaped) {
  std::string text = "plain,\"quoted\",\"with \"\"q\"\"\",\"another \"\"one\"\"\"\n";
  CsvReader reader(text, "t.csv");
  std::vector<CsvField> f;
  ASSERT_TRUE(*reader.Next(&f));
  ASSERT_EQ(f.size(), 4u);
  auto inside = [&](std::string_view v) {
    return v.data() >= text.data() && v.data() + v.size() <= text.data() + text.size();
  };
  EXPECT_TRUE(inside(f[0].value));
  EXPECT_TRUE(inside(f[1].value));
  EXPECT_FALSE(inside(f[2].value));
  EXPECT_EQ(f[2].value, "with \"q\"");
  EXPECT_EQ(f[3].value, "another \"one\"");
}

TEST(CsvReaderTest, ManyUnescapedFieldsInOneRecordStayValid) {
  // The unescape buffer grows while the record is read; earlier views must survive.
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += (i ? "," : "") + std::string("\"v") + std::to_string(i) + " \"\"" +
            std::string(50, 'x') + "\"\"\"";
  auto rows = ReadAll(text);
  ASSERT_TRUE(rows);
  ASSERT_EQ((*rows)[0].size(), 200u);
  EXPECT_EQ((*rows)[0][0], "v0 \"" + std::string(50, 'x') + "\"");
  EXPECT_EQ((*rows)[0][199], "v199 \"" + std::string(50, 'x') + "\"");
}

TEST(CsvReaderTest, LinesAndColumns) {
  std::string text = "a,b\r\n\"multi\nline\",\xC3\xA9t\xC3\xA9,z\rlast,\"q\"";
  CsvReader reader(text, "t.csv");
  std::vector<CsvField> f;
  ASSERT_TRUE(*reader.Next(&f));
  EXPECT_EQ(f[1].line, 1u);
  EXPECT_EQ(f[1].column, 3u);
  ASSERT_TRUE(*reader.Next(&f));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].line, 2u);
  EXPECT_EQ(f[0].column, 1u);
  // After the embedded line break: line 3, column counted from that line's start.
  EXPECT_EQ(f[1].line, 3u);
  EXPECT_EQ(f[1].column, 7u);
  EXPECT_EQ(f[2].line, 3u);
  EXPECT_EQ(f[2].column, 11u);  // "line",été, -> é counts as one character
  ASSERT_TRUE(*reader.Next(&f));
  EXPECT_EQ(f[0].line, 4u);
  EXPECT_EQ(f[1].column, 6u);
  EXPECT_FALSE(*reader.Next(&f));
}

TEST(CsvReaderTest, UnbalancedQuoteNamesWhereItOpened) {
  EXPECT_EQ(ErrorOf("a,b\n1,\"open\n2,3\n4,5\n"),
            "t.csv:2:3: unbalanced quote: the quoted field that starts here has no closing "
            "quote");
  EXPECT_EQ(ErrorOf("\""),
            "t.csv:1:1: unbalanced quote: the quoted field that starts here "
            "has no closing quote");
}

TEST(CsvReaderTest, TextAfterClosingQuote) {
  EXPECT_EQ(ErrorOf("a,b\n\"x\"y,2\n"),
            "t.csv:2:4: text after closing quote (a quote inside a quoted field must be "
            "doubled: \"\")");
  // Reported on the line where the quoted field ends.
  EXPECT_EQ(ErrorOf("a,\"x\ny\" z\n").substr(0, 10), "t.csv:2:4:");
}

TEST(CsvReaderTest, TextAfterClosingQuoteCanBeKept) {
  // As in upr-2011.csv line 1037: "... (The Netherlands).";,denmark,...
  std::string text = "\"x (NL).\";,dk\n\"a \"\"b\"\"\" c,d\n";
  CsvReader reader(text, "t.csv");
  reader.AllowTextAfterClosingQuote(true);
  std::vector<CsvField> f;
  ASSERT_TRUE(*reader.Next(&f));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].value, "x (NL).;");
  EXPECT_EQ(f[1].value, "dk");
  EXPECT_EQ(f[1].column, 12u);
  ASSERT_TRUE(*reader.Next(&f));
  EXPECT_EQ(f[0].value, "a \"b\" c");
  EXPECT_EQ(f[1].value, "d");
  EXPECT_FALSE(*reader.Next(&f));
}

TEST(CsvReaderTest, FieldTooLong) {
  EXPECT_EQ(ErrorOf("a,bcdefghijk\n", 8), "t.csv:1:3: field longer than 8 bytes");
  EXPECT_EQ(ErrorOf("a,12345678\n", 8), "(no error)");
  EXPECT_EQ(ErrorOf("a,\"bcdefghijk\"\n", 8),
            "t.csv:1:3: quoted field longer than 8 bytes (is its closing quote missing?)");
  EXPECT_EQ(ErrorOf("a,\"12345678\"\n", 8), "(no error)");
}

TEST(CsvReaderTest, TooManyFields) {
  std::string text(CsvReader::kMaxFieldsPerRecord + 10, ',');
  auto r = ReadAll(text);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("record has more than 65536 fields"), std::string::npos);
}

// A 100 MB single line must fail cleanly and quickly, whatever it holds.
TEST(CsvReaderTest, HundredMegabyteLine) {
  const size_t kSize = 100u << 20;
  auto timed = [](const std::string& text) {
    auto start = std::chrono::steady_clock::now();
    auto r = ReadAll(text);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(secs, 5.0);
    return r;
  };
  {
    std::string text = "h\n" + std::string(kSize, 'x');
    auto r = timed(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "t.csv:2:1: field longer than 16777216 bytes");
  }
  {
    std::string text = "h\n\"" + std::string(kSize, 'x');
    auto r = timed(text);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("t.csv:2:1: quoted field longer than"), std::string::npos);
  }
  {
    // Many short fields on one line: columns are counted without rescanning.
    const std::string chunk = "\xC3\xA9" + std::string(48, 'x') + ",";  // 50 characters
    std::string text;
    text.reserve(kSize + chunk.size());
    while (text.size() < kSize) text += chunk;
    auto r = timed(text);
    ASSERT_FALSE(r);
    std::string where = "t.csv:1:" + std::to_string(CsvReader::kMaxFieldsPerRecord * 50 + 1);
    EXPECT_EQ(r.error().message, where + ": record has more than 65536 fields")
        << r.error().message;
  }
}

}  // namespace
}  // namespace rectrack

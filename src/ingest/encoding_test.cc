#include "ingest/encoding.h"

#include "fmt/format.h"

#include <string>

#include "gtest/gtest.h"

namespace rectrack {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(ParseEncodingTest, KnowsTheNamesAndAliases) {
  EXPECT_EQ(*ParseEncoding("utf-8"), Encoding::kUtf8);
  EXPECT_EQ(*ParseEncoding("UTF8"), Encoding::kUtf8);
  EXPECT_EQ(*ParseEncoding("windows-1252"), Encoding::kWindows1252);
  EXPECT_EQ(*ParseEncoding("cp1252"), Encoding::kWindows1252);
  EXPECT_EQ(*ParseEncoding("latin1"), Encoding::kLatin1);
  EXPECT_EQ(*ParseEncoding("ISO-8859-1"), Encoding::kLatin1);
  EXPECT_EQ(*ParseEncoding("mac-roman"), Encoding::kMacRoman);
  EXPECT_EQ(*ParseEncoding("macroman"), Encoding::kMacRoman);
  auto bad = ParseEncoding("ebcdic");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'ebcdic'"), std::string::npos);
  for (Encoding e :
       {Encoding::kUtf8, Encoding::kWindows1252, Encoding::kLatin1, Encoding::kMacRoman})
    EXPECT_EQ(*ParseEncoding(EncodingName(e)), e);
}

TEST(ToUtf8Test, Utf8PassesThroughAndDropsBom) {
  EXPECT_EQ(*ToUtf8("caf\xC3\xA9", Encoding::kUtf8, "f.csv"), "caf\xC3\xA9");
  EXPECT_EQ(*ToUtf8("\xEF\xBB\xBFid,text\n", Encoding::kUtf8, "f.csv"), "id,text\n");
  EXPECT_EQ(*ToUtf8("", Encoding::kUtf8, "f.csv"), "");
  // Four-byte characters (emoji) are fine.
  EXPECT_EQ(*ToUtf8("\xF0\x9F\x98\x80", Encoding::kUtf8, "f.csv"), "\xF0\x9F\x98\x80");
}

TEST(ToUtf8Test, InvalidUtf8NamesLineColumnAndByte) {
  // A Mac Roman right quote (0xD5) in an otherwise ASCII file, on line 3
  // after a CRLF and a CR; column counts characters (é is one).
  std::string in = "a,b\r\nx,y\r\xC3\xA9t\xD5s\n";
  auto r = ToUtf8(in, Encoding::kUtf8, "data/x.csv");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Error::Code::kInvalidInput);
  EXPECT_EQ(r.error().message,
            "data/x.csv:3:3: invalid UTF-8 byte 0xD5 (pass --encoding windows-1252, latin1 or "
            "mac-roman if the file is not UTF-8)");
}

TEST(CheckUtf8Test, ReturnsAViewWithoutTheBom) {
  std::string in = "\xEF\xBB\xBFid,text\n";
  auto v = CheckUtf8(in, "f.csv");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "id,text\n");
  EXPECT_EQ(v->data(), in.data() + 3);  // no copy
  auto bad = CheckUtf8("x\n\xC3(", "f.csv");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.substr(0, 37), "f.csv:2:1: invalid UTF-8 byte 0xC3 (p");
}

TEST(ToUtf8Test, InvalidUtf8AfterBomCountsFromTheText) {
  auto r = ToUtf8(
      "\xEF\xBB\xBF"
      "ab\xFF",
      Encoding::kUtf8, "f");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.substr(0, 32), "f:1:3: invalid UTF-8 byte 0xFF (");
}

TEST(ToUtf8Test, RejectsOverlongsSurrogatesTruncationAndBeyondUnicode) {
  for (const std::string& bad :
       {Bytes({0xC0, 0xAF}), Bytes({0xE0, 0x80, 0xAF}), Bytes({0xED, 0xA0, 0x80}),
        Bytes({0xF4, 0x90, 0x80, 0x80}), Bytes({0xF5, 0x80, 0x80, 0x80}), Bytes({0xC3}),
        Bytes({0xE2, 0x80}), Bytes({0x80}), Bytes({0xFE})}) {
    auto r = ToUtf8("ok " + bad, Encoding::kUtf8, "f");
    ASSERT_FALSE(r) << "accepted " << testing::PrintToString(bad);
    EXPECT_NE(r.error().message.find("f:1:4: invalid UTF-8 byte 0x"), std::string::npos)
        << r.error().message;
  }
  // Long ASCII runs before the error still give the right column.
  std::string long_line(1000, 'a');
  auto r = ToUtf8(long_line + "\x80", Encoding::kUtf8, "f");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("f:1:1001:"), std::string::npos);
}

TEST(ToUtf8Test, LineBreaksCountOnceEach) {
  // LF, CR, CRLF, LF CR (two breaks) -> the bad byte is on line 6.
  auto r = ToUtf8("1\n2\r3\r\n4\n\r\x80", Encoding::kUtf8, "f");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("f:6:1:"), std::string::npos) << r.error().message;
}

TEST(ToUtf8Test, MacRomanFullTable) {
  // The bytes the UPR data uses.
  EXPECT_EQ(*ToUtf8("don\xD5t", Encoding::kMacRoman, "f"), "don\xE2\x80\x99t");  // U+2019
  EXPECT_EQ(*ToUtf8("Espa\x96"
                    "a",
                    Encoding::kMacRoman, "f"),
            "Espa\xC3\xB1"
            "a");                                                          // ñ
  EXPECT_EQ(*ToUtf8("C\x99te", Encoding::kMacRoman, "f"), "C\xC3\xB4te");  // ô
  // Corners of the table.
  EXPECT_EQ(*ToUtf8("\x80", Encoding::kMacRoman, "f"), "\xC3\x84");      // Ä
  EXPECT_EQ(*ToUtf8("\xA0", Encoding::kMacRoman, "f"), "\xE2\x80\xA0");  // †
  EXPECT_EQ(*ToUtf8("\xBD", Encoding::kMacRoman, "f"), "\xCE\xA9");      // Ω
  EXPECT_EQ(*ToUtf8("\xCA", Encoding::kMacRoman, "f"), "\xC2\xA0");      // no-break space
  EXPECT_EQ(*ToUtf8("\xDB", Encoding::kMacRoman, "f"), "\xE2\x82\xAC");  // €
  EXPECT_EQ(*ToUtf8("\xDE", Encoding::kMacRoman, "f"), "\xEF\xAC\x81");  // ﬁ
  EXPECT_EQ(*ToUtf8("\xF0", Encoding::kMacRoman, "f"), "\xEF\xA3\xBF");  // Apple logo
  EXPECT_EQ(*ToUtf8("\xFF", Encoding::kMacRoman, "f"), "\xCB\x87");      // ˇ
  // Every byte decodes, and the result is valid UTF-8 of 128 characters.
  std::string all;
  for (int b = 0x80; b <= 0xFF; ++b) all.push_back(static_cast<char>(b));
  auto out = ToUtf8(all, Encoding::kMacRoman, "f");
  ASSERT_TRUE(out);
  ASSERT_TRUE(ToUtf8(*out, Encoding::kUtf8, "f"));
  size_t chars = 0;
  for (unsigned char c : *out) chars += (c & 0xC0) != 0x80;
  EXPECT_EQ(chars, 128u);
}

TEST(ToUtf8Test, Latin1MapsBytesToTheSameCodePoints) {
  std::string all;
  for (int b = 0xA0; b <= 0xFF; ++b) all.push_back(static_cast<char>(b));
  auto out = ToUtf8(all, Encoding::kLatin1, "f");
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 192u);
  for (int b = 0xA0; b <= 0xFF; ++b) {
    EXPECT_EQ(static_cast<unsigned char>((*out)[2 * (b - 0xA0)]), 0xC0 | (b >> 6));
    EXPECT_EQ(static_cast<unsigned char>((*out)[2 * (b - 0xA0) + 1]), 0x80 | (b & 0x3F));
  }
  EXPECT_EQ(*ToUtf8("caf\xE9", Encoding::kLatin1, "f"), "caf\xC3\xA9");
  // 0x80 to 0x9F are Latin-1's C1 control characters: no text holds them (a
  // file with them is more likely Windows-1252, which the error suggests).
  for (int b = 0x80; b <= 0x9F; ++b) {
    auto c1 = ToUtf8(std::string("ab") + static_cast<char>(b), Encoding::kLatin1, "f");
    ASSERT_FALSE(c1) << b;
    EXPECT_NE(c1.error().message.find(fmt::format("f:1:3: a control character (U+00{:02X})", b)),
              std::string::npos)
        << c1.error().message;
    EXPECT_NE(c1.error().message.find("--encoding"), std::string::npos);
  }
}

TEST(ToUtf8Test, Windows1252) {
  EXPECT_EQ(*ToUtf8("\x93quoted\x94 \x80"
                    "5 \x85",
                    Encoding::kWindows1252, "f"),
            "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC"
            "5 \xE2\x80\xA6");
  EXPECT_EQ(*ToUtf8("caf\xE9 \x9F", Encoding::kWindows1252, "f"), "caf\xC3\xA9 \xC5\xB8");
  EXPECT_EQ(*ToUtf8("\x8A\x8E\x9A\x9E", Encoding::kWindows1252, "f"),
            "\xC5\xA0\xC5\xBD\xC5\xA1\xC5\xBE");
}

TEST(ToUtf8Test, Windows1252UndefinedBytesAreErrors) {
  for (int b : {0x81, 0x8D, 0x8F, 0x90, 0x9D}) {
    std::string in = "head\r\nab";
    in.push_back(static_cast<char>(b));
    auto r = ToUtf8(in, Encoding::kWindows1252, "upr.csv");
    ASSERT_FALSE(r);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%02X", b);
    EXPECT_EQ(r.error().message, std::string("upr.csv:2:3: byte ") + hex +
                                     " is not defined in windows-1252 (try --encoding "
                                     "mac-roman or latin1)");
  }
}

TEST(ToUtf8Test, AsciiIsUnchangedInEveryEncoding) {
  std::string ascii = "\t\n\r";
  for (int b = 0x20; b < 0x7F; ++b) ascii.push_back(static_cast<char>(b));
  for (Encoding e :
       {Encoding::kUtf8, Encoding::kWindows1252, Encoding::kLatin1, Encoding::kMacRoman}) {
    auto out = ToUtf8(ascii, e, "f");
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out, ascii);
    // The other control characters are refused in every encoding, named.
    for (int b : {0x01, 0x07, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F}) {
      auto bad = ToUtf8(std::string("x") + static_cast<char>(b), e, "f");
      ASSERT_FALSE(bad) << b;
      EXPECT_NE(bad.error().message.find(fmt::format("f:1:2: a control character (U+00{:02X})", b)),
                std::string::npos)
          << bad.error().message;
    }
  }
}

}  // namespace
}  // namespace rectrack

#include "ingest/encoding.h"

#include <cstdint>
#include <cstring>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

// Apple's ROMAN.TXT (Mac OS 8.5 and later: 0xDB is the euro sign, 0xF0 the Apple
// logo in the private use area), bytes 0x80-0xFF.
constexpr uint16_t kMacRoman[128] = {
    0x00C4, 0x00C5, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00DC, 0x00E1,  // 0x80
    0x00E0, 0x00E2, 0x00E4, 0x00E3, 0x00E5, 0x00E7, 0x00E9, 0x00E8,  // 0x88
    0x00EA, 0x00EB, 0x00ED, 0x00EC, 0x00EE, 0x00EF, 0x00F1, 0x00F3,  // 0x90
    0x00F2, 0x00F4, 0x00F6, 0x00F5, 0x00FA, 0x00F9, 0x00FB, 0x00FC,  // 0x98
    0x2020, 0x00B0, 0x00A2, 0x00A3, 0x00A7, 0x2022, 0x00B6, 0x00DF,  // 0xA0
    0x00AE, 0x00A9, 0x2122, 0x00B4, 0x00A8, 0x2260, 0x00C6, 0x00D8,  // 0xA8
    0x221E, 0x00B1, 0x2264, 0x2265, 0x00A5, 0x00B5, 0x2202, 0x2211,  // 0xB0
    0x220F, 0x03C0, 0x222B, 0x00AA, 0x00BA, 0x03A9, 0x00E6, 0x00F8,  // 0xB8
    0x00BF, 0x00A1, 0x00AC, 0x221A, 0x0192, 0x2248, 0x2206, 0x00AB,  // 0xC0
    0x00BB, 0x2026, 0x00A0, 0x00C0, 0x00C3, 0x00D5, 0x0152, 0x0153,  // 0xC8
    0x2013, 0x2014, 0x201C, 0x201D, 0x2018, 0x2019, 0x00F7, 0x25CA,  // 0xD0
    0x00FF, 0x0178, 0x2044, 0x20AC, 0x2039, 0x203A, 0xFB01, 0xFB02,  // 0xD8
    0x2021, 0x00B7, 0x201A, 0x201E, 0x2030, 0x00C2, 0x00CA, 0x00C1,  // 0xE0
    0x00CB, 0x00C8, 0x00CD, 0x00CE, 0x00CF, 0x00CC, 0x00D3, 0x00D4,  // 0xE8
    0xF8FF, 0x00D2, 0x00DA, 0x00DB, 0x00D9, 0x0131, 0x02C6, 0x02DC,  // 0xF0
    0x00AF, 0x02D8, 0x02D9, 0x02DA, 0x00B8, 0x02DD, 0x02DB, 0x02C7,  // 0xF8
};

// Windows-1252 bytes 0x80-0x9F (0xA0-0xFF equal Latin-1). Zero marks the five
// bytes the code page leaves undefined.
constexpr uint16_t kWindows1252[32] = {
    0x20AC, 0x0000, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 0x80
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x0000, 0x017D, 0x0000,  // 0x88
    0x0000, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 0x90
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x0000, 0x017E, 0x0178,  // 0x98
};

// Where byte `offset` of `text` sits: 1-based line (CR, LF and CRLF each end one
// line) and 1-based column in characters (UTF-8 code points if `utf8`, else bytes).
// Only called on the error path, so a plain scan is fine.
std::pair<size_t, size_t> LineAndColumn(std::string_view text, size_t offset, bool utf8) {
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < offset && text[i + 1] == '\n') ++i;
      ++line;
      line_start = i + 1;
    }
  }
  size_t column = 1;
  for (size_t i = line_start; i < offset; ++i) {
    if (!utf8 || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  return {line, column};
}

// Returns the offset of the first byte of the first malformed sequence, or
// npos. Accepts exactly the well-formed sequences of Unicode 15, table 3-7: no
// overlongs, no surrogates, nothing above U+10FFFF.
size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path: eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
      return i + k < n && p[i + k] >= lo && p[i + k] <= hi;
    };
    if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(1)) return i;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
      unsigned char hi = c == 0xED ? 0x9F : 0xBF;
      if (!cont(1, lo, hi) || !cont(2)) return i;
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
      unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!cont(1, lo, hi) || !cont(2) || !cont(3)) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    // Every table entry is in the BMP.
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

uint32_t CodePoint(Encoding e, unsigned char b) {
  if (b < 0x80) return b;
  switch (e) {
    case Encoding::kMacRoman:
      return kMacRoman[b - 0x80];
    case Encoding::kWindows1252:
      return b < 0xA0 ? kWindows1252[b - 0x80] : b;
    case Encoding::kLatin1:
    case Encoding::kUtf8:
      break;
  }
  return b;
}

}  // namespace

Result<Encoding> ParseEncoding(std::string_view name) {
  std::string n = ToLowerAscii(Trim(name));
  if (n == "utf-8" || n == "utf8") return Encoding::kUtf8;
  if (n == "windows-1252" || n == "cp1252" || n == "win-1252") return Encoding::kWindows1252;
  if (n == "latin1" || n == "latin-1" || n == "iso-8859-1" || n == "iso8859-1")
    return Encoding::kLatin1;
  if (n == "mac-roman" || n == "macroman" || n == "mac_roman" || n == "macintosh")
    return Encoding::kMacRoman;
  return Fail(Error::Invalid(
      fmt::format("unknown encoding '{}' (known: utf-8, windows-1252, latin1, mac-roman)", name)));
}

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kWindows1252:
      return "windows-1252";
    case Encoding::kLatin1:
      return "latin1";
    case Encoding::kMacRoman:
      return "mac-roman";
  }
  return "utf-8";
}

namespace {

// A NUL byte is no character of any text (a binary file, or UTF-16): named by
// line and column, as a bad byte is.
Status RefuseNul(std::string_view in, std::string_view file_label, bool utf8) {
  size_t at = in.find('\0');
  if (at == std::string_view::npos) return {};
  auto [line, column] = LineAndColumn(in, at, utf8);
  return Fail(Error::Invalid(fmt::format(
      "{}:{}:{}: a NUL byte (0x00), which no text may hold (is the file binary, or UTF-16?)",
      file_label, line, column)));
}

// Any other control character (core/text.h's FindControlCharacter) in UTF-8
// text: named by line and column, with what it is.
Status RefuseControls(std::string_view utf8, std::string_view file_label) {
  size_t at = FindControlCharacter(utf8);
  if (at == std::string_view::npos) return {};
  if (utf8[at] == '\0') return RefuseNul(utf8, file_label, true);
  auto [line, column] = LineAndColumn(utf8, at, /*utf8=*/true);
  return Fail(Error::Invalid(fmt::format(
      "{}:{}:{}: a control character ({}), which no text may hold: remove it (or, if the file "
      "is not UTF-8, say its encoding with --encoding)",
      file_label, line, column, CodePointAt(utf8, at))));
}

}  // namespace

Result<std::string_view> CheckUtf8(std::string_view in, std::string_view file_label) {
  if (in.size() >= 3 && in.substr(0, 3) == "\xEF\xBB\xBF") in.remove_prefix(3);
  RT_TRY(RefuseNul(in, file_label, true));
  size_t bad = FindInvalidUtf8(in);
  if (bad == std::string_view::npos) RT_TRY(RefuseControls(in, file_label));
  if (bad != std::string_view::npos) {
    auto [line, column] = LineAndColumn(in, bad, /*utf8=*/true);
    return Fail(Error::Invalid(fmt::format(
        "{}:{}:{}: invalid UTF-8 byte 0x{:02X} (pass --encoding windows-1252, latin1 or "
        "mac-roman if the file is not UTF-8)",
        file_label, line, column, static_cast<unsigned char>(in[bad]))));
  }
  return in;
}

Result<std::string> ToUtf8(std::string_view in, Encoding encoding, std::string_view file_label) {
  if (encoding == Encoding::kUtf8) {
    auto checked = CheckUtf8(in, file_label);
    if (!checked) return Fail(checked.error());
    return std::string(*checked);
  }

  RT_TRY(RefuseNul(in, file_label, false));
  std::string out;
  out.reserve(in.size() + in.size() / 16);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    // Copy ASCII runs in one go; most of any real file is ASCII.
    size_t run = i;
    while (run < n && p[run] < 0x80) ++run;
    out.append(in.data() + i, run - i);
    i = run;
    if (i >= n) break;
    uint32_t cp = CodePoint(encoding, p[i]);
    if (cp == 0) {
      auto [line, column] = LineAndColumn(in, i, /*utf8=*/false);
      return Fail(Error::Invalid(fmt::format(
          "{}:{}:{}: byte 0x{:02X} is not defined in {} (try --encoding mac-roman or latin1)",
          file_label, line, column, p[i], EncodingName(encoding))));
    }
    AppendUtf8(cp, &out);
    ++i;
  }
  RT_TRY(RefuseControls(out, file_label));
  return out;
}

}  // namespace rectrack

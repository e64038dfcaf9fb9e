#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace rectrack {

enum class Encoding { kUtf8, kWindows1252, kLatin1, kMacRoman };

// "utf-8"/"utf8", "windows-1252"/"cp1252", "latin1"/"iso-8859-1", "mac-roman"/"macroman".
Result<Encoding> ParseEncoding(std::string_view name);
std::string_view EncodingName(Encoding e);

// Converts `in` to UTF-8. For kUtf8 it only validates (a leading BOM is dropped):
// the first invalid byte is an error "FILE:LINE:COLUMN: invalid UTF-8 byte 0xNN
// (use --encoding ...)", LINE and COLUMN 1-based, COLUMN counted in characters.
// windows-1252 fails on its five undefined bytes (0x81 0x8D 0x8F 0x90 0x9D),
// naming the position likewise.
Result<std::string> ToUtf8(std::string_view in, Encoding encoding, std::string_view file_label);

// The UTF-8 check of ToUtf8 without the copy: returns `in` minus a leading BOM,
// or the same error. Lets big UTF-8 files be parsed in place.
Result<std::string_view> CheckUtf8(std::string_view in, std::string_view file_label);

}  // namespace rectrack

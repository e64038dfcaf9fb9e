// libFuzzer harness: the native JSON importer (rectrack/1), and writing back
// what it read: an accepted file must export, and the export must read again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "ingest/json_format.h"

using namespace rectrack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!IsValidUtf8(text)) return 0;  // the caller checks UTF-8 first (encoding.h)
  auto batch = ReadNativeJson(text, "fuzz.json");
  if (!batch) return 0;
  const std::string again = WriteNativeJson(*batch);
  auto reread = ReadNativeJson(again, "export.json");
  if (!reread) __builtin_trap();  // what was accepted must survive its own export
  if (WriteNativeJson(*reread) != again) __builtin_trap();  // and be lossless
  return 0;
}

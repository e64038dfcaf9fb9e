// libFuzzer harness: the CSV reader in every encoding and delimiter, then the
// mapped CSV importer and the two presets on the same bytes. Nothing may
// crash, hang or trip ASan/UBSan; what it reads must hold its own promises
// (1-based positions; values that are views into the text or unescaped copies).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/csv_import.h"
#include "ingest/csv_reader.h"
#include "ingest/encoding.h"
#include "ingest/presets.h"

using namespace rectrack;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte chooses the encoding and the delimiter; the rest is the file.
  const Encoding encodings[] = {Encoding::kUtf8, Encoding::kWindows1252, Encoding::kLatin1,
                                Encoding::kMacRoman};
  const Encoding encoding = encodings[data[0] & 3];
  const char delimiter = ",;\t|"[(data[0] >> 2) & 3];
  const std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto text = ToUtf8(raw, encoding, "fuzz.csv");
  if (text) {
    CsvReader reader(*text, "fuzz.csv", delimiter, 1u << 16);
    std::vector<CsvField> fields;
    for (int records = 0; records < 100000; ++records) {
      auto more = reader.Next(&fields);
      if (!more || !*more) break;
      for (const auto& f : fields) {
        if (f.line < 1 || f.column < 1) __builtin_trap();
        if (f.value.size() > text->size()) __builtin_trap();
      }
    }
  }

  CsvMapping mapping;
  mapping.encoding = encoding;
  mapping.columns = {{"ref", "ref"}, {"text", "text"}, {"owner", "owner"},
                     {"status", "status"}, {"due", "due"}, {"theme", "theme"}};
  mapping.owner_sep = ";";
  mapping.source_title = "Fuzzed";
  mapping.repeated_text = static_cast<RepeatedText>((data[0] >> 4) % 3);
  CsvRepeats repeats;
  (void)ImportCsv(raw, "fuzz.csv", mapping, &repeats);

  PresetOptions options;
  options.encoding = encoding;
  if (data[0] & 0x40)
    (void)ImportPfd(raw, "fuzz.csv", options);
  else
    (void)ImportUpr(raw, "fuzz.csv", options);
  return 0;
}

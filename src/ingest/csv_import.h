#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/batch.h"
#include "core/result.h"
#include "core/vocab.h"
#include "ingest/encoding.h"

namespace rectrack {

// How to read a CSV of recommendations: one row per recommendation, or one row
// per recommendation x owner (rows with the same source and ref are merged).
struct CsvMapping {
  // FIELD -> column header. FIELD is one of: source, ref, text, owner, made, due,
  // status, response, response_text, theme, url.
  std::map<std::string, std::string> columns;
  std::string owner_sep;  // empty: the owner cell is one name
  std::string theme_sep = ";";
  std::string date_format = "%Y-%m-%d";  // also tried: ISO
  std::string source_kind = "review";
  std::string source_title;              // used when no source column is mapped
  std::string vocabulary = "canonical";  // how to read status/response words
  UserWordMap user_words;
  Encoding encoding = Encoding::kUtf8;
  std::optional<Date> recorded_on;  // date the statuses were true
  std::optional<int> response_days;
};

// The FIELD names accepted by `columns`.
bool IsCsvField(std::string_view field);

// Parses `raw` (bytes in mapping.encoding) into a batch. Every problem is an
// error "FILE:LINE:COLUMN: ..." naming the first one; nothing is partial.
Result<ImportBatch> ImportCsv(std::string_view raw, const std::string& file_label,
                              const CsvMapping& mapping);

}  // namespace rectrack

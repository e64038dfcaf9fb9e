#pragma once

#include <string>
#include <string_view>

#include "core/csv.h"
#include "core/batch.h"
#include "core/result.h"

namespace rectrack {

// The native format, "rectrack/1": one JSON document holding owners, aliases and
// sources with their recommendations, assignments, updates, funding lines and
// publications. Writing is canonical (fixed key order, 2-space indent, trailing
// newline), so export -> import -> export gives identical bytes.
std::string WriteNativeJson(const ImportBatch& batch);

// Reads the native format. Errors name the file and the JSON path
// ("harris.json: sources[0].recommendations[3].assignments[0].implementation:
// unknown value 'done'"), or line and column for malformed JSON.
Result<ImportBatch> ReadNativeJson(std::string_view utf8, const std::string& file_label);

// A flat CSV, one row per assignment, with the columns of `import csv`'s FIELDs:
// its state as of `as_of` (the imported state with the validated updates dated
// up to then), then how many such updates there are, the last one's date and
// note. Re-importable with the same --map (as a new starting state: the
// lossless form is the native JSON). Cells that look like spreadsheet
// formulas get a leading ' unless `formulas` says keep (core/csv.h).
std::string WriteFlatCsv(const ImportBatch& batch, Date as_of,
                         CsvFormulas formulas = CsvFormulas::kNeutralise);

}  // namespace rectrack

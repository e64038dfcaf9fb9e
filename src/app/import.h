#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "ingest/csv_import.h"
#include "ingest/mapped_file.h"
#include "store/store.h"

namespace rectrack {

// Imports the CSV in `file` (named `label` in messages and in the ledger) as
// `mapping` says, with `aliases` (alias -> canonical owner) written first: all
// of it in one transaction, or nothing, exactly as ImportCsv followed by
// Store::Import. The file is parsed on a second thread, in chunks, while this
// one writes the chunks before, so memory stays bounded whatever the file's
// size; unless its rows interleave sources or come back to a recommendation
// after others, which chunks cannot number as the whole batch: such a file is
// imported whole. The ledger event names the file and its SHA-256.
//
// Errors come in ImportCsv's order, then the store's: a problem anywhere in the
// file is reported rather than a store failure (a source already there, say).
Result<ImportSummary> ImportCsvFile(Store& store, MappedFile& file, const std::string& label,
                                    const CsvMapping& mapping,
                                    const std::vector<std::pair<std::string, std::string>>& aliases,
                                    const Actor& actor);

// The first problem of the CSV in `file` if it has one, else `later`: for a
// failure that ImportCsvFile would only get to once the file was found valid
// (a store that cannot be opened, an unreadable aliases file).
Error CsvProblemOr(MappedFile& file, const std::string& label, const CsvMapping& mapping,
                   Error later);

}  // namespace rectrack

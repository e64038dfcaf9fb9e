#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/result.h"
#include "core/vocab.h"
#include "ingest/encoding.h"

namespace rectrack {

// What to do when rows repeat a recommendation (same source and ref) with a
// text that differs from its first row's in more than white space, quotes or a
// bracketed echo of its ref (NormalisedForRepeat): stop with an error, or keep
// the first text, or the longest.
enum class RepeatedText { kStop, kFirst, kLongest };

// How to read a CSV of recommendations: one row per recommendation, or one row
// per recommendation x owner (rows with the same source and ref are merged).
struct CsvMapping {
  // FIELD -> column header. FIELD is one of: source, ref, text, owner, made, due,
  // status, response, response_text, theme, url, target (the implementation
  // target agreed with the row's owner(s)).
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
  RepeatedText repeated_text = RepeatedText::kStop;
};

// What an import made of rows that repeat a recommendation with another text.
struct CsvRepeats {
  size_t trivial = 0;    // rows whose text normalised like the first row's
  size_t differing = 0;  // rows with a really different text, kept by repeated_text
  size_t texts_replaced = 0;  // of the differing ones: a longer text kept (kLongest)
  // The first such row, for the summary.
  size_t trivial_line = 0, differing_line = 0;
  std::string trivial_ref, differing_ref;
  // Lines for an import's summary; none when no row repeated another text.
  std::vector<std::string> Notes(const CsvMapping& mapping) const;
};

// The FIELD names accepted by `columns`.
bool IsCsvField(std::string_view field);

// Parses `raw` (bytes in mapping.encoding) into a batch. Every problem is an
// error "FILE:LINE:COLUMN: ..." naming the first one; nothing is partial.
// `repeats`, if set, is filled with what was made of repeated rows.
Result<ImportBatch> ImportCsv(std::string_view raw, const std::string& file_label,
                              const CsvMapping& mapping, CsvRepeats* repeats = nullptr);

// Takes the chunks of ImportCsvChunked, in order, on the calling thread.
using CsvChunkSink = std::function<Status(ImportBatch&& chunk)>;

struct CsvChunking {
  size_t rows = 4096;  // rows of the file per chunk; the last chunk may have fewer
  // Called with offsets into `raw` that only grow: the importer will not look at
  // a byte before the offset again (to let go of a mapped file's pages, or to
  // hash the input as it goes). The last call is raw.size(). May be empty.
  std::function<void(size_t offset)> consumed;
  // Filled with what was made of repeated rows, if set.
  CsvRepeats* repeats = nullptr;
};

// ImportCsv for files too big to hold as one batch: hands the batch to `sink`
// in chunks of `chunking.rows` rows, keeping in memory only the current chunk
// and, per recommendation, its ref, owners and a digest of its text.
//
// The chunks, one after the other, hold ImportCsv's batch in its order: sources
// in the order of their first rows, each with all its recommendations, each of
// those with all its assignments; so a store that numbers rows as they come
// numbers them as for the whole batch. A source is repeated in every chunk that
// has rows of it. The rows of the recommendation a chunk ended with may go on
// at the start of the next: they come as a RecommendationIn with `continued`
// set, holding what those rows add: the new assignments, the themes they name
// (each once), the first made date and url they give. Its text is the row's
// own, found equal to the first (by digest: the store compares the full texts).
//
// Rows in any other order (sources interleaved, a recommendation taken up again
// after others) cannot keep that order in chunks: then the importer stops and
// returns false, having sent part of the file. The caller drops what it got and
// uses ImportCsv. True means every chunk was sent.
//
// A recommendation continued in a later chunk with another text than its
// first row's (even trivially) cannot be written as chunks either: then, too,
// the importer returns false.
//
// Errors are ImportCsv's, with its precedence: invalid UTF-8 anywhere, then the
// first bad row, then the sink's error. So when the sink fails it is not called
// again, but the rest of the file is still read and its first problem, if any,
// is returned instead of the sink's error.
Result<bool> ImportCsvChunked(std::string_view raw, const std::string& file_label,
                              const CsvMapping& mapping, const CsvChunking& chunking,
                              const CsvChunkSink& sink);

}  // namespace rectrack

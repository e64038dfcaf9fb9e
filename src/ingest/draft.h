#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/batch.h"
#include "core/date.h"
#include "core/result.h"
#include "ingest/document.h"

namespace rectrack {

// A draft in a file: what `import document` writes and a person checks and
// edits before `import draft` loads it. Format "rectrack-draft/1":
//   {"format": "rectrack-draft/1", "preset": "upr",
//    "document": {"file", "sha256", "pages", "title", "symbol", "state_under_review"},
//    "page_texts": [...]  (only when asked for: each page's text, which the quotes index),
//    "notes": [...],
//    "items": [{"ref", "text", "addressees": [...], "recommended_by": [...],
//               "decision", "quotes": [{"page", "begin", "end"}], "notes": [...]}]}
struct DraftFile {
  Draft draft;
  std::string file;    // the document's name, as given
  std::string sha256;  // of its bytes
  // Each page's text as extracted, which the quotes' spans index: kept only
  // when asked for (import document --with-pages; the web's drafts), since it
  // is most of a draft's size.
  std::vector<std::string> page_texts;
};

std::string DraftToJson(const DraftFile& d);
// Strict: a clear error, naming the item, for a field of the wrong type, an
// empty ref or text, or a repeated ref (a person may have edited the file).
Result<DraftFile> DraftFromJson(std::string_view json, const std::string& label);

// Makes the items at `positions` (ascending, at least two, each an index of
// d->items) one, at the first's place and with its ref: the texts joined with
// a space, and the quotes, addressees, recommending states and notes of all
// in order without repeats; the first decision said, with a note when they
// differ. For an item the extractor cut in two.
Status MergeDraftItems(Draft* d, const std::vector<size_t>& positions);

struct DraftSource {
  std::string slug;   // default: from the document (upr: upr-SYMBOL-STATE; else its title)
  std::string title;  // default: the document's
  std::string kind;   // default: upr for the upr preset, else report
  std::optional<Date> date;
  // `slug` names a source already in the store: the items are added to it
  // (title, kind and date are then not used).
  bool existing = false;
};

// Each item's addressees checked against the owners (with their aliases) of
// the store they will go to: a name or alias as written is kept; one that
// differs from an owner's name or alias only in case or spacing becomes that
// owner's name, with a note; any other gets a note that importing makes it a
// new owner. Run again, it adds no note twice.
void MapAddressees(Draft* d, const std::vector<Owner>& owners);

// The batch `import draft` writes: one new source with the draft's items;
// each addressee an owner (resolved through the store's aliases on import);
// upr decisions read in the upr vocabulary; the recommending states as the
// recommendation's made_by ("France, Chile").
Result<ImportBatch> DraftToBatch(const DraftFile& d, const DraftSource& source);

}  // namespace rectrack

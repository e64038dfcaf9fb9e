#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "ingest/document.h"
#include "ingest/draft.h"
#include "store/store.h"

namespace rectrack {

// What a document read for someone else (an upload to the server) may cost.
// A PDF is a program of sorts: a hostile one can ask for any amount of memory
// or time, and poppler is large C++ code. So it is read by another process,
// `rectrack import document`, under these limits, and what goes wrong there
// costs that process only.
struct ExtractLimits {
  int cpu_seconds = 30;                       // RLIMIT_CPU: then SIGXCPU, then SIGKILL
  std::chrono::milliseconds wall{60'000};     // then SIGKILL (a child stuck without CPU)
  size_t memory_bytes = size_t{1} << 30;      // RLIMIT_AS
  size_t output_bytes = size_t{256} << 20;    // RLIMIT_FSIZE: the draft it writes
};

// The draft of `bytes` (a PDF, or text pages ending in form feeds), with its
// page texts, read by running `program import document --with-pages` in a
// child process under `limits` (its own process group, no descriptors but
// standard error, no core dump), in a private temporary folder that is
// removed afterwards. `file_name` names the document in the draft and in
// messages (only its last component, and only letters, digits, '.', '-' and
// '_', are used for the file the child reads). An error says what went wrong
// in words for the person who uploaded it: the child's own message for a
// document it refused (encrypted, damaged, no recommendations found), or the
// limit that stopped it.
Result<DraftFile> ExtractDocumentInChild(const std::string& program, std::string_view bytes,
                                         const std::string& file_name, DocumentPreset preset,
                                         const ExtractLimits& limits = {});

// A draft kept in the store (the web's) imported as a new source through the
// normal import path, and the draft gone, in one transaction: all of it or
// nothing. kPrecondition if the draft is no longer at `expected_version` (what
// the person confirming saw) or is gone; the import's own errors (a slug
// already there, a source to add to that is not, an unknown decision) as they are.
Result<ImportSummary> ConfirmDocumentDraft(Store& store, int64_t draft_id, int64_t expected_version,
                                           const DraftSource& source, const Actor& actor);

}  // namespace rectrack

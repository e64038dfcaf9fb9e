#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/batch.h"
#include "core/result.h"
#include "ingest/encoding.h"

namespace rectrack {

struct PresetOptions {
  std::optional<Encoding> encoding;  // default: the format's own
  std::optional<Date> recorded_on;   // default: the dataset's fetch date
};

// The judiciary's Prevention of Future Deaths reports, as scraped by
// preventable-deaths-scraper (columns "response status", date_of_report, ref,
// this_report_is_being_sent_to, concerns, ...). Each report becomes a source with
// a 56-day response duty and one recommendation (its matters of concern),
// assigned to every recipient; the recorded "response status" is the state on
// the data's date (2024-03-17).
//
// Decisions the data forces (see presets.cc for the why):
// - slug "pfd-" + Slugify(ref); a report without a ref uses the deceased's name;
//   repeats get -2, -3, ... in file order. The recommendation's ref is the ref as
//   written ("unnumbered" when empty).
// - text is the matters of concern; most rows lack them, and then the text says so.
// - rows whose "response status" is `no requests` or `failed` (no addressee
//   found, or the report could not be parsed) keep the report with no
//   assignments; if they do name recipients, the reply counts give the status.
// - every recipient is declared as an owner with the tier GuessPfdTier gives.
inline constexpr char kPfdDataDate[] = "2024-03-17";
Result<ImportBatch> ImportPfd(std::string_view raw, const std::string& file_label,
                              const PresetOptions& options);

// A best guess at the tier of a PFD recipient from its name alone ("NHS
// England" -> nhs, "Kent County Council" -> local_authority, "Home Office" ->
// central_government, "Greater Manchester Police" -> emergency_service, "Care
// Quality Commission" -> regulator); "unclassified" when the name says nothing
// clear. Obvious words only: a wrong tier is worse than none.
std::string GuessPfdTier(std::string_view owner);

// UN Universal Periodic Review recommendations (columns text,to,decision,From,
// year,notes; Mac OS Roman by default). Each state under review in a year is a
// source; `to` is the owner; `decision` the response.
// The paragraph number that starts a text ("96.1.1 ") becomes the ref (else a
// running number); a ref seen again in the same source (the same
// recommendation made by several states is one row each) gets -2, -3, ...
// `From` is the recommendation's made_by, `notes` the response text.
Result<ImportBatch> ImportUpr(std::string_view raw, const std::string& file_label,
                              const PresetOptions& options);

// A UPR decision read through the upr vocabulary, as an assignment's initial
// state: the decision says whether a state accepts, not whether it acted;
// only "implemented" says that. Used by ImportUpr and by import draft.
void SetUprDecision(const StatusMapping& m, std::string_view decision, Assignment* a);

}  // namespace rectrack

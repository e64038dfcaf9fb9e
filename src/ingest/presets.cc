#include "ingest/presets.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/text.h"
#include "fmt/format.h"
#include "ingest/csv_reader.h"

namespace rectrack {
namespace {

// UTF-8 is read in place; other encodings are converted into `storage`.
Result<std::string_view> Decode(std::string_view raw, Encoding encoding, const std::string& label,
                                std::string* storage) {
  if (encoding == Encoding::kUtf8) return CheckUtf8(raw, label);
  auto utf8 = ToUtf8(raw, encoding, label);
  if (!utf8) return Fail(utf8.error());
  *storage = std::move(*utf8);
  return std::string_view(*storage);
}

Error At(const std::string& label, const CsvField& f, std::string_view what) {
  return Error::Invalid(fmt::format("{}:{}:{}: {}", label, f.line, f.column, what));
}

// The header of a preset's file: finds the columns it needs by name.
class Header {
 public:
  explicit Header(const std::vector<CsvField>& fields) {
    for (const auto& f : fields) names_.emplace_back(Trim(f.value));
    line_ = fields.front().line;
  }
  // Index of `name`, or -1.
  int Find(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return static_cast<int>(i);
    return -1;
  }
  Result<std::vector<int>> Require(std::initializer_list<std::string_view> names,
                                   const std::string& label, std::string_view preset) const {
    std::vector<int> out;
    for (auto n : names) {
      int i = Find(n);
      if (i < 0)
        return Fail(Error::Invalid(
            fmt::format("{}:{}:1: no column '{}', which the {} format needs; the header has: {}",
                        label, line_, n, preset, Join(names_, ", "))));
      out.push_back(i);
    }
    return out;
  }

 private:
  std::vector<std::string> names_;
  size_t line_ = 1;
};

// A row's cell by column index; rows may stop short of the header.
std::string_view Cell(const std::vector<CsvField>& row, int column) {
  if (column < 0 || static_cast<size_t>(column) >= row.size()) return {};
  return Trim(row[column].value);
}
const CsvField& CellField(const std::vector<CsvField>& row, int column) {
  if (column < 0 || static_cast<size_t>(column) >= row.size()) return row.back();
  return row[column];
}

// Returns `base`, or base-2, base-3, ... whichever is first unused, and marks it used.
std::string Unique(const std::string& base, std::unordered_set<std::string>* used) {
  if (used->insert(base).second) return base;
  for (int n = 2;; ++n) {
    std::string candidate = base + "-" + std::to_string(n);
    if (used->insert(candidate).second) return candidate;
  }
}

// Case-insensitive search for `needle` as whole words: the characters either
// side of a match must not be ASCII letters or digits ("Fire" is not in
// "Firearms", "Police" not in "Policing").
bool ContainsWords(std::string_view hay, std::string_view needle) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (i > 0 && alnum(hay[i - 1])) continue;
    size_t k = 0;
    while (k < needle.size() && lower(hay[i + k]) == lower(needle[k])) ++k;
    if (k < needle.size()) continue;
    size_t end = i + needle.size();
    if (end < hay.size() && alnum(hay[end])) continue;
    return true;
  }
  return false;
}

struct TierRule {
  std::string_view words;
  std::string_view tier;
};

// First match wins. The order matters: named regulators before the words
// their names contain ("General Medical Council" is no local council), bodies
// that merely look like a tier before that tier's words, emergency services
// before the NHS (ambulance services are NHS trusts, but a tracking office
// counts them as emergency services), government before local government.
// "Trust" alone is not enough for the NHS: the recipients include the National
// Trust, the Canal and River Trust and the Peabody Trust.
constexpr TierRule kPfdTierRules[] = {
    {"General Medical Council", "regulator"},
    {"Midwifery Council", "regulator"},
    {"Health and Care Professions Council", "regulator"},
    {"General Dental Council", "regulator"},
    {"General Pharmaceutical Council", "regulator"},
    {"General Chiropractic Council", "regulator"},
    {"General Optical Council", "regulator"},
    {"Care Quality Commission", "regulator"},
    {"CQC", "regulator"},
    {"MHRA", "regulator"},
    {"Ofsted", "regulator"},
    {"Ofcom", "regulator"},
    {"Ofgem", "regulator"},
    {"Ofwat", "regulator"},
    {"Health and Safety Executive", "regulator"},
    {"Charity Commission", "regulator"},
    {"Care Agency", "unclassified"},  // a home care provider, not a regulator
    {"Highways Agency", "unclassified"},
    {"Resuscitation Council", "unclassified"},
    {"Advisory Council", "unclassified"},
    {"Industry Council", "unclassified"},
    {"National Crime Agency", "emergency_service"},
    {"Police", "emergency_service"},
    {"Constabulary", "emergency_service"},
    {"Fire", "emergency_service"},
    {"Ambulance", "emergency_service"},
    {"NHS", "nhs"},
    {"Integrated Care", "nhs"},
    {"Clinical Commissioning", "nhs"},
    {"Clinical Commission", "nhs"},  // a common misspelling in the data
    {"CCG", "nhs"},
    {"Health Board", "nhs"},  // NHS Wales
    {"Foundation Trust", "nhs"},
    {"Hospital Trust", "nhs"},
    {"Hospitals Trust", "nhs"},
    {"Health Trust", "nhs"},
    {"Healthcare Trust", "nhs"},
    {"Health Care Trust", "nhs"},
    {"Partnership Trust", "nhs"},
    {"Secretary of State", "central_government"},
    {"Department of", "central_government"},
    {"Department for", "central_government"},
    {"Minister", "central_government"},
    {"Ministry", "central_government"},
    {"Home Office", "central_government"},
    {"Cabinet Office", "central_government"},
    {"HM Treasury", "central_government"},
    {"Council", "local_authority"},
    {"Borough", "local_authority"},
    {"Agency", "regulator"},
    {"Commission", "regulator"},
    {"Regulator", "regulator"},
    {"Regulatory", "regulator"},
};

// What the scraper's roll-up says for each recipient. `no requests` and
// `failed` are not in the pfd vocabulary: the scraper found no addressee, or
// could not read the report. Such rows almost never name recipients (one in
// the 2024 data does); when they do, the reply counts are the best evidence.
Result<AssignmentState> PfdState(const std::string& label, const CsvField& status_field,
                                 std::string_view recipients_cell, std::string_view replies_cell) {
  std::string_view word = Trim(status_field.value);
  AssignmentState st;
  // The data records replies, never whether anything was done.
  st.implementation = Implementation::kUnknown;
  auto to_int = [](std::string_view s) {
    int v = 0;
    s = Trim(s);
    if (s.empty() || s.size() > 6) return 0;
    for (char c : s) {
      if (c < '0' || c > '9') return 0;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  const int recipients = to_int(recipients_cell), replies = to_int(replies_cell);
  // Replies the data counts, without saying from whom: all of them in, or
  // some (each recipient then shows "partial", never "no response").
  auto from_replies = [&](ResponseStatus otherwise) {
    if (replies > 0 && replies >= recipients) return ResponseStatus::kResponded;
    if (replies > 0) return ResponseStatus::kPartial;
    return otherwise;
  };
  auto m = MapStatusWord("pfd", word);
  if (m) {
    if (m->response) st.response = *m->response;
    if (m->response_status) st.recorded_status = *m->response_status;
    if (m->implementation) st.implementation = *m->implementation;
    // The scraper's roll-up can lag its own reply count (pfd-2017-0173:
    // "overdue" with one reply of two): the count is the better evidence.
    if (st.recorded_status == ResponseStatus::kOverdue ||
        st.recorded_status == ResponseStatus::kPending)
      st.recorded_status = from_replies(st.recorded_status);
    return st;
  }
  std::string norm = NormaliseWord(word);
  if (norm != "no requests" && norm != "failed")
    return Fail(At(label, status_field,
                   fmt::format("unknown response status '{}' (known: completed, partial, "
                               "overdue, pending, no requests, failed)",
                               word)));
  st.recorded_status = from_replies(st.recorded_status);
  return st;
}

}  // namespace

std::string GuessPfdTier(std::string_view owner) {
  for (const auto& rule : kPfdTierRules)
    if (ContainsWords(owner, rule.words)) return std::string(rule.tier);
  return "unclassified";
}

Result<ImportBatch> ImportPfd(std::string_view raw, const std::string& file_label,
                              const PresetOptions& options) {
  std::string storage;
  auto text = Decode(raw, options.encoding.value_or(Encoding::kUtf8), file_label, &storage);
  if (!text) return Fail(text.error());
  CsvReader reader(*text, file_label);
  std::vector<CsvField> row;
  auto more = reader.Next(&row);
  if (!more) return Fail(more.error());
  if (!*more) return Fail(Error::Invalid(fmt::format("{}: empty file", file_label)));
  Header header(row);
  auto cols = header.Require(
      {"response status", "date_of_report", "ref", "deceased_name", "coroner_name", "coroner_area",
       "category", "this_report_is_being_sent_to", "report_url", "pdf_url", "concerns"},
      file_label, "PFD");
  if (!cols) return Fail(cols.error());
  const int c_status = (*cols)[0], c_date = (*cols)[1], c_ref = (*cols)[2], c_name = (*cols)[3],
            c_coroner = (*cols)[4], c_area = (*cols)[5], c_category = (*cols)[6],
            c_sent_to = (*cols)[7], c_report_url = (*cols)[8], c_pdf_url = (*cols)[9],
            c_concerns = (*cols)[10];
  const int c_title = header.Find("coroner_title");
  const int c_recipients = header.Find("no. recipients");
  const int c_replies = header.Find("no. replies");

  std::optional<Date> recorded_on = options.recorded_on;
  if (!recorded_on) recorded_on = *Date::ParseIso(kPfdDataDate);

  ImportBatch batch;
  std::unordered_set<std::string> slugs;
  std::map<std::string, std::string> owner_tiers;  // sorted by name
  while (true) {
    more = reader.Next(&row);
    if (!more) return Fail(more.error());
    if (!*more) break;

    std::string_view ref = Cell(row, c_ref);
    std::string_view name = Cell(row, c_name);
    std::optional<Date> date;
    if (std::string_view d = Cell(row, c_date); !d.empty()) {
      auto parsed = Date::Parse(d, "%d/%m/%Y");
      if (!parsed)
        return Fail(At(file_label, CellField(row, c_date),
                       fmt::format("bad date_of_report '{}' (expected dd/mm/yyyy)", d)));
      date = *parsed;
    }
    auto state = PfdState(file_label, CellField(row, c_status), Cell(row, c_recipients),
                          Cell(row, c_replies));
    if (!state) return Fail(state.error());

    ImportBatch::SourceIn in;
    Source& s = in.source;
    std::string base = !ref.empty()    ? "pfd-" + Slugify(ref)
                       : !name.empty() ? "pfd-" + Slugify(name)
                                       : "pfd-unnumbered";
    s.slug = Unique(base, &slugs);
    s.kind = "pfd";
    if (!name.empty())
      s.title = fmt::format("Prevention of future deaths report: {}", name);
    else if (!ref.empty())
      s.title = fmt::format("Prevention of future deaths report {}", ref);
    else
      s.title = "Prevention of future deaths report (unnumbered)";
    s.author = std::string(Cell(row, c_coroner));
    // The coroner's area is where the report comes from, not who asked for it,
    // so it goes in the notes ("Senior Coroner for Suffolk"), not commissioned_by.
    std::string_view coroner_title = Cell(row, c_title);
    std::string_view area = Cell(row, c_area);
    if (!area.empty())
      s.notes = coroner_title.empty() ? fmt::format("Coroner area: {}", area)
                                      : fmt::format("{} for {}", coroner_title, area);
    s.date = date;
    s.url = std::string(Cell(row, c_report_url));
    s.response_days = 56;
    s.recorded_on = recorded_on;
    s.vocabulary = "pfd";

    ImportBatch::RecommendationIn rec;
    Recommendation& r = rec.recommendation;
    r.ref = ref.empty() ? "unnumbered" : std::string(ref);
    std::string_view concerns = Cell(row, c_concerns);
    r.text = concerns.empty() ? "(matters of concern not captured by the source data)"
                              : std::string(concerns);
    r.themes = SplitTrimmed(Cell(row, c_category), "|");
    r.made = date;
    r.url = std::string(Cell(row, c_pdf_url));

    std::string_view raw_status = Cell(row, c_status);
    for (auto& owner : SplitTrimmed(Cell(row, c_sent_to), " | ")) {
      // One report names the same recipient twice; it owes one reply.
      bool seen = std::any_of(rec.assignments.begin(), rec.assignments.end(),
                              [&](const auto& a) { return a.owner == owner; });
      if (seen) continue;
      ImportBatch::AssignmentIn a;
      a.assignment.initial = *state;
      a.assignment.raw_status = std::string(raw_status);
      if (!owner_tiers.count(owner)) owner_tiers.emplace(owner, GuessPfdTier(owner));
      a.owner = std::move(owner);
      rec.assignments.push_back(std::move(a));
    }
    in.recommendations.push_back(std::move(rec));
    batch.sources.push_back(std::move(in));
  }
  if (batch.sources.empty())
    return Fail(Error::Invalid(fmt::format("{}: no rows after the header", file_label)));
  for (auto& [owner, tier] : owner_tiers) {
    Owner o;
    o.name = owner;
    o.tier = tier;
    batch.owners.push_back(std::move(o));
  }
  return batch;
}

namespace {

// Splits "96.1.1  Ratify the ..." into ("96.1.1", "Ratify the ..."). A ref is
// digits in groups joined by dots, with at least one dot ("68.11..1" and "67.1."
// occur; a trailing dot is dropped). Iceland's 2011 paragraphs lost their dot
// ("61 1. Commit to ..."): those read as "61.1". Without a number the ref is
// empty and the text whole.
std::pair<std::string, std::string_view> SplitParagraphNumber(std::string_view text) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  auto digits_from = [&](size_t i) {
    while (i < text.size() && digit(text[i])) ++i;
    return i;
  };
  // "98.18.2, with the assistance ...": the number was glued to a clause.
  auto body_from = [&](size_t rest) {
    std::string_view body = Trim(text.substr(rest));
    while (!body.empty() && (body.front() == ',' || body.front() == ';' || body.front() == ':'))
      body = Trim(body.substr(1));
    return body;
  };
  size_t i = digits_from(0);
  if (i == 0) return {{}, text};
  size_t first_end = i;
  bool dotted = false;
  while (i < text.size() && text[i] == '.') {
    size_t j = i;
    while (j < text.size() && text[j] == '.') ++j;
    if (j == text.size() || !digit(text[j])) break;
    i = digits_from(j);
    dotted = true;
  }
  if (dotted) {
    size_t rest = i;
    while (rest < text.size() && text[rest] == '.') ++rest;  // "67.1. Text"
    return {std::string(text.substr(0, i)), body_from(rest)};
  }
  // "61 1. Text"
  if (first_end + 1 < text.size() && text[first_end] == ' ' && digit(text[first_end + 1])) {
    size_t second_end = digits_from(first_end + 1);
    if (second_end + 1 < text.size() && text[second_end] == '.' && text[second_end + 1] == ' ')
      return {std::string(text.substr(0, first_end)) + "." +
                  std::string(text.substr(first_end + 1, second_end - first_end - 1)),
              body_from(second_end + 1)};
  }
  return {{}, text};
}

}  // namespace

void SetUprDecision(const StatusMapping& m, std::string_view decision, Assignment* a) {
  a->initial.implementation = Implementation::kUnknown;
  if (m.response) a->initial.response = *m.response;
  if (m.response_status) a->initial.recorded_status = *m.response_status;
  if (m.implementation) a->initial.implementation = *m.implementation;
  a->raw_response = std::string(decision);
}

Result<ImportBatch> ImportUpr(std::string_view raw, const std::string& file_label,
                              const PresetOptions& options) {
  std::string storage;
  auto text = Decode(raw, options.encoding.value_or(Encoding::kMacRoman), file_label, &storage);
  if (!text) return Fail(text.error());
  CsvReader reader(*text, file_label);
  // upr-2011.csv line 1037 ends a quoted text with `";,denmark`: keep the stray
  // ';' in the text, as every other reader of this data does, rather than
  // refuse the file.
  reader.AllowTextAfterClosingQuote(true);
  std::vector<CsvField> row;
  auto more = reader.Next(&row);
  if (!more) return Fail(more.error());
  if (!*more) return Fail(Error::Invalid(fmt::format("{}: empty file", file_label)));
  Header header(row);
  auto cols = header.Require({"text", "to", "decision", "From", "year"}, file_label, "UPR");
  if (!cols) return Fail(cols.error());
  const int c_text = (*cols)[0], c_to = (*cols)[1], c_decision = (*cols)[2], c_from = (*cols)[3],
            c_year = (*cols)[4];
  const int c_notes = header.Find("notes");

  // The 2010 file records Nicaragua's 71 decisions as "implement": the same
  // column's "implemented" with its last letters lost, not a new decision.
  UserWordMap variants;
  if (!MapStatusWord("upr", "implement"))
    variants["implement"] = *MapStatusWord("upr", "implemented");

  struct SourceState {
    size_t index;
    std::unordered_set<std::string> refs;
    int running = 0;
  };
  ImportBatch batch;
  std::unordered_map<std::string, SourceState> sources;  // by slug
  std::set<std::string> owners;                          // sorted by name
  std::unordered_map<std::string, StatusMapping> decisions;
  while (true) {
    more = reader.Next(&row);
    if (!more) return Fail(more.error());
    if (!*more) break;

    std::string_view to = Cell(row, c_to);
    if (to.empty())
      return Fail(At(file_label, CellField(row, c_to), "empty 'to' (state under review)"));
    std::string_view year = Cell(row, c_year);
    bool year_ok = year.size() == 4 && std::all_of(year.begin(), year.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
    if (!year_ok)
      return Fail(At(file_label, CellField(row, c_year), fmt::format("bad year '{}'", year)));
    std::string_view full_text = Cell(row, c_text);
    if (full_text.empty())
      return Fail(At(file_label, CellField(row, c_text), "empty recommendation text"));
    std::string_view decision = Cell(row, c_decision);
    if (decision.empty()) return Fail(At(file_label, CellField(row, c_decision), "empty decision"));
    auto it = decisions.find(std::string(decision));
    if (it == decisions.end()) {
      auto m = MapStatusWord("upr", decision, &variants);
      if (!m)
        return Fail(At(file_label, CellField(row, c_decision),
                       fmt::format("unknown decision '{}' (vocabulary upr: support, consider, "
                                   "reject, implemented, unknown)",
                                   decision)));
      it = decisions.emplace(std::string(decision), *m).first;
    }
    const StatusMapping& m = it->second;

    std::string slug = fmt::format("upr-{}-{}", year, Slugify(to));
    auto [sit, inserted] = sources.try_emplace(slug);
    SourceState& st = sit->second;
    if (inserted) {
      st.index = batch.sources.size();
      ImportBatch::SourceIn in;
      Source& s = in.source;
      s.slug = slug;
      s.kind = "upr";
      s.title = fmt::format("Universal Periodic Review {}: {}", year, to);
      s.recorded_on = options.recorded_on;
      s.vocabulary = "upr";
      batch.sources.push_back(std::move(in));
      owners.emplace(to);
    }
    ImportBatch::SourceIn& source = batch.sources[st.index];

    auto [number, body] = SplitParagraphNumber(full_text);
    ++st.running;
    std::string ref = number.empty() ? std::to_string(st.running) : number;
    ImportBatch::RecommendationIn rec;
    Recommendation& r = rec.recommendation;
    r.ref = Unique(ref, &st.refs);
    r.text = std::string(body.empty() ? full_text : body);
    r.made_by = std::string(Cell(row, c_from));

    ImportBatch::AssignmentIn a;
    a.owner = std::string(to);
    SetUprDecision(m, decision, &a.assignment);
    a.assignment.initial.response_text = std::string(Cell(row, c_notes));
    rec.assignments.push_back(std::move(a));
    source.recommendations.push_back(std::move(rec));
  }
  if (batch.sources.empty())
    return Fail(Error::Invalid(fmt::format("{}: no rows after the header", file_label)));
  for (const auto& name : owners) {
    Owner o;
    o.name = name;
    o.tier = "national_government";
    batch.owners.push_back(std::move(o));
  }
  return batch;
}

}  // namespace rectrack

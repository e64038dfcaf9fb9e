#include "ingest/csv_import.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/text.h"
#include "fmt/format.h"
#include "ingest/csv_reader.h"

namespace rectrack {
namespace {

enum Field {
  kSource,
  kRef,
  kText,
  kOwner,
  kMade,
  kDue,
  kStatus,
  kResponse,
  kResponseText,
  kTheme,
  kUrl,
  kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "source", "ref",      "text",          "owner", "made", "due",
    "status", "response", "response_text", "theme", "url"};

// Lets unordered_map<std::string, V> be searched with a string_view without
// building a string for every row.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// "data/harris-2016.csv" -> "harris-2016".
std::string BaseName(std::string_view path) {
  size_t slash = path.find_last_of("/\\");
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && dot > 0) path = path.substr(0, dot);
  return std::string(path);
}

struct SourceState {
  size_t index;                    // into batch.sources
  StringMap<size_t> rec_by_ref;    // ref -> index into recommendations
  std::vector<size_t> first_line;  // per recommendation, for error messages
};

class Importer {
 public:
  Importer(const std::string& file_label, const CsvMapping& mapping)
      : label_(file_label), mapping_(mapping) {}

  Result<ImportBatch> Run(std::string_view raw);

 private:
  Error At(const CsvField& f, std::string_view what) const {
    return Error::Invalid(fmt::format("{}:{}:{}: {}", label_, f.line, f.column, what));
  }
  Result<std::optional<Date>> ParseDateCell(const CsvField& f) const;
  Result<StatusMapping> MapWord(const CsvField& f, bool is_response);
  Result<SourceState*> SourceFor(std::string_view title, const CsvField& where);
  Status AddRow(const std::vector<CsvField>& fields, size_t row_number);

  const std::string& label_;
  const CsvMapping& mapping_;
  std::array<int, kFieldCount> column_{};  // field -> column index, -1 if unmapped
  size_t header_columns_ = 0;
  std::string default_title_;
  ImportBatch batch_;
  StringMap<size_t> source_by_title_;  // title as written -> index into states_
  StringMap<size_t> source_by_slug_;
  std::vector<SourceState> states_;
  StringMap<StatusMapping> status_cache_, response_cache_;
};

Result<std::optional<Date>> Importer::ParseDateCell(const CsvField& f) const {
  std::string_view v = Trim(f.value);
  if (v.empty()) return std::optional<Date>();
  if (auto d = Date::Parse(v, mapping_.date_format)) return std::optional<Date>(*d);
  if (auto d = Date::ParseIso(v)) return std::optional<Date>(*d);
  return Fail(At(f, fmt::format("bad date '{}' (expected {}{})", v, mapping_.date_format,
                                mapping_.date_format == "%Y-%m-%d" ? "" : " or YYYY-MM-DD")));
}

Result<StatusMapping> Importer::MapWord(const CsvField& f, bool is_response) {
  std::string_view word = Trim(f.value);
  auto& cache = is_response ? response_cache_ : status_cache_;
  if (auto it = cache.find(word); it != cache.end()) return it->second;
  auto m = MapStatusWord(mapping_.vocabulary, word, &mapping_.user_words);
  if (!m)
    return Fail(At(f, fmt::format("unknown {} word '{}' (vocabulary {}); map it with "
                                  "--status-map '{}={}'",
                                  is_response ? "response" : "status", word, mapping_.vocabulary,
                                  word, is_response ? "accepted" : "implemented")));
  cache.emplace(std::string(word), *m);
  return *m;
}

Result<SourceState*> Importer::SourceFor(std::string_view title, const CsvField& where) {
  if (auto it = source_by_title_.find(title); it != source_by_title_.end())
    return &states_[it->second];
  if (title.empty()) return Fail(At(where, "empty source title"));
  std::string slug = Slugify(title);
  // Titles that differ only in punctuation or case share a slug, hence a source.
  if (auto it = source_by_slug_.find(slug); it != source_by_slug_.end()) {
    source_by_title_.emplace(std::string(title), it->second);
    return &states_[it->second];
  }
  ImportBatch::SourceIn in;
  Source& s = in.source;
  s.slug = slug;
  s.kind = mapping_.source_kind;
  s.title = std::string(title);
  s.response_days = mapping_.response_days;
  s.recorded_on = mapping_.recorded_on;
  s.vocabulary = mapping_.vocabulary;
  batch_.sources.push_back(std::move(in));
  size_t state_index = states_.size();
  states_.push_back(SourceState{batch_.sources.size() - 1, {}, {}});
  source_by_title_.emplace(std::string(title), state_index);
  source_by_slug_.emplace(std::move(slug), state_index);
  return &states_[state_index];
}

Status Importer::AddRow(const std::vector<CsvField>& fields, size_t row_number) {
  // Rows may stop short of the header (missing trailing cells are empty), but
  // may not carry values in columns the header does not name.
  for (size_t i = header_columns_; i < fields.size(); ++i)
    if (!Trim(fields[i].value).empty())
      return Fail(At(fields[i], fmt::format("value in column {} but the header has only {} "
                                            "columns",
                                            i + 1, header_columns_)));
  CsvField missing = fields.back();
  missing.value = {};
  auto cell = [&](Field f) -> const CsvField* {
    int c = column_[f];
    if (c < 0) return nullptr;
    return static_cast<size_t>(c) < fields.size() ? &fields[c] : &missing;
  };

  // Source.
  SourceState* state;
  if (const CsvField* f = cell(kSource)) {
    auto s = SourceFor(Trim(f->value), *f);
    if (!s) return Fail(s.error());
    state = *s;
  } else {
    auto s = SourceFor(default_title_, fields.front());
    if (!s) return Fail(s.error());
    state = *s;
  }
  ImportBatch::SourceIn& source = batch_.sources[state->index];

  // Recommendation fields.
  const CsvField* text_cell = cell(kText);
  std::string_view text = Trim(text_cell->value);
  if (text.empty()) return Fail(At(*text_cell, "empty recommendation text"));
  std::string ref;
  if (const CsvField* f = cell(kRef)) ref = std::string(Trim(f->value));
  if (ref.empty()) ref = std::to_string(row_number);
  std::optional<Date> made, due;
  if (const CsvField* f = cell(kMade)) {
    auto d = ParseDateCell(*f);
    if (!d) return Fail(d.error());
    made = *d;
  }
  if (const CsvField* f = cell(kDue)) {
    auto d = ParseDateCell(*f);
    if (!d) return Fail(d.error());
    due = *d;
  }
  std::vector<std::string> themes;
  if (const CsvField* f = cell(kTheme)) themes = SplitTrimmed(f->value, mapping_.theme_sep);
  std::string_view url;
  if (const CsvField* f = cell(kUrl)) url = Trim(f->value);

  // Find or create the recommendation.
  ImportBatch::RecommendationIn* rec;
  if (auto it = state->rec_by_ref.find(ref); it != state->rec_by_ref.end()) {
    rec = &source.recommendations[it->second];
    Recommendation& r = rec->recommendation;
    if (r.text != text)
      return Fail(
          At(*text_cell, fmt::format("recommendation '{}' of source '{}' appears again with "
                                     "different text (first on line {})",
                                     ref, source.source.slug, state->first_line[it->second])));
    for (auto& t : themes)
      if (std::find(r.themes.begin(), r.themes.end(), t) == r.themes.end())
        r.themes.push_back(std::move(t));
    if (!r.made) r.made = made;
    if (r.url.empty()) r.url = std::string(url);
  } else {
    state->rec_by_ref.emplace(ref, source.recommendations.size());
    state->first_line.push_back(fields.front().line);
    source.recommendations.emplace_back();
    rec = &source.recommendations.back();
    Recommendation& r = rec->recommendation;
    r.ref = std::move(ref);
    r.text = std::string(text);
    r.themes = std::move(themes);
    r.made = made;
    r.url = std::string(url);
  }

  // Assignments: one per owner named in the cell.
  const CsvField* owner_cell = cell(kOwner);
  if (!owner_cell) return {};
  std::vector<std::string> owners = SplitTrimmed(owner_cell->value, mapping_.owner_sep);
  if (owners.empty()) return Fail(At(*owner_cell, "empty owner"));

  AssignmentState initial;
  std::string_view raw_status, raw_response;
  StatusMapping status;  // what the status column said
  if (const CsvField* f = cell(kStatus); f && !Trim(f->value).empty()) {
    auto m = MapWord(*f, /*is_response=*/false);
    if (!m) return Fail(m.error());
    raw_status = Trim(f->value);
    status = *m;
  }
  if (const CsvField* f = cell(kResponse); f && !Trim(f->value).empty()) {
    auto m = MapWord(*f, /*is_response=*/true);
    if (!m) return Fail(m.error());
    raw_response = Trim(f->value);
    if (m->response) {
      status.response = m->response;
    } else {
      // A word that says nothing about the response itself ("pending") still
      // says something; keep it unless the status column already said it.
      if (!status.response_status) status.response_status = m->response_status;
      if (!status.implementation) status.implementation = m->implementation;
    }
  }
  if (status.response) initial.response = *status.response;
  if (status.response_status) initial.recorded_status = *status.response_status;
  if (status.implementation) initial.implementation = *status.implementation;
  if (const CsvField* f = cell(kResponseText)) initial.response_text = std::string(Trim(f->value));

  for (auto& owner : owners) {
    for (const auto& existing : rec->assignments)
      if (existing.owner == owner)
        return Fail(
            At(*owner_cell, fmt::format("owner '{}' appears twice for recommendation "
                                        "'{}' of source '{}'",
                                        owner, rec->recommendation.ref, source.source.slug)));
    ImportBatch::AssignmentIn a;
    a.owner = std::move(owner);
    a.assignment.due = due;
    a.assignment.initial = initial;
    a.assignment.raw_status = std::string(raw_status);
    a.assignment.raw_response = std::string(raw_response);
    rec->assignments.push_back(std::move(a));
  }
  return {};
}

Result<ImportBatch> Importer::Run(std::string_view raw) {
  for (const auto& [field, column] : mapping_.columns) {
    if (!IsCsvField(field)) {
      std::string known;
      for (auto n : kFieldNames) known += (known.empty() ? "" : ", ") + std::string(n);
      return Fail(Error::Invalid(fmt::format(
          "{}: unknown field '{}' in the column map (fields: {})", label_, field, known)));
    }
  }
  if (!mapping_.columns.count("text"))
    return Fail(Error::Invalid(
        fmt::format("{}: the column map must name the column that holds the recommendation text "
                    "(--map text=COLUMN)",
                    label_)));
  if (!mapping_.columns.count("owner")) {
    for (std::string_view f : {"status", "response", "response_text", "due"})
      if (mapping_.columns.count(std::string(f)))
        return Fail(Error::Invalid(
            fmt::format("{}: '{}' is mapped but 'owner' is not; statuses belong to an owner (--map "
                        "owner=COLUMN)",
                        label_, f)));
  }
  if (!IsVocabulary(mapping_.vocabulary))
    return Fail(Error::Invalid(fmt::format("{}: unknown vocabulary '{}' (known: {})", label_,
                                           mapping_.vocabulary, Join(VocabularyNames(), ", "))));
  default_title_ = !mapping_.source_title.empty() ? mapping_.source_title : BaseName(label_);

  // UTF-8 is parsed in place; other encodings are converted first.
  std::string converted;
  std::string_view text;
  if (mapping_.encoding == Encoding::kUtf8) {
    auto checked = CheckUtf8(raw, label_);
    if (!checked) return Fail(checked.error());
    text = *checked;
  } else {
    auto utf8 = ToUtf8(raw, mapping_.encoding, label_);
    if (!utf8) return Fail(utf8.error());
    converted = std::move(*utf8);
    text = converted;
  }
  CsvReader reader(text, label_);
  std::vector<CsvField> fields;
  auto more = reader.Next(&fields);
  if (!more) return Fail(more.error());
  if (!*more) return Fail(Error::Invalid(fmt::format("{}: empty file", label_)));

  // Header: map each FIELD to its column.
  header_columns_ = fields.size();
  std::vector<std::string> header;
  for (const auto& f : fields) header.emplace_back(Trim(f.value));
  column_.fill(-1);
  for (size_t fi = 0; fi < kFieldCount; ++fi) {
    auto it = mapping_.columns.find(std::string(kFieldNames[fi]));
    if (it == mapping_.columns.end()) continue;
    const std::string& want = it->second;
    auto find = [&](auto same) {
      int found = -1;
      for (size_t c = 0; c < header.size(); ++c) {
        if (!same(header[c], want)) continue;
        if (found >= 0) return -2;
        found = static_cast<int>(c);
      }
      return found;
    };
    int c = find([](const std::string& a, const std::string& b) { return a == b; });
    if (c == -1)
      c = find([](const std::string& a, const std::string& b) {
        return ToLowerAscii(a) == ToLowerAscii(b);
      });
    if (c == -2)
      return Fail(At(fields.front(), fmt::format("column '{}' (mapped to {}) appears more than "
                                                 "once in the header",
                                                 want, kFieldNames[fi])));
    if (c == -1) {
      std::string have;
      for (const auto& h : header) have += (have.empty() ? "'" : ", '") + h + "'";
      return Fail(At(fields.front(), fmt::format("no column '{}' (mapped to {}); the header "
                                                 "has: {}",
                                                 want, kFieldNames[fi], have)));
    }
    column_[fi] = c;
  }

  size_t row_number = 0;
  while (true) {
    more = reader.Next(&fields);
    if (!more) return Fail(more.error());
    if (!*more) break;
    ++row_number;
    RT_TRY(AddRow(fields, row_number));
  }
  if (row_number == 0)
    return Fail(Error::Invalid(fmt::format("{}: no rows after the header", label_)));
  return std::move(batch_);
}

}  // namespace

bool IsCsvField(std::string_view field) {
  return std::find(kFieldNames.begin(), kFieldNames.end(), field) != kFieldNames.end();
}

Result<ImportBatch> ImportCsv(std::string_view raw, const std::string& file_label,
                              const CsvMapping& mapping) {
  Importer importer(file_label, mapping);
  return importer.Run(raw);
}

}  // namespace rectrack

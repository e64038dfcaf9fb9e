#include "ingest/csv_import.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
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
  kTarget,
  kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "source", "ref",      "text",          "owner", "made", "due",
    "status", "response", "response_text", "theme", "url",  "target"};

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

constexpr uint32_t kNone = UINT32_MAX;

// What must outlive a recommendation's chunk so that a later row with the same
// source and ref can still be merged into it.
struct RecInfo {
  size_t first_line;         // for error messages
  uint64_t text_hash;        // its text is gone with its chunk; a repeat must match
  uint64_t normal_hash;      // of NormalisedForRepeat(text, ref): a copy's
  uint32_t in_chunk = kNone;  // index into the current chunk's recommendations of its source
  uint32_t first_owner = kNone;  // owners as written, interned (Importer::owner_ids_)
  uint32_t more_owners = kNone;  // index into Importer::more_owners_ when it has several
};

struct SourceState {
  Source source;  // as every chunk that has rows of it carries it
  StringMap<uint32_t> rec_by_ref;  // ref -> index into recs
  std::vector<RecInfo> recs;
  uint32_t in_chunk = kNone;  // index into the current chunk's sources
};

uint64_t TextHash(std::string_view text) { return std::hash<std::string_view>{}(text); }

// Characters, not bytes, for "the longest text".
size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

class Importer {
 public:
  Importer(const std::string& file_label, const CsvMapping& mapping, const CsvChunking& chunking,
           const CsvChunkSink& sink)
      : label_(file_label), mapping_(mapping), chunking_(chunking), sink_(sink) {}

  // True once every chunk went to the sink; false if the rows' order cannot be
  // kept in chunks (see ImportCsvChunked).
  Result<bool> Run(std::string_view raw);

 private:
  Error At(const CsvField& f, std::string_view what) const {
    return Error::Invalid(fmt::format("{}:{}:{}: {}", label_, f.line, f.column, what));
  }
  Result<std::optional<Date>> ParseDateCell(const CsvField& f) const;
  Result<StatusMapping> MapWord(const CsvField& f, bool is_response);
  Result<size_t> SourceFor(std::string_view title, const CsvField& where);
  ImportBatch::SourceIn& ChunkSource(size_t state_index);
  // Adds `owner` to the recommendation's owners; false if it was there already.
  bool AddOwner(RecInfo* info, const std::string& owner);
  Status AddRow(const std::vector<CsvField>& fields, size_t row_number);
  // Notes that the chunks can no longer keep ImportCsv's order (unless the sink
  // already failed: then only the file's problems matter).
  void OutOfOrder() {
    if (!sink_error_) out_of_order_ = true;
  }
  // Checks the UTF-8 of raw_ up to `upto` (a UTF-8 input only).
  Status CheckUtf8Upto(size_t upto);
  // `e` unless the input has invalid UTF-8 somewhere, which comes first.
  Error Resolve(Error e);
  // Hands the chunk to the sink (unless it failed before) and starts the next.
  void Flush();
  void Consumed(size_t offset) {
    if (chunking_.consumed) chunking_.consumed(offset);
  }

  const std::string& label_;
  const CsvMapping& mapping_;
  const CsvChunking& chunking_;
  const CsvChunkSink& sink_;
  std::string_view raw_;
  bool check_utf8_ = false;
  size_t validated_ = 0;  // raw_ is valid UTF-8 up to here
  std::array<int, kFieldCount> column_{};  // field -> column index, -1 if unmapped
  size_t header_columns_ = 0;
  std::string default_title_;
  StringMap<size_t> source_by_title_;  // title as written -> index into states_
  StringMap<size_t> source_by_slug_;
  std::vector<SourceState> states_;
  StringMap<uint32_t> owner_ids_;
  std::vector<std::vector<uint32_t>> more_owners_;
  StringMap<StatusMapping> status_cache_, response_cache_;
  // The chunk being built, and what in states_ points into it.
  ImportBatch batch_;
  size_t chunk_rows_ = 0;
  std::vector<size_t> chunk_sources_;
  std::vector<std::pair<size_t, uint32_t>> chunk_recs_;  // (state, rec)
  std::optional<Error> sink_error_;
  // What the last chunk sent ended with: the next chunk may add to that
  // recommendation, and to that source, and keep ImportCsv's order.
  size_t open_source_ = SIZE_MAX;
  uint32_t open_rec_ = kNone;
  bool out_of_order_ = false;
  CsvRepeats* repeats_ = chunking_.repeats;
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

Result<size_t> Importer::SourceFor(std::string_view title, const CsvField& where) {
  if (auto it = source_by_title_.find(title); it != source_by_title_.end()) return it->second;
  if (title.empty()) return Fail(At(where, "empty source title"));
  std::string slug = Slugify(title);
  // Titles that differ only in punctuation or case share a slug, hence a source.
  if (auto it = source_by_slug_.find(slug); it != source_by_slug_.end()) {
    source_by_title_.emplace(std::string(title), it->second);
    return it->second;
  }
  size_t state_index = states_.size();
  states_.emplace_back();
  Source& s = states_.back().source;
  s.slug = slug;
  s.kind = mapping_.source_kind;
  s.title = std::string(title);
  s.response_days = mapping_.response_days;
  s.recorded_on = mapping_.recorded_on;
  s.vocabulary = mapping_.vocabulary;
  source_by_title_.emplace(std::string(title), state_index);
  source_by_slug_.emplace(std::move(slug), state_index);
  return state_index;
}

ImportBatch::SourceIn& Importer::ChunkSource(size_t state_index) {
  SourceState& state = states_[state_index];
  if (state.in_chunk == kNone) {
    state.in_chunk = static_cast<uint32_t>(batch_.sources.size());
    batch_.sources.emplace_back();
    batch_.sources.back().source = state.source;
    chunk_sources_.push_back(state_index);
  }
  return batch_.sources[state.in_chunk];
}

bool Importer::AddOwner(RecInfo* info, const std::string& owner) {
  auto [it, added] = owner_ids_.try_emplace(owner, static_cast<uint32_t>(owner_ids_.size()));
  uint32_t id = it->second;
  if (info->first_owner == kNone) {
    info->first_owner = id;
    return true;
  }
  if (info->first_owner == id) return false;
  if (info->more_owners == kNone) {
    info->more_owners = static_cast<uint32_t>(more_owners_.size());
    more_owners_.emplace_back();
  }
  auto& more = more_owners_[info->more_owners];
  if (std::find(more.begin(), more.end(), id) != more.end()) return false;
  more.push_back(id);
  return true;
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
  size_t state_index;
  if (const CsvField* f = cell(kSource)) {
    auto s = SourceFor(Trim(f->value), *f);
    if (!s) return Fail(s.error());
    state_index = *s;
  } else {
    auto s = SourceFor(default_title_, fields.front());
    if (!s) return Fail(s.error());
    state_index = *s;
  }
  SourceState* state = &states_[state_index];
  // A source with rows in an earlier chunk: ImportCsv's batch would have all its
  // recommendations before any later source's, so it may only go on at the very
  // start of a chunk, from where the last chunk ended.
  if (state->in_chunk == kNone && !state->recs.empty() &&
      !(state_index == open_source_ && batch_.sources.empty()))
    OutOfOrder();
  ImportBatch::SourceIn& source = ChunkSource(state_index);

  // Recommendation fields.
  const CsvField* text_cell = cell(kText);
  std::string_view text = Trim(text_cell->value);
  if (text.empty()) return Fail(At(*text_cell, "empty recommendation text"));
  std::string ref;
  if (const CsvField* f = cell(kRef)) ref = std::string(Trim(f->value));
  if (ref.empty()) ref = std::to_string(row_number);
  std::optional<Date> made, due, target;
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
  if (const CsvField* f = cell(kTarget)) {
    auto d = ParseDateCell(*f);
    if (!d) return Fail(d.error());
    target = *d;
    if (target && made && *target < *made)
      return Fail(At(*f, fmt::format("implementation target {} is before the recommendation was "
                                     "made ({})",
                                     target->ToIso(), made->ToIso())));
  }
  std::vector<std::string> themes;
  if (const CsvField* f = cell(kTheme)) themes = SplitTrimmed(f->value, mapping_.theme_sep);
  std::string_view url;
  if (const CsvField* f = cell(kUrl)) url = Trim(f->value);

  // Find or create the recommendation.
  ImportBatch::RecommendationIn* rec;
  RecInfo* info;
  auto merge = [&](Recommendation& r) {
    for (auto& t : themes)
      if (std::find(r.themes.begin(), r.themes.end(), t) == r.themes.end())
        r.themes.push_back(std::move(t));
    if (!r.made) r.made = made;
    if (r.url.empty()) r.url = std::string(url);
  };
  if (auto it = state->rec_by_ref.find(ref); it != state->rec_by_ref.end()) {
    const uint32_t rec_index = it->second;
    info = &state->recs[rec_index];
    const bool same = info->in_chunk != kNone
                          ? source.recommendations[info->in_chunk].recommendation.text == text
                          : TextHash(text) == info->text_hash;
    if (!same) {
      // A copy with another text: the same recommendation if it differs only
      // trivially, or if the mapping says which text to keep.
      const bool trivial = TextHash(NormalisedForRepeat(text, ref)) == info->normal_hash;
      if (!trivial && mapping_.repeated_text == RepeatedText::kStop)
        return Fail(At(*text_cell,
                       fmt::format("recommendation '{}' of source '{}' appears again with "
                                   "different text (first on line {}); --repeated-text first "
                                   "or --repeated-text longest keeps one of them",
                                   ref, source.source.slug, info->first_line)));
      if (info->in_chunk == kNone) {
        // Its text went with an earlier chunk, which a continuation cannot
        // change: the whole file is read again in one.
        OutOfOrder();
        return {};
      }
      Recommendation& r = source.recommendations[info->in_chunk].recommendation;
      if (repeats_) {
        size_t& n = trivial ? repeats_->trivial : repeats_->differing;
        if (n++ == 0) {
          (trivial ? repeats_->trivial_line : repeats_->differing_line) = fields.front().line;
          (trivial ? repeats_->trivial_ref : repeats_->differing_ref) = ref;
        }
      }
      // A trivial copy keeps the first text (the longest would be the one with
      // the echo of its ref); --repeated-text longest is for real differences.
      if (!trivial && mapping_.repeated_text == RepeatedText::kLongest &&
          Utf8Length(text) > Utf8Length(r.text)) {
        r.text = std::string(text);
        info->text_hash = TextHash(text);
        info->normal_hash = TextHash(NormalisedForRepeat(text, ref));
        if (repeats_) ++repeats_->texts_replaced;
      }
    }
    if (info->in_chunk != kNone) {
      rec = &source.recommendations[info->in_chunk];
      merge(rec->recommendation);
    } else {
      // Its chunk went to the sink; what these rows add goes as a continuation,
      // which keeps ImportCsv's order only if nothing was sent in between.
      if (!(state_index == open_source_ && rec_index == open_rec_ &&
            source.recommendations.empty()))
        OutOfOrder();
      info->in_chunk = static_cast<uint32_t>(source.recommendations.size());
      chunk_recs_.emplace_back(state_index, rec_index);
      source.recommendations.emplace_back();
      rec = &source.recommendations.back();
      rec->continued = true;
      rec->recommendation.ref = std::move(ref);
      rec->recommendation.text = std::string(text);
      merge(rec->recommendation);
    }
  } else {
    const auto rec_index = static_cast<uint32_t>(state->recs.size());
    state->rec_by_ref.emplace(ref, rec_index);
    state->recs.push_back(RecInfo{fields.front().line, TextHash(text),
                                  TextHash(NormalisedForRepeat(text, ref)),
                                  static_cast<uint32_t>(source.recommendations.size())});
    chunk_recs_.emplace_back(state_index, rec_index);
    info = &state->recs.back();
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
    if (!AddOwner(info, owner))
      return Fail(
          At(*owner_cell, fmt::format("owner '{}' appears twice for recommendation "
                                      "'{}' of source '{}'",
                                      owner, rec->recommendation.ref, source.source.slug)));
    ImportBatch::AssignmentIn a;
    a.owner = std::move(owner);
    a.assignment.due = due;
    a.assignment.target = target;
    a.assignment.initial = initial;
    a.assignment.raw_status = std::string(raw_status);
    a.assignment.raw_response = std::string(raw_response);
    rec->assignments.push_back(std::move(a));
  }
  return {};
}

Status Importer::CheckUtf8Upto(size_t upto) {
  constexpr size_t kBlock = 1 << 20;
  upto = std::min(upto, raw_.size());
  while (validated_ < upto) {
    size_t end = std::min(raw_.size(), std::max(upto, validated_ + kBlock));
    // End a block on the first byte of a character, so that no well-formed
    // sequence is cut in two (one has at most three continuation bytes).
    for (int k = 0; k < 3 && end < raw_.size() && end > validated_ + 1 &&
                    (static_cast<unsigned char>(raw_[end]) & 0xC0) == 0x80;
         ++k)
      --end;
    if (!CheckUtf8(raw_.substr(validated_, end - validated_), label_)) {
      // The same error as for the whole input: line and column count from its start.
      auto whole = CheckUtf8(raw_.substr(0, end), label_);
      return Fail(whole ? Error::Internal(fmt::format("{}: UTF-8 check disagrees", label_))
                        : whole.error());
    }
    validated_ = end;
  }
  return {};
}

Error Importer::Resolve(Error e) {
  if (!check_utf8_) return e;
  // The rest is only checked now: let go of it as it goes.
  constexpr size_t kBlock = 16 << 20;
  while (validated_ < raw_.size()) {
    if (auto v = CheckUtf8Upto(validated_ + kBlock); !v) return v.error();
    Consumed(validated_);
  }
  return e;
}

void Importer::Flush() {
  if (!batch_.sources.empty()) {
    open_source_ = chunk_sources_.back();
    const SourceState& last = states_[open_source_];
    const auto& recs = batch_.sources[last.in_chunk].recommendations;
    open_rec_ = recs.empty() ? kNone : last.rec_by_ref.find(recs.back().recommendation.ref)->second;
  }
  if (!sink_error_ && !batch_.sources.empty()) {
    auto s = sink_(std::move(batch_));
    if (!s) sink_error_ = s.error();
  }
  batch_ = ImportBatch();
  chunk_rows_ = 0;
  for (size_t i : chunk_sources_) states_[i].in_chunk = kNone;
  for (auto [i, r] : chunk_recs_) states_[i].recs[r].in_chunk = kNone;
  chunk_sources_.clear();
  chunk_recs_.clear();
}

Result<bool> Importer::Run(std::string_view raw) {
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

  // UTF-8 is parsed in place and checked a little ahead of the parser, so that
  // the sink only ever sees checked text; other encodings are converted first.
  raw_ = raw;
  std::string converted;
  std::string_view text;
  size_t text_start = 0;  // offset of text in raw, when parsed in place
  if (mapping_.encoding == Encoding::kUtf8) {
    check_utf8_ = true;
    if (raw.substr(0, 3) == "\xEF\xBB\xBF") text_start = 3;  // a BOM, as CheckUtf8 drops it
    text = raw.substr(text_start);
  } else {
    auto utf8 = ToUtf8(raw, mapping_.encoding, label_);
    if (!utf8) return Fail(utf8.error());
    converted = std::move(*utf8);
    text = converted;
    Consumed(raw.size());
  }
  CsvReader reader(text, label_);
  std::vector<CsvField> fields;
  auto more = reader.Next(&fields);
  if (!more) return Fail(Resolve(more.error()));
  if (!*more) return Fail(Resolve(Error::Invalid(fmt::format("{}: empty file", label_))));

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
      return Fail(Resolve(At(fields.front(), fmt::format("column '{}' (mapped to {}) appears "
                                                         "more than once in the header",
                                                         want, kFieldNames[fi]))));
    if (c == -1) {
      std::string have;
      for (const auto& h : header) have += (have.empty() ? "'" : ", '") + h + "'";
      return Fail(Resolve(At(fields.front(), fmt::format("no column '{}' (mapped to {}); the "
                                                         "header has: {}",
                                                         want, kFieldNames[fi], have))));
    }
    column_[fi] = c;
  }

  size_t row_number = 0;
  while (true) {
    more = reader.Next(&fields);
    if (!more) return Fail(Resolve(more.error()));
    if (!*more) break;
    ++row_number;
    if (auto s = AddRow(fields, row_number); !s) return Fail(Resolve(s.error()));
    if (out_of_order_) return false;
    if (++chunk_rows_ >= chunking_.rows) {
      // Everything the chunk holds is a copy: the input before the reader is done
      // with. (A converted input was all done with once converted.)
      if (check_utf8_) {
        const size_t offset = text_start + reader.offset();
        RT_TRY(CheckUtf8Upto(offset));
        Consumed(offset);
      }
      Flush();
    }
  }
  if (check_utf8_) RT_TRY(CheckUtf8Upto(raw.size()));
  Consumed(raw.size());
  if (row_number == 0)
    return Fail(Error::Invalid(fmt::format("{}: no rows after the header", label_)));
  Flush();
  if (sink_error_) return Fail(*sink_error_);
  return true;
}

}  // namespace

std::vector<std::string> CsvRepeats::Notes(const CsvMapping& mapping) const {
  std::vector<std::string> notes;
  const bool longest = mapping.repeated_text == RepeatedText::kLongest;
  auto rows = [](size_t n) { return fmt::format("{} row{}", n, n == 1 ? "" : "s"); };
  if (trivial)
    notes.push_back(fmt::format(
        "{} repeated a recommendation with a text that differs only in spacing, quotes or a "
        "bracketed echo of its ref (the first: line {}, ref '{}'); each was read as the same "
        "recommendation, keeping the first row's text",
        rows(trivial), trivial_line, trivial_ref));
  if (differing)
    notes.push_back(fmt::format(
        "{} repeated a recommendation with a different text (the first: line {}, ref '{}'); "
        "as --repeated-text {} says, the {} text was kept",
        rows(differing), differing_line, differing_ref, longest ? "longest" : "first",
        longest ? "longest" : "first row's"));
  if (longest && texts_replaced)
    notes.push_back(fmt::format("{} took the place of a shorter text", rows(texts_replaced)));
  return notes;
}

bool IsCsvField(std::string_view field) {
  return std::find(kFieldNames.begin(), kFieldNames.end(), field) != kFieldNames.end();
}

Result<ImportBatch> ImportCsv(std::string_view raw, const std::string& file_label,
                              const CsvMapping& mapping, CsvRepeats* repeats) {
  CsvChunking whole;
  whole.rows = SIZE_MAX;
  whole.repeats = repeats;
  ImportBatch batch;
  CsvChunkSink keep = [&](ImportBatch&& chunk) -> Status {
    batch = std::move(chunk);
    return {};
  };
  Importer importer(file_label, mapping, whole, keep);
  RT_TRY(importer.Run(raw));  // one chunk is always in order
  return batch;
}

Result<bool> ImportCsvChunked(std::string_view raw, const std::string& file_label,
                              const CsvMapping& mapping, const CsvChunking& chunking,
                              const CsvChunkSink& sink) {
  if (chunking.rows == 0) return Fail(Error::Internal("ImportCsvChunked: chunks of 0 rows"));
  Importer importer(file_label, mapping, chunking, sink);
  return importer.Run(raw);
}

}  // namespace rectrack

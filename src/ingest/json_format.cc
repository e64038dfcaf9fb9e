#include "ingest/json_format.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/text.h"
#include "core/vocab.h"
#include "nlohmann/json.hpp"

namespace rectrack {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kFormat = "rectrack/1";

// ---------------------------------------------------------------------------
// Writing. The layout is written by hand rather than with json::dump so that
// small records (owners, aliases, funding lines, publications) sit on one line
// each and string arrays stay inline, as in docs/native-format.md.

// Appends `s` as a JSON string: quotes, backslashes and control characters
// escaped, valid UTF-8 kept as is, invalid bytes replaced by U+FFFD so the
// output always parses.
void AppendString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          *out += "\\\"";
          break;
        case '\\':
          *out += "\\\\";
          break;
        case '\b':
          *out += "\\b";
          break;
        case '\f':
          *out += "\\f";
          break;
        case '\n':
          *out += "\\n";
          break;
        case '\r':
          *out += "\\r";
          break;
        case '\t':
          *out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            *out += "\\u00";
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xf]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len > 1 && i + len <= s.size() && IsValidUtf8(s.substr(i, len))) {
      out->append(s.substr(i, len));
      i += len;
    } else {
      *out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out->push_back('"');
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendString(s, &out);
  return out;
}

std::string StringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    AppendString(items[i], &out);
  }
  out += "]";
  return out;
}

// Collects "key": value members of one object; renders them on one line or one
// member per line.
class ObjectWriter {
 public:
  void Raw(std::string_view key, std::string value) {
    members_.emplace_back(Quoted(key) + ": " + std::move(value));
  }
  void Str(std::string_view key, std::string_view value) { Raw(key, Quoted(value)); }
  void StrIfSet(std::string_view key, std::string_view value) {
    if (!value.empty()) Str(key, value);
  }
  void DateIfSet(std::string_view key, const std::optional<Date>& d) {
    if (d) Str(key, d->ToIso());
  }
  void Int(std::string_view key, int64_t v) { Raw(key, std::to_string(v)); }
  void IntIfSet(std::string_view key, const std::optional<int>& v) {
    if (v) Int(key, *v);
  }
  void StringsIfSet(std::string_view key, const std::vector<std::string>& v) {
    if (!v.empty()) Raw(key, StringArray(v));
  }
  // `items` are already rendered at depth `indent + 1`.
  void ArrayIfSet(std::string_view key, const std::vector<std::string>& items, int indent) {
    if (items.empty()) return;
    std::string pad(2 * (indent + 1), ' ');
    std::string v = "[\n";
    for (size_t i = 0; i < items.size(); ++i) {
      v += pad + "  " + items[i];
      v += i + 1 < items.size() ? ",\n" : "\n";
    }
    v += pad + "]";
    Raw(key, std::move(v));
  }

  std::string Inline() const { return "{" + Join(members_, ", ") + "}"; }
  // Members one per line at depth `indent + 1`; closing brace at depth `indent`.
  std::string Block(int indent) const {
    std::string pad(2 * indent, ' ');
    std::string out = "{\n";
    for (size_t i = 0; i < members_.size(); ++i) {
      out += pad + "  " + members_[i];
      out += i + 1 < members_.size() ? ",\n" : "\n";
    }
    out += pad + "}";
    return out;
  }

 private:
  std::vector<std::string> members_;
};

std::string WriteUpdate(const Update& u, int indent) {
  ObjectWriter w;
  w.Str("date", u.date.ToIso());
  if (u.response) w.Str("response", Name(*u.response));
  w.StrIfSet("response_text", u.response_text);
  if (u.response_status) w.Str("response_status", Name(*u.response_status));
  if (u.implementation) w.Str("implementation", Name(*u.implementation));
  w.StrIfSet("narrative", u.narrative);
  w.StringsIfSet("evidence", u.evidence);
  w.StrIfSet("author", u.author);
  w.Str("state", Name(u.state));
  w.StrIfSet("return_reason", u.return_reason);
  return w.Block(indent);
}

std::string WriteAssignment(const ImportBatch::AssignmentIn& in, int indent) {
  const Assignment& a = in.assignment;
  ObjectWriter w;
  w.Str("owner", in.owner);
  w.DateIfSet("due", a.due);
  w.DateIfSet("target", a.target);
  if (a.initial.response != ResponseKind::kNone) w.Str("response", Name(a.initial.response));
  w.StrIfSet("response_text", a.initial.response_text);
  w.DateIfSet("response_date", a.initial.response_date);
  w.Str("status", Name(a.initial.recorded_status));
  w.Str("implementation", Name(a.initial.implementation));
  w.StrIfSet("raw_status", a.raw_status);
  w.StrIfSet("raw_response", a.raw_response);
  std::vector<std::string> updates;
  for (const Update& u : in.updates) updates.push_back(WriteUpdate(u, indent + 2));
  w.ArrayIfSet("updates", updates, indent);
  return w.Block(indent);
}

std::string WriteRecommendation(const ImportBatch::RecommendationIn& in, int indent) {
  const Recommendation& r = in.recommendation;
  ObjectWriter w;
  w.Str("ref", r.ref);
  w.Str("text", r.text);
  w.StringsIfSet("themes", r.themes);
  w.DateIfSet("made", r.made);
  w.DateIfSet("target", r.target);
  w.StrIfSet("made_by", r.made_by);
  w.StrIfSet("url", r.url);
  std::vector<std::string> assignments;
  for (const auto& a : in.assignments) assignments.push_back(WriteAssignment(a, indent + 2));
  w.ArrayIfSet("assignments", assignments, indent);
  return w.Block(indent);
}

std::string WriteFunding(const ImportBatch::FundingIn& in) {
  const FundingLine& f = in.line;
  ObjectWriter w;
  w.Str("owner", in.owner);
  w.StrIfSet("item", f.item);
  w.StrIfSet("period", f.period);
  w.Int("cost", f.cost);
  w.Int("funded", f.funded);
  w.StrIfSet("currency", f.currency);
  w.StrIfSet("note", f.note);
  return w.Inline();
}

std::string WriteSource(const ImportBatch::SourceIn& in, int indent) {
  const Source& s = in.source;
  ObjectWriter w;
  w.Str("slug", s.slug);
  w.StrIfSet("kind", s.kind);
  w.Str("title", s.title);
  w.StrIfSet("author", s.author);
  w.StrIfSet("commissioned_by", s.commissioned_by);
  w.DateIfSet("date", s.date);
  w.StrIfSet("url", s.url);
  w.IntIfSet("response_days", s.response_days);
  w.DateIfSet("recorded_on", s.recorded_on);
  w.IntIfSet("stated_total", s.stated_total);
  w.StrIfSet("notes", s.notes);
  w.StrIfSet("vocabulary", s.vocabulary);
  std::vector<std::string> recs, funding, pubs;
  for (const auto& r : in.recommendations) recs.push_back(WriteRecommendation(r, indent + 2));
  for (const auto& f : in.funding) funding.push_back(WriteFunding(f));
  for (const auto& p : in.publications) {
    ObjectWriter pw;
    pw.Str("title", p.title);
    pw.Str("as_of", p.as_of.ToIso());
    if (p.published) pw.Str("published", p.published->ToIso());
    pubs.push_back(pw.Inline());
  }
  w.ArrayIfSet("recommendations", recs, indent);
  w.ArrayIfSet("funding", funding, indent);
  w.ArrayIfSet("publications", pubs, indent);
  return w.Block(indent);
}

// ---------------------------------------------------------------------------
// Reading.

// Builds an ordered DOM from SAX events, so that errors can report keys in
// document order, duplicate keys are caught (nlohmann keeps the last silently)
// and syntax errors report a position without exceptions.
class DomBuilder : public nlohmann::json_sax<Json> {
 public:
  explicit DomBuilder(Json* root) : root_(root) {}

  bool null() override { return Add(Json(nullptr)); }
  bool boolean(bool v) override { return Add(Json(v)); }
  bool number_integer(number_integer_t v) override { return Add(Json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Add(Json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Add(Json(v)); }
  bool string(string_t& v) override { return Add(Json(std::move(v))); }
  bool binary(binary_t&) override { return Add(Json(nullptr)); }
  bool start_object(std::size_t) override { return Open(Json::object()); }
  bool start_array(std::size_t) override { return Open(Json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    Frame& f = stack_.back();
    if (f.value->contains(k)) {
      std::string path = Path();
      error_ = (path.empty() ? std::string() : path + ": ") + "duplicate key '" + k + "'";
      return false;
    }
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    error_position_ = position;
    syntax_error_ = ex.what();
    return false;
  }

  const std::string& error() const { return error_; }
  const std::string& syntax_error() const { return syntax_error_; }
  size_t error_position() const { return error_position_; }

 private:
  // The rectrack/1 format nests 7 deep; anything far deeper is not ours, and
  // refusing it keeps memory bounded.
  static constexpr size_t kMaxDepth = 64;

  struct Frame {
    Json* value;
    std::string segment;  // "key" or "[3]": how the parent names this value
  };

  std::string Path() const {
    std::string path;
    for (const Frame& f : stack_) {
      if (!path.empty() && f.segment[0] != '[') path += ".";
      path += f.segment;
    }
    return path;
  }

  // Places `v` in the current container and returns where it now lives.
  std::pair<Json*, std::string> Place(Json v) {
    if (stack_.empty()) {
      *root_ = std::move(v);
      return {root_, std::string()};
    }
    Frame& f = stack_.back();
    if (f.value->is_array()) {
      std::string segment = "[" + std::to_string(f.value->size()) + "]";
      f.value->push_back(std::move(v));
      return {&f.value->back(), std::move(segment)};
    }
    Json& slot = (*f.value)[key_];
    slot = std::move(v);
    return {&slot, key_};
  }
  bool Add(Json v) {
    Place(std::move(v));
    return true;
  }
  bool Open(Json v) {
    if (stack_.size() >= kMaxDepth) {
      error_ = "nested more than " + std::to_string(kMaxDepth) + " levels deep";
      return false;
    }
    auto [where, segment] = Place(std::move(v));
    stack_.push_back({where, std::move(segment)});
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  Json* root_;
  std::vector<Frame> stack_;
  std::string key_;
  std::string error_;
  std::string syntax_error_;
  size_t error_position_ = 0;
};

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax
// error while parsing value - ..." -> "syntax error while parsing value - ...".
std::string SyntaxMessage(const std::string& what) {
  size_t col = what.find("column ");
  size_t colon = what.find(": ", col == std::string::npos ? 0 : col);
  if (colon != std::string::npos) return what.substr(colon + 2);
  size_t bracket = what.find("] ");
  return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

// 1-based line and column (in characters) of the byte before `position`
// (nlohmann reports how many bytes it had read when it failed).
std::pair<int, int> LineColumn(std::string_view text, size_t position) {
  size_t end = std::min(position == 0 ? 0 : position - 1, text.size());
  int line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

std::string JoinNames(auto&& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += std::string(n);
  }
  return out;
}

// One JSON object being read, with the path that names it in errors.
class Obj {
 public:
  Obj(const Json& j, std::string path, const std::string& label)
      : j_(j), path_(std::move(path)), label_(label) {}

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  Error Bad(std::string_view key, std::string_view message) const {
    return Error::Invalid(label_ + ": " + PathOf(key) + ": " + std::string(message));
  }

  // Every key must be one of `known`: a misspelt key would otherwise be
  // silently dropped.
  Status CheckKeys(std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : j_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return Fail(Error::Invalid(label_ + ": " + (path_.empty() ? "" : path_ + ": ") +
                                   "unknown key '" + key +
                                   "' (expected one of: " + JoinNames(known) + ")"));
      }
    }
    return {};
  }

  const Json* Find(std::string_view key) const {
    auto it = j_.find(std::string(key));
    return it == j_.end() ? nullptr : &*it;
  }

  // Optional string: absent -> "".
  Result<std::string> Str(std::string_view key) const {
    const Json* v = Find(key);
    if (!v) return std::string();
    if (!v->is_string()) return Fail(Bad(key, "expected a string"));
    return v->get<std::string>();
  }
  Result<std::string> RequiredStr(std::string_view key) const {
    const Json* v = Find(key);
    if (!v) return Fail(Bad(key, "required"));
    auto s = Str(key);
    if (!s) return s;
    if (Trim(*s).empty()) return Fail(Bad(key, "must not be empty"));
    return s;
  }
  Result<std::optional<Date>> OptDate(std::string_view key) const {
    auto s = Str(key);
    if (!s) return Fail(s.error());
    if (!Find(key)) return std::optional<Date>();
    auto d = Date::ParseIso(*s);
    if (!d) return Fail(Bad(key, "'" + *s + "' is not a date of the form YYYY-MM-DD"));
    return std::optional<Date>(*d);
  }
  Result<Date> RequiredDate(std::string_view key) const {
    if (!Find(key)) return Fail(Bad(key, "required"));
    auto d = OptDate(key);
    if (!d) return Fail(d.error());
    return **d;
  }
  Result<std::optional<int64_t>> OptInt(std::string_view key, int64_t max) const {
    const Json* v = Find(key);
    if (!v) return std::optional<int64_t>();
    if (v->is_number_unsigned()) {
      auto u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(max)) return Fail(Bad(key, "number too large"));
      return std::optional<int64_t>(static_cast<int64_t>(u));
    }
    if (v->is_number_integer()) return Fail(Bad(key, "must not be negative"));
    return Fail(Bad(key, "expected a whole number"));
  }
  Result<std::optional<int>> OptSmallInt(std::string_view key) const {
    auto v = OptInt(key, std::numeric_limits<int>::max());
    if (!v) return Fail(v.error());
    if (!*v) return std::optional<int>();
    return std::optional<int>(static_cast<int>(**v));
  }
  Result<std::vector<std::string>> Strings(std::string_view key) const {
    std::vector<std::string> out;
    const Json* v = Find(key);
    if (!v) return out;
    if (!v->is_array()) return Fail(Bad(key, "expected an array of strings"));
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        return Fail(Bad(std::string(key) + "[" + std::to_string(i) + "]", "expected a string"));
      out.push_back((*v)[i].get<std::string>());
    }
    return out;
  }
  // Applies `parse` to each object of the array `key` (absent -> nothing).
  template <typename F>
  Status Each(std::string_view key, F&& parse) const {
    const Json* v = Find(key);
    if (!v) return {};
    if (!v->is_array()) return Fail(Bad(key, "expected an array"));
    for (size_t i = 0; i < v->size(); ++i) {
      std::string path = PathOf(key) + "[" + std::to_string(i) + "]";
      if (!(*v)[i].is_object())
        return Fail(Error::Invalid(label_ + ": " + path + ": expected an object"));
      RT_TRY(parse(Obj((*v)[i], path, label_)));
    }
    return {};
  }

  // Reads `key` with a vocabulary parser; the error lists the canonical names.
  template <typename T, typename Parse, typename All>
  Result<std::optional<T>> OptEnum(std::string_view key, Parse parse, const All& all) const {
    auto s = Str(key);
    if (!s) return Fail(s.error());
    if (!Find(key)) return std::optional<T>();
    auto v = parse(*s);
    if (!v) {
      std::vector<std::string> names;
      for (const auto& e : all) names.emplace_back(Name(e));
      return Fail(
          Bad(key, "unknown value '" + *s + "' (expected one of: " + JoinNames(names) + ")"));
    }
    return std::optional<T>(*v);
  }

 private:
  const Json& j_;
  std::string path_;
  const std::string& label_;
};

constexpr UpdateState kAllUpdateStates[] = {UpdateState::kSubmitted, UpdateState::kValidated,
                                            UpdateState::kReturned};

Result<std::optional<ResponseKind>> OptResponse(const Obj& o, std::string_view key) {
  return o.OptEnum<ResponseKind>(key, ParseResponseKind, kAllResponseKinds);
}
Result<std::optional<ResponseStatus>> OptResponseStatus(const Obj& o, std::string_view key) {
  return o.OptEnum<ResponseStatus>(key, ParseResponseStatus, kAllResponseStatuses);
}
Result<std::optional<Implementation>> OptImplementation(const Obj& o, std::string_view key) {
  return o.OptEnum<Implementation>(key, ParseImplementation, kAllImplementations);
}

// Assigns *value from a Result, or returns its error from the enclosing function.
#define RT_ASSIGN(lhs, expr)                                                               \
  do {                                                                                     \
    auto rt_assign_result_ = (expr);                                                       \
    if (!rt_assign_result_) return ::rectrack::Fail(std::move(rt_assign_result_.error())); \
    lhs = std::move(*rt_assign_result_);                                                   \
  } while (0)

Result<Update> ReadUpdate(const Obj& o) {
  RT_TRY(o.CheckKeys({"date", "response", "response_text", "response_status", "implementation",
                      "narrative", "evidence", "author", "state", "return_reason"}));
  Update u;
  RT_ASSIGN(u.date, o.RequiredDate("date"));
  RT_ASSIGN(u.response, OptResponse(o, "response"));
  RT_ASSIGN(u.response_text, o.Str("response_text"));
  RT_ASSIGN(u.response_status, OptResponseStatus(o, "response_status"));
  RT_ASSIGN(u.implementation, OptImplementation(o, "implementation"));
  RT_ASSIGN(u.narrative, o.Str("narrative"));
  RT_ASSIGN(u.evidence, o.Strings("evidence"));
  RT_ASSIGN(u.author, o.Str("author"));
  std::optional<UpdateState> state;
  RT_ASSIGN(state, o.OptEnum<UpdateState>("state", ParseUpdateState, kAllUpdateStates));
  u.state = state.value_or(UpdateState::kValidated);
  RT_ASSIGN(u.return_reason, o.Str("return_reason"));
  return u;
}

Result<ImportBatch::AssignmentIn> ReadAssignment(const Obj& o) {
  RT_TRY(o.CheckKeys({"owner", "due", "target", "response", "response_text", "response_date",
                      "status", "implementation", "raw_status", "raw_response", "updates"}));
  ImportBatch::AssignmentIn in;
  Assignment& a = in.assignment;
  RT_ASSIGN(in.owner, o.RequiredStr("owner"));
  RT_ASSIGN(a.due, o.OptDate("due"));
  RT_ASSIGN(a.target, o.OptDate("target"));
  std::optional<ResponseKind> response;
  RT_ASSIGN(response, OptResponse(o, "response"));
  a.initial.response = response.value_or(ResponseKind::kNone);
  RT_ASSIGN(a.initial.response_text, o.Str("response_text"));
  RT_ASSIGN(a.initial.response_date, o.OptDate("response_date"));
  std::optional<ResponseStatus> status;
  RT_ASSIGN(status, OptResponseStatus(o, "status"));
  a.initial.recorded_status = status.value_or(ResponseStatus::kPending);
  std::optional<Implementation> implementation;
  RT_ASSIGN(implementation, OptImplementation(o, "implementation"));
  a.initial.implementation = implementation.value_or(Implementation::kNotStarted);
  RT_ASSIGN(a.raw_status, o.Str("raw_status"));
  RT_ASSIGN(a.raw_response, o.Str("raw_response"));
  RT_TRY(o.Each("updates", [&](const Obj& u) -> Status {
    auto update = ReadUpdate(u);
    if (!update) return Fail(update.error());
    in.updates.push_back(std::move(*update));
    return {};
  }));
  return in;
}

Result<ImportBatch::RecommendationIn> ReadRecommendation(const Obj& o) {
  RT_TRY(o.CheckKeys({"ref", "text", "themes", "made", "target", "made_by", "url", "assignments"}));
  ImportBatch::RecommendationIn in;
  Recommendation& r = in.recommendation;
  RT_ASSIGN(r.ref, o.RequiredStr("ref"));
  RT_ASSIGN(r.text, o.RequiredStr("text"));
  RT_ASSIGN(r.themes, o.Strings("themes"));
  RT_ASSIGN(r.made, o.OptDate("made"));
  RT_ASSIGN(r.target, o.OptDate("target"));
  RT_ASSIGN(r.made_by, o.Str("made_by"));
  RT_ASSIGN(r.url, o.Str("url"));
  std::set<std::string> owners;
  RT_TRY(o.Each("assignments", [&](const Obj& a) -> Status {
    auto assignment = ReadAssignment(a);
    if (!assignment) return Fail(assignment.error());
    if (!owners.insert(assignment->owner).second)
      return Fail(
          a.Bad("owner", "'" + assignment->owner + "' is already assigned this recommendation"));
    in.assignments.push_back(std::move(*assignment));
    return {};
  }));
  return in;
}

Result<ImportBatch::FundingIn> ReadFunding(const Obj& o) {
  RT_TRY(o.CheckKeys({"owner", "item", "period", "cost", "funded", "currency", "note"}));
  ImportBatch::FundingIn in;
  FundingLine& f = in.line;
  RT_ASSIGN(in.owner, o.RequiredStr("owner"));
  RT_ASSIGN(f.item, o.Str("item"));
  RT_ASSIGN(f.period, o.Str("period"));
  constexpr int64_t kMaxMoney = std::numeric_limits<int64_t>::max() / 4;
  std::optional<int64_t> cost, funded;
  RT_ASSIGN(cost, o.OptInt("cost", kMaxMoney));
  RT_ASSIGN(funded, o.OptInt("funded", kMaxMoney));
  f.cost = cost.value_or(0);
  f.funded = funded.value_or(0);
  std::string currency;
  RT_ASSIGN(currency, o.Str("currency"));
  if (o.Find("currency")) {
    if (currency.size() != 3 ||
        !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      return Fail(o.Bad("currency", "'" + currency + "' is not a currency code like GBP"));
    f.currency = currency;
  }
  RT_ASSIGN(f.note, o.Str("note"));
  return in;
}

Result<ImportBatch::SourceIn> ReadSource(const Obj& o) {
  RT_TRY(o.CheckKeys({"slug", "kind", "title", "author", "commissioned_by", "date", "url",
                      "response_days", "recorded_on", "stated_total", "notes", "vocabulary",
                      "recommendations", "funding", "publications"}));
  ImportBatch::SourceIn in;
  Source& s = in.source;
  RT_ASSIGN(s.slug, o.RequiredStr("slug"));
  RT_ASSIGN(s.kind, o.Str("kind"));
  RT_ASSIGN(s.title, o.RequiredStr("title"));
  RT_ASSIGN(s.author, o.Str("author"));
  RT_ASSIGN(s.commissioned_by, o.Str("commissioned_by"));
  RT_ASSIGN(s.date, o.OptDate("date"));
  RT_ASSIGN(s.url, o.Str("url"));
  RT_ASSIGN(s.response_days, o.OptSmallInt("response_days"));
  RT_ASSIGN(s.recorded_on, o.OptDate("recorded_on"));
  RT_ASSIGN(s.stated_total, o.OptSmallInt("stated_total"));
  RT_ASSIGN(s.notes, o.Str("notes"));
  RT_ASSIGN(s.vocabulary, o.Str("vocabulary"));
  std::set<std::string> refs;
  RT_TRY(o.Each("recommendations", [&](const Obj& r) -> Status {
    auto rec = ReadRecommendation(r);
    if (!rec) return Fail(rec.error());
    if (!refs.insert(rec->recommendation.ref).second)
      return Fail(r.Bad("ref", "duplicate ref '" + rec->recommendation.ref + "'"));
    in.recommendations.push_back(std::move(*rec));
    return {};
  }));
  RT_TRY(o.Each("funding", [&](const Obj& f) -> Status {
    auto line = ReadFunding(f);
    if (!line) return Fail(line.error());
    in.funding.push_back(std::move(*line));
    return {};
  }));
  RT_TRY(o.Each("publications", [&](const Obj& p) -> Status {
    RT_TRY(p.CheckKeys({"title", "as_of", "published"}));
    ImportBatch::PublicationIn pub;
    RT_ASSIGN(pub.title, p.RequiredStr("title"));
    RT_ASSIGN(pub.as_of, p.RequiredDate("as_of"));
    RT_ASSIGN(pub.published, p.OptDate("published"));
    in.publications.push_back(std::move(pub));
    return {};
  }));
  return in;
}

// ---------------------------------------------------------------------------
// Flat CSV.

}  // namespace

std::string WriteNativeJson(const ImportBatch& batch) {
  ObjectWriter root;
  root.Str("format", kFormat);
  std::vector<std::string> owners, aliases, sources;
  for (const Owner& o : batch.owners) {
    ObjectWriter w;
    w.Str("name", o.name);
    w.StrIfSet("tier", o.tier);
    w.StringsIfSet("aliases", o.aliases);
    owners.push_back(w.Inline());
  }
  for (const auto& [alias, owner] : batch.aliases) {
    ObjectWriter w;
    w.Str("alias", alias);
    w.Str("owner", owner);
    aliases.push_back(w.Inline());
  }
  for (const auto& s : batch.sources) sources.push_back(WriteSource(s, 2));
  root.ArrayIfSet("owners", owners, 0);
  root.ArrayIfSet("aliases", aliases, 0);
  root.ArrayIfSet("sources", sources, 0);
  return root.Block(0) + "\n";
}

Result<ImportBatch> ReadNativeJson(std::string_view utf8, const std::string& file_label) {
  Json root;
  DomBuilder builder(&root);
  bool ok = Json::sax_parse(utf8, &builder, nlohmann::detail::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) {
    if (!builder.error().empty()) return Fail(Error::Invalid(file_label + ": " + builder.error()));
    auto [line, column] = LineColumn(utf8, builder.error_position());
    return Fail(Error::Invalid(file_label + ":" + std::to_string(line) + ":" +
                               std::to_string(column) + ": " +
                               SyntaxMessage(builder.syntax_error())));
  }
  if (!root.is_object())
    return Fail(Error::Invalid(file_label + ": expected a JSON object with \"format\": \"" +
                               std::string(kFormat) + "\""));
  Obj top(root, "", file_label);
  const Json* format = top.Find("format");
  if (!format) return Fail(top.Bad("format", "required (\"" + std::string(kFormat) + "\")"));
  if (!format->is_string() || format->get<std::string>() != kFormat)
    return Fail(
        top.Bad("format", "expected \"" + std::string(kFormat) + "\", found " + format->dump()));
  RT_TRY(top.CheckKeys({"format", "owners", "aliases", "sources"}));

  ImportBatch batch;
  std::set<std::string> owner_names, alias_names, slugs;
  RT_TRY(top.Each("owners", [&](const Obj& o) -> Status {
    RT_TRY(o.CheckKeys({"name", "tier", "aliases"}));
    Owner owner;
    RT_ASSIGN(owner.name, o.RequiredStr("name"));
    if (!owner_names.insert(owner.name).second)
      return Fail(o.Bad("name", "owner '" + owner.name + "' is declared twice"));
    if (o.Find("tier")) {
      RT_ASSIGN(owner.tier, o.Str("tier"));
      if (!IsTier(owner.tier))
        return Fail(o.Bad("tier", "unknown tier '" + owner.tier +
                                      "' (expected one of: " + JoinNames(kTiers) + ")"));
    }
    RT_ASSIGN(owner.aliases, o.Strings("aliases"));
    batch.owners.push_back(std::move(owner));
    return {};
  }));
  RT_TRY(top.Each("aliases", [&](const Obj& o) -> Status {
    RT_TRY(o.CheckKeys({"alias", "owner"}));
    std::string alias, owner;
    RT_ASSIGN(alias, o.RequiredStr("alias"));
    RT_ASSIGN(owner, o.RequiredStr("owner"));
    if (!alias_names.insert(alias).second)
      return Fail(o.Bad("alias", "alias '" + alias + "' is defined twice"));
    batch.aliases.emplace_back(std::move(alias), std::move(owner));
    return {};
  }));
  RT_TRY(top.Each("sources", [&](const Obj& o) -> Status {
    auto source = ReadSource(o);
    if (!source) return Fail(source.error());
    if (!slugs.insert(source->source.slug).second)
      return Fail(o.Bad("slug", "duplicate slug '" + source->source.slug + "'"));
    batch.sources.push_back(std::move(*source));
    return {};
  }));
  return batch;
}

std::string WriteFlatCsv(const ImportBatch& batch, Date as_of, CsvFormulas formulas) {
  // Tiers by owner name, also reachable through aliases.
  std::map<std::string, std::string> tier_of;
  for (const Owner& o : batch.owners) {
    tier_of[o.name] = o.tier;
    for (const auto& alias : o.aliases) tier_of.emplace(alias, o.tier);
  }
  for (const auto& [alias, owner] : batch.aliases) {
    auto it = tier_of.find(owner);
    if (it != tier_of.end()) tier_of.emplace(alias, it->second);
  }

  std::string out;
  AppendCsvRow(
      {"source", "source_title", "kind", "ref", "text", "owner", "tier", "made", "due", "target",
       "status", "implementation", "response", "response_text", "theme", "url", "raw_status", "updates",
       "last_update", "last_note"},
      &out, formulas, "\n");
  for (const auto& s : batch.sources) {
    for (const auto& r : s.recommendations) {
      const Recommendation& rec = r.recommendation;
      std::vector<std::string> common = {s.source.slug, s.source.title, s.source.kind, rec.ref,
                                         rec.text};
      if (r.assignments.empty()) {
        // Keep the recommendation in the file even though no one holds it.
        std::vector<std::string> row = common;
        row.insert(row.end(), {"", "", OptionalIso(rec.made), "", OptionalIso(rec.target), "", "",
                               "", "", Join(rec.themes, ";"), rec.url, "", "", "", ""});
        AppendCsvRow(row, &out, formulas, "\n");
        continue;
      }
      for (const auto& a : r.assignments) {
        const Assignment& as = a.assignment;
        // The validated updates up to `as_of`, in date order (the order they
        // were made in on one date): what StateAt replays.
        std::vector<const Update*> validated;
        for (const Update& u : a.updates)
          if (u.state == UpdateState::kValidated && u.date <= as_of) validated.push_back(&u);
        std::stable_sort(validated.begin(), validated.end(),
                         [](const Update* x, const Update* y) { return x->date < y->date; });
        const EffectiveState st =
            StateAt(as, DueDate(s.source, as), validated, as_of, s.source.recorded_on);
        std::string response_text = as.initial.response_text;
        for (const Update* u : validated)
          if (!u->response_text.empty()) response_text = u->response_text;
        const Update* last = validated.empty() ? nullptr : validated.back();
        auto tier = tier_of.find(a.owner);
        std::vector<std::string> row = common;
        row.insert(
            row.end(),
            {a.owner, tier == tier_of.end() ? std::string() : tier->second, OptionalIso(rec.made),
             OptionalIso(as.due), OptionalIso(EffectiveTarget(rec, as)),
             std::string(Name(st.response_status)),
             std::string(Name(st.implementation)), std::string(Name(st.response)), response_text,
             Join(rec.themes, ";"), rec.url, as.raw_status, std::to_string(validated.size()),
             last ? last->date.ToIso() : std::string(), last ? last->narrative : std::string()});
        AppendCsvRow(row, &out, formulas, "\n");
      }
    }
  }
  return out;
}

}  // namespace rectrack

#include "core/changes.h"

#include <charconv>
#include <cstring>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {

using json = nlohmann::json;

std::string Value::Describe() const {
  switch (type) {
    case Type::kNull:
      return "NULL";
    case Type::kInt:
      return std::to_string(i);
    case Type::kText: {
      constexpr size_t kMax = 80;
      std::string t = s.size() > kMax ? s.substr(0, kMax) : s;
      // Keep the cut on a character boundary.
      while (!t.empty() && t.size() < s.size() &&
             (static_cast<unsigned char>(s[t.size()]) & 0xC0) == 0x80)
        t.pop_back();
      std::string out = "'";
      for (char c : t) {
        if (c == '\n') out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\x{:02x}", c);
        else out.push_back(c);
      }
      out += t.size() < s.size() ? "…'" : "'";
      if (t.size() < s.size()) out += fmt::format(" ({} bytes)", s.size());
      return out;
    }
  }
  return "?";
}

bool ChangeSet::empty() const {
  for (const auto& [name, t] : tables)
    if (!t.empty()) return false;
  return true;
}

size_t ChangeSet::RowCount() const {
  size_t n = 0;
  for (const auto& [name, t] : tables) n += t.inserts.size() + t.updates.size() + t.deletes.size();
  return n;
}

void ChangeSet::Append(ChangeSet&& other) {
  for (auto& [name, t] : other.tables) {
    TableChanges& mine = tables[name];
    for (auto& r : t.inserts) mine.inserts.push_back(std::move(r));
    for (auto& [key, cols] : t.updates)
      for (auto& [col, v] : cols) mine.updates[key][col] = std::move(v);
    for (auto& k : t.deletes) mine.deletes.push_back(std::move(k));
  }
  other.tables.clear();
}

namespace {

size_t ValueBound(const Value& v) {
  if (v.type != Value::Type::kText) return 21;  // "-9223372036854775808," or "null,"
  size_t n = v.s.size() + 3;                     // quotes and a comma
  for (char c : v.s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20) n += 5;  // at most \u00xx for one byte
    else if (c == '"' || c == '\\') n += 1;
  }
  return n;
}

}  // namespace

size_t SerializedBound(const Row& row) {
  size_t n = 3;
  for (const auto& v : row) n += ValueBound(v);
  return n;
}

size_t SerializedBound(const ChangeSet& cs) {
  size_t n = 64;
  for (const auto& [name, t] : cs.tables) {
    n += name.size() * 3 + 16;
    for (const auto& r : t.inserts) n += SerializedBound(r);
    for (const auto& [key, cols] : t.updates) {
      n += SerializedBound(key) + 6;
      for (const auto& [col, v] : cols) n += col.size() + 4 + ValueBound(v);
    }
    for (const auto& k : t.deletes) n += SerializedBound(k);
  }
  return n;
}

std::vector<ChangeSet> SplitChangeSet(ChangeSet&& cs, size_t max_bytes,
                                      const std::vector<std::string_view>& table_order) {
  std::vector<ChangeSet> out;
  if (SerializedBound(cs) <= max_bytes) {
    out.push_back(std::move(cs));
    return out;
  }
  out.emplace_back();
  size_t used = 64;
  auto room = [&](const std::string& table, size_t bytes) -> ChangeSet& {
    size_t cost = bytes + table.size() * 3 + 16;
    if (used + cost > max_bytes && !out.back().empty()) {
      out.emplace_back();
      used = 64;
    }
    used += cost;
    return out.back();
  };
  for (auto name : table_order) {
    auto it = cs.tables.find(std::string(name));
    if (it == cs.tables.end()) continue;
    for (auto& r : it->second.inserts) {
      size_t b = SerializedBound(r);
      room(it->first, b).tables[it->first].inserts.push_back(std::move(r));
    }
  }
  for (auto name : table_order) {
    auto it = cs.tables.find(std::string(name));
    if (it == cs.tables.end()) continue;
    for (auto& [key, cols] : it->second.updates) {
      size_t b = SerializedBound(key) + 6;
      for (const auto& [col, v] : cols) b += col.size() + 4 + ValueBound(v);
      room(it->first, b).tables[it->first].updates[key] = std::move(cols);
    }
  }
  for (auto name = table_order.rbegin(); name != table_order.rend(); ++name) {
    auto it = cs.tables.find(std::string(*name));
    if (it == cs.tables.end()) continue;
    for (auto& k : it->second.deletes) {
      size_t b = SerializedBound(k);
      room(it->first, b).tables[it->first].deletes.push_back(std::move(k));
    }
  }
  cs.tables.clear();
  if (out.back().empty() && out.size() > 1) out.pop_back();
  return out;
}

// ---- writing -----------------------------------------------------------------

namespace {

// As nlohmann::json::dump() escapes: the two-character forms for \b \f \n \r \t,
// \u00xx (lowercase) for the other control bytes, UTF-8 as it is.
Status AppendString(std::string_view s, std::string* out) {
  if (!IsValidUtf8(s))
    return Fail(Error::Invalid(
        fmt::format("text is not valid UTF-8: {}", Value::Text(std::string(s)).Describe())));
  out->push_back('"');
  size_t run = 0;  // start of the bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default: {
        static const char kHex[] = "0123456789abcdef";
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(u, 6);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
  return {};
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

Status AppendValue(const Value& v, std::string* out) {
  switch (v.type) {
    case Value::Type::kNull:
      *out += "null";
      return {};
    case Value::Type::kInt:
      AppendInt(v.i, out);
      return {};
    case Value::Type::kText:
      return AppendString(v.s, out);
  }
  return {};
}

Status AppendRow(const Row& row, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < row.size(); ++i) {
    if (i) out->push_back(',');
    RT_TRY(AppendValue(row[i], out));
  }
  out->push_back(']');
  return {};
}

}  // namespace

Status AppendCanonicalJson(const json& v, std::string* out) {
  switch (v.type()) {
    case json::value_t::null:
      *out += "null";
      return {};
    case json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return {};
    case json::value_t::number_integer:
      AppendInt(v.get<int64_t>(), out);
      return {};
    case json::value_t::number_unsigned: {
      auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX))
        return Fail(Error::Invalid("a number in a ledger event is too large"));
      AppendInt(static_cast<int64_t>(u), out);
      return {};
    }
    case json::value_t::string:
      return AppendString(v.get_ref<const std::string&>(), out);
    case json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& x : v) {
        if (!first) out->push_back(',');
        first = false;
        RT_TRY(AppendCanonicalJson(x, out));
      }
      out->push_back(']');
      return {};
    }
    case json::value_t::object: {
      // nlohmann's object is a std::map: its members come sorted by name.
      out->push_back('{');
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        RT_TRY(AppendString(k, out));
        out->push_back(':');
        RT_TRY(AppendCanonicalJson(x, out));
      }
      out->push_back('}');
      return {};
    }
    default:
      return Fail(Error::Invalid("a ledger event holds only whole numbers, text, lists and maps"));
  }
}

Result<std::string> SerializePayload(const EventPayload& p) {
  std::string out;
  size_t bytes = 64;
  for (const auto& [name, t] : p.changes.tables) {
    for (const auto& r : t.inserts)
      for (const auto& v : r) bytes += v.s.size() + 8;
    bytes += t.updates.size() * 48 + t.deletes.size() * 16;
  }
  out.reserve(bytes);
  out += "{\"about\":";
  if (!p.about.is_object())
    return Fail(Error::Internal("a ledger event's 'about' must be an object"));
  RT_TRY(AppendCanonicalJson(p.about, &out));
  out += ",\"changes\":{";
  bool any_op = false;
  auto op = [&](const char* name, auto has, auto write) -> Status {
    bool any_table = false;
    for (const auto& [table, t] : p.changes.tables) {
      if (!has(t)) continue;
      if (!any_table) {
        if (any_op) out.push_back(',');
        any_op = true;
        out += fmt::format("\"{}\":{{", name);
      } else {
        out.push_back(',');
      }
      any_table = true;
      RT_TRY(AppendString(table, &out));
      out += ":[";
      RT_TRY(write(t));
      out.push_back(']');
    }
    if (any_table) out.push_back('}');
    return {};
  };
  RT_TRY(op(
      "delete", [](const TableChanges& t) { return !t.deletes.empty(); },
      [&](const TableChanges& t) -> Status {
        for (size_t i = 0; i < t.deletes.size(); ++i) {
          if (i) out.push_back(',');
          RT_TRY(AppendRow(t.deletes[i], &out));
        }
        return {};
      }));
  RT_TRY(op(
      "insert", [](const TableChanges& t) { return !t.inserts.empty(); },
      [&](const TableChanges& t) -> Status {
        for (size_t i = 0; i < t.inserts.size(); ++i) {
          if (i) out.push_back(',');
          RT_TRY(AppendRow(t.inserts[i], &out));
        }
        return {};
      }));
  RT_TRY(op(
      "update", [](const TableChanges& t) { return !t.updates.empty(); },
      [&](const TableChanges& t) -> Status {
        bool first = true;
        for (const auto& [key, cols] : t.updates) {
          if (!first) out.push_back(',');
          first = false;
          out.push_back('[');
          RT_TRY(AppendRow(key, &out));
          out += ",{";
          bool first_col = true;
          for (const auto& [col, v] : cols) {
            if (!first_col) out.push_back(',');
            first_col = false;
            RT_TRY(AppendString(col, &out));
            out.push_back(':');
            RT_TRY(AppendValue(v, &out));
          }
          out += "}]";
        }
        return {};
      }));
  out += "}}";
  return out;
}

// ---- reading -----------------------------------------------------------------

namespace {

// A strict reader of the canonical form: fast on the large import events (a
// million rows of text), and a clear error on anything else.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  Error Bad(std::string_view what) const {
    return Error::Corrupt(fmt::format("unreadable at byte {}: {}", pos_, what));
  }
  bool At(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool Eat(char c) {
    if (!At(c)) return false;
    ++pos_;
    return true;
  }
  Status Expect(char c) {
    if (Eat(c)) return {};
    return Fail(Bad(fmt::format("expected '{}'", c)));
  }
  bool Done() const { return pos_ == s_.size(); }
  size_t pos() const { return pos_; }

  Result<std::string> String() {
    if (!Eat('"')) return Fail(Bad("expected a string"));
    std::string out;
    size_t run = pos_;
    while (true) {
      if (pos_ >= s_.size()) return Fail(Bad("unterminated string"));
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        out.append(s_.data() + run, pos_ - run);
        ++pos_;
        break;
      }
      if (c < 0x20) return Fail(Bad("a control character inside a string"));
      if (c != '\\') {
        ++pos_;
        continue;
      }
      out.append(s_.data() + run, pos_ - run);
      if (pos_ + 1 >= s_.size()) return Fail(Bad("unterminated escape"));
      char e = s_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = Hex4();
          if (!cp) return Fail(cp.error());
          uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (pos_ + 1 >= s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u')
              return Fail(Bad("a lone surrogate"));
            pos_ += 2;
            auto lo = Hex4();
            if (!lo) return Fail(lo.error());
            if (*lo < 0xDC00 || *lo > 0xDFFF) return Fail(Bad("a lone surrogate"));
            code = 0x10000 + ((code - 0xD800) << 10) + (*lo - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Fail(Bad("a lone surrogate"));
          }
          AppendUtf8(code, &out);
          break;
        }
        default:
          return Fail(Bad("an unknown escape"));
      }
      run = pos_;
    }
    if (!IsValidUtf8(out)) return Fail(Bad("text that is not UTF-8"));
    return out;
  }

  Result<Value> ScalarValue() {
    if (At('"')) {
      auto s = String();
      if (!s) return Fail(s.error());
      return Value::Text(std::move(*s));
    }
    if (s_.substr(pos_, 4) == "null") {
      pos_ += 4;
      return Value::Null();
    }
    size_t start = pos_;
    if (At('-')) ++pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    if (pos_ == start || (pos_ == start + 1 && s_[start] == '-'))
      return Fail(Bad("expected a value (text, a whole number or null)"));
    int64_t v = 0;
    auto r = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (r.ec != std::errc() || r.ptr != s_.data() + pos_) return Fail(Bad("a number out of range"));
    if (At('.') || At('e') || At('E')) return Fail(Bad("a number that is not whole"));
    return Value::Int(v);
  }

  Result<Row> ReadRow() {
    RT_TRY(Expect('['));
    Row row;
    if (Eat(']')) return row;
    while (true) {
      auto v = ScalarValue();
      if (!v) return Fail(v.error());
      row.push_back(std::move(*v));
      if (Eat(']')) return row;
      RT_TRY(Expect(','));
    }
  }

  // Skips one JSON value of any kind (for 'about'), returning where it started.
  Result<size_t> SkipValue(int depth = 0) {
    if (depth > 64) return Fail(Bad("nested too deeply"));
    size_t start = pos_;
    if (At('{') || At('[')) {
      char close = At('{') ? '}' : ']';
      bool object = close == '}';
      ++pos_;
      if (Eat(close)) return start;
      while (true) {
        if (object) {
          auto k = String();
          if (!k) return Fail(k.error());
          RT_TRY(Expect(':'));
        }
        auto v = SkipValue(depth + 1);
        if (!v) return Fail(v.error());
        if (Eat(close)) return start;
        RT_TRY(Expect(','));
      }
    }
    if (s_.substr(pos_, 4) == "true") {
      pos_ += 4;
      return start;
    }
    if (s_.substr(pos_, 5) == "false") {
      pos_ += 5;
      return start;
    }
    auto v = ScalarValue();
    if (!v) return Fail(v.error());
    return start;
  }

  std::string_view Slice(size_t from) const { return s_.substr(from, pos_ - from); }

 private:
  Result<uint32_t> Hex4() {
    if (pos_ + 4 > s_.size()) return Fail(Bad("a short \\u escape"));
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Fail(Bad("a bad \\u escape"));
    }
    pos_ += 4;
    return v;
  }
  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// {"TABLE":[...],...}, calling `each(table)` at each table's list.
template <typename F>
Status ForEachTable(Reader& r, F&& each) {
  RT_TRY(r.Expect('{'));
  if (r.Eat('}')) return {};
  while (true) {
    auto table = r.String();
    if (!table) return Fail(table.error());
    RT_TRY(r.Expect(':'));
    RT_TRY(r.Expect('['));
    if (!r.Eat(']')) {
      while (true) {
        RT_TRY(each(*table));
        if (r.Eat(']')) break;
        RT_TRY(r.Expect(','));
      }
    }
    if (r.Eat('}')) return {};
    RT_TRY(r.Expect(','));
  }
}

}  // namespace

Result<EventPayload> ParsePayload(std::string_view text) {
  Reader r(text);
  EventPayload p;
  auto fail = [&](const Error& e) {
    return Fail(Error::Corrupt(fmt::format("the payload is {}", e.message)));
  };
  auto run = [&]() -> Status {
    RT_TRY(r.Expect('{'));
    bool seen_about = false, seen_changes = false;
    if (r.Eat('}')) return Fail(r.Bad("an empty object, not a payload"));
    while (true) {
      auto key = r.String();
      if (!key) return Fail(key.error());
      RT_TRY(r.Expect(':'));
      if (*key == "about" && !seen_about) {
        seen_about = true;
        auto start = r.SkipValue();
        if (!start) return Fail(start.error());
        p.about = json::parse(r.Slice(*start), nullptr, false);
        if (p.about.is_discarded() || !p.about.is_object())
          return Fail(r.Bad("'about' is not an object"));
      } else if (*key == "changes" && !seen_changes) {
        seen_changes = true;
        RT_TRY(r.Expect('{'));
        if (!r.Eat('}')) {
          while (true) {
            auto op = r.String();
            if (!op) return Fail(op.error());
            RT_TRY(r.Expect(':'));
            if (*op == "insert") {
              RT_TRY(ForEachTable(r, [&](const std::string& t) -> Status {
                auto row = r.ReadRow();
                if (!row) return Fail(row.error());
                p.changes.tables[t].inserts.push_back(std::move(*row));
                return {};
              }));
            } else if (*op == "delete") {
              RT_TRY(ForEachTable(r, [&](const std::string& t) -> Status {
                auto row = r.ReadRow();
                if (!row) return Fail(row.error());
                p.changes.tables[t].deletes.push_back(std::move(*row));
                return {};
              }));
            } else if (*op == "update") {
              RT_TRY(ForEachTable(r, [&](const std::string& t) -> Status {
                RT_TRY(r.Expect('['));
                auto key = r.ReadRow();
                if (!key) return Fail(key.error());
                RT_TRY(r.Expect(','));
                RT_TRY(r.Expect('{'));
                auto& cols = p.changes.tables[t].updates[*key];
                if (!cols.empty()) return Fail(r.Bad("a row updated twice in one event"));
                if (!r.Eat('}')) {
                  while (true) {
                    auto col = r.String();
                    if (!col) return Fail(col.error());
                    RT_TRY(r.Expect(':'));
                    auto v = r.ScalarValue();
                    if (!v) return Fail(v.error());
                    cols[*col] = std::move(*v);
                    if (r.Eat('}')) break;
                    RT_TRY(r.Expect(','));
                  }
                }
                if (cols.empty()) return Fail(r.Bad("an update that sets nothing"));
                return r.Expect(']');
              }));
            } else {
              return Fail(r.Bad(fmt::format("an unknown change '{}'", *op)));
            }
            if (r.Eat('}')) break;
            RT_TRY(r.Expect(','));
          }
        }
      } else {
        return Fail(r.Bad(fmt::format("an unexpected member '{}'", *key)));
      }
      if (r.Eat('}')) break;
      RT_TRY(r.Expect(','));
    }
    if (!r.Done()) return Fail(r.Bad("bytes after the payload"));
    if (!seen_about) return Fail(r.Bad("no 'about'"));
    return {};
  };
  if (auto s = run(); !s) return fail(s.error());
  return p;
}

}  // namespace rectrack

#include "ingest/document.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

// ---- lines -------------------------------------------------------------------

struct Line {
  int page = 0;       // 1-based
  size_t begin = 0;   // of the trimmed text, in the page's text
  std::string_view text;  // trimmed
  size_t indent = 0;  // leading blanks
  bool skip = false;  // running header or footer, page number, footnote
};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<Line> SplitLines(const std::vector<std::string>& pages) {
  std::vector<Line> out;
  for (size_t p = 0; p < pages.size(); ++p) {
    std::string_view page = pages[p];
    size_t at = 0;
    while (at <= page.size()) {
      size_t nl = page.find('\n', at);
      if (nl == std::string_view::npos) nl = page.size();
      size_t b = at, e = nl;
      while (b < e && IsBlank(page[b])) ++b;
      while (e > b && IsBlank(page[e - 1])) --e;
      if (e > b) {
        Line l;
        l.page = static_cast<int>(p) + 1;
        l.begin = b;
        l.text = page.substr(b, e - b);
        l.indent = b - at;
        out.push_back(l);
      }
      if (nl == page.size()) break;
      at = nl + 1;
    }
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// A line's shape: each run of digits as one '#', blanks as one space, so that
// "Page 9" and "Page 14", "GE.10-12527 13" and "GE.10-12527 9" are one
// running line.
std::string Shape(std::string_view s) {
  std::string out;
  bool blank = false;
  for (char c : s) {
    if (IsBlank(c)) {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    if (IsDigit(c)) {
      if (out.empty() || out.back() != '#') out += '#';
      continue;
    }
    out += c;
  }
  return out;
}

bool IsPageNumberShape(std::string_view shape) {
  // "14", "Page 14", "- 14 -", "Page 14 of 23"
  return shape == "#" || shape == "Page #" || shape == "- # -" || shape == "Page # of #" ||
         shape == "# of #";
}

// Numbers of items alone on a line ("102.1.") look like page numbers by
// shape; they are never running lines.
bool IsItemNumberShape(std::string_view shape) {
  if (shape.find('.') == std::string_view::npos) return false;
  return std::all_of(shape.begin(), shape.end(), [](char c) { return c == '#' || c == '.'; });
}

// Running headers and footers: lines among the first and last few of a page
// whose shape recurs at the edges of many pages; and page numbers there.
void MarkRunningLines(std::vector<Line>& lines, int pages) {
  constexpr size_t kEdge = 4;
  std::vector<std::vector<size_t>> edges(static_cast<size_t>(pages) + 1);
  {
    size_t i = 0;
    while (i < lines.size()) {
      size_t j = i;
      while (j < lines.size() && lines[j].page == lines[i].page) ++j;
      auto& e = edges[static_cast<size_t>(lines[i].page)];
      for (size_t k = i; k < j; ++k)
        if (k - i < kEdge || j - k <= kEdge) e.push_back(k);
      i = j;
    }
  }
  std::unordered_map<std::string, std::set<int>> seen;
  for (const auto& e : edges)
    for (size_t k : e) seen[Shape(lines[k].text)].insert(lines[k].page);
  const size_t often = std::max<size_t>(2, (static_cast<size_t>(pages) * 3 + 9) / 10);
  for (const auto& e : edges)
    for (size_t k : e) {
      std::string shape = Shape(lines[k].text);
      if (IsItemNumberShape(shape)) continue;
      if (IsPageNumberShape(shape) || (pages >= 3 && seen[shape].size() >= often))
        lines[k].skip = true;
    }
}

// Footnotes: a line that ends with a footnote mark ("(Belgium); 1") marks the
// number; at the bottom of the same page, a line that starts with that number
// and text starts the note, which runs to the page's end.
std::optional<int> TrailingFootnoteMark(std::string_view t) {
  size_t e = t.size();
  size_t d = e;
  while (d > 0 && IsDigit(t[d - 1])) --d;
  if (d == e || e - d > 2 || d < 2) return std::nullopt;
  // "(Belgium); 1", and with no blank after a bracket or a semicolon: "(Norway);2", "(Turkey)1"
  size_t b = t[d - 1] == ' ' ? d - 2 : d - 1;
  char before = t[b];
  bool ok = before == ';' || before == ')' ||
            (t[d - 1] == ' ' && (before == '.' || before == ',' || before == ':'));
  if (!ok) return std::nullopt;
  return std::stoi(std::string(t.substr(d)));
}

bool IsLoneMark(std::string_view t) {
  if (t.empty() || t.size() > 3) return false;
  return std::all_of(t.begin(), t.end(), IsDigit) ||
         std::all_of(t.begin(), t.end(), [](char c) { return c == '*'; });
}

void MarkFootnotes(std::vector<Line>& lines) {
  size_t i = 0;
  while (i < lines.size()) {
    size_t j = i;
    while (j < lines.size() && lines[j].page == lines[i].page) ++j;
    std::set<int> marks;
    for (size_t k = i; k < j; ++k) {
      if (!lines[k].skip)
        if (auto m = TrailingFootnoteMark(lines[k].text)) marks.insert(*m);
      // In the lower half of the page, a note starts with its mark: alone on
      // its line ("2", "**"), or before its text when the page has the mark.
      if (k - i < (j - i) / 2) continue;
      std::string_view t = lines[k].text;
      bool note = IsLoneMark(t) && k + 1 < j;
      size_t d = 0;
      while (d < t.size() && IsDigit(t[d])) ++d;
      if (!note && d > 0 && d <= 2 && d < t.size() && t[d] == ' ' &&
          marks.count(std::stoi(std::string(t.substr(0, d)))))
        note = true;
      if (note) {
        for (size_t x = k; x < j; ++x) lines[x].skip = true;
        break;
      }
    }
    i = j;
  }
}

// Removes a trailing footnote mark from a line's text.
std::string_view WithoutFootnoteMark(std::string_view t) {
  if (!TrailingFootnoteMark(t)) return t;
  size_t d = t.size();
  while (d > 0 && IsDigit(t[d - 1])) --d;
  if (t[d - 1] == ' ') --d;
  return t.substr(0, d);
}

bool IsTocLine(std::string_view t) {
  return t.find("....") != std::string_view::npos || t.find("\xE2\x80\xA6\xE2\x80\xA6") != std::string_view::npos ||
         t.find(". . .") != std::string_view::npos;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  return ToLowerAscii(hay).find(needle) != std::string::npos;
}

// ---- numbers -------------------------------------------------------------------

struct Number {
  std::vector<int> parts;  // 95.1 -> {95, 1}
  std::string label;       // as the ref shows it: "95.1", "R12", "12"
  bool dot = false;        // "12." rather than "12"
  bool prefixed = false;   // "R12", "Recommendation 12"
  std::string sub;         // "a", "iv": a sub-item "(a)" or "a)"
  // A plain number in a form that is an item only where the sequence expects
  // exactly it: no full stop ("73    Take ..."), or text in lower case after it
  // ("3.  o remove ...", a PDF that lost a letter).
  bool loose = false;
  size_t length = 0;       // bytes of the line the number takes, with what follows it
};

bool IsRoman(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c == 'i' || c == 'v' || c == 'x' || c == 'l' || c == 'c';
  });
}

int RomanValue(std::string_view s) {
  auto v = [](char c) {
    switch (c) {
      case 'i': return 1;
      case 'v': return 5;
      case 'x': return 10;
      case 'l': return 50;
      default: return 100;
    }
  };
  int total = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int x = v(s[i]);
    if (i + 1 < s.size() && v(s[i + 1]) > x) total -= x;
    else total += x;
  }
  return total;
}

// What may follow a number for it to start an item: the end of the line, or
// blanks and then text (not a unit or a continuation in lower case: "2.5 million").
bool StartsText(std::string_view t, size_t at, size_t* text_at) {
  if (at == t.size()) {
    *text_at = at;
    return true;
  }
  if (!IsBlank(t[at])) return false;
  while (at < t.size() && IsBlank(t[at])) ++at;
  *text_at = at;
  return at < t.size();
}

std::optional<Number> ParseSubItem(std::string_view t) {
  // "(a) ", "a) ", "(iv) "
  size_t at = 0;
  bool open = false;
  if (!t.empty() && t[0] == '(') {
    open = true;
    at = 1;
  }
  size_t b = at;
  while (at < t.size() && IsLower(t[at]) && at - b < 5) ++at;
  if (at == b || at >= t.size() || t[at] != ')') return std::nullopt;
  std::string_view label = t.substr(b, at - b);
  if (label.size() > 1 && !IsRoman(label)) return std::nullopt;
  if (!open && label.size() > 1 && !IsRoman(label)) return std::nullopt;
  size_t text_at;
  if (!StartsText(t, at + 1, &text_at)) return std::nullopt;
  Number n;
  n.sub = std::string(label);
  n.length = text_at;
  return n;
}

// A number that may start an item: "12.", "95.1", "102.1.", "R12", "R 12:",
// "Recommendation 12:", "12(a)". nullopt for anything else.
std::optional<Number> ParseNumber(std::string_view t) {
  Number n;
  size_t at = 0;
  if (t.size() > 15 && (t.starts_with("Recommendation ") || t.starts_with("RECOMMENDATION "))) {
    at = 15;
    n.prefixed = true;
  } else if (t.size() > 1 && t[0] == 'R' && (IsDigit(t[1]) || (t[1] == ' ' && t.size() > 2 && IsDigit(t[2])))) {
    at = t[1] == ' ' ? 2 : 1;
    n.prefixed = true;
    n.label = "R";
  }
  size_t digits_from = at;
  while (true) {
    size_t b = at;
    while (at < t.size() && IsDigit(t[at]) && at - b < 4) ++at;
    if (at == b) return std::nullopt;
    if (at < t.size() && IsDigit(t[at])) return std::nullopt;  // 5+ digits: a year or an amount
    n.parts.push_back(std::stoi(std::string(t.substr(b, at - b))));
    if (at + 1 < t.size() && t[at] == '.' && IsDigit(t[at + 1]) && n.parts.size() < 4) {
      ++at;
      continue;
    }
    break;
  }
  n.label += std::string(t.substr(digits_from, at - digits_from));
  if (at < t.size() && t[at] == '(') {
    // "12(a)"
    size_t c = t.find(')', at);
    if (c != std::string_view::npos && c - at <= 5) {
      std::string_view sub = t.substr(at + 1, c - at - 1);
      if (!sub.empty() && std::all_of(sub.begin(), sub.end(), IsLower)) {
        n.sub = std::string(sub);
        at = c + 1;
      }
    }
  }
  if (at < t.size() && (t[at] == '.' || t[at] == ')' || t[at] == ':')) {
    n.dot = true;
    ++at;
  }
  size_t text_at;
  if (n.dot && n.parts.size() > 1 && at < t.size() && IsUpper(t[at])) {
    text_at = at;  // "101.100.Continue": set tight, no blank after the number
  } else if (!StartsText(t, at, &text_at)) {
    return std::nullopt;
  }
  const bool plain = n.parts.size() == 1 && !n.prefixed && n.sub.empty();
  // A plain number needs its dot ("12."), a prefix or a dotted form ("95.1"):
  // "2009 the Government" is not an item; "73    Take" (two blanks or more,
  // then a capital) may be one, loosely.
  if (plain && !n.dot) {
    if (text_at < at + 2 || text_at >= t.size() || !IsUpper(t[text_at])) return std::nullopt;
    n.loose = true;
  }
  // Text after a number starts as a sentence does (or the number is alone);
  // after a dotted number anything may ("84.5. |Implement": a stray glyph).
  if (text_at < t.size() && n.parts.size() == 1) {
    char c = t[text_at];
    bool ok = IsUpper(c) || c == '(' || c == '"' || c == '\'' || static_cast<unsigned char>(c) >= 0x80 ||
              IsDigit(c);
    if (!ok && plain && n.dot && IsLower(c)) n.loose = true;
    else if (!ok) return std::nullopt;
  }
  n.length = text_at;
  return n;
}

// ---- text ----------------------------------------------------------------------

// Pieces of an item's text: a line's text from an offset, and where it is.
struct Piece {
  size_t line = 0;
  size_t from = 0;  // offset in the line's trimmed text
};

// Words hyphenated across lines whose joined form the document writes
// elsewhere lose the hyphen ("non-\ndiscrimination" stays unless the document
// writes "nondiscrimination"); others keep it, as compounds.
class Joiner {
 public:
  explicit Joiner(const std::vector<Line>& lines) {
    for (const auto& l : lines) {
      std::string_view t = l.text;
      size_t i = 0;
      while (i < t.size()) {
        while (i < t.size() && !std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
        size_t b = i;
        while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
        if (i > b) words_.insert(ToLowerAscii(t.substr(b, i - b)));
      }
    }
  }
  // Appends `next` (a line's text) to `out` across a line break.
  void Append(std::string_view next, std::string* out) const {
    if (out->empty()) {
      out->append(next);
      return;
    }
    if (out->back() == '-' && out->size() >= 2 && std::isalpha(static_cast<unsigned char>((*out)[out->size() - 2])) &&
        !next.empty() && IsUpper(next[0])) {
      out->append(next);  // "Anti-" + "Discrimination": a compound
      return;
    }
    if (out->back() == '-' && out->size() >= 2 && std::isalpha(static_cast<unsigned char>((*out)[out->size() - 2])) &&
        !next.empty() && IsLower(next[0])) {
      size_t b = out->size() - 1;
      while (b > 0 && std::isalpha(static_cast<unsigned char>((*out)[b - 1]))) --b;
      std::string head = ToLowerAscii(std::string_view(*out).substr(b, out->size() - 1 - b));
      size_t e = 0;
      while (e < next.size() && std::isalpha(static_cast<unsigned char>(next[e]))) ++e;
      std::string tail = ToLowerAscii(next.substr(0, e));
      if (words_.count(head + tail)) {
        out->pop_back();
        out->append(next);
        return;
      }
      out->append(next);  // a compound: "non-" + "discrimination"
      return;
    }
    out->push_back(' ');
    out->append(next);
  }

 private:
  std::unordered_set<std::string> words_;
};

std::string CollapseBlanks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool blank = false;
  for (char c : s) {
    if (IsBlank(c) || c == '\n') {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

// ---- recommending states (upr) ---------------------------------------------------

// Names of states that hold " and ", which must not split them.
constexpr std::array<std::string_view, 7> kStatesWithAnd = {
    "Antigua and Barbuda",         "Bosnia and Herzegovina", "Saint Kitts and Nevis",
    "Saint Vincent and the Grenadines", "Sao Tome and Principe", "Trinidad and Tobago",
    "Great Britain and Northern Ireland"};

// The parts of a bracket's content: "France, Argentina and Czech Republic".
std::vector<std::string> SplitStates(std::string_view inner) {
  std::string s = CollapseBlanks(inner);
  // kKeep marks the " and " of a name that holds one; a \x01 of the text's
  // own (no text should hold one) must not come back as " and ".
  const std::string kKeep = "\x01";
  std::replace(s.begin(), s.end(), kKeep[0], ' ');
  for (auto name : kStatesWithAnd) {
    size_t at = 0;
    while ((at = s.find(name, at)) != std::string::npos) {
      std::string protected_name(name);
      size_t a = protected_name.find(" and ");
      protected_name.replace(a, 5, kKeep);
      s.replace(at, name.size(), protected_name);
      at += protected_name.size();
    }
  }
  std::vector<std::string> out;
  // Split on commas and " and " at depth 0.
  int depth = 0;
  std::string cur;
  auto flush = [&] {
    std::string part(Trim(cur));
    cur.clear();
    if (part.starts_with("and ")) part = part.substr(4);
    size_t k;
    while ((k = part.find(kKeep)) != std::string::npos) part.replace(k, 1, " and ");
    if (!part.empty()) out.push_back(part);
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth == 0 && (c == ',' || c == ';')) {
      flush();
      continue;
    }
    if (depth == 0 && s.compare(i, 5, " and ") == 0) {
      flush();
      i += 4;
      continue;
    }
    cur += c;
  }
  flush();
  return out;
}

bool LooksLikeState(std::string_view s) {
  if (s.starts_with("the ")) s.remove_prefix(4);  // "(the Netherlands)"
  if (s.empty() || s.size() > 70) return false;
  if (!IsUpper(s[0]) && static_cast<unsigned char>(s[0]) < 0x80) return false;
  for (char c : s)
    if (IsDigit(c) || c == ':' || c == '"') return false;
  // Every word of a state's name but "of", "the", "and", "de", "du" starts upper case.
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '(' || s[i] == ')' || s[i] == '-')) ++i;
    size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '(' && s[i] != ')') ++i;
    std::string_view w = s.substr(b, i - b);
    if (w.empty()) continue;
    if (w == "of" || w == "the" || w == "and" || w == "de" || w == "du" || w == "da" ||
        w == "del" || w == "la" || w.starts_with("d'") || w.starts_with("d\xE2\x80\x99"))
      continue;
    if (IsLower(w[0])) return false;
  }
  return true;
}

// The last bracket of a text when it names states: [begin, end) of the whole
// "(France, Chile)" group, and the names.
struct FinalBracket {
  size_t begin = 0, end = 0;
  std::vector<std::string> states;
};

std::optional<FinalBracket> FindFinalBracket(std::string_view t) {
  size_t e = t.size();
  // "(Brazil);*": a footnote mark after the bracket
  while (e > 0 && (IsBlank(t[e - 1]) || t[e - 1] == ';' || t[e - 1] == '.' || t[e - 1] == ',' ||
                   t[e - 1] == '*'))
    --e;
  // "...(France); and" in lists of the first years
  if (e >= 4 && t.substr(e - 4, 4) == " and") {
    e -= 4;
    while (e > 0 && (IsBlank(t[e - 1]) || t[e - 1] == ';' || t[e - 1] == ',')) --e;
  }
  if (e == 0 || t[e - 1] != ')') return std::nullopt;
  int depth = 0;
  size_t b = e;
  while (b > 0) {
    --b;
    if (t[b] == ')') ++depth;
    if (t[b] == '(') {
      --depth;
      if (depth == 0) break;
    }
  }
  if (depth != 0 || t[b] != '(') return std::nullopt;
  FinalBracket fb;
  fb.begin = b;
  fb.end = e;
  fb.states = SplitStates(t.substr(b + 1, e - b - 2));
  if (fb.states.empty()) return std::nullopt;
  for (const auto& s : fb.states)
    if (!LooksLikeState(s)) return std::nullopt;
  return fb;
}

// Every bracket of `t` before `until` whose parts are all known states.
std::vector<std::string> InnerStates(std::string_view t, size_t until,
                                     const std::unordered_set<std::string>& known) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = t.find('(', at)) != std::string_view::npos && at < until) {
    int depth = 0;
    size_t e = at;
    for (; e < t.size(); ++e) {
      if (t[e] == '(') ++depth;
      if (t[e] == ')' && --depth == 0) break;
    }
    if (e >= t.size()) break;
    auto parts = SplitStates(t.substr(at + 1, e - at - 1));
    // States the document names as such elsewhere; or, before the ';' that
    // ends one of several recommendations in an item ("... (Benin); Adopt
    // ..."), names that look like states.
    size_t after = e + 1;
    while (after < t.size() && IsBlank(t[after])) ++after;
    const bool ends_one = after < t.size() && t[after] == ';';
    bool all = !parts.empty() && std::all_of(parts.begin(), parts.end(), [&](const std::string& p) {
      return known.count(p) > 0 || (ends_one && LooksLikeState(p));
    });
    if (all) out.insert(out.end(), parts.begin(), parts.end());
    at = all ? e + 1 : at + 1;
  }
  return out;
}

// ---- decisions (upr) ---------------------------------------------------------------

std::string DecisionOf(std::string_view lead) {
  std::string t = ToLowerAscii(CollapseBlanks(lead));
  auto has = [&](std::string_view w) { return t.find(w) != std::string::npos; };
  if (has("did not enjoy") || has("do not enjoy") || has("does not enjoy") || has("not enjoy") ||
      has("not accepted") || has("rejected") || has("not supported") || has("not support") ||
      has("cannot accept") || has("could not accept") || has("unable to accept") ||
      has("not be accepted") || has("were noted") || has("will be noted") || has("has noted") ||
      has("have been noted") || has("took note") || has("takes note") || has("has taken note"))
    return "reject";
  if (has("already implemented") || has("already been implemented") ||
      has("process of implementation") || has("process of being implemented") ||
      has("being implemented") || has("have been implemented"))
    return "implemented";
  if (has("will be examined") || has("will examine") || has("will consider") ||
      has("will be considered") || has("under consideration") || has("further consideration") ||
      has("will provide responses") || has("will provide its response") || has("will respond") ||
      has("to be examined") || has("will be responded") || has("were made to") ||
      has("recommendations were made") || has("will be included in the outcome") ||
      has("dialogue recommended") || has("was recommended that") || has("were recommended"))
    return "consider";
  if ((has("enjoy") && has("support")) || has("accepted") || has("accepts") || has("supports") ||
      has("supported") || has("support of") || has("agreed on the following") ||
      has("agreed to the following") || has("agrees to follow up") || has("agreed to follow up"))
    return "support";
  return "";
}

bool LooksLikeLead(std::string_view lead) {
  std::string t = ToLowerAscii(CollapseBlanks(lead));
  if (t.find("recommend") == std::string::npos) return false;  // "it was recommended that"
  // A decision, or a list that follows ("... have been clustered as follows:").
  return !DecisionOf(lead).empty() || Trim(t).ends_with(":");
}

// ---- addressees (generic) -----------------------------------------------------------

// "The Home Office should", "We recommend that NHS England", "That the
// Government": the names before the verb, split on " and " and commas.
std::vector<std::string> SplitNames(std::string_view who) {
  std::vector<std::string> parts;
  std::string s(who);
  size_t at = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    bool comma = i < s.size() && s[i] == ',';
    bool conj = i < s.size() && s.compare(i, 5, " and ") == 0;
    if (i < s.size() && !comma && !conj) continue;
    std::string part(Trim(std::string_view(s).substr(at, i - at)));
    if (part.starts_with("and ")) part = part.substr(4);
    if (part.starts_with("the ") || part.starts_with("The ")) part = part.substr(4);
    if (!part.empty()) parts.push_back(part);
    at = i + (comma ? 1 : 5);
    if (conj) i += 4;
  }
  for (const auto& p : parts)
    if (!(IsUpper(p[0]) || static_cast<unsigned char>(p[0]) >= 0x80)) return {};
  return parts;
}

bool IsConnector(std::string_view w) {
  return w == "of" || w == "and" || w == "the" || w == "for" || w == "&" || w == "on" || w == "in";
}

std::vector<std::string> AddresseesOf(std::string_view text) {
  std::string t = CollapseBlanks(text.substr(0, std::min<size_t>(text.size(), 300)));
  std::string_view v = t;
  bool led = false;
  for (std::string_view lead : {"We recommend that ", "We therefore recommend that ", "We recommend ",
                                "It is recommended that ", "The Committee recommends that ",
                                "The Inquiry recommends that ", "The Review recommends that ",
                                "I recommend that ", "Recommend that ", "That "}) {
    if (v.starts_with(lead)) {
      v.remove_prefix(lead.size());
      led = true;
      break;
    }
  }
  if (v.starts_with("the ") || v.starts_with("The ")) v.remove_prefix(4);
  if (v.empty() || !IsUpper(v[0])) return {};
  if (led) {
    // "NHS England and the Department of Health fund ...": the run of names
    // (capitalised words and what joins them) before the first other word.
    size_t i = 0, end = 0;
    while (i < v.size()) {
      size_t b = i;
      while (i < v.size() && v[i] != ' ' && v[i] != ',') ++i;
      std::string_view w = v.substr(b, i - b);
      if (w.empty()) {
        ++i;
        continue;
      }
      if (IsUpper(w[0]) || static_cast<unsigned char>(w[0]) >= 0x80) end = i;
      else if (!IsConnector(w)) break;
      while (i < v.size() && (v[i] == ' ' || v[i] == ',')) ++i;
    }
    if (end == 0) return {};
    return SplitNames(v.substr(0, end));
  }
  // "The Home Office should ...": the names before a modal verb.
  size_t verb = std::string_view::npos;
  for (std::string_view w : {" should", " must", " shall", " needs to", " need to", " is to",
                             " are to", " will"}) {
    for (size_t at = v.find(w); at != std::string_view::npos; at = v.find(w, at + 1)) {
      size_t after = at + w.size();
      if (after < v.size() && std::isalpha(static_cast<unsigned char>(v[after]))) continue;
      if (at < verb) verb = at;
      break;
    }
  }
  if (verb == std::string_view::npos || verb == 0 || verb > 160) return {};
  std::string_view who = v.substr(0, verb);
  if (who.find(". ") != std::string_view::npos) return {};
  return SplitNames(who);
}

// ---- the document ------------------------------------------------------------------

bool StartsWithRomanHeading(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && (t[i] == 'I' || t[i] == 'V' || t[i] == 'X')) ++i;
  return i > 0 && i <= 4 && i + 1 < t.size() && t[i] == '.' && IsBlank(t[i + 1]);
}

// A heading after which no recommendation of the section before continues.
bool IsMajorHeading(std::string_view t) {
  for (std::string_view w : {"Annex", "ANNEX", "Appendix", "APPENDIX", "Chapter ", "CHAPTER "})
    if (t.starts_with(w) && (t.size() == w.size() || !IsLower(t[w.size()]))) return true;
  return StartsWithRomanHeading(t);
}

// Drops what joins one item to the next ("; and", a final ";").
std::string TrimListPunctuation(std::string text) {
  while (true) {
    std::string_view v = Trim(text);
    if (v.ends_with(" and") || v.ends_with(" or")) v.remove_suffix(v.ends_with(" and") ? 4 : 3);
    while (!v.empty() && (v.back() == ';' || v.back() == ',' || IsBlank(v.back()))) v.remove_suffix(1);
    if (v.size() == text.size()) break;
    text = std::string(v);
  }
  return text;
}

class Segmenter {
 public:
  explicit Segmenter(std::vector<Line> lines) : lines_(std::move(lines)), joiner_(lines_) {}

  std::vector<Line>& lines() { return lines_; }

  // The text of lines from `i` (after the number) until the next numbered
  // line, at most `max` lines: a paragraph's lead-in.
  std::string LeadText(size_t i, size_t from, size_t max = 8) const {
    std::string out(lines_[i].text.substr(from));
    for (size_t k = i + 1, n = 0; k < lines_.size() && n < max; ++k) {
      if (lines_[k].skip) continue;
      if (ParseNumber(lines_[k].text) || ParseSubItem(lines_[k].text)) break;
      out += ' ';
      out += lines_[k].text;
      ++n;
      if (lines_[k].text.ends_with(":")) break;
    }
    return out;
  }

  struct Open {
    std::string ref;
    std::vector<Piece> pieces;
    std::string decision;
    std::vector<std::string> addressees;  // given (upr) or inherited from a lead (generic)
  };

  void Start(Open item) {
    Close();
    open_ = std::move(item);
  }
  void Continue(size_t line) {
    if (open_) open_->pieces.push_back({line, 0});
  }
  bool HasOpen() const { return open_.has_value(); }
  // The open item's text so far.
  std::string OpenText() const { return open_ ? TextOf(open_->pieces, nullptr) : std::string(); }
  void Drop() { open_.reset(); }
  void Close() {
    if (!open_) return;
    DraftItem item;
    item.ref = open_->ref;
    item.decision = open_->decision;
    item.addressees = open_->addressees;
    item.text = TextOf(open_->pieces, &item.quotes);
    open_.reset();
    if (item.text.empty()) return;
    items_.push_back(std::move(item));
  }
  std::vector<DraftItem>& items() { return items_; }

 private:
  std::string TextOf(const std::vector<Piece>& pieces, std::vector<Quote>* quotes) const {
    std::string text;
    for (const Piece& p : pieces) {
      const Line& l = lines_[p.line];
      std::string_view t = WithoutFootnoteMark(l.text.substr(p.from));
      if (t.empty()) continue;
      joiner_.Append(CollapseBlanks(t), &text);
      if (!quotes) continue;
      size_t b = l.begin + p.from, e = b + t.size();
      if (!quotes->empty() && quotes->back().page == l.page) quotes->back().end = e;
      else quotes->push_back({l.page, b, e});
    }
    return text;
  }

  std::vector<Line> lines_;
  Joiner joiner_;
  std::optional<Open> open_;
  std::vector<DraftItem> items_;
};

std::string FindSymbol(const std::vector<Line>& lines) {
  for (const auto& l : lines) {
    size_t at = l.text.find("A/HRC/");
    if (at == std::string_view::npos) continue;
    size_t e = at + 6;
    while (e < l.text.size() && !IsBlank(l.text[e])) ++e;
    return std::string(l.text.substr(at, e - at));
  }
  return "";
}

// The state under review: the line after "Universal Periodic Review" on the
// first pages (the title), without its footnote mark.
std::string FindStateUnderReview(const std::vector<Line>& lines) {
  for (size_t i = 0; i < lines.size() && lines[i].page <= 2; ++i) {
    if (!ContainsNoCase(lines[i].text, "universal periodic review")) continue;
    for (size_t k = i + 1; k < lines.size() && k < i + 4; ++k) {
      std::string_view t = lines[k].text;
      while (!t.empty() && (t.back() == '*' || IsDigit(t.back()) || IsBlank(t.back()))) t.remove_suffix(1);
      if (t.empty() || t.starts_with("*") || ContainsNoCase(t, "review") || ContainsNoCase(t, "report") ||
          t.find("Council") != std::string_view::npos || t.size() > 80)
        continue;
      return CollapseBlanks(t);
    }
  }
  return "";
}

// The state named in a lead-in: "enjoy the support of Afghanistan:".
std::string StateInLead(std::string_view lead) {
  std::string t = CollapseBlanks(lead);
  for (std::string_view w : {"support of ", "examined by ", "supported by ", "accepted by "}) {
    size_t at = t.find(w);
    if (at == std::string::npos) continue;
    std::string_view rest = std::string_view(t).substr(at + w.size());
    size_t e = rest.find_first_of(":,;");
    for (std::string_view stop : {" which", " and ", " in ", " as "}) {
      size_t s = rest.find(stop);
      if (s != std::string_view::npos && s < e) e = s;
    }
    rest = rest.substr(0, e == std::string_view::npos ? rest.size() : e);
    while (!rest.empty() && (rest.back() == '.' || IsBlank(rest.back()))) rest.remove_suffix(1);
    if (rest.starts_with("the ")) rest.remove_prefix(4);
    if (!rest.empty() && IsUpper(rest[0])) return std::string(rest);
  }
  return "";
}

bool IsClosingParagraph(std::string_view lead) {
  std::string t = ToLowerAscii(CollapseBlanks(lead));
  return t.find("contained in the present report") != std::string::npos ||
         t.find("should not be construed") != std::string::npos;
}

// A paragraph after a list that gives (some of) its items a decision.
bool IsRetroactive(std::string_view lead) {
  std::string t = CollapseBlanks(lead);
  std::string low = ToLowerAscii(t);
  // Not one about paragraphs of the dialogue ("noted in paragraphs 19(d) ...
  // in section I above"), nor one that gives some one decision and others
  // another ("some ... enjoy the support, others ...").
  if (low.find("noted in") != std::string::npos || low.find(" others") != std::string::npos ||
      low.find("some of") != std::string::npos || low.find(" some ") != std::string::npos ||
      low.find("part of") != std::string::npos)
    return false;
  // "... Nos. 8, 9, 10 above are ...", "... Nos. 85-119 have already been implemented ..."
  const bool refers = low.find(" above") != std::string::npos || low.find("nos.") != std::string::npos;
  return refers && !Trim(t).ends_with(":") && low.find("recommendation") != std::string::npos &&
         !DecisionOf(t).empty();
}

void ApplyRetroactive(std::string_view lead, int paragraph, std::vector<DraftItem>* items) {
  std::string t = CollapseBlanks(lead);
  const std::string decision = DecisionOf(t);
  // The items it lists ("Nos. 8, 9, 10 ... above" of the list's own numbers,
  // or "nos. 84.5, 84.19 ... above"); none: all of the paragraph's.
  const std::string prefix = fmt::format("{}.", paragraph);
  std::set<std::string> listed;
  size_t from = ToLowerAscii(t).find("recommendation");
  size_t to = std::min(t.find(" above"), t.find(" have "));
  to = std::min(to, t.find(" are "));
  if (to == std::string::npos) to = t.size();
  int range_from = -1;  // "85-119": the first number of a range
  if (from != std::string::npos && from < to) {
    for (size_t i = from; i < to;) {
      if (!IsDigit(t[i])) {
        ++i;
        continue;
      }
      size_t e = i;
      while (e < to && (IsDigit(t[e]) || (t[e] == '.' && e + 1 < to && IsDigit(t[e + 1])))) ++e;
      std::string number = t.substr(i, e - i);
      // "... in paragraph 88 above": the list's own number, not an item.
      bool the_paragraph = i >= 10 && ToLowerAscii(t.substr(i - 10, 10)).find("paragraph") != std::string::npos;
      const bool relative = number.find('.') == std::string::npos;
      if (!the_paragraph && relative && range_from >= 0 && number.size() <= 4) {
        for (int k = range_from + 1; k <= std::stoi(number) && k - range_from <= 500; ++k)
          listed.insert(prefix + std::to_string(k));
      } else if (!the_paragraph) {
        listed.insert(relative ? prefix + number : number);
      }
      range_from = -1;
      // A range follows: "85-119", "85 - 119", "85 to 119", "85–119"
      std::string_view after = std::string_view(t).substr(e, std::min<size_t>(6, t.size() - e));
      if (relative && number.size() <= 4 &&
          (after.starts_with("-") || after.starts_with(" - ") || after.starts_with(" to ") ||
           after.starts_with("\xE2\x80\x93")))
        range_from = std::stoi(number);
      i = e;
    }
  }
  for (auto& item : *items) {
    if (!item.ref.starts_with(prefix)) continue;
    if (listed.empty() || listed.count(item.ref)) item.decision = decision;
  }
}

bool IsUprSectionHeading(std::string_view t) {
  if (IsTocLine(t) || t.size() > 100) return false;
  std::string_view v = t;
  if (StartsWithRomanHeading(v)) {
    v.remove_prefix(v.find('.') + 1);
    v = Trim(v);
  }
  while (!v.empty() && v.back() == '*') v.remove_suffix(1);  // a footnote mark
  if (v.ends_with(".")) return false;  // a sentence ("... have not been edited.")
  std::string low = ToLowerAscii(v);
  return low.starts_with("conclusions and/or recommendations") ||
         low.starts_with("conclusions and recommendations") ||
         low.starts_with("conclusions and/ or recommendations");
}

void SegmentUpr(Segmenter& seg, Draft* draft) {
  auto& lines = seg.lines();
  size_t start = 0;
  bool found = false;
  for (size_t i = 0; i < lines.size(); ++i)
    if (!lines[i].skip && IsUprSectionHeading(lines[i].text)) {
      start = i + 1;
      found = true;
    }
  if (!found) draft->notes.push_back("no \"Conclusions and/or recommendations\" heading: read the whole document");

  int paragraph = 0;     // the current paragraph's number, 0 before the first
  bool active = false;   // its items are recommendations
  int relative = -1;     // items "1." (1) or "95.1" (0); -1 before the first
  int last = 0;          // the last item's number in the paragraph
  std::string decision;
  std::string lead_state;
  for (size_t i = start; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.skip) continue;
    if (IsMajorHeading(l.text)) {
      seg.Close();
      if (paragraph > 0) break;
      continue;
    }
    auto num = ParseNumber(l.text);
    if (num && num->sub.empty() && !num->prefixed) {
      const auto& p = num->parts;
      if (p.size() == 1 && num->loose) {
        if (active && relative == 1 && p[0] == last + 1) {
          last = p[0];
          seg.Start({fmt::format("{}.{}", paragraph, p[0]), {{i, num->length}}, decision, {}});
          continue;
        }
      } else if (p.size() == 1 && num->dot) {
        const int n = p[0];
        std::string lead = seg.LeadText(i, num->length, 12);
        if (paragraph > 0 && n > paragraph && n <= paragraph + 3 && IsRetroactive(lead)) {
          // "Albania considers that recommendations Nos. 8, 9, ... above are
          // either already implemented or in the process of implementation":
          // the decision of items of the paragraph before.
          seg.Close();
          ApplyRetroactive(lead, paragraph, &seg.items());
          paragraph = n;
          active = false;
          continue;
        }
        bool is_lead = LooksLikeLead(lead) && !IsClosingParagraph(lead);
        // The next paragraphs, not a year that starts a line ("2011. The response ...").
        if (is_lead && (paragraph == 0 || (n > paragraph && n <= paragraph + 3))) {
          seg.Close();
          paragraph = n;
          active = true;
          relative = -1;
          last = 0;
          decision = DecisionOf(lead);
          if (lead_state.empty()) lead_state = StateInLead(lead);
          continue;
        }
        if (active && relative != 0 && ((last == 0 && n == 1) || (last > 0 && n > last && n <= last + 2)) &&
            !IsClosingParagraph(lead)) {
          relative = 1;
          last = n;
          seg.Start({fmt::format("{}.{}", paragraph, n), {{i, num->length}}, decision, {}});
          continue;
        }
        if (paragraph > 0 && n > paragraph && n <= paragraph + 3) {
          // A paragraph that is not a list of recommendations ends the one before.
          seg.Close();
          paragraph = n;
          active = false;
          continue;
        }
      } else if (p.size() == 2 && active && p[0] == paragraph && relative != 1 &&
                 ((last == 0 && p[1] <= 2) || (p[1] > last && p[1] <= last + 3))) {
        relative = 0;
        last = p[1];
        seg.Start({fmt::format("{}.{}", p[0], p[1]), {{i, num->length}}, decision, {}});
        continue;
      } else if (p.size() == 2 && active && relative == 0 && p[1] == last + 1 && p[1] > 1 &&
                 p[0] != paragraph) {
        // "85.75" among 86.74 and 86.76, "84.93" among 82.92 and 82.94: a slip
        // of the document's numbering.
        last = p[1];
        seg.Start({fmt::format("{}.{}", paragraph, p[1]), {{i, num->length}}, decision, {}});
        draft->notes.push_back(fmt::format("the document numbers {}.{} as {}.{}", paragraph, p[1],
                                           p[0], p[1]));
        continue;
      } else if (p.size() == 2 && p[1] == 1 && p[0] > paragraph && p[0] <= paragraph + 3 &&
                 paragraph > 0) {
        // Items of a paragraph whose lead-in was not read as one.
        seg.Close();
        paragraph = p[0];
        active = true;
        relative = 0;
        last = 1;
        decision.clear();
        draft->notes.push_back(fmt::format("paragraph {}: no decision found in its lead-in", p[0]));
        seg.Start({fmt::format("{}.{}", p[0], p[1]), {{i, num->length}}, decision, {}});
        continue;
      } else if (p.size() == 3 && active && p[0] == paragraph && p[1] == last) {
        seg.Start({fmt::format("{}.{}.{}", p[0], p[1], p[2]), {{i, num->length}}, decision, {}});
        continue;
      }
    }
    seg.Continue(i);
  }
  seg.Close();
  if (draft->state_under_review.empty()) draft->state_under_review = lead_state;
}

bool IsGenericSectionHeading(std::string_view t) {
  if (IsTocLine(t) || t.size() > 100 || t.ends_with(".") || t.ends_with(",")) return false;
  if (!ContainsNoCase(t, "recommendation")) return false;
  size_t words = 1 + static_cast<size_t>(std::count(t.begin(), t.end(), ' '));
  if (words > 12) return false;
  char c = t[0];
  return IsUpper(c) || IsDigit(c);
}

void SegmentGeneric(Segmenter& seg, Draft* draft) {
  auto& lines = seg.lines();
  // The sections: from a heading that names recommendations to the next major heading.
  std::vector<bool> in(lines.size(), false);
  bool any = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].skip || !IsGenericSectionHeading(lines[i].text)) continue;
    size_t k = i + 1;
    for (; k < lines.size(); ++k) {
      if (lines[k].skip) continue;
      if (IsMajorHeading(lines[k].text) && !ContainsNoCase(lines[k].text, "recommendation")) break;
      in[k] = true;
    }
    any = true;
    i = k - 1;
  }
  if (!any) {
    std::fill(in.begin(), in.end(), true);
    draft->notes.push_back("no recommendations heading: read the whole document");
  }

  // The last number of each style of numbering, to follow its sequence.
  std::map<std::string, std::vector<int>> last;
  std::string parent_ref;                 // the item whose sub-items come
  std::vector<std::string> parent_to;     // its addressees, for them
  std::string last_sub;
  auto style_of = [](const Number& n) {
    if (n.prefixed) return std::string(n.label.starts_with("R") ? "R" : "Recommendation");
    return fmt::format("{}", n.parts.size());
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.skip) continue;
    if (!in[i]) {
      seg.Close();
      continue;
    }
    if (auto sub = ParseSubItem(l.text); sub && !parent_ref.empty()) {
      bool next = false;
      if (last_sub.empty()) next = sub->sub == "a" || sub->sub == "i";
      else if (IsRoman(last_sub) && IsRoman(sub->sub) && !(last_sub == "h" && sub->sub == "i"))
        next = RomanValue(sub->sub) == RomanValue(last_sub) + 1 ||
               (last_sub.size() == 1 && sub->sub.size() == 1 && sub->sub[0] == last_sub[0] + 1);
      else if (last_sub.size() == 1 && sub->sub.size() == 1) next = sub->sub[0] == last_sub[0] + 1;
      if (next) {
        if (last_sub.empty()) {
          // The parent: a lead-in ("The Home Office should:") is no item of its own.
          std::string t = seg.OpenText();
          if (seg.HasOpen()) parent_to = AddresseesOf(t);
          if (Trim(t).ends_with(":") || Trim(t).empty()) seg.Drop();
          else seg.Close();
        }
        last_sub = sub->sub;
        seg.Start({fmt::format("{}({})", parent_ref, sub->sub), {{i, sub->length}}, "", parent_to});
        continue;
      }
    }
    if (auto num = ParseNumber(l.text); num && !num->loose) {
      std::string style = style_of(*num);
      auto it = last.find(style);
      bool ok = false;
      const auto& p = num->parts;
      if (it == last.end()) {
        ok = p.back() <= 3 || num->prefixed || any;
      } else {
        const auto& q = it->second;
        if (p.size() == 1) ok = p[0] > q[0] && p[0] <= q[0] + 3;
        else {
          bool same_prefix = std::equal(p.begin(), p.end() - 1, q.begin());
          ok = (same_prefix && p.back() > q.back() && p.back() <= q.back() + 3) ||
               (!same_prefix && p.back() <= 1 && p[0] >= q[0]);
        }
      }
      if (ok) {
        last[style] = p;
        std::string ref = num->label;
        if (!num->sub.empty()) ref += "(" + num->sub + ")";
        seg.Start({ref, {{i, num->length}}, "", {}});
        parent_ref = ref;
        parent_to.clear();
        last_sub.clear();
        continue;
      }
    }
    seg.Continue(i);
  }
  seg.Close();
}

}  // namespace

Result<DocumentPreset> ParseDocumentPreset(std::string_view name) {
  if (name == "generic") return DocumentPreset::kGeneric;
  if (name == "upr") return DocumentPreset::kUpr;
  return Fail(Error::Invalid(fmt::format("unknown preset '{}' (known: generic, upr)", name)));
}

std::string_view PresetName(DocumentPreset preset) {
  return preset == DocumentPreset::kUpr ? "upr" : "generic";
}

std::string NormalizeForComparison(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool blank = false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::string_view rest = text.substr(i);
    // ‘ ’ ‚ ′ -> '   “ ” „ ‟ ″ -> "
    if (rest.starts_with("\xE2\x80\x98") || rest.starts_with("\xE2\x80\x99") ||
        rest.starts_with("\xE2\x80\x9A") || rest.starts_with("\xE2\x80\xB2")) {
      if (blank && !out.empty()) out += ' ';
      blank = false;
      out += '\'';
      i += 2;
      continue;
    }
    if (rest.starts_with("\xE2\x80\x9C") || rest.starts_with("\xE2\x80\x9D") ||
        rest.starts_with("\xE2\x80\x9E") || rest.starts_with("\xE2\x80\x9F") ||
        rest.starts_with("\xE2\x80\xB3")) {
      if (blank && !out.empty()) out += ' ';
      blank = false;
      out += '"';
      i += 2;
      continue;
    }
    if (rest.starts_with("\xC2\xA0")) {  // no-break space
      blank = true;
      ++i;
      continue;
    }
    if (IsBlank(static_cast<char>(c)) || c == '\n') {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += static_cast<char>(c);
  }
  return out;
}

Result<Draft> ExtractRecommendations(const std::vector<std::string>& pages,
                                     const ExtractOptions& options) {
  std::vector<Line> lines = SplitLines(pages);
  const int page_count = static_cast<int>(pages.size());
  MarkRunningLines(lines, page_count);
  MarkFootnotes(lines);
  Draft draft;
  draft.preset = options.preset;
  draft.pages = page_count;
  draft.symbol = FindSymbol(lines);
  for (const auto& l : lines)
    if (!l.skip) {
      draft.title = CollapseBlanks(l.text);
      break;
    }
  Segmenter seg(std::move(lines));
  if (options.preset == DocumentPreset::kUpr) {
    draft.state_under_review = FindStateUnderReview(seg.lines());
    if (!draft.state_under_review.empty())
      draft.title = fmt::format("Report of the Working Group on the Universal Periodic Review: {}",
                                draft.state_under_review);
    SegmentUpr(seg, &draft);
  } else {
    SegmentGeneric(seg, &draft);
  }
  draft.items = std::move(seg.items());
  if (draft.items.empty())
    return Fail(Error::Invalid(fmt::format(
        "no numbered recommendations found in {} page(s) with the {} preset{}", page_count,
        PresetName(options.preset),
        options.preset == DocumentPreset::kGeneric ? "" : " (try --preset generic)")));

  if (options.preset == DocumentPreset::kUpr) {
    // The recommending states: the last bracket of each item; then brackets
    // inside an item whose names all appear as such elsewhere in the document.
    std::unordered_set<std::string> known;
    std::vector<std::optional<FinalBracket>> finals;
    for (const auto& item : draft.items) {
      finals.push_back(FindFinalBracket(item.text));
      if (finals.back())
        for (const auto& s : finals.back()->states) known.insert(s);
    }
    for (size_t k = 0; k < draft.items.size(); ++k) {
      DraftItem& item = draft.items[k];
      const auto& fb = finals[k];
      if (fb) {
        std::vector<std::string> by = InnerStates(item.text, fb->begin, known);
        by.insert(by.end(), fb->states.begin(), fb->states.end());
        std::unordered_set<std::string> seen;
        for (auto& s : by)
          if (seen.insert(s).second) item.recommended_by.push_back(s);
        item.text = TrimListPunctuation(item.text.substr(0, fb->begin));
      } else {
        // "Sign (Uganda) and ratify (Costa Rica, Sweden) OP-CAT": the states
        // stand in brackets inside the text only.
        std::vector<std::string> by = InnerStates(item.text, item.text.size(), known);
        std::unordered_set<std::string> seen;
        for (auto& s : by)
          if (seen.insert(s).second) item.recommended_by.push_back(s);
        if (item.recommended_by.empty()) item.notes.push_back("no recommending state in brackets at its end");
        item.text = TrimListPunctuation(item.text);
      }
      if (!draft.state_under_review.empty()) item.addressees = {draft.state_under_review};
      if (item.decision.empty()) item.notes.push_back("no decision: its paragraph's lead-in says none");
    }
  } else {
    for (auto& item : draft.items) {
      item.text = TrimListPunctuation(item.text);
      if (item.addressees.empty()) item.addressees = AddresseesOf(item.text);
      if (item.addressees.empty()) item.notes.push_back("no addressee named in its text");
    }
  }
  // Refs are unique in a source: a repeated one (a numbering slip in the
  // document, or a misread) gets -2, -3, and a note.
  std::unordered_map<std::string, int> seen;
  for (auto& item : draft.items) {
    int n = ++seen[item.ref];
    if (n > 1) {
      item.notes.push_back(fmt::format("ref {} appears {} times in the document", item.ref, n));
      item.ref = fmt::format("{}-{}", item.ref, n);
    }
  }
  return draft;
}

}  // namespace rectrack

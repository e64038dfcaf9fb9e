#include "core/text.h"

#include <cctype>

#include <algorithm>
#include <cstdint>

namespace rectrack {

std::string_view Trim(std::string_view s) {
  auto ascii_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  // A non-breaking space (U+00A0, C2 A0) is common in pasted text, often mixed
  // with ordinary spaces, so both are stripped in one pass from each end.
  auto nbsp_at = [&](size_t i) {
    return static_cast<unsigned char>(s[i]) == 0xC2 && static_cast<unsigned char>(s[i + 1]) == 0xA0;
  };
  size_t b = 0, e = s.size();
  while (b < e) {
    if (ascii_space(s[b])) {
      ++b;
    } else if (e - b >= 2 && nbsp_at(b)) {
      b += 2;
    } else {
      break;
    }
  }
  while (e > b) {
    if (ascii_space(s[e - 1])) {
      --e;
    } else if (e - b >= 2 && nbsp_at(e - 2)) {
      e -= 2;
    } else {
      break;
    }
  }
  return s.substr(b, e - b);
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string> SplitTrimmed(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  if (sep.empty()) {
    auto t = Trim(s);
    if (!t.empty()) out.emplace_back(t);
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    auto part = Trim(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (!part.empty()) out.emplace_back(part);
    if (at == std::string_view::npos) break;
    start = at + sep.size();
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::string Slugify(std::string_view s) {
  std::string out;
  bool dash = false;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      out.push_back(static_cast<char>(c));
      dash = false;
    } else if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
      dash = false;
    } else if (c >= 0x80 && c < 0xC0) {
      // continuation byte of a multi-byte character: already folded at its lead byte
    } else if (!dash && !out.empty()) {
      out.push_back('-');
      dash = true;
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty()) out = "x";
  return out;
}

size_t FindControlCharacter(std::string_view s, size_t from) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = from; i < n; ++i) {
    const unsigned char c = p[i];
    if (c >= 0x20 && c != 0x7F && c != 0xC2) continue;
    if (c == 0xC2) {
      if (i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) return i;
      continue;
    }
    if (c == '\t' || c == '\n' || c == '\r') continue;
    return i;
  }
  return std::string_view::npos;
}

std::string CodePointAt(std::string_view s, size_t pos) {
  if (pos >= s.size()) return "";
  const auto c = static_cast<unsigned char>(s[pos]);
  uint32_t cp = c;
  if (c == 0xC2 && pos + 1 < s.size()) cp = static_cast<unsigned char>(s[pos + 1]);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+00";
  out.push_back(kHex[(cp >> 4) & 15]);
  out.push_back(kHex[cp & 15]);
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string WithThousands(int64_t n) {
  bool neg = n < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  std::string digits = std::to_string(u);
  std::string out;
  int count = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (count && count % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++count;
  }
  if (neg) out.push_back('-');
  return std::string(out.rbegin(), out.rend());
}

std::string FormatMoney(int64_t amount, std::string_view currency) {
  std::string symbol = currency == "GBP" ? "£" : currency == "EUR" ? "€" : currency == "USD" ? "$" : std::string(currency) + " ";
  bool neg = amount < 0;
  // Negating INT64_MIN would overflow; no budget is that large, so clamp.
  int64_t a = neg ? (amount == INT64_MIN ? INT64_MAX : -amount) : amount;
  std::string body;
  if (a != 0 && a % 1000000 == 0) {
    body = WithThousands(a / 1000000) + "m";
  } else if (a >= 1000000 && a % 100000 == 0) {
    body = WithThousands(a / 1000000) + "." + std::to_string((a / 100000) % 10) + "m";
  } else {
    body = WithThousands(a);
  }
  return (neg ? "-" : "") + symbol + body;
}

std::string DaysInWords(int64_t days) {
  auto unit = [](int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  if (days < 60) return unit(days, "day", "days");
  int64_t years = days / 365, months = (days % 365) / 30;
  if (years == 0) return unit(months, "month", "months");
  if (months == 0) return unit(years, "year", "years");
  return unit(years, "year", "years") + " " + unit(months, "month", "months");
}

std::string NormalisedForRepeat(std::string_view text, std::string_view ref) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  auto put = [&](char c) {
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    auto next_is = [&](std::string_view seq) { return text.substr(i, seq.size()) == seq; };
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = true;
      ++i;
    } else if (next_is("\xC2\xA0")) {  // no-break space
      space = true;
      i += 2;
    } else if (next_is("\xE2\x80\x98") || next_is("\xE2\x80\x99") ||
               next_is("\xE2\x80\x9A") || next_is("\xE2\x80\x9B") ||
               next_is("\xE2\x80\xB2")) {  // single quotes, prime
      put('\'');
      i += 3;
    } else if (next_is("\xE2\x80\x9C") || next_is("\xE2\x80\x9D") ||
               next_is("\xE2\x80\x9E") || next_is("\xE2\x80\x9F") ||
               next_is("\xE2\x80\xB3")) {  // double quotes, double prime
      put('"');
      i += 3;
    } else {
      put(text[i]);
      ++i;
    }
  }
  // A bracketed echo of the ref at the end, before or after a final full stop.
  const std::string_view want = Trim(ref);
  if (want.empty()) return out;
  std::string_view s = out;
  const bool stop = !s.empty() && s.back() == '.';
  if (stop) s.remove_suffix(1);
  s = Trim(s);
  if (s.size() < 2 || (s.back() != ')' && s.back() != ']')) return out;
  const char open = s.back() == ')' ? '(' : '[';
  const size_t at = s.rfind(open);
  if (at == std::string_view::npos || at == 0) return out;
  if (Trim(s.substr(at + 1, s.size() - at - 2)) != want) return out;
  std::string kept(Trim(s.substr(0, at)));
  if (stop && (kept.empty() || kept.back() != '.')) kept += '.';
  return kept;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows: two back for a swap of neighbours.
  const size_t w = b.size() + 1;
  std::vector<size_t> before(w), last(w), row(w);
  for (size_t j = 0; j < w; ++j) last[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j < w; ++j) {
      row[j] = std::min({last[j] + 1, row[j - 1] + 1, last[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        row[j] = std::min(row[j], before[j - 2] + 1);
    }
    std::swap(before, last);
    std::swap(last, row);
  }
  return last[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string w = ToLowerAscii(word);
  if (w.empty()) return "";
  const size_t limit = std::clamp<size_t>(w.size() / 3, 1, 3);
  size_t best = limit + 1;
  const std::string* found = nullptr;
  bool tie = false;
  for (const auto& c : candidates) {
    size_t d = EditDistance(w, ToLowerAscii(c));
    if (d < best) {
      best = d;
      found = &c;
      tie = false;
    } else if (d == best && found && ToLowerAscii(*found) != ToLowerAscii(c)) {
      tie = true;
    }
  }
  if (found && !tie) return *found;
  if (found) return "";
  const std::string* prefixed = nullptr;
  for (const auto& c : candidates) {
    if (ToLowerAscii(c).rfind(w, 0) != 0) continue;
    if (prefixed) return "";
    prefixed = &c;
  }
  return prefixed ? *prefixed : "";
}

std::string Plural(int64_t n, std::string_view one, std::string_view many) {
  return WithThousands(n) + " " + std::string(n == 1 ? one : many);
}

std::string SentenceCase(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

}  // namespace rectrack

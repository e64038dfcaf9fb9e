#include "core/markdown.h"

#include <vector>

#include "core/text.h"
#include "fmt/format.h"

namespace rectrack {
namespace {

bool IsWebUrl(std::string_view u) {
  std::string lower = ToLowerAscii(u.substr(0, 8));
  if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) return false;
  for (unsigned char c : u)
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '`')
      return false;
  return u.size() <= 2000;
}

// Inline markup of one line (or a paragraph's lines joined by <br>).
std::string Inline(std::string_view s) {
  std::string out;
  size_t i = 0;
  auto find_close = [&](std::string_view mark, size_t from) {
    size_t at = s.find(mark, from);
    return at;
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == '`') {
      size_t end = find_close("`", i + 1);
      if (end != std::string_view::npos && end > i + 1) {
        out += "<code>" + HtmlEscape(s.substr(i + 1, end - i - 1)) + "</code>";
        i = end + 1;
        continue;
      }
    }
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = find_close("**", i + 2);
      if (end != std::string_view::npos && end > i + 2) {
        out += "<strong>" + Inline(s.substr(i + 2, end - i - 2)) + "</strong>";
        i = end + 2;
        continue;
      }
    }
    if ((c == '*' || c == '_') && i + 1 < s.size() && s[i + 1] != ' ') {
      size_t end = find_close(std::string_view(&s[i], 1), i + 1);
      if (end != std::string_view::npos && end > i + 1 && s[end - 1] != ' ') {
        out += "<em>" + Inline(s.substr(i + 1, end - i - 1)) + "</em>";
        i = end + 1;
        continue;
      }
    }
    if (c == '[') {
      size_t close = s.find("](", i + 1);
      size_t end = close == std::string_view::npos ? close : s.find(')', close + 2);
      if (end != std::string_view::npos) {
        std::string_view text = s.substr(i + 1, close - i - 1);
        std::string_view url = s.substr(close + 2, end - close - 2);
        if (!text.empty() && IsWebUrl(url)) {
          out += "<a href=\"" + HtmlEscape(url) + "\" rel=\"nofollow noopener\">" + Inline(text) +
                 "</a>";
          i = end + 1;
          continue;
        }
      }
    }
    // One character (or a whole UTF-8 sequence), escaped.
    size_t n = 1;
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0xF0) n = 4;
    else if (u >= 0xE0) n = 3;
    else if (u >= 0xC0) n = 2;
    out += HtmlEscape(s.substr(i, n));
    i += n;
  }
  return out;
}

bool ListItem(std::string_view line, bool* ordered, std::string_view* rest) {
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*') && line[1] == ' ') {
    *ordered = false;
    *rest = line.substr(2);
    return true;
  }
  size_t d = 0;
  while (d < line.size() && d < 3 && line[d] >= '0' && line[d] <= '9') ++d;
  if (d > 0 && d + 1 < line.size() && line[d] == '.' && line[d + 1] == ' ') {
    *ordered = true;
    *rest = line.substr(d + 2);
    return true;
  }
  return false;
}

}  // namespace

Status CheckCommentary(std::string_view s) {
  if (s.size() > 20000)
    return Fail(Error::Invalid("the commentary is longer than 20,000 bytes"));
  if (!IsValidUtf8(s)) return Fail(Error::Invalid("the commentary is not valid UTF-8"));
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
      return Fail(Error::Invalid(
          "the commentary holds a control character (only tabs and line breaks may be in it)"));
  return {};
}

std::string CommentaryHtml(std::string_view md) {
  std::vector<std::string> lines;  // trimmed, blank ones kept: they end paragraphs
  size_t start = 0;
  while (start <= md.size()) {
    size_t end = md.find('\n', start);
    if (end == std::string_view::npos) end = md.size();
    lines.emplace_back(Trim(md.substr(start, end - start)));
    start = end + 1;
  }
  std::string out;
  std::vector<std::string> para;
  std::string list_tag;  // "ul" or "ol" while in a list
  auto end_para = [&]() {
    if (para.empty()) return;
    out += "<p>";
    for (size_t i = 0; i < para.size(); ++i) out += (i ? "<br>" : "") + Inline(para[i]);
    out += "</p>\n";
    para.clear();
  };
  auto end_list = [&]() {
    if (list_tag.empty()) return;
    out += "</" + list_tag + ">\n";
    list_tag.clear();
  };
  for (const auto& raw : lines) {
    std::string_view line = raw;
    bool ordered = false;
    std::string_view rest;
    if (line.empty()) {
      end_para();
      end_list();
    } else if (line.rfind("### ", 0) == 0 || line.rfind("## ", 0) == 0) {
      end_para();
      end_list();
      bool h3 = line.rfind("## ", 0) == 0;
      std::string tag = h3 ? "h3" : "h4";
      out += "<" + tag + ">" + Inline(line.substr(h3 ? 3 : 4)) + "</" + tag + ">\n";
    } else if (ListItem(line, &ordered, &rest)) {
      end_para();
      std::string tag = ordered ? "ol" : "ul";
      if (list_tag != tag) {
        end_list();
        out += "<" + tag + ">\n";
        list_tag = tag;
      }
      out += "<li>" + Inline(rest) + "</li>\n";
    } else {
      end_list();
      para.push_back(std::string(line));
    }
  }
  end_para();
  end_list();
  return out;
}

}  // namespace rectrack

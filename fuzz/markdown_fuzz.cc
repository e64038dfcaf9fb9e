// libFuzzer harness: the commentary sanitiser. Whatever the input, the HTML it
// makes has no element or attribute but its own few, and no href but http(s).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/markdown.h"

using namespace rectrack;

namespace {

bool StartsWith(std::string_view s, size_t at, std::string_view what) {
  return s.substr(at, what.size()) == what;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!CheckCommentary(text)) return 0;  // what the publish form refuses
  const std::string html = CommentaryHtml(text);
  static const std::string_view kTags[] = {
      "<p>",   "</p>",  "<br>",   "<h3>",   "</h3>",  "<h4>", "</h4>", "<ul>", "</ul>",
      "<ol>",  "</ol>", "<li>",   "</li>",  "<strong>", "</strong>", "<em>", "</em>",
      "<code>", "</code>", "<a href=\"", "</a>"};
  for (size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1)) {
    bool known = false;
    for (auto tag : kTags) known = known || StartsWith(html, i, tag);
    if (!known) __builtin_trap();  // markup the sanitiser did not make
  }
  // Every link is an http(s) address, quoted, with no quote inside.
  for (size_t i = html.find("<a href=\""); i != std::string::npos;
       i = html.find("<a href=\"", i + 1)) {
    const size_t start = i + 9, end = html.find('"', start);
    if (end == std::string::npos) __builtin_trap();
    const std::string_view href = std::string_view(html).substr(start, end - start);
    std::string scheme(href.substr(0, 8));  // schemes are case-insensitive
    for (char& ch : scheme) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    if (!StartsWith(scheme, 0, "http://") && !StartsWith(scheme, 0, "https://")) __builtin_trap();
    if (href.find('<') != std::string_view::npos || href.find('>') != std::string_view::npos)
      __builtin_trap();
  }
  return 0;
}
